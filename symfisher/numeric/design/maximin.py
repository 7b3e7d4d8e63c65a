"""Maximin-efficiency designs over a finite set of components (e.g. parameter guesses).

Maximise ``Ψ(ξ) = min_j eff_j(ξ)`` with ``eff_j = exp(φ_j(ξ) - φ_j(ξ_j*))`` (ξ_j* the
locally optimal design of component j). Algorithm: the equal-weight compound design as
a start, then a sequential quadratic programme in epigraph form (maximise ``t`` subject
to ``log eff_j(x, w) ≥ t``) on the support points and weights, with exact gradients.

Certificate (general equivalence theorem for a minimum of concave criteria; Dette 1997,
Pukelsheim 1993 §5.21): for any probability vector ``π`` and any design ξ',
``Ψ(ξ') ≤ Σ_j π_j eff_j(ξ') ≤ max_x Σ_j π_j eff_j(ξ) d̃_j(x, ξ)`` (each ``eff_j`` is concave
and homogeneous of degree one), so ``eff(ξ) ≥ Ψ(ξ) / max_x Σ_j π_j eff_j(ξ) d̃_j(x)``.
``π`` is chosen by a linear programme on the grid minimising that maximum.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog, minimize

from symfisher.numeric.design.api import solve
from symfisher.numeric.design.certificate import SensFn, maximise
from symfisher.numeric.design.core import Design
from symfisher.numeric.design.optimize import Settings
from symfisher.numeric.design.problem import (
    Problem,
    certificate_gradient,
    certificate_sensitivity,
    factors,
    state,
)
from symfisher.numeric.design.result import DesignResult

Array = NDArray[np.float64]
MAXIMIN_FORMULA = (
    "eff >= min_j eff_j / max_x sum_j pi_j eff_j d_j(x) / b_j with pi from an LP "
    "(general equivalence theorem for maximin; Dette 1997)"
)


def _single(problem: Problem, j: int) -> Problem:
    c = problem.components[j]
    return Problem((replace(c, alphas=np.ones(1)),), problem.space, problem.forced, problem.min_weight)


def _log_effs(subs: list[Problem], ref: Array, X: Array, w: Array) -> tuple[Array, list]:
    states = [state(s, factors(s, X), w) for s in subs]
    return np.array([st.phi for st in states]) - ref, states


def _epigraph(subs: list[Problem], ref: Array, X: Array, w: Array) -> tuple[Array, Array]:
    """SLSQP on (x scaled, w, t): maximise t s.t. log eff_j ≥ t, Σ w = 1."""
    space = subs[0].space
    lo, width = space.bounds[:, 0], space.width
    k, q = X.shape

    def unpack(z: Array) -> tuple[Array, Array]:
        return lo + width * np.clip(z[: k * q], 0, 1).reshape(k, q), np.clip(z[k * q : k * q + k], 0, None)

    def cons(z: Array) -> Array:
        Xz, wz = unpack(z)
        return _log_effs(subs, ref, Xz, wz)[0] - z[-1]

    def cons_jac(z: Array) -> Array:
        Xz, wz = unpack(z)
        rows = []
        for s in subs:
            st = state(s, factors(s, Xz), wz)
            gx = (wz[:, None] * certificate_gradient(s, st.evals, Xz) * width).ravel()
            rows.append(np.concatenate([gx, st.dtilde, [-1.0]]))
        return np.array(rows)

    t0 = _log_effs(subs, ref, X, w)[0].min()
    z0 = np.concatenate([((X - lo) / width).ravel(), w, [t0]])
    fixed_x = space.is_finite or not all(c.model.has_derivative for s in subs for c in s.components)
    xb = [(v, v) for v in z0[: k * q]] if fixed_x else [(0.0, 1.0)] * (k * q)
    res = minimize(
        lambda z: (-z[-1], np.r_[np.zeros(z.size - 1), -1.0]),
        z0,
        jac=True,
        method="SLSQP",
        bounds=xb + [(0.0, 1.0)] * k + [(None, None)],
        constraints=[
            {"type": "ineq", "fun": cons, "jac": cons_jac},
            {"type": "eq", "fun": lambda z: z[k * q : k * q + k].sum() - 1.0},
        ],
        options={"ftol": 1e-14, "maxiter": 300},
    )
    Xn, wn = unpack(res.x)
    if _log_effs(subs, ref, Xn, wn / wn.sum())[0].min() < t0:
        return X, w
    return Xn, wn / wn.sum()


def _pi_lp(scores: Array) -> Array:
    """π minimising ``max_i Σ_j π_j scores[j, i]`` over the simplex (scores (J, N))."""
    J, N = scores.shape
    res = linprog(
        np.r_[np.zeros(J), 1.0],
        A_ub=np.hstack([scores.T, -np.ones((N, 1))]),
        b_ub=np.zeros(N),
        A_eq=np.r_[np.ones(J), 0.0][None],
        b_eq=[1.0],
        bounds=[(0, None)] * J + [(None, None)],
        method="highs",
    )
    return np.clip(res.x[:J], 0.0, None) / np.clip(res.x[:J], 0.0, None).sum()


def _mixture(subs: list[Problem], states: list, mix: Array) -> tuple[SensFn, SensFn]:
    """``Σ_j mix_j d̃_j(x)`` and its x-gradient, with the gradients of each ``φ_j`` held fixed."""

    def fn(Z: Array) -> Array:
        return sum(m * certificate_sensitivity(s, st.evals, Z) for m, s, st in zip(mix, subs, states))

    def grad(Z: Array) -> Array:
        return sum(m * certificate_gradient(s, st.evals, Z) for m, s, st in zip(mix, subs, states))

    return fn, grad


def maximin(problem: Problem, settings: Settings = Settings(), rounds: int = 6) -> DesignResult:
    """Maximin-efficiency design over ``problem.components`` (no forced points).

    Examples
    --------
    >>> res = maximin(Problem((Component(m1, DCriterion()), Component(m2, DCriterion())), space))  # doctest: +SKIP
    """
    subs = [_single(problem, j) for j in range(len(problem.components))]
    ref = np.array([solve(s, settings).phi for s in subs])
    start = solve(
        replace(problem, components=tuple(replace(c, alphas=np.ones(1) / len(subs)) for c in problem.components)),
        settings,
    )
    X, w = start.design.matrix, start.weights.copy()
    grid = problem.space.grid(settings.cert_size(problem.space.dim))
    for r in range(rounds):  # noqa: B007 (r + 1 rounds are reported after the loop)
        X, w = _epigraph(subs, ref, X, w)
        keep = w > 1e-7
        X, w = X[keep], w[keep] / w[keep].sum()
        le, states = _log_effs(subs, ref, X, w)
        psi = float(np.exp(le.min()))
        coef = np.exp(le) / psi
        pi = _pi_lp(np.array([c * certificate_sensitivity(s, st.evals, grid) for c, s, st in zip(coef, subs, states)]))
        fn, gr = _mixture(subs, states, pi * coef)
        smooth = all(c.model.has_derivative for c in problem.components)
        top = maximise(fn, gr if smooth else None, problem.space, n_grid=settings.cert_size(problem.space.dim), extra=X)
        if top.value <= 1.0 + settings.tol:
            break
        X, w = np.vstack([X, top.point[None]]), np.r_[w * 0.95, 0.05]
    design = Design(X[:, 0] if X.shape[1] == 1 else X, w)
    eff = 1.0 / top.value
    return DesignResult(
        design,
        psi,
        float(le.min()),
        1.0,
        float(top.value),
        top.point,
        eff,
        MAXIMIN_FORMULA,
        bool(eff >= 1 - 10 * settings.tol),
        problem,
        fn,
        {"efficiencies": np.exp(le).tolist(), "pi": pi.tolist(), "rounds": r + 1},
    )
