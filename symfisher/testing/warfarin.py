"""The warfarin population-PK design of the published software comparison, as a test oracle.

Nyberg et al. 2014 (Br J Clin Pharmacol 79(1):6-17): one-compartment first-order absorption,
CL = 0.15, V = 8, KA = 1, F = 1 fixed, dose 70, ω² = (0.07, 0.02, 0.6), proportional error
σ² = 0.01, 32 subjects sampled at 0.5, 1, 2, 6, 24, 36, 72, 120 h. Tests and benchmarks share
these definitions (``examples/warfarin_population_design.py`` spells them out for readers).
"""

from __future__ import annotations

from typing import Any

STRUCTURE = "DOSE*F*KA/(V*(KA - CL/V))*(exp(-CL/V*t) - exp(-KA*t))"
INDIVIDUAL = {"CL": "lognormal", "V": "lognormal", "KA": "lognormal", "F": "fixed"}
TIMES = [0.5, 1, 2, 6, 24, 36, 72, 120]
THETA: dict[str, float] = {
    "CL": 0.15,
    "V": 8.0,
    "KA": 1.0,
    "F": 1.0,
    "omega2_CL": 0.07,
    "omega2_V": 0.02,
    "omega2_KA": 0.6,
    "sigma2_prop": 0.01,
}
DESIGN: dict[str, Any] = {"times": TIMES, "n": 32, "DOSE": 70}
SIGMA2_ADD = 0.25
"""Additive variance used with ``error="combined"`` (not part of the published design)."""


def model(error: str = "proportional") -> Any:
    """The warfarin :class:`~symfisher.population.model.PopulationModel` (F fixed, DOSE a covariate)."""
    from symfisher.population.model import PopulationModel

    return PopulationModel(STRUCTURE, dict(INDIVIDUAL), error=error, covariates=["DOSE"], fixed=["F"])
