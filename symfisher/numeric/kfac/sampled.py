"""Unbiased estimates of ``||F||^2`` (and ``<F, G kron A>``) from sampled examples, for large N.

Write ``u(n, m) = ||B_n^T B_m||_F^2`` and ``v(n, m) = (a_n . a_m)^2``.

* ``||F||^2 = sum_{n,m} u(n, m) v(n, m)``. The N diagonal terms ``D`` are summed exactly
  (O(N d k^2)); the ``N (N - 1)`` ordered off-diagonal pairs ``(n, m)`` are sampled.
* ``<F, G kron A> = (1/N) sum_{n,m,l} u(n, m) v(n, l) = (1/N) sum_n U_n V_n`` with
  ``U_n = sum_m u(n, m)``, ``V_n = sum_l v(n, l)``. Splitting off ``m = n`` and ``l = n``
  gives four parts: ``D / N`` (exact), ``(1/N) sum_{l != n} u(n,n) v(n,l)``,
  ``(1/N) sum_{m != n} u(n,m) v(n,n)`` and ``(1/N) sum_{m != n, l != n} u(n,m) v(n,l)``.
  :func:`sampled_terms` draws triples: ``n ~ p``, then ``m ~ beta`` and ``l ~ alpha``
  independently, each restricted to the other examples (``beta'_m = beta_m / (1 - beta_n)``,
  ``alpha'_l`` likewise). Each triple gives

      y = [u(n,n) v(n,l) / alpha'_l + u(n,m) v(n,n) / beta'_m
           + u(n,m) v(n,l) / (beta'_m alpha'_l)] / (N p_n),
      x = u(n,m) v(n,m) / (p_n beta'_m).

  Unbiasedness: ``E[g(l) / alpha'_l | n] = sum_{l != n} g(l)`` (every ``alpha'_l > 0``),
  likewise for ``m``, the independence of ``m`` and ``l`` given ``n`` makes
  ``E[u v / (beta' alpha') | n] = (sum_{m != n} u(n,m)) (sum_{l != n} v(n,l))``, and
  ``E[h(n) / (N p_n)] = (1/N) sum_n h(n)``; so ``E[y]`` is the sum of the last three
  parts and ``E[x] = ||F||^2 - D``. With uniform probabilities ``x = N (N - 1) u v`` and
  ``y = (N - 1) [u(n,n) v(n,l) + u(n,m) v(n,n) + (N - 1) u(n,m) v(n,l)]``. The default
  :func:`proposal` is importance sampling: ``p`` and ``beta`` proportional to
  ``||a_n||^2 ||B_n||_F^2`` and ``alpha`` to ``||a_l||^2`` (the scales of ``U_n V_n``,
  ``u`` and ``v``), each mixed half-and-half with the uniform distribution so that no
  term is missed and the weights stay bounded by ``2 N``. The sample covariance of
  ``(x, y)`` over the triples enters the delta-method interval of the relative error.

The relative error comes from ``x - 2 c + ||G kron A||^2``, a difference of nearly equal
numbers when K-FAC is accurate: its standard error is about ``se(x) / (2 x r)``, so a small
relative error ``r`` needs many samples, and near ``r = 0`` (where ``r`` is not
differentiable) the interval is wide rather than normal.

The exact ``<F, G kron A> = sum_n tr(B_n^T G B_n) a_n^T A a_n`` costs O(N d^2), the same
as the factors ``G`` and ``A`` themselves (and ``||G kron A||^2 = ||G||^2 ||A||^2`` is
exact given them), so by default only ``||F||^2`` (O(N^2 d) exactly) is estimated, from the
pairs ``(n, m)`` of the importance-sampled triples, and ``<F, G kron A>`` is exact. An
earlier version sampled the pairs uniformly: on examples whose scales vary (log-normal,
sd 0.4) its nominal 95% interval covered the exact error in only 83-93% of 200 seeds, and
the importance-sampled pairs gave a 5x narrower interval with 93.5% coverage on a 300-example
layer. ``cross="sampled"`` estimates the cross term from the same triples as well (for when
even O(N d^2) is too much); the covariance of the two estimates then enters the interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class SampledTerms:
    """Joint estimates of ``x = ||F||^2`` and ``c = <F, G kron A>`` from the same triples.

    Attributes
    ----------
    norm_sq, cross : float
        Unbiased estimates of ``x`` and ``c``.
    norm_sq_var, cross_var, covariance : float
        Estimated variances of the two estimates and their covariance.
    num_triples : int
        Number of sampled triples ``(n, m, l)``.
    """

    norm_sq: float
    cross: float
    norm_sq_var: float
    cross_var: float
    covariance: float
    num_triples: int


def diagonal_terms(a: NDArray[np.float64], B: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``u(n, n) = ||B_n^T B_n||_F^2`` and ``v(n, n) = ||a_n||^4``, each shape (N,).

    Examples
    --------
    >>> u, v = diagonal_terms(np.ones((2, 3)), np.ones((2, 2, 1)))
    >>> u.tolist(), v.tolist()
    ([4.0, 4.0], [9.0, 9.0])
    """
    gram = np.einsum("ndp,ndq->npq", B, B)
    sq = np.einsum("nd,nd->n", a, a)
    return np.einsum("npq,npq->n", gram, gram), sq * sq


