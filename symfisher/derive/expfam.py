"""Exponential-family detection and the Fisher matrix without integration.

A log-density is written, when possible, as

    ℓ(x; θ) = Σ_k η_k(θ) T_k(x) − A(θ) + h(x),

with sufficient statistics T (length k) and natural parameters η(θ). For a full-rank
family (k = p and J = ∂η/∂θ invertible) the Fisher information is

    I(θ) = ∇²_θ A − Σ_k (∂²η_k/∂θ∂θᵀ) E[T_k],   with   Jᵀ E[T] = ∇_θ A

(the second identity is E[score] = 0), so no integral and no inversion of η(θ) is
needed. When η is linear in θ the sum vanishes and I = ∇²A. Curved families
(k > p) and non-identified ones fall through to the other routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from symfisher.derive.score import real_dummies
from symfisher.derive.smooth import non_smooth_terms
from symfisher.families.protocol import FamilyLike

__all__ = ["ExpFamForm", "detect_expfam", "expfam_fisher"]


@dataclass(frozen=True)
class ExpFamForm:
    """The exponential-family decomposition ℓ = η(θ)·T(x) − A(θ) + h(x).

    Attributes
    ----------
    statistics : tuple of Expr
        T_k(x), length k.
    natural : tuple of Expr
        η_k(θ), length k, same order.
    log_partition : Expr
        A(θ).
    base : Expr
        h(x) (terms free of the parameters).
    params : tuple of Symbol
        θ (length p), the order of every derivative.
    """

    statistics: tuple[sp.Expr, ...]
    natural: tuple[sp.Expr, ...]
    log_partition: sp.Expr
    base: sp.Expr
    params: tuple[sp.Symbol, ...]

    @property
    def full_rank(self) -> bool:
        """True when k = p (whether J is invertible is checked in :func:`expfam_fisher`)."""
        return len(self.statistics) == len(self.params)


def _split_terms(ell: sp.Expr, xs: tuple, ps: set) -> dict[sp.Expr, list[sp.Expr]] | None:
    """Group the additive terms of ℓ by their data factor; None when a term mixes."""
    groups: dict[sp.Expr, list[sp.Expr]] = {}
    for term in sp.Add.make_args(ell):
        coef, data = term.as_independent(*xs, as_Add=False)
        if data.free_symbols & ps:
            return None
        groups.setdefault(data, []).append(coef)
    return groups


def detect_expfam(fam: FamilyLike) -> ExpFamForm | None:
    """The exponential-family form of ``fam``, or None when ℓ is not of that form.

    Parameters
    ----------
    fam : Family or family-like
        Needs ``logpdf``, ``variables`` and ``params``.

    Returns
    -------
    ExpFamForm or None

    Examples
    --------
    >>> x = sp.Symbol("x"); lam = sp.Symbol("lam", positive=True)
    >>> from symfisher.families.base import Family
    >>> form = detect_expfam(Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo)))
    >>> form.statistics, form.natural, form.log_partition
    ((x,), (-lam,), -log(lam))
    """
    ell = sp.sympify(fam.logpdf)
    if non_smooth_terms(ell, fam.variables, fam.params):
        return None
    dummies = real_dummies(fam)
    back = {d: s for s, d in dummies.items()}
    xs = tuple(dummies.get(v, v) for v in fam.variables)
    ps = tuple(dummies.get(s, s) for s in fam.params)
    expanded = sp.expand(sp.expand_log(ell.xreplace(dummies)), trig=True)
    groups = _split_terms(expanded, xs, set(ps))
    if groups is None:
        return None
    stats, nat, minus_a, base = [], [], sp.S.Zero, sp.S.Zero
    for data in sorted(groups, key=sp.default_sort_key):
        coef = sp.Add(*groups[data])
        if data == 1:
            minus_a += coef if coef.free_symbols & set(ps) else 0
            base += 0 if coef.free_symbols & set(ps) else coef
        elif not coef.free_symbols & set(ps):
            base += coef * data
        else:
            stats.append(data.xreplace(back))
            nat.append(coef.xreplace(back))
    if not stats:
        return None
    return ExpFamForm(tuple(stats), tuple(nat), (-minus_a).xreplace(back), base.xreplace(back), tuple(fam.params))


def _simplify_entry(expr: sp.Expr) -> sp.Expr:
    out = sp.cancel(sp.together(expr))
    return out if out.is_number else sp.factor_terms(out)


def _generic_det_nonzero(jac: sp.Matrix, theta: list) -> bool:
    """J is generically invertible: its determinant is non-zero at a rational point."""
    vals = {t: sp.Rational(37 + 11 * k, 97 + 7 * k) for k, t in enumerate(theta)}
    num = jac.xreplace(vals)
    free = num.free_symbols
    if free:  # fixed constants: give them values too
        num = num.xreplace({f: sp.Rational(5 + k, 3) for k, f in enumerate(sorted(free, key=str))})
    try:
        return num.evalf(30).det() != 0
    except (TypeError, ValueError, ZeroDivisionError):
        return False


def _mean_statistics(
    fam: FamilyLike,
    form: ExpFamForm,
    need: list[int],
    jac: sp.Matrix,
    grad_a: sp.Matrix,
    expect: Any,
    back: dict,
    budget: float,
) -> dict[int, sp.Expr] | None:
    """E[T_k] for the needed k: from Jᵀ E[T] = ∇A, else from the expectation engine.

    Every time limit derives from the caller's per-expectation ``budget``: the exact
    solve gets ``2 budget``, each engine expectation ``budget / 2``, and all of them
    together ``(n + 1) budget / 2`` (20, 5 and 5n + 5 seconds at the default 10 s).
    """
    from symfisher._runtime.budget import run_with_budget
    from symfisher.errors import BudgetExceeded

    gauss = _gaussian_means(fam, form, need)
    if gauss is not None:
        fwd = {s: d for d, s in back.items()}
        return {k: v.xreplace(fwd) for k, v in gauss.items()}
    try:
        out = run_with_budget(_solve_mean, jac, grad_a, seconds=2.0 * budget)
        if out.error is None:
            return {k: out.value[k] for k in need}
    except BudgetExceeded:
        pass
    if expect is None:
        return None
    try:
        out = run_with_budget(
            _engine_means, fam, form, need, expect, budget / 2.0, seconds=budget / 2.0 * (len(need) + 1)
        )
    except BudgetExceeded:
        return None
    if out.error is not None or out.value is None:
        return None
    fwd = {s: d for d, s in back.items()}
    return {k: v.xreplace(fwd) for k, v in out.value.items()}


def _gaussian_means(fam: FamilyLike, form: ExpFamForm, need: list[int]) -> dict[int, sp.Expr] | None:
    """E[T_k] for a Gaussian kernel (ℓ quadratic in x on ℝ^d): first and second moments.

    With P = −∇²ₓℓ and b = ∇ₓℓ(0): Cov = P⁻¹ (exact inverse over the rational
    function field), E[x] = Cov b, E[x_i x_j] = Cov_ij + E[x_i] E[x_j].
    """
    from sympy.polys.matrices import DomainMatrix

    xs = list(fam.variables)
    sets = fam.support if isinstance(fam.support, tuple) else (fam.support,)
    if not all(s in (sp.Reals, sp.Interval(-sp.oo, sp.oo)) for s in sets) or len(sets) != len(xs):
        return None
    ell = sp.expand(sp.sympify(fam.logpdf))
    if not ell.is_polynomial(*xs) or sp.Poly(ell, *xs).total_degree() != 2:
        return None
    prec = (-sp.hessian(ell, xs)).applyfunc(sp.cancel)
    lin = sp.Matrix([sp.diff(ell, v).xreplace({u: 0 for u in xs}) for v in xs])
    cov = DomainMatrix.from_Matrix(prec).to_field().inv().to_Matrix().applyfunc(sp.cancel)
    mean = (cov * lin).applyfunc(sp.cancel)
    out: dict[int, sp.Expr] = {}
    for k in need:
        poly = sp.Poly(form.statistics[k], *xs)
        if len(poly.terms()) != 1 or poly.total_degree() not in (1, 2):
            return None
        ((powers, coeff),) = poly.terms()
        idx = [i for i, e in enumerate(powers) for _ in range(e)]
        second = cov[idx[0], idx[-1]] + mean[idx[0]] * mean[idx[-1]] if len(idx) == 2 else mean[idx[0]]
        out[k] = sp.cancel(coeff * second)
    return out


def _engine_means(
    fam: FamilyLike, form: ExpFamForm, need: list[int], expect: Any, budget: float
) -> dict[int, sp.Expr] | None:
    """E[T_k] from the expectation engine (run in a budgeted child), None if any fails."""
    got: dict[int, sp.Expr] = {}
    for k in need:
        try:
            val = expect(form.statistics[k], fam, budget=budget)
        except Exception:  # the engine could not: the caller uses the score identity
            return None
        if not isinstance(val, sp.Expr) or val.has(sp.Integral, sp.Sum):
            return None
        got[k] = val
    return got


def _solve_mean(jac: sp.Matrix, grad_a: sp.Matrix) -> sp.Matrix:
    """Solve Jᵀ E[T] = ∇A exactly over the field of rational functions (DomainMatrix)."""
    from sympy.polys.matrices import DomainMatrix

    lhs = DomainMatrix.from_Matrix(sp.Matrix(jac.T))
    rhs = DomainMatrix.from_Matrix(sp.Matrix(grad_a))
    lhs, rhs = lhs.unify(rhs)
    sol = lhs.to_field().lu_solve(rhs.to_field())
    return sol.to_Matrix().applyfunc(sp.cancel)


def expfam_fisher(
    fam: FamilyLike, form: ExpFamForm | None = None, expect: Any = None, *, budget: float = 10.0
) -> sp.ImmutableMatrix | None:
    """Fisher information of a full-rank exponential family, or None.

    Parameters
    ----------
    fam : Family or family-like
        Needs ``logpdf``, ``variables``, ``params`` (length p) and ``domains``.
    form : ExpFamForm, optional
        A decomposition already computed by :func:`detect_expfam`.
    expect : callable, optional
        ``expect(T_k, fam, budget=...)`` → E[T_k] in closed form; when it fails (or is
        absent) E[T] comes from the score identity Jᵀ E[T] = ∇A.
    budget : float
        Seconds per expectation; the time limits of the mean statistics derive from it.

    Returns
    -------
    sympy.ImmutableMatrix or None
        Shape (p, p) in the order of ``fam.params``; None when the family is not a
        full-rank exponential family (curved, k ≠ p, or J singular).

    Examples
    --------
    >>> x = sp.Symbol("x"); lam = sp.Symbol("lam", positive=True)
    >>> from symfisher.families.base import Family
    >>> expfam_fisher(Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo)))
    Matrix([[lam**(-2)]])
    """
    form = form if form is not None else detect_expfam(fam)
    if form is None or not form.full_rank:
        return None
    dummies = {s: d for s, d in real_dummies(fam).items() if s in set(fam.params)}
    back = {d: s for s, d in dummies.items()}
    theta = [dummies.get(s, s) for s in fam.params]
    eta = sp.Matrix([e.xreplace(dummies) for e in form.natural])
    a = form.log_partition.xreplace(dummies)
    jac = eta.jacobian(theta)
    if not _generic_det_nonzero(jac, theta):
        return None
    curv = [sp.hessian(e, theta) for e in eta]
    need = [k for k, h in enumerate(curv) if not h.is_zero_matrix]
    info = sp.hessian(a, theta)
    if need:
        grad_a = sp.Matrix([sp.diff(a, t) for t in theta])
        mean_t = _mean_statistics(fam, form, need, jac, grad_a, expect, back, budget)
        if mean_t is None:
            return None
        for k in need:
            info -= curv[k] * mean_t[k]
    p = len(theta)
    cells = [[sp.S.Zero] * p for _ in range(p)]
    for i in range(p):
        for j in range(i, p):
            cells[i][j] = cells[j][i] = _simplify_entry(info[i, j]).xreplace(back)
    return sp.ImmutableMatrix(cells)
