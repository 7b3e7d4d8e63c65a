"""Identities checked by high-precision numerics: limits and the Gaussian entropy."""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp

from symfisher.verification.context import Ctx, judge
from symfisher.verification.report import Outcome, Status

__all__ = ["f_divergence_second_order", "fisher_rao_consistency", "gaussian_entropy"]


def _direction(fam: Any, pt: dict) -> list[sp.Expr]:
    """A direction of size comparable to the point: 1 (real), θ (positive), θ(1−θ) ((0, 1))."""
    out = []
    for s in fam.params:
        dom, v = fam.domains[s], pt[s]
        if dom == sp.Interval.open(0, 1):
            out.append(v * (1 - v))
        elif dom == sp.Interval.open(0, sp.oo):
            out.append(v)
        else:
            out.append(sp.S.One)
    return out


def _fisher_quadratic(fam: Any, pt: dict, v: list[sp.Expr], dps: int) -> mpmath.mpf:
    from symfisher.derive.fisher import fisher

    I = sp.Matrix(fisher(fam)).subs(pt)
    vv = sp.Matrix(v)
    return mpmath.mpf(str(sp.N((vv.T * I * vv)[0, 0], dps)))


def _hellinger(fam: Any, pt: dict, v: list[sp.Expr], eps: sp.Expr, dps: int) -> mpmath.mpf:
    from symfisher.derive.check_integrate import numeric_expectations

    ell = sp.sympify(fam.logpdf)
    moved = ell.subs({s: s + eps * vi for s, vi in zip(fam.params, v)}, simultaneous=True)
    f = (sp.exp((moved - ell) / 2) - 1) ** 2  # f(t) = (√t − 1)², t = p_{θ+εv}/p_θ
    return numeric_expectations(fam, [f], pt, dps=dps).values[1]


def f_divergence_second_order(ctx: Ctx) -> Outcome:
    """D_f(p_θ‖p_{θ+εv}) = ½ f''(1) ε² vᵀIv + O(ε³), for squared Hellinger f = (√t − 1)².

    Checked at one test point with two step sizes and Richardson extrapolation.
    """
    fam, pt = ctx.fam, ctx.points[0]
    v = _direction(fam, pt)
    eps = sp.Rational(1, 10**4)
    with mpmath.workdps(ctx.dps):
        d1 = _hellinger(fam, pt, v, eps, ctx.dps) / mpmath.mpf(str(eps)) ** 2
        d2 = _hellinger(fam, pt, v, eps / 2, ctx.dps) / mpmath.mpf(str(eps / 2)) ** 2
        limit = 2 * d2 - d1
        want = _fisher_quadratic(fam, pt, v, ctx.dps) / 4  # f''(1)/2 = 1/4
        rel = abs(limit - want) / abs(want)
    method = "mpmath quadrature, ε = 1e-4 and 5e-5, Richardson"
    if rel <= 1e-6:
        return Outcome(Status.NUMERIC, float(rel), method)
    return Outcome(Status.FAILS, float(rel), method, f"limit {mpmath.nstr(limit, 12)} ≠ "
                   f"vᵀIv/4 = {mpmath.nstr(want, 12)}")


def fisher_rao_consistency(ctx: Ctx) -> Outcome:
    """d(θ, θ + εv)/ε → √(vᵀ I v) as ε → 0 (Fisher–Rao distance vs the metric)."""
    from symfisher.geodesics import fisher_rao_distance

    fam, pt = ctx.fam, ctx.points[0]
    if fam.fixed:
        fam = fam.with_fixed(**{s.name: pt[s] for s in fam.fixed})
    v = [float(e) for e in _direction(fam, pt)]
    x = [float(pt[s]) for s in fam.params]
    eps = 1e-3
    r = [fisher_rao_distance(fam, x, [a + h * b for a, b in zip(x, v)]) / h
         for h in (eps, eps / 2)]
    limit = 2 * r[1] - r[0]
    want = float(mpmath.sqrt(_fisher_quadratic(ctx.fam, pt, [sp.Float(e) for e in v], 20)))
    rel = abs(limit - want) / want
    method = "Fisher–Rao distance at ε = 1e-3, 5e-4, Richardson"
    if rel <= 1e-5:
        return Outcome(Status.NUMERIC, rel, method)
    return Outcome(Status.FAILS, rel, method, f"limit {limit:.12g} ≠ √(vᵀIv) = {want:.12g}")


def gaussian_entropy(ctx: Ctx) -> Outcome:
    """h = (d/2)(1 + log 2π) + ½ log det Σ for Gaussian data, Σ = (−∇²_x ℓ)⁻¹.

    The D-optimality link: the information about a location shift of the data is
    Σ⁻¹, so maximising log det I minimises h and the confidence-ellipsoid volume
    ∝ det Σ^½.
    """
    from symfisher.derive.expectation import expectation

    fam = ctx.fam
    xs = fam.variables
    ell = sp.sympify(fam.logpdf)
    P = sp.hessian(-ell, xs)
    if P.free_symbols & set(xs) or any(str(s) != "Reals" and s != sp.Reals
                                       for s in _supports(fam)):
        return Outcome(Status.NOT_APPLICABLE, None, "", "not a Gaussian family in x")
    d = len(xs)
    h = -expectation(sp.expand(ell), fam)
    rhs = sp.Rational(d, 2) * (1 + sp.log(2 * sp.pi)) - sp.log(P.det()) / 2
    out = judge(ctx, [h - rhs], [h], what="entropy:")
    return Outcome(out.status, out.residual, out.method,
                   "h = (d/2)(1+log 2π) − ½ log det Σ⁻¹: maximising log det of the location "
                   "information Σ⁻¹ minimises the entropy and the confidence-ellipsoid volume")


def _supports(fam: Any) -> tuple[Any, ...]:
    sup = fam.support
    return sup if isinstance(sup, tuple) else (sup,)
