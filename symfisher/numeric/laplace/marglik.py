"""Log marginal likelihood (Laplace evidence) and prior-precision optimisation.

Written once against the :class:`~symfisher.numeric.laplace.base.Precision` interface:

``log Z = log p(y | theta) - 1/2 (log det P_post - log det P_prior + theta^T P_prior theta)``

over the parameters the structure covers, with ``P_prior = diag(tau_g)`` constant on
groups ``g`` (one group: scalar prior; one per layer: per-layer prior). Its gradient
in ``tau_g`` is ``-1/2 (sum_{p in g} (P_post^{-1})_pp - n_g / tau_g + ||theta_g||^2)``.
"""

from __future__ import annotations

import numpy as np
import scipy.optimize
from numpy.typing import NDArray

from symfisher.numeric.laplace.base import Array, Precision


def log_marginal_likelihood(log_lik: float, precision: Precision, theta: Array, prior: Array) -> float:
    """Laplace log marginal likelihood.

    Parameters
    ----------
    log_lik : float
        ``log p(y | theta_MAP)`` including normalising constants.
    precision : Precision
        Posterior precision built with ``prior``.
    theta : ndarray, shape (m,)
        MAP parameters in ``precision.index`` order.
    prior : ndarray, shape (m,)
        Prior precisions in the same order.

    Examples
    --------
    >>> from symfisher.numeric.laplace.diag import DiagPrecision
    >>> P = DiagPrecision(np.arange(1), np.zeros(1), np.ones(1))
    >>> log_marginal_likelihood(0.0, P, np.zeros(1), np.ones(1))
    0.0
    """
    return float(log_lik - 0.5 * (precision.log_det() - np.sum(np.log(prior)) + theta @ (prior * theta)))


def marglik_gradient(
    precision: Precision, theta: Array, prior: Array, groups: NDArray[np.intp], n_groups: int
) -> Array:
    """Gradient of the log marginal likelihood wrt the group precisions ``tau_g``, (G,).

    Examples
    --------
    >>> from symfisher.numeric.laplace.diag import DiagPrecision
    >>> P = DiagPrecision(np.arange(1), np.ones(1), np.ones(1))
    >>> marglik_gradient(P, np.zeros(1), np.ones(1), np.zeros(1, dtype=int), 1)   # -(1/2 - 1)/2
    array([0.25])
    """
    per_param = precision.inverse_diagonal() - 1.0 / prior + theta * theta
    return np.asarray(-0.5 * np.bincount(groups, weights=per_param, minlength=n_groups), dtype=np.float64)


def optimize_prior(
    log_lik: float, precision: Precision, theta: Array, groups: NDArray[np.intp], tau0: Array, scale: float = 1.0
) -> Array:
    """Prior precisions ``tau`` (G,) maximising the log marginal likelihood.

    Optimises ``log tau`` with L-BFGS-B and the analytic gradient; groups that
    cover no parameter keep their starting value.

    Parameters
    ----------
    log_lik : float
    precision : Precision
        Any posterior precision with the wanted curvature (its prior is replaced).
    theta : ndarray, shape (m,)
    groups : ndarray of int, shape (m,)
        Group of each covered parameter, ``0 .. G-1``.
    tau0 : ndarray, shape (G,)
    scale : float
        Curvature scale passed to ``precision.updated``.

    Examples
    --------
    >>> from symfisher.numeric.laplace.diag import DiagPrecision
    >>> P = DiagPrecision(np.arange(1), np.ones(1), np.ones(1))
    >>> # stationary point of -(log(1 + tau) - log tau + tau / 4) / 2: tau = (sqrt(17) - 1) / 2
    >>> optimize_prior(0.0, P, np.full(1, 0.5), np.zeros(1, dtype=int), np.ones(1)).round(6)
    array([1.561553])
    """
    n_groups = tau0.size

    def objective(x: Array) -> tuple[float, Array]:
        tau = np.exp(x)
        prior = tau[groups]
        post = precision.updated(prior, scale)
        value = log_marginal_likelihood(log_lik, post, theta, prior)
        grad = marglik_gradient(post, theta, prior, groups, n_groups) * tau
        return -value, -grad

    res = scipy.optimize.minimize(
        objective,
        np.log(tau0),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-25.0, 25.0)] * n_groups,
        options={"gtol": 1e-10, "ftol": 1e-14, "maxiter": 500},
    )
    return np.exp(res.x)
