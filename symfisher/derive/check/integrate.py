"""Numeric expectations E_θ[f(x)] for the cross-check, at one parameter point.

All integrands of one check (the normalisation 1, the products s_i s_j, the
Hessian entries) are evaluated together: a vector function of x is memoised per
node, so mpmath's quadrature evaluates the density and score once per node however
many entries are checked. Methods, by support:

- one continuous variable: mpmath tanh–sinh quadrature, support split at the kinks
  of non-smooth terms and at location-like parameter values (``"mpmath-quad"``);
- one integer variable: direct summation (a finite range exactly; an infinite one
  until the terms are negligible) (``"mpmath-sum"``);
- finite sets of points (vector data too): exact finite sums (``"finite-sum"``);
- ℝ^d with a log-density quadratic in x and polynomial integrands: a tensor
  Gauss–Hermite rule in mpmath with enough nodes for the degree, exact up to rounding
  (``"gauss-hermite"``, :mod:`~.hermite`);
- the simplex: stick-breaking coordinates separate a Dirichlet-type density and its
  integrands into one-dimensional tanh–sinh quadratures, exact up to quadrature
  (``"stick-breaking-quad"``, :mod:`~.simplex`); a density that does not separate
  falls back to seeded importance-sampling Monte Carlo, judged in standard errors and
  labelled so (``"monte-carlo"``, float64, no ``dps``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from symfisher.derive.check.expectations import Expectations
from symfisher.derive.check.hermite import gauss_hermite_expectations
from symfisher.derive.smooth import non_smooth_terms
from symfisher.errors import DerivationError
from symfisher.families.protocol import FamilyLike
from symfisher.families.sets import Simplex

__all__ = ["Expectations", "numeric_expectations"]


def _support_sets(fam: FamilyLike) -> tuple[Any, ...]:
    sup = fam.support
    return tuple(sup) if isinstance(sup, tuple) else (sup,)


_EXP_CLAMP = mpmath.mpf(10) ** 1000


def _safe_exp(v: Any) -> Any:
    """exp that clamps huge arguments (quadrature nodes far in a tail reach x ~ 1e100,
    where exp(exp(x)) would make mpmath compute log 2 to billions of digits); a clamped
    value only ever multiplies a density that underflows to 0 there."""
    if mpmath.im(v) == 0:
        v = mpmath.re(v)
        if v > _EXP_CLAMP:
            return mpmath.exp(_EXP_CLAMP)
        if v < -_EXP_CLAMP:
            return mpmath.mpf(0)
    return mpmath.exp(v)


Combine = Callable[[Sequence[Any]], Sequence[Any]]


def _vector_fn(
    fam: FamilyLike, exprs: Sequence[sp.Expr], point: dict, module: str, combine: Combine | None = None
) -> Callable[..., Any]:
    """x ↦ (p(x), p(x) g_1(x), ...) as a plain function of the data variables.

    g = combine(f(x)) when ``combine`` is given (e.g. the products s_i s_j formed
    numerically from the score components), else g = f.
    """
    consts = sorted(point, key=lambda sym: sym.name)
    ell = sp.sympify(fam.logpdf)
    modules = [{"exp": _safe_exp}, "mpmath"] if module == "mpmath" else module
    try:
        fn = sp.lambdify([*fam.variables, *consts], [ell, *exprs], modules=modules, cse=True)
    except ValueError as exc:  # Python's int-to-str limit: an exact number of > 4300 digits
        raise DerivationError(
            f"the numeric check cannot evaluate {fam.name}: {exc} (an exact number in the "
            "density is too large; fix smaller constants)"
        ) from None
    if module == "mpmath":
        values = [mpmath.mpmathify(str(sp.N(point[c], mpmath.mp.dps + 10))) for c in consts]
    else:
        values = [float(point[c]) for c in consts]

    def vec(*xs: Any) -> list[Any]:
        out = fn(*xs, *values)
        dens = _safe_exp(out[0]) if module == "mpmath" else np.exp(out[0])
        vals = combine(out[1:]) if combine is not None else out[1:]
        return [dens, *[dens * v for v in vals]]

    return vec


def _split_points(fam: Any, point: dict, lo: Any, hi: Any, exprs: Sequence[sp.Expr] = ()) -> list[Any]:
    """Interior split points: kinks of non-smooth terms (of ℓ and of the integrands,
    e.g. |x − μ₂| in a KL integrand) and location-like values."""
    x = fam.variables[0]
    cands: set[Any] = set()
    terms = list(non_smooth_terms(sp.sympify(fam.logpdf), fam.variables, fam.params))
    for e in exprs:  # every non-smooth term in x (x counts as its own "parameter" here)
        terms += non_smooth_terms(sp.sympify(e), [x], [x])
    for t in terms:
        for arg in t.term.args:
            arg = sp.sympify(arg).xreplace(point)
            if arg.free_symbols == {x} and arg.is_polynomial(x) and sp.degree(arg, x) == 1:
                cands.add(sp.solve(arg, x)[0])
    for s in fam.params:
        if fam.domains.get(s, sp.Reals) == sp.Reals:
            cands.add(point[s])
    inside = sorted((c for c in cands if c.is_real and lo < c < hi), key=float)
    return [mpmath.mpmathify(str(sp.N(c, mpmath.mp.dps + 5))) for c in inside]


def _quad_1d(fam: FamilyLike, exprs: Sequence[sp.Expr], point: dict, dps: int, combine: Combine | None) -> Expectations:
    (interval,) = _support_sets(fam)
    interval = interval.xreplace(point) if hasattr(interval, "xreplace") else interval
    if interval == sp.Reals:
        interval = sp.Interval(-sp.oo, sp.oo)
    lo, hi = interval.inf, interval.sup
    with mpmath.workdps(dps):
        vec = _vector_fn(fam, exprs, point, "mpmath", combine)
        memo: dict[Any, list[Any]] = {}

        def comp(k: int) -> Callable[[Any], Any]:
            def f(t: Any) -> Any:
                if t not in memo:
                    memo[t] = vec(t)
                return memo[t][k]

            return f

        ends = [mpmath.mpmathify(str(sp.N(lo, dps + 5))) if lo.is_finite else -mpmath.inf]
        ends += _split_points(fam, point, lo, hi, exprs)
        ends.append(mpmath.mpmathify(str(sp.N(hi, dps + 5))) if hi.is_finite else mpmath.inf)
        width = 1 + (len(combine([0] * len(exprs))) if combine is not None else len(exprs))
        values = tuple(mpmath.quad(comp(k), ends) for k in range(width))
    return Expectations(values, "mpmath-quad", 10.0 ** (-(dps // 2)))


def _sum_1d(fam: FamilyLike, exprs: Sequence[sp.Expr], point: dict, dps: int, combine: Combine | None) -> Expectations:
    (rng_set,) = _support_sets(fam)
    rng_set = rng_set.xreplace(point)
    if isinstance(rng_set, sp.FiniteSet):
        return _finite(fam, exprs, point, dps, combine)
    lo = int(rng_set.inf)
    hi = int(rng_set.sup) if rng_set.sup.is_finite else None
    with mpmath.workdps(dps + 5):
        vec = _vector_fn(fam, exprs, point, "mpmath", combine)
        total: list[Any] = []
        quiet, k = 0, lo
        while hi is None or k <= hi:
            terms = vec(k)
            total = [a + b for a, b in zip(total, terms)] if total else list(terms)
            small = all(abs(t) <= mpmath.mpf(10) ** (-dps - 3) * (1 + abs(s)) for t, s in zip(terms, total))
            quiet = quiet + 1 if small else 0
            if hi is None and quiet >= 20:
                break
            k += 1
            if k - lo > 2_000_000:
                raise DerivationError("numeric check: the series did not converge in 2e6 terms")
    return Expectations(tuple(total), "mpmath-sum", 10.0 ** (-(dps // 2)))


def _finite_points(fam: FamilyLike, point: dict) -> list[tuple[Any, ...]]:
    sets = _support_sets(fam)
    if len(sets) == 1 and isinstance(sets[0], sp.FiniteSet):
        pts = [tuple(e) if isinstance(e, (sp.Tuple, tuple)) else (e,) for e in sets[0].xreplace(point)]
        return pts
    ranges = []
    for s in sets:
        s = s.xreplace(point)
        if not (isinstance(s, (sp.Range, sp.FiniteSet)) and s.sup.is_finite):
            raise DerivationError(f"numeric check: support component {s} is not finite")
        ranges.append(list(s))
    return list(itertools.product(*ranges))


def _finite(fam: FamilyLike, exprs: Sequence[sp.Expr], point: dict, dps: int, combine: Combine | None) -> Expectations:
    with mpmath.workdps(dps):
        vec = _vector_fn(fam, exprs, point, "mpmath", combine)
        total: list[Any] = []
        for pt in _finite_points(fam, point):
            terms = vec(*pt)
            total = [a + b for a, b in zip(total, terms)] if total else list(terms)
    return Expectations(tuple(total), "finite-sum", 10.0 ** (-(dps // 2)))


def numeric_expectations(
    fam: Any, exprs: Sequence[sp.Expr], point: dict, dps: int = 30, combine: Combine | None = None
) -> Expectations:
    """E_θ[1], E_θ[f_1], …, E_θ[f_m] at the parameter point ``point``.

    Parameters
    ----------
    fam : Family or family-like
        The family (its support selects the method).
    exprs : sequence of sympy.Expr
        The integrands f_k(x) (parameters and fixed constants are substituted).
    point : dict
        Values of every parameter and fixed constant.
    dps : int
        Working precision in decimal digits (mpmath methods).
    combine : callable, optional
        Maps the values of ``exprs`` at one x to the integrands (e.g. products of
        score components formed numerically); default: the values themselves.

    Returns
    -------
    Expectations
        ``values[0]`` is the total mass (1 for a normalised density).
    """
    sets = _support_sets(fam)
    if isinstance(fam.support, Simplex) or len(fam.variables) > 1:
        if isinstance(fam.support, Simplex):
            from symfisher.derive.check.mc import monte_carlo_simplex
            from symfisher.derive.check.simplex import simplex_expectations

            exact = simplex_expectations(fam, exprs, point, dps, combine)
            return exact if exact is not None else monte_carlo_simplex(fam, exprs, point, combine=combine)
        if all(isinstance(s, (sp.FiniteSet, sp.Range)) for s in sets):
            return _finite(fam, exprs, point, dps, combine)
        exact = gauss_hermite_expectations(fam, exprs, point, dps, combine)
        if exact is not None:
            return exact
        raise DerivationError(
            f"numeric check: no numeric method for the {len(fam.variables)}-variate support {fam.support} "
            "(exact rules exist for a Gaussian density with polynomial integrands and for separable "
            "densities on the simplex)"
        )
    if fam.is_discrete or isinstance(sets[0], sp.FiniteSet):
        return _sum_1d(fam, exprs, point, dps, combine)
    return _quad_1d(fam, exprs, point, dps, combine)