@dataclass(frozen=True)
class Proposal:
    """Sampling distributions of :func:`sampled_terms`, each shape (N,), summing to 1.

    ``n ~ p``; given ``n``, ``m ~ beta`` and ``l ~ alpha`` restricted to the other
    examples. Every entry must be positive and below 1 (``N >= 2``).
    """

    p: NDArray[np.float64]
    beta: NDArray[np.float64]
    alpha: NDArray[np.float64]

    @classmethod
    def uniform(cls, n: int) -> Proposal:
        """All three uniform over ``n`` examples.

        Examples
        --------
        >>> Proposal.uniform(4).p.tolist()
        [0.25, 0.25, 0.25, 0.25]
        """
        q = np.full(n, 1.0 / n)
        return cls(q, q, q)


def _defensive(w: NDArray[np.float64]) -> NDArray[np.float64]:
    """Half ``w / sum(w)``, half uniform (uniform if ``w`` sums to 0)."""
    total = float(w.sum())
    base = w / total if total > 0 else np.full(w.size, 1.0 / w.size)
    return 0.5 * base + 0.5 / w.size


def proposal(a: NDArray[np.float64], B: NDArray[np.float64]) -> Proposal:
    """Importance-sampling proposal: ``p, beta ~ ||a_n||^2 ||B_n||_F^2``, ``alpha ~ ||a_n||^2``.

    Each is mixed half-and-half with the uniform distribution.

    Parameters
    ----------
    a : ndarray, shape (N, d_in)
    B : ndarray, shape (N, d_out, k)

    Examples
    --------
    >>> prop = proposal(np.array([[1.0], [3.0]]), np.ones((2, 1, 1)))
    >>> prop.alpha.tolist()          # 0.5 * [0.1, 0.9] + 0.25
    [0.3, 0.7]
    """
    sq_a = np.einsum("nd,nd->n", a, a)
    scale = sq_a * np.einsum("ndk,ndk->n", B, B)
    return Proposal(_defensive(scale), _defensive(scale), _defensive(sq_a))


