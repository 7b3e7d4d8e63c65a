"""The numeric cross-check of closed-form expectations E_θ[f(x, θ)], for any integrands.

:func:`check_expectations` is what every public function that returns output of the
expectation engine runs before it returns (``expectation``, ``skewness_tensor``,
``alpha_connection``, ``kl_divergence``; the Fisher matrix has its specialised
:func:`~symfisher.derive.check.core.cross_check`). Each closed form and the numeric
expectation of its integrand are evaluated at deterministic pseudo-random parameter
points (:mod:`~.points`) with the methods of :mod:`~.integrate` (mpmath quadrature or
summation, exact finite sums, exact Gauss–Hermite and stick-breaking rules, all at
``dps`` digits). A deviation beyond the method's resolution raises
:class:`~symfisher.errors.DerivationError` naming the label, the point and both values.

Deviations are relative to ``max(|E f|, |closed form|)``; where that is tiny (a zero
expectation, whose quadrature returns rounding noise), relative to the integrand's
root mean square √E[f²] instead, which a second numeric pass supplies for those labels.
Dirac deltas in an integrand (distributional Hessians) are evaluated by the sifting
property before quadrature.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp

from symfisher.derive.check.core import (
    DEFAULT_DPS,
    MONTE_CARLO,
    _closed_value,
    _fmt_point,
    mass_check,
    method_tolerance,
)
from symfisher.derive.check.expectations import Expectations
from symfisher.derive.check.integrate import numeric_expectations
from symfisher.derive.check.points import extra_values, sample_points
from symfisher.errors import DerivationError, InputError

__all__ = ["ExpectationCheck", "check_expectations"]

_TINY = mpmath.mpf(10) ** -300


@dataclass(frozen=True)
class ExpectationCheck:
    """How a set of closed-form expectations was verified.

    Attributes
    ----------
    method : str
        Numeric method (``"mpmath-quad"``, ``"mpmath-sum"``, ``"finite-sum"``,
        ``"gauss-hermite"``, ``"stick-breaking-quad"`` or ``"monte-carlo"``).
    points : tuple of str
        The parameter points, e.g. ``"mu=1/2, sigma=3/2"``.
    dps : int
        Working precision in decimal digits (0 for Monte Carlo, which is float64).
    worst : float
        Largest relative deviation between a closed form and its numeric value (for
        Monte Carlo in standard errors).
    resolution : float
        The smallest relative deviation the check is guaranteed to detect.
    labels : tuple of str
        What was checked.
    """

    method: str
    points: tuple[str, ...]
    dps: int
    worst: float
    resolution: float
    labels: tuple[str, ...]

    def __str__(self) -> str:
        prec = "float64" if self.method == MONTE_CARLO else f"dps={self.dps}"
        unit = " std errors" if self.method == MONTE_CARLO else " (relative)"
        return (
            f"{len(self.labels)} expectation(s) by {self.method} at {len(self.points)} point(s), "
            f"{prec}: worst deviation {self.worst:.2e}{unit}; resolves relative deviations "
            f">= {self.resolution:.1e}"
        )


def _sifted(fam: Any, f: sp.Expr) -> sp.Expr:
    """``f`` with every term r(x) δ(g(x)) replaced by Σ r(x₀) p(x₀)/|g'(x₀)| over the roots
    x₀ of g (the sifting property, exact), so that quadrature sees no distribution.

    Only for one data variable; a delta of several variables raises DerivationError.
    """
    f = sp.sympify(f)
    if not f.has(sp.DiracDelta):
        return f
    (x,) = fam.variables if len(fam.variables) == 1 else (None,)
    out = sp.S.Zero
    for term in sp.Add.make_args(sp.expand(f)):
        deltas = [d for d in term.atoms(sp.DiracDelta) if d.free_symbols & set(fam.variables)]
        if not deltas:
            out += term
            continue
        if x is None or len(deltas) != 1 or len(deltas[0].args) != 1 or term.has(deltas[0] ** 2):
            raise DerivationError(f"numeric check: cannot evaluate the distribution {term} numerically")
        g = deltas[0].args[0]
        r = term.xreplace({deltas[0]: sp.S.One})
        for x0 in sp.solve(g, x):
            out += (r * sp.exp(fam.logpdf)).subs(x, x0) / sp.Abs(sp.diff(g, x).subs(x, x0))
    return out


def _numeric(fam: Any, exprs: Sequence[sp.Expr], point: dict, dps: int, square: bool) -> Expectations:
    combine = (lambda vals: [v * v for v in vals]) if square else None
    got = numeric_expectations(fam, list(exprs), point, dps, combine)
    with mpmath.workdps(dps):
        mass_check(fam, got, point)
    return got


def _deviation(closed: Any, num: Any, scale: Any, got: Expectations, k: int) -> float:
    if got.method == MONTE_CARLO:
        return float(abs(closed - num) / (got.std_errors[k] + _TINY))
    return float(abs(closed - num) / max(scale, _TINY))


def _resolution(got: Expectations, k: int, scale: Any) -> float:
    if got.method == MONTE_CARLO:
        return float(method_tolerance(got) * got.std_errors[k] / max(scale, _TINY))
    return method_tolerance(got)


def _rms_scales(
    fam: Any, labels: list[str], integrands: Mapping[str, sp.Expr], point: dict, dps: int
) -> dict[str, Any]:
    """√E[f²] for the given labels (the scale of expectations that cancel to ~0)."""
    if not labels:
        return {}
    got = _numeric(fam, [integrands[lab] for lab in labels], point, dps, square=True)
    with mpmath.workdps(dps):
        return {lab: mpmath.sqrt(abs(v)) for lab, v in zip(labels, got.values[1:])}


def _check_point(
    fam: Any, integrands: Mapping[str, sp.Expr], closed_forms: Mapping[str, sp.Expr], point: dict, dps: int
) -> tuple[str, float, float]:
    labels = list(integrands)
    integrands = {lab: _sifted(fam, f) for lab, f in integrands.items()}
    got = _numeric(fam, [integrands[lab] for lab in labels], point, dps, square=False)
    tol = method_tolerance(got)
    with mpmath.workdps(dps):
        closed = {lab: _closed_value(closed_forms[lab], point, dps) for lab in labels}
        nums = dict(zip(labels, got.values[1:]))
        scales = {lab: max(abs(nums[lab]), abs(closed[lab])) for lab in labels}
        unsure = [
            lab
            for k, lab in enumerate(labels, start=1)
            if _deviation(closed[lab], nums[lab], scales[lab], got, k) > tol
        ]
    for lab, rms in _rms_scales(fam, unsure if got.method != MONTE_CARLO else [], integrands, point, dps).items():
        scales[lab] = max(scales[lab], rms)
    worst, resolution = 0.0, 0.0
    with mpmath.workdps(dps):
        for k, lab in enumerate(labels, start=1):
            dev = _deviation(closed[lab], nums[lab], scales[lab], got, k)
            worst, resolution = max(worst, dev), max(resolution, _resolution(got, k, scales[lab]))
            if dev > tol:
                raise DerivationError(
                    f"numeric cross-check failed for {lab} = {closed_forms[lab]}: the closed form gives "
                    f"{mpmath.nstr(closed[lab], 15)}, {got.method} gives {mpmath.nstr(nums[lab], 15)} "
                    f"at {_fmt_point(point)} (deviation {dev:.2e} > {tol:.0e})"
                )
    return got.method, worst, resolution


def _with_extra_symbols(
    fam: Any, integrands: Mapping[str, sp.Expr], closed_forms: Mapping[str, sp.Expr], points: Sequence[dict]
) -> list[dict]:
    """The points, completed with values for any other constant of the expressions."""
    free: set[sp.Symbol] = set()
    for e in (*integrands.values(), *closed_forms.values()):
        free |= sp.sympify(e).free_symbols
    free -= set(fam.variables)
    out = []
    for pt in points:
        missing = free - set(pt)
        out.append({**pt, **extra_values(fam, missing)} if missing else dict(pt))
    return out


def check_expectations(
    fam: Any,
    integrands: Mapping[str, sp.Expr],
    closed_forms: Mapping[str, sp.Expr],
    *,
    dps: int = DEFAULT_DPS,
    points: Sequence[dict] | None = None,
    n_points: int | None = None,
) -> ExpectationCheck:
    """Verify closed forms ``closed_forms[label] = E_θ[integrands[label]]`` numerically.

    Parameters
    ----------
    fam : Family or family-like
        The distribution of the data (``logpdf``, ``variables``, ``params``, ``support``).
    integrands : mapping of str to sympy.Expr
        Label → f(x, θ, ...): a function of the data variables, the parameters and any
        other symbol that ``points`` gives a value.
    closed_forms : mapping of str to sympy.Expr
        Label → the claimed E_θ[f] (same labels).
    dps : int
        Working precision in decimal digits (≥ 30 by default).
    points : sequence of dict, optional
        Parameter points (symbol → exact number), covering every parameter, fixed
        constant and extra symbol; default: deterministic points inside the domains and
        constraints (:func:`~symfisher.derive.check.points.sample_points`). Other
        constants of the expressions that a point leaves open get deterministic values
        from their assumptions (:func:`~symfisher.derive.check.points.extra_values`).
    n_points : int, optional
        Number of default points (3 for one parameter, else 2).

    Returns
    -------
    ExpectationCheck

    Raises
    ------
    DerivationError
        When a closed form disagrees (names the label, the point and both values), or a
        closed form keeps a symbol the point does not fix.
    SymfisherError
        When the density is not normalised.

    Examples
    --------
    >>> from symfisher.families.base import Family
    >>> x = sp.Symbol("x"); lam = sp.Symbol("lam", positive=True)
    >>> fam = Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo))
    >>> check_expectations(fam, {"E[x]": x}, {"E[x]": 1 / lam}).method
    'mpmath-quad'
    """
    if set(integrands) != set(closed_forms):
        raise InputError(f"labels differ: integrands {sorted(integrands)}, closed forms {sorted(closed_forms)}")
    if points is None:
        count = n_points or (3 if len(fam.params) == 1 else 2)
        points = sample_points(fam, count, salt="expectations")
    points = _with_extra_symbols(fam, integrands, closed_forms, points)
    method, worst, resolution = "", 0.0, 0.0
    for point in points:
        method, dev, res = _check_point(fam, integrands, closed_forms, point, dps)
        worst, resolution = max(worst, dev), max(resolution, res)
    return ExpectationCheck(
        method,
        tuple(_fmt_point(pt) for pt in points),
        0 if method == MONTE_CARLO else dps,
        worst,
        resolution,
        tuple(integrands),
    )
