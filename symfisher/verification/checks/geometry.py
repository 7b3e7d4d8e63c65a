"""Identities of the statistical manifold: invariance, connections, divergences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mpmath
import sympy as sp

from symfisher.families.base import Family
from symfisher.options import Status
from symfisher.verification.context import Ctx, judge, judge_numbers, skewness_of
from symfisher.verification.reparam import standard_reparam
from symfisher.verification.report import Outcome

__all__ = [
    "reparametrization",
    "jeffreys_transforms",
    "curvature_invariance",
    "alpha_duality",
    "kl_second_order",
    "kl_third_order",
    "location_invariance",
    "location_scale_scaling",
]


def _fisher(fam: object) -> sp.Matrix:
    from symfisher.derive.fisher.api import fisher

    return sp.Matrix(fisher(fam))


def _to_new(ctx: Ctx, expr: sp.Expr) -> sp.Expr:
    return sp.sympify(expr).subs(standard_reparam(ctx.fam).mapping, simultaneous=True)


def _new_ctx(ctx: Ctx) -> Ctx:
    """Test points in the new coordinates η (the images of the θ points)."""
    from symfisher.verification.reparam import eta_points

    return Ctx(standard_reparam(ctx.fam).new_family, eta_points(ctx.fam, ctx.points), ctx.dps)


def _value(expr: sp.Expr, point: dict, dps: int) -> mpmath.mpf:
    """expr at ``point`` as an mpmath number (``dps + 10`` digits)."""
    val = sp.N(sp.sympify(expr).subs(point), dps + 10)
    with mpmath.workdps(dps + 10):
        return mpmath.mpc(str(sp.re(val)), str(sp.im(val))) if val.has(sp.I) else mpmath.mpf(str(val))


def _pulled_back(ctx: Ctx) -> sp.Matrix:
    """Jᵀ I_θ(θ(η)) J: the Fisher metric of θ written in the coordinates η."""
    rp = standard_reparam(ctx.fam)
    J = sp.Matrix(rp.jacobian)
    return J.T * _fisher(ctx.fam).applyfunc(lambda e: _to_new(ctx, e)) * J


def _reparam_route(ctx: Ctx) -> tuple[str, Any]:
    """("symbolic", I_η) or ("numeric", [I_η per η point, by quadrature])."""
    if "reparam_fisher" in ctx.shared:
        return "symbolic", sp.Matrix(ctx.shared["reparam_fisher"])
    if "reparam_numeric" in ctx.shared:
        return "numeric", ctx.shared["reparam_numeric"]
    return "symbolic", _fisher(standard_reparam(ctx.fam).new_family)


def _numeric_method(ctx: Ctx, what: str, key: str) -> str:
    why = ctx.notes.get(key, "")
    return f"{what}, mpmath quadrature at {len(ctx.points)} points, {ctx.dps} digits" + (
        f" (symbolic route: {why})" if why else ""
    )


def reparametrization(ctx: Ctx) -> Outcome:
    """I_η = Jᵀ I_θ(θ(η)) J with J = ∂θ/∂η (I_η derived independently).

    I_η is the reparametrised family's own Fisher matrix: derived symbolically from
    ℓ(x; θ(η)) when that is done within a short budget, else E_η[s_η s_ηᵀ] by
    quadrature at the test points (``verified numerically``).
    """
    new_ctx = _new_ctx(ctx)
    rhs = _pulled_back(ctx)
    kind, I_eta = _reparam_route(ctx)
    if kind == "symbolic":
        return judge(new_ctx, list(I_eta - rhs), list(I_eta), what="I_η ≠ Jᵀ I J:")
    with mpmath.workdps(ctx.dps + 10):
        res = [
            [I[i][j] - _value(rhs[i, j], pt, ctx.dps) for i in range(rhs.rows) for j in range(rhs.cols)]
            for I, pt in zip(I_eta, new_ctx.points)
        ]
    scales = [[e for row in I for e in row] for I in I_eta]
    method = _numeric_method(ctx, "I_η = E[s_η s_ηᵀ]", "reparam_fisher")
    return judge_numbers(new_ctx, res, scales, method, what="I_η ≠ Jᵀ I J:")


def jeffreys_transforms(ctx: Ctx) -> Outcome:
    """√det I_η = √det I_θ |det J| (Jeffreys' prior transforms as a density).

    I_η as in :func:`reparametrization` (symbolic, or by quadrature at the points).
    """
    rp = standard_reparam(ctx.fam)
    rhs = _to_new(ctx, _fisher(ctx.fam).det()) * sp.Matrix(rp.jacobian).det() ** 2
    new_ctx = _new_ctx(ctx)
    kind, I_eta = _reparam_route(ctx)
    if kind == "symbolic":
        lhs = I_eta.det()
        return judge(new_ctx, [lhs - rhs], [lhs], what="det I_η ≠ det I (det J)²:")
    with mpmath.workdps(ctx.dps + 10):
        dets = [mpmath.det(mpmath.matrix(I)) for I in I_eta]
        res = [[d - _value(rhs, pt, ctx.dps)] for d, pt in zip(dets, new_ctx.points)]
    method = _numeric_method(ctx, "det of I_η = E[s_η s_ηᵀ]", "reparam_fisher")
    return judge_numbers(new_ctx, res, [[d] for d in dets], method, what="det I_η ≠ det I (det J)²:")


CURVATURE_SECONDS = 6.0
"""Seconds for the simplified symbolic curvatures before Brioschi's formula is
evaluated numerically at the points instead."""


def curvature_invariance(ctx: Ctx) -> Outcome:
    """The Gaussian curvature is a scalar: K_η(η) = K_θ(θ(η)) (2-parameter families).

    K_η is the curvature of the metric in the coordinates η: the reparametrised
    family's own Fisher matrix when the runner derived it, else Jᵀ I_θ J (that the
    two agree is the ``reparametrization`` row's job); the check is that the
    curvature computed from derivatives in η equals K_θ carried over. When the
    simplified curvatures take over :data:`CURVATURE_SECONDS`, both are evaluated
    at the points from Brioschi's formula (derivatives of the metric, unsimplified).
    """
    from symfisher.derive.geometry.curvature import brioschi_curvature, gaussian_curvature
    from symfisher.errors import Deadline
    from symfisher.verification.context import within

    if len(ctx.fam.params) != 2:
        return Outcome(Status.NOT_APPLICABLE, None, "", "Gaussian curvature needs 2 parameters")
    rp = standard_reparam(ctx.fam)
    etas = tuple(rp.new_family.params)
    if "reparam_fisher" in ctx.shared:
        g_eta, note = sp.Matrix(ctx.shared["reparam_fisher"]), "metric: I_η of the new family"
    else:
        g_eta, note = _pulled_back(ctx), "metric: Jᵀ I_θ J in η (= I_η: reparametrization row)"
    try:
        k_new, k_old = within(
            CURVATURE_SECONDS,
            lambda: (gaussian_curvature(sp.ImmutableMatrix(g_eta), etas), _to_new(ctx, gaussian_curvature(ctx.fam))),
        )
        simplify = True
    except Deadline:
        k_new = brioschi_curvature(g_eta, etas)
        k_old = _to_new(ctx, brioschi_curvature(_fisher(ctx.fam), ctx.fam.params))
        simplify = False
        note += f"; Brioschi's formula at the points (simplified curvatures took over {CURVATURE_SECONDS:g} s)"
    out = judge(_new_ctx(ctx), [k_new - k_old], [k_old], what="curvature changed:", simplify=simplify)
    return _noted(out, note)


def alpha_duality(ctx: Ctx) -> Outcome:
    """∂_k g_ij = Γ^(α)_ki,j + Γ^(−α)_kj,i for a symbolic α."""
    from symfisher.derive.geometry.connections import alpha_connection

    a = sp.Symbol("alpha", real=True)
    T, tctx, note = skewness_of(ctx)
    g = _fisher(ctx.fam)
    th = ctx.fam.params
    ap = alpha_connection(ctx.fam, a, kind="first", skewness=T)
    am = alpha_connection(ctx.fam, -a, kind="first", skewness=T)
    p = len(th)
    res = [sp.diff(g[i, j], th[k]) - ap[k, i, j] - am[k, j, i] for i in range(p) for j in range(p) for k in range(p)]
    return _noted(judge(tctx, res, what="duality:"), note)


def _noted(out: Outcome, note: str) -> Outcome:
    """``out`` with ``note`` appended to its method column."""
    return Outcome(out.status, out.residual, f"{out.method}; {note}" if note else out.method, out.reason)


def _kl_route(ctx: Ctx) -> tuple[str, Any]:
    """("symbolic", (kl, θ₁, θ₂)) or ("numeric", KLCoefficients per test point)."""
    from symfisher.derive.divergence import kl_divergence
    from symfisher.errors import DerivationError

    if "kl" in ctx.shared:
        return "symbolic", ctx.shared["kl"]
    if "kl_numeric" in ctx.shared:
        return "numeric", ctx.shared["kl_numeric"]
    try:
        return "symbolic", kl_divergence(ctx.fam)
    except DerivationError:
        from symfisher.verification.numeric.quadrature import kl_numeric

        return "numeric", kl_numeric(ctx.fam, ctx.points, ctx.dps)


def _kl_at_diagonal(kl_t: tuple, fam: Family, order: int) -> tuple[list[sp.Expr], list]:
    """Derivatives of KL(θ₁‖θ₂) in θ₂ of the given order at θ₂ = θ₁, in θ."""
    from itertools import product

    kl, t1, t2 = kl_t
    back = dict(zip(t1, fam.params))
    back2 = dict(zip(t2, fam.params))
    p = len(t1)
    out, idx = [], []
    for ix in product(range(p), repeat=order):
        d = kl
        for i in ix:
            d = sp.diff(d, t2[i])
        out.append(d.subs(back2, simultaneous=True).subs(back, simultaneous=True))
        idx.append(ix)
    return out, idx


Coeff = Callable[[tuple[int, ...]], sp.Expr]


def _form(coeff: Coeff, order: int, v: tuple, pt: dict, dps: int) -> mpmath.mpf:
    """Σ coeff(i, j, …) vⁱ vʲ … (``order`` indices) at ``pt``."""
    from itertools import product

    total = sp.S.Zero
    for ix in product(range(len(v)), repeat=order):
        w = sp.Mul(*[v[i] for i in ix])
        if w != 0:
            total += coeff(ix) * w
    return _value(total, pt, dps)


def _kl_numeric_judge(ctx: Ctx, coeffs: list, order: int, want: Coeff, what: str) -> Outcome:
    """Quadrature coefficients c_order(v) against the form Σ want(ix) v^ix per point."""
    res, scales = [], []
    with mpmath.workdps(ctx.dps + 10):
        for pt, kc in zip(ctx.points, coeffs):
            expected = [_form(want, order, v, pt, ctx.dps) for v in kc.directions]
            got = kc.c2 if order == 2 else kc.c3
            res.append([a - b for a, b in zip(got, expected)])
            scales.append(expected)
    steps = ", ".join(str(h) for h in coeffs[0].steps)
    method = _numeric_method(
        ctx, f"KL(p_θ‖p_(θ+εv)) at ε = ±({steps}) along {len(coeffs[0].directions)} directions, Richardson", "kl"
    )
    return judge_numbers(ctx, res, scales, method, what=what)


def kl_second_order(ctx: Ctx) -> Outcome:
    """KL(p_θ‖p_{θ+d}) = ½ g_ij dⁱdʲ + O(|d|³): value and gradient vanish, Hessian = I.

    Without a closed-form KL: the ε² coefficient of KL(p_θ‖p_{θ+εv}) (quadrature at
    several ε, Richardson) equals ½ vᵀIv along directions that determine all of I.
    """
    g = _fisher(ctx.fam)
    kind, kl_t = _kl_route(ctx)
    if kind == "numeric":
        return _kl_numeric_judge(ctx, kl_t, 2, lambda ix: g[ix[0], ix[1]] / 2, "KL ε² coefficient ≠ ½ vᵀIv:")
    zero, _ = _kl_at_diagonal(kl_t, ctx.fam, 0)
    grad, _ = _kl_at_diagonal(kl_t, ctx.fam, 1)
    hess, idx = _kl_at_diagonal(kl_t, ctx.fam, 2)
    res = zero + grad + [h - g[i, j] for h, (i, j) in zip(hess, idx)]
    return judge(ctx, res, list(g), what="KL expansion:")


def kl_third_order(ctx: Ctx) -> Outcome:
    """Third-order KL term: (1/6) ∂³KL dⁱdʲdᵏ = (¼ ∂_k g_ij − (1/12) T_ijk) dⁱdʲdᵏ.

    Not applicable when ℓ is not three times differentiable in θ (a kink |x − μ|: the
    KL then has a |d|³ term). Without a closed-form KL: the ε³ coefficient of
    KL(p_θ‖p_{θ+εv}) by quadrature and Richardson, along directions that determine
    the whole cubic form.
    """
    from symfisher.derive.smooth import non_smooth_terms

    th = ctx.fam.params
    if non_smooth_terms(sp.sympify(ctx.fam.logpdf), ctx.fam.variables, th):
        return Outcome(
            Status.NOT_APPLICABLE,
            None,
            "",
            "ℓ is not three times differentiable in the parameters (the KL divergence has a |d|³ term)",
        )
    g = _fisher(ctx.fam)
    T, tctx, note = skewness_of(ctx)
    kind, kl_t = _kl_route(ctx)
    if kind == "numeric":

        def cubic(ix: tuple[int, ...]) -> sp.Expr:
            return sp.diff(g[ix[0], ix[1]], th[ix[2]]) / 4 - T[ix[0], ix[1], ix[2]] / 12

        return _noted(_kl_numeric_judge(tctx, kl_t, 3, cubic, "KL ε³ coefficient:"), note)
    d = sp.symbols(f"d0:{len(th)}")
    third, idx = _kl_at_diagonal(kl_t, ctx.fam, 3)
    lhs = sum(c * d[i] * d[j] * d[k] for c, (i, j, k) in zip(third, idx)) / 6
    rhs = sum((sp.diff(g[i, j], th[k]) / 4 - T[i, j, k] / 12) * d[i] * d[j] * d[k] for (i, j, k) in idx)
    coeffs = sp.Poly(sp.expand(lhs - rhs), *d).coeffs() if lhs != rhs else [sp.S.Zero]
    return _noted(judge(tctx, coeffs, what="third-order KL term:"), note)


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
    from symfisher.derive.geometry.curvature import gaussian_curvature

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
