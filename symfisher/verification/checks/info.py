"""Sufficiency: the information carried by a sufficient statistic equals that of the data.

For each parameter θ_j whose one-parameter sub-family (the other parameters known) is
an exponential family, T_j(x) is its scalar sufficient statistic, and for n iid copies

    I_{T_j(X₁) + … + T_j(X_n)}(θ_j) = n I_jj(θ)        (Fisher–Neyman factorisation).

The left side is computed from the *distribution of the sum* — never from the score of X:

1. closed form (under a time budget): SymPy convolves the law of T (a sum for integer
   data: the summand is reduced to a binomial coefficient, then summed; an integral for
   continuous data), the result is checked to be normalised (mpmath) and becomes a
   family of its own whose Fisher information symfisher derives; for a finite support
   the law of T₁ + T₂ + T₃ is tabulated exactly and I_T = Σ (∂p)²/p;
2. otherwise numerically (:mod:`symfisher.verification.numeric.statdist`): mpmath convolution of
   the mass function and :func:`mpmath.diff`, or float64 Gauss–Legendre quadrature of the
   convolution integral, at up to two check points.

A statistic that is *not* sufficient carries strictly less (e.g. X₁ alone: I(θ), or the
maximum of two normal observations about μ: 1.4805/σ² instead of 2/σ²).
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import sympy as sp

from symfisher.families.base import Family
from symfisher.options import Status
from symfisher.verification.context import Ctx, judge
from symfisher.verification.report import Outcome

__all__ = ["sufficiency", "scalar_statistic", "sufficiency_reason"]

N_DISCRETE = 3
"""Copies for integer data (finite sums are cheap)."""
N_CONTINUOUS = 2
"""Copies for continuous data (one convolution integral)."""
CLOSED_BUDGET = 4.0
"""Seconds for the closed-form route of one parameter before the numeric route takes over."""
NUMERIC_TOL = 1e-7
"""Relative tolerance of the float64 quadrature route (its error estimate must be below it too)."""

_ORDER = {Status.PROVED: 0, Status.NUMERIC: 1, Status.NOT_APPLICABLE: 2, Status.INCONCLUSIVE: 3, Status.FAILS: 4}


def _sub_family(fam: Family, theta: sp.Symbol) -> Any:
    """The one-parameter family in θ; the other parameters become fixed constants."""
    from symfisher.families.base import Family

    return Family(fam.logpdf, fam.variables, {theta: fam.domains[theta]}, fam.support, name=f"{fam.name}[{theta}]")


def scalar_statistic(fam: Family, theta: sp.Symbol) -> sp.Expr | None:
    """T(x) with ℓ = η(θ) T(x) − A(θ) + h(x) in θ alone (others fixed), or None.

    Several statistics T_k with natural parameters η_k(θ) merge into one when every
    η_k is affine in one function of θ (η_k' / η_b' free of θ); e.g. normal σ with μ
    known: T = x² − 2μx.

    Examples
    --------
    >>> import symfisher as sf
    >>> fam = sf.family("gamma")
    >>> scalar_statistic(fam, fam.params[0]), scalar_statistic(fam, fam.params[1])
    (log(x), x)
    """
    from symfisher.derive.expfam import detect_expfam

    if len(fam.variables) != 1:
        return None
    form = detect_expfam(_sub_family(fam, theta))
    if form is None:
        return None
    best = None
    for b in range(len(form.natural)):
        db = sp.diff(form.natural[b], theta)
        ratios = [sp.simplify(sp.diff(e, theta) / db) for e in form.natural]
        if any(theta in r.free_symbols for r in ratios):
            return None
        T = sp.expand(sum((r * s for r, s in zip(ratios, form.statistics)), sp.S.Zero))
        if best is None or sp.count_ops(T) < sp.count_ops(best):
            best = T
    return best


def sufficiency_reason(fam: Family) -> str | None:
    """None when some parameter has a scalar sufficient statistic (or the family is
    non-regular: then the row fails on regularity), otherwise why the row does not apply."""
    if not fam.regular:
        return None
    if len(fam.variables) != 1:
        return "implemented for one data variable"
    if all(scalar_statistic(fam, th) is None for th in fam.params):
        return (
            "no parameter has a scalar sufficient statistic (not an exponential family "
            "in any single parameter): the minimal sufficient statistic is the order statistic"
        )
    return None


# --------------------------------------------------------------------- closed form
def _discrete_pmf2(fam: Family, theta: sp.Symbol) -> tuple[sp.Expr, sp.Symbol, int] | None:
    """P(X₁ + X₂ = t) in closed form for T = x on {lo, lo+1, …} (binomial reduction)."""
    x = fam.variables[0]
    rng = fam.support[0] if isinstance(fam.support, tuple) else fam.support
    if not (isinstance(rng, sp.Range) and rng.inf.is_number and rng.sup == sp.oo):
        return None
    lo = int(rng.inf)
    k = sp.Dummy("k", integer=True, nonnegative=True)
    t = sp.Symbol("t", integer=True, nonnegative=True)
    p = sp.exp(sp.sympify(fam.logpdf))
    summand = sp.powsimp(sp.expand_power_exp(sp.expand_log(p.subs(x, k + lo) * p.subs(x, t - k + lo), force=True)))
    const, rest = summand.as_independent(k)
    reduced = sp.combsimp(sp.simplify(rest.rewrite(sp.factorial) * sp.factorial(t)))
    total = sp.summation(reduced, (k, 0, t))
    if total.has(sp.Sum):
        return None
    pmf = sp.simplify(const * total / sp.factorial(t)).subs(t, t - 2 * lo)
    return pmf, t, 2 * lo


def _continuous_pdf2(fam: Family, theta: sp.Symbol, T: sp.Expr) -> tuple[sp.Expr, sp.Symbol, sp.Interval] | None:
    """Density of T(X₁) + T(X₂) by SymPy's convolution integral (one monotone branch)."""
    from symfisher.verification.numeric.statdist import branches

    t = sp.Dummy("t", real=True)
    brs = branches(fam, T, t)
    if brs is None or len(brs) != 1:
        return None
    (br,) = brs
    a, b = br.lo, br.hi
    if a.is_finite and b.is_finite:
        return None
    u = sp.Symbol("u", positive=True) if a == 0 else sp.Symbol("u", real=True)
    s = sp.Dummy("s", real=True)
    dens = sp.exp(br.logp.subs(t, s) + br.logp.subs(t, u - s))
    lims = (s, a if a.is_finite else u - b, b if b.is_finite else u - a)
    if not (a.is_finite or b.is_finite):
        lims = (s, -sp.oo, sp.oo)
    pdf = sp.simplify(sp.integrate(sp.powsimp(sp.expand(dens)), lims, conds="none"))
    if pdf.has(sp.Integral, sp.Piecewise):
        return None
    return pdf, u, sp.Interval(2 * a, 2 * b)


