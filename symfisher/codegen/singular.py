"""Guarded branches for removable singularities of generated kernels.

A derived expression such as ``(mu*cos(mu) - sin(mu))**2/mu**4`` (the Fisher information
of ``N(sin(mu)/mu, 1)``) is finite at ``mu = 0`` but, evaluated as written in floating
point, divides by zero there and loses every digit nearby (catastrophic cancellation:
at ``mu = 1e-6`` the numerator is ``1e-37`` computed from terms of size ``1e-6``).

For each scalar target, :func:`guard_removable` finds the points where a denominator
depending on one argument vanishes (``mu**4``, ``(1 - exp(theta))**2``), takes the Taylor
series of the part of the expression that depends on that argument, and emits
``Piecewise((series, Abs(s - c) < delta), (expr, True))``. The order and the radius
``delta`` are chosen by measurement, not guessed: the series must match a 50-digit mpmath
evaluation to 1e-15 at ``c ± delta`` and the direct formula must match it to 1e-12
on ``[delta, 20 delta]``; otherwise the expression is left as written. Kernels use
Numba's ``error_model="numpy"`` so that a hoisted common subexpression of the unused
branch (``1/mu**4`` at 0) gives ``inf`` instead of raising.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import mpmath
import sympy as sp
from sympy.core.function import PoleError

__all__ = ["guard_removable", "singular_points"]

_ORDERS = (8, 12, 16, 24)
_RADII = (0.5, 0.25, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001)
_MAX_OPS = 200
_SYMPY_FAILURES = (
    PoleError,
    NotImplementedError,
    ValueError,
    TypeError,
    RecursionError,
    ZeroDivisionError,
    AttributeError,
)


def singular_points(expr: sp.Expr, symbols: Iterable[sp.Symbol]) -> list[tuple[sp.Symbol, sp.Expr]]:
    """``(s, c)`` pairs: a denominator of ``expr`` depending only on ``s`` vanishes at real ``c``."""
    syms = set(symbols)
    found: list[tuple[sp.Symbol, sp.Expr]] = []
    for node in sp.preorder_traversal(expr):
        if not (node.is_Pow and node.exp.is_number and node.exp.is_negative):
            continue
        free = node.base.free_symbols
        if len(free) != 1 or not free <= syms or sp.count_ops(node.base) > 40:
            continue
        (s,) = free
        try:
            zeros = sp.solveset(node.base, s, sp.S.Reals)
        except _SYMPY_FAILURES:
            continue
        if isinstance(zeros, sp.FiniteSet) and len(zeros) <= 3:
            found += [(s, z) for z in zeros if z.is_number and z.is_finite and (s, z) not in found]
    return found


def _split(expr: sp.Expr, s: sp.Symbol) -> tuple[sp.Expr, sp.Expr] | None:
    """``(part, rest)`` with ``expr = rest * part``, ``part`` depending on ``s`` only and
    ``rest`` free of ``s``; None when ``s`` is entangled with other symbols."""
    if expr.free_symbols == {s}:
        return expr, sp.S.One
    if not expr.is_Mul:
        return None
    dep, rest = [], []
    for f in expr.args:
        if s in f.free_symbols:
            if f.free_symbols != {s}:
                return None
            dep.append(f)
        else:
            rest.append(f)
    return sp.Mul(*dep), sp.Mul(*rest)


def _rel_err(value: float, ref: mpmath.mpf) -> float:
    return float(abs(value - ref) / max(abs(ref), mpmath.mpf("1e-300")))


def _sides(s: sp.Symbol) -> tuple[int, ...]:
    return (1,) if (s.is_nonnegative or s.is_positive) else (-1, 1) if not (s.is_nonpositive) else (-1,)


def _accurate(fn_float: object, fn_ref: object, points: list[float], tol: float) -> bool:
    for t in points:
        try:
            with mpmath.workdps(50):
                ref = fn_ref(mpmath.mpf(t))  # type: ignore[operator]
                if not mpmath.isfinite(ref) or isinstance(ref, mpmath.mpc):
                    return False
            val = fn_float(t)  # type: ignore[operator]
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            return False
        if isinstance(val, complex) or not math.isfinite(val) or _rel_err(val, ref) > tol:
            return False
    return True


def _guard(part: sp.Expr, s: sp.Symbol, c: sp.Expr) -> sp.Expr | None:
    """``Piecewise((series, |s - c| < delta), (part, True))`` or None (see module docstring)."""
    if sp.count_ops(part) > _MAX_OPS:
        return None
    direct = sp.lambdify(s, part, modules="math")
    ref = sp.lambdify(s, part, modules="mpmath")
    cf, sides = float(c), _sides(s)
    for n in _ORDERS:
        try:
            ser = sp.series(part, s, c, n).removeO()
        except _SYMPY_FAILURES:
            return None
        if not ser.subs(s, c).is_finite or ser.has(sp.log):  # a pole or a log term: not removable
            return None
        poly = sp.lambdify(s, ser, modules="math")
        for delta in _RADII:
            d = delta * max(1.0, abs(cf))
            if not _accurate(poly, ref, [cf + k * d for k in sides], 1e-15):
                continue
            outside = [cf + k * d * 20 ** (j / 11) for k in sides for j in range(12)]
            if _accurate(direct, ref, outside, 1e-12):
                return sp.Piecewise((ser, sp.Abs(s - c) < sp.Float(d, 17)), (part, True))
            break  # a smaller radius only makes the direct formula worse
    return None


def guard_removable(expr: sp.Expr, symbols: Iterable[sp.Symbol]) -> sp.Expr:
    """``expr`` with a series branch at each removable singularity it can certify.

    Examples
    --------
    >>> mu = sp.Symbol("mu", real=True)
    >>> g = guard_removable(sp.sin(mu) / mu, [mu])
    >>> isinstance(g, sp.Piecewise), g.args[0][0].subs(mu, 0)
    (True, 1)
    """
    syms = list(symbols)
    for s, c in singular_points(expr, syms):
        split = _split(expr, s)
        if split is None:
            continue
        guarded = _guard(split[0], s, c)
        if guarded is not None:
            expr = split[1] * guarded
    return expr
