"""A likelihood whose curvature comes from compiled kernels derived by symfisher.

:func:`symfisher.kfac.compile_likelihood` derives ``nll``, its gradient, the Fisher
``Lambda(f)`` and a factor ``S`` (``S S^T = Lambda``) in SymPy and compiles them; this
class adapts the kernels to the :class:`~.likelihoods.OutputLikelihood` protocol, so
the K-FAC and Laplace code use them exactly like the hand-written likelihoods.

Observations: one variable is passed to the kernels as a vector (N,); several as one
array (N, n_data). For one-hot (categorical) data in the family's corner coordinates the
likelihood takes class indices ``c`` (N,) and encodes them (``c >= 1``: ``x_c = 1``;
``c = 0``: every ``x`` zero), as the hand-written categorical likelihood does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from symfisher.errors import DomainError, SymfisherError
from symfisher.numeric.kfac.checks import ShapeError, as_finite
from symfisher.numeric.laplace.likelihoods import Array
from symfisher.options import Likelihood


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
        Called as ``kernel(f (N, k), y)`` with ``y`` (N,) for one observation variable,
        (N, n_data) for several; results (N,) and (N, k).
    curvature_kernel, factor_kernel, mean_kernel : Kernel
        Called as ``kernel(f (N, k))``; results (N, k, k), (N, k, k) and (N,) or (N, m)
        (class probabilities, m = n_data + 1, for one-hot data).
    data_dim : int
        Number of observation variables ``n_data``.
    one_hot : bool
        Labels are class indices ``0..n_data`` encoded one-hot for the kernels.

    Examples
    --------
    >>> import symfisher as sf                                   # doctest: +SKIP
    >>> lik = sf.kfac.compile_likelihood("categorical")          # doctest: +SKIP
    >>> lik.data_dim, lik.one_hot                                # doctest: +SKIP
    (2, True)
    """

    label: str
    k: int
    nll_kernel: Any
    grad_kernel: Any
    curvature_kernel: Any
    factor_kernel: Any
    mean_kernel: Any
    name: Likelihood = Likelihood.CUSTOM
    data_dim: int = 1
    one_hot: bool = False

    def _f(self, f: Array) -> Array:
        if f.ndim != 2 or f.shape[1] != self.k:
            raise ShapeError(f"the {self.label} likelihood needs network outputs of shape (N, {self.k}), got {f.shape}")
        return f

    def _y(self, y: Array) -> Array:
        """Targets from :meth:`targets` as the kernels' data argument."""
        if self.one_hot:
            return np.ascontiguousarray(np.eye(self.data_dim + 1)[y[:, 0].astype(np.intp), 1:])
        return y[:, 0] if self.data_dim == 1 else y

    def nll(self, f: Array, y: Array) -> Array:
        return np.asarray(self.nll_kernel(self._f(f), self._y(y))).reshape(f.shape[0])

    def grad(self, f: Array, y: Array) -> Array:
        return np.asarray(self.grad_kernel(self._f(f), self._y(y))).reshape(f.shape)

    def curvature(self, f: Array) -> Array:
        return np.asarray(self.curvature_kernel(self._f(f))).reshape(f.shape[0], self.k, self.k)

    def factor(self, f: Array) -> Array:
        return np.asarray(self.factor_kernel(self._f(f))).reshape(f.shape[0], self.k, self.k)

    def mean(self, f: Array) -> Array:
        if self.mean_kernel is None:
            raise SymfisherError(f"the {self.label} likelihood has no derived mean E[y | f]; the predictive needs one")
        return np.asarray(self.mean_kernel(self._f(f))).reshape(f.shape[0], -1)

    def targets(self, y: ArrayLike, k: int) -> Array:
        """Validated targets: (N, 1) values or class indices, (N, n_data) for vector data."""
        arr = as_finite("y", y, (1, 2))
        arr = arr[:, None] if arr.ndim == 1 else arr
        cols = 1 if self.one_hot else self.data_dim
        if arr.shape[1] != cols:
            what = "class indices (N,)" if self.one_hot else f"{cols} column(s)"
            raise ShapeError(f"array 'y' must hold {what} for the {self.label} likelihood, got shape {arr.shape}")
        if self.one_hot:
            m = self.data_dim + 1
            bad = (arr != np.round(arr)) | (arr < 0) | (arr >= m)
            if np.any(bad):
                raise DomainError(
                    f"array 'y' must hold class indices 0..{m - 1} for the "
                    f"{self.label} likelihood; found {arr[bad][0]:g}"
                )
            return arr
        try:  # the kernel checks the family's support
            self.nll_kernel(np.zeros((arr.shape[0], self.k)), self._y(arr))
        except ValueError as exc:
            raise DomainError(f"array 'y' is outside the support of the {self.label} likelihood: {exc}") from None
        return arr
