"""The warfarin population PK design of the software comparison (Nyberg et al. 2014), evaluated and optimised.

Nyberg J, Bazzoli C, Ogungbenro K, et al. *Methods and software tools for design evaluation in population
pharmacokinetics-pharmacodynamics studies.* Br J Clin Pharmacol 2015; 79(1):6-17 (first published 2014).

One-compartment model with first-order absorption, CL = 0.15, V = 8, KA = 1 (log-normal random effects,
ω² = 0.07, 0.02, 0.6), F = 1 fixed, dose 70, proportional error σ² = 0.01, 32 subjects sampled at
0.5, 1, 2, 6, 24, 36, 72, 120 h.

1. Evaluate the design: RSE (%) from the reduced and the full FO Fisher information, beside the published
   values (as encoded in PopED's test suite, andrewhooker/PopED tests/testthat/test_evaluate.fim.R).
2. Optimise the 8 sampling times in [0, 120] h (D-optimal, exact design, min spacing 0.25 h) — as in PopED's
   ex.2.b, with an additive + proportional error (σ² = 0.01, 0.25) so that samples at vanishing
   concentrations are not favoured — and report the D-efficiency of the original schedule and the ratio of
   subjects it needs for the same determinant.
3. Optimise for an expected criterion (ELD) over draws of 10 % log-normal uncertainty on CL, V, KA.
4. Robustness of the optimised times to sampling windows of ±0.5 h, and the number of samples per subject.
5. Power of a Wald test and subjects needed.

Run: ``python examples/warfarin_population_design.py``
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import symfisher as sf
from symfisher.population.robust import window_efficiency
from symfisher.population.samples import samples_per_subject

STRUCTURE = "DOSE*F*KA/(V*(KA - CL/V))*(exp(-CL/V*t) - exp(-KA*t))"
INDIVIDUAL = {"CL": "lognormal", "V": "lognormal", "KA": "lognormal", "F": "fixed"}
THETA = {
    "CL": 0.15,
    "V": 8.0,
    "KA": 1.0,
    "F": 1.0,
    "omega2_CL": 0.07,
    "omega2_V": 0.02,
    "omega2_KA": 0.6,
    "sigma2_prop": 0.01,
}
DESIGN = {"times": [0.5, 1, 2, 6, 24, 36, 72, 120], "n": 32, "DOSE": 70}
# Published RSE (%), order CL, V, KA, om2_CL, om2_V, om2_KA, sig2_prop (PopED tests/testthat/test_evaluate.fim.R)
PUBLISHED = {
    "reduced": [4.7, 2.8, 13.9, 25.6, 30.3, 25.8, 11.2],
    "full": [3.6, 2.6, 4.8, 26.3, 30.9, 26.6, 12.4],
}


def model(error: str = "proportional") -> sf.PopulationModel:
    """The warfarin model (F fixed) with the given residual error."""
    return sf.PopulationModel(
        STRUCTURE,
        INDIVIDUAL,
        error=error,
        covariates=["DOSE"],
        fixed=["F"],
        name="warfarin",
    )


@dataclass(frozen=True)
class Report:
    """Numbers of the example (see the module docstring)."""

    rse: dict[str, dict[str, float]]
    optimised: Any
    expected: Any
    windows: Any
    samples: Any
    power: Any


def run(draws: int = 200, starts: int = 4, seed: int = 1, ks: tuple[int, ...] = (3, 4, 5, 6, 8)) -> Report:
    """Evaluate, optimise (D and ELD over ``draws`` prior draws) and compute power."""
    m = model()
    rse = {st: sf.population_fim(m, DESIGN, THETA, structure=st).rse() for st in ("reduced", "full")}
    m2 = model("combined")
    theta2 = {**THETA, "sigma2_add": 0.25}
    opt = sf.optimal_population_design(m2, DESIGN, theta2, windows=(0, 120), min_spacing=0.25, starts=starts, seed=seed)
    rng = np.random.default_rng(seed)
    prior = {k: np.full(draws, v) for k, v in theta2.items()}
    for k in ("CL", "V", "KA"):
        prior[k] = theta2[k] * np.exp(rng.normal(0.0, 0.1, draws))
    exp_opt = sf.optimal_population_design(
        m2,
        DESIGN,
        theta2,
        criterion="ELD",
        prior=prior,
        windows=(0, 120),
        min_spacing=0.25,
    )
    windows = window_efficiency(m2, opt.design, theta2, 0.5, draws=draws, seed=seed, bounds=(0, 120))
    samples = samples_per_subject(m2, DESIGN, theta2, ks, windows=(0, 120), min_spacing=0.25, starts=1, seed=seed)
    power = sf.population_power(m2, opt.design, theta2, parameter="CL", effect=0.15 * 0.1, power=0.9)
    return Report(rse, opt, exp_opt, windows, samples, power)


def main() -> None:
    r = run()
    names = list(r.rse["full"])
    print("Warfarin design (Nyberg et al. 2014): RSE % (symfisher | published)")
    print(f"{'parameter':<12} {'reduced':>16} {'full':>16}")
    for i, n in enumerate(names):
        print(
            f"{n:<12} {r.rse['reduced'][n]:>7.2f} | {PUBLISHED['reduced'][i]:<6} "
            f"{r.rse['full'][n]:>7.2f} | {PUBLISHED['full'][i]:<6}"
        )
    print()
    print(r.optimised.summary())
    print(
        "RSE % at the optimised times:",
        {k: round(v, 1) for k, v in r.optimised.fim.rse().items()},
    )
    print()
    print(r.expected.summary())
    print()
    print(r.windows.summary())
    print("samples per subject (each optimised; D-efficiency vs the best):")
    print(r.samples.summary())
    print()
    print(r.power.summary())


if __name__ == "__main__":
    main()
