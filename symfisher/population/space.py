"""The design space of sampling times: windows, minimum spacing, random starts (no SymPy)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symfisher.errors import DesignSpaceError
from symfisher.population.design import PopulationDesign

__all__ = [
    "Variables",
    "check_inside",
    "covariate_variables",
    "random_start",
    "spacing_pairs",
    "windows_of",
]

Array = NDArray[np.float64]


def windows_of(design: PopulationDesign, windows: Any) -> tuple[Array, Array]:
    """Lower and upper bounds (N,) of every sampling time, in layout order.

    ``windows`` is ``(lo, hi)`` for all times, or a list with one ``(lo, hi)`` per time
    (layout order: groups, then responses, then times).
    """
    n = sum(len(t) for g in design.groups for t in g.times)
    w = np.asarray(windows, float)
    if w.shape == (2,):
        w = np.tile(w, (n, 1))
    if w.shape != (n, 2):
        raise DesignSpaceError(f"windows must be (lo, hi) or one (lo, hi) per sampling time ({n}); got shape {w.shape}")
    if np.any(w[:, 0] > w[:, 1]):
        raise DesignSpaceError("a window has lo > hi")
    return w[:, 0].copy(), w[:, 1].copy()


def check_inside(t: Array, lo: Array, hi: Array) -> None:
    bad = np.flatnonzero((t < lo - 1e-12) | (t > hi + 1e-12))
    if bad.size:
        i = int(bad[0])
        raise DesignSpaceError(f"sampling time {i} (= {t[i]:g}) lies outside its window [{lo[i]:g}, {hi[i]:g}]")


def spacing_pairs(design: PopulationDesign, t: Array) -> list[tuple[int, int]]:
    """Consecutive (in time) pairs of samples of the same group and response."""
    pairs, start = [], 0
    for g in design.groups:
        for ts in g.times:
            idx = start + np.argsort(t[start : start + len(ts)], kind="stable")
            pairs += list(zip(idx[:-1].tolist(), idx[1:].tolist()))
            start += len(ts)
    return pairs


def random_start(
    des: PopulationDesign,
    lo: Array,
    hi: Array,
    spacing: float,
    rng: np.random.Generator,
) -> Array:
    t = lo + rng.random(lo.shape) * (hi - lo)
    start = 0
    for g in des.groups:
        for ts in g.times:
            sl = slice(start, start + len(ts))
            t[sl] = np.sort(t[sl])
            for i in range(sl.start + 1, sl.stop):
                t[i] = min(max(t[i], t[i - 1] + spacing), hi[i])
            start += len(ts)
    return t


@dataclass(frozen=True)
class Variables:
    """The optimiser's vector: N sampling times, then the optimised covariates per group.

    ``cols`` are the covariate columns optimised; ``x = [t (N), v (G, len(cols)) flattened]``.
    """

    lay: Any
    cols: tuple[int, ...]

    def split(self, x: Array) -> tuple[Array, Array | None]:
        """(D, N + G·k) → times (D, N), covariates (D, N, c) or None."""
        n = self.lay.t.size
        if not self.cols:
            return x[:, :n], None
        v = x[:, n:].reshape(x.shape[0], len(self.lay.slices), len(self.cols))
        cov = np.repeat(self.lay.cov[None], x.shape[0], axis=0)
        for g, sl in enumerate(self.lay.slices):
            cov[:, sl, list(self.cols)] = v[:, g, None, :]
        return x[:, :n], cov


def covariate_variables(
    names: Sequence[str],
    des: PopulationDesign,
    lay: Any,
    bounds: Mapping[str, tuple[float, float]],
) -> tuple[Variables, Array, Array, Array]:
    """The covariate part of the optimiser's vector: (variables, start, lower, upper)."""
    names = list(names)
    bad = [b for b in bounds if b not in names]
    if bad:
        raise DesignSpaceError(f"covariate(s) {bad} to optimise are not covariates of the model ({names})")
    cols = tuple(names.index(b) for b in bounds)
    g = len(des.groups)
    v0 = np.array([[dict(grp.covariates)[names[c]] for c in cols] for grp in des.groups], float).ravel()
    lo = np.tile([float(bounds[names[c]][0]) for c in cols], g)
    hi = np.tile([float(bounds[names[c]][1]) for c in cols], g)
    bad_start = np.flatnonzero((v0 < lo) | (v0 > hi))
    if bad_start.size:
        raise DesignSpaceError(f"the initial covariate value {v0[bad_start[0]]:g} lies outside its bounds")
    return Variables(lay, cols), v0, lo, hi
