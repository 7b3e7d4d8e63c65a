"""Individual-parameter forms, error models, fixed Ω entries and several responses: exact special cases."""

from __future__ import annotations

import numpy as np
import pytest

import symfisher as sf


def test_logit_normal_random_effect_has_the_logistic_derivative() -> None:
    """φ = logistic(logit(β) + η): ∂φ/∂η at η = 0 is β(1 − β). With f = φ t, one sample, additive error:
    V = (tβ(1−β))² ω + σ², and I(ω, ω) = ½ (z²/V)² with z = tβ(1−β)."""
    m = sf.PopulationModel("P*t", {"P": "logitnormal"}, error="additive", fixed=["sigma2_add"])
    b, om, s2, t = 0.3, 0.5, 0.1, 2.0
    res = sf.population_fim(m, {"times": [t], "n": 1}, {"P": b, "omega2_P": om, "sigma2_add": s2})
    z = t * b * (1 - b)
    v = z * z * om + s2
    assert res.parameters == ("P", "omega2_P")
    assert res.matrix[1, 1] == pytest.approx(0.5 * (z * z / v) ** 2, rel=1e-12)
    assert res.matrix[0, 0] == pytest.approx(t * t / v + 0.5 * (2 * z * om * t * (1 - 2 * b) / v) ** 2, rel=1e-12)


def test_exponential_error_is_additive_error_on_the_log_scale() -> None:
    th = {"A": 10.0, "K": 0.3, "omega2_A": 0.1, "omega2_K": 0.2}
    d = {"times": [0.5, 2, 6], "n": 20}
    ind = {"A": "lognormal", "K": "lognormal"}
    expo = sf.PopulationModel("A*exp(-K*t)", ind, error="exponential")
    logs = sf.PopulationModel("log(A) - K*t", ind, error="additive")
    a = sf.population_fim(expo, d, {**th, "sigma2_exp": 0.05})
    b = sf.population_fim(logs, d, {**th, "sigma2_add": 0.05})
    assert a.parameters[-1] == "sigma2_exp"
    assert np.allclose(a.matrix, b.matrix, rtol=1e-12, atol=0)


def test_fixing_an_omega_entry_deletes_its_row_and_column() -> None:
    f = "DOSE*KA/(V*(KA - CL/V))*(exp(-CL/V*t) - exp(-KA*t))"
    ind = {"CL": "lognormal", "V": "lognormal", "KA": "lognormal"}
    th = {"CL": 0.15, "V": 8.0, "KA": 1.0, "omega2_CL": 0.07, "omega2_V": 0.02, "omega2_KA": 0.6, "sigma2_prop": 0.01}
    d = {"times": [0.5, 2, 24, 120], "n": 32, "DOSE": 70}
    full = sf.population_fim(sf.PopulationModel(f, ind, covariates=["DOSE"]), d, th)
    fixed = sf.population_fim(sf.PopulationModel(f, ind, covariates=["DOSE"], fixed=["omega2_V"]), d, th)
    keep = [i for i, n in enumerate(full.parameters) if n != "omega2_V"]
    assert fixed.parameters == tuple(full.parameters[i] for i in keep)
    assert np.allclose(fixed.matrix, full.matrix[np.ix_(keep, keep)], rtol=1e-13, atol=0)


def test_two_responses_without_random_effects_add_their_information() -> None:
    """No random effects: observations are independent, so the β block is the sum of the two responses'."""
    two = sf.PopulationModel(
        {"pk": "A*exp(-K*t)", "pd": "E*A*exp(-K*t)/(1 + A*exp(-K*t))"},
        {"A": "fixed", "K": "fixed", "E": "fixed"},
        error="additive",
    )
    assert two.parameters == ("A", "K", "E", "sigma2_add_pk", "sigma2_add_pd")
    th = {"A": 5.0, "K": 0.2, "E": 2.0, "sigma2_add_pk": 0.1, "sigma2_add_pd": 0.05}
    d = {"times": {"pk": [1, 4], "pd": [2, 8, 12]}, "n": 10}
    res = sf.population_fim(two, d, th)
    pk = sf.PopulationModel("A*exp(-K*t)", {"A": "fixed", "K": "fixed"}, error="additive")
    pd = sf.PopulationModel(
        "E*A*exp(-K*t)/(1 + A*exp(-K*t))", {"A": "fixed", "K": "fixed", "E": "fixed"}, error="additive"
    )
    i_pk = sf.population_fim(pk, {"times": [1, 4], "n": 10}, {"A": 5.0, "K": 0.2, "sigma2_add": 0.1}).matrix
    i_pd = sf.population_fim(
        pd, {"times": [2, 8, 12], "n": 10}, {"A": 5.0, "K": 0.2, "E": 2.0, "sigma2_add": 0.05}
    ).matrix
    beta = np.zeros((3, 3))
    beta[:2, :2] += i_pk[:2, :2]
    beta += i_pd[:3, :3]
    assert np.allclose(res.matrix[:3, :3], beta, rtol=1e-12, atol=0)
    assert res.matrix[3, 3] == pytest.approx(i_pk[2, 2], rel=1e-12)
    assert res.matrix[4, 4] == pytest.approx(i_pd[3, 3], rel=1e-12)
