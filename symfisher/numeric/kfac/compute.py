"""``kron_error``: the K-FAC approximation error of one weight block.

Conventions: weights ``(d_out, d_in)``, row-major vec, block ``kron(G, A)`` with
``G = sum_n B_n B_n^T`` and ``A = mean_n a_n a_n^T``; the exact block is
``F = sum_n (B_n B_n^T) kron (a_n a_n^T)``. With gradient vectors ``g`` (k = 1) and the
observed labels, ``F`` is the empirical Fisher; with labels sampled from the model it is
a Monte-Carlo Fisher; with factors ``B_n = J_n^T S_n`` (``S_n S_n^T = Lambda_n``) it is the
exact GGN / Fisher block, for which the exactness statements hold: K-FAC is exact for
one example, when all ``a_n`` coincide, and when ``B_n B_n^T`` is the same for every
example (the output layer under a homoscedastic Gaussian likelihood).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symfisher.numeric.kfac.checks import ShapeError, as_finite, same_rows
from symfisher.numeric.kfac.dense import MAX_DENSE_SIZE, dense_errors
from symfisher.numeric.kfac.ekfac import ekfac_diagonal, ekfac_error_sq
from symfisher.numeric.kfac.error import DEFAULT_BLOCK, cross_term, exact_norm_sq, kfac_factors
from symfisher.numeric.kfac.nearest import nearest_kronecker
from symfisher.numeric.kfac.report import KronErrorReport, relative_from_squares
from symfisher.numeric.kfac.sampled import delta_interval, sampled_terms
from symfisher.options import CrossTerm, KronMethod, option


def _inputs(a: ArrayLike, g: ArrayLike | None, B: ArrayLike | None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate ``a`` and exactly one of ``g`` / ``B``; return ``a`` and ``B`` (N, d_out, k)."""
    if g is not None and B is None:
        name, given, ndim = "g", g, 2
    elif B is not None and g is None:
        name, given, ndim = "B", B, 3
    else:
        raise ShapeError("pass exactly one of 'g' (N, d_out) gradients or 'B' (N, d_out, k) factors")
    a_arr = as_finite("a", a, 2)
    B_arr = as_finite(name, given, ndim)
    if ndim == 2:
        B_arr = B_arr[:, :, None]
    same_rows(("a", name), a_arr, B_arr)
    return a_arr, B_arr


def kron_error(
    a: ArrayLike,
    g: ArrayLike | None = None,
    *,
    B: ArrayLike | None = None,
    method: KronMethod | str = KronMethod.AUTO,
    nearest: bool = True,
    ekfac: bool = True,
    block: int = DEFAULT_BLOCK,
    num_pairs: int = 200_000,
    seed: int = 0,
    max_iter: int = 100,
    cross: CrossTerm | str = CrossTerm.EXACT,
) -> KronErrorReport:
    """Exact (or estimated) Frobenius error of K-FAC for one weight block.

    Parameters
    ----------
    a : array_like, shape (N, d_in)
        Layer inputs ``a_n`` (append a column of ones for the joint ``[W | b]`` block).
    g : array_like, shape (N, d_out), optional
        Per-example gradients wrt the layer's pre-activations (k = 1).
    B : array_like, shape (N, d_out, k), optional
        Per-example output factors ``B_n`` with ``B_n B_n^T = J_n^T Lambda_n J_n``.
    method : {"auto", "gram", "dense", "sampled"}
        ``"gram"``: exact, matrix-free; ``"dense"``: forms ``F`` (small layers);
        ``"sampled"``: unbiased estimate of ``||F||^2`` with a 95% interval.
    nearest, ekfac : bool
        Also compute the nearest-Kronecker and EKFAC errors.
    block : int
        Examples per Gram block (memory ~ ``2 block^2`` floats).
    num_pairs, seed : int
        Sampled pairs (triples with ``cross="sampled"``) and RNG seed for
        ``method="sampled"``.
    max_iter : int
        Power iterations for the nearest Kronecker product.
    cross : {"exact", "sampled"}
        ``<F, G kron A>``: exact (default; O(N d^2), the same cost as the factors ``G``
        and ``A``, so it is almost free once they are formed), or, with
        ``method="sampled"`` (``"auto"`` then means sampled), an unbiased estimate from
        ``num_pairs`` importance-sampled triples ``(n, m, l)`` whose pairs ``(n, m)`` also
        re-estimate ``||F||^2`` (see :mod:`.sampled`); the interval then accounts for
        both estimates and their covariance (``rep.cross``, ``rep.cross_std_error``).

    Returns
    -------
    KronErrorReport

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> rep = kron_error(rng.standard_normal((1, 4)), rng.standard_normal((1, 3)))
    >>> rep.relative_frobenius < 1e-7          # one example: K-FAC is exact
    True
    """
    a_arr, B_arr = _inputs(a, g, B)
    how, cross_how = option(KronMethod, method, "method"), option(CrossTerm, cross, "cross")
    if block < 1 or num_pairs < 2 or max_iter < 1:
        raise ShapeError(
            f"need block >= 1, num_pairs >= 2 and max_iter >= 1; got block={block}, "
            f"num_pairs={num_pairs}, max_iter={max_iter}"
        )
    if cross_how is CrossTerm.SAMPLED:
        if how not in (KronMethod.AUTO, KronMethod.SAMPLED):
            raise ShapeError(f"cross='sampled' needs method='sampled' (or 'auto'), got method={how.value!r}")
        how = KronMethod.SAMPLED
    if how is KronMethod.AUTO:
        n, d_out, k = B_arr.shape
        how = _auto_method(n, d_out, k, a_arr.shape[1])
    if how is KronMethod.DENSE:
        return _dense_report(a_arr, B_arr)
    A, G = kfac_factors(a_arr, B_arr)
    k_sq = float(np.sum(G * G) * np.sum(A * A))
    if how is KronMethod.SAMPLED:
        est = _sampled(a_arr, B_arr, A, G, k_sq, cross_how, num_pairs, seed)
    else:
        c = cross_term(a_arr, B_arr, A, G)
        f_sq = exact_norm_sq(a_arr, B_arr, block)
        err, rel = relative_from_squares(f_sq, c, k_sq)
        est = _Estimate(f_sq, c, rel, err)
    rel, f_sq = est.relative, est.norm_sq
    near = _nearest_rel(a_arr, B_arr, A, f_sq, rel, max_iter) if nearest else None
    ek = math.sqrt(ekfac_error_sq(f_sq, ekfac_diagonal(a_arr, B_arr, A, G)) / f_sq) if ekfac and f_sq > 0 else None
    return KronErrorReport(
        est.frobenius,
        rel,
        near,
        ek,
        A,
        G,
        math.sqrt(f_sq),
        math.sqrt(k_sq),
        a_arr.shape[0],
        B_arr.shape[2],
        KronMethod(how.value),
        est.interval,
        est.num,
        est.cross,
        est.cross_se,
        est.norm_sq_se,
        est.relative_se,
    )


