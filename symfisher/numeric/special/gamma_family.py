"""The gamma family: log-gamma, gamma, digamma, trigamma, polygamma and (Hurwitz) zeta.

Coefficient provenance: Bernoulli numbers are exact rationals; the digamma table is a Pade
approximant (``mpmath.pade``), its recipe reproduced by ``tests/test_special.py``.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from symfisher.numeric.special._common import _INF, _NAN, _estrin4, _horner, _order

_LOG_SQRT_2PI = 0.9189385332046727  # log(2 pi) / 2
# Bernoulli numbers B_2 .. B_20 as exact fractions (numerator, denominator).
_BERN = ((1, 6), (-1, 30), (1, 42), (-1, 30), (5, 66), (-691, 2730), (7, 6), (-3617, 510), (43867, 798), (-174611, 330))
# Asymptotic coefficients, highest order first (for Horner in 1/x^2).
# (for x >= 10 the first omitted term is < 6e-18 relative)
_TRIGAMMA_ASY = np.array([p / q for p, q in reversed(_BERN[:9])])  # B_2k
_DIGAMMA_ASY = np.array([p / (q * 2 * k) for k, (p, q) in reversed(list(enumerate(_BERN[:8], 1)))])  # B_2k/2k
_STIRLING = np.array(
    [p / (q * 2 * k * (2 * k - 1)) for k, (p, q) in reversed(list(enumerate(_BERN, 1)))]
)  # lgamma tail
_EM = np.array([p / (q * math.factorial(2 * k)) for k, (p, q) in enumerate(_BERN, 1)])
# Positive root of digamma, split hi + lo.
_X0_HI = 1.4616321449683622
_X0_LO = 9.549995429965697e-17
# psi(x) / (x - x0) on [1, 2] as P(t)/Q(t), t = x - 3/2, highest degree first: the [7/7]
# Pade approximant (mpmath.pade, 60 digits) of its Taylor series at 3/2 (from polygamma);
# max error 3.8e-19 on |t| <= 1/2.
_DIGAMMA_P = np.array(
    [
        2.2875231319320657e-08,
        1.892968919494365e-05,
        0.0010366613449104174,
        0.01911466203267289,
        0.15928276913496772,
        0.6546958523432582,
        1.284632596633948,
        0.9510558760318328,
    ]
)
_DIGAMMA_Q = np.array(
    [
        3.6295290578449713e-06,
        0.00028135413004280757,
        0.006839903223994221,
        0.07489705708833223,
        0.41957339533187704,
        1.235533208093123,
        1.7961720872204896,
        1.0,
    ]
)


# ---------------------------------------------------------------- gamma family
@numba.njit(cache=True)
def loggamma(x: float) -> float:
    """Return log|Gamma(x)| (libm ``lgamma``).

    Parameters
    ----------
    x : float
        Argument; any real.

    Returns
    -------
    float
        ``log|Gamma(x)|``; ``+inf`` at the poles x = 0, -1, -2, ...

    Notes
    -----
    Mixed error <= 1e-15 for x in [1e-6, 1e6] (measured worst 3e-16).

    Examples
    --------
    >>> round(loggamma(10.0), 12)
    12.801827480081
    """
    return math.lgamma(float(x))


@numba.njit(cache=True)
def gamma(x: float) -> float:
    """Return Gamma(x) (libm ``tgamma``).

    Parameters
    ----------
    x : float
        Argument; any real.

    Returns
    -------
    float
        ``Gamma(x)``; ``inf`` at x = 0 and for x > 171.62 (overflow), ``nan`` at negative
        integers.

    Notes
    -----
    Relative error <= 1e-15 for x in [1e-6, 171] (measured worst 5e-16).

    Examples
    --------
    >>> gamma(5.0)
    24.0
    """
    return math.gamma(float(x))


@numba.njit(cache=True)
def _digamma_pos(x: float) -> float:
    if x >= 10.0:
        t2 = 1.0 / (x * x)
        return math.log(x) - 0.5 / x - t2 * _horner(_DIGAMMA_ASY, t2)
    acc = 0.0
    if x < 1.0:
        acc = -1.0 / x
        x += 1.0
    while x > 2.0:
        x -= 1.0
        acc += 1.0 / x
    t = x - 1.5
    return acc + ((x - _X0_HI) - _X0_LO) * (_estrin4(_DIGAMMA_P, t) / _estrin4(_DIGAMMA_Q, t))


@numba.njit(cache=True)
def _cot_pi(x: float) -> float:
    r = x - math.floor(x + 0.5)  # exact reduction to [-1/2, 1/2]
    return 1.0 / math.tan(math.pi * r)


@numba.njit(cache=True)
def digamma(x: float) -> float:
    """Return the digamma function psi(x) = d/dx log Gamma(x).

    Parameters
    ----------
    x : float
        Argument; any real.

    Returns
    -------
    float
        ``psi(x)``; ``nan`` at the poles x = 0, -1, -2, ... (the sign of the limit
        depends on the side).

    Notes
    -----
    x >= 10: asymptotic series; [1, 2]: (x - x0) times a Pade approximant, so the positive
    root x0 = 1.4616... keeps full relative accuracy; elsewhere on x > 0 the recurrence
    psi(x + 1) = psi(x) + 1/x; x < 0: reflection psi(1 - x) - pi cot(pi x).
    Mixed error <= 1e-15 on [1e-6, 1e6] (see tests); for x < 0 the error is relative to
    ``|psi(1 - x)| + |pi cot(pi x)|``.

    Examples
    --------
    >>> round(digamma(1.0), 15)
    -0.577215664901533
    """
    x = float(x)
    if x <= 0.0:
        if x == math.floor(x):
            return _NAN
        return _digamma_pos(1.0 - x) - math.pi * _cot_pi(x)
    return _digamma_pos(x)


@numba.njit(cache=True)
def _trigamma_pos(x: float) -> float:
    acc = 0.0
    while x < 10.0:
        acc += 1.0 / (x * x)
        x += 1.0
    t = 1.0 / x
    t2 = t * t
    return acc + (t + t2 * (0.5 + t * _horner(_TRIGAMMA_ASY, t2)))


@numba.njit(cache=True)
def trigamma(x: float) -> float:
    """Return the trigamma function psi'(x) = sum_k 1/(x + k)^2.

    Parameters
    ----------
    x : float
        Argument; any real.

    Returns
    -------
    float
        ``psi'(x)``; ``+inf`` at the poles x = 0, -1, -2, ... (the limit from both sides).

    Notes
    -----
    Recurrence up to x >= 10, then the Bernoulli asymptotic series; all terms are
    positive, so the relative error stays <= 1e-15 on [1e-6, 1e6] (see tests).
    x < 0: reflection pi^2 / sin^2(pi x) - psi'(1 - x).

    Examples
    --------
    >>> round(trigamma(1.0), 15)  # pi^2 / 6
    1.644934066848226
    """
    x = float(x)
    if x <= 0.0:
        if x == math.floor(x):
            return _INF
        s = math.sin(math.pi * (x - math.floor(x + 0.5)))
        return math.pi * math.pi / (s * s) - _trigamma_pos(1.0 - x)
    return _trigamma_pos(x)


@numba.njit(cache=True)
def _inv_pow(q: float, s: float) -> float:
    """q^-s; for integer s <= 5 as 1 / q^s by binary powering (7x faster than pow, <= 2
    ulp; larger s would lose accuracy this way)."""
    if s <= 5.0 and s == math.floor(s):
        k = int(s)
        base = q
        result = 1.0
        while k > 0:
            if k & 1:
                result *= base
            base *= base
            k >>= 1
        return 1.0 / result
    return math.pow(q, -s)


@numba.njit(cache=True)
def _zeta_tail(s: float, a: float) -> float:
    """Euler-Maclaurin tail sum_{k >= 0} (a + k)^-s for a >= 10 + s."""
    lead = math.pow(a, 1.0 - s)
    tail = lead / (s - 1.0) + 0.5 * math.pow(a, -s)
    rise = s  # rising factorial s (s+1) ... (s+2j-2)
    power = lead / (a * a)  # a^(-s-2j+1)
    for j in range(len(_EM)):
        term = _EM[j] * rise * power
        tail += term
        if abs(term) < 1e-18 * tail:
            break
        rise *= (s + 2 * j + 1) * (s + 2 * j + 2)
        power /= a * a
    return tail


@numba.njit(cache=True)
def hurwitz_zeta(s: float, q: float) -> float:
    """Return the Hurwitz zeta function zeta(s, q) = sum_{k >= 0} (q + k)^-s.

    Parameters
    ----------
    s : float
        Order, s > 1 (``nan`` otherwise). For q < 0 s must be an integer.
    q : float
        Shift; poles at q = 0, -1, -2, ... give ``inf`` (even s) or ``nan`` (odd s).

    Returns
    -------
    float
        ``zeta(s, q)``.

    Notes
    -----
    Direct sum until q + N >= 10 + s, then Euler-Maclaurin with Bernoulli terms. For q > 0
    every term is positive and the relative error is <= 1e-15 (tests, s <= 12). For
    q < 0 the loop runs ~|q| times and terms may cancel.

    Examples
    --------
    >>> round(hurwitz_zeta(2.0, 1.0), 15)  # pi^2 / 6
    1.644934066848226
    """
    s = float(s)
    q = float(q)
    if not s > 1.0:
        return _NAN
    if q <= 0.0:
        if q == math.floor(q):
            return _INF if s % 2.0 == 0.0 else _NAN
        if s != math.floor(s):
            return _NAN
    acc = 0.0
    shift = 10.0 + s  # keeps the Euler-Maclaurin terms below 1e-17 relative
    fast = q > 0.0  # binary powering only without cancellation between terms
    while q < shift:
        acc += _inv_pow(q, s) if fast else math.pow(q, -s)
        q += 1.0
    return acc + _zeta_tail(s, q)


@numba.njit(cache=True)
def zeta(s: float) -> float:
    """Return the Riemann zeta function zeta(s) for s > 1.

    Parameters
    ----------
    s : float
        Order; ``nan`` for s <= 1 (not implemented there).

    Returns
    -------
    float
        ``zeta(s)``; relative error <= 1e-15 (tests).

    Examples
    --------
    >>> round(zeta(2.0), 15)
    1.644934066848226
    """
    return hurwitz_zeta(s, 1.0)


@numba.njit(cache=True)
def polygamma(n: int, x: float) -> float:
    """Return the polygamma function psi^(n)(x), the n-th derivative of digamma.

    Parameters
    ----------
    n : int
        Order n >= 0 (``nan`` for n < 0 or a non-integer n).
    x : float
        Argument; any real.

    Returns
    -------
    float
        ``psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x)`` for n >= 1, ``digamma`` for n = 0.
        At the poles x = 0, -1, ...: ``inf`` for odd n, ``nan`` for even n.

    Notes
    -----
    Relative error <= 1e-15 for x in [1e-6, 1e6] and n <= 12 (tests). For x < 0 and
    n >= 2 an upward recurrence of ~|x| steps is used (terms may cancel near zeros).

    Examples
    --------
    >>> round(polygamma(2, 1.0), 14)  # -2 zeta(3)
    -2.40411380631919
    """
    m, integral = _order(n)
    if m < 0 or not integral:
        return _NAN
    if m == 0:
        return digamma(x)
    if m == 1:
        return trigamma(x)
    fact = 1.0
    for i in range(2, m + 1):
        fact *= i
    sign = 1.0 if m % 2 == 1 else -1.0
    return sign * fact * hurwitz_zeta(float(m + 1), x)
