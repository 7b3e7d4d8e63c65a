"""Nearest Kronecker product (Van Loan-Pitsianis), matrix-free.

The rearrangement ``R(F) = sum_n vec(B_n B_n^T) vec(a_n a_n^T)^T`` (d_out^2 x d_in^2)
is never formed: its products with ``vec(Y)`` and ``vec(X)`` are

* ``R vec(Y) = vec(sum_n (a_n^T Y a_n) B_n B_n^T)``,
* ``R^T vec(X) = vec(sum_n tr(B_n^T X B_n) a_n a_n^T)``,

each O(N d^2). Power iteration on ``R^T R`` started from K-FAC's ``A`` converges to the
leading singular pair; ``min ||F - X kron Y||^2 = ||F||^2 - sigma_1^2``. Every iterate's
Rayleigh value ``||R v||^2`` is a lower bound of ``sigma_1^2`` and never decreases, and
the first one is already at least as good as K-FAC, so the reported error is never
above K-FAC's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from symfisher.numeric.kfac.error import gram_t


@dataclass(frozen=True)
class NearestKronecker:
    """Result of the power iteration.

    Attributes
    ----------
    sigma_sq : float
        ``||R(F) v||^2`` at the last iterate (lower bound of ``sigma_1^2``).
    X : ndarray, shape (d_out, d_out)
    Y : ndarray, shape (d_in, d_in)
        ``X kron Y`` is the best Kronecker approximation found (``||Y||_F = 1``).
    iterations : int
    converged : bool
    """

    sigma_sq: float
    X: NDArray[np.float64] = field(repr=False)
    Y: NDArray[np.float64] = field(repr=False)
    iterations: int
    converged: bool


def _apply_r(a: NDArray[np.float64], flat: NDArray[np.float64], k: int, Y: NDArray[np.float64]) -> NDArray[np.float64]:
    """``X = sum_n (a_n^T Y a_n) B_n B_n^T`` with ``flat`` the (N k, d_out) factor rows."""
    w = np.maximum(np.einsum("ij,ij->i", a @ Y, a), 0.0)  # >= 0: Y stays PSD
    return gram_t(flat * np.sqrt(np.repeat(w, k))[:, None])


def _apply_rt(a: NDArray[np.float64], flat: NDArray[np.float64], k: int, X: NDArray[np.float64]) -> NDArray[np.float64]:
    """``Y = sum_n tr(B_n^T X B_n) a_n a_n^T``."""
    c = np.einsum("ij,ij->i", flat @ X, flat).reshape(a.shape[0], k).sum(axis=1)
    return gram_t(a * np.sqrt(np.maximum(c, 0.0))[:, None])


def nearest_kronecker(
    a: NDArray[np.float64], B: NDArray[np.float64], A: NDArray[np.float64], *, max_iter: int = 100, rtol: float = 1e-10
) -> NearestKronecker:
    """Leading singular pair of the rearranged exact block by power iteration.

    Parameters
    ----------
    a : ndarray, shape (N, d_in)
    B : ndarray, shape (N, d_out, k)
    A : ndarray, shape (d_in, d_in)
        Starting value for ``Y`` (K-FAC's input factor).
    max_iter : int
    rtol : float
        Stop when ``sigma^2`` changes by less than ``rtol`` relatively.

    Examples
    --------
    >>> a, B = np.ones((3, 2)), np.ones((3, 2, 1))
    >>> round(nearest_kronecker(a, B, np.eye(2)).sigma_sq, 6)   # F = 3 ones(4, 4)
    144.0
    """
    n, d_out, k = B.shape
    flat = np.ascontiguousarray(B.transpose(0, 2, 1)).reshape(n * k, d_out)
    Y = A / np.linalg.norm(A)
    X = _apply_r(a, flat, k, Y)
    sigma_sq = float(np.sum(X * X))
    for it in range(1, max_iter + 1):
        Y = _apply_rt(a, flat, k, X)
        Y /= np.linalg.norm(Y)
        X = _apply_r(a, flat, k, Y)
        new = float(np.sum(X * X))
        done = abs(new - sigma_sq) <= rtol * new
        sigma_sq = max(new, sigma_sq)
        if done:
            return NearestKronecker(sigma_sq, X, Y, it, True)
    return NearestKronecker(sigma_sq, X, Y, max_iter, False)
