"""Optimal experimental design for regression models: the user-facing front end.

``optimal_design`` compiles the model's per-point information and its x-derivative once,
builds a numeric design problem (:mod:`symfisher.numeric.design`) and returns the
design together with its equivalence-theorem certificate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike, NDArray

from symfisher.design.dosefinding import target_dose
from symfisher.errors import DomainError, OptionError, SymfisherError
from symfisher.families.values import parameter_vector
from symfisher.models.kernels import mean_gradient, point_info
from symfisher.models.regression import Regression
from symfisher.numeric.design.api import solve
from symfisher.numeric.design.core import Design, Space
from symfisher.numeric.design.criteria import (
    ACriterion,
    DCriterion,
    DsCriterion,
    ECriterion,
    LCriterion,
)
from symfisher.numeric.design.exact import efficiency as _efficiency
from symfisher.numeric.design.optimize import Settings
from symfisher.numeric.design.problem import Component, Problem
from symfisher.numeric.design.result import DesignResult
from symfisher.options import Criterion, option

Array = NDArray[np.float64]


def theta_vector(model: Regression, theta: Mapping[Any, float]) -> Array:
    """``theta`` (symbol or name → value) as a vector in ``model.params`` order, validated
    (:func:`symfisher.families.values.parameter_vector`: unknown keys are errors)."""
    return parameter_vector(model.params, theta)


def _space(space: Any, candidates: Any, q: int) -> Space:
    if candidates is not None:
        sp_ = Space.finite(candidates)
    elif space is None:
        raise SymfisherError("give the design space: space=(lo, hi) or [(lo1, hi1), ...], or candidates=[...]")
    else:
        sp_ = Space.box(space)
    if sp_.dim != q:
        raise SymfisherError(f"the design space has {sp_.dim} factor(s), the model has {q} design variable(s)")
    return sp_


def _c_vector(model: Regression, c: Any, theta: Array) -> Array:
    if isinstance(c, sp.Basic):
        sub = dict(zip(model.params, theta))
        grad = [sp.diff(c, p).subs(sub) for p in model.params]
        return np.array([float(g) for g in grad])
    v = np.asarray(c, dtype=float).ravel()
    if v.size != len(model.params):
        raise SymfisherError(f"c has {v.size} entries, the model has {len(model.params)} parameters")
    return v


def local_criterion(
    name: Any,
    model: Regression,
    theta: Array,
    *,
    interest: Any = None,
    c: Any = None,
    L: Any = None,
    region: Any = None,
    delta: float | None = None,
    max_dose: float | None = None,
) -> Any:
    """The numeric criterion object for ``name`` ("D", "A", "E", "c", "L", "Ds", "I", "TD").

    "TD" (alias "MED") is c-optimality for the target dose (:func:`target_dose`: the smallest
    dose in ``(0, max_dose]`` raising the linear predictor by ``delta`` over dose 0), with
    ``c = ∇TD`` by implicit differentiation; "Dopt&TD" is expanded by :func:`optimal_design`.
    """
    crit = option(Criterion, name, "criterion")
    p = len(model.params)
    if crit is Criterion.TD:
        return _td_criterion(model, theta, delta, max_dose)
    if crit is Criterion.DOPT_TD:
        raise OptionError("criterion 'Dopt&TD' is a compound: pass it to optimal_design (or use sf.dose_design)")
    if crit is Criterion.D:
        return DCriterion()
    if crit is Criterion.A:
        return ACriterion()
    if crit is Criterion.E:
        return ECriterion()
    if crit is Criterion.C:
        if c is None:
            raise SymfisherError("criterion 'c' needs c= (a vector or an expression g(θ))")
        return LCriterion.from_c(_c_vector(model, c, theta))
    if crit is Criterion.L:
        if L is None:
            raise SymfisherError("criterion 'L' needs L= (a p×p matrix)")
        return LCriterion.from_matrix(L, p)
    if crit is Criterion.DS:
        return DsCriterion(_interest(model, interest))
    if region is None:
        raise SymfisherError("criterion 'I' needs region=(points, weights) or region=points")
    pts, w = region if isinstance(region, tuple) and len(region) == 2 else (region, None)
    X = np.asarray(pts, float).reshape(len(np.asarray(pts)), -1)
    w = np.full(X.shape[0], 1.0 / X.shape[0]) if w is None else np.asarray(w, float) / np.sum(w)
    g = mean_gradient(model, theta, X)
    return LCriterion.from_matrix((g * w[:, None]).T @ g, p, name="I")


def _td_criterion(model: Regression, theta: Array, delta: float | None, max_dose: float | None) -> LCriterion:
    if len(model.x) != 1 or max_dose is None:
        raise OptionError(
            f"criterion 'TD' needs one design variable (a dose) and a dose interval or dose candidates; "
            f"this model has {len(model.x)} design variables (for candidate model sets use sf.dose_design)"
        )
    if delta is None:
        raise OptionError("criterion 'TD' needs delta= (the clinically relevant effect, as in sf.dose_design)")
    return LCriterion.from_c(target_dose(model, theta, float(delta), max_dose)[1])


def _expand(criterion: Any) -> Any:
    """``"Dopt&TD"`` → ``[("D", ½), ("TD", ½)]`` (DoseFinding's compound; other criteria unchanged)."""
    if isinstance(criterion, (str, Criterion)) and option(Criterion, criterion, "criterion") is Criterion.DOPT_TD:
        return [(Criterion.D, 0.5), (Criterion.TD, 0.5)]
    return criterion


def _interest(model: Regression, interest: Any) -> tuple[int, ...]:
    if interest is None:
        raise SymfisherError("criterion 'Ds' needs interest=[parameters of interest]")
    names = [s.name for s in model.params]
    idx = []
    for s in interest if isinstance(interest, (list, tuple)) else [interest]:
        key = s.name if isinstance(s, sp.Symbol) else str(s)
        if key not in names:
            raise SymfisherError(f"interest: {key} is not a parameter of the model ({names})")
        idx.append(names.index(key))
    return tuple(idx)


def _components(
    model: Any,
    theta: Any,
    prior: Any,
    criterion: Any,
    space: Space,
    model_weights: Any,
    kw: dict[str, Any],
    on_draws: Any = None,
) -> tuple[Component, ...]:
    models = list(model) if isinstance(model, (list, tuple)) else [model]
    mw = np.full(len(models), 1.0 / len(models)) if model_weights is None else np.asarray(model_weights, float)
    crits = criterion if isinstance(criterion, (list, tuple)) else [(criterion, 1.0)]
    comps = []
    for m in models:
        if not isinstance(m, Regression):
            raise SymfisherError(f"model must be a symfisher Regression, got {type(m).__name__}")
    known = {p.name for m in models for p in m.params}
    for th in theta if isinstance(theta, (list, tuple)) else [theta or {}]:
        unknown = sorted({k.name if isinstance(k, sp.Symbol) else str(k) for k in th} - known)
        if unknown:  # a typo must never be ignored silently
            raise DomainError(f"theta has unknown parameter(s) {unknown}; the models' parameters are {sorted(known)}")
    for m, a in zip(models, mw / mw.sum()):
        if prior is not None:
            draws, pw = _prior(m, prior)
            comps += _per_criterion(m, draws, draws.T @ pw, pw * a, crits, space, kw, on_draws)
        elif isinstance(theta, (list, tuple)):
            for th in theta:
                t = theta_vector(m, _own(m, th))
                comps += _per_criterion(m, t[None], t, np.full(1, a / len(theta)), crits, space, kw, on_draws)
        else:
            t = theta_vector(m, _own(m, theta or {}))
            comps += _per_criterion(m, t[None], t, np.full(1, a), crits, space, kw, on_draws)
    return tuple(comps)


def _own(m: Regression, theta: Mapping[Any, float]) -> dict[Any, float]:
    """The entries of ``theta`` that name parameters of ``m`` (others belong to other models)."""
    names = {p.name for p in m.params}
    return {k: v for k, v in theta.items() if (k.name if isinstance(k, sp.Symbol) else str(k)) in names}


def _prior(m: Regression, prior: Any) -> tuple[Array, Array]:
    """Prior draws (S, p) and weights (S,) summing to one."""
    draws, pw = prior if isinstance(prior, tuple) else (prior, None)
    draws = np.atleast_2d(np.asarray(draws, float))
    if draws.shape[1] != len(m.params):
        raise SymfisherError(f"prior draws have {draws.shape[1]} columns, the model has {len(m.params)} parameters")
    if not np.all(np.isfinite(draws)):
        raise SymfisherError("prior draws contain non-finite values")
    for col in (draws.min(axis=0), draws.max(axis=0)):  # domains are intervals: the extremes decide
        theta_vector(m, dict(zip(m.params, col)))
    pw = np.full(draws.shape[0], 1.0 / draws.shape[0]) if pw is None else np.asarray(pw, float)
    if pw.shape != (draws.shape[0],) or np.any(pw < 0) or pw.sum() <= 0:
        raise SymfisherError(f"prior weights must be {draws.shape[0]} non-negative numbers, got shape {pw.shape}")
    return draws, pw / pw.sum()


def _per_criterion(
    m: Regression,
    draws: Array,
    th0: Array,
    weights: Array,
    crits: Any,
    space: Space,
    kw: dict[str, Any],
    on_draws: Any = None,
) -> list[Component]:
    info = point_info(m, draws, space.bounds, on_draws=on_draws)
    total = sum(w for _, w in crits)
    top = float(space.bounds[0, 1]) if space.dim == 1 else None
    return [
        Component(info, local_criterion(name, m, th0, max_dose=top, **kw), weights * cw / total) for name, cw in crits
    ]


def build_problem(
    model: Any,
    theta: Any = None,
    *,
    space: Any = None,
    criterion: Any = "D",
    prior: Any = None,
    candidates: Any = None,
    include: Any = None,
    min_weight: float = 0.0,
    model_weights: Any = None,
    on_draws: Any = None,
    **kw: Any,
) -> Problem:
    """The numeric :class:`~symfisher.numeric.design.problem.Problem` behind :func:`optimal_design`.

    ``on_draws`` evaluates the per-draw information (see :func:`symfisher.models.kernels.point_info`).
    """
    first = model[0] if isinstance(model, (list, tuple)) else model
    spc = _space(space, candidates, len(first.x))
    comps = _components(model, theta, prior, _expand(criterion), spc, model_weights, kw, on_draws)
    forced = np.zeros((0, spc.dim)) if include is None else np.asarray(include, float).reshape(-1, spc.dim)
    if min_weight and forced.shape[0] == 0:
        raise SymfisherError("min_weight applies to forced points: give include=[...]")
    return Problem(comps, spc, forced, float(min_weight))


def optimal_design(
    model: Any,
    theta: Mapping[Any, float] | None = None,
    *,
    space: Any = None,
    criterion: Any = "D",
    interest: Sequence[Any] | None = None,
    c: Any = None,
    L: ArrayLike | None = None,
    region: Any = None,
    delta: float | None = None,
    prior: Any = None,
    candidates: ArrayLike | None = None,
    include: ArrayLike | None = None,
    min_weight: float = 0.0,
    model_weights: ArrayLike | None = None,
    maximin: bool = False,
    grid: int = 0,
    tol: float = 1e-7,
    client: Any = None,
) -> DesignResult:
    """Optimal approximate design with its equivalence-theorem certificate.

    Parameters
    ----------
    model : Regression or list of Regression
        A list gives a model-robust design (``model_weights``, equal by default).
    theta : dict or list of dict
        Parameter values (symbol or name → number) for a locally optimal design; a list
        of guesses gives their equal-weight average or, with ``maximin=True``, the
        maximin-efficiency design over them.
    space : (lo, hi) or list of (lo, hi)
        The design space (a box); or ``candidates`` for a finite set.
    criterion : str or list of (str, weight)
        "D", "A", "E", "c", "L", "Ds", "I"; a list gives a compound criterion. For a model
        with one design variable (a dose): "TD" (alias "MED"; c-optimal for the target dose
        raising the linear predictor by ``delta`` over dose 0, ``c = ∇TD``) and "Dopt&TD"
        (``[("D", ½), ("TD", ½)]``), DoseFinding's definitions (see also :func:`dose_design`).
    interest, c, L, region, delta
        Ds parameters; c vector or expression g(θ) (c = ∇g); L matrix; I-region
        ``(points, weights)``; the clinically relevant effect Δ of TD.
    prior : (draws (S, p), weights (S,)) or draws
        Bayesian design: the average of the log-criterion over the draws.
    include, min_weight
        Forced points and the minimum weight of each.
    model_weights, maximin
        Weights of a model-robust design; maximin efficiency over models / guesses.
    grid, tol
        Candidate grid points per factor (0: default) and certificate tolerance.
    client : distributed.Client, optional
        Compute the per-draw information matrices on this Dask cluster (prior draws
        split into chunks; the solver runs here). Same result as without it.

    Returns
    -------
    DesignResult
        ``.points, .weights, .criterion_value, .sensitivity(xs), .sensitivity_bound,
        .max_sensitivity, .efficiency_bound, .efficiency_formula, .round(n)``.

    Examples
    --------
    >>> x = sp.Symbol("x", nonnegative=True); e0, emax = sp.symbols("e0 emax", real=True)
    >>> ed50 = sp.Symbol("ed50", positive=True)
    >>> m = Regression(e0 + emax * x / (ed50 + x), x, [e0, emax, ed50], sigma=1)
    >>> d = optimal_design(m, {e0: 0, emax: 1, ed50: 25}, space=(0, 150))
    >>> np.round(d.points, 6).tolist()
    [0.0, 18.75, 150.0]
    """
    on_draws = None
    if client is not None:
        from symfisher.dask.design import draw_evaluator

        on_draws = draw_evaluator(client)
    problem = build_problem(
        model,
        theta,
        space=space,
        criterion=criterion,
        prior=prior,
        candidates=candidates,
        include=include,
        min_weight=min_weight,
        model_weights=model_weights,
        interest=interest,
        c=c,
        L=L,
        region=region,
        delta=delta,
        on_draws=on_draws,
    )
    if maximin:
        from symfisher.numeric.design.maximin import maximin as _maximin

        if problem.forced.shape[0]:
            raise SymfisherError("maximin designs do not support forced points (include=)")
        return _maximin(problem, Settings(grid=grid, tol=tol))
    return solve(problem, Settings(grid=grid, tol=tol))


def efficiency(
    design: Any, reference: Any, *, model: Any = None, theta: Any = None, criterion: Any = "D", **options: Any
) -> float:
    """Efficiency of ``design`` relative to ``reference`` (D: ``(det M/det M_ref)^(1/p)``).

    ``reference`` may be a :class:`DesignResult` (then ``model``/``theta`` default to its
    problem) or a :class:`Design`. The sample-size ratio is ``1 / efficiency``.

    Examples
    --------
    >>> x = sp.Symbol("x"); a, b = sp.symbols("a b", real=True)
    >>> m = Regression(a + b * x, x, [a, b], sigma=1)
    >>> round(efficiency(Design([-1, 0, 1]), Design([-1, 1]), model=m, theta={a: 0, b: 1}, space=(-1, 1)), 6)
    0.816497
    """
    ref = reference.design if isinstance(reference, DesignResult) else _as_design(reference)
    des = design.design if isinstance(design, DesignResult) else _as_design(design)
    if model is None:
        if not isinstance(reference, DesignResult):
            raise SymfisherError("efficiency: give the model (and theta) or a DesignResult as reference")
        problem = reference.problem
    else:
        space = options.pop("space", None)
        if space is None:  # the reference design's space: the box spanned by its points
            lo, hi = ref.matrix.min(axis=0), ref.matrix.max(axis=0)
            space = list(zip(lo, np.maximum(hi, lo + 1)))
            outside = ~np.all((des.matrix >= lo) & (des.matrix <= np.maximum(hi, lo + 1)), axis=1)
            if outside.any():
                raise DomainError(
                    f"efficiency: design point {des.points[int(np.argmax(outside))]} lies outside the "
                    f"reference design's space {space}; give space= explicitly"
                )
        problem = build_problem(model, theta, space=space, criterion=criterion, **options)
    problem.space.check_design(des)
    return _efficiency(problem, des, ref)


def _as_design(obj: Any) -> Design:
    if isinstance(obj, Design):
        return obj
    if isinstance(obj, tuple) and len(obj) == 2:
        return Design(*obj)
    return Design(obj)
