"""Numeric routes of the verifier, for objects with no closed form in time.

Two identities need an object the symbolic engine may not deliver within a short
budget: the Fisher matrix of a reparametrised family (``reparametrization``,
``jeffreys_transforms``) and the KL divergence (``kl_second_order``,
``kl_third_order``). Both are computed here independently of the symbolic Fisher
matrix of the original family, by mpmath quadrature (or summation) of the family's
own log-density at the test points:

* ``fisher_by_quadrature``: I(θ) = E_θ[s sᵀ] with s = ∇_θ ℓ differentiated from ℓ;
* ``kl_coefficients``: KL(p_θ‖p_{θ+εv}) at ε = ±h, ±h/2, ±h/4, … ; its even part
  / ε² → c₂(v) and its odd part / ε³ → c₃(v) by Richardson extrapolation in ε².
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import mpmath
import sympy as sp

from symfisher.families.base import Family

__all__ = [
    "expectations_at",
    "fisher_by_quadrature",
    "skewness_by_quadrature",
    "KLCoefficients",
    "kl_coefficients",
    "kl_directions",
    "param_scales",
    "EXTRA_DPS",
]

EXTRA_DPS = 20
"""Guard digits of the quadratures beyond the check's ``dps`` (the KL's even and odd
parts at ε ≈ 1e-3 cancel about 3·3 = 9 digits)."""

_H0 = {True: sp.Rational(1, 1000), False: sp.Rational(1, 10**4)}
_LEVELS = {True: 3, False: 5}
_POWERS = {True: (2, 4, 6), False: (1, 2, 3, 4)}

IndexT = TypeVar("IndexT", bound=tuple[int, ...])
"""An index tuple of score components, e.g. ``(i, j)`` or ``(i, j, k)``."""


_PRECISE = frozenset({"mpmath-quad", "mpmath-sum", "finite-sum"})
"""Methods of :func:`~symfisher.derive.check.integrate.numeric_expectations` that work
at the requested precision (the others: Monte Carlo, float64 Gauss–Hermite)."""


def _precise(got: Any) -> Any:
    """``got`` if its method works at the requested mpmath precision, else DerivationError.

    Monte Carlo (simplex supports) and float64 Gauss–Hermite (vector Gaussian data)
    cannot support a 10^(−dps/2) comparison: no numeric stand-in is offered then.
    """
    from symfisher.errors import DerivationError

    if got.method not in _PRECISE:
        raise DerivationError(f"numeric route: {got.method} reaches only a relative accuracy of {got.rel_tol:g}")
    return got


def _hermite_rule(n: int) -> tuple[list[Any], list[Any]]:
    """Probabilists' Gauss–Hermite rule (weights sum to 1) at the current precision.

    Nodes are the roots of He_n; weights n!/(n He_{n−1}(z)²)/√(2π)·√(2π) normalised,
    i.e. w_i = (n − 1)!/(n He_{n−1}(z_i)²). Exact for polynomials of degree ≤ 2n − 1
    under N(0, 1).
    """
    z = sp.Symbol("z")
    he = sp.Poly(sp.hermite_prob(n, z), z)
    nodes = mpmath.polyroots([mpmath.mpf(int(c)) for c in he.all_coeffs()], maxsteps=200, extraprec=2 * mpmath.mp.prec)
    prev = sp.lambdify(z, sp.hermite_prob(n - 1, z), "mpmath")
    weights = [mpmath.factorial(n - 1) / (n * prev(mpmath.re(x)) ** 2) for x in nodes]
    return [mpmath.re(x) for x in nodes], weights


def _gaussian_poly_expectations(fam: Family, exprs: Sequence[sp.Expr], point: dict, dps: int) -> list[Any] | None:
    """E[f_k] under Gaussian data for polynomial f_k, exactly up to rounding, or None.

    When ℓ is a concave quadratic in x ∈ ℝ^d at ``point`` and every integrand is a
    polynomial in x of total degree ≤ 2n − 1 (n = 6), the tensor Gauss–Hermite rule
    x = m + L z (Σ = L Lᵀ = (−∇²ℓ)⁻¹, m = Σ ∇ℓ(0)) integrates it exactly; evaluated
    with mpmath at ``dps`` digits. None when these conditions do not hold.
    """
    xs = list(fam.variables)
    ell = sp.expand(sp.sympify(fam.logpdf).xreplace(point))
    fs = [sp.expand(sp.sympify(e).xreplace(point)) for e in exprs]
    n = 6
    try:
        if sp.Poly(ell, *xs).total_degree() != 2 or any(
            sp.Poly(f, *xs).total_degree() > 2 * n - 1 for f in fs if f != 0
        ):
            return None
    except sp.PolificationFailed:
        return None
    prec = -sp.hessian(ell, xs)
    grad0 = sp.Matrix([sp.diff(ell, v).subs({u: 0 for u in xs}) for v in xs])
    with mpmath.workdps(dps):
        P = mpmath.matrix([[mpmath.mpmathify(str(sp.N(e, dps + 5))) for e in row] for row in prec.tolist()])
        g0 = mpmath.matrix([mpmath.mpmathify(str(sp.N(e, dps + 5))) for e in grad0])
        cov = P**-1
        mean = cov * g0
        L = mpmath.cholesky(cov)
        nodes, weights = _hermite_rule(n)
        fn = sp.lambdify(xs, fs, "mpmath")
        total = [mpmath.mpf(0)] * len(fs)
        for idx in itertools.product(range(n), repeat=len(xs)):
            z = mpmath.matrix([nodes[i] for i in idx])
            w = mpmath.fprod(weights[i] for i in idx)
            x = mean + L * z
            vals = fn(*[x[i] for i in range(len(xs))])
            total = [t + w * v for t, v in zip(total, vals)]
    return total


def expectations_at(fam: Family, exprs: Sequence[sp.Expr], point: dict, dps: int) -> list[Any]:
    """E_θ[f_k] at one point to about ``dps`` digits (length K), or DerivationError.

    mpmath quadrature/summation for one data variable and finite supports; an exact
    Gauss–Hermite rule in mpmath for polynomial integrands under Gaussian vector data.
    Other supports (Monte Carlo, float64 rules) cannot reach that accuracy and raise.
    """
    from symfisher.derive.check.integrate import numeric_expectations

    if len(fam.variables) > 1:
        got = _gaussian_poly_expectations(fam, exprs, point, dps)
        if got is not None:
            return got
    res = _precise(numeric_expectations(fam, exprs, point, dps))
    with mpmath.workdps(dps):
        return [v / res.values[0] for v in res.values[1:]]


def fisher_by_quadrature(fam: Family, point: dict, dps: int) -> mpmath.matrix:
    """I(θ) = E_θ[s sᵀ] at one point, by quadrature/summation of the family's own ℓ.

    Parameters
    ----------
    fam : Family
        A regular family with p parameters.
    point : dict
        Values of every parameter and fixed constant.
    dps : int
        Decimal digits of the quadrature.

    Returns
    -------
    mpmath.matrix
        Shape (p, p).

    Examples
    --------
    >>> import symfisher as sf, sympy as sp
    >>> fam = sf.family("poisson"); (lam,) = fam.params
    >>> I = fisher_by_quadrature(fam, {lam: sp.Rational(3, 2)}, 20)     # doctest: +SKIP
    >>> mpmath.nstr(I[0, 0], 10)                                        # doctest: +SKIP
    '0.6666666667'
    """
    p = len(fam.params)
    got = score_moments(fam, point, dps, [(i, j) for i in range(p) for j in range(i, p)])
    with mpmath.workdps(dps):
        out = mpmath.matrix(p, p)
        for (i, j), v in got.items():
            out[i, j] = out[j, i] = v
    return out


def score_moments(fam: Family, point: dict, dps: int, indices: Sequence[IndexT]) -> dict[IndexT, Any]:
    """``E_θ[s_i s_j ...]`` for each index tuple at one point, by quadrature/summation.

    Parameters
    ----------
    fam : Family
    point : dict
        Values of every parameter and fixed constant.
    dps : int
        Decimal digits of the quadrature.
    indices : sequence of tuple of int
        Products of score components to average, e.g. ``[(0, 0), (0, 1)]``.

    Returns
    -------
    dict
        Index tuple → mpmath number (normalised by the quadrature's total mass).
    """
    from symfisher.derive.check.integrate import numeric_expectations

    ell = sp.sympify(fam.logpdf)
    s = [sp.diff(ell, t) for t in fam.params]

    def combine(vals: Sequence[Any]) -> list[Any]:
        return [math.prod((vals[i] for i in ix), start=1) for ix in indices]

    got = _precise(numeric_expectations(fam, s, point, dps, combine))
    with mpmath.workdps(dps):
        return {ix: got.values[n] / got.values[0] for n, ix in enumerate(indices, start=1)}


def skewness_by_quadrature(fam: Family, point: dict, dps: int) -> dict[tuple[int, int, int], Any]:
    """T_ijk = E_θ[s_i s_j s_k] (i ≤ j ≤ k) at one point, by quadrature/summation.

    Parameters
    ----------
    fam : Family
        A regular family with p parameters.
    point : dict
        Values of every parameter and fixed constant.
    dps : int
        Decimal digits of the quadrature.

    Returns
    -------
    dict
        (i, j, k) with i ≤ j ≤ k → mpmath number; p(p+1)(p+2)/6 entries.

    Examples
    --------
    >>> import symfisher as sf, sympy as sp
    >>> fam = sf.family("poisson"); (lam,) = fam.params
    >>> T = skewness_by_quadrature(fam, {lam: sp.Integer(2)}, 20)        # doctest: +SKIP
    >>> mpmath.nstr(T[0, 0, 0], 10)                                     # doctest: +SKIP
    '0.25'
    """
    p = len(fam.params)
    return score_moments(fam, point, dps, [(i, j, k) for i in range(p) for j in range(i, p) for k in range(j, p)])


def param_scales(fam: Family, point: dict) -> list[sp.Expr]:
    """Step scale per parameter: θ (positive), θ(1 − θ) (in (0, 1)), 1 otherwise."""
    out = []
    for s in fam.params:
        dom, v = fam.domains[s], point[s]
        if dom == sp.Interval.open(0, 1):
            out.append(v * (1 - v))
        elif dom == sp.Interval.open(0, sp.oo):
            out.append(v)
        else:
            out.append(sp.S.One)
    return out


def kl_directions(p: int) -> list[tuple[int, ...]]:
    """Unit directions e_i, e_i ± e_j (i < j) and, for p ≥ 3, e_i + e_j + e_k.

    Their values determine every coefficient of a quadratic and of a cubic form in p
    variables, so checking c₂ and c₃ along them checks the whole Hessian and the whole
    third-derivative tensor of the KL divergence.
    """
    from itertools import combinations

    dirs = [tuple(int(i == a) for i in range(p)) for a in range(p)]
    for a, b in combinations(range(p), 2):
        dirs.append(tuple(int(i in (a, b)) for i in range(p)))
        dirs.append(tuple(int(i == a) - int(i == b) for i in range(p)))
    for trio in combinations(range(p), 3):
        dirs.append(tuple(int(i in trio) for i in range(p)))
    return dirs


@dataclass(frozen=True)
class KLCoefficients:
    """Expansion coefficients of ε ↦ KL(p_θ‖p_{θ+εv}) at one point, per direction.

    Attributes
    ----------
    directions : tuple of tuple of sympy.Expr
        The vectors v (already scaled by :func:`param_scales`), length D each p.
    c2, c3 : tuple of mpmath.mpf
        Extrapolated ε² and ε³ coefficients (length D); c3 is None for a
        non-smooth family, whose expansion has |ε|³ terms.
    err2, err3 : tuple of mpmath.mpf
        |difference of the last two extrapolants| (an error estimate), length D.
    steps : tuple of sympy.Rational
        The step sizes h used (ε = ±h).
    """

    directions: tuple[tuple[sp.Expr, ...], ...]
    c2: tuple[Any, ...]
    c3: tuple[Any, ...] | None
    err2: tuple[Any, ...]
    err3: tuple[Any, ...] | None
    steps: tuple[sp.Rational, ...]


def _richardson(values: Sequence[Any], powers: Sequence[int]) -> tuple[Any, Any]:
    """Extrapolate a(h_k), h_k = h₀/2^k, to h → 0 eliminating the given powers of h."""
    row = list(values)
    prev = row[-1]
    for pw in powers[: len(values) - 1]:
        prev = row[-1]
        f = mpmath.mpf(2) ** pw
        row = [(f * row[k + 1] - row[k]) / (f - 1) for k in range(len(row) - 1)]
    return row[-1], abs(row[-1] - prev)


def _kinks(fam: Family, exprs: Sequence[sp.Expr], point: dict) -> list[sp.Expr]:
    """x where a non-smooth term (|a x + b|, ...) of an integrand switches, at ``point``."""
    from symfisher.derive.smooth import non_smooth_terms

    x = fam.variables[0]
    out: set[sp.Expr] = set()
    for e in exprs:
        for t in non_smooth_terms(e, fam.variables, fam.params):
            for arg in t.term.args:
                arg = sp.expand(sp.sympify(arg).xreplace(point))
                if arg.free_symbols == {x} and arg.is_polynomial(x) and sp.degree(arg, x) == 1:
                    out.add(sp.solve(arg, x)[0])
    return sorted(out, key=float)


def _quad_with_kinks(fam: Family, exprs: Sequence[sp.Expr], point: dict, dps: int) -> list[Any]:
    """[E[1], E[f_1], …] for one continuous variable, split at every integrand's kinks.

    The kinks of ℓ(x; θ + εv) move with ε; the generic quadrature splits only at the
    kinks of ℓ(x; θ), and tanh–sinh across a kink loses most of its digits.
    """
    (support,) = fam.support if isinstance(fam.support, tuple) else (fam.support,)
    support = sp.Interval(-sp.oo, sp.oo) if support == sp.Reals else support.xreplace(point)
    x = fam.variables[0]
    ell = sp.sympify(fam.logpdf).xreplace(point)
    fn = sp.lambdify([x], [ell, *[sp.sympify(e).xreplace(point) for e in exprs]], modules="mpmath", cse=True)
    with mpmath.workdps(dps):
        ends = [
            mpmath.mpf(str(sp.N(c, dps + 5)))
            for c in [support.inf, *_kinks(fam, [ell, *exprs], point), support.sup]
            if c.is_finite and support.inf <= c <= support.sup
        ]
        ends = ([] if support.inf.is_finite else [-mpmath.inf]) + ends + ([] if support.sup.is_finite else [mpmath.inf])
        memo: dict[Any, list[Any]] = {}

        def comp(k: int) -> Any:
            def f(t: Any) -> Any:
                if t not in memo:
                    vals = fn(t)
                    dens = mpmath.exp(vals[0])
                    memo[t] = [dens, *[dens * v for v in vals[1:]]]
                return memo[t][k]

            return f

        return [mpmath.quad(comp(k), ends) for k in range(len(exprs) + 1)]


def kl_coefficients(fam: Family, point: dict, dps: int, smooth: bool = True) -> KLCoefficients:
    """ε² and ε³ coefficients of KL(p_θ‖p_{θ+εv}) by quadrature and Richardson.

    KL(ε) = E_θ[ℓ(x; θ) − ℓ(x; θ + εv)] is integrated at ε = ±h_k, h_k = 10⁻³/2^k
    (k = 0, 1, 2; one quadrature pass for all of them) with ``dps + EXTRA_DPS`` digits.
    For a smooth family (KL(−ε) + KL(ε))/(2ε²) = c₂ + c₄ε² + … and
    (KL(ε) − KL(−ε))/(2ε³) = c₃ + c₅ε² + …, extrapolated in ε². For a non-smooth one
    (a kink such as |x − μ|) the even part has odd powers of |ε| too, so all powers
    |ε|¹…|ε|⁴ are eliminated (h_k = 10⁻⁴/2^k, k = 0…4) and c₃ is not defined.

    Parameters
    ----------
    fam : Family
        A regular family with p parameters.
    point : dict
        Values of every parameter and fixed constant.
    dps : int
        Digits wanted.
    smooth : bool
        Whether ℓ is smooth in θ.

    Returns
    -------
    KLCoefficients

    Examples
    --------
    >>> import symfisher as sf, sympy as sp
    >>> fam = sf.family("poisson"); (lam,) = fam.params
    >>> kc = kl_coefficients(fam, {lam: sp.Integer(2)}, 20)             # doctest: +SKIP
    >>> mpmath.nstr(kc.c2[0], 8), mpmath.nstr(kc.c3[0], 8)              # doctest: +SKIP
    ('1.0', '-0.66666667')
    """
    from symfisher.derive.check.integrate import numeric_expectations

    ell = sp.sympify(fam.logpdf)
    scales = param_scales(fam, point)
    dirs = [tuple(u * c for u, c in zip(d, scales)) for d in kl_directions(len(fam.params))]
    levels = _LEVELS[smooth]
    steps = tuple(_H0[smooth] / 2**k for k in range(levels))
    exprs = []
    for v in dirs:
        for h in steps:
            for sign in (1, -1):
                moved = {t: t + sign * h * vi for t, vi in zip(fam.params, v)}
                exprs.append(ell - ell.subs(moved, simultaneous=True))
    work = dps + EXTRA_DPS
    if smooth:
        got = _precise(numeric_expectations(fam, exprs, point, work)).values
    else:
        got = _quad_with_kinks(fam, exprs, point, work)
    c2, c3, e2, e3 = [], [], [], []
    with mpmath.workdps(work):
        for d in range(len(dirs)):
            kl = got[1 + 2 * levels * d : 1 + 2 * levels * (d + 1)]
            hs = [mpmath.mpf(h.p) / h.q for h in steps]
            even = [(kl[2 * k] + kl[2 * k + 1]) / (2 * hs[k] ** 2) for k in range(levels)]
            odd = [(kl[2 * k] - kl[2 * k + 1]) / (2 * hs[k] ** 3) for k in range(levels)]
            val, err = _richardson(even, _POWERS[smooth])
            c2.append(val)
            e2.append(err)
            if smooth:
                val, err = _richardson(odd, _POWERS[smooth])
                c3.append(val)
                e3.append(err)
    return KLCoefficients(
        tuple(dirs), tuple(c2), tuple(c3) if smooth else None, tuple(e2), tuple(e3) if smooth else None, steps
    )


def kl_numeric(fam: Family, points: tuple[dict, ...], dps: int) -> tuple[Any, ...]:
    """KL expansion coefficients by quadrature at every test point."""
    from symfisher.derive.smooth import non_smooth_terms

    smooth = not non_smooth_terms(sp.sympify(fam.logpdf), fam.variables, fam.params)
    return tuple(kl_coefficients(fam, pt, dps, smooth) for pt in points)
