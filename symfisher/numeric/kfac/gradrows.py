"""Exact K-FAC error terms from per-example gradient matrices, with bounded memory.

A layer's exact GGN / Fisher weight block is ``F = sum_r m_r m_r^T`` over the rows
``m_r = vec(M_nj)`` (``r = (n, j)``: example ``n``, output-factor column ``j``; ``N k`` rows
of length ``D = d_out d_in``, row-major vec, ``kron(G, A)`` order; for a convolution
``M_nj = sum_t g_ntj u_nt^T``, see :mod:`symfisher.numeric.kfac.sharing`). K-FAC's error
``||F - G kron A||_F`` needs ``||F||^2``, ``<F, G kron A> = sum_r <M_r, G M_r A>`` and
``||G||^2 ||A||^2``; EKFAC needs ``s = sum_r (U_G^T M_r U_A)^2``. Two exact routes, both
fed batch by batch (the rows never have to be in memory at once):

* **dense** (:class:`DenseSums`): ``F`` (D x D) is accumulated, ``F += M^T M`` per batch.
  Peak memory ``16 D^2`` bytes (``F`` plus one D x D work buffer at the end); flops
  ``N k D^2`` (``syrk``). Nearest Kronecker: power iteration on the rearranged ``F``,
  ``2 D^2`` flops per step.
* **gram** (:class:`RowStore` + :func:`gram_terms`): the rows are appended to a scratch file
  (``8 N k D`` bytes on disk, read back with explicit reads, so the page cache is not
  counted in the process's memory), then ``||F||^2 = sum_{r, s} <m_r, m_s>^2`` over the
  upper triangle of block pairs. Peak memory ``8 (5 b D + b^2)`` bytes for blocks of
  ``b`` rows; flops ``(N k)^2 D``. Nearest Kronecker: one pass over the rows per power step
  (``4 N k D (d_out + d_in)`` flops), so it is as costly as the Gram for wide layers.
  (the 5 b D: two blocks and the temporaries of the row pass; :func:`gram_peak_bytes`).
  The row pass computes ``s`` (``4 N k D (d_out + d_in)`` flops, in BLAS products) and
  from it the cross term, ``<F, G kron A> = sum_ab lam_G,a lam_A,b s_ab`` (eigenpairs of
  ``G`` and ``A``): one transform per row instead of two.

The dense route is cheaper in flops when ``D < N k``. Both are exact (float64 throughout).
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

#: Bytes of one float64.
F64 = 8


@dataclass(frozen=True)
class ErrorTerms:
    """The squared norms and inner product that give every error of one block.

    Attributes
    ----------
    norm_sq : float
        ``||F||^2``.
    cross : float
        ``<F, G kron A>``.
    kfac_sq : float
        ``||G||^2 ||A||^2``.
    ekfac_sq : float or None
        ``||s||^2`` (EKFAC captures it exactly), if computed.
    nearest_sq : float or None
        ``sigma_1^2`` of the rearranged ``F`` (power iteration, a lower bound), if computed.
    """

    norm_sq: float
    cross: float
    kfac_sq: float
    ekfac_sq: float | None
    nearest_sq: float | None

    def relative(self) -> tuple[float, float | None, float | None]:
        """Relative Frobenius errors ``(K-FAC, nearest, EKFAC)``."""
        f = self.norm_sq
        err_sq = max(f - 2.0 * self.cross + self.kfac_sq, 0.0)
        rel = math.sqrt(err_sq / f) if f > 0 else 0.0
        near = ek = None
        if self.nearest_sq is not None:
            near = min(math.sqrt(max(f - self.nearest_sq, 0.0) / f), rel) if f > 0 else 0.0
        if self.ekfac_sq is not None:
            ek = math.sqrt(max(f - self.ekfac_sq, 0.0) / f) if f > 0 else 0.0
        return rel, near, ek


class RowStore:
    """Append-only float64 rows of width ``D`` in a scratch file (deleted by :meth:`close`).

    Reads go through ``readinto`` a caller's buffer: only the buffers count towards the
    process's resident memory.

    Examples
    --------
    >>> st = RowStore(2)
    >>> st.append(np.arange(6.0).reshape(3, 2))
    >>> st.read(1, 3, np.empty(4)).tolist(), st.rows
    ([[2.0, 3.0], [4.0, 5.0]], 3)
    >>> st.close()
    """

    def __init__(self, width: int, directory: str | None = None) -> None:
        fd, self.path = tempfile.mkstemp(prefix="symfisher-rows-", suffix=".f64", dir=directory)
        self._file = os.fdopen(fd, "w+b")
        self.width, self.rows = width, 0

    def append(self, M: Array) -> None:
        """Append rows ``M`` (r, D)."""
        arr = np.ascontiguousarray(M, dtype=np.float64)
        self._file.seek(0, os.SEEK_END)
        self._file.write(arr.data.cast("B"))
        self.rows += arr.shape[0]

    def read(self, i0: int, i1: int, buf: Array) -> Array:
        """Rows ``i0:i1`` into ``buf`` (at least ``(i1 - i0) D`` floats), shape (i1 - i0, D)."""
        out = buf[: (i1 - i0) * self.width].reshape(i1 - i0, self.width)
        self._file.flush()
        self._file.seek(i0 * self.width * F64)
        got = self._file.readinto(out.data.cast("B"))
        if got != out.nbytes:
            raise OSError(f"scratch file {self.path} is short: read {got} of {out.nbytes} bytes")
        return out

    @property
    def nbytes(self) -> int:
        """Bytes on disk."""
        return self.rows * self.width * F64

    def close(self) -> None:
        """Close and delete the scratch file."""
        self._file.close()
        if os.path.exists(self.path):
            os.unlink(self.path)


def gram_block_rows(width: int, budget: int, total: int) -> int:
    """Rows ``b`` per block of :func:`gram_terms` within ``budget`` bytes (at least 1).

    The peak is ``8 (5 b D + b^2)`` bytes: two blocks, their Gram and the temporaries of
    the row pass (``G M A`` and ``U_G^T M U_A``).

    Examples
    --------
    >>> gram_block_rows(100, 8 * (5 * 10 * 100 + 100), 10**6)
    10
    """
    b = (-5 * width + math.sqrt(25 * width * width + 4 * budget / F64)) / 2
    return max(1, min(total, int(b + 1e-9)))


def gram_peak_bytes(width: int, block: int) -> int:
    """Peak bytes of :func:`gram_terms` with ``block`` rows per block (see :func:`gram_block_rows`)."""
    return F64 * (5 * block * width + block * block)


def _row_pass(M: Array, UG: Array, UA: Array, s: Array) -> None:
    """Add ``(U_G^T M_r U_A)^2`` of a block of rows to ``s`` (d_out, d_in)."""
    d_out, d_in = s.shape
    T = np.matmul(UG.T, M.reshape(-1, d_out, d_in)).reshape(-1, d_in) @ UA
    s += np.einsum("rab,rab->ab", *(T.reshape(-1, d_out, d_in),) * 2)


def gram_terms(
    store: RowStore,
    A: Array,
    G: Array,
    *,
    block: int,
    ekfac: bool = True,
    nearest: bool = False,
    max_iter: int = 50,
) -> ErrorTerms:
    """Error terms from stored rows: blocked upper-triangle Gram, one extra row pass.

    Parameters
    ----------
    store : RowStore
        Rows ``vec(M_r)``, shape (N k, D).
    A, G : ndarray, shapes (d_in, d_in), (d_out, d_out)
        K-FAC factors (``A`` a mean, ``G`` a sum).
    block : int
        Rows per block (peak memory ``8 (2 block D + block^2)`` bytes).
    ekfac, nearest : bool
    max_iter : int
        Power iterations for the nearest Kronecker product.

    Examples
    --------
    >>> st = RowStore(1)
    >>> st.append(np.array([[1.0], [2.0]]))        # F = [[5]]
    >>> t = gram_terms(st, np.eye(1), np.eye(1), block=1)
    >>> st.close(); (t.norm_sq, t.cross, t.ekfac_sq)
    (25.0, 5.0, 25.0)
    """
    n, D = store.rows, store.width
    b = max(1, min(block, n))
    buf_i, buf_j, cbuf = np.empty(b * D), np.empty(b * D), np.empty(b * b)
    lam_g, UG = np.linalg.eigh(G)
    lam_a, UA = np.linalg.eigh(A)
    s = np.zeros((G.shape[0], A.shape[0]))
    total = 0.0
    for i0 in range(0, n, b):
        i1 = min(i0 + b, n)
        Mi = store.read(i0, i1, buf_i)
        C = np.matmul(Mi, Mi.T, out=cbuf[: (i1 - i0) ** 2].reshape(i1 - i0, i1 - i0))
        total += float(np.vdot(C, C))
        _row_pass(Mi, UG, UA, s)
        for j0 in range(i1, n, b):
            j1 = min(j0 + b, n)
            C = np.matmul(Mi, store.read(j0, j1, buf_j).T, out=cbuf[: (i1 - i0) * (j1 - j0)].reshape(i1 - i0, -1))
            total += 2.0 * float(np.vdot(C, C))
    near = None
    if nearest:

        def apply_r(Y: Array) -> Array:
            return _rows_sum(
                store, b, buf_i, lambda M3: np.einsum("roi,ij,rpj->op", M3, Y, M3, optimize=True), G.shape[0]
            )

        def apply_rt(X: Array) -> Array:
            return _rows_sum(
                store, b, buf_i, lambda M3: np.einsum("roi,op,rpj->ij", M3, X, M3, optimize=True), G.shape[0]
            )

        near = power_sigma_sq(apply_r, apply_rt, A, max_iter)
    cross = float(lam_g @ s @ lam_a)  # <F, G kron A> = sum_ab lam_G,a lam_A,b s_ab
    ek = float(np.vdot(s, s)) if ekfac else None
    return ErrorTerms(total, cross, float(np.vdot(G, G) * np.vdot(A, A)), ek, near)


def _rows_sum(store: RowStore, b: int, buf: Array, fn: Callable[[Array], Array], d_out: int) -> Array:
    """``sum`` of ``fn(M3)`` over row blocks (``M3`` of shape (r, d_out, d_in))."""
    out: Array | None = None
    for i0 in range(0, store.rows, b):
        M = store.read(i0, min(i0 + b, store.rows), buf)
        part = fn(M.reshape(M.shape[0], d_out, -1))
        out = part if out is None else out + part
    assert out is not None
    return out


def power_sigma_sq(
    apply_r: Callable[[Array], Array], apply_rt: Callable[[Array], Array], A: Array, max_iter: int, rtol: float = 1e-10
) -> float:
    """``sigma_1^2`` of the rearranged block by power iteration from ``A`` (a lower bound)."""
    Y = A / max(float(np.linalg.norm(A)), 1e-300)
    X = apply_r(Y)
    best = float(np.sum(X * X))
    for _ in range(max_iter):
        Y = apply_rt(X)
        Y /= max(float(np.linalg.norm(Y)), 1e-300)
        X = apply_r(Y)
        new = float(np.sum(X * X))
        done = abs(new - best) <= rtol * new
        best = max(best, new)
        if done:
            break
    return best


class DenseSums:
    """``F = sum_r m_r m_r^T`` accumulated batch by batch (D x D, float64).

    Examples
    --------
    >>> acc = DenseSums(1, 1)
    >>> acc.add(np.array([[1.0], [2.0]]))
    >>> acc.terms(np.eye(1), np.eye(1)).norm_sq
    25.0
    """

    def __init__(self, d_out: int, d_in: int) -> None:
        self.d_out, self.d_in = d_out, d_in
        D = d_out * d_in
        self.F = np.zeros((D, D))

    def add(self, M: Array) -> None:
        """Add rows ``M`` (r, D)."""
        self.F += M.T @ M

    def terms(self, A: Array, G: Array, *, ekfac: bool = True, nearest: bool = False, max_iter: int = 50) -> ErrorTerms:
        """Error terms of the accumulated ``F`` (peak one more D x D buffer)."""
        do, di = self.d_out, self.d_in
        F4 = self.F.reshape(do, di, do, di)
        cross = float(np.einsum("oipl,il,op->", F4, A, G))  # no D x D copy
        ek = None
        if ekfac:
            UG, UA = np.linalg.eigh(G)[1], np.linalg.eigh(A)[1]
            s = np.empty((do, di))
            step = max(1, do // 4)  # chunks of U_G's columns: work buffers ~ D^2 / 4 each
            for a0 in range(0, do, step):
                ug = UG[:, a0 : a0 + step]
                Y = np.tensordot(np.tensordot(ug, F4, axes=(0, 0)), UA, axes=(1, 0))  # (a, p, l, b)
                s[a0 : a0 + step] = np.einsum("aplb,pa,lb->ab", Y, ug, UA, optimize=True)
            ek = float(np.vdot(s, s))
        near = None
        if nearest:
            R = np.ascontiguousarray(F4.transpose(0, 2, 1, 3)).reshape(do * do, di * di)
            near = power_sigma_sq(
                lambda Y: (R @ Y.ravel()).reshape(do, do),
                lambda X: (R.T @ X.ravel()).reshape(di, di),
                A,
                max_iter,
            )
        return ErrorTerms(float(np.vdot(self.F, self.F)), cross, float(np.vdot(G, G) * np.vdot(A, A)), ek, near)
