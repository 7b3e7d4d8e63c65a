"""Likelihoods whose Hessian in ``f`` depends on ``y``: the curvature used is the Fisher.

For a non-canonical link (negative binomial with log link), heavy tails (Student-t)
or a variance head (heteroscedastic Gaussian), the Hessian of ``-log p(y | f)`` in
``f`` depends on ``y`` and can be indefinite (Student-t, variance heads), so no
square-root factor exists for the GGN. ``curvature(f)`` is therefore the Fisher
``Lambda = E_y[grad grad^T]``, PSD by construction, as the K-FAC and Laplace code need:

* ``negative_binomial`` (dispersion ``r``, mean ``mu = e^f``): ``Lambda = mu r / (r + mu)``;
* ``student_t`` (``df = nu``, scale ``sigma``, location ``f``):
  ``Lambda = (nu + 1) / ((nu + 3) sigma^2)`` (Lange, Little & Taylor 1989, JASA 84:881);
* ``heteroscedastic_gaussian`` (outputs ``[mean_1..m, log-variance_1..m]``):
  ``Lambda = diag(e^{-s}, 1/2)`` per output pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln

from symfisher.errors import DomainError
from symfisher.numeric.kfac.checks import ShapeError, positive
from symfisher.numeric.laplace.likelihoods import Array, _column_targets
from symfisher.options import Likelihood


def _diag(v: Array) -> Array:
    """Stack of diagonal matrices from rows of ``v`` (N, k) -> (N, k, k)."""
    return np.einsum("ni,ij->nij", v, np.eye(v.shape[1]))


@dataclass(frozen=True)
class NegativeBinomial:
    """``y ~ NB(mean e^f, dispersion r)``: ``Var y = mu + mu^2 / r``; Fisher ``mu r / (r + mu)``."""

    dispersion: float = 1.0
    name: Likelihood = Likelihood.NEGATIVE_BINOMIAL

    def __post_init__(self) -> None:
        positive("dispersion", self.dispersion)

    def nll(self, f: Array, y: Array) -> Array:
        r = self.dispersion
        log_norm = gammaln(y + r) - gammaln(r) - gammaln(y + 1.0)
        return -np.sum(
            log_norm + r * (np.log(r) - np.logaddexp(np.log(r), f)) + y * (f - np.logaddexp(np.log(r), f)), axis=1
        )

    def grad(self, f: Array, y: Array) -> Array:
        r, mu = self.dispersion, np.exp(f)
        return (y + r) * mu / (r + mu) - y

    def curvature(self, f: Array) -> Array:
        r, mu = self.dispersion, np.exp(f)
        return _diag(mu * r / (r + mu))

    def factor(self, f: Array) -> Array:
        return np.sqrt(self.curvature(f))

    def mean(self, f: Array) -> Array:
        return np.exp(f)

    def targets(self, y: ArrayLike, k: int) -> Array:
        arr = _column_targets("negative_binomial", y, k)
        if np.any(arr < 0) or np.any(arr != np.round(arr)):
            raise DomainError("array 'y' must hold non-negative integer counts for the negative_binomial likelihood")
        return arr


@dataclass(frozen=True)
class StudentT:
    """``y = f + sigma t_nu``; Fisher in the location ``(nu + 1) / ((nu + 3) sigma^2)``."""

    df: float = 4.0
    sigma: float = 1.0
    name: Likelihood = Likelihood.STUDENT_T

    def __post_init__(self) -> None:
        positive("df", self.df)
        positive("sigma", self.sigma)

    def nll(self, f: Array, y: Array) -> Array:
        nu, s = self.df, self.sigma
        const = gammaln(nu / 2) - gammaln((nu + 1) / 2) + 0.5 * np.log(nu * np.pi * s * s)
        z2 = ((y - f) / s) ** 2
        return np.sum(const + 0.5 * (nu + 1) * np.log1p(z2 / nu), axis=1)

    def grad(self, f: Array, y: Array) -> Array:
        nu, s = self.df, self.sigma
        r = y - f
        return -(nu + 1) * r / (nu * s * s + r * r)

    def curvature(self, f: Array) -> Array:
        value = (self.df + 1) / ((self.df + 3) * self.sigma**2)
        return np.broadcast_to(value * np.eye(f.shape[1]), (*f.shape, f.shape[1])).copy()

    def factor(self, f: Array) -> Array:
        return np.sqrt(self.curvature(f))

    def mean(self, f: Array) -> Array:
        return f

    def targets(self, y: ArrayLike, k: int) -> Array:
        return _column_targets("student_t", y, k)


@dataclass(frozen=True)
class HeteroscedasticGaussian:
    """``y_j ~ N(f_j, e^{f_{m+j}})`` for outputs ``f = [means (m), log-variances (m)]``."""

    name: Likelihood = Likelihood.HETEROSCEDASTIC_GAUSSIAN

    def nll(self, f: Array, y: Array) -> Array:
        m = f.shape[1] // 2
        mu, s = f[:, :m], f[:, m:]
        return np.sum(0.5 * (y - mu) ** 2 * np.exp(-s) + 0.5 * s + 0.5 * np.log(2 * np.pi), axis=1)

    def grad(self, f: Array, y: Array) -> Array:
        m = f.shape[1] // 2
        r, prec = y - f[:, :m], np.exp(-f[:, m:])
        return np.hstack([-r * prec, 0.5 - 0.5 * r * r * prec])

    def curvature(self, f: Array) -> Array:
        m = f.shape[1] // 2
        return _diag(np.hstack([np.exp(-f[:, m:]), np.full((f.shape[0], m), 0.5)]))

    def factor(self, f: Array) -> Array:
        return np.sqrt(self.curvature(f))

    def mean(self, f: Array) -> Array:
        return f[:, : f.shape[1] // 2]

    def targets(self, y: ArrayLike, k: int) -> Array:
        if k % 2:
            raise ShapeError(
                f"the heteroscedastic_gaussian likelihood needs an even number of "
                f"outputs (means, then log-variances), got {k}"
            )
        return _column_targets("heteroscedastic_gaussian", y, k // 2)
