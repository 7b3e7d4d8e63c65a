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


def detect_expfam(fam: Any) -> ExpFamForm | None:
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
    return ExpFamForm(tuple(stats), tuple(nat), (-minus_a).xreplace(back), base.xreplace(back),
                      tuple(fam.params))


def _simplify_entry(expr: sp.Expr) -> sp.Expr:
    out = sp.cancel(sp.together(expr))
    return out if out.is_number else sp.factor_terms(out)


def expfam_fisher(fam: Any, form: ExpFamForm | None = None) -> sp.ImmutableMatrix | None:
    """Fisher information of a full-rank exponential family, or None.

    Parameters
    ----------
    fam : Family or family-like
        Needs ``logpdf``, ``variables``, ``params`` (length p) and ``domains``.
    form : ExpFamForm, optional
        A decomposition already computed by :func:`detect_expfam`.

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
    if all(sp.diff(e, t1, t2) == 0 for e in eta for t1 in theta for t2 in theta):
        info = sp.hessian(a, theta)
    else:
        if sp.simplify(jac.det()) == 0:
            return None
        grad_a = sp.Matrix([sp.diff(a, t) for t in theta])
        mean_t = jac.T.LUsolve(grad_a).applyfunc(sp.cancel)
        info = sp.hessian(a, theta)
        for k, e in enumerate(eta):
            info -= sp.hessian(e, theta) * mean_t[k]
    p = len(theta)
    cells = [[_simplify_entry(info[i, j]).xreplace(back) for j in range(p)] for i in range(p)]
    return sp.ImmutableMatrix(cells)
