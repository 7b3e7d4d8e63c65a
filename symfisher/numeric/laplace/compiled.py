"""A likelihood whose curvature comes from compiled kernels derived by symfisher.

:func:`symfisher.kfac.compile_likelihood` derives ``nll``, its gradient, the Fisher
``Lambda(f)`` and a factor ``S`` (``S S^T = Lambda``) in SymPy and compiles them; this
class adapts the kernels to the :class:`~.likelihoods.OutputLikelihood` protocol, so
the K-FAC and Laplace code use them exactly like the hand-written likelihoods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from symfisher.errors import DomainError, SymfisherError
from symfisher.numeric.kfac.checks import ShapeError, as_finite
from symfisher.numeric.laplace.likelihoods import Array, LikelihoodName


@dataclass(frozen=True, eq=False)
class CompiledLikelihood:
    """Output likelihood backed by compiled kernels.

    Attributes
    ----------
    label : str
        Family name and link, for messages.
    k : int
        Number of network outputs.
    nll_kernel, grad_kernel : Kernel
        Called as ``kernel(f (N, k), y (N,))``; results (N,) and (N, k).
    curvature_kernel, factor_kernel, mean_kernel : Kernel
        Called as ``kernel(f (N, k))``; results (N, k, k), (N, k, k) and (N,).
    """

    label: str
    k: int
    nll_kernel: Any
    grad_kernel: Any
    curvature_kernel: Any
    factor_kernel: Any
    mean_kernel: Any
    name: LikelihoodName = LikelihoodName.CUSTOM

    def _f(self, f: Array) -> Array:
        if f.ndim != 2 or f.shape[1] != self.k:
            raise ShapeError(f"the {self.label} likelihood needs network outputs of shape "
                             f"(N, {self.k}), got {f.shape}")
        return f

    def nll(self, f: Array, y: Array) -> Array:
        return np.asarray(self.nll_kernel(self._f(f), y[:, 0])).reshape(f.shape[0])

    def grad(self, f: Array, y: Array) -> Array:
        return np.asarray(self.grad_kernel(self._f(f), y[:, 0])).reshape(f.shape)

    def curvature(self, f: Array) -> Array:
        return np.asarray(self.curvature_kernel(self._f(f))).reshape(f.shape[0], self.k, self.k)

    def factor(self, f: Array) -> Array:
        return np.asarray(self.factor_kernel(self._f(f))).reshape(f.shape[0], self.k, self.k)

    def mean(self, f: Array) -> Array:
        if self.mean_kernel is None:
            raise SymfisherError(f"the {self.label} likelihood has no derived mean E[y | f]; "
                                 "the predictive needs one")
        return np.asarray(self.mean_kernel(self._f(f))).reshape(f.shape[0], 1)

    def targets(self, y: ArrayLike, k: int) -> Array:
        arr = as_finite("y", y, (1, 2))
        arr = arr[:, None] if arr.ndim == 1 else arr
        if arr.shape[1] != 1:
            raise ShapeError(f"array 'y' must have one column for the {self.label} likelihood, "
                             f"got shape {arr.shape}")
        try:                                   # the kernel checks the family's support
            self.nll_kernel(np.zeros((arr.shape[0], self.k)), arr[:, 0])
        except ValueError as exc:
            raise DomainError(f"array 'y' is outside the support of the {self.label} "
                              f"likelihood: {exc}") from None
        return arr
