"""Identities of the statistical manifold: invariance, connections, divergences."""

from __future__ import annotations

import sympy as sp

from symfisher.verification.context import Ctx, judge
from symfisher.verification.report import Outcome, Status
from symfisher.verification.reparam import standard_reparam

__all__ = [
    "reparametrization", "jeffreys_transforms", "curvature_invariance", "alpha_duality",
    "kl_second_order", "kl_third_order", "location_invariance", "location_scale_scaling",
]


def _fisher(fam: object) -> sp.Matrix:
    from symfisher.derive.fisher import fisher

    return sp.Matrix(fisher(fam))


def _to_new(ctx: Ctx, expr: sp.Expr) -> sp.Expr:
    return sp.sympify(expr).subs(standard_reparam(ctx.fam).mapping, simultaneous=True)


def _new_ctx(ctx: Ctx) -> Ctx:
    """Test points in the new coordinates η (the images of the θ points)."""
    rp = standard_reparam(ctx.fam)
    etas = rp.new_family.params
    pts = []
    for pt in ctx.points:
        new = {k: v for k, v in pt.items() if k not in ctx.fam.params}
        for th, eta in zip(ctx.fam.params, etas):
            sol = sp.solve(sp.Eq(rp.mapping[th], pt[th]), eta)
            real = [s for s in sol if s.is_real]
            if not real:
                raise ValueError(f"cannot invert the reparametrisation at {th} = {pt[th]}")
            new[eta] = real[0]
        pts.append(new)
    return Ctx(rp.new_family, tuple(pts), ctx.dps)


def reparametrization(ctx: Ctx) -> Outcome:
    """I_η = Jᵀ I_θ(θ(η)) J with J = ∂θ/∂η (I_η derived independently)."""
    rp = standard_reparam(ctx.fam)
    I_eta = _fisher(rp.new_family)
    I_theta = _fisher(ctx.fam).applyfunc(lambda e: _to_new(ctx, e))
    J = sp.Matrix(rp.jacobian)
    return judge(_new_ctx(ctx), list(I_eta - J.T * I_theta * J), list(I_eta),
                 what="I_η ≠ Jᵀ I J:")


def jeffreys_transforms(ctx: Ctx) -> Outcome:
    """√det I_η = √det I_θ |det J| (Jeffreys' prior transforms as a density)."""
    rp = standard_reparam(ctx.fam)
    lhs = _fisher(rp.new_family).det()
    rhs = _to_new(ctx, _fisher(ctx.fam).det()) * sp.Matrix(rp.jacobian).det() ** 2
    return judge(_new_ctx(ctx), [lhs - rhs], [lhs], what="det I_η ≠ det I (det J)²:")


def curvature_invariance(ctx: Ctx) -> Outcome:
    """The Gaussian curvature is a scalar: K_η(η) = K_θ(θ(η)) (2-parameter families)."""
    from symfisher.derive.curvature import gaussian_curvature

    if len(ctx.fam.params) != 2:
        return Outcome(Status.NOT_APPLICABLE, None, "", "Gaussian curvature needs 2 parameters")
    rp = standard_reparam(ctx.fam)
    k_new = gaussian_curvature(rp.new_family)
    k_old = _to_new(ctx, gaussian_curvature(ctx.fam))
    return judge(_new_ctx(ctx), [k_new - k_old], [k_old], what="curvature changed:")


def alpha_duality(ctx: Ctx) -> Outcome:
    """∂_k g_ij = Γ^(α)_ki,j + Γ^(−α)_kj,i for a symbolic α."""
    from symfisher.derive.connections import alpha_connection, skewness_tensor

    a = sp.Symbol("alpha", real=True)
    T = ctx.shared_or("skewness", skewness_tensor)
    g = _fisher(ctx.fam)
    th = ctx.fam.params
    ap = alpha_connection(ctx.fam, a, skewness=T)
    am = alpha_connection(ctx.fam, -a, skewness=T)
    p = len(th)
    res = [sp.diff(g[i, j], th[k]) - ap[k, i, j] - am[k, j, i]
           for i in range(p) for j in range(p) for k in range(p)]
    return judge(ctx, res, what="duality:")


def _kl_at_diagonal(ctx: Ctx, order: int) -> tuple[list[sp.Expr], list]:
    """Derivatives of KL(θ₁‖θ₂) in θ₂ of the given order at θ₂ = θ₁, in θ."""
    from itertools import product

    from symfisher.derive.divergence import kl_divergence

    kl, t1, t2 = ctx.shared_or("kl", kl_divergence)
    back = dict(zip(t1, ctx.fam.params))
    back2 = dict(zip(t2, ctx.fam.params))
    p = len(t1)
    out, idx = [], []
    for ix in product(range(p), repeat=order):
        d = kl
        for i in ix:
            d = sp.diff(d, t2[i])
        out.append(d.subs(back2, simultaneous=True).subs(back, simultaneous=True))
        idx.append(ix)
    return out, idx