def _closed_info(fam: Family, theta: sp.Symbol, T: sp.Expr) -> tuple | None:
    """(I_{T₁+T₂}(θ) in closed form, method text, n, log-law, its variable, its support),
    or None when SymPy finds no closed form of the law."""
    from symfisher.derive.fisher.api import fisher
    from symfisher.families.base import Family

    sub = _sub_family(fam, theta)
    x = fam.variables[0]
    if fam.is_discrete:
        if sp.simplify(T - x) != 0:
            return None
        got = _discrete_pmf2(sub, theta)
        if got is None:
            return None
        pmf, var, lo = got
        support: Any = sp.Range(lo, sp.oo)
        how = f"SymPy sum: P(T₁+T₂ = {var}) = {pmf}"
    else:
        got2 = _continuous_pdf2(sub, theta, T)
        if got2 is None:
            return None
        pmf, var, support = got2
        how = f"SymPy convolution: p_(T₁+T₂)({var}) = {pmf}"
    log_law = sp.expand_log(sp.log(pmf), force=True)
    law = Family(log_law, var, {theta: fam.domains[theta]}, support, name="law of T1+T2")
    return sp.Matrix(fisher(law))[0, 0], how, 2, log_law, var, support


def _normalised(fam: Family, theta: sp.Symbol, law: tuple, ctx: Ctx) -> bool:
    """The closed-form law sums/integrates to 1 at the first check point (mpmath)."""
    from symfisher.derive.check.integrate import numeric_expectations
    from symfisher.families.base import Family

    log_law, var, support = law
    fam_law = Family(log_law, var, {theta: fam.domains[theta]}, support)
    mass = numeric_expectations(fam_law, [], ctx.points[0], dps=20).values[0]
    return bool(abs(mass - 1) < 1e-12)


