"""Matrix-free exact K-FAC error via blocked Gram identities.

For layer inputs ``a`` (N, d_in) and output factors ``B`` (N, d_out, k) the exact
block is ``F = sum_n (B_n B_n^T) kron (a_n a_n^T)`` and K-FAC's is ``G kron A`` with
``G = sum_n B_n B_n^T`` and ``A = mean_n a_n a_n^T`` (row-major vec of ``(d_out, d_in)``
weights). Then

* ``||F||^2 = sum_{n,m} (a_n . a_m)^2 ||B_n^T B_m||_F^2``  (an N x N Gram sum, blocked),
* ``<F, G kron A> = sum_n tr(B_n^T G B_n) a_n^T A a_n``      (O(N d^2)),
* ``||G kron A||^2 = ||G||_F^2 ||A||_F^2``.

With ``k = 1`` (``B_n = g_n``, gradient vectors) the block is the empirical Fisher
when ``g`` holds gradients at the observed labels and a Monte-Carlo Fisher when the
labels were sampled from the model.

Threads: all the flops are NumPy BLAS calls (``x.T @ x`` and ``x @ x.T`` on one buffer
take NumPy's ``syrk`` path, half the flops); the block reductions are *serial* Numba
loops. They are memory-bound (as fast as a ``prange`` loop on the measured machine) and
start no thread pool of their own, so no OpenMP / TBB workers spin beside OpenBLAS's
(see ``benchmarks/README.md``, "Thread pools").
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

DEFAULT_BLOCK = 2048


def kfac_factors(a: NDArray[np.float64], B: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """K-FAC factors ``A = mean_n a_n a_n^T`` and ``G = sum_n B_n B_n^T``.

    Parameters
    ----------
    a : ndarray, shape (N, d_in)
    B : ndarray, shape (N, d_out, k)

    Returns
    -------
    A : ndarray, shape (d_in, d_in)
    G : ndarray, shape (d_out, d_out)

    Examples
    --------
    >>> A, G = kfac_factors(np.ones((2, 3)), np.ones((2, 4, 1)))
    >>> float(A[0, 0]), float(G[0, 0])
    (1.0, 2.0)
    """
    return gram_t(a) / a.shape[0], gram_t(flat_factors(B))


def gram_t(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``x^T x`` via NumPy's BLAS ``syrk`` path (half the flops of a general product).

    Examples
    --------
    >>> gram_t(np.array([[1.0, 2.0]]))
    array([[1., 2.],
           [2., 4.]])
    """
    x = np.asarray(x, dtype=np.float64)
    return x.T @ x


def flat_factors(B: NDArray[np.float64]) -> NDArray[np.float64]:
    """``B`` (N, d_out, k) as rows ``B_n[:, j]``: shape (N k, d_out), example-major."""
    n, d_out, k = B.shape
    return np.ascontiguousarray(B.transpose(0, 2, 1)).reshape(n * k, d_out)


def cross_term(a: NDArray[np.float64], B: NDArray[np.float64], A: NDArray[np.float64], G: NDArray[np.float64]) -> float:
    """``<F, G kron A> = sum_n tr(B_n^T G B_n) (a_n^T A a_n)``.

    Parameters
    ----------
    a : ndarray, shape (N, d_in)
    B : ndarray, shape (N, d_out, k)
    A : ndarray, shape (d_in, d_in)
    G : ndarray, shape (d_out, d_out)

    Examples
    --------
    >>> a, B = np.ones((1, 2)), np.ones((1, 3, 1))
    >>> A, G = kfac_factors(a, B)
    >>> cross_term(a, B, A, G)
    36.0
    """
    flat = flat_factors(B)
    qb = np.einsum("ij,ij->i", flat @ G, flat).reshape(B.shape[0], B.shape[2]).sum(axis=1)
    qa = np.einsum("ij,ij->i", a @ A, a)
    return float(qb @ qa)


@numba.njit(cache=True, nogil=True)
def _block_sum_k1(ca: NDArray[np.float64], cg: NDArray[np.float64]) -> float:
    """``sum_ij (ca_ij cg_ij)^2`` for two equally shaped Gram blocks."""
    total = 0.0
    for i in range(ca.shape[0]):
        row = 0.0
        for j in range(ca.shape[1]):
            t = ca[i, j] * cg[i, j]
            row += t * t
        total += row
    return total


@numba.njit(cache=True, nogil=True)
def _block_sum_k(ca: NDArray[np.float64], cb: NDArray[np.float64], k: int) -> float:
    """``sum_nm ca_nm^2 ||cb[n k:(n+1) k, m k:(m+1) k]||_F^2`` (k x k sub-blocks)."""
    total = 0.0
    for n in range(ca.shape[0]):
        row = 0.0
        for m in range(ca.shape[1]):
            s = 0.0
            for p in range(k):
                for q in range(k):
                    v = cb[n * k + p, m * k + q]
                    s += v * v
            row += ca[n, m] * ca[n, m] * s
        total += row
    return total


