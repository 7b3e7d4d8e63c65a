"""Dose-finding designs with DoseFinding's models and criteria (Bornkamp, Pinheiro & Bretz).

* :func:`dose_models` — a ``Mods``-like candidate set: each model in DoseFinding's
  parametrisation, its shape parameters from a guesstimate, ``e0`` and the effect scale fixed
  so that the placebo response is ``placebo`` and the largest effect over ``[0, max dose]`` is
  ``max_effect`` (DoseFinding's ``Mods(..., placEff, maxEff)`` rule), with prior weights.
* :func:`target_dose` — TD: the smallest dose with ``f(d) - f(0) = Δ``, and its gradient by
  implicit differentiation, ``∇TD = -(∇f(TD) - ∇f(0)) / f'(TD)`` (no closed form needed).
* :func:`dose_design` — ``criterion="Dopt"`` (``Σ πₘ (-log det Mₘ)/pₘ``), ``"TD"`` (alias
  ``"MED"``, DoseFinding's older name; ``Σ πₘ log bₘᵀMₘ⁻bₘ``, ``bₘ = ∇TD``) and ``"Dopt&TD"``
  (``Σ πₘ (-½ log det Mₘ / pₘ + ½ log bₘᵀMₘ⁻bₘ)``), as in DoseFinding's ``optDesign`` /
  ``calcCrit`` (src/optDes.c ``critfunc``, ``standDopt = TRUE``); on the candidate doses
  (finite) or on a dose interval (continuous).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq, minimize_scalar

from symfisher.errors import DomainError, InputError
from symfisher.models.regression import Regression
from symfisher.numeric.design.api import solve
from symfisher.numeric.design.core import Space
from symfisher.numeric.design.criteria import DCriterion, LCriterion
from symfisher.numeric.design.model import PointInfo
from symfisher.numeric.design.optimize import Settings
from symfisher.numeric.design.problem import Component, Problem
from symfisher.numeric.design.result import DesignResult

Array = NDArray[np.float64]
X = sp.Symbol("x", nonnegative=True)
E0, EMAX, B1 = sp.symbols("e0 eMax b1", real=True)
ED50, H, DELTA, D1, D2 = sp.symbols("ed50 h delta delta1 delta2", positive=True)
B2 = sp.Symbol("b2", real=True)
GRID = 20001
"""Dose grid for the maximal effect and the bracketing of TD (refined by a bounded search / Brent)."""


def _shapes(scal: float, off: float) -> dict[str, tuple[Any, list[sp.Symbol], Callable[..., list[float]]]]:
    """name → (standardised shape f0(x; guess), guess symbols, (e0, s, guess) → parameter vector)."""
    beta = (D1 + D2) ** (D1 + D2) / (D1**D1 * D2**D2) * (X / scal) ** D1 * (1 - X / scal) ** D2
    return {
        "emax": (X / (ED50 + X), [ED50], lambda e, s, g: [e, s, *g]),
        "sigEmax": (X**H / (ED50**H + X**H), [ED50, H], lambda e, s, g: [e, s, *g]),
        "exponential": (sp.exp(X / DELTA) - 1, [DELTA], lambda e, s, g: [e, s, *g]),
        "logistic": (1 / (1 + sp.exp((ED50 - X) / DELTA)), [ED50, DELTA], lambda e, s, g: [e, s, *g]),
        "betaMod": (beta, [D1, D2], lambda e, s, g: [e, s, *g]),
        "quadratic": (X + DELTA * X**2, [DELTA], lambda e, s, g: [e, s, s * g[0]]),
        "linear": (X, [], lambda e, s, g: [e, s]),
        "linlog": (sp.log(X + off), [], lambda e, s, g: [e, s]),
    }


def dose_regression(name: str, *, scal: float = 200.0, off: float = 1.0) -> Regression:
    """The DoseFinding model ``name`` as a normal regression (σ = 1) in DoseFinding's parameters."""
    quad = sp.Symbol("b2", real=True)
    table = {
        "emax": (E0 + EMAX * X / (ED50 + X), [E0, EMAX, ED50]),
        "sigEmax": (E0 + EMAX * X**H / (ED50**H + X**H), [E0, EMAX, ED50, H]),
        "exponential": (E0 + EMAX * (sp.exp(X / DELTA) - 1), [E0, EMAX, DELTA]),
        "logistic": (E0 + EMAX / (1 + sp.exp((ED50 - X) / DELTA)), [E0, EMAX, ED50, DELTA]),
        "betaMod": (E0 + EMAX * _shapes(scal, off)["betaMod"][0], [E0, EMAX, D1, D2]),
        "quadratic": (E0 + B1 * X + quad * X**2, [E0, B1, quad]),
        "linear": (E0 + DELTA * X, [E0, DELTA]),
        "linlog": (E0 + DELTA * sp.log(X + off), [E0, DELTA]),
    }
    if name not in table:
        raise InputError(f"unknown dose-response model {name!r}; known: {sorted(table)}")
    expr, params = table[name]
    return Regression(expr, X, params, sigma=1, name=name)


