"""Population designs: groups of subjects with sampling times, covariates and sizes (no SymPy).

A design is a tuple of groups; group ``g`` has ``n_g`` subjects, sampling times per
response and values of the design constants/covariates (dose, ...). The population
information is ``Σ_g n_g · I_g``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symfisher.errors import DesignSpaceError, DomainError, UnknownParameterError

__all__ = ["Group", "Layout", "PopulationDesign", "as_design"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Group:
    """One group of subjects.

    Attributes
    ----------
    times : tuple of tuple of float
        Sampling times per response (K tuples).
    n : float
        Number of subjects (a weight in approximate designs).
    covariates : tuple of (str, float)
        Design constants and covariates of the group.
    """

    times: tuple[tuple[float, ...], ...]
    n: float = 1.0
    covariates: tuple[tuple[str, float], ...] = ()

    def to_dict(self, responses: Sequence[str]) -> dict[str, Any]:
        """Plain-Python form (times keyed by response when there are several)."""
        times: Any = (
            list(self.times[0]) if len(self.times) == 1 else {r: list(t) for r, t in zip(responses, self.times)}
        )
        return {"times": times, "n": self.n, **dict(self.covariates)}


@dataclass(frozen=True)
class PopulationDesign:
    """A population design: its groups (see :class:`Group`)."""

    groups: tuple[Group, ...]

    @property
    def subjects(self) -> float:
        """Total number of subjects ``Σ n_g``."""
        return float(sum(g.n for g in self.groups))

    def with_sizes(self, sizes: Sequence[float] | Array) -> PopulationDesign:
        """The same design with group sizes ``sizes``."""
        return PopulationDesign(tuple(replace(g, n=float(s)) for g, s in zip(self.groups, sizes)))

    def with_covariates(self, names: Sequence[str], values: Any) -> PopulationDesign:
        """The same design with covariates ``names`` set per group to ``values`` (G, k)."""
        groups = []
        for g, row in zip(self.groups, np.asarray(values, float)):
            cv = dict(g.covariates)
            cv.update({n: float(v) for n, v in zip(names, row)})
            groups.append(replace(g, covariates=tuple((n, cv[n]) for n, _ in g.covariates)))
        return PopulationDesign(tuple(groups))

    def with_flat_times(self, flat: Sequence[float] | Array) -> PopulationDesign:
        """The same design with all sampling times replaced, in layout order."""
        it = iter(float(v) for v in flat)
        groups = tuple(replace(g, times=tuple(tuple(next(it) for _ in ts) for ts in g.times)) for g in self.groups)
        return PopulationDesign(groups)


@dataclass(frozen=True)
class Layout:
    """The design flattened for one kernel call.

    Attributes
    ----------
    t : ndarray (N,)
        All sampling times (groups in order, responses in order within a group).
    k : int ndarray (N,)
        Response index of each sample.
    cov : ndarray (N, c)
        Covariates of each sample's group.
    slices : tuple of slice
        The samples of each group.
    n : ndarray (G,)
        Group sizes.
    """

    t: Array
    k: NDArray[np.intp]
    cov: Array
    slices: tuple[slice, ...]
    n: Array


def layout(design: PopulationDesign, covariates: Sequence[str]) -> Layout:
    """Flatten ``design`` (see :class:`Layout`)."""
    t, k, cov, slices, start = [], [], [], [], 0
    for g in design.groups:
        cv = dict(g.covariates)
        row = [cv[c] for c in covariates]
        for kk, ts in enumerate(g.times):
            t += list(ts)
            k += [kk] * len(ts)
            cov += [row] * len(ts)
        stop = start + sum(len(ts) for ts in g.times)
        slices.append(slice(start, stop))
        start = stop
    return Layout(
        np.asarray(t, float),
        np.asarray(k, np.intp),
        np.asarray(cov, float).reshape(len(t), len(covariates)),
        tuple(slices),
        np.asarray([g.n for g in design.groups], float),
    )


def _group(obj: Any, responses: Sequence[str], covariates: Sequence[str]) -> Group:
    if isinstance(obj, Group):
        return obj
    if not isinstance(obj, Mapping) or "times" not in obj:
        raise DesignSpaceError(f"a design group is a mapping with 'times' (and 'n', covariates), got {obj!r}")
    d = dict(obj)
    times = d.pop("times")
    n = float(d.pop("n", 1.0))
    d.update(d.pop("covariates", {}))
    if isinstance(times, Mapping):
        unknown = set(times) - set(responses)
        if unknown:
            raise UnknownParameterError(
                f"sampling times for unknown response(s) {sorted(unknown)}; responses are {list(responses)}"
            )
        per = tuple(tuple(float(v) for v in times.get(r, ())) for r in responses)
    elif len(responses) == 1:
        per = (tuple(float(v) for v in times),)
    else:
        raise DesignSpaceError(f"the model has responses {list(responses)}: give times as a mapping")
    unknown = set(d) - set(covariates)
    if unknown:
        raise UnknownParameterError(
            f"design value(s) {sorted(unknown)} are not covariates of the model ({list(covariates)})"
        )
    missing = [c for c in covariates if c not in d]
    if missing:
        raise UnknownParameterError(f"design group lacks covariate value(s) {missing}")
    if n < 0 or not np.isfinite(n):
        raise DomainError(f"group size n={n} must be finite and >= 0")
    if not any(per):
        raise DesignSpaceError("a design group has no sampling times")
    return Group(per, n, tuple((c, float(d[c])) for c in covariates))


def as_design(obj: Any, responses: Sequence[str], covariates: Sequence[str]) -> PopulationDesign:
    """A :class:`PopulationDesign` from a design, a group mapping or a list of them.

    Examples
    --------
    >>> d = as_design({"times": [1, 2], "n": 10, "DOSE": 70}, ["y"], ["DOSE"])
    >>> d.groups[0].times, d.groups[0].n, d.groups[0].covariates
    (((1.0, 2.0),), 10.0, (('DOSE', 70.0),))
    """
    if isinstance(obj, PopulationDesign):
        return obj
    items = [obj] if isinstance(obj, (Mapping, Group)) else list(obj)
    if not items:
        raise DesignSpaceError("a population design needs at least one group")
    return PopulationDesign(tuple(_group(g, responses, covariates) for g in items))
