"""The interface every posterior-precision structure implements.

A structure covers the parameters ``index`` (global positions in
``[W0 row-major, b0, W1, b1, ...]``; all of them except for last-layer Laplace) and
represents ``P = scale * C + diag(prior)``, where ``C`` is the (approximated)
GGN / Fisher of the fitted likelihood and ``scale`` rescales it (e.g.
``(sigma_fit / sigma)^2`` for a Gaussian). Vectors passed to ``solve`` and returned
by ``inverse_diagonal`` are in ``index`` order.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


class Precision(Protocol):
    """Posterior precision ``scale * C + diag(prior)`` over the parameters ``index``."""

    @property
    def index(self) -> NDArray[np.intp]:
        """Global parameter positions covered, shape (m,)."""
        ...

    def log_det(self) -> float:
        """``log det P``."""
        ...

    def solve(self, v: Array) -> Array:
        """``P^{-1} v`` for ``v`` of shape (m,) or (m, r)."""
        ...

    def to_dense(self) -> Array:
        """``P`` as an (m, m) array."""
        ...

    def inverse_diagonal(self) -> Array:
        """``diag(P^{-1})``, shape (m,)."""
        ...

    def updated(self, prior: Array, scale: float) -> Precision:
        """The same curvature with prior precisions ``prior`` (m,) and ``scale``."""
        ...
