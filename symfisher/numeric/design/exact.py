"""Efficiencies and exact designs for ``n`` subjects (efficient rounding)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from symfisher.errors import InputError
from symfisher.numeric.design.core import Design
from symfisher.numeric.design.problem import Problem, factors, state

Array = NDArray[np.float64]


def log_criterion(problem: Problem, design: Design) -> float:
    """Standardised log-criterion ``φ(ξ)`` of a user design (forced points are not imposed)."""
    free = Problem(problem.components, problem.space)
    return state(free, factors(free, design.matrix), np.asarray(design.weights, float)).phi


def efficiency(problem: Problem, design: Design, reference: Design) -> float:
    """Efficiency of ``design`` relative to ``reference``: ``exp(φ(design) - φ(reference))``.

    For D-optimality this is ``(det M(design) / det M(reference))^(1/p)``; for A, c, L it is
    the ratio of ``tr(L M⁻¹)`` (reference over design); for E the ratio of smallest
    eigenvalues. The sample-size ratio is ``1 / efficiency``.

    Examples
    --------
    >>> eff = efficiency(problem, Design([0, 75, 150]), optimum.design)   # doctest: +SKIP
    """
    a, b = log_criterion(problem, design), log_criterion(problem, reference)
    if not np.isfinite(b):
        raise InputError("the reference design has a singular (unusable) information matrix")
    return float(np.exp(a - b)) if np.isfinite(a) else 0.0


def efficient_rounding(weights: Array, n: int) -> NDArray[np.int64]:
    """Integer allocations summing to ``n`` by efficient rounding (Pukelsheim & Rieder 1992).

    Start from ``⌈(n - k/2) wᵢ⌉``, then add a subject where ``nᵢ / wᵢ`` is smallest or
    remove one where ``(nᵢ - 1) / wᵢ`` is largest until the total is ``n``.

    Examples
    --------
    >>> efficient_rounding(np.array([1/3, 1/3, 1/3]), 10).tolist()
    [4, 3, 3]
    """
    w = np.asarray(weights, dtype=float)
    k = w.size
    if n < k:
        raise InputError(f"n = {n} subjects cannot cover {k} support points")
    counts = np.ceil((n - 0.5 * k) * w).astype(np.int64)
    while counts.sum() < n:
        counts[int(np.argmin(counts / w))] += 1
    while counts.sum() > n:
        ratio = np.where(counts > 0, (counts - 1) / w, -np.inf)
        counts[int(np.argmax(ratio))] -= 1
    return counts


@dataclass(frozen=True)
class ExactDesign:
    """An exact design: ``counts`` (k,) subjects at ``points``; ``efficiency`` vs the approximate optimum."""

    points: Array
    counts: NDArray[np.int64]
    n: int
    efficiency: float

    @property
    def design(self) -> Design:
        """The exact design as an approximate design with weights ``counts / n``."""
        keep = self.counts > 0
        return Design(self.points[keep], self.counts[keep] / self.n)

    @property
    def efficiency_loss(self) -> float:
        """``1 - efficiency``."""
        return 1.0 - self.efficiency


def round_design(problem: Problem, design: Design, n: int) -> ExactDesign:
    """Efficient rounding of ``design`` for ``n`` subjects, with its efficiency relative to ``design``."""
    counts = efficient_rounding(design.weights, n)
    keep = counts > 0
    exact = Design(design.points[keep], counts[keep] / n)
    return ExactDesign(design.points, counts, n, efficiency(problem, exact, design))