@dataclass(frozen=True)
class DoseModels:
    """A candidate model set with prior weights (DoseFinding's ``Mods`` + ``probs``).

    Attributes
    ----------
    names : tuple of str
    models : tuple of Regression
    thetas : tuple of ndarray, each shape (p_m,)
        Full parameter vectors in DoseFinding's order.
    probs : ndarray, shape (M,)
        Prior model weights summing to one.
    doses : ndarray, shape (D,)
    """

    names: tuple[str, ...]
    models: tuple[Regression, ...]
    thetas: tuple[Array, ...]
    probs: Array
    doses: Array


def _peak(f0: Callable[[Array], Array], hi: float) -> float:
    grid = np.linspace(0.0, hi, GRID)
    vals = f0(grid)
    i = int(np.nanargmax(vals))
    lo_, hi_ = grid[max(i - 1, 0)], grid[min(i + 1, GRID - 1)]
    res = minimize_scalar(
        lambda d: -float(f0(np.array([d]))[0]), bounds=(lo_, hi_), method="bounded", options={"xatol": 1e-12}
    )
    return max(float(vals[i]), -float(res.fun))


def dose_models(
    doses: ArrayLike,
    *,
    placebo: float = 0.0,
    max_effect: float = 1.0,
    probs: ArrayLike | None = None,
    scal: float | None = None,
    off: float = 1.0,
    **guesses: Any,
) -> DoseModels:
    """Candidate models from guesstimates, e.g. ``dose_models(doses, emax=25, sigEmax=(25, 5), linear=None)``.

    Examples
    --------
    >>> m = dose_models([0, 10, 25, 50, 100, 150], emax=25)
    >>> np.round(m.thetas[0], 6).tolist()
    [0.0, 1.166667, 25.0]
    """
    d = np.sort(np.asarray(doses, dtype=float).ravel())
    if d.size < 2 or d[0] < 0:
        raise InputError(f"doses must be >= 0 with at least two levels, got {d.tolist()}")
    scal = 1.2 * d[-1] if scal is None else float(scal)
    shapes = _shapes(scal, off)
    names, models, thetas = [], [], []
    for name, guess in guesses.items():
        if name not in shapes:
            raise InputError(f"unknown dose-response model {name!r}; known: {sorted(shapes)}")
        f0, syms, pack = shapes[name]
        g = [] if guess is None else [float(v) for v in np.atleast_1d(guess)]
        if len(g) != len(syms):
            raise InputError(f"{name} needs {len(syms)} guesstimate(s) {[s.name for s in syms]}, got {g}")
        fn = sp.lambdify(X, f0.subs(dict(zip(syms, g))), "numpy")
        f = lambda v, fn=fn: np.broadcast_to(np.asarray(fn(v), float), np.shape(v))  # noqa: E731
        base = float(f(np.array([0.0]))[0])
        s = max_effect / (_peak(f, d[-1]) - base)
        names.append(name)
        models.append(dose_regression(name, scal=scal, off=off))
        thetas.append(np.array(pack(placebo - s * base, s, g), dtype=float))
    pw = np.full(len(names), 1.0 / max(len(names), 1)) if probs is None else np.asarray(probs, float)
    if not names or pw.shape != (len(names),) or np.any(pw < 0) or pw.sum() <= 0:
        raise InputError(f"give at least one model and {len(names)} non-negative probs, got {pw.tolist()}")
    return DoseModels(tuple(names), tuple(models), tuple(thetas), pw / pw.sum(), d)


@dataclass(frozen=True)
class _Compiled:
    """NumPy callables ``(x, *θ)`` of one model: mean, ∂mean/∂x, ∇θ mean (p lists), ∂/∂x ∇θ mean."""

    mean: Callable[..., Any]
    slope: Callable[..., Any]
    grad: Callable[..., Any]
    dgrad: Callable[..., Any]


_COMPILED: dict[int, tuple[Regression, _Compiled]] = {}


def _compiled(model: Regression) -> _Compiled:
    """Lambdified once per model object (θ an argument), so repeated designs skip SymPy."""
    hit = _COMPILED.get(id(model))
    if hit is not None and hit[0] is model:
        return hit[1]
    mu, ps, x = model.predictor, list(model.params), model.x[0]
    grad = [sp.diff(mu, p) for p in ps]
    out = _Compiled(
        *(sp.lambdify([x, *ps], e, "numpy") for e in (mu, sp.diff(mu, x), grad, [sp.diff(g, x) for g in grad]))
    )
    _COMPILED[id(model)] = (model, out)
    return out