def kl_second_order(ctx: Ctx) -> Outcome:
    """KL(p_θ‖p_{θ+d}) = ½ g_ij dⁱdʲ + O(|d|³): value and gradient vanish, Hessian = I."""
    g = _fisher(ctx.fam)
    zero, _ = _kl_at_diagonal(ctx, 0)
    grad, _ = _kl_at_diagonal(ctx, 1)
    hess, idx = _kl_at_diagonal(ctx, 2)
    res = zero + grad + [h - g[i, j] for h, (i, j) in zip(hess, idx)]
    return judge(ctx, res, list(g), what="KL expansion:")


def kl_third_order(ctx: Ctx) -> Outcome:
    """Third-order KL term: (1/6) ∂³KL dⁱdʲdᵏ = (¼ ∂_k g_ij − (1/12) T_ijk) dⁱdʲdᵏ."""
    from symfisher.derive.connections import skewness_tensor

    g = _fisher(ctx.fam)
    T = ctx.shared_or("skewness", skewness_tensor)
    th = ctx.fam.params
    d = sp.symbols(f"d0:{len(th)}")
    third, idx = _kl_at_diagonal(ctx, 3)
    lhs = sum(c * d[i] * d[j] * d[k] for c, (i, j, k) in zip(third, idx)) / 6
    rhs = sum((sp.diff(g[i, j], th[k]) / 4 - T[i, j, k] / 12) * d[i] * d[j] * d[k]
              for (i, j, k) in idx)
    coeffs = sp.Poly(sp.expand(lhs - rhs), *d).coeffs() if lhs != rhs else [sp.S.Zero]
    return judge(ctx, coeffs, what="third-order KL term:")


def _location_param(ctx: Ctx) -> sp.Symbol | None:
    fam = ctx.fam
    if len(fam.variables) != 1:
        return None
    x, c = fam.variables[0], sp.Dummy("c", real=True)
    for s in fam.params:
        if fam.domains[s] != sp.Reals:
            continue
        shifted = fam.logpdf.subs({x: x + c, s: s + c}, simultaneous=True)
        if sp.simplify(shifted - fam.logpdf) == 0:
            return s
    return None


def location_invariance(ctx: Ctx) -> Outcome:
    """For a location parameter μ (ℓ(x + c; μ + c) = ℓ(x; μ)): ∂I/∂μ = 0."""
    mu = _location_param(ctx)
    if mu is None:
        return Outcome(Status.NOT_APPLICABLE, None, "", "no location parameter")
    return judge(ctx, list(_fisher(ctx.fam).diff(mu)), what=f"I depends on {mu}:")


def _scale_param(ctx: Ctx, mu: sp.Symbol) -> sp.Symbol | None:
    fam = ctx.fam
    x, z = fam.variables[0], sp.Dummy("z", real=True)
    for s in fam.params:
        if s == mu or fam.domains[s] != sp.Interval.open(0, sp.oo):
            continue
        std = sp.simplify(sp.expand_log(fam.logpdf.subs(x, mu + s * z) + sp.log(s), force=True))
        if not std.free_symbols & {mu, s}:
            return s
    return None


def location_scale_scaling(ctx: Ctx) -> Outcome:
    """Location–scale (μ, σ): σ² I is constant in (μ, σ) and so is the curvature (p = 2).

    With further (shape) parameters only the (μ, σ) block scales as 1/σ² (the shape
    entries do not), so the check is on that block, as a function of (μ, σ).
    """
    from symfisher.derive.curvature import gaussian_curvature

    mu = _location_param(ctx)
    sigma = _scale_param(ctx, mu) if mu is not None else None
    if sigma is None:
        return Outcome(Status.NOT_APPLICABLE, None, "", "not a location–scale family")
    idx = [ctx.fam.params.index(mu), ctx.fam.params.index(sigma)]
    C = _fisher(ctx.fam).extract(idx, idx) * sigma**2
    res = [sp.diff(e, v) for e in C for v in (mu, sigma)]
    if len(ctx.fam.params) == 2:
        K = gaussian_curvature(ctx.fam)
        res += [sp.diff(K, mu), sp.diff(K, sigma)]
    return judge(ctx, res, what="σ² I or K not constant:")
