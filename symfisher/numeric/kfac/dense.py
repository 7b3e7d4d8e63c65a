"""Dense reference (oracle) for the K-FAC error on small layers.

Forms the exact block ``F = sum_n (B_n B_n^T) kron (a_n a_n^T)`` (row-major vec of a
``(d_out, d_in)`` weight, so ``G`` first), K-FAC's ``G kron A`` (``G`` a sum, ``A`` a
mean), the Van Loan-Pitsianis rearrangement and the EKFAC matrix explicitly.
Memory is ``(d_in d_out)^2`` floats: use it only to check the matrix-free route.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from symfisher.numeric.kfac.checks import ShapeError
from symfisher.numeric.kfac.error import kfac_factors

MAX_DENSE_SIZE = 4096


def exact_block(a: NDArray[np.float64], B: NDArray[np.float64]) -> NDArray[np.float64]:
    """The exact block ``F``, shape (d_out d_in, d_out d_in).

    Parameters
    ----------
    a : ndarray, shape (N, d_in)
    B : ndarray, shape (N, d_out, k)

    Examples
    --------
    >>> exact_block(np.ones((1, 2)), np.ones((1, 1, 1)))
    array([[1., 1.],
           [1., 1.]])
    """
    d_in, d_out = a.shape[1], B.shape[1]
    if d_in * d_out > MAX_DENSE_SIZE:
        raise ShapeError(
            f"dense K-FAC oracle: block of size {d_in * d_out} exceeds {MAX_DENSE_SIZE}; use the Gram method"
        )
    return unrearrange(rearranged_block(a, B), d_out, d_in)


def rearranged_block(a: NDArray[np.float64], B: NDArray[np.float64], chunk: int = 2048) -> NDArray[np.float64]:
    """``R(F) = sum_n vec(B_n B_n^T) vec(a_n a_n^T)^T`` by GEMMs over chunks of examples.

    Memory is ``chunk (d_out^2 + d_in^2)`` floats besides the result (d_out^2, d_in^2).

    Examples
    --------
    >>> rearranged_block(np.ones((2, 1)), np.ones((2, 1, 1)))
    array([[2.]])
    """
    R = np.zeros((B.shape[1] ** 2, a.shape[1] ** 2))
    for s in range(0, a.shape[0], chunk):
        Bc, ac = B[s : s + chunk], a[s : s + chunk]
        C = np.einsum("nik,njk->nij", Bc, Bc).reshape(Bc.shape[0], -1)
        R += C.T @ (ac[:, :, None] * ac[:, None, :]).reshape(ac.shape[0], -1)
    return R


def unrearrange(R: NDArray[np.float64], d_out: int, d_in: int) -> NDArray[np.float64]:
    """Inverse of :func:`rearrange`: ``F`` (d_out d_in, d_out d_in) from ``R(F)``.

    Examples
    --------
    >>> F = np.arange(16.0).reshape(4, 4)
    >>> bool(np.array_equal(unrearrange(rearrange(F, 2, 2), 2, 2), F))
    True
    """
    size = d_out * d_in
    return R.reshape(d_out, d_out, d_in, d_in).transpose(0, 2, 1, 3).reshape(size, size)


def rearrange(F: NDArray[np.float64], d_out: int, d_in: int) -> NDArray[np.float64]:
    """Van Loan-Pitsianis rearrangement ``R(F)``, shape (d_out^2, d_in^2).

    ``R(X kron Y) = vec(X) vec(Y)^T``, so the best Kronecker approximation of ``F``
    is the leading singular triple of ``R(F)``.

    Examples
    --------
    >>> X, Y = np.eye(2), np.ones((3, 3))
    >>> np.allclose(rearrange(np.kron(X, Y), 2, 3), np.outer(X.ravel(), Y.ravel()))
    True
    """
    return F.reshape(d_out, d_in, d_out, d_in).transpose(0, 2, 1, 3).reshape(d_out**2, d_in**2)


def dense_errors(a: NDArray[np.float64], B: NDArray[np.float64]) -> tuple[float, float, float, float]:
    """``(||F||, K-FAC, nearest-Kronecker, EKFAC relative errors)`` by dense algebra.

    Parameters
    ----------
    a : ndarray, shape (N, d_in)
    B : ndarray, shape (N, d_out, k)

    Examples
    --------
    >>> norm, kfac, near, ekfac = dense_errors(np.ones((1, 2)), np.ones((1, 2, 1)))
    >>> kfac < 1e-12 and near < 1e-12 and ekfac < 1e-12
    True
    """
    d_in, d_out = a.shape[1], B.shape[1]
    R = rearranged_block(a, B)
    F = unrearrange(R, d_out, d_in)
    A, G = kfac_factors(a, B)
    norm = float(np.linalg.norm(F))
    kfac = float(np.linalg.norm(F - np.kron(G, A))) / norm
    sv = np.linalg.svd(R, compute_uv=False)
    near = math.sqrt(float(np.sum(sv[1:] ** 2))) / norm
    _, UG = np.linalg.eigh(G)
    _, UA = np.linalg.eigh(A)
    U = np.kron(UG, UA)
    E = U @ np.diag(np.diag(U.T @ F @ U)) @ U.T
    ekfac = float(np.linalg.norm(F - E)) / norm
    return norm, kfac, near, ekfac
