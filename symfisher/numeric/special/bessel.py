"""Modified Bessel functions of the first kind I_n, their ratios, scaled and log forms.

The two large-x tables are least-squares Chebyshev fits (``mpmath.chebyfit``, 40 digits);
``tests/test_special.py`` reruns the recipes.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from symfisher.numeric.special._common import _INF, _NAN, _estrin4, _order

# Bessel I: exact Taylor coefficients in z = x^2 for |x| <= 12 (highest first) ...
_BESSEL_SPLIT = 12.0
_I0_TAYLOR = np.array([1 / (4**k * math.factorial(k) ** 2) for k in range(31, -1, -1)])
_I1_TAYLOR = np.array([1 / (2 * 4**k * math.factorial(k) * math.factorial(k + 1)) for k in range(31, -1, -1)])
# ... and sqrt(x) exp(-x) I_nu(x) for x > 12 as polynomials in t = 24/x - 1, highest first:
# mpmath.chebyfit(lambda t: sqrt(x) exp(-x) besseli(nu, x) at x = 24/(t+1), [-1, 1], 18),
# max error 1.5e-18 (two leading zeros pad them to a multiple of 4 for _estrin4).
_I0_LARGE = np.array(
    [
        0.0,
        0.0,
        5.651639972768679e-13,
        6.513895669865593e-13,
        -2.643642822555006e-12,
        -4.776314955436403e-12,
        1.160616007503719e-12,
        8.731478514943598e-12,
        1.1567225133595174e-11,
        1.86786960871825e-11,
        4.793431885757478e-11,
        1.5625009897783602e-10,
        6.480594489084545e-10,
        3.4434288960480876e-09,
        2.3688437138529013e-08,
        2.1716050330438626e-07,
        2.797707018723217e-06,
        5.598482533364579e-05,
        0.0021821681721169426,
        0.4010710650668474,
    ]
)
_I1_LARGE = np.array(
    [
        0.0,
        0.0,
        -5.901323139685153e-13,
        -6.631028143987137e-13,
        2.7950069920716694e-12,
        4.949031304204529e-12,
        -1.3598828015317703e-12,
        -9.241888378982641e-12,
        -1.2179489345971289e-11,
        -1.995906955937782e-11,
        -5.200740998856461e-11,
        -1.7218260229843336e-10,
        -7.281746097010025e-10,
        -3.967546482654758e-09,
        -2.8253705687513596e-08,
        -2.726845483614065e-07,
        -3.827951354766477e-06,
        -9.124755355074322e-05,
        -0.006405453603482373,
        0.39262449420411655,
    ]
)
_I_OVERFLOW = 713.987  # I_0(x) and I_1(x) exceed the largest double beyond this
_TWO_600 = 2.0**600  # exact rescaling of long products of Bessel ratios
_LOG_TWO_600 = 415.88830833596717  # 600 log(2)


# ---------------------------------------------------------------- Bessel I_n
@numba.njit(cache=True, inline="always")
def _i_large(coeffs: np.ndarray, ax: float) -> float:
    """sqrt(x) exp(-x) I_nu(x) for x > 12 from the fitted table."""
    return _estrin4(coeffs, _BESSEL_SPLIT * 2.0 / ax - 1.0)


@numba.njit(cache=True)
def _i01(nu: int, x: float, scaled: bool) -> float:
    """I_0 or I_1 at x (nu in {0, 1}), times exp(-|x|) if ``scaled``."""
    ax = abs(x)
    sgn = -1.0 if (nu == 1 and x < 0.0) else 1.0
    if ax <= _BESSEL_SPLIT:
        z = ax * ax
        v = _estrin4(_I0_TAYLOR, z) if nu == 0 else ax * _estrin4(_I1_TAYLOR, z)
        return sgn * (v * math.exp(-ax) if scaled else v)
    if nu == 0:
        v = _i_large(_I0_LARGE, ax) / math.sqrt(ax)
    else:
        v = _i_large(_I1_LARGE, ax) / math.sqrt(ax)
    if scaled:
        return sgn * v
    if ax > _I_OVERFLOW:
        return sgn * _INF
    h = math.exp(0.5 * ax)
    return sgn * ((v * h) * h)


@numba.njit(cache=True)
def besseli0(x: float) -> float:
    """Return the modified Bessel function of the first kind of order 0, I_0(x).

    Parameters
    ----------
    x : float
        Argument; any real (I_0 is even).

    Returns
    -------
    float
        ``I_0(x)``; ``inf`` for |x| > 713.98 (overflow).

    Notes
    -----
    |x| <= 12: the Taylor series in x^2 (positive coefficients); beyond: a Chebyshev fit
    of sqrt(x) e^-x I_0(x) in 24/x - 1. Relative error <= 1e-15 on [0, 700] (tests).

    Examples
    --------
    >>> besseli0(0.0)
    1.0
    """
    return _i01(0, float(x), False)


@numba.njit(cache=True)
def besseli1(x: float) -> float:
    """Return the modified Bessel function of the first kind of order 1, I_1(x).

    Parameters
    ----------
    x : float
        Argument; any real (I_1 is odd).

    Returns
    -------
    float
        ``I_1(x)``; ``+-inf`` for |x| > 713.98 (overflow).

    Notes
    -----
    Same scheme as :func:`besseli0`; relative error <= 1e-15 on [0, 700] (tests).

    Examples
    --------
    >>> besseli1(0.0)
    0.0
    """
    return _i01(1, float(x), False)


@numba.njit(cache=True)
def _asy_scaled(nu: int, x: float) -> float:
    """sqrt(2 pi x) exp(-x) I_nu(x) by the Hankel asymptotic series (x >= _asy_min(nu))."""
    mu = 4.0 * nu * nu
    term = 1.0
    total = 1.0
    for k in range(1, 60):
        term *= ((2 * k - 1) * (2 * k - 1) - mu) / (8.0 * k * x)
        total += term
        if abs(term) < 1e-17 * abs(total):
            break
    return total


@numba.njit(cache=True)
def _asy_min(nu: int) -> float:
    """Smallest x at which the Hankel series of I_nu reaches double precision."""
    return 50.0 + 2.0 * nu * nu


@numba.njit(cache=True)
def _ratio0(x: float) -> float:
    """I_1(x) / I_0(x) for x >= 0 (the exponentials of the two tables cancel)."""
    if x <= _BESSEL_SPLIT:
        z = x * x
        return x * _estrin4(_I1_TAYLOR, z) / _estrin4(_I0_TAYLOR, z)
    return _i_large(_I1_LARGE, x) / _i_large(_I0_LARGE, x)


@numba.njit(cache=True)
def _ratio_pos(n: int, x: float) -> float:
    """I_{n+1}(x) / I_n(x) for x >= 0, n >= 0."""
    if n == 0:
        return _ratio0(x)
    if x >= _asy_min(n + 1):
        return _asy_scaled(n + 1, x) / _asy_scaled(n, x)
    if x >= 4.0 * n * n + 4.0:
        # upward r_k = 1/r_{k-1} - 2k/x: errors grow by ~exp(n^2/x) < 1.3 here
        r = _ratio0(x)
        for k in range(1, n + 1):
            r = 1.0 / r - 2.0 * k / x
        return r
    m = n + int(math.sqrt(32.0 * x)) + 8  # measured need: ~5.4 sqrt(x) + 6
    # start from the midpoint of Amos's bounds, then r_{k-1} = x / (2k + x r_k)
    r = x / (m + 0.5 + math.sqrt((m + 1.0) * (m + 1.0) + x * x))
    for k in range(m, n, -1):
        r = x / (2.0 * k + x * r)
    return r


@numba.njit(cache=True)
def besseli_ratio(n: int, x: float) -> float:
    """Return I_{n+1}(x) / I_n(x), computed directly (never as a quotient of overflowing I's).

    Parameters
    ----------
    n : int
        Order n >= 0 (``nan`` for n < 0 or a non-integer n).
    x : float
        Argument; any real (the ratio is odd in x); finite for all finite x, -> 1 as
        x -> inf.

    Returns
    -------
    float
        ``I_{n+1}(x) / I_n(x)`` (for n = 0 the von Mises mean resultant length A(x)).

    Notes
    -----
    n = 0: the two tables of :func:`besseli0`/:func:`besseli1` (the exponentials cancel).
    n >= 1: Hankel asymptotic series for x >= 50 + 2 (n+1)^2; for x >= 4 n^2 + 4 the
    upward recurrence r_k = 1/r_{k-1} - 2k/x from n = 0; otherwise the backward
    recurrence r_{k-1} = x / (2k + x r_k) started at depth n + sqrt(32 x) + 8 from the
    Amos bounds. Relative error <= 2e-15 for n <= 10, x in [0, 1e5] (tests).

    Examples
    --------
    >>> round(besseli_ratio(0, 1e5), 12)
    0.999994999987
    """
    m, integral = _order(n)
    if m < 0 or not integral:
        return _NAN
    x = float(x)
    r = _ratio_pos(m, abs(x))
    return -r if x < 0.0 else r


@numba.njit(cache=True)
def _ratio_product(n: int, x: float) -> tuple[float, int]:
    """(P, c) with I_n(x) / I_1(x) = P 2^(-600 c), for x > 0, n >= 1, without underflow.

    Rescaling by a power of two is exact, so the product keeps its relative accuracy.
    """
    r = _ratio_pos(n - 1, x)
    prod = r
    count = 0
    for k in range(n - 1, 1, -1):
        r = x / (2.0 * k + x * r)
        prod *= r
        if prod < 1e-150:
            prod *= _TWO_600
            count += 1
    return prod, count


@numba.njit(cache=True)
def _besseli_impl(n: int, x: float, scaled: bool) -> float:
    m, integral = _order(n)
    m = abs(m)  # I_{-n} = I_n for integer n
    if not integral:
        return _NAN
    if m <= 1:
        return _i01(m, x, scaled)
    ax = abs(x)
    if ax > _I_OVERFLOW and not scaled:
        return (-_INF) if (x < 0.0 and m % 2 == 1) else _INF
    if ax == 0.0 or ax == _INF:
        return 0.0  # scaled: the limit at infinity is 0
    prod, count = _ratio_product(m, ax)
    v = _i01(1, ax, scaled) * prod
    for _ in range(count):
        v *= 1.0 / _TWO_600  # exact until the result itself underflows
    return -v if (x < 0.0 and m % 2 == 1) else v


@numba.njit(cache=True)
def besseli(n: int, x: float) -> float:
    """Return the modified Bessel function of the first kind I_n(x) of integer order.

    Parameters
    ----------
    n : int
        Integer order (I_{-n} = I_n); ``nan`` for a non-integer n.
    x : float
        Argument; any real (I_n(-x) = (-1)^n I_n(x)).

    Returns
    -------
    float
        ``I_n(x)``; ``+-inf`` for |x| > 713.987 (where I_0 overflows), 0 on underflow.

    Notes
    -----
    n >= 2: I_1(x) times the ratios I_{k+1}/I_k of :func:`besseli_ratio`, the top one
    computed directly and the others by the stable downward recurrence; long products
    are rescaled by exact powers of two. Relative error <= 2e-15 for n <= 10, x in
    [0, 700]; <= 3e-15 for n in {50, 100} (measured 1.8e-15; tests).

    Examples
    --------
    >>> round(besseli(2, 1.0), 15)
    0.135747669767038
    """
    return _besseli_impl(n, float(x), False)


@numba.njit(cache=True)
def besseli_e(n: int, x: float) -> float:
    """Return the exponentially scaled Bessel function exp(-|x|) I_n(x).

    Parameters
    ----------
    n : int
        Integer order (I_{-n} = I_n); ``nan`` for a non-integer n.
    x : float
        Argument; any real; finite for all finite x (~ 1/sqrt(2 pi |x|) for large |x|).

    Returns
    -------
    float
        ``exp(-|x|) I_n(x)``.

    Notes
    -----
    Relative error <= 2e-15 for n <= 10, x in [0, 1e5] (tests).

    Examples
    --------
    >>> round(besseli_e(0, 0.0), 15)
    1.0
    """
    return _besseli_impl(n, float(x), True)


@numba.njit(cache=True)
def _log_besseli_series(n: int, ax: float) -> float:
    """log I_n(x) = n log(x/2) - log n! + log1p(sum_k>=1 (x^2/4)^k / (k! (n+1)_k))."""
    q = 0.25 * ax * ax
    term = 1.0
    total = 0.0
    for k in range(1, 500):
        term *= q / (k * (n + k))
        total += term
        if term < 1e-17 * total:
            break
    return n * math.log(0.5 * ax) - math.lgamma(n + 1.0) + math.log1p(total)


@numba.njit(cache=True)
def log_besseli(n: int, x: float) -> float:
    """Return log|I_n(x)|, finite wherever I_n is positive (no overflow or underflow).

    Parameters
    ----------
    n : int
        Integer order (I_{-n} = I_n); ``nan`` for a non-integer n.
    x : float
        Argument; any real (the result is even in x).

    Returns
    -------
    float
        ``log|I_n(x)|``; ``-inf`` at x = 0 for n != 0, ``+inf`` for infinite x.

    Notes
    -----
    log of :func:`besseli` while that is a normal double (n <= 1: for |x| <= 12); the
    power series (with ``log1p``) where I_n underflows and for n = 0, |x| <= 2;
    |x| + log(exp(-|x|) I_n(x)) beyond (|x| > 700, or 12 for n <= 1). Mixed error
    <= 1e-15 for n <= 10 and n in {50, 100}, x in [0, 1e5] (tests).

    Examples
    --------
    >>> round(log_besseli(0, 1000.0), 10)  # I_0(1000) itself overflows
    995.6273088899
    """
    m, integral = _order(n)
    m = abs(m)
    ax = abs(float(x))
    if not integral:
        return _NAN
    if ax == 0.0:
        return 0.0 if m == 0 else -_INF
    if ax > 1e300:
        return ax
    if m == 0 and ax <= 2.0:
        return _log_besseli_series(0, ax)  # log1p keeps log I_0 ~ x^2/4 relative-accurate
    if m <= 1 and ax > _BESSEL_SPLIT:  # log I > 9 here: the scaled form loses nothing
        return ax + math.log(_i01(m, ax, True))
    if ax <= 700.0:
        v = _besseli_impl(m, ax, False)
        return math.log(v) if v > 1e-300 else _log_besseli_series(m, ax)
    prod, count = _ratio_product(m, ax)
    return ax + math.log(_i01(1, ax, True)) + math.log(prod) - count * _LOG_TWO_600
