"""Full (dense) posterior precision with a Cholesky factor; also used for blocks.

Builders: :func:`full_precision` (the exact GGN over all parameters) and
:class:`DensePrecision` itself (any dense block, e.g. K-FAC's exact bias blocks and
last-layer Laplace).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from symfisher.errors import DomainError
from symfisher.numeric.laplace.base import Array


@dataclass(frozen=True, eq=False)
class DensePrecision:
    """``P = scale * curvature + diag(prior)`` stored densely, shape (m, m).

    Examples
    --------
    >>> P = DensePrecision(np.arange(2), np.eye(2), np.full(2, 1.0))
    >>> round(P.log_det(), 10)     # log det(2 I)
    1.3862943611
    """

    index: NDArray[np.intp]
    curvature: Array = field(repr=False)
    prior: Array = field(repr=False)
    scale: float = 1.0
    _chol: Array = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            chol = scipy.linalg.cholesky(self.to_dense(), lower=True)
        except np.linalg.LinAlgError:
            raise DomainError("posterior precision is not positive definite (check prior_precision > 0)") from None
        object.__setattr__(self, "_chol", chol)

    def log_det(self) -> float:
        return float(2.0 * np.sum(np.log(np.diag(self._chol))))

    def solve(self, v: Array) -> Array:
        return scipy.linalg.cho_solve((self._chol, True), v)

    def to_dense(self) -> Array:
        return self.scale * self.curvature + np.diag(self.prior)

    def inverse_diagonal(self) -> Array:
        Linv = scipy.linalg.solve_triangular(self._chol, np.eye(self._chol.shape[0]), lower=True)
        return np.sum(Linv * Linv, axis=0)

    def updated(self, prior: Array, scale: float) -> DensePrecision:
        return DensePrecision(self.index, self.curvature, prior, scale)


def ggn_from_factors(J: Array, S: Array) -> Array:
    """``sum_n J_n^T S_n S_n^T J_n`` for Jacobians (N, k, P) and factors (N, k, k').

    Examples
    --------
    >>> ggn_from_factors(np.ones((2, 1, 3)), np.ones((2, 1, 1)))[0]
    array([2., 2., 2.])
    """
    JS = np.einsum("nkj,nkp->njp", S, J).reshape(-1, J.shape[2])
    return JS.T @ JS


def full_precision(J: Array, S: Array, prior: Array) -> DensePrecision:
    """Exact GGN posterior precision over all parameters.

    Parameters
    ----------
    J : ndarray, shape (N, k, P)
        Per-example Jacobians of the output.
    S : ndarray, shape (N, k, k')
        Output-curvature factors.
    prior : ndarray, shape (P,)

    Examples
    --------
    >>> full_precision(np.ones((1, 1, 2)), np.ones((1, 1, 1)), np.ones(2)).to_dense()
    array([[2., 1.],
           [1., 2.]])
    """
    return DensePrecision(np.arange(J.shape[2]), ggn_from_factors(J, S), prior)
