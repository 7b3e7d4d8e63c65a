"""Objects several identities need, derived once per family under the time budget.

Each shared object (skewness tensor, KL divergence, exponential-family data, the
Fisher matrix in the standard reparametrisation) is derived once, in a budgeted child
process. A success is handed to every check that needs it. The KL divergence and the
reparametrised Fisher matrix have numeric stand-ins: when the closed form fails (the
reparametrised Fisher matrix gets a short budget), the KL expansion coefficients and
I_η are computed by quadrature at the test points instead
(:mod:`symfisher.verification.numeric.quadrature`), and the identities are *verified
numerically*. A failure or a timeout with no stand-in is recorded, so the identities
that depend on it are reported *inconclusive* at once with that reason instead of each
paying the budget again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from symfisher.verification.numeric.quadrature import kl_numeric

if TYPE_CHECKING:
    from symfisher.families.base import Family

__all__ = ["Shared", "USERS", "derive_shared"]


REPARAM_SYMBOLIC_BUDGET = 3.0
"""Seconds (at most) for the symbolic Fisher matrix of the reparametrised family; when
it does not come in time, I_η is computed by quadrature at the test points instead."""

SKEWNESS_SYMBOLIC_BUDGET = 10.0
"""Seconds (at most) for the symbolic skewness tensor; when it does not come in time,
T is computed by quadrature at the test points instead."""

_SYMBOLIC_BUDGET = {"reparam_fisher": REPARAM_SYMBOLIC_BUDGET, "skewness": SKEWNESS_SYMBOLIC_BUDGET}


def _reparam_fisher(fam: Family) -> Any:
    """The Fisher matrix of the standard reparametrisation, derived symbolically."""
    from symfisher.derive.fisher.api import fisher
    from symfisher.verification.reparam import standard_reparam

    return fisher(standard_reparam(fam).new_family)


def _reparam_numeric(fam: Family, points: tuple[dict, ...], dps: int) -> tuple[list, ...]:
    """I_η = E_η[s_η s_ηᵀ] by quadrature at the images η of the test points.

    Returns one nested list (p × p) of mpmath numbers per point.
    """
    from symfisher.verification.numeric.quadrature import EXTRA_DPS, fisher_by_quadrature
    from symfisher.verification.reparam import eta_points, standard_reparam

    new = standard_reparam(fam).new_family
    out = []
    for pt in eta_points(fam, points):
        I = fisher_by_quadrature(new, pt, dps + EXTRA_DPS)
        out.append([[I[i, j] for j in range(I.cols)] for i in range(I.rows)])
    return tuple(out)


def skewness_numeric(fam: Family, points: tuple[dict, ...], dps: int) -> tuple[dict, ...]:
    """T_ijk (i ≤ j ≤ k) by quadrature at every test point (mpmath numbers)."""
    from symfisher.verification.numeric.quadrature import EXTRA_DPS, skewness_by_quadrature

    return tuple(skewness_by_quadrature(fam, pt, dps + EXTRA_DPS) for pt in points)


USERS: Mapping[str, frozenset[str]] = {
    "skewness": frozenset({"alpha_duality", "kl_third_order", "e_flat_natural", "m_flat_mean"}),
    "kl": frozenset({"kl_second_order", "kl_third_order"}),
    "reparam_fisher": frozenset({"reparametrization", "jeffreys_transforms"}),
}
"""Shared object → identities that need it (``"expfam"``: the exponential-family ones)."""


@dataclass(frozen=True)
class Shared:
    """Shared objects of one family.

    Attributes
    ----------
    values : Mapping[str, Any]
        Derived objects by key (``"skewness"``, ``"kl"``, ``"expfam"``,
        ``"reparam_fisher"``), or their numeric stand-ins (``"kl_numeric"``: a
        :class:`~symfisher.verification.numeric.quadrature.KLCoefficients` per test point;
        ``"reparam_numeric"``: I_η by quadrature per test point;
        ``"skewness_numeric"``: T_ijk by quadrature per test point).
    failures : Mapping[str, str]
        Key → why it could not be derived (error text or exceeded budget), when no
        numeric stand-in could be computed either: the identities that need it are
        inconclusive.
    notes : Mapping[str, str]
        Key → why the closed form is missing although its numeric stand-in exists
        (quoted in the method column of the identities that use the stand-in).
    """

    values: Mapping[str, Any] = field(default_factory=dict)
    failures: Mapping[str, str] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)

    def blocker(self, identity: str) -> str | None:
        """Why ``identity`` cannot be checked (a shared object it needs failed), or None."""
        for key, why in self.failures.items():
            if identity in _users(key):
                return f"{key} (shared by several identities) {why}"
        return None


def _users(key: str) -> frozenset[str]:
    from symfisher.verification.checks.expfam import EXPFAM_IDENTITIES

    return EXPFAM_IDENTITIES if key == "expfam" else USERS[key]


def _derivers() -> dict[str, Callable[[Any], Any]]:
    from symfisher.derive.divergence import kl_divergence
    from symfisher.derive.geometry.connections import skewness_tensor
    from symfisher.verification.checks.expfam import expfam_data

    return {"skewness": skewness_tensor, "kl": kl_divergence, "expfam": expfam_data, "reparam_fisher": _reparam_fisher}


def _wanted(fam: Family, names: set[str]) -> list[str]:
    """Keys needed by at least one chosen identity that applies to ``fam``."""
    from symfisher.verification.checks.expfam import expfam_reason

    keys = []
    for key in ("skewness", "kl", "expfam", "reparam_fisher"):
        if not names & _users(key):
            continue
        if key == "expfam" and expfam_reason(fam):
            continue
        if key == "skewness" and not names & {"alpha_duality", "kl_third_order"} and expfam_reason(fam):
            continue
        keys.append(key)
    return keys


NumericDeriver = Callable[[Any, tuple[dict, ...], int], tuple[Any, ...]]
"""A quadrature stand-in: ``(family, test points, digits) -> one value per point``."""


def _at_points(fn: NumericDeriver, points: tuple[dict, ...], dps: int) -> Callable[[Any], tuple[Any, ...]]:
    """``fn`` with the test points and digits bound: a deriver of the family alone."""
    return lambda fam: fn(fam, points, dps)


def _attempt(
    fn: Callable[[Any], Any], fam: Family, budget: float, budgeted: Callable[[Callable[..., Any], Any, float], Any]
) -> tuple[Any, str | None]:
    """(value, None) or (None, why it failed) of ``fn(fam)`` under ``budget``."""
    from symfisher.errors import BudgetExceeded

    try:
        res = budgeted(fn, fam, budget)
    except BudgetExceeded:
        return None, f"exceeded the time budget of {budget:g} s"
    if res.error is None:
        return res.value, None
    return None, f"could not be derived: {res.error}"


_NUMERIC: dict[str, tuple[str, NumericDeriver]] = {
    "kl": ("kl_numeric", kl_numeric),
    "reparam_fisher": ("reparam_numeric", _reparam_numeric),
    "skewness": ("skewness_numeric", skewness_numeric),
}
"""Shared objects with a numeric stand-in at the test points: key → (value key, deriver)."""


def _one_variable(fam: Family) -> bool:
    """Whether the quadrature stand-ins can reach full precision (one data variable).

    With vector data (simplex: Monte Carlo; Gaussian: a float64 rule) they cannot, so
    the closed form keeps the whole budget instead of the short symbolic one.
    """
    return len(fam.variables) == 1


def _short(why: str, limit: int = 160) -> str:
    """The first ``limit`` characters of a failure text (the full text is long)."""
    return why if len(why) <= limit else why[: limit - 1].rstrip() + "…"


def derive_shared(
    fam: Family,
    names: set[str],
    budget: float,
    budgeted: Callable[[Callable[..., Any], Any, float], Any],
    points: tuple[dict, ...] = (),
    dps: int = 30,
) -> Shared:
    """Derive every shared object the chosen identities need, each under ``budget``.

    The KL divergence, the skewness tensor and the reparametrised Fisher matrix are
    tried in closed form first (the latter two under at most
    :data:`SKEWNESS_SYMBOLIC_BUDGET` / :data:`REPARAM_SYMBOLIC_BUDGET` seconds for one
    data variable, the whole budget otherwise); when
    that fails, their numeric stand-ins are computed at ``points`` by quadrature
    under ``budget`` and the failure is kept as a note.

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
        :class:`symfisher._runtime.budget.BudgetExceeded` on timeout.
    points : tuple of dict
        The test points (length P) for the numeric stand-ins; none: no stand-ins.
    dps : int
        Digits of the numeric stand-ins.

    Returns
    -------
    Shared
    """
    derivers = _derivers()
    values: dict[str, Any] = {}
    failures: dict[str, str] = {}
    notes: dict[str, str] = {}
    for key in _wanted(fam, names):
        limit = min(budget, _SYMBOLIC_BUDGET.get(key, budget)) if _one_variable(fam) else budget
        value, why = _attempt(derivers[key], fam, limit, budgeted)
        if why is None:
            values[key] = value
            continue
        if key in _NUMERIC and points:
            vkey, fn = _NUMERIC[key]
            num, why_num = _attempt(_at_points(fn, points, dps), fam, budget, budgeted)
            if why_num is None:
                values[vkey] = num
                notes[key] = f"closed form {_short(why)}"
                continue
            why = f"{why}; numeric route: {why_num}"
        failures[key] = why
    return Shared(values, failures, notes)
