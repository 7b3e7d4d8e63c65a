"""``population_power``: Wald-test power for a fixed effect, and the subjects needed.

With ``SE`` the standard error of parameter ``j`` from the population FIM of a design
with ``N`` subjects, the Wald test of ``H0: θ_j = null`` at two-sided level ``α`` against
a true difference ``δ`` has power

    power(N) = Φ(|δ|/SE_N − z_{1−α/2}) + Φ(−|δ|/SE_N − z_{1−α/2}),   SE_N = SE·sqrt(N₀/N),

because the information is proportional to the number of subjects when every group is
scaled by the same factor. The subjects needed for a target power solve power(N) = target
(rounded up to whole subjects, group proportions kept).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from scipy.optimize import brentq
from scipy.stats import norm

from symfisher.errors import DomainError, UnknownParameterError
from symfisher.population.fim import population_fim
from symfisher.population.model import PopulationModel

__all__ = ["PowerResult", "population_power", "wald_power"]


def wald_power(delta: float, se: float, alpha: float) -> float:
    """Two-sided Wald-test power for a true difference ``delta`` and standard error ``se``."""
    z = norm.ppf(1.0 - alpha / 2.0)
    r = abs(delta) / se
    return float(norm.cdf(r - z) + norm.cdf(-r - z))


@dataclass(frozen=True)
class PowerResult:
    """Power of the Wald test for one parameter.

    Attributes
    ----------
    parameter : str
    effect : float
        True difference ``θ_j − null`` assumed.
    se : float
        Standard error with the design's ``subjects``.
    subjects : float
        Subjects of the design.
    power : float
        Power with the design as given.
    alpha : float
    target : float
        Target power.
    subjects_needed : int
        Smallest whole number of subjects (same group proportions) reaching ``target``.
    """

    parameter: str
    effect: float
    se: float
    subjects: float
    power: float
    alpha: float
    target: float
    subjects_needed: int

    def summary(self) -> str:
        """One paragraph of text."""
        return (
            f"Wald test of {self.parameter} (effect {self.effect:.4g}, SE {self.se:.4g} with "
            f"{self.subjects:g} subjects, alpha {self.alpha:g}): power {self.power:.3f}; "
            f"{self.subjects_needed} subjects give power >= {self.target:g}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)


def population_power(
    model: PopulationModel,
    design: Any,
    theta: Any,
    parameter: str,
    *,
    effect: float | None = None,
    null: float = 0.0,
    alpha: float = 0.05,
    power: float = 0.8,
    structure: str = "full",
) -> PowerResult:
    """Wald-test power for ``parameter`` and the number of subjects needed.

    Parameters
    ----------
    model, design, theta : as for :func:`symfisher.population.fim.population_fim`.
    parameter : str
        An estimated parameter (usually a fixed effect: a treatment or covariate effect).
    effect : float, optional
        True difference from ``null`` (default: ``theta[parameter] − null``).
    null : float
        Value under the null hypothesis.
    alpha : float
        Two-sided level.
    power : float
        Target power for :attr:`PowerResult.subjects_needed`.
    structure : {"full", "reduced"}

    Returns
    -------
    PowerResult
    """
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise DomainError(f"alpha={alpha} and power={power} must lie in (0, 1)")
    fim = population_fim(model, design, theta, structure=structure)
    if parameter not in fim.parameters:
        raise UnknownParameterError(f"{parameter!r} is not an estimated parameter; these are {list(fim.parameters)}")
    se = fim.se()[parameter]
    value = dict(zip(fim.parameters, fim.values))[parameter]
    delta = value - null if effect is None else float(effect)
    if delta == 0:
        raise DomainError(f"the effect of {parameter} is zero: the power equals alpha for every design")
    n0 = fim.design.subjects
    pw = wald_power(delta, se, alpha)

    def gap(n: float) -> float:
        return wald_power(delta, se * math.sqrt(n0 / n), alpha) - power

    hi = n0
    while gap(hi) < 0:
        hi *= 2.0
    lo = hi / 2.0
    while gap(lo) > 0 and lo > 1e-9:
        lo /= 2.0
    needed = math.ceil(brentq(gap, lo, hi, xtol=1e-10) - 1e-9)
    return PowerResult(parameter, delta, se, n0, pw, alpha, power, needed)
