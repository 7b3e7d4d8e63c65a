"""E-optimal designs by a cutting-plane linear programme, with the general equivalence theorem.

``λ_min(M(η)) = min_{|v|=1} vᵀ M(η) v`` is the minimum of linear functions of the
weights. Kelley's method maximises ``t`` subject to ``t ≤ v_kᵀ M(η) v_k`` for the
eigenvectors ``v_k`` collected so far (an LP on the candidate grid, solved by HiGHS),
adding the eigenvectors of the smallest eigenvalue(s) of each new solution.

Certificate (Pukelsheim 1993, §7.21; Dette & Studden 1993): the LP duals ``π_k`` give
``E = Σ π_k v_k v_kᵀ`` (PSD, trace 1). For *any* design ξ',
``λ_min(M(ξ')) ≤ tr(E M(ξ')) ≤ max_x tr(E I(x))``, so
``eff_E(ξ) ≥ λ_min(M(ξ)) / max_x tr(E I(x))``, valid also when the smallest eigenvalue
is repeated (then ``E`` is not a single ``v vᵀ``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog

from symfisher.numeric.design.certificate import maximise
from symfisher.numeric.design.criteria import Evaluation
from symfisher.numeric.design.optimize import Settings, assemble, level, start
from symfisher.numeric.design.problem import Problem, State, factors, moment, quad_form
from symfisher.numeric.design.refine import final_state, merge, refine
from symfisher.numeric.design.result import DesignResult

Array = NDArray[np.float64]
E_FORMULA = (
    "eff_E >= lambda_min(M) / max_x tr(E I(x)), E = sum_k pi_k v_k v_k^T from the LP duals "
    "(general equivalence theorem; Pukelsheim 1993 §7.21)"
)


def _cuts(M: Array, tol: float = 1e-6) -> Array:
    lam, vec = np.linalg.eigh(M)
    near = lam <= lam[0] + tol * max(abs(lam[-1]), 1e-300)
    return vec[:, near].T


def _lp(Q: Array, base: Array, free: float, lower: Array) -> tuple[Array, float, Array]:
    """max t s.t. t ≤ base_k + free Σᵢ ηᵢ Q_kᵢ, Σ η = 1, η ≥ lower; returns η, t, duals π."""
    K, N = Q.shape
    cost = np.zeros(N + 1)
    cost[-1] = -1.0
    A_ub = np.hstack([-free * Q, np.ones((K, 1))])
    A_eq = np.concatenate([np.ones(N), [0.0]])[None]
    bounds = [(lo, None) for lo in lower] + [(None, None)]
    res = linprog(
        cost,
        A_ub=A_ub,
        b_ub=base,
        A_eq=A_eq,
        b_eq=[1.0],
        bounds=bounds,
        method="highs",
        options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10},
    )
    if res.status != 0:
        raise RuntimeError(f"E-optimal cutting-plane LP failed: {res.message}")
    pi = -np.asarray(res.ineqlin.marginals)
    return res.x[:N], float(res.x[-1]), np.clip(pi, 0.0, None)


def _kelley(
    F: Array, M0: Array, free: float, V: Array, tol: float, max_iter: int
) -> tuple[Array, float, Array, Array, int]:
    """Kelley's method on the columns ``F`` (1, N, r, p): weights, λ_min, duals, cuts, iterations."""
    best, best_it, it = (-np.inf, np.full(F.shape[1], 1.0 / F.shape[1]), np.zeros(1)), 0, 0
    for it in range(max_iter):
        Q = quad_form(np.broadcast_to(F, (V.shape[0],) + F.shape[1:]), V[:, :, None] * V[:, None, :])
        base = np.einsum("ki,ij,kj->k", V, M0, V)
        eta, ub, pi = _lp(Q, base, free, np.zeros(F.shape[1]))
        M = M0 + free * moment(F, eta)[0]
        lb = float(np.linalg.eigvalsh(M)[0])
        if lb > best[0]:
            best, best_it = (lb, eta, pi), it
        if ub - best[0] <= tol * abs(ub) or it - best_it > 20:
            break
        V = np.vstack([V, _cuts(M)])
    return best[1], best[0], best[2], V[: best[2].size], it + 1


