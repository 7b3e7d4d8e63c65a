"""Numerical checks of closed-form designs against the numeric design engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from symfisher.errors import SymfisherError


@dataclass(frozen=True)
class DesignCheck:
    """Result of :meth:`DesignSolution.check`.

    Attributes
    ----------
    points, weights : ndarray
        The closed-form design at the given values, shapes (k,) / (k, q) and (k,).
    optimal_points, optimal_weights : ndarray
        The design found by ``sf.optimal_design`` (numeric engine).
    max_point_error : float
        Largest distance between matched support points, relative to the space width.
    max_weight_error : float
        Largest difference between matched weights.
    max_sensitivity, bound : float
        Maximum of the closed-form design's sensitivity on the space and its bound.
    efficiency : float
        Efficiency of the closed-form design relative to the numeric optimum.
    ok : bool
        Points within 1e-6 of the width, weights within 1e-6, sensitivity ≤ bound·(1 + 1e-6).
    """

    points: np.ndarray
    weights: np.ndarray
    optimal_points: np.ndarray
    optimal_weights: np.ndarray
    max_point_error: float
    max_weight_error: float
    max_sensitivity: float
    bound: float
    efficiency: float
    ok: bool


def _criterion_options(solution: Any) -> dict[str, Any]:
    """The ``interest``/``c``/``L`` options the solution was derived with (those that were given)."""
    return {k: v for k, v in solution.options.items() if k in ("interest", "c", "L") and v is not None}


def _values(solution: Any, values: Mapping[Any, float]) -> dict[sp.Symbol, sp.Float]:
    by_name = {str(k): v for k, v in values.items()}
    syms = solution.design.free_symbols | set(solution.model.params)
    for e in solution.formula.values():
        syms |= e.free_symbols
    missing = sorted(s.name for s in syms if s.name not in by_name and s not in solution.roots)
    if missing:
        raise SymfisherError(f"check: give values for {missing}")
    out = {s: sp.Float(by_name[s.name], 30) for s in syms if s.name in by_name}
    out.update({u: sp.Float(r, 30) for u, r in solution.roots.items()})
    return out


def numeric_design(solution: Any, values: Mapping[Any, float]) -> tuple[np.ndarray, np.ndarray]:
    """Points and weights of ``solution`` at ``values``; see :meth:`DesignSolution.numeric_design`."""
    vals = _values(solution, values)
    xi = solution.design.subs(vals)
    pts = np.array([[float(c) for c in p] if isinstance(p, tuple) else float(p) for p in xi.points])
    w = np.array([float(v) for v in xi.weights])
    return pts, w


def check_solution(solution: Any, theta: Mapping[Any, float], *, space: Any = None, grid: int = 2001) -> DesignCheck:
    """Compare a closed-form design with the numeric optimum and its equivalence theorem."""
    from symfisher.design.optimal import optimal_design
    from symfisher.numeric.design.core import Design

    model = solution.model
    pts, w = numeric_design(solution, theta)
    if space is None:
        space = (float(np.min(pts)), float(np.max(pts)))
    lo, hi = float(space[0]), float(space[1])
    th = {p: float(theta[p] if p in theta else theta[p.name]) for p in model.params}
    opts = _criterion_options(solution)
    opt = optimal_design(model, th, space=(lo, hi), criterion=solution.criterion, **opts)
    order, oorder = np.argsort(pts), np.argsort(opt.points)
    if len(pts) != len(opt.points):
        perr, werr = float("inf"), float("inf")
    else:
        perr = float(np.max(np.abs(pts[order] - opt.points[oorder]))) / (hi - lo)
        werr = float(np.max(np.abs(w[order] - opt.weights[oorder])))
    res = _own_certificate(model, th, Design(pts, w), (lo, hi), solution, grid)
    eff = _efficiency(model, th, Design(pts, w), opt, (lo, hi), solution)
    ok = perr < 1e-6 and werr < 1e-6 and res[0] <= res[1] * (1 + 1e-6)
    return DesignCheck(pts, w, opt.points, opt.weights, perr, werr, res[0], res[1], eff, bool(ok))


def _own_certificate(
    model: Any, theta: dict[Any, float], design: Any, space: tuple[float, float], solution: Any, grid: int
) -> tuple[float, float]:
    """Max of the design's sensitivity on a fine grid (plus local refinement) and its bound."""
    from symfisher.design.optimal import build_problem
    from symfisher.numeric.design.certificate import maximise
    from symfisher.numeric.design.problem import certificate_sensitivity, factors, state

    opts = _criterion_options(solution)
    problem = build_problem(model, theta, space=space, criterion=solution.criterion, **opts)
    st = state(problem, factors(problem, design.matrix), np.asarray(design.weights, float))

    def fn(X: np.ndarray) -> np.ndarray:
        return st.scale * certificate_sensitivity(problem, st.evals, X)

    top = maximise(fn, None, problem.space, n_grid=grid, extra=design.matrix)
    return top.value, st.scale


def _efficiency(
    model: Any, theta: dict[Any, float], design: Any, opt: Any, space: tuple[float, float], solution: Any
) -> float:
    from symfisher.design.optimal import efficiency

    opts = _criterion_options(solution)
    return float(
        efficiency(design, opt.design, model=model, theta=theta, criterion=solution.criterion, space=space, **opts)
    )
