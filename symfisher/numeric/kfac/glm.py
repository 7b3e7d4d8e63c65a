"""Closed-form K-FAC error of one Poisson GLM layer with Gaussian inputs (population version).

Layer ``f = W x`` (``W`` of shape (d_out, d_in)), Poisson outputs with log link
(``Lambda(f) = diag(e^f)``) and inputs ``x ~ N(mu, Sigma)``. Per example the exact Fisher
block is ``E[Lambda(W x) kron x x^T]`` (``kron(G, A)`` order: output index first) and
K-FAC's is ``E[Lambda(W x)] kron E[x x^T]``. Tilting the Gaussian by ``e^{w_i^T x}``
(its moment-generating function) gives, with ``c_i = w_i^T mu + w_i^T Sigma w_i / 2`` and
``m_i = mu + Sigma w_i``:

* ``F_ii = e^{c_i} (Sigma + m_i m_i^T)`` and ``F_ij = 0`` (i != j),
* ``K_ii = e^{c_i} (Sigma + mu mu^T)``,
* ``||F - K||^2 = sum_i e^{2 c_i} ||m_i m_i^T - mu mu^T||^2``, evaluated with
  ``d_i = Sigma w_i`` as ``2 ||mu||^2 ||d||^2 + ||d||^4 + 2 (mu . d)^2 + 4 (mu . d) ||d||^2``
  (no cancellation: exactly 0 when ``d_i = 0``),
* ``||F||^2 = sum_i e^{2 c_i} (||Sigma||^2 + 2 m_i^T Sigma m_i + ||m_i||^4)``.

The K-FAC error vanishes only when ``Sigma w_i = 0`` for every row: the curvature must
not vary with the inputs.

For any likelihood with a diagonal output curvature ``Lambda = diag(lam(f_i))``
(Bernoulli, Poisson, negative binomial, ... one output per row), :func:`glm_kfac_error`
reduces the same expectations to three 1-D Gaussian moments per row,
``e_j = E[lam(u) t^j]`` with ``u = w_i^T x = nu + sqrt(s) t``, computed by Gauss-Hermite
quadrature: conditioning ``x`` on ``u`` gives
``F_ii = e_0 M + e_1 (mu d^T + d mu^T) + (e_2 - e_0) d d^T`` with ``M = Sigma + mu mu^T``
and ``d = Sigma w_i / sqrt(s)``, while K-FAC's block is ``e_0 M``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from symfisher.numeric.kfac.checks import ShapeError, as_finite


def poisson_glm_kfac_error(W: ArrayLike, mean: ArrayLike, cov: ArrayLike) -> tuple[float, float]:
    """``(||F - G kron A||_F / ||F||_F, ||F||_F)`` per example, in closed form.

    Parameters
    ----------
    W : array_like, shape (d_out, d_in)
    mean : array_like, shape (d_in,)
    cov : array_like, shape (d_in, d_in)
        Input covariance (symmetric positive semi-definite).

    Examples
    --------
    >>> rel, norm = poisson_glm_kfac_error(np.zeros((2, 3)), np.ones(3), np.eye(3))
    >>> rel                                   # W = 0: Lambda is constant, K-FAC exact
    0.0
    """
    W_arr, mu, S = _check(W, mean, cov)
    SW = W_arr @ S                                    # rows Sigma w_i
    c = W_arr @ mu + 0.5 * np.einsum("ij,ij->i", SW, W_arr)
    m = mu[None, :] + SW                              # rows m_i
    m2 = np.einsum("ij,ij->i", m, m)
    d2, md = np.einsum("ij,ij->i", SW, SW), SW @ mu
    weight = np.exp(2.0 * c)
    err_sq = weight @ (2.0 * (mu @ mu) * d2 + d2**2 + 2.0 * md**2 + 4.0 * md * d2)
    f_sq = weight @ (np.sum(S * S) + 2.0 * np.einsum("ij,jk,ik->i", m, S, m) + m2**2)
    return math.sqrt(max(float(err_sq), 0.0) / float(f_sq)), math.sqrt(float(f_sq))


def _check(W: ArrayLike, mean: ArrayLike, cov: ArrayLike
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    W_arr, mu, S = as_finite("W", W, 2), as_finite("mean", mean, 1), as_finite("cov", cov, 2)
    d_in = W_arr.shape[1]
    if mu.shape != (d_in,) or S.shape != (d_in, d_in):
        raise ShapeError(f"W has d_in = {d_in}: 'mean' must have shape ({d_in},) and 'cov' "
                         f"({d_in}, {d_in}); got {mu.shape} and {S.shape}")
    return W_arr, mu, S


def glm_kfac_error(W: ArrayLike, mean: ArrayLike, cov: ArrayLike,
                   lam: Callable[[np.ndarray], np.ndarray], nodes: int = 80) -> tuple[float, float]:
    """``(relative K-FAC error, ||F||_F)`` per example for a diagonal output curvature.

    Parameters
    ----------
    W : array_like, shape (d_out, d_in)
    mean : array_like, shape (d_in,)
    cov : array_like, shape (d_in, d_in)
    lam : callable
        ``lam(u)`` -> curvature of one output at pre-activations ``u`` (elementwise),
        e.g. ``np.exp`` for Poisson or a compiled kernel.
    nodes : int
        Gauss-Hermite nodes.

    Examples
    --------
    >>> rel, _ = glm_kfac_error(np.ones((1, 2)), np.zeros(2), np.eye(2), np.exp)
    >>> round(rel, 10) == round(poisson_glm_kfac_error(np.ones((1, 2)), np.zeros(2), np.eye(2))[0], 10)
    True
    """
    W_arr, mu, S = _check(W, mean, cov)
    t, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / w.sum()
    M = S + np.outer(mu, mu)
    err_sq = f_sq = 0.0
    for row in W_arr:
        nu, s = float(row @ mu), float(row @ S @ row)
        vals = np.asarray(lam(nu + math.sqrt(s) * t), dtype=np.float64) * w
        e0, e1, e2 = vals.sum(), vals @ t, vals @ (t * t)
        d = S @ row / math.sqrt(s) if s > 0 else np.zeros_like(mu)
        md, dd, mm = float(mu @ d), float(d @ d), float(mu @ mu)
        c = e2 - e0
        diff = e1**2 * (2 * mm * dd + 2 * md**2) + c**2 * dd**2 + 4 * e1 * c * md * dd
        inner = 2 * e1 * float(d @ M @ mu) + c * float(d @ M @ d)
        err_sq += diff
        f_sq += e0**2 * float(np.sum(M * M)) + 2 * e0 * inner + diff
    return math.sqrt(max(err_sq, 0.0) / f_sq), math.sqrt(f_sq)
