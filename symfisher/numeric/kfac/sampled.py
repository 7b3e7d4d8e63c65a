"""Unbiased estimate of ``||F||^2`` from sampled example pairs, for large N.

``||F||^2 = sum_{n,m} h(n, m)`` with ``h(n, m) = (a_n . a_m)^2 ||B_n^T B_m||_F^2``. The
N diagonal terms are summed exactly (O(N d k^2)); the ``N (N - 1)`` ordered off-diagonal
pairs are sampled uniformly with replacement, so ``D + N (N - 1) mean(h)`` is unbiased.
``<F, G kron A>`` and ``||G kron A||^2`` are linear in N and computed exactly (they
cost the same as the factors ``G`` and ``A`` themselves), so the whole uncertainty of
the relative error comes from the estimated ``||F||^2``; a delta-method interval
propagates it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class SampledNorm:
    """Estimate of ``||F||^2`` and its standard error.

    Attributes
    ----------
    estimate : float
    std_error : float
    num_pairs : int
    """

    estimate: float
    std_error: float
    num_pairs: int


def _pair_terms(a: NDArray[np.float64], B: NDArray[np.float64],
                i: NDArray[np.int64], j: NDArray[np.int64]) -> NDArray[np.float64]:
    """``h(i_t, j_t)`` for index vectors of equal length, shape (T,)."""
    dot_a = np.einsum("td,td->t", a[i], a[j])
    cross = np.einsum("tdp,tdq->tpq", B[i], B[j])
    return dot_a**2 * np.einsum("tpq,tpq->t", cross, cross)


def sampled_norm_sq(a: NDArray[np.float64], B: NDArray[np.float64], num_pairs: int,
                    rng: np.random.Generator, chunk: int = 4096) -> SampledNorm:
    """Unbiased estimate of ``||F||_F^2`` (exact diagonal + sampled off-diagonal pairs).

    Parameters
    ----------
    a : ndarray, shape (N, d_in)
    B : ndarray, shape (N, d_out, k)
    num_pairs : int
        Number of off-diagonal ordered pairs to sample.
    rng : numpy.random.Generator
    chunk : int
        Pairs evaluated at a time (bounds memory to ``chunk (d_in + 2 d_out k)`` floats).

    Examples
    --------
    >>> a, B = np.ones((4, 2)), np.ones((4, 3, 1))
    >>> sampled_norm_sq(a, B, 100, np.random.default_rng(0)).estimate   # all h = 36
    576.0
    """
    n = a.shape[0]
    diag = float(np.sum(_pair_terms(a, B, np.arange(n), np.arange(n))))
    if n == 1 or num_pairs <= 0:
        return SampledNorm(diag, 0.0, 0)
    total, total_sq = 0.0, 0.0
    for start in range(0, num_pairs, chunk):
        t = min(chunk, num_pairs - start)
        i = rng.integers(0, n, size=t)
        j = (i + rng.integers(1, n, size=t)) % n     # uniform over j != i
        h = _pair_terms(a, B, i, j)
        total += float(h.sum())
        total_sq += float(h @ h)
    mean = total / num_pairs
    var = max(total_sq / num_pairs - mean * mean, 0.0) * num_pairs / max(num_pairs - 1, 1)
    scale = n * (n - 1.0)
    return SampledNorm(diag + scale * mean, scale * math.sqrt(var / num_pairs), num_pairs)


def relative_error_interval(est: SampledNorm, cross: float, k_sq: float
                            ) -> tuple[float, tuple[float, float]]:
    """Relative error and its delta-method 95% interval.

    ``r(x) = sqrt(1 - (2 c - k) / x)`` with ``x = ||F||^2`` estimated, so
    ``se(r) = |2 c - k| / (2 r x^2) se(x)``. Clipped to ``[0, inf)``.

    Examples
    --------
    >>> r, (lo, hi) = relative_error_interval(SampledNorm(4.0, 0.0, 10), 2.0, 1.0)
    >>> r, lo, hi
    (0.5, 0.5, 0.5)
    """
    x = est.estimate
    r = math.sqrt(max(1.0 - (2.0 * cross - k_sq) / x, 0.0))
    if r == 0.0:
        return 0.0, (0.0, 0.0) if est.std_error == 0 else (0.0, math.inf)
    se = abs(2.0 * cross - k_sq) / (2.0 * r * x * x) * est.std_error
    return r, (max(r - Z_95 * se, 0.0), r + Z_95 * se)
