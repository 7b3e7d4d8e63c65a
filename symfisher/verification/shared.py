"""Objects several identities need, derived once per family under the time budget.

Each shared object (skewness tensor, KL divergence, exponential-family data, the
Fisher matrix in the standard reparametrisation) is derived once, in a budgeted child
process. A success is handed to every check that needs it (the Fisher matrix of the
reparametrised family reaches the checks through the core's disk cache). A failure or
a timeout is recorded too, so the identities that depend on it are reported
*inconclusive* at once with that reason instead of each paying the budget again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Shared", "USERS", "derive_shared"]


def _reparam_fisher(fam: Any) -> bool:
    """Derive (and cache on disk) the Fisher matrix of the standard reparametrisation."""
    from symfisher.derive.fisher import fisher
    from symfisher.verification.reparam import standard_reparam

    fisher(standard_reparam(fam).new_family)
    return True


def _expfam_users() -> frozenset[str]:
    from symfisher.verification.checks_expfam import expfam_reason
    from symfisher.verification.registry import IDENTITIES

    return frozenset(i.name for i in IDENTITIES if i.applies is expfam_reason)


USERS: Mapping[str, frozenset[str]] = {
    "skewness": frozenset({"alpha_duality", "kl_third_order", "e_flat_natural", "m_flat_mean"}),
    "kl": frozenset({"kl_second_order", "kl_third_order"}),
    "reparam_fisher": frozenset({"reparametrization", "jeffreys_transforms",
                                 "curvature_invariance"}),
}
"""Shared object → identities that need it (``"expfam"``: the exponential-family ones)."""


@dataclass(frozen=True)
class Shared:
    """Shared objects of one family.

    Attributes
    ----------
    values : Mapping[str, Any]
        Derived objects by key (``"skewness"``, ``"kl"``, ``"expfam"``); the
        reparametrised Fisher matrix lives in the core's cache and is marked ``True``.
    failures : Mapping[str, str]
        Key → why it could not be derived (error text or exceeded budget).
    """

    values: Mapping[str, Any] = field(default_factory=dict)
    failures: Mapping[str, str] = field(default_factory=dict)

    def blocker(self, identity: str) -> str | None:
        """Why ``identity`` cannot be checked (a shared object it needs failed), or None."""
        for key, why in self.failures.items():
            if identity in _users(key):
                return f"{key} (shared by several identities) {why}"
        return None


def _users(key: str) -> frozenset[str]:
    return _expfam_users() if key == "expfam" else USERS[key]


def _derivers() -> dict[str, Callable[[Any], Any]]:
    from symfisher.derive.connections import skewness_tensor
    from symfisher.derive.divergence import kl_divergence
    from symfisher.verification.checks_expfam import expfam_data

    return {"skewness": skewness_tensor, "kl": kl_divergence, "expfam": expfam_data,
            "reparam_fisher": _reparam_fisher}


def _wanted(fam: Any, names: set[str]) -> list[str]:
    """Keys needed by at least one chosen identity that applies to ``fam``."""
    from symfisher.verification.checks_expfam import expfam_reason

    keys = []
    for key in ("skewness", "kl", "expfam", "reparam_fisher"):
        if not names & _users(key):
            continue
        if key == "expfam" and expfam_reason(fam):
            continue
        if key == "skewness" and not names & {"alpha_duality", "kl_third_order"} \
                and expfam_reason(fam):
            continue
        keys.append(key)
    return keys


def derive_shared(fam: Any, names: set[str], budget: float,
                  budgeted: Callable[[Callable[..., Any], Any, float], Any]) -> Shared:
    """Derive every shared object the chosen identities need, each under ``budget``.

    Parameters
    ----------
    fam : Family
        A regular family.
    names : set of str
        Names of the chosen identities.
    budget : float
        Seconds per shared object.
    budgeted : callable
        ``budgeted(fn, fam, budget)`` → budget outcome (``.value``, ``.error``); raises
        :class:`symfisher.derive.budget.BudgetExceeded` on timeout.

    Returns
    -------
    Shared
    """
    from symfisher.derive.budget import BudgetExceeded

    derivers = _derivers()
    values: dict[str, Any] = {}
    failures: dict[str, str] = {}
    for key in _wanted(fam, names):
        try:
            res = budgeted(derivers[key], fam, budget)
        except BudgetExceeded:
            failures[key] = f"exceeded the time budget of {budget:g} s"
            continue
        if res.error is None:
            values[key] = res.value
            if key == "reparam_fisher":
                _reparam_fisher(fam)  # a disk-cache hit now: loaded here, inherited by checks
        else:
            failures[key] = f"could not be derived: {res.error}"
    return Shared(values, failures)
