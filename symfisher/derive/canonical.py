"""Canonical, readable form of derived Fisher entries.

Trigamma stays ``polygamma(1, a)`` (SymPy's own spelling), rational parts are put
over a common denominator, and a full ``simplify`` is tried under a time budget
(in a forked child, see :mod:`symfisher.derive.budget`); the shortest form by
``count_ops`` wins, ties going to the cancelled form so results are deterministic.
"""

from __future__ import annotations

import sympy as sp

from symfisher.derive.budget import BudgetExceeded, run_with_budget

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
    if budget > 0 and sp.count_ops(cancelled) <= _SIMPLIFY_MAX_OPS:
        try:
            out = run_with_budget(sp.simplify, cancelled, seconds=budget)
            if out.error is None and isinstance(out.value, sp.Expr):
                cands.append(sp.factor_terms(sp.cancel(sp.together(out.value))))
                cands.append(out.value)
        except BudgetExceeded:
            pass
    return min([*cands, expr], key=sp.count_ops)


def canonical_matrix(m: sp.MatrixBase, budget: float = 3.0) -> sp.ImmutableMatrix:
    """:func:`canonical` applied to every entry of a symmetric matrix (upper triangle once)."""
    n = m.rows
    cells = [[sp.S.Zero] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            cells[i][j] = cells[j][i] = canonical(m[i, j], budget)
    return sp.ImmutableMatrix(cells)