def exact_norm_sq(a: NDArray[np.float64], B: NDArray[np.float64], block: int = DEFAULT_BLOCK) -> float:
    """``||F||_F^2`` from blocked Gram products, without forming ``F``.

    Only the upper triangle of block pairs is visited (the sum is symmetric) and at
    most two ``block x block`` (times ``k^2`` for factors) Gram blocks live at a time.

    Parameters
    ----------
    a : ndarray, shape (N, d_in)
    B : ndarray, shape (N, d_out, k)
    block : int
        Examples per Gram block (reduced by ``k`` for factor inputs).

    Examples
    --------
    >>> a, B = np.ones((2, 2)), np.ones((2, 3, 1))
    >>> exact_norm_sq(a, B)   # F = 2 * ones(6, 6)
    144.0
    """
    n, _, k = B.shape
    flat = flat_factors(B)
    step = max(1, block // k)
    total = 0.0
    m = min(step, n)
    buf_a, buf_b = np.empty(m * m), np.empty(m * m * k * k)  # reused: no fresh page faults
    for i0 in range(0, n, step):
        i1 = min(i0 + step, n)
        for j0 in range(i0, n, step):
            j1 = min(j0 + step, n)
            ca = _gram_block(a, i0, i1, j0, j1, buf_a)
            cb = _gram_block(flat, i0 * k, i1 * k, j0 * k, j1 * k, buf_b)
            part = _block_sum_k1(ca, cb) if k == 1 else _block_sum_k(ca, cb, k)
            total += part if i0 == j0 else 2.0 * part
    return total


def pair_norm_sq(
    a1: NDArray[np.float64],
    B1: NDArray[np.float64],
    a2: NDArray[np.float64],
    B2: NDArray[np.float64],
    block: int = DEFAULT_BLOCK,
) -> float:
    """``sum_{n in 1, m in 2} (a_n . a_m)^2 ||B_n^T B_m||_F^2`` for two sets of examples.

    The off-diagonal part of :func:`exact_norm_sq` between two chunks of examples (each
    pair counted once), blocked the same way; ``||F||^2`` of the union of chunks ``c``
    is ``sum_c exact_norm_sq(c) + 2 sum_{c < c'} pair_norm_sq(c, c')``.

    Parameters
    ----------
    a1, a2 : ndarray, shapes (N1, d_in), (N2, d_in)
    B1, B2 : ndarray, shapes (N1, d_out, k), (N2, d_out, k)
    block : int
        Examples per Gram block.

    Examples
    --------
    >>> a, B = np.ones((2, 2)), np.ones((2, 3, 1))
    >>> exact_norm_sq(a[:1], B[:1]) + exact_norm_sq(a[1:], B[1:]) + 2 * pair_norm_sq(a[:1], B[:1], a[1:], B[1:])
    144.0
    """
    k = B1.shape[2]
    f1, f2 = flat_factors(B1), flat_factors(B2)
    step = max(1, block // k)
    total = 0.0
    for i0 in range(0, a1.shape[0], step):
        i1 = min(i0 + step, a1.shape[0])
        for j0 in range(0, a2.shape[0], step):
            j1 = min(j0 + step, a2.shape[0])
            ca = a1[i0:i1] @ a2[j0:j1].T
            cb = f1[i0 * k : i1 * k] @ f2[j0 * k : j1 * k].T
            total += _block_sum_k1(ca, cb) if k == 1 else _block_sum_k(ca, cb, k)
    return total


def _gram_block(
    x: NDArray[np.float64], i0: int, i1: int, j0: int, j1: int, buf: NDArray[np.float64]
) -> NDArray[np.float64]:
    """``x[i0:i1] @ x[j0:j1].T`` written into ``buf``; a diagonal block passes one buffer
    twice, which NumPy turns into ``syrk`` (half the flops)."""
    left = x[i0:i1]
    out = buf[: (i1 - i0) * (j1 - j0)].reshape(i1 - i0, j1 - j0)
    return np.matmul(left, left.T if (i0, i1) == (j0, j1) else x[j0:j1].T, out=out)


def plain_numpy_norm_sq(a: NDArray[np.float64], g: NDArray[np.float64]) -> float:
    """``||F||^2`` for ``k = 1`` with two full N x N Gram matrices (benchmark baseline).

    Examples
    --------
    >>> plain_numpy_norm_sq(np.ones((2, 2)), np.ones((2, 3)))
    144.0
    """
    return float(np.sum(((a @ a.T) * (g @ g.T)) ** 2))