def _clean(fn: Callable[..., Any], x: Array, theta: Array) -> Array:
    """``fn(x, *θ)`` stacked to (N, p); NaN/inf (``0 · log 0`` at dose 0) replaced by the limit 0."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        vals = fn(x, *theta)
        out = np.empty((len(vals),) + x.shape)
        for j, v in enumerate(vals):
            out[j] = v  # broadcasts constant entries (e.g. the intercept's 1)
    out = np.moveaxis(out, 0, -1)
    out[~np.isfinite(out)] = 0.0
    return out


def target_dose(model: Regression, theta: ArrayLike, delta: float, max_dose: float) -> tuple[float, Array]:
    """TD (smallest dose in ``(0, max_dose]`` with ``f(d) - f(0) = Δ``) and ``∂TD/∂θ`` (p,).

    ``f`` is the model's linear predictor in its one design variable (the mean for the
    identity link, as in DoseFinding)."""
    th = np.asarray(theta, float)
    c = _compiled(model)
    f0 = float(c.mean(0.0, *th))
    grid = np.linspace(0.0, max_dose, GRID)
    gap = np.broadcast_to(np.asarray(c.mean(grid, *th), float), grid.shape) - f0 - delta
    hit = np.flatnonzero(gap >= 0.0)
    if delta <= 0 or hit.size == 0 or hit[0] == 0:
        raise DomainError(f"TD for Δ = {delta} does not exist in (0, {max_dose}] for the {model.name} model")
    td = brentq(lambda v: float(c.mean(v, *th)) - f0 - delta, grid[hit[0] - 1], grid[hit[0]], xtol=1e-14)
    g = _clean(c.grad, np.array([td, 0.0]), th)  # x^h log x -> 0 at dose 0
    return float(td), -(g[0] - g[1]) / float(c.slope(td, *th))


def _point_info(model: Regression, theta: Array) -> PointInfo:
    """Rank-one information ``∇f ∇fᵀ`` (σ = 1) from SymPy, with the limits at dose 0 taken exactly.

    DoseFinding's gradients contain ``xᵃ log x`` (sigEmax, betaMod; ``a > 0``), whose limit at
    ``x = 0`` is 0: NaN from ``0 · (-inf)`` is replaced by that limit (and an infinite x-slope at
    the boundary by 0, which keeps a support point at dose 0 there during refinement).
    """
    c, th = _compiled(model), np.asarray(theta, float)
    return PointInfo.rank_one(
        lambda P: _clean(c.grad, P[:, 0], th),
        lambda P: _clean(c.dgrad, P[:, 0], th)[:, None, :],
        n_params=len(model.params),
    )


_CRITERIA = {"dopt": "Dopt", "d": "Dopt", "td": "TD", "med": "TD", "dopt&td": "Dopt&TD"}


def dose_design(
    models: DoseModels,
    criterion: str = "Dopt",
    *,
    delta: float | None = None,
    candidates: ArrayLike | None = None,
    space: Any = None,
    grid: int = 0,
    tol: float = 1e-7,
) -> DesignResult:
    """Optimal design for the candidate set: on ``candidates`` (default ``models.doses``) or a ``space``.

    Examples
    --------
    >>> m = dose_models([0, 10, 25, 50, 100, 150], emax=25)
    >>> np.round(dose_design(m, "Dopt").weights, 6).tolist()
    [0.333333, 0.333333, 0.333333]
    """
    kind = _CRITERIA.get(str(criterion).lower())
    if kind is None:
        raise InputError(f"criterion must be 'Dopt', 'TD' (alias 'MED') or 'Dopt&TD', got {criterion!r}")
    if kind != "Dopt" and delta is None:
        raise InputError(f"criterion {kind!r} needs delta= (the clinically relevant effect)")
    spc = (
        Space.box(space)
        if space is not None
        else Space.finite(models.doses if candidates is None else np.asarray(candidates, float))
    )
    hi = float(spc.bounds[0, 1])
    comps: list[Component] = []
    for m, th, pi in zip(models.models, models.thetas, models.probs):
        if pi == 0:
            continue
        info = _point_info(m, th)
        crits: list[tuple[Any, float]] = []
        if kind in ("Dopt", "Dopt&TD"):
            crits.append((DCriterion(), 1.0))
        if kind in ("TD", "Dopt&TD"):
            crits.append((LCriterion.from_c(target_dose(m, th, float(delta), hi)[1]), 1.0))  # type: ignore[arg-type]
        comps += [Component(info, c, np.array([pi * w / len(crits)])) for c, w in crits]
    return solve(Problem(tuple(comps), spc), Settings(grid=grid, tol=tol))


def dosefinding_criterion(result: DesignResult) -> float:
    """DoseFinding's ``crit`` of a :func:`dose_design` result: ``-Σ α φ`` (component weights ``α``
    are ``πₘ`` for Dopt and TD, ``πₘ/2`` for each half of Dopt&TD), i.e. ``-result.phi``."""
    return -float(result.phi)
