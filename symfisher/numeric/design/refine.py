"""Continuous refinement of support points and weights.

The stationarity conditions of ``φ(x₁…x_k, η)`` — ``∂φ/∂xᵢ = (1 - m_tot) ηᵢ ∂d̃/∂x(xᵢ) = 0``
at interior points and equal ``d̃`` at all support points — are solved by a sequential
quadratic programme (SLSQP, quasi-Newton) using the *exact* gradients assembled from
the model's ``I(x)`` and ``∂I/∂x`` callables; nothing is differenced numerically.
Near-duplicate points are merged and vanishing weights dropped between rounds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from symfisher.numeric.design.problem import (
    Problem,
    State,
    certificate_gradient,
    factors,
    state,
)

Array = NDArray[np.float64]
PENALTY = 1e30
ROUGH_FTOL = 1e-9
"""SLSQP's tolerance on the criterion when the refinement only has to find the support."""
ROUGH_GTOL = 1e-7
"""The stationarity polish's gradient tolerance then."""
PRECISE_POLISHES = 3
"""Extra stationarity polishes (fresh BFGS restarts) of a precise refinement, until the scaled
variables move by at most 1e-12: one BFGS run from an SLSQP point can stop 1e-10 short."""


Objective = Callable[[Array], tuple[float, Array]]


def _objective(problem: Problem, fixed: tuple[Array, ...], forced: Array, k: int) -> Objective:
    """``-φ`` and its exact gradient in (scaled free points, weights)."""
    lo, width = problem.space.bounds[:, 0], problem.space.width
    free = 1.0 - problem.fixed_mass
    q, m = lo.size, forced.shape[0]

    def fun(z: Array) -> tuple[float, Array]:
        if not np.all(np.isfinite(z)):
            return PENALTY, np.zeros_like(z)
        X = np.vstack([forced, lo + width * np.clip(z[: k * q], 0.0, 1.0).reshape(k, q)])
        eta = np.clip(z[k * q :], 0.0, None)
        st = state(problem, factors(problem, X), eta, fixed)
        if not np.isfinite(st.phi):
            return PENALTY, np.zeros_like(z)
        dx = certificate_gradient(problem, st.evals, X[m:]) * width
        gx = free * eta[m:, None] * dx
        g = -np.concatenate([gx.ravel(), free * st.dtilde])
        return (-st.phi, g) if np.all(np.isfinite(g)) else (PENALTY, np.zeros_like(z))

    return fun


def refine(
    problem: Problem,
    fixed: tuple[Array, ...],
    points: Array,
    eta: Array,
    *,
    precise: bool = True,
    max_iter: int = 400,
) -> tuple[Array, Array]:
    """Jointly optimise free support points ``points`` (k, q) and all weights ``eta``.

    ``eta`` has the forced points' free weights first, then one per free point. ``precise``:
    SLSQP to ``ftol = 1e-16`` and the stationarity conditions solved to gradient accuracy
    (:func:`polish_stationary`); otherwise SLSQP to ``ROUGH_FTOL`` only (to find the support).

    Returns
    -------
    points : ndarray, shape (k, q)
    eta : ndarray, shape (m + k,)
    """
    forced = problem.forced
    k, q = points.shape
    lo, width = problem.space.bounds[:, 0], problem.space.width
    z0 = np.concatenate([((points - lo) / width).ravel(), eta])
    fun = _objective(problem, fixed, forced, k)
    bounds = [(0.0, 1.0)] * (k * q) + [(0.0, 1.0)] * eta.size
    cons = [
        {
            "type": "eq",
            "fun": lambda z: z[k * q :].sum() - 1.0,
            "jac": lambda z: np.concatenate([np.zeros(k * q), np.ones(eta.size)]),
        }
    ]
    res = minimize(
        fun,
        z0,
        jac=True,
        method="SLSQP",
        bounds=bounds,
        constraints=cons,
        options={"ftol": 1e-16 if precise else ROUGH_FTOL, "maxiter": max_iter},
    )
    z = res.x if res.fun <= fun(z0)[0] else z0
    z = polish_stationary(fun, z, k * q, gtol=1e-13 if precise else ROUGH_GTOL)
    for _ in range(PRECISE_POLISHES if precise else 0):  # BFGS restarts until the points settle
        z_new = polish_stationary(fun, z, k * q, gtol=1e-13)
        settled = float(np.max(np.abs(z_new - z))) <= 1e-12
        z = z_new
        if settled:
            break
    pts = lo + width * np.clip(z[: k * q], 0.0, 1.0).reshape(k, q)
    w = np.clip(z[k * q :], 0.0, None)
    return pts, w / w.sum()


