"""Exact numeric expectations on the probability simplex (stick-breaking separation).

On ``Simplex(n)`` the stick-breaking coordinates u_1..u_n ∈ (0, 1),

    x_1 = u_1,  x_k = u_k (1 − u_1) ⋯ (1 − u_{k−1}),  1 − Σ x = (1 − u_1) ⋯ (1 − u_n),

with Jacobian Π_j (1 − u_j)^{n−1−j} (j = 0..n−1), turn a Dirichlet density into a
product of independent Beta densities (u_k ~ Beta(α_k, α_{k+1} + … + α_{n+1})) and
every log x_k into a sum of logs of single coordinates. When the log-density (plus the
log-Jacobian) and every integrand, expanded with their logarithms split, are sums of
products of functions of one coordinate each, the n-dimensional integral is *exactly*
a sum of products of one-dimensional integrals

    ∫_0^1 g(u) exp φ_k(u) du,

which mpmath's tanh–sinh quadrature evaluates to the working precision (its
double-exponential convergence absorbs the algebraic and logarithmic singularities at
u = 0 and u = 1). The symbolic separation is exact, so the method's resolution is that
of one-dimensional quadrature (``"stick-breaking-quad"``). Densities that do not
separate this way get ``None`` (the caller decides what to do).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import mpmath
import sympy as sp

from symfisher.derive.check.expectations import Expectations
from symfisher.errors import InputError

__all__ = ["simplex_expectations", "METHOD"]

METHOD = "stick-breaking-quad"

Term = tuple[sp.Expr, dict[int, sp.Expr]]  # coefficient, {coordinate index: factor}


def _coordinates(n: int) -> tuple[list[sp.Dummy], list[sp.Dummy], list[sp.Expr], sp.Expr, sp.Expr]:
    """u_k, v_k = 1 − u_k (as separate positive symbols), x(u), 1 − Σx, log-Jacobian."""
    u = [sp.Dummy(f"u{k}", positive=True) for k in range(n)]
    v = [sp.Dummy(f"v{k}", positive=True) for k in range(n)]
    xs = [u[k] * sp.Mul(*v[:k]) for k in range(n)]
    log_jac = sp.Add(*[(n - 1 - j) * sp.log(v[j]) for j in range(n)])
    return u, v, xs, sp.Mul(*v), log_jac


def _to_sticks(expr: sp.Expr, fam: Any, point: dict, coords: tuple) -> sp.Expr:
    u, v, xs, rest, _ = coords
    rest_sym = sp.Dummy("rest", positive=True)
    e = sp.sympify(expr).xreplace(point)
    e = e.xreplace({1 - sp.Add(*fam.variables): rest_sym})
    e = e.xreplace({**dict(zip(fam.variables, xs)), rest_sym: rest})
    return sp.expand(sp.expand_log(e, force=True))


def _index_of(factor: sp.Expr, groups: list[set]) -> int | None | bool:
    """Coordinate index a factor depends on; None for a constant; False for several."""
    hit = [k for k, g in enumerate(groups) if factor.free_symbols & g]
    if not hit:
        return None
    return hit[0] if len(hit) == 1 else False


def _separate(expr: sp.Expr, groups: list[set]) -> list[Term] | None:
    """``expr`` as Σ coef · Π_k g_k(u_k), or None when a factor mixes coordinates."""
    out: list[Term] = []
    for term in sp.Add.make_args(expr):
        coef: sp.Expr = sp.S.One
        factors: dict[int, sp.Expr] = {}
        for f in sp.Mul.make_args(term):
            k = _index_of(f, groups)
            if k is False:
                return None
            if k is None:
                coef *= f
            else:
                factors[k] = factors.get(k, sp.S.One) * f
        out.append((coef, factors))
    return out


def _split_density(ell: sp.Expr, groups: list[set]) -> tuple[sp.Expr, list[sp.Expr]] | None:
    """ℓ + log J = const + Σ_k φ_k(u_k), or None when an additive term mixes coordinates."""
    const, phis = sp.S.Zero, [sp.S.Zero] * len(groups)
    for term in sp.Add.make_args(ell):
        k = _index_of(term, groups)
        if k is False:
            return None
        if k is None:
            const += term
        else:
            phis[k] += term
    return const, phis


def _number(e: sp.Expr, dps: int) -> Any:
    val = sp.N(e, dps + 10)
    if not val.is_number:
        raise InputError(f"{e} is not a number at the check point")
    return mpmath.mpmathify(str(sp.re(val)))


def _one_dim(phi: sp.Expr, factors: list[sp.Expr], u: sp.Dummy, v: sp.Dummy, dps: int) -> list[Any]:
    """∫_0^1 g(u) exp φ(u) du for every g in ``factors`` (tanh–sinh, shared nodes)."""
    t = sp.Dummy("t")
    exprs = [e.xreplace({u: t, v: 1 - t}) for e in (phi, *factors)]
    fn = sp.lambdify([t], exprs, modules="mpmath")
    memo: dict[Any, list[Any]] = {}

    def comp(i: int) -> Callable[[Any], Any]:
        def f(x: Any) -> Any:
            if x not in memo:
                vals = fn(x)
                w = mpmath.exp(vals[0])
                memo[x] = [w * g for g in vals[1:]]
            return memo[x][i]

        return f

    return [mpmath.quad(comp(i), [0, 1]) for i in range(len(factors))]


def simplex_expectations(
    fam: Any, exprs: Sequence[sp.Expr], point: dict, dps: int = 30, combine: Any = None
) -> Expectations | None:
    """∫ p, ∫ p f_1, …, ∫ p f_m over ``Simplex(n)`` exactly (up to quadrature), or None.

    Parameters
    ----------
    fam : Family or family-like
        Support ``Simplex(n)``, n data variables.
    exprs : sequence of sympy.Expr
        The integrands f_k(x).
    point : dict
        Values of every parameter, fixed constant and other free symbol of the integrands.
    dps : int
        Decimal digits (the quadratures work with 10 guard digits).
    combine : callable, optional
        Maps the integrands (applied symbolically here) to the ones to average.

    Returns
    -------
    Expectations or None
        Method ``"stick-breaking-quad"``; None when the density or an integrand does
        not separate in stick-breaking coordinates.
    """
    n = len(fam.variables)
    coords = _coordinates(n)
    u, v = coords[0], coords[1]
    groups = [{u[k], v[k]} for k in range(n)]
    ints = list(combine(list(exprs))) if combine is not None else list(exprs)
    density = _split_density(_to_sticks(fam.logpdf, fam, point, coords) + coords[4], groups)
    separated = [_separate(_to_sticks(f, fam, point, coords), groups) for f in ints]
    if density is None or any(s is None for s in separated):
        return None
    const, phis = density
    needed: list[list[sp.Expr]] = [[sp.S.One] for _ in range(n)]
    for terms in separated:
        for _coef, factors in terms:  # type: ignore[union-attr]
            for k, g in factors.items():
                if g not in needed[k]:
                    needed[k].append(g)
    with mpmath.workdps(dps + 10):
        tables = [dict(zip(needed[k], _one_dim(phis[k], needed[k], u[k], v[k], dps))) for k in range(n)]
        scale = mpmath.exp(_number(const, dps))
        mass = scale * mpmath.fprod(tables[k][sp.S.One] for k in range(n))
        values = [mass]
        for terms in separated:
            total = mpmath.mpf(0)
            for coef, factors in terms:  # type: ignore[union-attr]
                total += _number(coef, dps) * mpmath.fprod(tables[k][factors.get(k, sp.S.One)] for k in range(n))
            values.append(scale * total)
    return Expectations(tuple(values), METHOD, 10.0 ** (-(dps // 2)))