def _finite_info(fam: Family, theta: sp.Symbol, T: sp.Expr, n: int) -> sp.Expr | None:
    """Σ_t (∂p_t)²/p_t for T_n on a finite support tabulated exactly (symbolic in θ)."""
    x = fam.variables[0]
    rng = fam.support[0] if isinstance(fam.support, tuple) else fam.support
    if not (isinstance(rng, (sp.Range, sp.FiniteSet)) and rng.sup.is_number and rng.sup.is_finite):
        return None
    one: dict = {}
    for k in rng:
        key = sp.nsimplify(T.subs(x, k))
        one[key] = one.get(key, 0) + sp.exp(sp.sympify(fam.logpdf).subs(x, k))
    acc = one
    for _ in range(n - 1):
        nxt: dict = {}
        for ka, pa in acc.items():
            for kb, pb in one.items():
                nxt[ka + kb] = nxt.get(ka + kb, 0) + pa * pb
        acc = nxt
    return sp.factor(sp.cancel(sum(sp.diff(p, theta) ** 2 / p for p in acc.values())))


def _closed(fam: Family, j: int, T: sp.Expr, ctx: Ctx, I: sp.Matrix) -> Outcome | None:
    from symfisher._runtime.budget import run_with_budget
    from symfisher.errors import BudgetExceeded

    theta = fam.params[j]
    fin = _finite_info(fam, theta, T, N_DISCRETE) if fam.is_discrete else None
    if fin is not None:
        out = judge(ctx, [fin - N_DISCRETE * I[j, j]], [N_DISCRETE * I[j, j]], what=f"I_T ≠ {N_DISCRETE}·I:")
        return Outcome(out.status, out.residual, f"exact law of T₁+T₂+T₃ (finite support), {out.method}", out.reason)
    try:
        res = run_with_budget(_closed_info, fam, theta, T, seconds=CLOSED_BUDGET)
    except BudgetExceeded:
        return None
    if res.error is not None or res.value is None:
        return None
    info, how, n, *law = res.value
    if not _normalised(fam, theta, tuple(law), ctx):
        return None
    out = judge(ctx, [info - n * I[j, j]], [n * I[j, j]], what=f"I_T ≠ {n}·I:")
    return Outcome(out.status, out.residual, f"{how}, I_T derived, {out.method}", out.reason)


