"""The FO population FIM against NONMEM 7.5's $DESIGN evaluation (a second published source).

Bauer RJ et al. *Tutorial for $DESIGN in NONMEM: clinical trial evaluation and optimization.*
CPT Pharmacometrics Syst Pharmacol 2021, example 1 (warfarin, FO,
``$DESIGN GROUPSIZE=32 FIMDIAG=1`` = block-diagonal/reduced FIM). Model: one-compartment oral,
CL = 0.15, V = 8, KA = 1 (exp(ETA)), Ω = diag(0.07, 0.02, 0.6), Y = IPRED + IPRED·EPS(1) + EPS(2),
σ² = 0.01 (estimated), 0.001 (fixed); dose 70 at t = 0, samples at 1, 4, 8 h.
The numbers are NONMEM's output file as stored in nlmixr2/nonmem2rx,
inst/mods/bauer_2021_cptpsp_design_tutorial/example1/warfarin.ext (row ITERATION -1000000001 =
standard errors; OBJ of row -1000000000 = the D-optimality objective, −ln det FIM).
"""

from __future__ import annotations

import pytest

import symfisher as sf

# warfarin.ext, row -1000000001 (standard errors), printed to 6 significant digits
NONMEM_SE = {
    "CL": 5.53703e-02,  # THETA1
    "V": 3.95603e-01,  # THETA2
    "KA": 1.56559e-01,  # THETA3
    "omega2_CL": 5.11516e-01,  # OMEGA(1,1)
    "omega2_V": 8.47632e-03,  # OMEGA(2,2)
    "omega2_KA": 1.62054e-01,  # OMEGA(3,3)
    "sigma2_prop": 2.80589e-03,  # SIGMA(1,1)
}
NONMEM_OBJ = -39.518205662077754  # warfarin.ext, OBJ of row -1000000000: -ln det FIM


def test_reduced_fim_equals_nonmem_design_output() -> None:
    m = sf.PopulationModel(
        "DOSE*KA/(V*(KA - CL/V))*(exp(-CL/V*t) - exp(-KA*t))",
        {"CL": "lognormal", "V": "lognormal", "KA": "lognormal"},
        error="combined",
        covariates=["DOSE"],
        fixed=["sigma2_add"],
    )
    theta = {
        "CL": 0.15,
        "V": 8,
        "KA": 1,
        "omega2_CL": 0.07,
        "omega2_V": 0.02,
        "omega2_KA": 0.6,
        "sigma2_prop": 0.01,
        "sigma2_add": 0.001,
    }
    res = sf.population_fim(m, {"times": [1, 4, 8], "n": 32, "DOSE": 70}, theta, structure="reduced")
    se = res.se()
    for name, value in NONMEM_SE.items():
        assert f"{se[name]:.5E}" == f"{value:.5E}", name  # equal to NONMEM's 6 printed digits
    assert -res.criterion("lnD") == pytest.approx(NONMEM_OBJ, rel=1e-10)


def _example1_model() -> sf.PopulationModel:
    return sf.PopulationModel(
        "DOSE*KA/(V*(KA - CL/V))*(exp(-CL/V*t) - exp(-KA*t))",
        {"CL": "lognormal", "V": "lognormal", "KA": "lognormal"},
        error="combined",
        covariates=["DOSE"],
        fixed=["sigma2_add"],
    )


THETA1 = {
    "CL": 0.15,
    "V": 8,
    "KA": 1,
    "omega2_CL": 0.07,
    "omega2_V": 0.02,
    "omega2_KA": 0.6,
    "sigma2_prop": 0.01,
    "sigma2_add": 0.001,
}
# Example 2 of the same tutorial: D-optimal 3 sampling times in [0.01, 200] h (warfarin2.ctl, FIMDIAG=1).
# warfarin2.tab: optimised times 1.5499, 3.6932, 186.80 (5 digits); warfarin2.ext row -1000000000: OBJ
NONMEM_OPT_TIMES = [1.5499, 3.6932, 186.80]
NONMEM_OPT_OBJ = -47.5331052501548


def test_nonmem_optimum_is_reproduced_and_matched() -> None:
    m = _example1_model()
    design = {"times": [1, 4, 8], "n": 32, "DOSE": 70}
    at_nonmem = sf.population_fim(m, {**design, "times": NONMEM_OPT_TIMES}, THETA1, structure="reduced")
    # NONMEM's objective at its own (rounded-to-5-digits) optimal times
    assert -at_nonmem.criterion("lnD") == pytest.approx(NONMEM_OPT_OBJ, rel=1e-8)
    res = sf.optimal_population_design(m, design, THETA1, windows=(0.01, 200), structure="reduced", starts=3)
    # the optimiser reaches (here slightly exceeds) NONMEM's optimum, at nearby times (a flat optimum)
    assert res.fim.criterion("lnD") >= -NONMEM_OPT_OBJ - 1e-9
    assert sorted(res.design.groups[0].times[0]) == pytest.approx(NONMEM_OPT_TIMES, rel=1e-2)