def triple_terms(
    a: NDArray[np.float64],
    B: NDArray[np.float64],
    u_diag: NDArray[np.float64],
    v_diag: NDArray[np.float64],
    prop: Proposal,
    n: NDArray[np.int64],
    m: NDArray[np.int64],
    l: NDArray[np.int64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-triple terms ``(x_t, y_t)`` of :func:`sampled_terms` (see the module docstring).

    Parameters
    ----------
    a : ndarray, shape (N, d_in)
    B : ndarray, shape (N, d_out, k)
    u_diag, v_diag : ndarray, shape (N,)
        From :func:`diagonal_terms`.
    prop : Proposal
        The distributions the triples are drawn from.
    n, m, l : ndarray of int, shape (T,)
        Triples with ``m != n`` and ``l != n``.

    Returns
    -------
    x, y : ndarray, shape (T,)
        ``E[x] = ||F||^2 - D`` and ``E[y] = <F, G kron A> - D / N`` when the triples
        are drawn from ``prop``.

    Examples
    --------
    >>> a, B = np.ones((2, 1)), np.ones((2, 1, 1))
    >>> u, v = diagonal_terms(a, B)
    >>> one = np.array([0]), np.array([1]), np.array([1])
    >>> x, y = triple_terms(a, B, u, v, Proposal.uniform(2), *one)
    >>> float(x[0]), float(y[0])      # N (N-1) = 2; (N-1) (1 + 1 + 1) = 3
    (2.0, 3.0)
    """
    big_n = a.shape[0]
    cross = np.einsum("tdp,tdq->tpq", B[n], B[m])
    u_nm = np.einsum("tpq,tpq->t", cross, cross)
    an = a[n]
    v_nm = np.einsum("td,td->t", an, a[m]) ** 2
    v_nl = np.einsum("td,td->t", an, a[l]) ** 2
    p_n = prop.p[n]
    beta_m = prop.beta[m] / (1.0 - prop.beta[n])
    alpha_l = prop.alpha[l] / (1.0 - prop.alpha[n])
    x = u_nm * v_nm / (p_n * beta_m)
    y = (u_diag[n] * v_nl / alpha_l + u_nm * v_diag[n] / beta_m + u_nm * v_nl / (beta_m * alpha_l)) / (big_n * p_n)
    return x, y


def _draw(rng: np.random.Generator, cdf: NDArray[np.float64], size: int) -> NDArray[np.int64]:
    """Indices drawn from the distribution with cumulative sums ``cdf`` (last entry 1)."""
    idx = np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right")
    return np.minimum(idx, cdf.size - 1)


def _draw_others(rng: np.random.Generator, cdf: NDArray[np.float64], n: NDArray[np.int64]) -> NDArray[np.int64]:
    """One index per entry of ``n`` from ``cdf`` conditioned on differing from it (rejection)."""
    out = _draw(rng, cdf, n.size)
    clash = np.flatnonzero(out == n)
    while clash.size:
        out[clash] = _draw(rng, cdf, clash.size)
        clash = clash[out[clash] == n[clash]]
    return out


def sampled_terms(
    a: NDArray[np.float64],
    B: NDArray[np.float64],
    num_triples: int,
    rng: np.random.Generator,
    chunk: int = 4096,
    prop: Proposal | None = None,
) -> SampledTerms:
    """Unbiased estimates of ``||F||^2`` and ``<F, G kron A>`` from shared sampled triples.

    Parameters
    ----------
    a : ndarray, shape (N, d_in)
    B : ndarray, shape (N, d_out, k)
    num_triples : int
        Triples ``(n, m, l)`` to draw (``n ~ p``; ``m ~ beta`` and ``l ~ alpha`` among the
        other examples, independently).
    rng : numpy.random.Generator
    chunk : int
        Triples evaluated at a time (memory ``chunk (3 d_in + 2 d_out k)`` floats, plus
        16 bytes per triple for the terms).
    prop : Proposal, optional
        Sampling distributions; default :func:`proposal` (importance sampling).

    Returns
    -------
    SampledTerms

    Examples
    --------
    >>> a, B = np.ones((4, 2)), np.ones((4, 3, 1))     # every u = 9, v = 4
    >>> t = sampled_terms(a, B, 100, np.random.default_rng(0))
    >>> t.norm_sq, t.cross, t.cross_var                # exact: 16 u v = 576 for both
    (576.0, 576.0, 0.0)
    """
    big_n = a.shape[0]
    u_diag, v_diag = diagonal_terms(a, B)
    diag = float(u_diag @ v_diag)
    if big_n == 1 or num_triples <= 0:
        return SampledTerms(diag, diag / big_n, 0.0, 0.0, 0.0, 0)
    prop = proposal(a, B) if prop is None else prop
    cdfs = [np.cumsum(q) for q in (prop.p, prop.beta, prop.alpha)]
    xs, ys = np.empty(num_triples), np.empty(num_triples)  # 16 bytes per triple
    for start in range(0, num_triples, chunk):
        stop = min(start + chunk, num_triples)
        n = _draw(rng, cdfs[0], stop - start)
        m, l = _draw_others(rng, cdfs[1], n), _draw_others(rng, cdfs[2], n)
        xs[start:stop], ys[start:stop] = triple_terms(a, B, u_diag, v_diag, prop, n, m, l)
    mx, my = float(xs.mean()), float(ys.mean())
    if num_triples == 1:
        return SampledTerms(diag + mx, diag / big_n + my, math.inf, math.inf, 0.0, 1)
    cov = np.cov(xs, ys) / num_triples  # of the two means
    var_x, var_y, cov_xy = float(cov[0, 0]), float(cov[1, 1]), float(cov[0, 1])
    return SampledTerms(diag + mx, diag / big_n + my, var_x, var_y, cov_xy, num_triples)


def delta_interval(
    x: float, c: float, k_sq: float, var_x: float, var_c: float = 0.0, cov: float = 0.0
) -> tuple[float, float, tuple[float, float]]:
    """``r = sqrt(1 - (2 c - k) / x)``, its delta-method standard error and 95% interval.

    ``dr/dx = (2 c - k) / (2 r x^2)`` and ``dr/dc = -1 / (r x)``, so
    ``var(r) = r_x^2 var(x) + r_c^2 var(c) + 2 r_x r_c cov(x, c)``. The interval is
    clipped to ``[0, inf)``; at ``r = 0`` (where ``r`` is not differentiable) it is
    ``[0, inf)`` unless the variances are zero.

    Examples
    --------
    >>> delta_interval(4.0, 2.0, 1.0, 0.0)
    (0.5, 0.0, (0.5, 0.5))
    """
    r = math.sqrt(max(1.0 - (2.0 * c - k_sq) / x, 0.0))
    if r == 0.0:
        exact = var_x == 0 and var_c == 0
        return 0.0, (0.0 if exact else math.inf), (0.0, 0.0 if exact else math.inf)
    r_x, r_c = (2.0 * c - k_sq) / (2.0 * r * x * x), -1.0 / (r * x)
    var = r_x * r_x * var_x + r_c * r_c * var_c + 2.0 * r_x * r_c * cov
    se = math.sqrt(max(var, 0.0))
    return r, se, (max(r - Z_95 * se, 0.0), r + Z_95 * se)
