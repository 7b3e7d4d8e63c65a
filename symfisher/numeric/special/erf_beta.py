"""The error function and its complement, the (log) beta function."""

from __future__ import annotations

import math

import numba

from symfisher.numeric.special._common import _INF, _NAN, _horner
from symfisher.numeric.special.gamma_family import _LOG_SQRT_2PI, _STIRLING


# ---------------------------------------------------------------- erf, beta
@numba.njit(cache=True)
def erf(x: float) -> float:
    """Return the error function (libm).

    Parameters
    ----------
    x : float
        Argument.

    Returns
    -------
    float
        ``erf(x)``; mixed error <= 1e-15 (measured 8e-17).

    Examples
    --------
    >>> erf(0.0)
    0.0
    """
    return math.erf(float(x))


@numba.njit(cache=True)
def erfc(x: float) -> float:
    """Return the complementary error function 1 - erf(x) without cancellation (libm).

    Parameters
    ----------
    x : float
        Argument.

    Returns
    -------
    float
        ``erfc(x)``; relative error <= 1e-15 while the result is a normal double.

    Examples
    --------
    >>> erfc(0.0)
    1.0
    """
    return math.erfc(float(x))


@numba.njit(cache=True)
def _lgamma_corr(x: float) -> float:
    """lgamma(x) - [(x - 1/2) log x - x + log(2 pi)/2] for x >= 10 (Stirling series)."""
    t = 1.0 / x
    return t * _horner(_STIRLING, t * t)


@numba.njit(cache=True)
def _log_gamma_ratio(p: float, q: float) -> tuple:
    """(G, P) with Gamma(q) / Gamma(p + q) = P exp(G) for p, q > 0.

    q is shifted up to >= 10 (P collects the factors (p + q + k)/(q + k)) and G uses
    Stirling's formula written so that the rounding of p + q is not amplified.
    """
    prod = 1.0
    while q < 10.0:
        prod *= (p + q) / q
        q += 1.0
    s = p + q
    g = _lgamma_corr(q) - _lgamma_corr(s) + p - p * math.log(s) + (q - 0.5) * math.log1p(-p / s)
    return g, prod


@numba.njit(cache=True)
def logbeta(a: float, b: float) -> float:
    """Return log B(a, b) = log Gamma(a) + log Gamma(b) - log Gamma(a + b) for a, b > 0.

    Parameters
    ----------
    a, b : float
        Positive arguments.

    Returns
    -------
    float
        ``log B(a, b)``; ``inf`` if a or b is 0, ``nan`` if either is negative.

    Notes
    -----
    Not via lgamma(a) + lgamma(b) - lgamma(a + b), whose large terms cancel and whose
    rounding of a + b is amplified by psi(a + b) (a + b). With p = min(a, b),
    q = max(a, b): p >= 10 uses Stirling's formula with the large terms combined
    analytically, (p - 1/2) log(p/(p+q)) + (q - 1/2) log1p(-p/(p+q)) - log(p+q)/2 + ...;
    p < 10: lgamma(p) + log(Gamma(q)/Gamma(p+q)), the ratio by shifting q up to 10 and
    the same Stirling form. Mixed error <= 2e-15 for a, b in [1e-3, 1e4] (measured
    1.3e-15; tests).

    Examples
    --------
    >>> round(logbeta(2.0, 3.0), 12)  # log(1/12)
    -2.484906649788
    """
    a = float(a)
    b = float(b)
    if not (a >= 0.0 and b >= 0.0):
        return _NAN
    p = min(a, b)
    q = max(a, b)
    if p == 0.0:
        return _INF
    if p >= 10.0:
        w = p / (p + q)
        corr = _lgamma_corr(p) + _lgamma_corr(q) - _lgamma_corr(p + q)
        return _LOG_SQRT_2PI - 0.5 * math.log(p + q) + corr + (p - 0.5) * math.log(w) + (q - 0.5) * math.log1p(-w)
    g, prod = _log_gamma_ratio(p, q)
    return math.lgamma(p) + g + math.log(prod)


@numba.njit(cache=True)
def beta(a: float, b: float) -> float:
    """Return the beta function B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b) for a, b > 0.

    Parameters
    ----------
    a, b : float
        Positive arguments.

    Returns
    -------
    float
        ``B(a, b)``; ``inf`` if a or b is 0, ``nan`` if either is negative, 0 on underflow.

    Notes
    -----
    p = min(a, b) < 10: Gamma(p) times the ratio of :func:`logbeta` (relative error of a
    few ulps while B >= 1); otherwise ``exp(logbeta)`` (B < 1e-5 there). Mixed error
    <= 2e-15 for a, b in [1e-3, 1e4] (measured 1.2e-15; tests).

    Examples
    --------
    >>> round(beta(2.0, 3.0), 15)
    0.083333333333333
    """
    a = float(a)
    b = float(b)
    p = min(a, b)
    if 0.0 < p < 10.0:
        g, prod = _log_gamma_ratio(p, max(a, b))
        return math.gamma(p) * prod * math.exp(g)
    return math.exp(logbeta(a, b))
