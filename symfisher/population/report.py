"""``PopulationFIM``: the population Fisher information with SEs, RSEs and criteria (no SymPy)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symfisher.population import criteria
from symfisher.population.design import PopulationDesign

__all__ = ["PopulationFIM"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class PopulationFIM:
    """The Fisher information of a population design.

    Attributes
    ----------
    matrix : ndarray (P, P)
        Information of the estimated parameters, ordered as ``parameters``.
    parameters : tuple of str
        Estimated fixed effects, then Ω entries, then residual variances σ².
    values : tuple of float
        The parameter values at which it was computed (same order).
    structure : str
        ``"full"`` or ``"reduced"``.
    approximation : str
        ``"FO"`` or ``"FOCE"`` (FOCE-type; see :mod:`symfisher.population.fim`).
    design : PopulationDesign
    responses : tuple of str
    """

    matrix: Array
    parameters: tuple[str, ...]
    values: tuple[float, ...]
    structure: str
    approximation: str
    design: PopulationDesign
    responses: tuple[str, ...] = ("y",)

    def covariance(self) -> Array:
        """``M⁻¹`` (P, P); raises :class:`~symfisher.errors.SingularInformationError` naming
        the unidentifiable directions when ``M`` is singular."""
        criteria.check_regular(self.matrix, self.parameters)
        return np.asarray(np.linalg.inv(self.matrix), float)

    def se(self) -> dict[str, float]:
        """Standard errors ``sqrt(diag(M⁻¹))`` by parameter name."""
        return dict(zip(self.parameters, np.sqrt(np.diag(self.covariance())).tolist()))

    def rse(self) -> dict[str, float]:
        """Relative standard errors in %, ``100·SE/|θ|``, by parameter name."""
        return {n: 100.0 * s / abs(v) for (n, s), v in zip(self.se().items(), self.values)}

    def criterion(self, name: str = "D", interest: Sequence[str] | None = None, c: Any = None) -> float:
        """Criterion value: ``"D"`` (det^(1/P)), ``"lnD"``, ``"Ds"``, ``"A"``, ``"c"``, ``"E"``."""
        return float(criteria.value(self.matrix, name, self.parameters, interest, c))

    def efficiency(self, other: PopulationFIM) -> float:
        """D-efficiency of this design relative to ``other``: ``(det M / det M_other)^(1/P)``."""
        p = len(self.parameters)
        return float(np.exp((criteria.logdet(self.matrix) - criteria.logdet(other.matrix)) / p))

    def summary(self) -> str:
        """A text table of values, SEs and RSEs, with D and lnD."""
        se, rse = self.se(), self.rse()
        width = max(len(n) for n in self.parameters)
        lines = [
            (
                f"Population FIM ({self.approximation}, {self.structure}); "
                f"{len(self.design.groups)} group(s), {self.design.subjects:g} subjects"
            ),
            f"{'parameter':<{width}}  {'value':>10}  {'SE':>10}  {'RSE %':>8}",
        ]
        for n, v in zip(self.parameters, self.values):
            lines.append(f"{n:<{width}}  {v:>10.4g}  {se[n]:>10.4g}  {rse[n]:>8.2f}")
        lines.append(f"D = det(M)^(1/P) = {self.criterion('D'):.6g};  ln det M = {self.criterion('lnD'):.6f}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {
            "parameters": list(self.parameters),
            "values": list(self.values),
            "structure": self.structure,
            "approximation": self.approximation,
            "matrix": self.matrix.tolist(),
            "design": [g.to_dict(self.responses) for g in self.design.groups],
            "lnD": float(criteria.logdet(self.matrix)),
        }
        if np.isfinite(out["lnD"]):
            out["se"], out["rse_percent"] = self.se(), self.rse()
        return out
