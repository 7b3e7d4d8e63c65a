"""Exact K-FAC error of a weight-sharing layer (convolution), matrix-free.

A layer that applies one weight ``W`` (d_out, d_in) at ``T`` positions (the patches of a
convolution, Grosse & Martens 2016) has per example ``n`` inputs ``u_nt`` (d_in) and
output factors ``g_ntj`` (d_out; ``j`` runs over the k columns of the output factor
``S_n``, ``S_n S_n^T = Lambda_n``). Its per-example, per-column Jacobian product is the
*matrix* ``M_nj = sum_t g_ntj u_nt^T`` (d_out, d_in): the sum over positions comes
**before** the outer product, so the exact GGN block (row-major vec, ``kron(G, A)`` order)

``F = sum_nj vec(M_nj) vec(M_nj)^T = sum_nj sum_{t,t'} (g_ntj g_nt'j^T) kron (u_nt u_nt'^T)``

keeps the cross-position terms ``t != t'`` that K-FAC drops. K-FAC's factors (``A`` a mean
over data, ``G`` a sum, as everywhere in symfisher):

* ``"expand"`` (KFC; positions as extra examples): ``A = 1/(N T) sum_nt u u^T``,
  ``G = sum_ntj g g^T``;
* ``"reduce"`` (Eschenhagen et al. 2023): ``A = 1/N sum_n ubar_n ubar_n^T`` with
  ``ubar_n = 1/T sum_t u_nt`` and ``G = sum_nj gsum_nj gsum_nj^T``,
  ``gsum_nj = sum_t g_ntj``.

For ``T = 1`` both are the ordinary K-FAC of a linear layer. The error needs three terms,
none of which forms ``F`` when it is large:

* ``||F||^2 = sum_{nj,ml} <M_nj, M_ml>^2`` (blocked Gram of the flattened ``M``) or, when
  ``D = d_out d_in`` is below the number of rows ``N k``, ``||sum M^T M||^2`` (D x D);
* ``<F, G kron A> = sum_nj <M_nj, G M_nj A>``;  ``||G kron A||^2 = ||G||^2 ||A||^2``.

The nearest Kronecker product uses the rearrangement products
``R vec(Y) = vec(sum M Y M^T)`` and ``R^T vec(X) = vec(sum M^T X M)``; EKFAC the diagonal
``s = sum_nj (U_G^T M_nj U_A)^2``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from symfisher.numeric.kfac.checks import ShapeError
from symfisher.numeric.kfac.gradrows import power_sigma_sq
from symfisher.numeric.kfac.report import relative_from_squares
from symfisher.options import KfacApprox, option

Array = NDArray[np.float64]

#: Largest ``d_out d_in`` for which the dense route (``F`` is D x D) is allowed.
MAX_DENSE = 4096


def sharing_factors(u: Array, g: Array, approx: KfacApprox | str = KfacApprox.EXPAND) -> tuple[Array, Array]:
    """K-FAC factors ``A`` (d_in, d_in, a mean) and ``G`` (d_out, d_out, a sum).

    Parameters
    ----------
    u : ndarray, shape (N, T, d_in)
        Inputs (patches) at every position.
    g : ndarray, shape (N, T, d_out, k)
        Output factors at every position.
    approx : {"expand", "reduce"}

    Examples
    --------
    >>> A, G = sharing_factors(np.ones((1, 2, 1)), np.ones((1, 2, 1, 1)), "reduce")
    >>> float(A[0, 0]), float(G[0, 0])          # ubar = 1, gsum = 2
    (1.0, 4.0)
    """
    how = option(KfacApprox, approx, "approx")
    n, t, d_in = u.shape
    if how is KfacApprox.EXPAND:
        flat_u = u.reshape(n * t, d_in)
        flat_g = np.ascontiguousarray(g.transpose(0, 1, 3, 2)).reshape(-1, g.shape[2])
        return (flat_u.T @ flat_u) / (n * t), flat_g.T @ flat_g
    ubar = u.mean(axis=1)
    gsum = np.ascontiguousarray(g.sum(axis=1).transpose(0, 2, 1)).reshape(-1, g.shape[2])
    return (ubar.T @ ubar) / n, gsum.T @ gsum


def gradient_matrices(u: Array, g: Array) -> Array:
    """``M_nj = sum_t g_ntj u_nt^T`` flattened row-major, shape (N k, d_out d_in).

    Examples
    --------
    >>> gradient_matrices(np.ones((1, 2, 1)), np.ones((1, 2, 1, 1)))
    array([[2.]])
    """
    n, t, d_out, k = g.shape
    # one batched BLAS product (n, k d_out, T) @ (n, T, d_in); einsum took up to 10x longer
    gt = np.ascontiguousarray(g.transpose(0, 3, 2, 1)).reshape(n, k * d_out, t)
    return np.matmul(gt, u).reshape(n * k, d_out * u.shape[2])


def _chunks(u: Array, g: Array, rows: int) -> Iterator[Array]:
    """Flattened ``M`` of consecutive example chunks of about ``rows`` rows each."""
    step = max(1, rows // g.shape[3])
    for s in range(0, u.shape[0], step):
        yield gradient_matrices(u[s : s + step], g[s : s + step])


@dataclass(frozen=True)
class SharingError:
    """Exact K-FAC error of a weight-sharing layer.

    Attributes
    ----------
    relative_frobenius : float
        ``||F - G kron A||_F / ||F||_F``.
    nearest_relative_frobenius, ekfac_relative_frobenius : float or None
    exact_norm, kfac_norm : float
        ``||F||_F`` and ``||G||_F ||A||_F``.
    A, G : ndarray, shapes (d_in, d_in), (d_out, d_out)
    approx : KfacApprox
    method : str
        ``"dense"`` (``sum M^T M`` formed, D x D) or ``"gram"`` (blocked Gram).
    """

    relative_frobenius: float
    nearest_relative_frobenius: float | None
    ekfac_relative_frobenius: float | None
    exact_norm: float
    kfac_norm: float
    A: Array = field(repr=False)
    G: Array = field(repr=False)
    approx: KfacApprox
    method: str


def _check(u: Array, g: Array) -> None:
    if u.ndim != 3 or g.ndim != 4 or u.shape[:2] != g.shape[:2]:
        raise ShapeError(
            f"need u (N, T, d_in) and g (N, T, d_out, k) with the same N and T; got u {u.shape} and g {g.shape}"
        )


def _norm_sq_gram(u: Array, g: Array, rows: int) -> float:
    """``sum (M_I M_J^T)^2`` over upper-triangle chunk pairs (M recomputed per pair)."""
    total = 0.0
    step = max(1, rows // g.shape[3])
    for i0 in range(0, u.shape[0], step):
        Mi = gradient_matrices(u[i0 : i0 + step], g[i0 : i0 + step])
        C = Mi @ Mi.T
        total += float(np.vdot(C, C))
        for j0 in range(i0 + step, u.shape[0], step):
            C = Mi @ gradient_matrices(u[j0 : j0 + step], g[j0 : j0 + step]).T
            total += 2.0 * float(np.vdot(C, C))
    return total


def _dense_sum(u: Array, g: Array, rows: int) -> Array:
    """``sum_nj vec(M) vec(M)^T``, shape (D, D)."""
    D = g.shape[2] * u.shape[2]
    F = np.zeros((D, D))
    for M in _chunks(u, g, rows):
        F += M.T @ M
    return F


def _cross(u: Array, g: Array, A: Array, G: Array, rows: int) -> float:
    """``sum_nj <M_nj, G M_nj A>``."""
    d_out, d_in = G.shape[0], A.shape[0]
    total = 0.0
    for M in _chunks(u, g, rows):
        M3 = M.reshape(-1, d_out, d_in)
        total += float(np.vdot(M3, G @ M3 @ A))
    return total


def _nearest_sq(u: Array, g: Array, A: Array, rows: int, max_iter: int, rtol: float = 1e-10) -> float:
    """``sigma_1^2`` of the rearranged block by power iteration from ``A`` (lower bound)."""
    d_out, d_in = g.shape[2], u.shape[2]

    def apply_r(Y: Array) -> Array:
        return sum(
            np.einsum("roi,ij,rpj->op", M3, Y, M3, optimize=True)
            for M3 in (M.reshape(-1, d_out, d_in) for M in _chunks(u, g, rows))
        )

    def apply_rt(X: Array) -> Array:
        return sum(
            np.einsum("roi,op,rpj->ij", M3, X, M3, optimize=True)
            for M3 in (M.reshape(-1, d_out, d_in) for M in _chunks(u, g, rows))
        )

    return power_sigma_sq(apply_r, apply_rt, A, max_iter, rtol)


def _ekfac_sq(u: Array, g: Array, A: Array, G: Array, rows: int) -> float:
    """``||s||^2`` with ``s = sum_nj (U_G^T M_nj U_A)^2``."""
    _, UG = np.linalg.eigh(G)
    _, UA = np.linalg.eigh(A)
    d_out, d_in = G.shape[0], A.shape[0]
    s = np.zeros((d_out, d_in))
    for M in _chunks(u, g, rows):
        s += np.sum((UG.T @ M.reshape(-1, d_out, d_in) @ UA) ** 2, axis=0)
    return float(np.sum(s * s))


def sharing_error(
    u: Array,
    g: Array,
    approx: KfacApprox | str = KfacApprox.EXPAND,
    *,
    nearest: bool = True,
    ekfac: bool = True,
    rows: int = 1024,
    max_iter: int = 50,
    method: str = "auto",
) -> SharingError:
    """Exact Frobenius error of K-FAC (expand / reduce) for a weight-sharing layer.

    Parameters
    ----------
    u : ndarray, shape (N, T, d_in)
        Patches (inputs at every position).
    g : ndarray, shape (N, T, d_out, k)
        Output factors at every position.
    approx : {"expand", "reduce"}
    nearest, ekfac : bool
        Also the nearest-Kronecker and EKFAC errors.
    rows : int
        Rows ``(n, j)`` of the flattened ``M`` per chunk (memory ``~ 2 rows D`` floats).
    max_iter : int
        Power iterations for the nearest Kronecker product.
    method : {"auto", "dense", "gram"}
        ``||F||^2`` from ``sum M^T M`` (D x D) or from the blocked Gram of ``M``;
        ``"auto"``: dense when ``D <= min(N k, MAX_DENSE)``.

    Returns
    -------
    SharingError

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> u, g = rng.standard_normal((1, 1, 3)), rng.standard_normal((1, 1, 2, 1))
    >>> sharing_error(u, g).relative_frobenius < 1e-12      # T = 1, one example: exact
    True
    """
    u = np.ascontiguousarray(u, dtype=np.float64)
    g = np.ascontiguousarray(g, dtype=np.float64)
    _check(u, g)
    how = option(KfacApprox, approx, "approx")
    A, G = sharing_factors(u, g, how)
    D, nk = g.shape[2] * u.shape[2], u.shape[0] * g.shape[3]
    if method not in ("auto", "dense", "gram"):
        raise ValueError(f"method={method!r} is not one of ['auto', 'dense', 'gram']")
    dense = (D <= MAX_DENSE and D <= nk) if method == "auto" else method == "dense"
    F = _dense_sum(u, g, rows) if dense else None
    f_sq = float(np.vdot(F, F)) if F is not None else _norm_sq_gram(u, g, rows)
    k_sq = float(np.vdot(G, G) * np.vdot(A, A))
    _, rel = relative_from_squares(f_sq, _cross(u, g, A, G, rows), k_sq)
    near = ek = None
    if nearest and f_sq > 0:
        near = min(math.sqrt(max(f_sq - _nearest_sq(u, g, A, rows, max_iter), 0.0) / f_sq), rel)
    if ekfac and f_sq > 0:
        ek = math.sqrt(max(f_sq - _ekfac_sq(u, g, A, G, rows), 0.0) / f_sq)
    return SharingError(
        rel,
        near,
        ek,
        math.sqrt(f_sq),
        math.sqrt(k_sq),
        A,
        G,
        how,
        "dense" if dense else "gram",
    )