# --------------------------------------------------------------------- numeric route
def _numeric(fam: Family, j: int, T: sp.Expr, ctx: Ctx, I: sp.Matrix) -> Outcome:
    from symfisher.verification.numeric.statdist import (
        branches,
        continuous_sum_information,
        discrete_sum_information,
    )

    theta = fam.params[j]
    pts = ctx.points[:2]
    worst, why = 0.0, ""
    if fam.is_discrete:
        n = N_DISCRETE
        for pt in pts:
            got = discrete_sum_information(fam, T, theta, pt, n=n, dps=ctx.dps)
            want = mpmath.mpf(str(sp.N(n * I[j, j].subs(pt), ctx.dps + 5)))
            rel = float(abs(got - want) / abs(want))
            if rel > worst:
                worst, why = rel, f"I_T = {mpmath.nstr(got, 12)} ≠ {n}·I = {mpmath.nstr(want, 12)}"
        tol, method = ctx.tol, f"mpmath convolution of the pmf of T (n = {n}), mpmath.diff"
    else:
        n = N_CONTINUOUS
        t = sp.Dummy("t", real=True)
        for pt in pts:
            try:
                brs = branches(fam, T, t, point={k: v for k, v in pt.items() if k != theta})
            except (NotImplementedError, ValueError, TypeError):  # SymPy's solve gives up
                brs = None
            if brs is None:
                return Outcome(Status.INCONCLUSIVE, None, "", f"cannot invert T = {T} for x")
            with np.errstate(all="ignore"):
                got, err = continuous_sum_information(brs, t, theta, pt)
            want = float(sp.N(n * I[j, j].subs(pt), 20))
            if not (np.isfinite(got) and err <= NUMERIC_TOL * abs(want)):
                return Outcome(
                    Status.INCONCLUSIVE,
                    None,
                    "Gauss–Legendre convolution (float64)",
                    f"quadrature error estimate {err:.2g} (I_T = {got:.6g}, {n}·I = "
                    f"{want:.6g}) exceeds the tolerance: the density of T = {T} is "
                    "singular at an end of its support",
                )
            rel = abs(got - want) / abs(want)
            if rel > worst:
                worst, why = rel, f"I_T = {got:.12g} ≠ {n}·I = {want:.12g}"
        tol = NUMERIC_TOL
        method = f"Gauss–Legendre convolution of the density of T (n = {n}, float64)"
    method += f" at {len(pts)} points"
    if worst <= tol:
        return Outcome(Status.NUMERIC, worst, method)
    return Outcome(Status.FAILS, worst, method, why)


def sufficiency(ctx: Ctx) -> Outcome:
    """I_{T(X₁)+…+T(X_n)}(θ_j) = n I_jj(θ) for each θ_j with a scalar sufficient statistic T.

    The information of the sum is computed from the law of the sum (closed form when
    SymPy finds it, else mpmath sums / float64 quadrature), independently of the
    score of X; n = 3 for integer data, 2 for continuous data.

    Fails when the equality is violated beyond the tolerance (10^(−dps/2) for exact and
    mpmath routes, 1e-7 relative for quadrature); not applicable when no parameter has a
    scalar sufficient statistic (e.g. Cauchy, logistic); a non-regular family (uniform:
    the maximum is sufficient but the information is not defined) fails on regularity.
    """
    from symfisher.derive.fisher.api import fisher

    fam = ctx.fam
    if not fam.regular:
        return Outcome(Status.FAILS, None, "regularity check", f"non-regular: {fam.irregularity}")
    I = sp.Matrix(fisher(fam))
    parts, skipped = [], []
    for j, theta in enumerate(fam.params):
        T = scalar_statistic(fam, theta)
        if T is None:
            skipped.append(str(theta))
            continue
        out = _closed(fam, j, T, ctx, I) or _numeric(fam, j, T, ctx, I)
        parts.append((theta, T, out))
    if not parts:
        return Outcome(Status.NOT_APPLICABLE, None, "", "no scalar sufficient statistic")
    status = max((o.status for _, _, o in parts), key=_ORDER.__getitem__)
    resid = [o.residual for _, _, o in parts if o.residual is not None]
    method = "; ".join(f"{th}: T = {T}, {o.method}" for th, T, o in parts)
    notes = [f"{th}: {o.reason}" for th, _, o in parts if o.reason]
    if skipped:
        notes.append(f"no scalar sufficient statistic for {', '.join(skipped)} (others known)")
    notes.append(
        "the score factors through T (Fisher–Neyman); a non-sufficient statistic, "
        "e.g. X₁ alone, carries strictly less (I instead of n·I)"
    )
    return Outcome(status, max(resid) if resid else None, method, "; ".join(notes))
