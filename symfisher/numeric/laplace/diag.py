"""Diagonal posterior precision: the exact diagonal of the GGN plus the prior.

The diagonal of a weight block ``sum_n (B_n B_n^T) kron (a_n a_n^T)`` (row-major vec of
``(d_out, d_in)`` weights) is ``sum_n rownorm2(B_n) outer a_n^2``, computed without
per-example Jacobians; a bias block's diagonal is ``sum_n rownorm2(B_n)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from symfisher.numeric.laplace.base import Array


@dataclass(frozen=True, eq=False)
class DiagPrecision:
    """``P = scale * diag(curvature) + diag(prior)``.

    Examples
    --------
    >>> DiagPrecision(np.arange(2), np.ones(2), np.ones(2)).solve(np.ones(2))
    array([0.5, 0.5])
    """

    index: NDArray[np.intp]
    curvature: Array = field(repr=False)
    prior: Array = field(repr=False)
    scale: float = 1.0

    def _values(self) -> Array:
        return self.scale * self.curvature + self.prior

    def log_det(self) -> float:
        return float(np.sum(np.log(self._values())))

    def solve(self, v: Array) -> Array:
        d = self._values()
        return v / (d if v.ndim == 1 else d[:, None])

    def to_dense(self) -> Array:
        return np.diag(self._values())

    def inverse_diagonal(self) -> Array:
        return 1.0 / self._values()

    def updated(self, prior: Array, scale: float) -> DiagPrecision:
        return DiagPrecision(self.index, self.curvature, prior, scale)


def diag_precision(
    inputs: list[Array], factors: list[Array], prior: Array, slices: list[tuple[slice, slice]] | None = None
) -> DiagPrecision:
    """Exact GGN diagonal over all parameters, layer by layer.

    Parameters
    ----------
    inputs : list of ndarray, shapes (N, d_in_l)
        Layer inputs ``a_l``.
    factors : list of ndarray, shapes (N, d_out_l, k')
        Output factors pulled back to each layer's pre-activations.
    prior : ndarray, shape (P,)
        Prior precision of all parameters (only the covered entries are used).
    slices : list of (slice, slice), optional
        Weight and bias positions of the given layers (default: all layers from 0).

    Examples
    --------
    >>> diag_precision([np.ones((2, 1))], [np.ones((2, 1, 1))], np.ones(2)).curvature
    array([2., 2.])
    """
    parts = []
    for a, B in zip(inputs, factors):
        q = np.sum(B * B, axis=2)  # (N, d_out)
        parts += [(q.T @ (a * a)).ravel(), q.sum(axis=0)]
    curv = np.concatenate(parts)
    if slices is None:
        index = np.arange(curv.size)
    else:
        index = np.concatenate([np.arange(s.start, s.stop) for pair in slices for s in pair])
    return DiagPrecision(index, curv, prior[index])
