"""Exponential-family identities (full-rank families ℓ = η(θ)·T(x) − A(θ) + h(x)).

Natural parameters η and mean parameters μ = E[T] are used as coordinates through
their Jacobians J = ∂η/∂θ and K = ∂μ/∂θ, so no inversion θ(η) is ever needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from symfisher._runtime.caches import memo
from symfisher.errors import DerivationError
from symfisher.families.base import Family
from symfisher.options import Status
from symfisher.verification.context import Ctx, judge, skewness_of
from symfisher.verification.report import Outcome

__all__ = [
    "expfam_fisher_cov",
    "expfam_log_partition",
    "expfam_observed_expected",
    "e_flat_natural",
    "m_flat_mean",
    "legendre_duality",
    "cramer_rao_attained",
    "score_factorisation",
    "expfam_reason",
    "expfam_data",
]

EXPFAM_IDENTITIES: frozenset[str] = frozenset(
    {
        "expfam_fisher_cov",
        "expfam_log_partition",
        "expfam_observed_expected",
        "e_flat_natural",
        "m_flat_mean",
        "legendre_duality",
        "cramer_rao_attained",
        "score_factorisation",
    }
)
"""Identities that apply only to full-rank exponential families (``applies=expfam_reason``
in the registry; a test keeps the two in step). They share the ``"expfam"`` object."""


@dataclass(frozen=True)
class _EF:
    T: tuple[sp.Expr, ...]
    eta: sp.Matrix
    A: sp.Expr
    J: sp.Matrix
    mean: sp.Matrix
    cov: sp.Matrix


def _E(expr: sp.Expr, fam: Any) -> sp.Expr:
    from symfisher.derive.expectation.engine import closed_expectation

    return closed_expectation(sp.expand(expr), fam)


def expfam_reason(fam: Family) -> str | None:
    """None for a full-rank exponential family; otherwise why the identities do not apply."""
    from symfisher.derive.expfam import detect_expfam

    form = detect_expfam(fam)
    if form is None:
        return "not an exponential family"
    if not form.full_rank:
        return f"curved exponential family ({len(form.statistics)} statistics, {len(form.params)} parameters)"
    J = sp.Matrix(len(form.natural), len(form.params), lambda i, j: sp.diff(form.natural[i], form.params[j]))
    if sp.simplify(J.det()) == 0:
        return "natural parameters are not identified (∂η/∂θ singular)"
    return None


def _ef_of(ctx: Ctx) -> _EF:
    """The exponential-family data, precomputed by the runner when it could be."""
    return ctx.shared_or("expfam", expfam_data)


@memo(maxsize=32)
def expfam_data(fam: Family) -> _EF:
    """Statistics T, natural parameters η, log-partition A, J = ∂η/∂θ, E[T], Cov(T)."""
    from symfisher.derive.expfam import detect_expfam

    form = detect_expfam(fam)
    if form is None:  # callers check expfam_reason first; say so plainly if one did not
        raise DerivationError(f"{getattr(fam, 'name', fam)}: not an exponential family (no expfam data)")
    th = form.params
    eta = sp.Matrix(form.natural)
    J = eta.jacobian(th)
    mean = sp.Matrix([_E(t, fam) for t in form.statistics])
    k = len(form.statistics)
    cov = sp.Matrix(k, k, lambda i, j: _E(form.statistics[i] * form.statistics[j], fam) - mean[i] * mean[j])
    return _EF(tuple(form.statistics), eta, form.log_partition, J, mean, cov)


def _inv(M: sp.Matrix) -> sp.Matrix:
    """Inverse by the adjugate (no pivoting, no expansion): fast on large entries."""
    return M.inv(method="ADJ") if M.rows <= 3 else M.inv()


def _fisher(fam: Family) -> sp.Matrix:
    from symfisher.derive.fisher.api import fisher

    return sp.Matrix(fisher(fam))


def _hess_eta_A(ctx: Ctx) -> sp.Matrix:
    """∇²_η A = J⁻ᵀ (∇²_θ A − Σ_k μ_k ∂²_θ η_k) J⁻¹ (chain rule, μ = ∇_η A)."""
    ef, th = _ef_of(ctx), ctx.fam.params
    H = sp.hessian(ef.A, th) - sum(
        (ef.mean[k] * sp.hessian(ef.eta[k], th) for k in range(len(ef.T))), sp.zeros(len(th))
    )
    Ji = _inv(ef.J)
    return Ji.T * H * Ji


def expfam_fisher_cov(ctx: Ctx) -> Outcome:
    """I(θ) = Jᵀ Cov_θ(T) J, and E[T] = J⁻ᵀ ∇_θ A (mean parameters are ∇_η A)."""
    ef = _ef_of(ctx)
    I = _fisher(ctx.fam)
    gradA = sp.Matrix([sp.diff(ef.A, t) for t in ctx.fam.params])
    res = list(I - ef.J.T * ef.cov * ef.J) + list(ef.mean - _inv(ef.J).T * gradA)
    return judge(ctx, res, list(I), what="I ≠ Jᵀ Cov(T) J:")


def expfam_log_partition(ctx: Ctx) -> Outcome:
    """Cov_θ(T) = ∇²_η A: the log-partition's Hessian in natural parameters."""
    ef = _ef_of(ctx)
    return judge(ctx, list(ef.cov - _hess_eta_A(ctx)), list(ef.cov), what="Cov(T) ≠ ∇²A:")


