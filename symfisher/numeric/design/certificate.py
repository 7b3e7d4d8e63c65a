"""Equivalence-theorem certificates over the continuous design space.

The sensitivity ``d̃(x)`` (criterion gradients held fixed at the design) is maximised
over the space by a fine grid followed by local maximisation (L-BFGS-B with the exact
x-derivative when the model supplies one, bounded Brent otherwise) started from the
best grid points, so the maximum holds for the continuous space, not only the grid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize, minimize_scalar

from symfisher.numeric.design.core import Space

Array = NDArray[np.float64]
SensFn = Callable[[Array], Array]
CHUNK = 4096


@dataclass(frozen=True)
class Maximum:
    """Maximum of a sensitivity function: ``value`` at ``point`` (q,)."""

    value: float
    point: Array


def on_grid(fn: SensFn, X: Array) -> Array:
    """Evaluate ``fn`` on ``X`` (N, q) in chunks; shape (N,)."""
    return np.concatenate([fn(X[i : i + CHUNK]) for i in range(0, X.shape[0], CHUNK)])


def _local(fn: SensFn, grad: SensFn | None, space: Space, x0: Array, step: Array) -> tuple[float, Array]:
    lo = np.maximum(space.bounds[:, 0], x0 - step)
    hi = np.minimum(space.bounds[:, 1], x0 + step)
    if grad is None and x0.size == 1:
        r = minimize_scalar(
            lambda t: -fn(np.array([[t]]))[0],
            bounds=(lo[0], hi[0]),
            method="bounded",
            options={"xatol": 1e-12 * space.width[0]},
        )
        return -float(r.fun), np.array([r.x])
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
    step = space.width / max(n_grid - 1, 1)
    for i in np.argsort(vals)[::-1][:n_starts]:
        v, x = _local(fn, grad, space, X[i], step)
        if v > top.value:
            top = Maximum(v, x)
    return top
