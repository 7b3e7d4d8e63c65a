"""c-optimal designs for rank-one models by Elfving's theorem (a linear programme).

Elfving (1952): ξ is c-optimal iff ``c/h`` lies on the boundary of the convex hull of
``{±f(x)}``. In LP form (Harman & Jurík 2008): minimise ``Σ|uᵢ|`` subject to
``Σ uᵢ f(xᵢ) = c``; then ``wᵢ = |uᵢ| / Σ|u|`` and ``cᵀM⁻c = (Σ|u|)²``, also when ``M`` is
singular. The dual vector ``y`` (max ``cᵀy`` s.t. ``|yᵀf(x)| ≤ 1``) is the certificate:
for any design ξ' under which ``cᵀθ`` is estimable,
``cᵀM(ξ')⁻c ≥ (cᵀy)² / max_x (yᵀf(x))²``, hence ``eff_c(ξ) ≥ 1 / max_x (yᵀf(x))²``.
Points are refined by column generation: the continuous maximisers of ``|yᵀf(x)|`` are
added as candidates and the LP re-solved until the certificate holds.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog

from symfisher.errors import InputError
from symfisher.numeric.design.certificate import SensFn, maximise
from symfisher.numeric.design.criteria import Evaluation
from symfisher.numeric.design.model import PointInfo
from symfisher.numeric.design.optimize import Settings, assemble
from symfisher.numeric.design.problem import Problem, State
from symfisher.numeric.design.result import DesignResult

Array = NDArray[np.float64]
ELFVING_FORMULA = "eff_c >= 1 / max_x (y^T f(x))^2 with the Elfving LP dual y (Elfving 1952)"


def _lp(Fm: Array, c: Array) -> tuple[Array, Array]:
    """Solve ``min Σ|u| s.t. Fmᵀ u = c`` for ``Fm`` (N, p); returns ``u`` (N,) and the dual ``y`` (p,)."""
    N = Fm.shape[0]
    A_eq = np.hstack([Fm.T, -Fm.T])
    res = linprog(
        np.ones(2 * N),
        A_eq=A_eq,
        b_eq=c,
        bounds=[(0, None)] * (2 * N),
        method="highs",
        options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10},
    )
    if res.status != 0:
        raise InputError("c is not estimable on this design space (c lies outside the span of f(x))")
    return res.x[:N] - res.x[N:], np.asarray(res.eqlin.marginals)


def _dual_sensitivity(model: PointInfo, y: Array) -> tuple[SensFn, SensFn]:
    """``(yᵀf(x))²`` and its x-gradient ``2 (yᵀf) (∂f/∂x) y``; X (N, q) → (N,), (N, q)."""

    def fn(Z: Array) -> Array:
        return (model.features_at(Z)[0] @ y) ** 2

    def grad(Z: Array) -> Array:
        df = model.dinfo_at(Z)[0]  # (N, q, p, p) = df fᵀ + f dfᵀ
        return np.einsum("i,nqij,j->nq", y, df, y)

    return fn, grad


def c_optimal(problem: Problem, c: Array, settings: Settings = Settings(), rounds: int = 20) -> DesignResult:
    """c-optimal design (one rank-one component, one draw, no forced points) with its certificate.

    Examples
    --------
    >>> res = c_optimal(Problem((Component(model, LCriterion.from_c(c)),), space), c)  # doctest: +SKIP
    """
    model = problem.components[0].model
    c = np.asarray(c, dtype=float)
    X = problem.space.grid(settings.grid_size(problem.space.dim))
    smooth = model.dfeatures is not None and not problem.space.is_finite
    for r in range(rounds):
        u, y = _lp(model.features_at(X)[0], c)
        fn, grad = _dual_sensitivity(model, y)
        top = maximise(fn, grad if smooth else None, problem.space, n_grid=settings.cert_size(problem.space.dim))
        if top.value <= 1.0 + settings.tol or problem.space.is_finite:
            break
        keep = np.abs(u) > 1e-12 * np.abs(u).max()
        X = np.vstack([X, top.point[None]]) if r == 0 else np.vstack([X[keep], top.point[None], X[~keep]])
    keep = np.abs(u) > 1e-10 * np.abs(u).max()
    h = float(np.abs(u).sum())
    w = np.abs(u[keep]) / h
    cy = float(c @ y)
    G = np.outer(y, y) * cy**2
    ev = Evaluation(np.array([-2.0 * np.log(h)]), np.array([h**2]), G[None], np.array([cy**2]))
    st = State(float(-2.0 * np.log(h)), (ev,), np.zeros(0), cy**2)
    res = assemble(problem, settings, X[keep], w, st, {"column_generation_rounds": r + 1})
    from dataclasses import replace

    return replace(res, efficiency_formula=ELFVING_FORMULA)
