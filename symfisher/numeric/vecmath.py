"""Branch-free, vectorisable elementary functions for generated kernels.

LLVM (through Numba) cannot vectorise a loop that calls libm's scalar ``exp``/``log``/
``pow``: llvmlite ships no vector math library. The functions here are written only
with operations LLVM vectorises (add, multiply, fused multiply-add, divide, compare,
select, 64-bit integer add/shift and bit casts), no calls and no data-dependent branches:
every special case is an arithmetic select (``a if c else b`` becomes an LLVM
``select``). Numba compiles each function into the caller's module, where LLVM inlines
it and the loop vectoriser sees straight-line code.

Algorithms (all in float64, round-to-nearest):

* ``exp``: ``n = round(x / ln 2)`` by the 1.5·2⁵² shift trick, ``r = x - n ln2`` with the
  Cody–Waite two-constant split of ln 2 (``LN2_HI`` has 21 trailing zero bits, so
  ``n LN2_HI`` is exact for ``|n| < 2²¹``), Taylor polynomial of degree 13 for
  ``exp(r) - 1 - r`` on ``|r| <= ln2/2`` (truncation < 6e-18 relative), and the scaling
  ``2ⁿ = 2^(n//2) 2^(n - n//2)`` as two exact powers of two built from bits, so results
  that overflow give ``inf`` and results in the subnormal range are rounded once
  (gradual underflow; nothing is flushed to zero).
* ``log``: ``x = 2ᵏ m`` with ``m`` in ``[√½, √2)`` from the exponent bits (subnormal
  inputs are scaled by 2⁵⁴ first), ``f = m - 1``, ``s = f / (2 + f)`` and
  ``log(1 + f) = 2 atanh(s) = f - f²/2 + s (f²/2 + R)`` (fdlibm's arrangement) with the
  Taylor series of ``R`` in ``s²`` truncated below 2⁻⁶⁶ relative; ``k ln 2`` from the
  Cody–Waite pair. For ``power`` (and ``softplus``) the same series is evaluated as a
  double-double: ``s`` and ``(2/3) s³`` carry their rounding errors (fused multiply-add)
  and ``k ln 2`` is added with an exact two-sum.
* ``log1p``: the same on ``u = 1 + x``, plus the exact rounding error of ``u``
  divided by ``u`` (``log1p(x) = log(u) + (1 + x - u)/u``).
* ``expm1``: ``2ⁿ (1 + s) - 1`` with ``s = expm1(r)``, summed as
  ``(2ⁿ - 1) + 2ⁿ r`` (exact two-sum) ``+ 2ⁿ (s - r)``.
* ``power(x, y)``: ``exp(y log x)`` with ``log x`` a double-double and ``y log x``
  formed with an exact product (error-free ``fma``) so that the error of ``log x`` is not
  magnified by ``|y log x|`` up to 745; IEEE 754 / C99 special cases (``x = 0``, ``±inf``,
  negative ``x`` with integer ``y``, ``y = 0``, ``x = 1``, NaN).
* ``logistic(x) = 1/(1 + e⁻ˣ)`` and ``softplus(x) = log(1 + eˣ)`` through ``t = e^-|x|``
  (no overflow at any input).

Accuracy (``tests/test_vecmath.py``, 10⁶ random arguments per function, log-uniform
over the whole double range and dense near the special points, in ulps of the exact
result; references x87 extended precision and mpmath at 50 digits), maximum measured
error: exp 1.00, log 0.81, log1p 0.82, expm1 0.98, logistic 1.00 (both at subnormal
results, e.g. exp(-709.004)), softplus 1.10, power 1.30 ulp; the tests assert at most 2 ulp,
subnormal inputs and outputs included (no flush to zero).
Signed zeros, infinities and NaN follow C99 Annex F.

The functions are compiled with only the ``contract`` fast-math flag (fused multiply-add;
they do not depend on it: the error-free products call ``llvm.fma`` explicitly), never
with ``reassoc``/``nnan``/``ninf``, which would undo the compensated sums and the NaN
selects. Because LLVM inlines the compiled functions, the caller's own fast-math flags
do not apply to their instructions.

:func:`broadcast_block` is the one helper of the kernels' chunked loops (it is here so that
generated kernels import from a single module of vectorisation support).

The module imports only ``numba``, ``numpy`` and ``llvmlite`` (it is copied verbatim into
modules written by ``sf.export``).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = [
    "CHUNK",
    "broadcast_block",
    "exp",
    "expm1",
    "log",
    "log1p",
    "logistic",
    "power",
    "softplus",
]

#: Points per block of the vectorised kernels' chunked loops (parallel work unit, and the
#: length of the filled block that stands for a broadcast argument).
CHUNK = 4096

_vm_jit = numba.njit(cache=True, nogil=True, fastmath={"contract"}, error_model="numpy", inline="always")


@intrinsic
def _vm_bits(typingctx, x):
    """The IEEE bit pattern of a float64 as an int64 (an LLVM ``bitcast``)."""
    if x != types.float64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _vm_float(typingctx, n):
    """The float64 whose bit pattern is the int64 ``n`` (an LLVM ``bitcast``)."""
    if n != types.int64:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _vm_fma(typingctx, a, b, c):
    """``a * b + c`` with one rounding (``llvm.fma.f64``)."""
    if not (a == b == c == types.float64):
        return None

    def codegen(context, builder, sig, args):
        f64 = ir.DoubleType()
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(f64, [f64, f64, f64]), "llvm.fma.f64")
        return builder.call(fn, args)

    return types.float64(types.float64, types.float64, types.float64), codegen


# 1.5 * 2**52: x + SHIFT rounds x to an integer held in the low bits
_SHIFT = 6755399441055744.0
_SHIFT_BITS = 0x4338000000000000
_INV_LN2 = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # 0x3FE62E42FEE00000 (21 trailing zero bits)
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - LN2_HI
_TWO3_HI = 0.6666666666666666  # 2/3 = TWO3_HI + TWO3_LO to 2**-107
_TWO3_LO = 3.700743415417188e-17
_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD
_TINY = 2.2250738585072014e-308  # smallest normal
_TWO54 = 18014398509481984.0
_INF = math.inf
_NAN = math.nan
# exp(r) = 1 + r + r**2 * P(r): Taylor coefficients 1/k!, k = 2..13 (exact to 2**-53).
_E2, _E3, _E4, _E5 = 1 / 2, 1 / 6, 1 / 24, 1 / 120
_E6, _E7, _E8, _E9 = 1 / 720, 1 / 5040, 1 / 40320, 1 / 362880
_E10, _E11, _E12, _E13 = 1 / 3628800, 1 / 39916800, 1 / 479001600, 1 / 6227020800
# 2 atanh(s) = 2 s + (2/3) s**3 + s**5 Q(s**2): Q = sum_j 2 z**(j-2) / (2j + 1), j = 2..12.
_Q0, _Q1, _Q2, _Q3 = 2 / 5, 2 / 7, 2 / 9, 2 / 11
_Q4, _Q5, _Q6, _Q7 = 2 / 13, 2 / 15, 2 / 17, 2 / 19
_Q8, _Q9, _Q10 = 2 / 21, 2 / 23, 2 / 25


@_vm_jit
def _vm_expm1_poly(r):
    """``(exp(r) - 1 - r) / r**2`` for ``|r| <= ln2/2`` (Horner)."""
    p = _E12 + r * _E13
    p = _E11 + r * p
    p = _E10 + r * p
    p = _E9 + r * p
    p = _E8 + r * p
    p = _E7 + r * p
    p = _E6 + r * p
    p = _E5 + r * p
    p = _E4 + r * p
    p = _E3 + r * p
    return _E2 + r * p


@_vm_jit
def _vm_reduce_exp(x, tail, lo, hi):
    """``x + tail = n ln2 + r + rc``: returns ``(n, r, t)`` with ``t = exp(r+rc) - 1 - r``.

    ``x`` is first clamped to ``[lo, hi]`` (NaN passes through).
    """
    x = min(x, hi)
    x = max(x, lo)
    kd = _vm_fma(x, _INV_LN2, _SHIFT)
    nf = kd - _SHIFT
    n = _vm_bits(kd) - _SHIFT_BITS
    r_hi = _vm_fma(-nf, _LN2_HI, x)  # exact
    r_lo = tail - nf * _LN2_LO
    r = r_hi + r_lo
    rc = (r_hi - r) + r_lo
    t = r * r * _vm_expm1_poly(r) + rc * (1.0 + r)
    return n, r, t


@_vm_jit
def _vm_pow2(n):
    """``2**n`` for ``-1022 <= n <= 1023`` from its bits."""
    return _vm_float((n + 1023) << 52)


@_vm_jit
def _vm_exp_tail(x, tail):
    """``exp(x + tail)`` for a double-double argument (``|tail| <= ulp(x)``)."""
    n, r, t = _vm_reduce_exp(x, tail, -746.0, 710.0)
    e = 1.0 + (r + t)
    n1 = n >> 1
    return (e * _vm_pow2(n1)) * _vm_pow2(n - n1)


@_vm_jit
def _vm_exp_neg_dd(x):
    """``exp(x)`` for ``x <= 0`` as a double-double ``(hi, lo)`` (``lo`` may underflow)."""
    n, r, t = _vm_reduce_exp(x, 0.0, -746.0, 0.0)
    s = r + t
    sl = (r - s) + t
    e = 1.0 + s
    el = ((1.0 - e) + s) + sl  # fast two-sum: 1 >= |s|
    n1 = n >> 1
    a, b = _vm_pow2(n1), _vm_pow2(n - n1)
    return (e * a) * b, (el * a) * b


@_vm_jit
def exp(x):
    """``e**x``; overflow gives ``inf``, subnormal results are rounded (not flushed).

    Parameters
    ----------
    x : float

    Returns
    -------
    float
        ``exp(-inf) = 0``, ``exp(inf) = inf``, NaN propagates.
    """
    x = float(x)  # integer literals from the printer (log(2)) become float64
    return _vm_exp_tail(x, 0.0)


@_vm_jit
def expm1(x):
    """``e**x - 1`` accurate for small ``|x|``; ``expm1(±0) = ±0``, ``expm1(-inf) = -1``."""
    x = float(x)  # integer literals from the printer (log(2)) become float64
    n, r, t = _vm_reduce_exp(x, 0.0, -45.0, 710.0)
    h = 1 if n > 1023 else 0  # 2**1024 is not a double: scale by 2 at the end
    big = _vm_pow2(n - h)
    a = big - _vm_pow2(-h)
    b = big * r
    s = a + b  # two-sum: (a + b) = s + e exactly
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    res = (s + (e + big * t)) * _vm_pow2(h)
    return x if abs(x) < 5.551115123125783e-17 else res


@_vm_jit
def _vm_split(x):
    """``x = 2**k (1 + f)`` with ``1 + f`` in ``[√½, √2)``; ``x > 0`` (subnormal allowed).

    Returns ``(k as float, f)``; ``f`` is exact.
    """
    sub = x < _TINY
    xs = x * _TWO54 if sub else x
    hx = _vm_bits(xs)
    k = (hx - _SQRT_HALF_BITS) >> 52
    m = _vm_float(hx - (k << 52))
    k = k - 54 if sub else k
    dk = _vm_float(k + _SHIFT_BITS) - _SHIFT  # int -> float through the bits
    return dk, m - 1.0


@_vm_jit
def _vm_atanh_q(z):
    """``Q(z) = sum_j 2 z**(j-2) / (2j + 1)``, j = 2..12: ``2 atanh(s) = 2s + (2/3)s³ + s⁵Q``."""
    q = _Q9 + z * _Q10
    q = _Q8 + z * q
    q = _Q7 + z * q
    q = _Q6 + z * q
    q = _Q5 + z * q
    q = _Q4 + z * q
    q = _Q3 + z * q
    q = _Q2 + z * q
    q = _Q1 + z * q
    return _Q0 + z * q


@_vm_jit
def _vm_log1p_d(dk, f, c):
    """``dk ln2 + log(1 + f) + c`` in double precision (fdlibm's arrangement, < 1 ulp).

    ``log(1 + f) = f - f²/2 + s (f²/2 + R)`` with ``s = f/(2 + f)`` and
    ``R = s² (2/3 + s² Q(s²))``; the rounding of ``s`` only enters through the small
    term ``s (f²/2 + R)``.
    """
    s = f / (2.0 + f)
    z = s * s
    r = z * (_TWO3_HI + z * _vm_atanh_q(z))
    hfsq = 0.5 * f * f
    return dk * _LN2_HI - ((hfsq - (s * (hfsq + r) + (dk * _LN2_LO + c))) - f)


@_vm_jit
def _vm_log1p_dd(dk, f, c):
    """``dk ln2 + log(1 + f) + c`` as a double-double ``(hi, lo)``; ``|f| <= 0.415``."""
    u = 2.0 + f
    ul = (2.0 - u) + f  # u + ul = 2 + f exactly
    inv_u = 1.0 / u
    s = f * inv_u
    sl = (_vm_fma(-s, u, f) - s * ul) * inv_u  # s + sl = f / (2 + f) to ~2**-104
    z = s * s
    zl = _vm_fma(s, s, -z)
    c3 = z * s
    c3l = _vm_fma(z, s, -c3) + (zl * s + 3.0 * z * sl)  # c3 + c3l = (s + sl)**3
    mh = c3 * _TWO3_HI
    ml = _vm_fma(c3, _TWO3_HI, -mh) + (c3l * _TWO3_HI + c3 * _TWO3_LO)
    q = _vm_atanh_q(z)
    h = 2.0 * s
    h2 = h + mh  # fast two-sum: |h| >= |mh|
    e1 = mh - (h2 - h)
    low = e1 + (2.0 * sl + (ml + (c3 * z * q + c)))
    a = dk * _LN2_HI  # exact
    r = a + h2  # two-sum
    bb = r - a
    e2 = (a - (r - bb)) + (h2 - bb)
    low = e2 + (low + dk * _LN2_LO)
    hi = r + low
    return hi, (r - hi) + low


@_vm_jit
def _vm_log_dd(x):
    """``log(x)`` as a double-double for finite ``x > 0``."""
    dk, f = _vm_split(x)
    return _vm_log1p_dd(dk, f, 0.0)


@_vm_jit
def log(x):
    """Natural logarithm; ``log(±0) = -inf``, ``log(x < 0) = nan``, ``log(inf) = inf``.

    Subnormal inputs are exact powers of two times their significand (no flush).
    """
    x = float(x)  # integer literals from the printer (log(2)) become float64
    dk, f = _vm_split(x)
    hi = _vm_log1p_d(dk, f, 0.0)
    hi = _NAN if x < 0.0 else hi
    hi = -_INF if x == 0.0 else hi
    return x if not x < _INF else hi


@_vm_jit
def _vm_log1p2(x, xl):
    """``log(1 + x + xl)`` for ``x > -1`` finite, ``|xl| <= ulp(x)``."""
    u = 1.0 + x
    c = (1.0 - (u - x)) if x >= 1.0 else (x - (u - 1.0))  # 1 + x = u + c exactly
    dk, f = _vm_split(u)
    hi, _ = _vm_log1p_dd(dk, f, (c + xl) / u)
    return hi


@_vm_jit
def log1p(x):
    """``log(1 + x)`` accurate for small ``|x|``; ``log1p(-1) = -inf``, ``log1p(±0) = ±0``."""
    x = float(x)  # integer literals from the printer (log(2)) become float64
    u = 1.0 + x
    c = (1.0 - (u - x)) if x >= 1.0 else (x - (u - 1.0))  # 1 + x = u + c exactly
    dk, f = _vm_split(u)
    hi = _vm_log1p_d(dk, f, c / u)
    hi = _NAN if x < -1.0 else hi
    hi = -_INF if x == -1.0 else hi
    hi = x if not x < _INF else hi
    return x if abs(x) < 5.551115123125783e-17 else hi


@_vm_jit
def _vm_pow_abs(ax, y):
    """``ax**y`` for finite ``ax > 0`` and finite ``y`` (``exp`` of a double-double)."""
    lh, ll = _vm_log_dd(ax)
    ph = y * lh
    pl = _vm_fma(y, lh, -ph) + y * ll
    pl = pl if abs(ph) < 1000.0 else 0.0
    return _vm_exp_tail(ph, pl)


@_vm_jit
def power(x, y):
    """``x**y`` for real ``y`` with the special values of C99 ``pow``.

    ``power(x, 0) = power(1, y) = 1`` (even for NaN), negative ``x`` gives NaN unless
    ``y`` is an integer (then the sign follows the parity of ``y``), ``power(±0, y<0)``
    is ``inf`` (``-inf`` for ``-0`` and odd ``y``), infinite ``x`` or ``y`` as in C99.
    """
    x, y = float(x), float(y)
    ax = abs(x)
    res = _vm_pow_abs(ax, y)
    res = (0.0 if y > 0.0 else _INF) if ax == 0.0 else res
    res = (_INF if y > 0.0 else 0.0) if ax == _INF else res
    big_y = (_INF if (ax > 1.0) == (y > 0.0) else 0.0) if ax != 1.0 else 1.0
    res = big_y if abs(y) == _INF else res
    half = 0.5 * y
    y_int = math.floor(y) == y
    y_odd = y_int & (math.floor(half) != half)
    res = _NAN if ((x < 0.0) & (not y_int)) else res
    res = -res if ((_vm_bits(x) < 0) & y_odd) else res
    res = _NAN if (math.isnan(x) | math.isnan(y)) else res
    return 1.0 if ((y == 0.0) | (x == 1.0)) else res


@_vm_jit
def logistic(x):
    """``1/(1 + e**-x)`` without overflow: ``t/(1 + t)`` or ``1/(1 + t)``, ``t = e**-|x|``.

    ``t`` is a double-double and the quotient is corrected once (Newton step with ``fma``).
    """
    x = float(x)  # integer literals from the printer (log(2)) become float64
    t, tl = _vm_exp_neg_dd(-abs(x))
    pos = x >= 0.0
    num = 1.0 if pos else t
    num_l = 0.0 if pos else tl
    d = 1.0 + t
    dl = ((1.0 - d) + t) + tl  # d + dl = 1 + t + tl
    q = num / d
    res = (_vm_fma(-q, d, num) + (num_l - q * dl)) / d
    return q + res


@_vm_jit
def softplus(x):
    """``log(1 + e**x) = max(x, 0) + log1p(e**-|x|)`` without overflow."""
    x = float(x)  # integer literals from the printer (log(2)) become float64
    t, tl = _vm_exp_neg_dd(-abs(x))
    return (max(0.0, x)) + _vm_log1p2(t, tl)


@numba.njit(cache=True, nogil=True)
def broadcast_block(a, stride, n):
    """Rows that a dense loop can read at ``[lo:]`` for every block ``lo`` of a kernel.

    Parameters
    ----------
    a : ndarray, shape (n, ...) or (1, ...)
        A kernel argument (C-contiguous).
    stride : int
        1 if ``a`` has a row per point, 0 if its one row is broadcast.
    n : int
        Number of points.

    Returns
    -------
    ndarray
        ``a`` itself for ``stride == 1``; otherwise ``min(n, CHUNK)`` copies of its row
        (the same for every block, so it is filled once).
    """
    if stride == 1:
        return a
    rows = min(n, CHUNK)
    out = np.empty((rows,) + a.shape[1:])
    for r in range(rows):
        out[r] = a[0]
    return out
