"""How many samples per subject: the optimised design for each k, compared.

For every k in ``ks`` the k sampling times of a one-group design are optimised (from k
times picked evenly from the initial schedule, plus random starts), and the designs are
compared by D-efficiency against the best one: ``subjects_ratio = 1/eff`` subjects are
needed with k samples for the determinant of the best design, i.e. ``k/eff`` samples per
subject of the best design's precision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from symfisher.errors import DesignSpaceError
from symfisher.population.fim import design_of
from symfisher.population.model import PopulationModel
from symfisher.population.optimize import PopulationDesignResult, optimal_population_design

__all__ = ["SamplesComparison", "samples_per_subject"]


@dataclass(frozen=True)
class SamplesComparison:
    """Optimised designs for several numbers of samples per subject.

    Attributes
    ----------
    ks : tuple of int
    results : tuple of PopulationDesignResult
    efficiencies : tuple of float
        D-efficiency of each k's optimum relative to the best of them.
    """

    ks: tuple[int, ...]
    results: tuple[PopulationDesignResult, ...]
    efficiencies: tuple[float, ...]

    def summary(self) -> str:
        """A table: k, ln det, efficiency, subjects ratio, samples ratio, times."""
        lines = ["  k    ln det M   D-eff  subjects x  samples x  times"]
        for k, r, e in zip(self.ks, self.results, self.efficiencies):
            times = ", ".join(f"{v:.3g}" for v in r.design.groups[0].times[0])
            lines.append(f"{k:3d}  {r.fim.criterion('lnD'):10.4f}  {e:6.4f}  {1 / e:10.3f}  {k / e:9.2f}  {times}")
        return "\n".join(lines)


def _start(times: Sequence[float], k: int, lo: float, hi: float) -> list[float]:
    ts = sorted(times)
    if k <= len(ts):
        return [ts[i] for i in np.linspace(0, len(ts) - 1, k).round().astype(int)]
    return list(np.geomspace(max(lo, 1e-3 * hi), hi, k))


def samples_per_subject(
    model: PopulationModel,
    design: Any,
    theta: Any,
    ks: Sequence[int],
    *,
    windows: tuple[float, float],
    min_spacing: float = 0.0,
    starts: int = 2,
    seed: int = 0,
    structure: str = "full",
) -> SamplesComparison:
    """Optimise a one-group, one-response design for each number of samples ``k`` in ``ks``."""
    des = design_of(model, design)
    if len(des.groups) != 1 or len(des.groups[0].times) != 1:
        raise DesignSpaceError("samples_per_subject compares one-group, one-response designs")
    g = des.groups[0]
    lo, hi = float(windows[0]), float(windows[1])
    results = []
    for k in ks:
        if k < 1 or (k - 1) * min_spacing > hi - lo:
            raise DesignSpaceError(f"{k} samples do not fit in [{lo:g}, {hi:g}] with spacing {min_spacing:g}")
        start = _start(g.times[0], k, lo, hi)
        for i in range(1, k):  # make the start feasible for the spacing
            start[i] = min(max(start[i], start[i - 1] + min_spacing), hi)
        group = {"times": start, "n": g.n, **dict(g.covariates)}
        results.append(
            optimal_population_design(
                model,
                group,
                theta,
                windows=(lo, hi),
                min_spacing=min_spacing,
                starts=starts,
                seed=seed,
                structure=structure,
            )
        )
    p = len(model.parameters)
    ld = np.array([r.fim.criterion("lnD") for r in results])
    eff = np.exp((ld - ld.max()) / p)
    return SamplesComparison(tuple(int(k) for k in ks), tuple(results), tuple(float(e) for e in eff))
