"""Output likelihoods as plug-in curvature objects (numeric side, no SymPy).

Each likelihood ``p(y | f)`` of a network output ``f`` (N, k) provides

* ``nll(f, y)`` -> (N,): ``-log p(y | f)`` with all normalising constants,
* ``grad(f, y)`` -> (N, k): its gradient in ``f``,
* ``curvature(f)`` -> (N, k, k): the Fisher in ``f``, ``Lambda = E_y[grad grad^T]``,
  which for these canonical-link exponential families equals the Hessian of the nll
  (so the GGN and the Fisher coincide) and is PSD,
* ``factor(f)`` -> (N, k, k'): ``S`` with ``S S^T = Lambda``,
* ``mean(f)`` -> (N, k): the inverse link (the mean of ``y``),
* ``targets(y, k)``: validated labels.

Hand-written for ``gaussian`` (alias ``normal``, fixed sigma: ``Lambda = I / sigma^2``),
``bernoulli`` (logit), ``categorical`` (softmax: ``diag(p) - p p^T``, factor
``diag(sqrt p) - p sqrt(p)^T``) and ``poisson`` (log link: ``e^f``); the likelihoods whose
Hessian depends on ``y`` (``negative_binomial``, ``student_t``,
``heteroscedastic_gaussian``) live in :mod:`.noncanonical`. A compiled kernel
derived by symfisher can replace any of them: anything with these methods works.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammaln, log_softmax, softmax

from symfisher.errors import DomainError
from symfisher.numeric.kfac.checks import ShapeError, as_finite, positive
from symfisher.options import Likelihood

Array = NDArray[np.float64]


class OutputLikelihood(Protocol):
    """What the Laplace and K-FAC code needs from a likelihood of the output ``f``."""

    @property
    def name(self) -> Likelihood: ...

    def nll(self, f: Array, y: Array) -> Array: ...
    def grad(self, f: Array, y: Array) -> Array: ...
    def curvature(self, f: Array) -> Array: ...
    def factor(self, f: Array) -> Array: ...
    def mean(self, f: Array) -> Array: ...
    def targets(self, y: ArrayLike, k: int) -> Array: ...


def _column_targets(name: str, y: ArrayLike, k: int) -> Array:
    """Targets as (N, k): (N,) is accepted when k == 1."""
    arr = as_finite("y", y, (1, 2))
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape[1] != k:
        raise ShapeError(
            f"array 'y' has {arr.shape[1]} columns, the {name} likelihood with {k} network outputs needs {k}"
        )
    return arr


@dataclass(frozen=True)
class Gaussian:
    """``y ~ N(f, sigma^2 I)``; ``Lambda = I / sigma^2``."""

    sigma: float = 1.0
    name: Likelihood = Likelihood.GAUSSIAN

    def __post_init__(self) -> None:
        positive("sigma", self.sigma)

    def nll(self, f: Array, y: Array) -> Array:
        r = (y - f) / self.sigma
        return 0.5 * np.sum(r * r, axis=1) + f.shape[1] * (np.log(self.sigma) + 0.5 * np.log(2 * np.pi))

    def grad(self, f: Array, y: Array) -> Array:
        return (f - y) / self.sigma**2

    def curvature(self, f: Array) -> Array:
        return np.broadcast_to(np.eye(f.shape[1]) / self.sigma**2, (*f.shape, f.shape[1])).copy()

    def factor(self, f: Array) -> Array:
        return np.broadcast_to(np.eye(f.shape[1]) / self.sigma, (*f.shape, f.shape[1])).copy()

    def mean(self, f: Array) -> Array:
        return f

    def targets(self, y: ArrayLike, k: int) -> Array:
        return _column_targets("gaussian", y, k)


@dataclass(frozen=True)
class Bernoulli:
    """``y ~ Bernoulli(sigmoid(f))`` with one output; ``Lambda = p (1 - p)``."""

    name: Likelihood = Likelihood.BERNOULLI

    def nll(self, f: Array, y: Array) -> Array:
        return np.sum(np.logaddexp(0.0, f) - y * f, axis=1)

    def grad(self, f: Array, y: Array) -> Array:
        return self.mean(f) - y

    def curvature(self, f: Array) -> Array:
        p = self.mean(f)
        return (p * (1.0 - p))[:, :, None]

    def factor(self, f: Array) -> Array:
        return np.sqrt(self.curvature(f))

    def mean(self, f: Array) -> Array:
        return 0.5 * (1.0 + np.tanh(0.5 * f))

    def targets(self, y: ArrayLike, k: int) -> Array:
        if k != 1:
            raise ShapeError(f"the bernoulli likelihood needs 1 network output, got {k}")
        arr = _column_targets("bernoulli", y, 1)
        if np.any((arr != 0) & (arr != 1)):
            raise DomainError("array 'y' must hold 0/1 labels for the bernoulli likelihood")
        return arr


@dataclass(frozen=True)
class Categorical:
    """``y ~ Categorical(softmax(f))``; ``Lambda = diag(p) - p p^T``; ``y`` class indices."""

    name: Likelihood = Likelihood.CATEGORICAL

    def nll(self, f: Array, y: Array) -> Array:
        return -log_softmax(f, axis=1)[np.arange(f.shape[0]), y.astype(np.intp)]

    def grad(self, f: Array, y: Array) -> Array:
        g = self.mean(f)
        g[np.arange(f.shape[0]), y.astype(np.intp)] -= 1.0
        return g

    def curvature(self, f: Array) -> Array:
        p = self.mean(f)
        return np.einsum("ni,ij->nij", p, np.eye(p.shape[1])) - p[:, :, None] * p[:, None, :]

    def factor(self, f: Array) -> Array:
        p = self.mean(f)
        r = np.sqrt(p)
        return np.einsum("ni,ij->nij", r, np.eye(p.shape[1])) - p[:, :, None] * r[:, None, :]

    def mean(self, f: Array) -> Array:
        return softmax(f, axis=1)

    def targets(self, y: ArrayLike, k: int) -> Array:
        arr = as_finite("y", y, 1)
        if np.any(arr != np.round(arr)) or np.any(arr < 0) or np.any(arr >= k):
            bad = arr[(arr != np.round(arr)) | (arr < 0) | (arr >= k)][0]
            raise DomainError(
                f"array 'y' must hold class indices 0..{k - 1} for the "
                f"categorical likelihood with {k} outputs; found {bad:g}"
            )
        return arr


@dataclass(frozen=True)
class Poisson:
    """``y ~ Poisson(exp(f))`` (log link); ``Lambda = diag(exp(f))``."""

    name: Likelihood = Likelihood.POISSON

    def nll(self, f: Array, y: Array) -> Array:
        return np.sum(np.exp(f) - y * f + gammaln(y + 1.0), axis=1)

    def grad(self, f: Array, y: Array) -> Array:
        return np.exp(f) - y

    def curvature(self, f: Array) -> Array:
        return np.einsum("ni,ij->nij", np.exp(f), np.eye(f.shape[1]))

    def factor(self, f: Array) -> Array:
        return np.einsum("ni,ij->nij", np.exp(0.5 * f), np.eye(f.shape[1]))

    def mean(self, f: Array) -> Array:
        return np.exp(f)

    def targets(self, y: ArrayLike, k: int) -> Array:
        arr = _column_targets("poisson", y, k)
        if np.any(arr < 0) or np.any(arr != np.round(arr)):
            raise DomainError(
                "array 'y' must hold non-negative integer counts for the "
                f"poisson likelihood; found {arr[(arr < 0) | (arr != np.round(arr))][0]:g}"
            )
        return arr
