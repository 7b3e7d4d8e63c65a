"""The numeric cross-check of a closed-form Fisher matrix (and of normalisation).

Every closed form the engine returns is compared with numeric expectations at a few
deterministic pseudo-random parameter points inside the domains and constraints:
E[s sᵀ] always, and −E[∇²ℓ] as well where the pointwise Hessian is valid. The total
mass E[1] is checked at the same time, which rejects non-normalised user densities.
A disagreement raises :class:`~symfisher.errors.DerivationError` naming the entry,
the point and both values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp

from symfisher.derive.check.integrate import Expectations, numeric_expectations
from symfisher.derive.check.points import sample_points
from symfisher.derive.score import hessian, score
from symfisher.errors import DerivationError, SymfisherError
from symfisher.families.protocol import FamilyLike

__all__ = [
    "CheckReport",
    "cross_check",
    "check_normalised",
    "DEFAULT_DPS",
    "MONTE_CARLO",
    "method_tolerance",
    "mass_check",
]

DEFAULT_DPS = 30
_QUAD_TOL = 1e-10
_MC_SIGMAS = 6.0
_MASS_TOL = 1e-8
MONTE_CARLO = "monte-carlo"


@dataclass(frozen=True)
class CheckReport:
    """How a closed form was verified.

    Attributes
    ----------
    method : str
        ``"mpmath-quad"``, ``"mpmath-sum"``, ``"finite-sum"``, ``"gauss-hermite"``,
        ``"stick-breaking-quad"`` (all at ``dps`` digits) or ``"monte-carlo"`` (float64,
        the fallback for simplex densities that do not separate).
    points : tuple of str
        The parameter points (as ``"mu=1/2, sigma=3/2"``).
    residual : float
        Largest relative deviation between closed form and numeric value (for Monte
        Carlo: in units of standard errors).
    tolerance : float
        The acceptance threshold of ``residual``.
    dps : int
        Working precision of the mpmath methods (0 for Monte Carlo, which works in float64).
    hessian_checked : bool
        Whether −E[∇²ℓ] was compared as well as E[s sᵀ].
    resolution : float
        The real resolution of the check: the smallest relative deviation of an entry it
        is guaranteed to detect (for Monte Carlo ``tolerance`` standard errors relative to
        the entry, at the worst entry; otherwise ``tolerance``).
    """

    method: str
    points: tuple[str, ...]
    residual: float
    tolerance: float
    dps: int
    hessian_checked: bool
    resolution: float = float("nan")

    def __str__(self) -> str:
        what = "E[s s^T] and -E[Hessian]" if self.hessian_checked else "E[s s^T]"
        mc = self.method == MONTE_CARLO
        unit = " std errors" if mc else " (relative)"
        prec = "float64" if mc else f"dps={self.dps}"
        return (
            f"{what} by {self.method} at {len(self.points)} point(s), {prec}: "
            f"residual {self.residual:.2e}{unit} <= {self.tolerance:.0e}; "
            f"resolves relative deviations >= {self.resolution:.1e}"
        )


def _fmt_point(point: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(point.items(), key=lambda kv: kv[0].name))


def _integrands(fam: FamilyLike, hessian_valid: bool) -> tuple[list[sp.Expr], Any, list[tuple[int, int, str]]]:
    """Base expressions (score, −Hessian entries), how to combine them, and the index.

    The products s_i s_j are formed numerically from the p score components, which is
    much cheaper than evaluating p(p+1)/2 symbolic products at every node.
    """
    s = score(fam)
    p = s.rows
    pairs = [(i, j) for i in range(p) for j in range(i, p)]
    exprs = list(s)
    index = [(i, j, "E[s s^T]") for i, j in pairs]
    if hessian_valid:
        h = hessian(fam)
        exprs += [-h[i, j] for i, j in pairs]
        index += [(i, j, "-E[Hessian]") for i, j in pairs]

    def combine(vals: Any) -> list[Any]:
        prods = [vals[i] * vals[j] for i, j in pairs]
        return prods + list(vals[p:])

    return exprs, combine, index


def _closed_value(entry: sp.Expr, point: dict, dps: int) -> Any:
    val = sp.N(sp.sympify(entry).xreplace(point), dps)
    if not val.is_number:
        raise DerivationError(f"closed form {entry} still has free symbols {val.free_symbols} at {_fmt_point(point)}")
    return mpmath.mpmathify(complex(val).real if val.is_real is False else str(sp.re(val)))


def method_tolerance(got: Expectations) -> float:
    """Acceptance threshold of a numeric method: relative, or standard errors for Monte Carlo."""
    return _MC_SIGMAS if got.method == MONTE_CARLO else max(_QUAD_TOL, got.rel_tol)


def mass_check(fam: Any, got: Expectations, point: dict) -> None:
    """Raise :class:`SymfisherError` when the total mass ``got.values[0]`` is not 1."""
    mass = got.values[0]
    tol = _MC_SIGMAS * got.std_errors[0] if got.method == MONTE_CARLO else _MASS_TOL
    if abs(mass - 1) > tol:
        raise SymfisherError(
            f"the density of {getattr(fam, 'name', 'the family')} is not normalised: its total mass "
            f"is {mpmath.nstr(mass, 12)} (not 1) at {_fmt_point(point)}; include the normalising constant"
        )


def _deviation(closed: Any, num: Any, scale: Any, got: Expectations, k: int) -> float:
    if got.method == MONTE_CARLO:
        return float(abs(closed - num) / (got.std_errors[k] + 1e-300))
    return float(abs(closed - num) / max(scale, mpmath.mpf(10) ** -25))


def _resolution(got: Expectations, k: int, scale: Any) -> float:
    """Smallest relative deviation of entry k this comparison detects."""
    if got.method == MONTE_CARLO:
        return float(_MC_SIGMAS * got.std_errors[k] / max(scale, mpmath.mpf(10) ** -25))
    return method_tolerance(got)


def _compare(matrix: sp.MatrixBase, got: Expectations, index: list, point: dict, dps: int) -> tuple[float, float]:
    closed = {(i, j): _closed_value(matrix[i, j], point, dps) for i, j, _ in index}
    diag = {i: abs(closed[(i, i)]) for i in range(matrix.rows)}
    worst, resolution = 0.0, 0.0
    tol = method_tolerance(got)
    for k, (i, j, what) in enumerate(index, start=1):
        num = got.values[k]
        scale = max(abs(num), mpmath.sqrt(diag[i] * diag[j]))
        dev = _deviation(closed[(i, j)], num, scale, got, k)
        worst = max(worst, dev)
        resolution = max(resolution, _resolution(got, k, scale))
        if dev > tol:
            raise DerivationError(
                f"numeric cross-check failed for I[{i}, {j}] = {matrix[i, j]}: closed form gives "
                f"{mpmath.nstr(closed[(i, j)], 15)}, {what} by {got.method} gives {mpmath.nstr(num, 15)} "
                f"at {_fmt_point(point)} (deviation {dev:.2e} > {tol:.0e})"
            )
    return worst, resolution


def cross_check(
    fam: FamilyLike,
    matrix: sp.MatrixBase,
    *,
    hessian_valid: bool = True,
    n_points: int | None = None,
    dps: int = DEFAULT_DPS,
) -> CheckReport:
    """Verify a closed-form Fisher matrix numerically.

    Parameters
    ----------
    fam : Family or family-like
        The family the matrix belongs to.
    matrix : sympy.Matrix
        The claimed Fisher information, shape (p, p), in the order of ``fam.params``.
    hessian_valid : bool
        Also compare with −E[∇²ℓ] (only where the pointwise Hessian is valid).
    n_points : int, optional
        Number of parameter points (default 3 for p = 1, else 2).
    dps : int
        Working precision (decimal digits).

    Returns
    -------
    CheckReport

    Raises
    ------
    DerivationError
        When an entry disagrees (the message names entry, point and values).
    SymfisherError
        When the density is not normalised.

    Examples
    --------
    >>> from symfisher.families.base import Family
    >>> x = sp.Symbol("x"); lam = sp.Symbol("lam", positive=True)
    >>> fam = Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo))
    >>> cross_check(fam, sp.Matrix([[1 / lam**2]])).method
    'mpmath-quad'
    """
    p = len(fam.params)
    points = sample_points(fam, n_points or (3 if p == 1 else 2))
    exprs, combine, index = _integrands(fam, hessian_valid)
    worst, resolution, method, tol = 0.0, 0.0, "", 0.0
    for point in points:
        got = numeric_expectations(fam, exprs, point, dps, combine)
        with mpmath.workdps(dps):
            mass_check(fam, got, point)
            dev, res = _compare(matrix, got, index, point, dps)
        worst, resolution = max(worst, dev), max(resolution, res)
        method, tol = got.method, method_tolerance(got)
    return CheckReport(
        method,
        tuple(_fmt_point(pt) for pt in points),
        worst,
        tol,
        0 if method == MONTE_CARLO else dps,
        hessian_valid,
        resolution,
    )


def check_normalised(fam: FamilyLike, n_points: int = 2, dps: int = 20) -> None:
    """Raise :class:`SymfisherError` when the density does not integrate (sum) to 1.

    Parameters
    ----------
    fam : Family or family-like
        The family; checked at ``n_points`` deterministic parameter points.
    n_points : int
        Number of points.
    dps : int
        Working precision.

    Examples
    --------
    >>> from symfisher.families.base import Family
    >>> x = sp.Symbol("x"); lam = sp.Symbol("lam", positive=True)
    >>> check_normalised(Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo)))
    """
    for point in sample_points(fam, n_points, salt="normalisation"):
        got = numeric_expectations(fam, [], point, dps)
        with mpmath.workdps(dps):
            mass_check(fam, got, point)
