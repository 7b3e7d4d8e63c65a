"""Pictures of population designs (optional ``plot`` extra: matplotlib)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from symfisher.population.fim import design_of, evaluator, theta_matrix
from symfisher.population.model import PopulationModel
from symfisher.report.plots import _pyplot

__all__ = ["plot_population_predictions"]


def plot_population_predictions(
    model: PopulationModel,
    design: Any,
    theta: Any,
    path: str | Path | None = None,
    *,
    n: int = 400,
    individuals: int = 200,
    seed: int = 0,
    ax: Any = None,
) -> Any:
    """Typical prediction ``f(β, 0, t)`` per group and response, a 90 % band of individual
    predictions (η drawn from ``N(0, Ω)``), and the sampling times marked.

    Returns the matplotlib Axes; saves to ``path`` (format by suffix) when given.
    """
    plt = _pyplot()
    des = design_of(model, design)
    ev = evaluator(model)
    mat = theta_matrix(model, theta)
    nb, ne = len(model.beta), len(model.omega_entries)
    om = np.zeros((len(model.eta),) * 2)
    for j, (_, a, b) in enumerate(model.omega_entries):
        om[a, b] = om[b, a] = mat[0, nb + j]
    rng = np.random.default_rng(seed)
    eta = rng.multivariate_normal(np.zeros(len(model.eta)), om, individuals) if model.eta else None
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    t_max = max(max(ts) for g in des.groups for ts in g.times if ts)
    grid = np.linspace(0.0, t_max, n)
    for gi, g in enumerate(des.groups):
        cov = np.array([v for _, v in g.covariates], float)
        for k, ts in enumerate(g.times):
            args: list[Any] = [grid[None, :]]
            if model.covariates:
                args.append(cov[None, None, :])
            args.append(mat[:, None, :nb])
            if eta is not None:
                args.append(np.vstack([np.zeros(len(model.eta)), eta])[:, None, :])
            args.append(mat[:, None, nb + ne :])
            f = np.asarray(ev.kernel(*args, check=False)["F"]).reshape(-1, n, len(model.responses))[:, :, k]
            label = f"group {gi + 1}" + (f", {model.responses[k][0]}" if len(model.responses) > 1 else "")
            (line,) = ax.plot(grid, f[0], label=label)
            if model.eta:
                lo, hi = np.quantile(f[1:], [0.05, 0.95], axis=0)
                ax.fill_between(grid, lo, hi, color=line.get_color(), alpha=0.15)
            f_at = np.interp(ts, grid, f[0])
            ax.plot(ts, f_at, "o", color=line.get_color())
    ax.set_xlabel(model.time.name)
    ax.set_ylabel("prediction")
    ax.legend()
    if path is not None:
        ax.figure.savefig(path)
    return ax
