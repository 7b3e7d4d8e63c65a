"""Equivalence-theorem certificates over the continuous design space.

The sensitivity ``d̃(x)`` (criterion gradients held fixed at the design) is maximised
over the space by a fine grid followed by local maximisation started from the best grid
points, so the maximum holds for the continuous space, not only the grid. One factor: the
brackets ``[x_{i-1}, x_{i+1}]`` around the best discrete peaks of the grid are shrunk
together by repeated vectorised sub-grids (a zoom by ``(ZOOM_POINTS - 1) / 2`` per pass,
one call of ``fn`` per pass for all peaks) down to ``1e-12`` of the width; several factors:
L-BFGS-B with the exact x-derivative when the model supplies one, Powell otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from symfisher.numeric.design.core import Space

Array = NDArray[np.float64]
SensFn = Callable[[Array], Array]
CHUNK = 4096
ZOOM_POINTS = 17
"""Points per bracket and pass of the one-factor zoom (each pass shrinks a bracket 8-fold)."""
ZOOM_REL = 1e-12
"""The one-factor zoom stops when the brackets are this narrow relative to the width."""


@dataclass(frozen=True)
class Maximum:
    """Maximum of a sensitivity function: ``value`` at ``point`` (q,)."""

    value: float
    point: Array
    peaks: Array | None = None
    """One factor: the local maxima found (k, q), best first (``point`` is the first)."""
    peak_values: Array | None = None
    """Their values (k,)."""


def on_grid(fn: SensFn, X: Array) -> Array:
    """Evaluate ``fn`` on ``X`` (N, q) in chunks; shape (N,)."""
    return np.concatenate([fn(X[i : i + CHUNK]) for i in range(0, X.shape[0], CHUNK)])


def _local(fn: SensFn, grad: SensFn | None, space: Space, x0: Array, step: Array) -> tuple[float, Array]:
    lo = np.maximum(space.bounds[:, 0], x0 - step)
    hi = np.minimum(space.bounds[:, 1], x0 + step)
    if grad is None:
        r = minimize(
            lambda z: -fn(z[None])[0],
            x0,
            method="Powell",
            bounds=list(zip(lo, hi)),
            options={"xtol": 1e-10, "ftol": 1e-14},
        )
    else:

        def obj(z: Array) -> tuple[float, Array]:
            if not np.all(np.isfinite(z)):
                return np.inf, np.zeros_like(z)
            v, g = fn(z[None])[0], grad(z[None])[0]
            return (-v, -g) if np.isfinite(v) and np.all(np.isfinite(g)) else (np.inf, np.zeros_like(z))

        r = minimize(
            obj, x0, jac=True, method="L-BFGS-B", bounds=list(zip(lo, hi)), options={"ftol": 1e-15, "gtol": 1e-12}
        )
    x = np.asarray(r.x, float)
    return (-float(r.fun), x) if np.all(np.isfinite(x)) and np.isfinite(r.fun) else (-np.inf, x0)


def _peaks(vals: Array, n: int) -> NDArray[np.intp]:
    """Indices of the ``n`` largest discrete local maxima of ``vals`` (N,), best first."""
    v = np.where(np.isfinite(vals), vals, -np.inf)
    left = np.concatenate([[-np.inf], v[:-1]])
    right = np.concatenate([v[1:], [-np.inf]])
    idx = np.flatnonzero((v >= left) & (v >= right) & np.isfinite(v))
    return idx[np.argsort(v[idx])[::-1][:n]]


def _zoom(fn: SensFn, lo: Array, hi: Array, stop: float) -> tuple[Array, Array]:
    """Maximise ``fn`` on each bracket ``[lo_k, hi_k]`` (k,) at once; returns values and points (k,)."""
    t = np.linspace(0.0, 1.0, ZOOM_POINTS)
    best_v, best_x = np.full(lo.size, -np.inf), 0.5 * (lo + hi)
    while True:
        xs = lo[:, None] + (hi - lo)[:, None] * t[None, :]
        vals = fn(xs.reshape(-1, 1)).reshape(xs.shape)
        vals = np.where(np.isfinite(vals), vals, -np.inf)
        j = np.argmax(vals, axis=1)
        rows = np.arange(lo.size)
        better = vals[rows, j] > best_v
        best_v = np.where(better, vals[rows, j], best_v)
        best_x = np.where(better, xs[rows, j], best_x)
        h = (hi - lo) / (ZOOM_POINTS - 1)
        if h.max() * 2.0 <= stop:
            return best_v, best_x
        lo, hi = np.maximum(lo, best_x - h), np.minimum(hi, best_x + h)


def _maximise_1d(fn: SensFn, space: Space, X: Array, vals: Array, n_starts: int) -> Maximum:
    """One factor: zoom into the brackets of the best discrete peaks of the sorted grid ``X`` (N, 1)."""
    order = np.argsort(X[:, 0], kind="stable")
    xs, vs = X[order, 0], vals[order]
    idx = _peaks(vs, n_starts)
    best = int(np.argmax(np.where(np.isfinite(vs), vs, -np.inf)))
    top = Maximum(float(vs[best]), np.array([xs[best]]))
    if idx.size == 0:
        return top
    lo, hi = xs[np.maximum(idx - 1, 0)], xs[np.minimum(idx + 1, xs.size - 1)]
    v, x = _zoom(fn, lo, hi, ZOOM_REL * float(space.width[0]))
    order = np.argsort(v)[::-1]
    v, x = v[order], x[order]
    if v[0] <= top.value:
        v, x = np.concatenate([[top.value], v]), np.concatenate([top.point, x])
    return Maximum(float(v[0]), np.array([x[0]]), x[:, None], v)


def maximise(
    fn: SensFn, grad: SensFn | None, space: Space, *, n_grid: int, n_starts: int = 8, extra: Array | None = None
) -> Maximum:
    """Maximum of ``fn`` over ``space``.

    Parameters
    ----------
    fn, grad : callable
        ``X (N, q) -> (N,)`` and ``X (N, q) -> (N, q)`` (``grad`` may be None).
    space : Space
        A finite space is searched exhaustively.
    n_grid : int
        Grid points per factor.
    extra : ndarray, shape (k, q), optional
        Points always included (e.g. the support).
    """
    X = space.grid(n_grid)
    if extra is not None and extra.size:
        X = np.vstack([X, extra])
    vals = on_grid(fn, X)
    best = int(np.argmax(vals))
    top = Maximum(float(vals[best]), X[best])
    if space.is_finite:
        return top
    if space.dim == 1:
        return _maximise_1d(fn, space, X, vals, n_starts)
    step = space.width / max(n_grid - 1, 1)
    for i in np.argsort(vals)[::-1][:n_starts]:
        v, x = _local(fn, grad, space, X[i], step)
        if v > top.value:
            top = Maximum(v, x)
    return top
