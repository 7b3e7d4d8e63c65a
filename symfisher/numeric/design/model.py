"""Per-point information of a model at fixed parameter values, as plain callables.

Dimension letters: ``S`` parameter draws (1 for a locally optimal design), ``N``
design points, ``q`` factors, ``p`` parameters, ``r`` rank of a per-point information.
Callables receive points of shape ``(N, q)``; results may omit the leading ``S`` axis
when ``S = 1``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from symfisher.errors import InputError

Array = NDArray[np.float64]
PointFn = Callable[[Array], Array]


def _with_draws(arr: Array, core_ndim: int, name: str) -> Array:
    a = np.asarray(arr, dtype=float)
    if a.ndim == core_ndim:
        a = a[None]
    if a.ndim != core_ndim + 1:
        raise InputError(f"{name} returned an array of shape {a.shape}; expected {core_ndim} or {core_ndim + 1} axes")
    return a


@dataclass(frozen=True)
class PointInfo:
    """The per-point Fisher information ``I(x)`` of one model, for ``S`` parameter draws.

    Give either ``info`` (general, ``I(x)`` directly) or ``features`` (rank-one models,
    ``I(x) = f(x) f(x)ᵀ``); derivatives with respect to ``x`` are optional but needed for
    the continuous refinement of support points (no finite differences are used).

    Parameters
    ----------
    n_params : int
        Number of parameters ``p``.
    info : callable, optional
        ``X (N, q) -> (S, N, p, p)``.
    dinfo : callable, optional
        ``X (N, q) -> (S, N, q, p, p)``, the derivative of ``info`` in each factor.
    features : callable, optional
        ``X (N, q) -> (S, N, p)``, rank-one models only.
    dfeatures : callable, optional
        ``X (N, q) -> (S, N, q, p)``.

    Examples
    --------
    >>> quad = PointInfo.rank_one(lambda X: np.stack([X[:, 0]**0, X[:, 0], X[:, 0]**2], -1), n_params=3)
    >>> quad.info_at(np.array([[0.5]])).shape
    (1, 1, 3, 3)
    """

    n_params: int
    info: PointFn | None = None
    dinfo: PointFn | None = None
    features: PointFn | None = None
    dfeatures: PointFn | None = None

    def __post_init__(self) -> None:
        if self.info is None and self.features is None:
            raise InputError("PointInfo needs either info (I(x)) or features (f(x))")

    @staticmethod
    def rank_one(f: PointFn, df: PointFn | None = None, *, n_params: int) -> PointInfo:
        """A model with ``I(x) = f(x) f(x)ᵀ`` (e.g. linear regression with unit variance)."""
        return PointInfo(n_params=n_params, features=f, dfeatures=df)

    @property
    def is_rank_one(self) -> bool:
        """True when the information is given as ``f fᵀ``."""
        return self.features is not None

    @property
    def has_derivative(self) -> bool:
        """True when the derivative in ``x`` is available."""
        return (self.dfeatures if self.is_rank_one else self.dinfo) is not None

    def features_at(self, X: Array) -> Array:
        """``f(X)``, shape ``(S, N, p)`` (rank-one models only)."""
        assert self.features is not None
        return _with_draws(self.features(X), 2, "features")

    def info_at(self, X: Array) -> Array:
        """``I(X)``, shape ``(S, N, p, p)``."""
        if self.features is not None:
            f = self.features_at(X)
            return f[..., :, None] * f[..., None, :]
        assert self.info is not None
        return _with_draws(self.info(X), 3, "info")

    def dinfo_at(self, X: Array) -> Array:
        """``∂I/∂x(X)``, shape ``(S, N, q, p, p)``."""
        if self.features is not None:
            if self.dfeatures is None:
                raise InputError("this model has no x-derivative (dfeatures)")
            f = self.features_at(X)
            df = _with_draws(self.dfeatures(X), 3, "dfeatures")
            outer = df[..., :, None] * f[..., None, None, :]
            return outer + np.swapaxes(outer, -1, -2)
        if self.dinfo is None:
            raise InputError("this model has no x-derivative (dinfo)")
        return _with_draws(self.dinfo(X), 4, "dinfo")

    def factors_at(self, X: Array) -> Array:
        """A factor ``F`` with ``I = Fᵀ F``, shape ``(S, N, r, p)``.

        Rank-one models give ``r = 1``; general ones use a symmetric eigen-decomposition.
        """
        if self.features is not None:
            return self.features_at(X)[:, :, None, :]
        lam, vec = np.linalg.eigh(self.info_at(X))
        keep = lam > 1e-300
        r = max(int(keep.sum(axis=-1).max()), 1)
        lam, vec = lam[..., -r:], vec[..., -r:]
        return np.sqrt(np.clip(lam, 0.0, None))[..., :, None] * np.swapaxes(vec, -1, -2)
