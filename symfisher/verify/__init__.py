"""Verification of textbook identities of Fisher information and information geometry.

``sf.verify(family)`` checks every applicable identity of the registry
(:mod:`symfisher.verify.registry`) symbolically where it can and with mpmath at
random parameter points where it cannot, and explains failures.

The public function :func:`verify` shares its name with this package. Importing any
submodule binds ``symfisher.verify`` to the package, so the package itself is made
callable (calling it calls :func:`verify`): ``sf.verify(fam)`` works either way.

Examples
--------
>>> import symfisher as sf
>>> sf.verify("uniform", identities=["score_mean_zero"]).ok       # doctest: +SKIP
False
"""

from __future__ import annotations

import sys
import types
from typing import Any

from symfisher.verify.registry import IDENTITIES, Identity, identity_names
from symfisher.verify.report import Outcome, Row, Status, VerifyReport
from symfisher.verify.runner import verify

__all__ = ["verify", "identity_names", "IDENTITIES", "Identity", "Row", "Status",
           "VerifyReport", "Outcome"]


class _CallablePackage(types.ModuleType):
    """Module type of this package: ``symfisher.verify(...)`` calls :func:`verify`."""

    def __call__(self, *args: Any, **kwargs: Any) -> VerifyReport:
        return verify(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
