"""Calibration metrics: predictive negative log-likelihood and expected calibration error."""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from symfisher.errors import DomainError
from symfisher.numeric.laplace.base import Array
from symfisher.numeric.laplace.likelihoods import OutputLikelihood
from symfisher.numeric.laplace.predictive import Predictive
from symfisher.options import Likelihood

_TINY = 1e-300


def predictive_nll(kind: Likelihood, pred: Predictive, y: Array, lik: OutputLikelihood | None = None) -> float:
    """Mean negative log predictive density of targets ``y``.

    ``y`` is (N,) class indices for categorical, (N, k) otherwise. Regression likelihoods
    (Gaussian, Student-t, heteroscedastic Gaussian) use a Gaussian with the predictive
    mean and variance (moment matching); count likelihoods plug the predictive mean in
    as the rate (``lik`` must then be given).

    Examples
    --------
    >>> from symfisher.numeric.laplace.predictive import Predictive
    >>> pred = Predictive(np.array([[0.5, 0.5]]), np.zeros((1, 2)), np.zeros((1, 2, 2)))
    >>> round(predictive_nll(Likelihood.CATEGORICAL, pred, np.array([0.0])), 12)
    0.69314718056
    """
    m = pred.mean
    if kind is Likelihood.CATEGORICAL:
        val = -np.log(np.maximum(m[np.arange(m.shape[0]), y.astype(np.intp)], _TINY))
    elif kind is Likelihood.BERNOULLI:
        val = -np.sum(y * np.log(np.maximum(m, _TINY)) + (1 - y) * np.log(np.maximum(1 - m, _TINY)), axis=1)
    elif kind is Likelihood.POISSON:
        val = np.sum(m - y * np.log(np.maximum(m, _TINY)) + gammaln(y + 1.0), axis=1)
    elif kind is Likelihood.NEGATIVE_BINOMIAL:
        if lik is None:
            raise DomainError("predictive_nll for negative_binomial needs the likelihood 'lik'")
        val = lik.nll(np.log(np.maximum(m, _TINY)), y)
    else:
        v = pred.variance
        if v is None:
            raise DomainError(
                f"predictive_nll for {kind.value} uses the predictive variance, and this "
                "Predictive has none (it comes from a classification or count likelihood)"
            )
        val = 0.5 * np.sum((y - m) ** 2 / v + np.log(2 * np.pi * v), axis=1)
    return float(np.mean(val))


def expected_calibration_error(probs: Array, y: Array, n_bins: int = 10) -> float:
    """ECE with equal-width confidence bins: ``sum_b (n_b / N) |acc_b - conf_b|``.

    Parameters
    ----------
    probs : ndarray, shape (N, C) class probabilities, or (N, 1) for Bernoulli
    y : ndarray, shape (N,) or (N, 1)
        Labels (class indices, or 0/1).

    Examples
    --------
    >>> expected_calibration_error(np.array([[0.9, 0.1], [0.9, 0.1]]), np.array([0, 1]))
    0.4
    """
    if probs.shape[1] == 1:
        probs = np.hstack([1.0 - probs, probs])
    labels = np.asarray(y).reshape(-1).astype(np.intp)
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    bins = np.minimum((conf * n_bins).astype(np.intp), n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        sel = bins == b
        if np.any(sel):
            total += sel.mean() * abs(correct[sel].mean() - conf[sel].mean())
    return float(total)
