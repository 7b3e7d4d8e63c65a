"""Canonical, readable form of derived Fisher entries.

Trigamma stays ``polygamma(1, a)`` (SymPy's own spelling), rational parts are put
over a common denominator, and a full ``simplify`` is tried under a time budget
(in a forked child, see :mod:`symfisher._runtime.budget`); the shortest form by
``count_ops`` wins, ties going to the cancelled form so results are deterministic.
"""

from __future__ import annotations

import sympy as sp

from symfisher._runtime.budget import run_with_budget
from symfisher.errors import BudgetExceeded

__all__ = ["canonical", "canonical_matrix"]

_SIMPLIFY_MAX_OPS = 400


def _rewrite_bessel(expr: sp.Expr) -> sp.Expr:
    """Lower Bessel orders ≥ 2 with the recurrence I_{n+1} = I_{n-1} − (2n/z) I_n."""

    def lower(b: sp.Expr) -> sp.Expr:
        order, arg = b.args
        if order.is_Integer and order >= 2:
            return sp.besseli(order - 2, arg) - 2 * (order - 1) / arg * sp.besseli(order - 1, arg)
        return b

    for _ in range(4):
        new = expr.replace(lambda e: isinstance(e, sp.besseli), lower)
        if new == expr:
            break
        expr = new
    return expr


def _flip_worthy(base: sp.Expr) -> bool:
    """An Add whose constant is negative and whose other terms are positive (p − 1)."""
    if not base.is_Add:
        return False
    const, rest = base.as_coeff_Add()
    return bool(const.is_negative) and all(t.as_coeff_Mul()[0].is_positive for t in sp.Add.make_args(rest))


def orient(expr: sp.Expr) -> sp.Expr:
    """Write factors ``p - 1`` as ``1 - p`` (absorbing the sign), e.g. for p ∈ (0, 1).

    Examples
    --------
    >>> p = sp.Symbol("p")
    >>> orient(-1 / (p * (p - 1)))
    1/(p*(1 - p))
    """
    coeff, factors = sp.factor(expr).as_coeff_mul()
    sign, out = sp.S.One, []
    for f in factors:
        base, exp = f.as_base_exp()
        if _flip_worthy(base) and exp.is_integer:
            out.append(sp.Pow(-base, exp))
            sign *= (-1) ** exp
        else:
            out.append(f)
    return sign * coeff * sp.Mul(*out)


def canonical(expr: sp.Expr, budget: float = 3.0) -> sp.Expr:
    """A canonical simplified form of one entry.

    Parameters
    ----------
    expr : sympy.Expr
        A closed-form entry.
    budget : float
        Seconds allowed for ``simplify`` (0 disables it).

    Returns
    -------
    sympy.Expr
        An equivalent expression, never longer than the input by ``count_ops``.

    Examples
    --------
    >>> a = sp.Symbol("a", positive=True)
    >>> canonical(1 / a + 1 / a**2)
    (a + 1)/a**2
    """
    expr = sp.sympify(expr)
    if expr.is_number:
        return sp.nsimplify(expr) if expr.is_Float else expr
    if expr.has(sp.besseli):
        expr = _rewrite_bessel(expr)
    cancelled = sp.cancel(sp.together(expr))
    cands = [sp.factor(cancelled), sp.factor_terms(cancelled), cancelled]
    rational = cancelled.is_rational_function()  # cancel/factor is already canonical then
    if budget > 0 and not rational and sp.count_ops(cancelled) <= _SIMPLIFY_MAX_OPS:
        try:
            out = run_with_budget(sp.simplify, cancelled, seconds=budget)
            if out.error is None and isinstance(out.value, sp.Expr):
                cands.append(sp.factor_terms(sp.cancel(sp.together(out.value))))
                cands.append(out.value)
        except BudgetExceeded:
            pass
    best = min([*cands, expr], key=sp.count_ops)
    oriented = orient(best)
    return oriented if sp.count_ops(oriented) <= sp.count_ops(best) else best


def canonical_matrix(m: sp.MatrixBase, budget: float = 3.0) -> sp.ImmutableMatrix:
    """:func:`canonical` applied to every entry of a symmetric matrix (upper triangle once)."""
    n = m.rows
    cells = [[sp.S.Zero] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            cells[i][j] = cells[j][i] = canonical(m[i, j], budget)
    return sp.ImmutableMatrix(cells)
