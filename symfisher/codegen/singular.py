"""Guarded branches for removable singularities of generated kernels.

A derived expression such as ``(mu*cos(mu) - sin(mu))**2/mu**4`` (the Fisher information
of ``N(sin(mu)/mu, 1)``) is finite at ``mu = 0`` but, evaluated as written in floating
point, divides by zero there and loses every digit nearby (catastrophic cancellation:
at ``mu = 1e-6`` the numerator is ``1e-37`` computed from terms of size ``1e-6``).

For each scalar target, :func:`guard_removable` finds the points where a denominator
depending on one argument vanishes (``mu**4``, ``(1 - exp(theta))**2``), takes the Taylor
series of the part of the expression that depends on that argument, and emits
``Piecewise((series, Abs(s - c) < delta), (expr, True))``. The Taylor coefficients come
from Cauchy's integral formula evaluated numerically on a circle around ``c`` at 60
digits (``sympy.series`` takes tens of seconds on such expressions); the radius ``delta``
is chosen by measurement, not guessed: the polynomial must match a 60-digit mpmath
evaluation to 1e-14 inside ``|s - c| <= delta`` and the direct formula must match it to
1e-12 on ``[delta, 20 delta]``; otherwise the expression is left as written (a pole, a
branch point or a singularity too close never passes the first test). Kernels use
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

_ORDER = 32
"""Terms of the Taylor branch."""
_NODES = 96
"""Points on the circle of Cauchy's formula."""
_RADII = (1.5, 1.0, 0.5, 0.25, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001)
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
            with mpmath.workdps(60):
                ref = fn_ref(mpmath.mpf(t))  # type: ignore[operator]
            if isinstance(ref, mpmath.mpc) or not mpmath.isfinite(ref):
                continue  # outside the real domain (log(1 + mu) below -1): nothing to compare
            val = fn_float(t)  # type: ignore[operator]
        except Exception:  # noqa: BLE001 - any failure to evaluate (a function math lacks) means "not certified"
            return False
        if isinstance(val, complex) or not math.isfinite(val) or _rel_err(val, ref) > tol:
            return False
    return True


def _taylor(ref: object, c: float, r: float, n: int) -> list[float] | None:
    """Taylor coefficients ``a_0..a_{n-1}`` at ``c`` from Cauchy's formula on the circle
    ``|z - c| = r`` (trapezoidal rule, :data:`_NODES` points, 60 digits): the function is
    never evaluated at ``c`` itself, and all coefficients come from one set of values."""
    m = _NODES
    try:
        with mpmath.workdps(60):
            zs = [mpmath.mpf(c) + r * mpmath.expjpi(mpmath.mpf(2 * j) / m) for j in range(m)]
            vals = [mpmath.mpc(ref(z)) for z in zs]  # type: ignore[operator]
            return [
                float(
                    mpmath.re(mpmath.fsum(v * mpmath.expjpi(-mpmath.mpf(2 * j * k) / m) for j, v in enumerate(vals)))
                    / (m * mpmath.mpf(r) ** k)
                )
                for k in range(n)
            ]
    except Exception:  # noqa: BLE001 - a value mpmath cannot compute: no certified coefficients
        return None


def _guard(part: sp.Expr, s: sp.Symbol, c: sp.Expr) -> sp.Expr | None:
    """``Piecewise((Taylor polynomial, |s - c| < delta), (part, True))`` or None (see module docstring)."""
    if sp.count_ops(part) > _MAX_OPS:
        return None
    direct = sp.lambdify(s, part, modules="math")
    ref = sp.lambdify(s, part, modules="mpmath")
    cf, sides = float(c), _sides(s)
    scale = max(1.0, abs(cf))
    for r in (3.0 * scale, 1.0 * scale, 0.5 * scale, 0.1 * scale):
        coeffs = _taylor(ref, cf, r, _ORDER)
        if coeffs is None:
            continue
        size = max(abs(a) * r**k for k, a in enumerate(coeffs))
        # terms below 1e-40 of the largest are round-off of the 60-digit quadrature (exact zeros)
        poly = sp.Add(*[sp.Float(a, 17) * (s - c) ** k for k, a in enumerate(coeffs) if abs(a) * r**k > 1e-40 * size])
        fn = sp.lambdify(s, poly, modules="math")
        for d in (x * scale for x in _RADII if x * scale <= r / 2):
            inside = [cf + k * d * f for k in sides for f in (1.0, 0.5, 0.1, 0.01)]
            if not _accurate(fn, ref, inside, 1e-14):
                continue
            outside = [cf + k * d * 20 ** (j / 11) for k in sides for j in range(12)]
            if _accurate(direct, ref, outside, 1e-12):
                return sp.Piecewise((poly, sp.Abs(s - c) < sp.Float(d, 17)), (part, True))
            break  # a smaller radius only makes the direct formula worse
    return None


def guard_removable(expr: sp.Expr, symbols: Iterable[sp.Symbol]) -> sp.Expr:
    """``expr`` with a series branch at each removable singularity it can certify.

    Examples
    --------
    >>> mu = sp.Symbol("mu", real=True)
    >>> g = guard_removable(sp.sin(mu) / mu, [mu])
    >>> isinstance(g, sp.Piecewise), float(g.args[0][0].subs(mu, 0))
    (True, 1.0)
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
