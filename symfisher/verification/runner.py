"""Run the registry's identities for one family, each under a time budget."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from symfisher.options import Status
from symfisher.verification.context import Ctx
from symfisher.verification.registry import Identity, select
from symfisher.verification.report import Outcome, Row, VerifyReport
from symfisher.verification.shared import Shared, derive_shared

if TYPE_CHECKING:
    from symfisher.families.base import Family

__all__ = ["verify"]


def _family(fam: Family | str) -> Family:
    if isinstance(fam, str):
        from symfisher.families.registry import family

        return family(fam)
    return fam


def _nonregular(ident: Identity, fam: Family) -> Outcome:
    return Outcome(Status.FAILS, None, "regularity check", f"non-regular: {fam.irregularity}")


def _budgeted(fn: Callable[..., Any], arg: Any, budget: float) -> Any:
    """``run_with_budget(fn, arg)``: on timeout the child and all it started are killed."""
    from symfisher._runtime.budget import run_with_budget

    return run_with_budget(fn, arg, seconds=budget)


def _run_one(ident: Identity, ctx: Ctx, budget: float) -> Outcome:
    from symfisher.errors import BudgetExceeded

    try:
        res = _budgeted(ident.check, ctx, budget)
    except BudgetExceeded:
        return Outcome(Status.INCONCLUSIVE, None, "", f"time budget of {budget:g} s exceeded")
    if res.error is not None:
        return Outcome(Status.INCONCLUSIVE, None, "", f"could not be checked: {res.error}")
    return res.value


def _score_residual(fam: Family, ctx: Ctx, budget: float) -> Outcome:
    """E[score] of a non-regular family (shows why it fails), within the budget."""
    from symfisher.verification.checks.score import score_mean_zero

    out = _run_one(Identity("score_mean_zero", "", "", score_mean_zero), ctx, budget)
    reason = f"non-regular: {fam.irregularity}"
    return Outcome(
        Status.FAILS, out.residual, out.method or "regularity check", reason + (f"; {out.reason}" if out.reason else "")
    )


def _check(ident: Identity, ctx: Ctx, budget: float, shared: Shared) -> Outcome:
    fam = ctx.fam
    if ident.applies is not None:
        try:
            why = ident.applies(fam)
        except Exception as exc:  # noqa: BLE001 - reported in the row
            return Outcome(Status.INCONCLUSIVE, None, "", f"applicability check failed: {exc!r}")
        if why:
            return Outcome(Status.NOT_APPLICABLE, None, "", why)
    if ident.regular and not fam.regular:
        if ident.name == "score_mean_zero":
            return _score_residual(fam, ctx, budget)
        return _nonregular(ident, fam)
    blocked = shared.blocker(ident.name)
    if blocked is not None:
        return Outcome(Status.INCONCLUSIVE, None, "", blocked)
    return _run_one(ident, ctx, budget)


_PRELOAD = (
    "symfisher.derive.check.integrate",
    "symfisher.derive.geometry.connections",
    "symfisher.derive.geometry.curvature",
    "symfisher.derive.divergence",
    "symfisher.derive.expectation.engine",
    "symfisher.derive.expfam",
    "symfisher.derive.fisher.api",
    "symfisher.derive.score",
    "symfisher.derive.smooth",
    "symfisher.families.iid",
    "symfisher.geometry.geodesic",
    "symfisher.numeric.kernel",
    "symfisher.codegen",
    "scipy.integrate",
    "numba",
)
"""Modules the checks import: imported once here, so every forked check inherits them
instead of paying the import (SciPy, Numba) again in its own child process."""


def _preload() -> None:
    """Import the modules of :data:`_PRELOAD` in this process (idempotent, no derivation)."""
    import importlib

    for name in _PRELOAD:
        importlib.import_module(name)
    from numba.core.registry import cpu_target

    cpu_target.target_context.refresh()  # Numba's one-off set-up before its first kernel


def _warm_body(fam: Family) -> bool:
    from symfisher.derive.fisher.api import fisher
    from symfisher.derive.score import hessian, score

    score(fam), hessian(fam)
    if fam.regular:
        fisher(fam)
    return True


def _warm(fam: Family, budget: float) -> None:
    """Derive score, Hessian and Fisher matrix once, under the budget, then load them here.

    The derivation runs in a budgeted child like the checks (it fills the core's disk
    cache). When it succeeds, the same calls are repeated in this process — now disk
    and memory cache hits — so every forked check inherits them in memory instead of
    re-deriving the score and Hessian and re-reading the cache. A failure or timeout
    resurfaces per identity as ``inconclusive``.
    """
    from symfisher.errors import BudgetExceeded

    try:
        res = _budgeted(_warm_body, fam, budget)
    except BudgetExceeded:
        return
    if res.error is None:
        _warm_body(fam)


MIN_DPS = 10
"""Fewest mpmath digits: a numeric residual passes below 10^(-dps/2), so fewer digits
would accept residuals of 1e-4 and more as agreement."""


def _check_options(points: Any, dps: Any, budget: Any) -> None:
    """Refuse options under which a report would claim checks that did not happen."""
    from symfisher.errors import DomainError

    if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or points < 1:
        raise DomainError(
            f"verify: points={points!r} must be a positive integer "
            "(with no points, numeric checks would pass without checking anything)"
        )
    if isinstance(dps, bool) or not isinstance(dps, (int, np.integer)) or dps < MIN_DPS:
        raise DomainError(
            f"verify: dps={dps!r} must be an integer >= {MIN_DPS} (a residual passes below "
            "10^(-dps/2); fewer digits would accept visible disagreement)"
        )
    if not isinstance(budget, (int, float, np.integer, np.floating)) or not budget > 0 or not np.isfinite(budget):
        raise DomainError(f"verify: budget={budget!r} must be a positive number of seconds")


def verify(
    fam: Family | str,
    identities: Any = None,
    *,
    points: int = 3,
    dps: int = 30,
    budget: float = 60.0,
    progress: Callable[[Row], None] | None = None,
) -> VerifyReport:
    """Check textbook identities of information geometry for a family.

    Parameters
    ----------
    fam : Family or str
        A family (or a catalog name).
    identities : str or sequence of str, optional
        Names from :func:`symfisher.verification.registry.identity_names`; default all.
    points : int
        Number of random parameter points for numeric checks (seeded by the family).
    dps : int
        Decimal digits of the mpmath evaluations; a numeric residual passes below
        10^(−dps/2) (relative).
    budget : float
        Seconds per identity; a check that runs out is ``inconclusive``.
    progress : callable, optional
        Called with each :class:`Row` as soon as it is done.

    Returns
    -------
    VerifyReport
        ``.ok`` and ``.rows`` (identity, status, residual, method, reason).

    Raises
    ------
    ValueError
        An unknown identity name (the message lists the valid ones).

    Examples
    --------
    >>> import symfisher as sf
    >>> rep = sf.verify("poisson", identities=["score_mean_zero"])   # doctest: +SKIP
    >>> rep.ok, rep.rows[0].status.value                             # doctest: +SKIP
    (True, 'proved')
    """
    from symfisher.derive.check.points import sample_points

    _check_options(points, dps, budget)
    start = time.perf_counter()
    chosen = select(identities)
    fam = _family(fam)
    _preload()
    _warm(fam, budget)
    pts = tuple(sample_points(fam, points, salt="verify"))
    shared = derive_shared(fam, {i.name for i in chosen}, budget, _budgeted, pts, dps) if fam.regular else Shared()
    ctx = Ctx(fam, pts, dps, shared.values, shared.notes)
    rows = []
    for ident in chosen:
        t0 = time.perf_counter()
        out = _check(ident, ctx, budget, shared)
        row = Row(fam.name, ident.name, out.status, out.residual, out.method, out.reason, time.perf_counter() - t0)
        rows.append(row)
        if progress is not None:
            progress(row)
    return VerifyReport(fam.name, tuple(rows), time.perf_counter() - start)
