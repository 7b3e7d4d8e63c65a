"""Numerically stable rewrites applied to expressions before code generation.

Each rule replaces a form that loses accuracy or overflows in float64 by an exactly
equal form that does not:

=====================================  ==============================================
``log(1 + x)``                          ``log1p(x)``
``exp(x) - 1``                          ``expm1(x)``
``log(1 + exp(u))``                     ``max(u, 0) + log1p(exp(-|u|))`` (softplus)
``1 - 1/(1 + exp(u))``                  ``exp(u)/(1 + exp(u))`` (then the next rule)
``exp(m u) / (1 + exp(u))**k``          ``t**m / (1+t)**k`` if ``u < 0`` else
                                        ``t**(k-m) / (1+t)**k``, with ``t = exp(-|u|)``
                                        (logistic terms at extreme inputs)
``b**(c e + d)``, ``b > 0``             ``powr(log b, e)**c * b**d`` (``exp(e log b)``: shares
                                        ``log b``; integer multiples become products)
``log(gamma(x))``                       ``loggamma(x)``
``log(beta(a, b))``                     ``logbeta(a, b)``
``log(besseli(n, x))``                  ``log_besseli(n, x)``
``besseli(n+1, x) / besseli(n, x)``     ``besseli_ratio(n, x)`` (any degree-0 product of
                                        ``besseli(k, x)`` powers becomes a product of ratios)
=====================================  ==============================================

The functions :class:`logbeta`, :class:`log_besseli`, :class:`besseli_ratio` and
:class:`exp_neg_abs` exist only as heads for the printer; they are never differentiated.

Examples
--------
>>> import sympy as sp
>>> from symfisher.codegen.rewrite import stable_rewrite
>>> x = sp.Symbol("x", real=True)
>>> stable_rewrite(sp.log(1 + sp.exp(x)))
log1p(exp_neg_abs(x)) + Max(0, x)
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p
from sympy.printing.precedence import PRECEDENCE

__all__ = [
    "besseli_ratio",
    "exp_neg_abs",
    "log_besseli",
    "logbeta",
    "powr",
    "recip",
    "share_reciprocals",
    "stable_rewrite",
]


class exp_neg_abs(sp.Function):  # noqa: N801
    """``exp(-|u|)`` as an opaque head: its powers stay powers of one value.

    (SymPy turns ``exp(-|u|)**2`` into ``exp(-2|u|)``, a second exponential.) Printed
    structurally by the Numba printer as ``math.exp(-abs(u))``.
    """

    nargs = 1

    def _numbacode(self, printer: Any) -> str:
        return f"{printer.function('exp')}(-abs({printer._print(self.args[0])}))"

    def _eval_evalf(self, prec: int) -> sp.Expr:
        return sp.exp(-sp.Abs(self.args[0]))._eval_evalf(prec)


class powr(sp.Function):  # noqa: N801
    """``b**e`` for ``b > 0`` and symbolic ``e`` as an opaque head ``powr(log(b), e)``.

    Printed as ``math.exp(e*L)`` (with the ``vecmath`` option, the table's inlined ``exp``)
    where ``L = log(b)`` is an argument, so common-subexpression elimination computes the
    logarithm once for this power and every other ``log(b)`` of the kernel; and ``b**(2e)``
    becomes ``powr(log(b), e)**2`` (a square, not a second power function).
    """

    nargs = 2

    def _numbacode(self, printer: Any) -> str:
        log_b, e = self.args
        return (
            f"{printer.function('exp')}({printer.parenthesize(e, PRECEDENCE['Mul'])}"
            f"*{printer.parenthesize(log_b, PRECEDENCE['Mul'])})"
        )

    def _eval_evalf(self, prec: int) -> sp.Expr:
        return sp.exp(self.args[1] * self.args[0])._eval_evalf(prec)


def _rewrite_real_power(expr: sp.Pow) -> sp.Expr | None:
    """``b**(d + c*core)`` with ``b > 0`` → ``powr(b, core)**c * b**d`` (c small integer)."""
    base, e = expr.args
    if e.is_Number or not base.is_positive or isinstance(base, sp.exp):
        return None
    d, rest = e.as_coeff_Add()
    c, core = rest.as_coeff_Mul()
    if c.is_Integer and 1 <= abs(int(c)) <= 4:
        return powr(sp.log(base), core) ** c * base**d
    return powr(sp.log(base), rest) * base**d


class recip(sp.Function):  # noqa: N801
    """``1/b`` as an opaque head: ``b**-3`` becomes ``recip(b)**3``, so every power of
    ``b`` shares one division (printed as ``(1.0/(b))``)."""

    nargs = 1

    def _numbacode(self, printer: Any) -> str:
        return f"(1.0/({printer._print(self.args[0])}))"

    def _eval_evalf(self, prec: int) -> sp.Expr:
        return (1 / self.args[0])._eval_evalf(prec)


def share_reciprocals(expr: sp.Expr) -> sp.Expr:
    """Replace ``b**(-k)`` (integer ``k > 0``, ``b`` not a number) by ``recip(b)**k``.

    Run after :func:`stable_rewrite` (whose rules match negative powers) and before
    CSE, which then computes one division per distinct denominator.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> share_reciprocals(1 / (1 + x) ** 3 + 2 / (1 + x))
    recip(x + 1)**3 + 2*recip(x + 1)
    """

    def is_neg_power(e: sp.Basic) -> bool:
        return isinstance(e, sp.Pow) and e.exp.is_Integer and e.exp < 0 and not e.base.is_Number

    return expr.replace(is_neg_power, lambda e: recip(e.base) ** (-e.exp))


class logbeta(sp.Function):  # noqa: N801  (SymPy function heads are lower case)
    """``log(beta(a, b))`` as a single head (printed as a stable kernel function)."""

    nargs = 2


class log_besseli(sp.Function):  # noqa: N801
    """``log(besseli(n, x))`` as a single head (no overflow for large ``x``)."""

    nargs = 2


class besseli_ratio(sp.Function):  # noqa: N801
    """``besseli(n + 1, x) / besseli(n, x)`` as a single head (no overflow for large ``x``)."""

    nargs = 2


def _rewrite_log(arg: sp.Expr) -> sp.Expr | None:
    if isinstance(arg, sp.gamma):
        return sp.loggamma(arg.args[0])
    if isinstance(arg, sp.beta):
        return logbeta(*arg.args)
    if isinstance(arg, sp.besseli):
        return log_besseli(*arg.args)
    if isinstance(arg, sp.Add) and sp.S.One in arg.args:
        rest = arg - 1
        if isinstance(rest, sp.exp):
            u = rest.args[0]
            return sp.Max(u, 0) + log1p(exp_neg_abs(u))
        return log1p(rest)
    return None


def _rewrite_add(expr: sp.Add) -> sp.Expr | None:
    if len(expr.args) != 2 or not (sp.S.One in expr.args or sp.S.NegativeOne in expr.args):
        return None
    other = expr.args[1] if expr.args[0].is_Number else expr.args[0]
    if isinstance(other, sp.exp) and sp.S.NegativeOne in expr.args:
        return expm1(other.args[0])
    if isinstance(-other, sp.exp) and sp.S.One in expr.args:
        return -expm1((-other).args[0])
    return None


def _logistic_base(base: sp.Expr) -> sp.Expr | None:
    """``u`` if ``base == 1 + exp(u)``, else None."""
    if isinstance(base, sp.Add) and len(base.args) == 2 and sp.S.One in base.args:
        other = base.args[1] if base.args[0] == 1 else base.args[0]
        if isinstance(other, sp.exp):
            return other.args[0]
    return None


def _rewrite_logistic(factors: list[sp.Expr]) -> sp.Expr | None:
    """Rewrite ``exp(m u) (1 + exp(u))**(-k)`` inside a product of ``factors``."""
    for idx, f in enumerate(factors):
        if not (isinstance(f, sp.Pow) and f.exp.is_Integer and f.exp < 0):
            continue
        u = _logistic_base(f.base)
        if u is None:
            continue
        k = -f.exp
        m, rest = sp.S.Zero, []
        for j, g in enumerate(factors):
            q = g.args[0] / u if isinstance(g, sp.exp) else None
            if j == idx:
                continue
            if q is not None and q.is_Rational:
                m += q
            else:
                rest.append(g)
        t = exp_neg_abs(u)
        stable = sp.Piecewise((t**m, u < 0), (t ** (k - m), True)) / (1 + t) ** k
        return sp.Mul(stable, *rest)
    return None


def _rewrite_bessel_ratios(factors: list[sp.Expr]) -> sp.Expr | None:
    """Turn degree-0 products of ``besseli(k, x)**e`` into products of ratios."""
    groups: dict[sp.Expr, list[tuple[int, int]]] = defaultdict(list)
    rest: list[sp.Expr] = []
    for f in factors:
        base, e = (f.base, f.exp) if isinstance(f, sp.Pow) else (f, sp.S.One)
        if isinstance(base, sp.besseli) and base.args[0].is_Integer and e.is_Integer and base.args[0] >= 0:
            groups[base.args[1]].append((int(base.args[0]), int(e)))
        else:
            rest.append(f)
    changed = False
    for x, items in list(groups.items()):
        if sum(e for _, e in items) != 0 or len({n for n, _ in items}) < 2:
            rest.extend(sp.besseli(n, x) ** e for n, e in items)
            continue
        n0 = min(n for n, _ in items)
        for n, e in items:
            rest.extend(besseli_ratio(k, x) ** e for k in range(n0, n))
        changed = True
    return sp.Mul(*rest) if changed else None


def _distribute_over_bessel(factors: list[sp.Expr]) -> bool:
    """True for ``(sum of besseli terms) * besseli(n, x)**(-k)``: distributing gives ratios."""

    def is_inverse_bessel(f: sp.Expr) -> bool:
        return isinstance(f, sp.Pow) and isinstance(f.base, sp.besseli) and f.exp.is_negative

    return any(is_inverse_bessel(f) for f in factors) and any(
        isinstance(f, sp.Add) and f.has(sp.besseli) for f in factors
    )


def _is_logistic_complement(e: sp.Basic) -> bool:
    """``1 - 1/(1 + exp(u))`` (which cancels for u << 0)."""
    if not (isinstance(e, sp.Add) and len(e.args) == 2 and sp.S.One in e.args):
        return False
    other = e.args[1] if e.args[0] == 1 else e.args[0]
    neg = -other
    return isinstance(neg, sp.Pow) and neg.exp == -1 and _logistic_base(neg.base) is not None


def _logistic_complement(e: sp.Add) -> sp.Expr:
    base = (-(e - 1)).base
    u = _logistic_base(base)
    return sp.exp(u) / base  # = exp(u)/(1 + exp(u)), rewritten stably by the Mul rule


def _rewrite_node(expr: sp.Expr, in_mul: bool) -> sp.Expr:
    """Apply the local rules to one node whose arguments are already rewritten.

    A power that is a factor of a product (``in_mul``) is left to the product, which
    sees all factors (the numerator ``exp(m u)`` of a logistic term included).
    """
    new: sp.Expr | None = None
    if isinstance(expr, sp.log):
        new = _rewrite_log(expr.args[0])
    elif isinstance(expr, sp.Add):
        new = _rewrite_add(expr)
    elif isinstance(expr, sp.Pow):
        new = _rewrite_real_power(expr)
    if new is not None:
        return new
    if isinstance(expr, sp.Mul) or (isinstance(expr, sp.Pow) and not in_mul):
        factors = list(expr.args) if isinstance(expr, sp.Mul) else [expr]
        if _distribute_over_bessel(factors):
            terms = sp.expand_mul(expr).args
            return sp.Add(*(_rewrite_node(t, False) for t in terms))
        new = _rewrite_bessel_ratios(factors)
        if new is None:
            new = _rewrite_logistic(factors)
    return expr if new is None else new


def stable_rewrite(expr: sp.Expr) -> sp.Expr:
    """Rewrite ``expr`` bottom-up into numerically stable, exactly equal forms.

    Parameters
    ----------
    expr : sympy.Expr
        A scalar expression.

    Returns
    -------
    sympy.Expr
        The rewritten expression (mathematically equal to ``expr``).

    Examples
    --------
    >>> import sympy as sp
    >>> from symfisher.codegen.rewrite import stable_rewrite
    >>> x = sp.Symbol("x", positive=True)
    >>> stable_rewrite(sp.besseli(1, x) / sp.besseli(0, x))
    besseli_ratio(0, x)
    """
    expr = expr.replace(_is_logistic_complement, _logistic_complement)
    memo: dict[tuple[sp.Basic, bool], sp.Basic] = {}

    def walk(e: sp.Basic, in_mul: bool = False) -> sp.Basic:
        if e.is_Atom or not e.args:
            return e
        if (e, in_mul) in memo:
            return memo[e, in_mul]
        is_mul = isinstance(e, sp.Mul)
        args = [walk(a, is_mul) for a in e.args]
        rebuilt = e.func(*args) if any(a is not b for a, b in zip(args, e.args)) else e
        out = _rewrite_node(rebuilt, in_mul) if isinstance(rebuilt, sp.Expr) else rebuilt
        memo[e, in_mul] = out
        return out

    return walk(expr)
