"""``kron_error`` on Dask arrays: the exact K-FAC error from chunk tasks.

With the examples split into row chunks ``c = 1..C`` (``a`` and ``B`` chunked alike):

* the factors ``A``, ``G``, the cross term ``<F, G kron A>`` and the EKFAC diagonal are
  sums over chunks (``C`` tasks each, the per-chunk identities of
  :mod:`symfisher.numeric.kfac.error` and :mod:`~symfisher.numeric.kfac.ekfac`);
* ``||F||^2 = sum_c exact_norm_sq(c) + 2 sum_{c < c'} pair_norm_sq(c, c')``: one task per
  chunk pair of the upper triangle (``C (C + 1) / 2`` tasks), each holding two chunks
  and two ``block x block`` Gram blocks at a time.

Partial sums come back to the client and are added in a fixed order, so the result
does not depend on which worker finished first. The nearest-Kronecker error (a power
iteration over the data) is not computed here: ``nearest_relative_frobenius`` is None.
"""

from __future__ import annotations

import math
from typing import Any

import dask.array as da
import numpy as np
from numpy.typing import NDArray

from symfisher.dask.cluster import RETRIES, gather, resolve
from symfisher.numeric.kfac.checks import ShapeError, as_finite
from symfisher.numeric.kfac.ekfac import ekfac_error_sq
from symfisher.numeric.kfac.error import DEFAULT_BLOCK, exact_norm_sq, flat_factors, pair_norm_sq
from symfisher.numeric.kfac.report import KronErrorReport, relative_from_squares
from symfisher.options import KronMethod

__all__ = ["kron_error"]

Array = NDArray[np.float64]


def _grams(a: Array, B: Array) -> tuple[Array, Array]:
    """``(sum_n a_n a_n^T, sum_n B_n B_n^T)`` of one chunk, after a finiteness check."""
    a, B = as_finite("a", a, 2), as_finite("B", B, 3)
    flat = flat_factors(B)
    return a.T @ a, flat.T @ flat


def _linear_terms(a: Array, B: Array, A: Array, G: Array, UA: Array, UG: Array) -> tuple[float, Array]:
    """One chunk's part of ``<F, G kron A>`` and of the EKFAC diagonal ``s`` (d_out, d_in)."""
    n, d_out, k = B.shape
    flat = flat_factors(B)
    qb = np.einsum("ij,ij->i", flat @ G, flat).reshape(n, k).sum(axis=1)
    qa = np.einsum("ij,ij->i", a @ A, a)
    q = ((flat @ UG) ** 2).reshape(n, k, d_out).sum(axis=1)
    return float(qb @ qa), q.T @ (a @ UA) ** 2


def _pair(a1: Array, B1: Array, a2: Array, B2: Array, block: int, same: bool) -> float:
    """A chunk pair's part of ``||F||^2`` (the diagonal pair counted once, others twice)."""
    return exact_norm_sq(a1, B1, block) if same else 2.0 * pair_norm_sq(a1, B1, a2, B2, block)


def _chunked(a: Any, g: Any, B: Any) -> tuple[da.Array, da.Array]:
    """``a`` (N, d_in) and ``B`` (N, d_out, k) as Dask arrays with equal row chunks."""
    if (g is None) == (B is None):
        raise ShapeError("pass exactly one of 'g' (N, d_out) gradients or 'B' (N, d_out, k) factors")
    a = da.asarray(a).astype(np.float64)
    fac = da.asarray(g if B is None else B).astype(np.float64)
    name, ndim = ("g", 2) if B is None else ("B", 3)
    if a.ndim != 2 or fac.ndim != ndim:
        raise ShapeError(f"need a (N, d_in) and {name} with {ndim} axes; got shapes {a.shape}, {fac.shape}")
    if fac.shape[0] != a.shape[0]:
        raise ShapeError(f"a and {name} need the same number of rows; got {a.shape[0]} and {fac.shape[0]}")
    if B is None:
        fac = fac[:, :, None]
    a = a.rechunk({1: -1})
    return a, fac.rechunk((a.chunks[0], -1, -1))


def kron_error(
    a: Any,
    g: Any = None,
    *,
    B: Any = None,
    client: Any = None,
    ekfac: bool = True,
    block: int = DEFAULT_BLOCK,
    progress: bool | None = None,
) -> KronErrorReport:
    """Exact K-FAC error of one weight block from chunked data on a Dask cluster.

    Parameters
    ----------
    a : dask array or array_like, shape (N, d_in)
        Layer inputs, chunked along N (the chunks of ``g`` / ``B`` are aligned to them).
    g : dask array or array_like, shape (N, d_out), optional
        Per-example gradients (k = 1).
    B : dask array or array_like, shape (N, d_out, k), optional
        Per-example output factors.
    client : distributed.Client, optional
        Default: the current client.
    ekfac : bool
        Also compute the EKFAC error (one more pass over the chunks).
    block : int
        Examples per Gram block inside a task.
    progress : bool, optional
        Progress lines on stderr (default: for long runs).

    Returns
    -------
    KronErrorReport
        Equal (to rounding) to :func:`symfisher.kfac.kron_error` with ``method="gram"``;
        ``nearest_relative_frobenius`` is None.

    Examples
    --------
    >>> rep = kron_error(da.ones((4, 2), chunks=2), da.ones((4, 3), chunks=2))  # doctest: +SKIP
    >>> rep.relative_frobenius                                                  # doctest: +SKIP
    0.0
    """
    cl = resolve(client)
    a_d, b_d = _chunked(a, g, B)
    n, k = a_d.shape[0], b_d.shape[2]
    fa = cl.compute(list(a_d.to_delayed().ravel()))
    fb = cl.compute(list(b_d.to_delayed().ravel()))
    grams = gather(
        cl, [cl.submit(_grams, x, y, retries=RETRIES) for x, y in zip(fa, fb)], "kron_error factors", progress
    )
    A, G = sum(m for m, _ in grams) / n, sum(m for _, m in grams)
    UA, UG = np.linalg.eigh(A)[1], np.linalg.eigh(G)[1]
    pairs = [
        cl.submit(_pair, fa[i], fb[i], fa[j], fb[j], block, i == j, retries=RETRIES)
        for i in range(len(fa))
        for j in range(i, len(fa))
    ]
    lin = gather(
        cl,
        [cl.submit(_linear_terms, x, y, A, G, UA, UG, retries=RETRIES) for x, y in zip(fa, fb)],
        "kron_error cross terms",
        progress,
    )
    f_sq = math.fsum(gather(cl, pairs, "kron_error Gram pairs", progress))
    cross = math.fsum(c for c, _ in lin)
    k_sq = float(np.sum(G * G) * np.sum(A * A))
    err, rel = relative_from_squares(f_sq, cross, k_sq)
    s = sum(d for _, d in lin)
    ek = math.sqrt(ekfac_error_sq(f_sq, s) / f_sq) if ekfac and f_sq > 0 else None
    return KronErrorReport(
        err, rel, None, ek, A, G, math.sqrt(f_sq), math.sqrt(k_sq), int(n), int(k), KronMethod.GRAM, cross=cross
    )
