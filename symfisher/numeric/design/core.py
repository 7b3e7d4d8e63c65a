"""Approximate designs and the design space.

A design ξ is a probability measure with finite support: ``k`` points in a design
space of ``q`` factors and ``k`` weights. Points are stored as ``(k,)`` for one factor
and ``(k, q)`` for several; :attr:`Design.matrix` always gives ``(k, q)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symfisher.errors import InputError

WEIGHT_TOL = 1e-8


def _as_points(points: ArrayLike, name: str = "points") -> NDArray[np.float64]:
    arr = np.asarray(points, dtype=float)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim not in (1, 2) or arr.shape[0] == 0:
        raise InputError(f"{name} must have shape (k,) or (k, q) with k >= 1, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} contains non-finite values")
    return arr


@dataclass(frozen=True, eq=False)
class Design:
    """An approximate design: support points and weights summing to one.

    Parameters
    ----------
    points : array_like, shape (k,) or (k, q)
        Support points (``q`` factors).
    weights : array_like, shape (k,), optional
        Non-negative weights summing to 1 (within 1e-8); equal weights if omitted.

    Examples
    --------
    >>> d = Design([0.0, 37.5, 75.0, 112.5, 150.0])
    >>> d.weights
    array([0.2, 0.2, 0.2, 0.2, 0.2])
    >>> d.matrix.shape
    (5, 1)
    """

    points: NDArray[np.float64]
    # None means uniform: __post_init__ always stores a (k,) array, so readers never see None.
    weights: NDArray[np.float64] = field(default=None)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        pts = _as_points(self.points)
        k = pts.shape[0]
        w = np.full(k, 1.0 / k) if self.weights is None else np.asarray(self.weights, float)
        if w.shape != (k,):
            raise InputError(f"weights must have shape ({k},) to match points {pts.shape}, got {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < -WEIGHT_TOL):
            bad = int(np.argmin(np.where(np.isfinite(w), w, -np.inf)))
            raise InputError(f"weights must be finite and >= 0; weights[{bad}] = {w[bad]}")
        if abs(w.sum() - 1.0) > WEIGHT_TOL:
            raise InputError(f"weights must sum to 1 (within {WEIGHT_TOL}), they sum to {w.sum()!r}")
        pts.setflags(write=False)
        w = np.clip(w, 0.0, None)
        w.setflags(write=False)
        object.__setattr__(self, "points", pts)
        object.__setattr__(self, "weights", w)

    @property
    def matrix(self) -> NDArray[np.float64]:
        """Support points as a ``(k, q)`` array."""
        return self.points.reshape(self.points.shape[0], -1)

    @property
    def size(self) -> int:
        """Number of support points ``k``."""
        return int(self.points.shape[0])

    def __repr__(self) -> str:
        rows = ", ".join(
            f"{np.array2string(p, precision=6) if p.ndim else f'{p:.6g}'}: {w:.4f}"
            for p, w in zip(self.points, self.weights)
        )
        return f"Design({{{rows}}})"


@dataclass(frozen=True, eq=False)
class Space:
    """A design space: a box in ``q`` factors, or a finite set of candidate points.

    Parameters
    ----------
    bounds : ndarray, shape (q, 2)
        Lower and upper bound of each factor.
    candidates : ndarray, shape (N, q), optional
        When given, only these points may be used (a discrete space).
    """

    bounds: NDArray[np.float64]
    candidates: NDArray[np.float64] | None = None

    @staticmethod
    def box(bounds: ArrayLike) -> Space:
        """A box from ``(lo, hi)`` or ``[(lo1, hi1), (lo2, hi2), ...]``.

        Examples
        --------
        >>> Space.box((0, 150)).bounds
        array([[  0., 150.]])
        """
        b = np.atleast_2d(np.asarray(bounds, dtype=float))
        if b.ndim != 2 or b.shape[1] != 2 or b.shape[0] == 0:
            raise InputError(f"space must be (lo, hi) or a list of (lo, hi) pairs, got shape {b.shape}")
        for i, (lo, hi) in enumerate(b):
            if not (np.isfinite(lo) and np.isfinite(hi)) or not lo < hi:
                raise InputError(f"design space factor {i}: need finite lo < hi, got ({lo}, {hi})")
        return Space(b)

    @staticmethod
    def finite(candidates: ArrayLike) -> Space:
        """A discrete space of candidate points, shape ``(N,)`` or ``(N, q)``."""
        c = _as_points(candidates, "candidates")
        c = c.reshape(c.shape[0], -1)
        lo, hi = c.min(axis=0), c.max(axis=0)
        return Space(np.column_stack([lo, np.where(hi > lo, hi, lo + 1.0)]), c)

    @property
    def dim(self) -> int:
        """Number of factors ``q``."""
        return int(self.bounds.shape[0])

    @property
    def width(self) -> NDArray[np.float64]:
        """Width of each factor, shape ``(q,)``."""
        return self.bounds[:, 1] - self.bounds[:, 0]

    @property
    def is_finite(self) -> bool:
        """True for a discrete candidate set."""
        return self.candidates is not None

    def grid(self, n_per_dim: int) -> NDArray[np.float64]:
        """Candidate points: the finite set, or a regular grid of ``n_per_dim`` per factor.

        Returns
        -------
        ndarray, shape (N, q)
        """
        if self.candidates is not None:
            return self.candidates
        axes = [np.linspace(lo, hi, n_per_dim) for lo, hi in self.bounds]
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.column_stack([m.ravel() for m in mesh])

    def contains(self, points: NDArray[np.float64], tol: float = 1e-9) -> NDArray[np.bool_]:
        """Which rows of ``points`` (shape ``(k, q)``) lie in the space."""
        pts = points.reshape(points.shape[0], -1)
        slack = tol * self.width
        inside = np.all((pts >= self.bounds[:, 0] - slack) & (pts <= self.bounds[:, 1] + slack), axis=1)
        if self.candidates is None:
            return inside
        dist = np.abs(pts[:, None, :] - self.candidates[None, :, :]).max(axis=2)
        return inside & (dist.min(axis=1) <= slack.max())

    def check_design(self, design: Design) -> None:
        """Raise ``DomainError`` (a ValueError) naming the first support point outside the space."""
        if design.matrix.shape[1] != self.dim:
            raise InputError(f"design points have {design.matrix.shape[1]} factor(s), the space has {self.dim}")
        ok = self.contains(design.matrix)
        if not ok.all():
            i = int(np.argmin(ok))
            raise InputError(
                f"design point {design.points[i]} (index {i}) lies outside the design space "
                f"{self.bounds.tolist() if self.candidates is None else 'of candidates'}"
            )
