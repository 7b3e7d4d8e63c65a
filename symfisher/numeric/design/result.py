"""The result of a design optimisation, with its certificate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symfisher.numeric.design.core import Design
from symfisher.numeric.design.exact import ExactDesign, round_design
from symfisher.numeric.design.problem import Problem

Array = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class DesignResult:
    """An optimised design and the equivalence-theorem certificate that goes with it.

    Attributes
    ----------
    design : Design
        Support points and weights.
    criterion_value : float
        Conventional criterion value (D: ``log det M``; A: ``tr M⁻¹``; c/L/I: ``tr(L M⁻)``;
        Ds: ``log det`` of the interest block's information; E: ``λ_min``); for several
        components the standardised ``φ``.
    phi : float
        Standardised log-criterion ``log Φ`` (efficiencies are ``exp`` of differences).
    sensitivity_bound : float
        The bound of the sensitivity at the optimum (D: ``p``, Ds: ``s``, A: ``tr M⁻¹``, …).
    max_sensitivity : float
        Maximum of the sensitivity over the whole design space.
    argmax : ndarray, shape (q,)
        Where that maximum is attained.
    efficiency_bound : float
        Lower bound on the efficiency of ``design`` implied by the certificate.
    efficiency_formula : str
        Which inequality gives ``efficiency_bound``.
    certified : bool
        ``efficiency_bound ≥ 1 - tol``.
    """

    design: Design
    criterion_value: float
    phi: float
    sensitivity_bound: float
    max_sensitivity: float
    argmax: Array
    efficiency_bound: float
    efficiency_formula: str
    certified: bool
    problem: Problem = field(repr=False)
    sensitivity_fn: Callable[[Array], Array] = field(repr=False)
    info: dict[str, object] = field(default_factory=dict, repr=False)

    @property
    def points(self) -> Array:
        """Support points, shape (k,) or (k, q)."""
        return self.design.points

    @property
    def weights(self) -> Array:
        """Weights, shape (k,)."""
        return self.design.weights

    def sensitivity(self, xs: ArrayLike) -> Array:
        """The sensitivity function at ``xs`` (shape (N,) or (N, q)); returns (N,).

        Examples
        --------
        >>> res.sensitivity(np.linspace(-1, 1, 5))   # doctest: +SKIP
        """
        X = np.asarray(xs, dtype=float)
        X = X.reshape(-1, 1) if X.ndim <= 1 else X
        return self.sensitivity_fn(X)

    def round(self, n: int) -> ExactDesign:
        """Exact design for ``n`` subjects by efficient rounding, with its efficiency."""
        return round_design(self.problem, self.design, n)

    def summary(self) -> str:
        """Support points, weights and the certificate, as text."""
        pts = np.asarray(self.points)
        rows = [f"{np.array2string(np.atleast_1d(x), precision=6)}  weight {w:.6f}" for x, w in zip(pts, self.weights)]
        cert = "certified" if self.certified else "NOT certified"
        return "\n".join(
            [
                f"optimal design ({len(rows)} support points), criterion {self.criterion_value:.6g}",
                *(f"  {r}" for r in rows),
                f"  {cert}: max sensitivity {self.max_sensitivity:.6g} vs bound "
                f"{self.sensitivity_bound:.6g}; efficiency >= {self.efficiency_bound:.6f} "
                f"({self.efficiency_formula})",
            ]
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict."""
        return {
            "points": np.asarray(self.points).tolist(),
            "weights": np.asarray(self.weights).tolist(),
            "criterion_value": self.criterion_value,
            "max_sensitivity": self.max_sensitivity,
            "sensitivity_bound": self.sensitivity_bound,
            "efficiency_bound": self.efficiency_bound,
            "efficiency_formula": self.efficiency_formula,
            "certified": self.certified,
        }
