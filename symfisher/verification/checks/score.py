"""Identities about the score and the Fisher matrix itself.

Each check takes a :class:`~symfisher.verification.context.Ctx` and returns an
:class:`~symfisher.verification.report.Outcome`.
"""

from __future__ import annotations

import sympy as sp

from symfisher.derive.smooth import non_smooth_terms
from symfisher.families.sets import Simplex
from symfisher.options import Status
from symfisher.verification.context import Ctx, judge
from symfisher.verification.report import Outcome

__all__ = [
    "score_mean_zero",
    "information_equality",
    "bartlett_third",
    "fisher_spd",
    "efficient_information",
    "iid_additivity",
]


def _E(expr: sp.Expr, ctx: Ctx) -> sp.Expr:
    from symfisher.derive.expectation.engine import closed_expectation

    return closed_expectation(sp.expand(expr), ctx.fam)


def score_mean_zero(ctx: Ctx) -> Outcome:
    """E_θ[∂_i ℓ] = 0 for every i (needs differentiation under the integral sign)."""
    from symfisher.derive.score import score

    s = list(score(ctx.fam))
    return judge(ctx, [_E(si, ctx) for si in s], what="E[score] ≠ 0:")


def _drop_delta(expr: sp.Expr) -> sp.Expr:
    return expr.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)


def information_equality(ctx: Ctx) -> Outcome:
    """E[s sᵀ] = −E[∇²ℓ]; with a kink in ℓ only with the distributional Hessian."""
    from symfisher.derive.score import hessian, score

    s, H = score(ctx.fam), hessian(ctx.fam)
    p = len(s)
    lhs = [[_E(s[i] * s[j], ctx) for j in range(p)] for i in range(p)]
    rhs = [[-_E(H[i, j], ctx) for j in range(p)] for i in range(p)]
    out = judge(
        ctx,
        [lhs[i][j] - rhs[i][j] for i in range(p) for j in range(p)],
        [lhs[i][i] for i in range(p)],
        what="E[s sᵀ] ≠ −E[∇²ℓ]:",
    )
    kinks = non_smooth_terms(sp.sympify(ctx.fam.logpdf), ctx.fam.variables, ctx.fam.params)
    if not kinks or not H.has(sp.DiracDelta):
        return out
    classical = [[-_E(_drop_delta(H[i, j]), ctx) for j in range(p)] for i in range(p)]
    bad = [(i, j) for i in range(p) for j in range(p) if sp.simplify(classical[i][j] - lhs[i][j]) != 0]
    listed = ", ".join(str(t.term) for t in kinks)
    detail = "; ".join(f"[{i},{j}]: −E[∂²ℓ] = {classical[i][j]} vs E[s s] = {lhs[i][j]}" for i, j in bad)
    reason = (
        f"ℓ is not twice differentiable ({listed}): the equality holds only with the "
        f"distributional second derivative (Dirac delta at the kink), as the core's "
        f"score route assumes; the classical pointwise Hessian gives {detail}"
    )
    return Outcome(out.status, out.residual, out.method + ", distributional Hessian", reason)


BARTLETT_SYMBOLIC_SECONDS = 10.0
"""Seconds for the closed-form expectations of the third Bartlett identity; after
that the entries are evaluated by quadrature at the test points instead."""


def bartlett_third(ctx: Ctx) -> Outcome:
    """E[ℓ_ijk + ℓ_ij ℓ_k + ℓ_ik ℓ_j + ℓ_jk ℓ_i + ℓ_i ℓ_j ℓ_k] = 0 for all i ≤ j ≤ k.

    The expectations are taken in closed form when the engine finishes them within
    :data:`BARTLETT_SYMBOLIC_SECONDS`; otherwise by high-precision quadrature (or an
    exact Gauss–Hermite rule for Gaussian data) at the test points. Simplex data have
    no such route (Monte Carlo only): there the closed form gets the whole budget.
    """
    from symfisher.derive.score import log_density

    ell = log_density(ctx.fam)
    th = ctx.fam.params
    if non_smooth_terms(ell, ctx.fam.variables, th):
        return Outcome(Status.NOT_APPLICABLE, None, "", "ℓ is not three times differentiable in the parameters")
    d1 = [sp.diff(ell, a) for a in th]
    ints = []
    for i in range(len(th)):
        for j in range(i, len(th)):
            for k in range(j, len(th)):
                dij, dik, djk = (sp.diff(d1[i], th[j]), sp.diff(d1[i], th[k]), sp.diff(d1[j], th[k]))
                ints.append(sp.diff(dij, th[k]) + dij * d1[k] + dik * d1[j] + djk * d1[i] + d1[i] * d1[j] * d1[k])
    if "skewness" in ctx.notes:  # E[ℓ_i ℓ_j ℓ_k] = T_ijk alone had no closed form in time
        return _numeric_expectations_zero(
            ctx,
            ints,
            "third Bartlett identity:",
            "the skewness tensor E[ℓ_i ℓ_j ℓ_k], one of its terms, had no closed form in time",
        )
    if isinstance(ctx.fam.support, Simplex):  # no precise numeric route: no deadline
        return judge(ctx, [_E(e, ctx) for e in ints], what="third Bartlett identity:")
    res = expectations_within(ints, ctx, BARTLETT_SYMBOLIC_SECONDS)
    if res is not None:
        return judge(ctx, res, what="third Bartlett identity:")
    return _numeric_expectations_zero(
        ctx, ints, "third Bartlett identity:", f"closed-form expectations took over {BARTLETT_SYMBOLIC_SECONDS:g} s"
    )