@dataclass(frozen=True)
class _Columns:
    """State of the column generation: candidate points, their factors, the LP solution."""

    X: Array
    F: Array
    active: Array
    weights: Array
    lam: float
    E: Array
    V: Array
    iterations: int


def _generate(problem: Problem, settings: Settings, cols: _Columns, M0: Array, free: float, max_iter: int) -> _Columns:
    """Kelley's LP on the active columns; add grid columns and continuous maximisers of
    ``tr(E I(x))`` that violate the certificate, until none is left (at most 30 rounds)."""
    m = problem.forced.shape[0]
    X, F, active, V, total = cols.X, cols.F, cols.active, cols.V, cols.iterations
    for _ in range(30):
        e, lam, pi, V, its = _kelley(F[:, active], M0, free, V, settings.tol, max_iter)
        total += its
        Emat = np.einsum("k,ki,kj->ij", pi / pi.sum(), V, V)
        score = quad_form(F, Emat[None])[0]
        viol = np.setdiff1d(np.flatnonzero(score > lam * (1.0 + settings.tol)), active)
        add = viol[np.argsort(score[viol])[::-1][:32]]
        if viol.size == 0:
            new = _continuous_column(problem, Emat, lam, X[active], settings)
            if new is None:
                break
            X, F = np.vstack([X, new]), np.concatenate([F, factors(problem, new)[0]], axis=1)
            add = np.array([X.shape[0] - 1])
        active = np.union1d(np.union1d(np.arange(m), active[e > 0]), add)
    w = np.zeros(X.shape[0])
    w[active] = e
    return _Columns(X, F, active, w, lam, Emat, V, total)


def e_optimal(problem: Problem, settings: Settings = Settings(), max_iter: int = 300) -> DesignResult:
    """E-optimal design (one component, one draw) with its general-equivalence certificate.

    Column generation: Kelley's LP runs on an active subset of candidates; grid candidates
    and continuous points with ``tr(E I(x)) > λ_min`` for the dual matrix ``E`` are added
    until none is left; support points closer than two grid steps are then merged and
    the column generation repeated from the merged support.

    Examples
    --------
    >>> res = e_optimal(Problem((Component(model, ECriterion()),), Space.box((-1, 1))))  # doctest: +SKIP
    """
    m = problem.forced.shape[0]
    X = np.vstack([problem.forced, problem.space.grid(settings.grid_size(problem.space.dim))])
    parts, fixed, eta = start(problem, X)
    F, p = parts[0], parts[0].shape[-1]
    M0 = moment(fixed[0], np.full(m, problem.min_weight))[0] if m else np.zeros((p, p))
    free = 1.0 - problem.fixed_mass
    V = np.vstack([np.eye(p), _cuts(M0 + free * moment(F, eta)[0])])
    active = np.union1d(np.arange(m), np.linspace(m, X.shape[0] - 1, min(X.shape[0] - m, 64)).astype(int))
    cols = _generate(problem, settings, _Columns(X, F, active, eta, -np.inf, np.eye(p), V, 0), M0, free, max_iter)
    for _ in range(3):
        merged = _merge_close(problem, settings, cols)
        if merged is None:
            break
        again = _generate(problem, settings, merged, M0, free, max_iter)
        if again.lam < cols.lam * (1.0 - settings.tol):
            break
        cols = again
    keep = np.union1d(np.arange(m), np.flatnonzero(cols.weights > 1e-6 * cols.weights.max()))
    w = cols.weights[keep] / cols.weights[keep].sum()
    lam = float(np.linalg.eigvalsh(M0 + free * moment(cols.F[:, keep], w)[0])[0])  # exact for the reported design
    ev = Evaluation(np.log([lam]), np.array([lam]), cols.E[None], np.array([lam]))
    st = State(float(np.log(lam)), (ev,), np.zeros(0), lam)
    res = _relabel(assemble(problem, settings, cols.X[keep], w, st, {"cutting_plane_iterations": cols.iterations}))
    smooth = _smooth_polish(problem, settings, cols.X[keep][m:], w)
    return smooth if smooth is not None and smooth.phi >= res.phi and smooth.certified else res


