"""Careful hand-written Numba kernels for the four benchmark models (the speed limit).

Each computes the upper triangle once from shared subexpressions and mirrors it, with
the same fast-math flags as symfisher's kernels. The formulas are derived by hand
(below) and checked against the generated kernels by ``bench_kernels.py`` before timing.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from symfisher.numeric.special import trigamma

FM = {"nsz", "arcp", "contract", "afn"}


@numba.njit(fastmath=FM, nogil=True)
def fourpl(b, c, d, e, x, sigma, out):  # noqa: ANN001, ANN201
    """f fᵀ/σ² with f = ∂mean/∂(b, c, d, e); u = b log(x/e), E = eᵘ, D = 1 + E."""
    for i in range(b.shape[0]):
        lg = math.log(x[i]) - math.log(e[i])
        big_e = math.exp(b[i] * lg)
        inv_d = 1.0 / (1.0 + big_e)
        g = (d[i] - c[i]) * big_e * inv_d * inv_d
        w = 1.0 / (sigma[i] * sigma[i])
        f0, f1, f2, f3 = -g * lg, big_e * inv_d, inv_d, g * b[i] / e[i]
        f = (f0, f1, f2, f3)
        for r in range(4):
            wr = w * f[r]
            for s in range(r, 4):
                v = wr * f[s]
                out[i, r, s] = v
                out[i, s, r] = v


@numba.njit(fastmath=FM, nogil=True)
def gamma(a, b, out):  # noqa: ANN001, ANN201
    """[[ψ₁(α), -1/β], [-1/β, α/β²]]."""
    for i in range(a.shape[0]):
        r = 1.0 / b[i]
        out[i, 0, 0] = trigamma(a[i])
        out[i, 0, 1] = -r
        out[i, 1, 0] = -r
        out[i, 1, 1] = a[i] * r * r


@numba.njit(fastmath=FM, nogil=True)
def weibull(k, lam, x, out):  # noqa: ANN001, ANN201
    """-∇² log f: I_kk = 1/k² + z L², I_kλ = (1 - z - k z L)/λ, I_λλ = k(z + kz - 1)/λ²,
    with L = log(x/λ) and z = (x/λ)^k."""
    for i in range(k.shape[0]):
        ki, li = k[i], lam[i]
        lg = math.log(x[i]) - math.log(li)
        z = math.exp(ki * lg)
        inv_l = 1.0 / li
        out[i, 0, 0] = 1.0 / (ki * ki) + z * lg * lg
        v = (1.0 - z - ki * z * lg) * inv_l
        out[i, 0, 1] = v
        out[i, 1, 0] = v
        out[i, 1, 1] = ki * (z + ki * z - 1.0) * inv_l * inv_l


@numba.njit(fastmath=FM, nogil=True)
def emax(e0, em, ed, h, s, x, y, out):  # noqa: ANN001, ANN201, PLR0913
    """-∇² of -s/2 - (y - m)²/(2eˢ), m = e0 + emax F, F = logistic(h (log x - log ed50)).

    With G = F(1 - F), ℓ = log x - log ed50, r = y - m, w = e⁻ˢ: first derivatives
    m = (1, F, -emax G h/ed50, emax G ℓ); second: m_emax,ed50 = -G h/ed50,
    m_emax,h = G ℓ, m_ed50,ed50 = emax h G (1 + h(1-2F))/ed50²,
    m_ed50,h = -emax (G + h(1-2F) G ℓ)/ed50, m_hh = emax G (1-2F) ℓ².
    I_ij = w (m_i m_j - r m_ij), I_is = w r m_i, I_ss = w r²/2.
    """
    for i in range(e0.shape[0]):
        ell = math.log(x[i]) - math.log(ed[i])
        f = 1.0 / (1.0 + math.exp(-h[i] * ell))
        g = f * (1.0 - f)
        q = 1.0 - 2.0 * f
        inv_ed = 1.0 / ed[i]
        w = math.exp(-s[i])
        r = y[i] - (e0[i] + em[i] * f)
        m = (1.0, f, -em[i] * g * h[i] * inv_ed, em[i] * g * ell)
        m12 = -g * h[i] * inv_ed
        m13 = g * ell
        m22 = em[i] * h[i] * g * (1.0 + h[i] * q) * inv_ed * inv_ed
        m23 = -em[i] * (g + h[i] * q * g * ell) * inv_ed
        m33 = em[i] * g * q * ell * ell
        wr = w * r
        for a in range(4):
            for b in range(a, 4):
                v = w * m[a] * m[b]
                out[i, a, b] = v
                out[i, b, a] = v
            v = wr * m[a]
            out[i, a, 4] = v
            out[i, 4, a] = v
        out[i, 4, 4] = 0.5 * wr * r
        out[i, 1, 2] -= wr * m12
        out[i, 2, 1] = out[i, 1, 2]
        out[i, 1, 3] -= wr * m13
        out[i, 3, 1] = out[i, 1, 3]
        out[i, 2, 2] -= wr * m22
        out[i, 2, 3] -= wr * m23
        out[i, 3, 2] = out[i, 2, 3]
        out[i, 3, 3] -= wr * m33


@numba.njit(nogil=True)
def bandwidth_floor(inputs, out):  # noqa: ANN001, ANN201
    """Read every input once and write every output entry once (the memory floor)."""
    n, p = out.shape
    for i in range(n):
        acc = 0.0
        for j in range(inputs.shape[0]):
            acc += inputs[j, i]
        for j in range(p):
            out[i, j] = acc


HAND = {"4pl": fourpl, "gamma": gamma, "weibull": weibull, "emax": emax}


def run_hand(name: str, arrays: list[np.ndarray], out: np.ndarray) -> None:
    """Call the hand-written kernel of ``name`` on (n,) arrays into ``out`` (n, p, p)."""
    HAND[name](*arrays, out)


# Parallel versions: the serial kernels above on blocks of 4096 points in a prange
# (slices keep the C layout), as one would parallelise them by hand.
_BLOCK = 4096


@numba.njit(parallel=True, nogil=True)
def fourpl_par(b, c, d, e, x, sigma, out):  # noqa: ANN001, ANN201, PLR0913
    n = b.shape[0]
    for blk in numba.prange((n + _BLOCK - 1) // _BLOCK):
        lo, hi = blk * _BLOCK, min(n, blk * _BLOCK + _BLOCK)
        fourpl(b[lo:hi], c[lo:hi], d[lo:hi], e[lo:hi], x[lo:hi], sigma[lo:hi], out[lo:hi])


@numba.njit(parallel=True, nogil=True)
def weibull_par(k, lam, x, out):  # noqa: ANN001, ANN201
    n = k.shape[0]
    for blk in numba.prange((n + _BLOCK - 1) // _BLOCK):
        lo, hi = blk * _BLOCK, min(n, blk * _BLOCK + _BLOCK)
        weibull(k[lo:hi], lam[lo:hi], x[lo:hi], out[lo:hi])


@numba.njit(parallel=True, nogil=True)
def emax_par(e0, em, ed, h, s, x, y, out):  # noqa: ANN001, ANN201, PLR0913
    n = e0.shape[0]
    for blk in numba.prange((n + _BLOCK - 1) // _BLOCK):
        lo, hi = blk * _BLOCK, min(n, blk * _BLOCK + _BLOCK)
        emax(e0[lo:hi], em[lo:hi], ed[lo:hi], h[lo:hi], s[lo:hi], x[lo:hi], y[lo:hi], out[lo:hi])


HAND_PARALLEL = {"4pl": fourpl_par, "weibull": weibull_par, "emax": emax_par}


def run_hand_parallel(name: str, arrays: list[np.ndarray], out: np.ndarray) -> None:
    """The prange version of :func:`run_hand` (4pl, weibull, emax)."""
    HAND_PARALLEL[name](*arrays, out)