def polish_stationary(fun: Objective, z: Array, nx: int, *, gtol: float = 1e-13) -> Array:
    """Solve the stationarity conditions to gradient accuracy (BFGS on the interior variables).

    Coordinates within 1e-7 of a bound are fixed there; the weight simplex is
    parametrised by all weights but the last. BFGS stops on the gradient norm, so the
    points are accurate to ``gtol`` over the curvature, not to the square root of the
    criterion's change as a function-value stopping rule would give.
    """
    z = z.copy()
    xs = z[:nx]
    xs[xs < 1e-7] = 0.0
    xs[xs > 1.0 - 1e-7] = 1.0
    free_x = np.flatnonzero((xs > 0.0) & (xs < 1.0))
    w = z[nx:]
    live = np.flatnonzero(w > 1e-9)
    if live.size < 1:
        return z
    last, rest = live[-1], live[:-1]

    def unpack(u: Array) -> Array:
        out = z.copy()
        out[free_x] = u[: free_x.size]
        ww = np.zeros_like(w)
        ww[rest] = u[free_x.size :]
        ww[last] = 1.0 - ww[rest].sum()
        out[nx:] = ww
        return out

    def red(u: Array) -> tuple[float, Array]:
        full = unpack(u)
        if np.any(full[free_x] < 0) or np.any(full[free_x] > 1) or np.any(full[nx:][live] <= 0):
            return PENALTY, np.zeros_like(u)
        f, g = fun(full)
        gw = g[nx:][rest] - g[nx:][last]
        return f, np.concatenate([g[free_x], gw])

    u0 = np.concatenate([z[free_x], w[rest]])
    f0 = red(u0)[0]
    res = minimize(red, u0, jac=True, method="BFGS", options={"gtol": gtol, "maxiter": 200})
    out = unpack(res.x) if res.fun <= f0 else unpack(u0)
    snap = out[:nx]
    snap[snap < 1e-7] = 0.0  # a point that moved to within 1e-7 of a bound sits on it
    snap[snap > 1.0 - 1e-7] = 1.0
    return out


def merge(
    problem: Problem, points: Array, eta: Array, *, rel_dist: float = 1e-4, min_weight: float = 1e-7
) -> tuple[Array, Array]:
    """Drop free points of negligible weight and merge free points closer than ``rel_dist`` of the width.

    ``eta`` has the forced points' weights first (kept as they are).
    """
    m = problem.forced.shape[0]
    fw, pw = eta[:m], eta[m:]
    keep = pw > min_weight * max(pw.max(initial=0.0), 1e-300)
    pts, pw = points[keep], pw[keep]
    scaled = pts / problem.space.width
    order = np.lexsort(scaled.T[::-1])
    out_p: list[Array] = []
    out_w: list[float] = []
    for i in order:
        for j, p in enumerate(out_p):
            if np.abs(scaled[i] - p / problem.space.width).max() < rel_dist:
                tot = out_w[j] + pw[i]
                out_p[j] = (out_p[j] * out_w[j] + pts[i] * pw[i]) / tot
                out_w[j] = tot
                break
        else:
            out_p.append(pts[i].copy())
            out_w.append(float(pw[i]))
    new_eta = np.concatenate([fw, np.array(out_w)])
    return np.array(out_p).reshape(-1, points.shape[1]), new_eta / new_eta.sum()


def final_state(problem: Problem, fixed: tuple[Array, ...], points: Array, eta: Array) -> State:
    """The criterion state at forced + free ``points``."""
    X = np.vstack([problem.forced, points])
    return state(problem, factors(problem, X), eta, fixed)