@dataclass(frozen=True)
class _Estimate:
    """``||F||^2``, ``<F, G kron A>`` and the errors, with uncertainties when sampled."""

    norm_sq: float
    cross: float
    relative: float
    frobenius: float
    interval: tuple[float, float] | None = None
    num: int | None = None
    cross_se: float | None = None
    norm_sq_se: float | None = None
    relative_se: float | None = None


def _sampled(
    a: NDArray[np.float64],
    B: NDArray[np.float64],
    A: NDArray[np.float64],
    G: NDArray[np.float64],
    k_sq: float,
    how: CrossTerm,
    num: int,
    seed: int,
) -> _Estimate:
    """``method="sampled"``: ``||F||^2`` (and, if asked, the cross term) estimated."""
    rng = np.random.default_rng(seed)
    t = sampled_terms(a, B, num, rng)  # importance-sampled: see .sampled
    x, var_x, num = t.norm_sq, t.norm_sq_var, t.num_triples
    if how is CrossTerm.EXACT:
        c, var_c, cov, cross_se = cross_term(a, B, A, G), 0.0, 0.0, None
    else:
        c, var_c, cov = t.cross, t.cross_var, t.covariance
        cross_se = math.sqrt(var_c)
    rel, rel_se, interval = delta_interval(x, c, k_sq, var_x, var_c, cov)
    return _Estimate(x, c, rel, rel * math.sqrt(max(x, 0.0)), interval, num, cross_se, math.sqrt(var_x), rel_se)


DENSE_MAX_BLOCK = 1024
"""Above d_in·d_out = 1024 the dense F (size² floats per example) is never formed."""
DENSE_ALWAYS_BLOCK = 64
"""Up to d_in·d_out = 64 the dense F is always cheaper than Gram sums (tiny blocks)."""


def _auto_method(n: int, d_out: int, k: int, d_in: int) -> KronMethod:
    """Dense when forming ``F`` is cheaper than the N x N Gram sums (small layers, large N)."""
    size = d_in * d_out
    if size > DENSE_MAX_BLOCK:
        return KronMethod.GRAM
    dense_cost = n * (size * size + d_out * d_out * k) + size**3
    gram_cost = 0.5 * n * n * (d_in + k * k * d_out)
    return KronMethod.DENSE if size <= DENSE_ALWAYS_BLOCK or dense_cost < gram_cost else KronMethod.GRAM


def _nearest_rel(
    a: NDArray[np.float64], B: NDArray[np.float64], A: NDArray[np.float64], f_sq: float, kfac_rel: float, max_iter: int
) -> float:
    """Relative nearest-Kronecker error, capped by K-FAC's (rounding can exceed it)."""
    if f_sq <= 0:
        return 0.0
    res = nearest_kronecker(a, B, A, max_iter=max_iter)
    return min(math.sqrt(max(f_sq - res.sigma_sq, 0.0) / f_sq), kfac_rel)


def _dense_report(a: NDArray[np.float64], B: NDArray[np.float64]) -> KronErrorReport:
    """Report computed by the dense oracle."""
    size = a.shape[1] * B.shape[1]
    if size > MAX_DENSE_SIZE:
        raise ShapeError(f"method='dense' needs d_in * d_out <= {MAX_DENSE_SIZE}, got {size}")
    A, G = kfac_factors(a, B)
    norm, kfac, near, ek = dense_errors(a, B)
    k_norm = float(np.linalg.norm(G) * np.linalg.norm(A))
    return KronErrorReport(
        kfac * norm,
        kfac,
        near,
        ek,
        A,
        G,
        norm,
        k_norm,
        a.shape[0],
        B.shape[2],
        KronMethod.DENSE,
        cross=cross_term(a, B, A, G),
    )
