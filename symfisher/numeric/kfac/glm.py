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
"""

from __future__ import annotations

import math

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
    W_arr = as_finite("W", W, 2)
    mu = as_finite("mean", mean, 1)
    S = as_finite("cov", cov, 2)
    d_in = W_arr.shape[1]
    if mu.shape != (d_in,) or S.shape != (d_in, d_in):
        raise ShapeError(f"W has d_in = {d_in}: 'mean' must have shape ({d_in},) and 'cov' "
                         f"({d_in}, {d_in}); got {mu.shape} and {S.shape}")
    SW = W_arr @ S                                    # rows Sigma w_i
    c = W_arr @ mu + 0.5 * np.einsum("ij,ij->i", SW, W_arr)
    m = mu[None, :] + SW                              # rows m_i
    m2 = np.einsum("ij,ij->i", m, m)
    d2, md = np.einsum("ij,ij->i", SW, SW), SW @ mu
    weight = np.exp(2.0 * c)
    err_sq = weight @ (2.0 * (mu @ mu) * d2 + d2**2 + 2.0 * md**2 + 4.0 * md * d2)
    f_sq = weight @ (np.sum(S * S) + 2.0 * np.einsum("ij,jk,ik->i", m, S, m) + m2**2)
    return math.sqrt(max(float(err_sq), 0.0) / float(f_sq)), math.sqrt(float(f_sq))