def _merge_close(problem: Problem, settings: Settings, cols: _Columns) -> _Columns | None:
    """Candidates with free support points closer than two grid steps merged (weighted mean),
    the merged points as the new active set; None when nothing merges."""
    m = problem.forced.shape[0]
    keep = np.union1d(np.arange(m), np.flatnonzero(cols.weights > 1e-9))
    step = 2.0 / (settings.grid_size(problem.space.dim) - 1)
    pts, _ = merge(problem, cols.X[keep][m:], cols.weights[keep] / cols.weights[keep].sum(), rel_dist=step)
    if pts.shape[0] == keep.size - m or pts.shape[0] == 0:
        return None
    X = np.vstack([cols.X, pts])
    F = np.concatenate([cols.F, factors(problem, pts)[0]], axis=1)
    active = np.union1d(np.arange(m), np.arange(cols.X.shape[0], X.shape[0]))
    return _Columns(X, F, active, np.zeros(X.shape[0]), cols.lam, cols.E, cols.V, cols.iterations)


def _continuous_column(problem: Problem, Emat: Array, lam: float, support: Array, settings: Settings) -> Array | None:
    """A point of the continuous space with ``tr(E I(x)) > λ_min`` (between grid points), or None."""
    model = problem.components[0].model
    if problem.space.is_finite or not model.has_derivative:
        return None

    def fn(Z: Array) -> Array:
        return quad_form(model.factors_at(Z), Emat[None])[0]

    def grad(Z: Array) -> Array:
        return np.einsum("snqij,ji->nq", model.dinfo_at(Z), Emat)

    top = maximise(fn, grad, problem.space, n_grid=settings.grid_size(problem.space.dim), extra=support)
    return top.point[None] if top.value > lam * (1.0 + settings.tol) else None


def _simple(M: Array, rel: float = 1e-4) -> bool:
    lam = np.linalg.eigvalsh(M)
    return bool(lam[1] - lam[0] > rel * abs(lam[0]))


def _smooth_polish(problem: Problem, settings: Settings, free_pts: Array, eta: Array) -> DesignResult | None:
    """Continuous refinement when λ_min is simple (E is then differentiable, ``G = v vᵀ``)."""
    if problem.space.is_finite or not problem.components[0].model.has_derivative or free_pts.shape[0] == 0:
        return None
    fixed = factors(problem, problem.forced)
    if not _simple(_moment_of(problem, fixed, free_pts, eta)):
        return None
    pts, w = refine(problem, fixed, free_pts, eta)
    pts, w = merge(problem, pts, w)
    if not _simple(_moment_of(problem, fixed, pts, w)):
        return None
    st = final_state(problem, fixed, pts, w)
    res = assemble(problem, settings, pts, w, st, {"refined": True})
    return replace(
        res,
        efficiency_formula="eff_E >= lambda_min / max_x v^T I(x) v (simple smallest eigenvalue; Pukelsheim 1993 §7.21)",
    )


def _moment_of(problem: Problem, fixed: tuple[Array, ...], pts: Array, eta: Array) -> Array:
    X = np.vstack([problem.forced, pts])
    M = (1.0 - problem.fixed_mass) * moment(factors(problem, X)[0], eta)[0]
    if problem.forced.shape[0]:
        M = M + moment(fixed[0], np.full(problem.forced.shape[0], problem.min_weight))[0]
    return M


def _relabel(res: DesignResult) -> DesignResult:
    return replace(res, efficiency_formula=E_FORMULA)


__all__ = ["e_optimal", "level"]
