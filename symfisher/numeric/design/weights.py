"""Weight optimisation on a fixed set of candidate points.

Two methods, used one after the other by :mod:`optimize`:

* the multiplicative algorithm ``ηᵢ ← ηᵢ d̃(xᵢ)^λ / Σ η d̃^λ`` (Silvey, Titterington &
  Torsney 1978; Yu 2010), robust on large grids, linear convergence;
* a sequential quadratic programme on the few points that carry weight (exact gradient
  ``∂φ/∂ηᵢ = (1 - m_tot) d̃(xᵢ)``), fast final convergence.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from symfisher.numeric.design.problem import Problem, State, state

Array = NDArray[np.float64]
PENALTY = 1e30


def exponent(problem: Problem) -> float:
    """λ = 1 for determinant criteria (monotone; Titterington 1976), ½ otherwise."""
    return 1.0 if all(c.criterion.name in ("D", "Ds") for c in problem.components) else 0.5


def multiplicative(
    problem: Problem,
    parts: tuple[Array, ...],
    fixed: tuple[Array, ...],
    eta: Array,
    *,
    max_iter: int = 2000,
    tol: float = 1e-3,
) -> tuple[Array, State, int]:
    """Run the multiplicative algorithm from ``eta`` (N,) until ``max d̃ ≤ (1 + tol) Σ η d̃``.

    Returns
    -------
    eta : ndarray, shape (N,)
    state : State
    iterations : int
    """
    lam = exponent(problem)
    st = state(problem, parts, eta, fixed)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (the count is returned after the loop)
        g = np.clip(st.dtilde, 0.0, None)
        mean = float(np.dot(eta, g))
        if g.max() <= (1.0 + tol) * mean:
            break
        new = eta * (g / mean) ** lam
        new /= new.sum()
        st_new = state(problem, parts, new, fixed)
        if not np.isfinite(st_new.phi):
            break
        eta, st = new, st_new
    return eta, st, it


def polish(
    problem: Problem,
    parts: tuple[Array, ...],
    fixed: tuple[Array, ...],
    eta: Array,
    *,
    ftol: float = 1e-15,
    max_iter: int = 500,
) -> tuple[Array, State]:
    """Maximise φ over the weights of the given points (SLSQP, exact gradient)."""
    free = 1.0 - problem.fixed_mass

    def fun(e: Array) -> tuple[float, Array]:
        st = state(problem, parts, np.clip(e, 0.0, None), fixed)
        if not np.isfinite(st.phi):
            return PENALTY, np.zeros_like(e)
        return -st.phi, -free * st.dtilde

    res = minimize(
        fun,
        eta,
        jac=True,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * eta.size,
        constraints=[{"type": "eq", "fun": lambda e: e.sum() - 1.0, "jac": lambda e: np.ones_like(e)}],
        options={"ftol": ftol, "maxiter": max_iter},
    )
    out = np.clip(res.x, 0.0, None)
    out /= out.sum()
    st = state(problem, parts, out, fixed)
    if not st.phi >= state(problem, parts, eta, fixed).phi:
        return eta, state(problem, parts, eta, fixed)
    return out, st
