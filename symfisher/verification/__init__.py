"""Verification of textbook identities of Fisher information and information geometry.

``sf.verify(family)`` checks every applicable identity of the registry
(:mod:`symfisher.verification.registry`) symbolically where it can and with mpmath at
random parameter points where it cannot, and explains failures.

Examples
--------
>>> import symfisher as sf
>>> sf.verify("uniform", identities=["score_mean_zero"]).ok       # doctest: +SKIP
False
"""

from __future__ import annotations

from symfisher.options import Status
from symfisher.verification.registry import IDENTITIES, Identity, identity_names
from symfisher.verification.report import Outcome, Row, VerifyReport
from symfisher.verification.runner import verify

__all__ = ["verify", "identity_names", "IDENTITIES", "Identity", "Row", "Status", "VerifyReport", "Outcome"]
