"""``optimal_population_design``: exact designs — sampling times within windows, group sizes.

The sampling times of every group are optimised continuously (SLSQP) inside their
windows, with a minimum spacing between consecutive times of the same group and
response; the gradient is a forward difference of the *exact* (compiled, symbolic)
information, all perturbed designs evaluated in one kernel call. Group sizes for a fixed
total are optimised as design weights (multiplicative algorithm) and rounded.

Criteria: ``D``/``lnD``, ``Ds`` (``interest``), ``A``, ``c`` (``c``), ``E`` at one
parameter value, and over a prior sample (``prior`` = M draws): ``ED`` = log E[det M]
(computed as a log-mean-exp of log-determinants) and ``ELD`` = E[log det M]; the other
criteria average their utility over the draws.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize, nnls

from symfisher.errors import DesignSpaceError, DomainError
from symfisher.population import criteria
from symfisher.population.design import PopulationDesign, layout
from symfisher.population.fim import (
    Evaluator,
    design_of,
    evaluator,
    population_fim,
    theta_matrix,
)
from symfisher.population.model import PopulationModel
from symfisher.population.report import PopulationFIM
from symfisher.population.space import (
    Variables,
    check_inside,
    covariate_variables,
    random_start,
    spacing_pairs,
    windows_of,
)

__all__ = [
    "Objective",
    "PopulationDesignResult",
    "optimal_population_design",
    "windows_of",
]

Array = NDArray[np.float64]
PRIOR_CRITERIA = ("ED", "ELD")


@dataclass(frozen=True)
class PopulationDesignResult:
    """An optimised population design with its comparison to the initial one.

    Attributes
    ----------
    design : PopulationDesign
    fim, initial : PopulationFIM
        Information at the nominal ``theta`` of the optimised and the initial design.
    criterion : str
    value, initial_value : float
        The utility maximised (log det for D; averaged over the prior for ED/ELD).
    efficiency : float
        D-efficiency of the initial design relative to the optimised one,
        ``(det M_init / det M_opt)^(1/P)`` at ``theta``.
    subjects_ratio : float
        ``1 / efficiency``: how many times the subjects the initial design needs for the
        precision (determinant) of the optimised design.
    evaluations : int
        Information matrices evaluated (prior draws counted).
    seconds : float
    converged : bool
    message : str
    """

    design: PopulationDesign
    fim: PopulationFIM
    initial: PopulationFIM
    criterion: str
    value: float
    initial_value: float
    efficiency: float
    subjects_ratio: float
    evaluations: int
    seconds: float
    converged: bool
    message: str

    def summary(self) -> str:
        """Text: the optimised times per group, criterion values and the efficiency gain."""
        lines = [
            (
                f"{self.criterion}-optimised population design ({self.seconds:.2f} s, "
                f"{self.evaluations} information matrices, {'converged' if self.converged else self.message})"
            )
        ]
        for i, g in enumerate(self.design.groups):
            ts = "; ".join(", ".join(f"{v:.4g}" for v in t) for t in g.times)
            lines.append(f"  group {i + 1}: n = {g.n:g}, times {ts}")
        lines.append(
            f"criterion {self.initial_value:.6g} -> {self.value:.6g}; D-efficiency of the initial design "
            f"{self.efficiency:.4f}: it needs {self.subjects_ratio:.3f}x the subjects"
        )
        return "\n".join(lines)


@dataclass(frozen=True)
class Objective:
    """Utility of sampling times (and sizes) over a batch of parameter values."""

    ev: Evaluator
    lay: Any
    mat: Array
    criterion: str
    interest: tuple[str, ...] | None
    c: Array | None

    def utilities(self, times: Array, sizes: Array | None = None, cov: Array | None = None) -> Array:
        """Aggregated utility of D designs (rows of ``times``; ``cov`` (D, N, c)): (D,)."""
        d = np.atleast_2d(times).shape[0]
        info = self.ev.information(self.lay, self.mat, times=times, sizes=sizes, cov=cov)
        return self.aggregate(info.reshape(d, self.mat.shape[0], *info.shape[1:]))

    def aggregate(self, info: Array) -> Array:
        """(D, M, P, P) → (D,) utility averaged over the M draws as the criterion says."""
        params = self.ev.model.parameters
        if self.criterion in PRIOR_CRITERIA:
            ld = criteria.logdet(info)
            if self.criterion == "ELD":
                return ld.mean(axis=1)
            top = ld.max(axis=1, keepdims=True)
            safe = np.where(np.isfinite(top), top, 0.0)
            return (safe[:, 0] + np.log(np.mean(np.exp(ld - safe), axis=1))).astype(float)
        return criteria.utility(info, self.criterion, params, self.interest, self.c).mean(axis=1)


def _optimise(
    obj: Objective,
    var: Variables,
    x0: Array,
    lo: Array,
    hi: Array,
    pairs: list[tuple[int, int]],
    spacing: float,
    maxiter: int,
) -> tuple[Array, float, int, bool, str]:
    scale = np.maximum(hi - lo, 1e-12)
    n, evals = len(x0), [0]

    def fg(u: Array) -> tuple[float, Array]:
        x = lo + u * scale
        h = 1e-5
        step = h * scale * np.eye(n)
        times, cov = var.split(np.vstack([x, x + step, x - step]))
        vals = obj.utilities(times, cov=cov)
        evals[0] += times.shape[0] * obj.mat.shape[0]
        if not np.all(np.isfinite(vals)):
            return 1e10, np.zeros(n)
        return -float(vals[0]), -(vals[1 : n + 1] - vals[n + 1 :]) / (2 * h)

    cons = (
        [
            {
                "type": "ineq",
                "fun": (lambda u, i=i, j=j: (u[j] * scale[j] + lo[j]) - (u[i] * scale[i] + lo[i]) - spacing),
                "jac": (lambda u, i=i, j=j: _pair_jac(n, i, j, scale)),
            }
            for i, j in pairs
        ]
        if spacing > 0
        else []
    )
    res = minimize(
        fg,
        (x0 - lo) / scale,
        jac=True,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * n,
        constraints=cons,
        options={"maxiter": maxiter, "ftol": 1e-12},
    )
    x = np.clip(lo + res.x * scale, lo, hi)
    if res.success:
        return x, -float(res.fun), evals[0], True, str(res.message)
    # SLSQP stops with "Positive directional derivative for linesearch" when the finite-difference
    # gradient's own error is larger than the remaining gain; first-order optimality decides.
    u = np.clip(res.x, 0.0, 1.0)
    residual = _kkt_residual(fg(u)[1], u, pairs if spacing > 0 else [], lo, scale, spacing)
    if residual <= KKT_TOL:
        return x, -float(res.fun), evals[0], True, f"first-order optimality (KKT) verified, residual {residual:.1e}"
    return x, -float(res.fun), evals[0], False, f"{res.message} (KKT residual {residual:.1e})"


KKT_TOL = 1e-6
"""Largest accepted KKT residual (``max |∇f - Aᵀλ|`` over ``max(1, max |∇f|)``, scaled variables)."""


def _kkt_residual(
    grad: Array, u: Array, pairs: list[tuple[int, int]], lo: Array, scale: Array, spacing: float, act: float = 1e-7
) -> float:
    """Relative residual of ``∇f = Σ λ_k ∇c_k``, ``λ ≥ 0``, over the active constraints ``c_k(u) ≥ 0``.

    Constraints: the bounds ``0 ≤ u ≤ 1`` and the spacings ``t_j - t_i ≥ spacing`` (scaled
    variables ``t = lo + u scale``); a constraint is active within ``act``. The multipliers are
    the non-negative least-squares fit (scipy.optimize.nnls).
    """
    n = len(u)
    cols = [np.eye(n)[i] for i in range(n) if u[i] <= act] + [-np.eye(n)[i] for i in range(n) if u[i] >= 1 - act]
    t = lo + u * scale
    cols += [_pair_jac(n, i, j, scale) for i, j in pairs if t[j] - t[i] - spacing <= act * max(scale[i], scale[j])]
    if not cols:
        return float(np.max(np.abs(grad)) / max(1.0, float(np.max(np.abs(grad)))))
    a = np.column_stack(cols)
    lam, _ = nnls(a, grad)
    return float(np.max(np.abs(grad - a @ lam)) / max(1.0, float(np.max(np.abs(grad)))))


def _pair_jac(n: int, i: int, j: int, s: Array) -> Array:
    g = np.zeros(n)
    g[j], g[i] = s[j], -s[i]
    return g


def _optimise_sizes(obj: Objective, t: Array, total: float, iters: int = 500) -> Array:
    """Group fractions by the multiplicative algorithm for D (w_g ← w_g tr(M⁻¹M_g)/P), scaled to ``total``."""
    per = obj.ev.per_group(obj.lay, obj.mat, times=t[None, :])
    mats = np.stack([p.mean(axis=0) for p in per])  # (G, P, P) averaged over draws
    w = np.full(len(mats), 1.0 / len(mats))
    p = mats.shape[-1]
    for _ in range(iters):
        m = np.einsum("g,gij->ij", w, mats)
        d = np.einsum("ij,gji->g", np.linalg.inv(m), mats)
        w = w * d / p
    return _round(w * total, total)


def _round(x: Array, total: float) -> Array:
    """Largest-remainder rounding of ``x`` to integers summing to ``total``."""
    base = np.floor(x)
    short = round(total - base.sum())
    order = np.argsort(-(x - base))
    base[order[:short]] += 1
    return base


def optimal_population_design(
    model: PopulationModel,
    design: Any,
    theta: Any,
    *,
    criterion: str = "D",
    windows: Any = None,
    min_spacing: float = 0.0,
    prior: Any = None,
    interest: Sequence[str] | None = None,
    c: Any = None,
    sizes: bool = False,
    total: float | None = None,
    structure: str = "full",
    starts: int = 0,
    seed: int = 0,
    maxiter: int = 200,
    covariates: Mapping[str, tuple[float, float]] | None = None,
) -> PopulationDesignResult:
    """Optimise the sampling times (and group sizes) of a population design.

    Parameters
    ----------
    model : PopulationModel
    design : design or mapping/list of mappings
        Initial design; its number of samples per group and response is kept.
    theta : mapping
        Nominal parameter values (the reported FIMs are computed there).
    criterion : {"D", "lnD", "Ds", "A", "c", "E", "ED", "ELD"}
    windows : (lo, hi) or list of (lo, hi) per sampling time
        Default: from 0 to the largest initial time.
    min_spacing : float
        Minimum distance between consecutive times of one group and response.
    prior : mapping name → array (M,) or array (M, A), optional
        Draws of the parameters (for ED/ELD and expected criteria).
    interest, c : for ``Ds`` and ``c``.
    sizes : bool
        Also optimise the group sizes (D-type weights, rounded), keeping ``total``
        (default: the initial total).
    structure : {"full", "reduced"}
    starts : int
        Extra random starting designs (uniform in the windows, seeded by ``seed``).
    maxiter : int
    covariates : mapping name → (lo, hi), optional
        Design covariates optimised per group within bounds (e.g. ``{"DOSE": (0, 100)}``).

    Returns
    -------
    PopulationDesignResult
    """
    t_start = time.perf_counter()
    crit = str(criterion)
    if prior is None and crit in PRIOR_CRITERIA:
        raise DomainError(f"criterion {crit!r} needs a prior sample (prior=...)")
    des = design_of(model, design)
    lay = layout(des, [cv.name for cv in model.covariates])
    lo, hi = windows_of(des, (0.0, float(lay.t.max())) if windows is None else windows)
    check_inside(lay.t, lo, hi)
    mat = theta_matrix(model, theta if prior is None else prior)
    obj = Objective(
        evaluator(model, structure),
        lay,
        mat,
        crit,
        tuple(interest) if interest else None,
        None if c is None else np.asarray(c, float),
    )
    pairs = spacing_pairs(des, lay.t)
    if any(lay.t[j] - lay.t[i] < min_spacing - 1e-12 for i, j in pairs):
        raise DesignSpaceError(f"the initial design has consecutive times closer than min_spacing={min_spacing}")
    init_value = float(obj.utilities(lay.t[None, :])[0])
    var, v0, vlo, vhi = covariate_variables([c.name for c in model.covariates], des, lay, covariates or {})
    xlo, xhi = np.concatenate([lo, vlo]), np.concatenate([hi, vhi])
    best = _optimise(obj, var, np.concatenate([lay.t, v0]), xlo, xhi, pairs, min_spacing, maxiter)
    evals = best[2]
    rng = np.random.default_rng(seed)
    for _ in range(starts):
        t0 = random_start(des, lo, hi, min_spacing, rng)
        x0 = np.concatenate([t0, v0])
        cand = _optimise(obj, var, x0, xlo, xhi, spacing_pairs(des, t0), min_spacing, maxiter)
        evals += cand[2]  # every start's information matrices count
        if cand[1] > best[1]:
            best = cand
    x_opt, value, _, ok, msg = best
    t_opt = x_opt[: lay.t.size]
    new = des.with_flat_times(t_opt)
    if var.cols:
        vals = x_opt[lay.t.size :].reshape(len(des.groups), len(var.cols))
        new = new.with_covariates([model.covariates[c].name for c in var.cols], vals)
    if sizes:
        n = _optimise_sizes(obj, t_opt, des.subjects if total is None else float(total))
        new = new.with_sizes(n)
        times, cov = var.split(x_opt[None, :])
        value = float(obj.utilities(times, sizes=n, cov=cov)[0])
    return _result(
        model,
        des,
        new,
        theta,
        structure,
        crit,
        value,
        init_value,
        evals,
        ok,
        msg,
        t_start,
    )


def _result(
    model: PopulationModel,
    des: PopulationDesign,
    new: PopulationDesign,
    theta: Any,
    structure: str,
    crit: str,
    value: float,
    init_value: float,
    evals: int,
    ok: bool,
    msg: str,
    t_start: float,
) -> PopulationDesignResult:
    nominal = {k: float(np.mean(v)) for k, v in theta.items()} if isinstance(theta, dict) else theta
    f_new = population_fim(model, new, nominal, structure=structure)
    f_old = population_fim(model, des, nominal, structure=structure)
    eff = f_old.efficiency(f_new)
    return PopulationDesignResult(
        new,
        f_new,
        f_old,
        crit,
        value,
        init_value,
        eff,
        1.0 / eff if eff > 0 else float("inf"),
        evals,
        time.perf_counter() - t_start,
        ok,
        msg,
    )
