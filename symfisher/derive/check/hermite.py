"""Exact numeric expectations of polynomials under Gaussian vector data (mpmath).

When the log-density is a concave quadratic in x ∈ ℝ^d at the check point, x = m + L z
with z ~ N(0, I_d), Σ = L Lᵀ = (−∇²ℓ)⁻¹ and m = Σ ∇ℓ(0). A tensor Gauss–Hermite rule
with n nodes per axis integrates every polynomial of degree ≤ 2n − 1 in each z_i
exactly, so n is chosen from the total degree of the integrands; nodes, weights, mean
and Cholesky factor are computed in mpmath at the working precision, so the result is
exact up to rounding at ``dps`` digits (``"gauss-hermite"``). The total mass is
exp ℓ(m) √((2π)^d det Σ) in closed form. Integrands that are not polynomials in x get
``None``: no rule of this kind is exact for them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import mpmath
import sympy as sp

from symfisher.derive.check.expectations import Expectations

__all__ = ["gauss_hermite_expectations", "hermite_rule"]

_MAX_NODES = 40  # degree ≤ 79: far beyond any score product; caps the tensor grid


def hermite_rule(n: int) -> tuple[list[Any], list[Any]]:
    """Probabilists' Gauss–Hermite rule with weights summing to 1, at the current precision.

    Nodes are the roots of He_n; weights w_i = (n − 1)!/(n He_{n−1}(z_i)²). Exact for
    polynomials of degree ≤ 2n − 1 under N(0, 1).

    Examples
    --------
    >>> nodes, weights = hermite_rule(2)
    >>> [float(z) for z in sorted(nodes)], [float(w) for w in weights]
    ([-1.0, 1.0], [0.5, 0.5])
    """
    z = sp.Symbol("z")
    he = sp.Poly(sp.hermite_prob(n, z), z)
    roots = mpmath.polyroots([mpmath.mpf(int(c)) for c in he.all_coeffs()], maxsteps=400, extraprec=2 * mpmath.mp.prec)
    nodes = [mpmath.re(r) for r in roots]
    prev = sp.lambdify(z, sp.hermite_prob(n - 1, z), "mpmath")
    weights = [mpmath.factorial(n - 1) / (n * prev(x) ** 2) for x in nodes]
    return nodes, weights


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


def gauss_hermite_expectations(
    fam: Any, exprs: Sequence[sp.Expr], point: dict, dps: int = 30, combine: Any = None
) -> Expectations | None:
    """∫ p, ∫ p f_1, … for Gaussian data and polynomial integrands, exactly; else None.

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
        ``values[0]`` is the total mass exp ℓ(m) √((2π)^d det Σ); None when ℓ is not a concave quadratic or an integrand
        is not a polynomial in x.
    """
    xs = list(fam.variables)
    ell = sp.expand(sp.sympify(fam.logpdf).xreplace(point))
    fs = [sp.sympify(f).xreplace(point) for f in exprs]
    if _degree(ell, set(xs)) != 2:
        return None
    deg = _combined_degree(fs, xs, combine)
    if deg is None or deg > 2 * _MAX_NODES - 1:
        return None
    n = max(1, (deg + 2) // 2)
    with mpmath.workdps(dps + 10):
        prec = mpmath.matrix([[_mp(e, dps + 10) for e in row] for row in (-sp.hessian(ell, xs)).tolist()])
        g0 = mpmath.matrix([_mp(sp.diff(ell, v).subs({w: 0 for w in xs}), dps + 10) for v in xs])
        try:
            cov = prec**-1
            chol = mpmath.cholesky(cov)
        except (ZeroDivisionError, ValueError):
            return None
        mean = cov * g0
        nodes, weights = hermite_rule(n)
        fn = sp.lambdify(xs, [ell, *fs], "mpmath", cse=True)
        at_mean = fn(*[mean[i] for i in range(len(xs))])[0]
        mass = mpmath.exp(at_mean) * mpmath.sqrt((2 * mpmath.pi) ** len(xs) * mpmath.det(cov))
        total: list[Any] = []
        for idx in itertools.product(range(n), repeat=len(xs)):
            x = mean + chol * mpmath.matrix([nodes[i] for i in idx])
            w = mass * mpmath.fprod(weights[i] for i in idx)
            vals = fn(*[x[i] for i in range(len(xs))])[1:]
            vals = list(combine(vals)) if combine is not None else vals
            total = [t + w * v for t, v in zip(total, vals)] if total else [w * v for v in vals]
    return Expectations((mass, *total), "gauss-hermite", 10.0 ** (-(dps // 2)))
