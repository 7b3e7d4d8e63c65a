"""Eigenvalue-corrected K-FAC (George et al. 2018) and its exact error, matrix-free.

With ``G = U_G diag(l) U_G^T`` and ``A = U_A diag(m) U_A^T``, EKFAC keeps K-FAC's
eigenbasis ``U = U_G kron U_A`` (row-major vec of ``(d_out, d_in)`` weights) and
replaces the eigenvalues ``l_i m_j`` by the exact diagonal of ``U^T F U``:

``s_ij = sum_n ||(U_G^T B_n)[i, :]||^2 (U_A^T a_n)_j^2``.

Because ``E = U diag(s) U^T`` is the projection of ``F`` onto matrices diagonal in that
basis, ``||F - E||^2 = ||F||^2 - ||s||^2`` and
``||F - G kron A||^2 = ||F - E||^2 + ||s - l kron m||^2``: EKFAC is never worse.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from symfisher.numeric.kfac.error import flat_factors


def ekfac_diagonal(
    a: NDArray[np.float64], B: NDArray[np.float64], A: NDArray[np.float64], G: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Corrected eigenvalues ``s`` (d_out, d_in) in K-FAC's eigenbasis.

    Parameters
    ----------
    a : ndarray, shape (N, d_in)
    B : ndarray, shape (N, d_out, k)
    A : ndarray, shape (d_in, d_in)
    G : ndarray, shape (d_out, d_out)

    Examples
    --------
    >>> a, B = np.ones((2, 1)), np.ones((2, 1, 1))
    >>> ekfac_diagonal(a, B, np.ones((1, 1)), 2 * np.ones((1, 1)))
    array([[2.]])
    """
    _, UG = np.linalg.eigh(G)
    _, UA = np.linalg.eigh(A)
    n, d_out, k = B.shape
    q = ((flat_factors(B) @ UG) ** 2).reshape(n, k, d_out).sum(axis=1)
    r = (a @ UA) ** 2
    return q.T @ r


def ekfac_error_sq(norm_sq: float, s: NDArray[np.float64]) -> float:
    """``||F - E||^2 = ||F||^2 - ||s||^2`` (clamped at zero).

    Examples
    --------
    >>> ekfac_error_sq(5.0, np.array([[1.0, 2.0]]))
    0.0
    """
    return max(norm_sq - float(np.sum(s * s)), 0.0)
