"""Exact numeric expectations of polynomials under Gaussian vector data (mpmath).

When the log-density is a concave quadratic in x ∈ ℝ^d at the check point, x = m + L z
with z ~ N(0, I_d), Σ = L Lᵀ = (−∇²ℓ)⁻¹ and m = Σ ∇ℓ(0). A tensor Gauss–Hermite rule
with n nodes per axis integrates every polynomial of degree ≤ 2n − 1 in each z_i
exactly, so n is chosen from the total degree of the integrands; nodes, weights, mean
and Cholesky factor are computed in mpmath at the working precision, so the result is
exact up to rounding at ``dps`` digits (``"gauss-hermite"``). The total mass is
exp ℓ(m) √((2π)^d det Σ) in closed form. Smooth non-polynomial integrands (e.g.
e^{wᵀx} x xᵀ) get rules of 10, 20, 40 and 80 nodes per axis until two agree to 1e-12
(``"gauss-hermite-converged"``, its resolution stated); others get ``None``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from symfisher._runtime.caches import memo
from symfisher.derive.check.expectations import Expectations

__all__ = ["gauss_hermite_expectations", "hermite_rule"]

_MAX_NODES = 40  # degree ≤ 79: far beyond any score product; caps the tensor grid
_MAX_GRID = 10_000  # nodes of a converging tensor rule (80² in 2-D; 3-D stops at 20³)
_CONVERGED = 1e-12  # two successive rules agreeing this closely count as converged (resolution 10x that)


def _hermite_pair(n: int, x: Any) -> tuple[Any, Any]:
    """(He_n(x), He_{n−1}(x)) by the three-term recurrence He_{k+1} = x He_k − k He_{k−1}."""
    prev, cur = mpmath.mpf(1), x
    for k in range(1, n):
        prev, cur = cur, x * cur - k * prev
    return cur, prev


@memo(maxsize=32)
def _rule_at(n: int, prec: int) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    with mpmath.workprec(prec):
        seeds, _ = np.polynomial.hermite_e.hermegauss(n)
        nodes = []
        for z0 in seeds:
            z = mpmath.mpf(float(z0))
            for _ in range(60):  # Newton, He_n' = n He_{n-1}: quadratic from ~16 digits
                he, he1 = _hermite_pair(n, z)
                step = he / (n * he1)
                z -= step
                if abs(step) <= mpmath.eps * (1 + abs(z)):
                    break
            nodes.append(z)
        weights = [mpmath.factorial(n - 1) / (n * _hermite_pair(n, z)[1] ** 2) for z in nodes]
    return tuple(nodes), tuple(weights)


def hermite_rule(n: int) -> tuple[list[Any], list[Any]]:
    """Probabilists' Gauss–Hermite rule with weights summing to 1, at the current precision.

    Nodes are the roots of He_n (float64 nodes refined by Newton's method in mpmath);
    weights w_i = (n − 1)!/(n He_{n−1}(z_i)²). Exact for polynomials of degree ≤ 2n − 1
    under N(0, 1). Cached by (n, precision).

    Examples
    --------
    >>> nodes, weights = hermite_rule(2)
    >>> [float(z) for z in sorted(nodes)], [float(w) for w in weights]
    ([-1.0, 1.0], [0.5, 0.5])
    """
    nodes, weights = _rule_at(n, mpmath.mp.prec)
    return list(nodes), list(weights)


def _mp(e: sp.Expr, dps: int) -> Any:
    return mpmath.mpmathify(str(sp.N(e, dps + 5)))


def _degree(e: sp.Expr, xs: set) -> int | None:
    """An upper bound of the total degree of ``e`` in ``xs``, or None if not a polynomial.

    Recursive (Add → max, Mul → sum, Pow → times its exponent), so products of long
    score components are never expanded.
    """
    if not e.free_symbols & xs:
        return 0
    if e in xs:
        return 1
    if isinstance(e, sp.Add):
        parts = [_degree(a, xs) for a in e.args]
        return None if None in parts else max(parts)  # type: ignore[type-var]
    if isinstance(e, sp.Mul):
        parts = [_degree(a, xs) for a in e.args]
        return None if None in parts else sum(parts)  # type: ignore[arg-type]
    if isinstance(e, sp.Pow) and e.exp.is_Integer and e.exp >= 0:
        inner = _degree(e.base, xs)
        return None if inner is None else inner * int(e.exp)
    return None


def _combined_degree(fs: Sequence[sp.Expr], xs: list[sp.Symbol], combine: Any) -> int | None:
    """Degree bound of the integrands ``combine(fs)``: combine applied to t**deg(f)."""
    degs = [_degree(f, set(xs)) for f in fs]
    if None in degs:
        return None
    if combine is None:
        return max(degs, default=0)  # type: ignore[type-var]
    t = sp.Dummy("t")
    return max((sp.degree(sp.expand(c), t) if c != 0 else 0 for c in combine([t**d for d in degs])), default=0)


def _smooth(fs: Sequence[sp.Expr]) -> bool:
    """No piecewise, absolute-value or distributional pieces (Gauss–Hermite converges fast)."""
    rough = (sp.Abs, sp.sign, sp.Max, sp.Min, sp.Heaviside, sp.Piecewise, sp.DiracDelta, sp.floor, sp.ceiling)
    return not any(f.has(*rough) for f in fs)


def _gaussian(ell: sp.Expr, xs: list[sp.Symbol], dps: int) -> tuple[Any, Any, Any] | None:
    """Mean m, Cholesky factor L of Σ and the total mass of exp ℓ, or None if not concave."""
    prec = mpmath.matrix([[_mp(e, dps) for e in row] for row in (-sp.hessian(ell, xs)).tolist()])
    g0 = mpmath.matrix([_mp(sp.diff(ell, v).subs({w: 0 for w in xs}), dps) for v in xs])
    try:
        cov = prec**-1
        chol = mpmath.cholesky(cov)
    except (ZeroDivisionError, ValueError):
        return None
    mean = cov * g0
    at_mean = sp.lambdify(xs, ell, "mpmath")(*[mean[i] for i in range(len(xs))])
    mass = mpmath.exp(at_mean) * mpmath.sqrt((2 * mpmath.pi) ** len(xs) * mpmath.det(cov))
    return mean, chol, mass


def _rule(fn: Any, gauss: tuple[Any, Any, Any], n: int, d: int, combine: Any) -> list[Any]:
    """Σ_nodes w f(m + L z) · mass with the n-point rule per axis (length: the integrands)."""
    mean, chol, mass = gauss
    nodes, weights = hermite_rule(n)
    total: list[Any] = []
    for idx in itertools.product(range(n), repeat=d):
        x = mean + chol * mpmath.matrix([nodes[i] for i in idx])
        w = mass * mpmath.fprod(weights[i] for i in idx)
        vals = fn(*[x[i] for i in range(d)])
        vals = list(combine(vals)) if combine is not None else vals
        total = [t + w * v for t, v in zip(total, vals)] if total else [w * v for v in vals]
    return total


def _converged(fn: Any, gauss: tuple[Any, Any, Any], d: int, combine: Any, dps: int) -> tuple[list[Any], float] | None:
    """Rules of 10, 20, 40, 80 nodes per axis until two agree; (values, observed relative change)."""
    prev: list[Any] | None = None
    for n in (10, 20, 40, 80):
        if n**d > _MAX_GRID:
            return None
        cur = _rule(fn, gauss, n, d, combine)
        if prev is not None:
            change = max(
                (float(abs(a - b) / max(abs(b), mpmath.mpf(10) ** -dps)) for a, b in zip(cur, prev)), default=0.0
            )
            if change <= _CONVERGED:
                return cur, change
        prev = cur
    return None


def gauss_hermite_expectations(
    fam: Any, exprs: Sequence[sp.Expr], point: dict, dps: int = 30, combine: Any = None
) -> Expectations | None:
    """∫ p, ∫ p f_1, … for Gaussian data: exact for polynomials, converged for smooth f; else None.

    Parameters
    ----------
    fam : Family or family-like
        d data variables on ℝ^d.
    exprs : sequence of sympy.Expr
        Integrands f_k(x).
    point : dict
        Values of every parameter, fixed constant and other free symbol.
    dps : int
        Decimal digits.
    combine : callable, optional
        Maps the values of the integrands at a node to the ones to average.

    Returns
    -------
    Expectations or None
        ``values[0]`` is the total mass exp ℓ(m) √((2π)^d det Σ). Method
        ``"gauss-hermite"`` (polynomials: exact) or ``"gauss-hermite-converged"`` (smooth
        integrands: rules of 10, 20, 40, 80 nodes per axis until two agree to 1e-12; the
        resolution states the observed change). None when ℓ is not a concave quadratic,
        an integrand is not smooth, or the rules do not converge.
    """
    xs = list(fam.variables)
    ell = sp.expand(sp.sympify(fam.logpdf).xreplace(point))
    fs = [sp.sympify(f).xreplace(point) for f in exprs]
    if _degree(ell, set(xs)) != 2:
        return None
    deg = _combined_degree(fs, xs, combine)
    with mpmath.workdps(dps + 10):
        gauss = _gaussian(ell, xs, dps + 10)
        if gauss is None:
            return None
        fn = sp.lambdify(xs, fs, "mpmath", cse=True)
        if deg is not None and deg <= 2 * _MAX_NODES - 1:
            total = _rule(fn, gauss, max(1, (deg + 2) // 2), len(xs), combine)
            return Expectations((gauss[2], *total), "gauss-hermite", 10.0 ** (-(dps // 2)))
        got = _converged(fn, gauss, len(xs), combine, dps) if _smooth(fs) else None
    if got is None:
        return None
    return Expectations((gauss[2], *got[0]), "gauss-hermite-converged", max(10.0 ** (-(dps // 2)), 10 * got[1]))