def expectations_within(ints: list[sp.Expr], ctx: Ctx, seconds: float) -> list[sp.Expr] | None:
    """Closed-form E[f] for every integrand, or None when that takes over ``seconds``."""
    from symfisher.errors import Deadline
    from symfisher.verification.context import within

    try:
        return within(seconds, lambda: [_E(e, ctx) for e in ints])
    except Deadline:
        return None


def _numeric_expectations_zero(ctx: Ctx, ints: list[sp.Expr], what: str, why: str) -> Outcome:
    """E[f] = 0 checked by quadrature at every test point (the symbolic route gave up)."""
    from symfisher.errors import DerivationError
    from symfisher.verification.context import judge_numbers
    from symfisher.verification.numeric.quadrature import expectations_at

    try:
        vals = [expectations_at(ctx.fam, ints, pt, ctx.dps + 10) for pt in ctx.points]
    except DerivationError as exc:
        return Outcome(Status.INCONCLUSIVE, None, "", f"{why}, and {exc}")
    how = "an exact Gauss–Hermite rule in mpmath" if len(ctx.fam.variables) > 1 else "mpmath quadrature"
    method = f"E[·] by {how} at {len(ctx.points)} points, {ctx.dps} digits ({why})"
    return judge_numbers(ctx, vals, [[1]] * len(vals), method, what=what)


def fisher_spd(ctx: Ctx) -> Outcome:
    """I(θ) is symmetric and positive definite (leading principal minors > 0)."""
    from symfisher.derive.fisher.api import fisher

    I = sp.Matrix(fisher(ctx.fam))
    asym = [I[i, j] - I[j, i] for i in range(I.rows) for j in range(i + 1, I.rows)]
    if any(sp.simplify(a) != 0 for a in asym):
        return judge(ctx, asym, what="I is not symmetric:")
    minors = [sp.simplify(I[:k, :k].det()) for k in range(1, I.rows + 1)]
    if all(m.is_positive for m in minors):
        return Outcome(Status.PROVED, 0.0, "symbolic (leading principal minors positive)")
    worst = None
    for pt in ctx.points:
        for k, m in enumerate(minors, 1):
            v = float(sp.N(m.subs(pt), ctx.dps))
            if not v > 0:
                return Outcome(
                    Status.FAILS,
                    v,
                    "minors at test points",
                    f"leading minor {k} = {v:.3g} ≤ 0 at { {str(a): str(b) for a, b in pt.items()} }",
                )
            worst = v if worst is None else min(worst, v)
    return Outcome(
        Status.NUMERIC, 0.0, f"leading minors > 0 at {len(ctx.points)} points", f"smallest minor {worst:.3g}"
    )


def efficient_information(ctx: Ctx) -> Outcome:
    """I_ii − I_i,−i I_−i,−i⁻¹ I_−i,i = 1/(I⁻¹)_ii for each i; reports orthogonal pairs."""
    from symfisher.derive.fisher.api import fisher

    I = sp.Matrix(fisher(ctx.fam))
    p = I.rows
    if p < 2:
        return Outcome(Status.NOT_APPLICABLE, None, "", "needs at least 2 parameters")
    inv = I.inv()
    res = []
    for i in range(p):
        rest = [j for j in range(p) if j != i]
        a, b, c = I[i, i], I[i, rest], I[rest, rest]
        res.append(a - (b * c.inv() * b.T)[0, 0] - 1 / inv[i, i])
    out = judge(ctx, res, what="efficient information:")
    names = ctx.fam.params
    ortho = [f"{names[i]}⊥{names[j]}" for i in range(p) for j in range(i + 1, p) if sp.simplify(I[i, j]) == 0]
    reason = ("orthogonal pairs (I_ij = 0): " + ", ".join(ortho)) if ortho else "no orthogonal parameter pair"
    return Outcome(out.status, out.residual, out.method, (out.reason + "; " if out.reason else "") + reason)


def iid_additivity(ctx: Ctx) -> Outcome:
    """I_n(θ) = n I(θ): the cross terms E[s(x₁) s(x₂)ᵀ] = E[s] E[s]ᵀ of independent copies vanish."""
    from symfisher.derive.fisher.api import fisher
    from symfisher.derive.score import score
    from symfisher.families.iid import iid

    s = list(score(ctx.fam))
    m = [_E(si, ctx) for si in s]
    cross = [a * b for a in m for b in m]
    n = sp.Dummy("n", positive=True, integer=True)  # cannot clash with a fixed n (binomial)
    In = sp.Matrix(fisher(iid(ctx.fam, n)))
    I = sp.Matrix(fisher(ctx.fam))
    return judge(ctx, cross + list(In - n * I), what="additivity:")
