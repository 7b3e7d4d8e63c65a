"""Linearised (GLM) predictive and calibration metrics.

The GLM predictive linearises the network at the MAP: ``f(x*) ~ N(f_MAP(x*), J* P^{-1} J*^T)``.
Link approximations: ``probit`` for Bernoulli / categorical
(``sigmoid(mu / sqrt(1 + pi s^2 / 8))``, applied per class before a softmax),
``lognormal`` for the log link (``E[e^f] = e^{mu + s^2 / 2}``), ``mc`` for any
likelihood (average of the inverse link over samples). Regression likelihoods get
exact predictive moments: Gaussian variance ``J* P^{-1} J*^T + sigma^2``, Student-t
``+ sigma^2 nu / (nu - 2)``, heteroscedastic Gaussian ``var(mean head) + E[e^s]`` with
``E[e^s] = e^{m_s + v_s / 2}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import softmax

from symfisher.errors import DomainError
from symfisher.numeric.laplace.base import Array, Precision
from symfisher.numeric.laplace.likelihoods import OutputLikelihood
from symfisher.options import Likelihood, LinkApprox, option


@dataclass(frozen=True, eq=False)
class Predictive:
    """Predictive at N test points.

    Attributes
    ----------
    mean : ndarray, shape (N, k)
        Predictive mean of ``y`` (class probabilities for classification).
    f_mean : ndarray, shape (N, k)
        ``f_MAP(x*)``.
    f_cov : ndarray, shape (N, k, k)
        ``J* P^{-1} J*^T``.
    variance : ndarray or None, shape (N, k)
        Predictive variance of ``y`` for a Gaussian likelihood.
    """

    mean: Array
    f_mean: Array = field(repr=False)
    f_cov: Array = field(repr=False)
    variance: Array | None = field(default=None, repr=False)


def function_covariance(J: Array, precision: Precision) -> Array:
    """``J_n P^{-1} J_n^T`` for Jacobians (N, k, m) in ``precision.index`` order, (N, k, k).

    Examples
    --------
    >>> from symfisher.numeric.laplace.diag import DiagPrecision
    >>> P = DiagPrecision(np.arange(2), np.zeros(2), np.full(2, 2.0))
    >>> function_covariance(np.ones((1, 1, 2)), P)
    array([[[1.]]])
    """
    n, k, m = J.shape
    X = precision.solve(J.reshape(n * k, m).T)  # (m, N k)
    return np.einsum("nkm,mnj->nkj", J, X.reshape(m, n, k))


_REGRESSION = {Likelihood.GAUSSIAN, Likelihood.STUDENT_T, Likelihood.HETEROSCEDASTIC_GAUSSIAN}
_LOG_LINK = {Likelihood.POISSON, Likelihood.NEGATIVE_BINOMIAL}


def _resolve(link: LinkApprox, kind: Likelihood) -> LinkApprox:
    if kind in _REGRESSION:
        return LinkApprox.AUTO  # exact moments, any choice accepted
    if kind is Likelihood.CUSTOM:
        ok = {LinkApprox.MC}
        link = LinkApprox.MC if link is LinkApprox.AUTO else link
    elif link is LinkApprox.AUTO:
        return LinkApprox.LOGNORMAL if kind in _LOG_LINK else LinkApprox.PROBIT
    else:
        ok = {LinkApprox.LOGNORMAL, LinkApprox.MC} if kind in _LOG_LINK else {LinkApprox.PROBIT, LinkApprox.MC}
    if link not in ok:
        raise DomainError(
            f"link_approx {link.value!r} does not fit the {kind.value} likelihood; "
            f"use one of {sorted(x.value for x in ok)}"
        )
    return link


def _regression_moments(lik: OutputLikelihood, f: Array, cov: Array, var: Array) -> Predictive:
    """Exact predictive mean and variance of the regression likelihoods."""
    if lik.name is Likelihood.HETEROSCEDASTIC_GAUSSIAN:
        m = f.shape[1] // 2
        return Predictive(f[:, :m].copy(), f, cov, var[:, :m] + np.exp(f[:, m:] + 0.5 * var[:, m:]))
    sigma = float(getattr(lik, "sigma", 1.0))
    noise = sigma**2
    if lik.name is Likelihood.STUDENT_T:
        # df is not part of the OutputLikelihood protocol; a student_t likelihood carries it.
        nu = float(getattr(lik, "df"))  # noqa: B009
        noise = sigma**2 * nu / (nu - 2.0) if nu > 2 else np.inf
    return Predictive(f.copy(), f, cov, var + noise)


def predictive(
    lik: OutputLikelihood, f: Array, cov: Array, link: LinkApprox | str, n_samples: int = 1000, seed: int = 0
) -> Predictive:
    """Predictive mean (and variance for Gaussian) from ``f`` (N, k) and ``cov`` (N, k, k).

    Examples
    --------
    >>> from symfisher.numeric.laplace.likelihoods import Poisson
    >>> p = predictive(Poisson(), np.zeros((1, 1)), np.full((1, 1, 1), 2.0), "auto")
    >>> round(float(p.mean[0, 0]), 12)      # e^{0 + 2/2}
    2.718281828459
    """
    how = _resolve(option(LinkApprox, link, "link"), lik.name)
    var = np.einsum("nkk->nk", cov)
    if lik.name in _REGRESSION:
        return _regression_moments(lik, f, cov, var)
    if how is LinkApprox.MC:
        rng = np.random.default_rng(seed)
        k = f.shape[1]
        L = np.linalg.cholesky(cov + 1e-12 * np.eye(k))
        z = rng.standard_normal((n_samples, *f.shape))
        samples = f[None] + np.einsum("nij,snj->sni", L, z)
        mean = np.mean([lik.mean(s) for s in samples], axis=0)
        return Predictive(mean, f, cov)
    if how is LinkApprox.LOGNORMAL:
        return Predictive(np.exp(f + 0.5 * var), f, cov)
    scaled = f / np.sqrt(1.0 + np.pi / 8.0 * var)
    if lik.name is Likelihood.CATEGORICAL:
        return Predictive(softmax(scaled, axis=1), f, cov)
    return Predictive(lik.mean(scaled), f, cov)