def expfam_observed_expected(ctx: Ctx) -> Outcome:
    """In natural parameters the observed information −∇²_η ℓ is free of x and equals I_η."""
    from symfisher.derive.score import hessian, score

    ef, th = _ef_of(ctx), ctx.fam.params
    Ji = _inv(ef.J)
    s_eta = Ji.T * sp.Matrix(score(ctx.fam))
    H = sp.Matrix(hessian(ctx.fam)) - sum(
        (s_eta[k] * sp.hessian(ef.eta[k], th) for k in range(len(ef.T))), sp.zeros(len(th))
    )
    observed = -(Ji.T * H * Ji)
    return judge(ctx, list(observed - _hess_eta_A(ctx)), what="observed ≠ expected:")


def _connection_in(ctx: Ctx, alpha: int, xi: sp.Matrix, T: Any) -> list[sp.Expr]:
    """Γ^(α)_ab,c in the coordinates ξ(θ) by the transformation law (first kind)."""
    from symfisher.derive.geometry.connections import alpha_connection

    th = ctx.fam.params
    p = len(th)
    G = alpha_connection(ctx.fam, alpha, kind="first", skewness=T)
    g = _fisher(ctx.fam)
    Ki = _inv(xi.jacobian(th))  # ∂θ/∂ξ
    hx = [sp.hessian(xi[m], th) for m in range(p)]
    # θ^j_ab = −Ki_jm ∂²ξ_m/∂θ_r∂θ_s Ki_ra Ki_sb
    second = [
        [[-sum(Ki[j, m] * (Ki.T * hx[m] * Ki)[a, b] for m in range(p)) for j in range(p)] for b in range(p)]
        for a in range(p)
    ]
    out = []
    for a in range(p):
        for b in range(p):
            for c in range(p):
                v = sum(
                    G[i, j, k] * Ki[i, a] * Ki[j, b] * Ki[k, c] for i in range(p) for j in range(p) for k in range(p)
                )
                v += sum(g[j, k] * second[a][b][j] * Ki[k, c] for j in range(p) for k in range(p))
                out.append(v)
    return out


def _flat(ctx: Ctx, alpha: int, xi: sp.Matrix, what: str) -> Outcome:
    T, tctx, note = skewness_of(ctx)
    out = judge(tctx, _connection_in(ctx, alpha, xi, T), what=what)
    return Outcome(out.status, out.residual, f"{out.method}; {note}" if note else out.method, out.reason)


def e_flat_natural(ctx: Ctx) -> Outcome:
    """The e-connection (α = 1) vanishes in natural parameters η."""
    return _flat(ctx, 1, _ef_of(ctx).eta, "Γ^(e) ≠ 0 in η:")


def m_flat_mean(ctx: Ctx) -> Outcome:
    """The m-connection (α = −1) vanishes in mean parameters μ = E[T]."""
    return _flat(ctx, -1, _ef_of(ctx).mean, "Γ^(m) ≠ 0 in μ:")


def legendre_duality(ctx: Ctx) -> Outcome:
    """A*(μ) = η·μ − A satisfies ∇_μ A* = η (and ∇_η A = μ): Legendre duality."""
    ef, th = _ef_of(ctx), ctx.fam.params
    A_star = (ef.eta.T * ef.mean)[0, 0] - ef.A
    K = ef.mean.jacobian(th)
    grad = sp.Matrix([sp.diff(A_star, t) for t in th])
    gradA = sp.Matrix([sp.diff(ef.A, t) for t in th])
    return judge(ctx, list(grad - K.T * ef.eta) + list(gradA - ef.J.T * ef.mean), what="Legendre duality:")


def cramer_rao_attained(ctx: Ctx) -> Outcome:
    """Cov(T) = K I⁻¹ Kᵀ with K = ∂E[T]/∂θ: T̄ attains the Cramér–Rao bound for E[T].

    For the non-affine statistic T₁² the bound is strict (Var > bound); the reason
    reports the gap at the test points.
    """
    ef, th = _ef_of(ctx), ctx.fam.params
    I_inv = _inv(_fisher(ctx.fam))
    K = ef.mean.jacobian(th)
    out = judge(ctx, list(ef.cov - K * I_inv * K.T), list(ef.cov), what="bound not attained:")
    t2 = ef.T[0] ** 2
    m2 = _E(t2, ctx.fam)
    var = _E(t2**2, ctx.fam) - m2**2
    grad = sp.Matrix([[sp.diff(m2, t) for t in th]])
    gap = var - (grad * I_inv * grad.T)[0, 0]
    scale = [abs(complex(sp.N(var.subs(pt), 15))) for pt in ctx.points]
    gaps = [complex(sp.N(gap.subs(pt), 15)).real for pt in ctx.points]
    note = f"non-affine T₁² = ({ef.T[0]})²: Var − bound = " + ", ".join(f"{g:.3g}" for g in gaps)
    if any(g < -1e-12 * (1 + s) for g, s in zip(gaps, scale)):
        return Outcome(Status.FAILS, out.residual, out.method, note + " (should be ≥ 0)")
    if all(abs(g) <= 1e-12 * (1 + s) for g, s in zip(gaps, scale)):
        return Outcome(
            out.status, out.residual, out.method, note + f": ({ef.T[0]})² is affine in T on the support, so equality"
        )
    return Outcome(out.status, out.residual, out.method, note + " > 0 (strict)")


def score_factorisation(ctx: Ctx) -> Outcome:
    """The score factors through the sufficient statistic: s(x; θ) = Jᵀ (T(x) − E_θ[T]).

    Hence the information carried by T equals that of the data: I_T = Jᵀ Cov(T) J = I_X
    (Fisher–Neyman factorisation: x enters ℓ only through T up to a θ-free term).
    """
    from symfisher.derive.score import score

    ef = _ef_of(ctx)
    s = sp.Matrix(score(ctx.fam))
    T = sp.Matrix(ef.T)
    return judge(ctx, list(s - ef.J.T * (T - ef.mean)), what="score not a function of T:")
