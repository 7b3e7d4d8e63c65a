"""Nonlinear ODE responses: numerical route with compiled forward sensitivities."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import symfisher as sf
from symfisher.population.ode import Dose
from symfisher.population.ode_nonlinear import augmented, compiled, nonlinear_ode
from symfisher.population.ode_numeric import response_derivatives

MM = {"A": "-VMAX*A/(KM*V + A)"}  # Michaelis–Menten elimination, amounts; C = A/V
PHI = np.array([5.0, 2.0, 10.0])  # VMAX, KM, V
TIMES = np.array([0.5, 1.0, 3.0, 6.0, 12.0])


@pytest.fixture(scope="module")
def mm_ode():  # type: ignore[no-untyped-def]
    return nonlinear_ode(MM, "A/V", [Dose("DOSE", 0, 0)], params=["VMAX", "KM", "V"], covariates=["DOSE"])


def _conc(phi: np.ndarray, t: np.ndarray, dose: float = 100.0) -> np.ndarray:
    vmax, km, v = phi
    sol = solve_ivp(
        lambda _t, a: -vmax * a / (km * v + a),
        (0, t.max()),
        [dose],
        t_eval=t,
        method="DOP853",
        rtol=1e-13,
        atol=1e-14,
    )
    return sol.y[0] / v


def test_route_is_reported(mm_ode) -> None:  # type: ignore[no-untyped-def]
    assert mm_ode.route.startswith("numerical (forward sensitivities")


def test_sensitivities_equal_finite_differences(mm_ode) -> None:  # type: ignore[no-untyped-def]
    k_rhs, k_out = compiled(mm_ode)
    m = len(augmented(mm_ode)[0])
    f, g, h = response_derivatives(k_rhs, k_out, m, 3, PHI, np.array([100.0]), [(0.0, 0, 100.0)], TIMES)
    assert np.allclose(f, _conc(PHI, TIMES), rtol=1e-9)
    step = 1e-4 * PHI
    for i in range(3):
        e = np.zeros(3)
        e[i] = step[i]
        fd = (_conc(PHI + e, TIMES) - _conc(PHI - e, TIMES)) / (2 * step[i])
        assert np.allclose(g[:, i], fd, rtol=1e-6, atol=1e-10)
        # second derivatives: central differences of the (exact) first derivatives
        gp = response_derivatives(k_rhs, k_out, m, 3, PHI + e, np.array([100.0]), [(0.0, 0, 100.0)], TIMES)[1]
        gm = response_derivatives(k_rhs, k_out, m, 3, PHI - e, np.array([100.0]), [(0.0, 0, 100.0)], TIMES)[1]
        assert np.allclose(h[:, :, i], (gp - gm) / (2 * step[i]), rtol=1e-6, atol=1e-9)


def test_reduced_population_fim_equals_a_finite_difference_route(mm_ode) -> None:  # type: ignore[no-untyped-def]
    ind = {"VMAX": "lognormal", "KM": "lognormal", "V": "lognormal"}
    model = sf.PopulationModel(mm_ode, ind, error="additive", covariates=["DOSE"])
    theta = {
        "VMAX": 5.0,
        "KM": 2.0,
        "V": 10.0,
        "omega2_VMAX": 0.1,
        "omega2_KM": 0.2,
        "omega2_V": 0.05,
        "sigma2_add": 0.01,
    }
    got = sf.population_fim(
        model,
        {"times": TIMES.tolist(), "n": 1, "DOSE": 100},
        theta,
        structure="reduced",
    ).matrix
    om, s2 = np.diag([0.1, 0.2, 0.05]), 0.01

    def f_eta(eta: np.ndarray, beta: np.ndarray = PHI) -> np.ndarray:
        return _conc(beta * np.exp(eta), TIMES)

    h = 1e-5
    z = np.stack([(f_eta(h * e) - f_eta(-h * e)) / (2 * h) for e in np.eye(3)], axis=1)
    jac = np.stack(
        [
            (f_eta(np.zeros(3), PHI * (1 + h * e)) - f_eta(np.zeros(3), PHI * (1 - h * e))) / (2 * h * PHI[i])
            for i, e in enumerate(np.eye(3))
        ],
        axis=1,
    )
    v = z @ om @ z.T + s2 * np.eye(len(TIMES))
    vi = np.linalg.inv(v)
    dvs = [np.outer(z[:, i], z[:, i]) for i in range(3)] + [np.eye(len(TIMES))]
    ref = np.zeros((7, 7))
    ref[:3, :3] = jac.T @ vi @ jac
    ref[3:, 3:] = [[0.5 * np.trace(vi @ a @ vi @ b) for b in dvs] for a in dvs]
    scale = np.sqrt(np.outer(np.diag(ref), np.diag(ref)))
    assert np.max(np.abs(got - ref) / scale) < 1e-6


def test_linear_system_through_the_numerical_route_equals_the_closed_form() -> None:
    ode = nonlinear_ode(
        {"A1": "-KA*A1", "A2": "KA*A1 - CL/V*A2"},
        "A2/V",
        [Dose("DOSE", 0, 0)],
        params=["CL", "V", "KA"],
        covariates=["DOSE"],
    )
    ind = {"CL": "lognormal", "V": "lognormal", "KA": "lognormal"}
    theta = {
        "CL": 0.15,
        "V": 8.0,
        "KA": 1.0,
        "omega2_CL": 0.07,
        "omega2_V": 0.02,
        "omega2_KA": 0.6,
        "sigma2_prop": 0.01,
    }
    d = {"times": [0.5, 1, 2, 6, 24, 36, 72, 120], "n": 32, "DOSE": 70}
    num = sf.population_fim(sf.PopulationModel(ode, ind, covariates=["DOSE"]), d, theta).matrix
    closed = sf.PopulationModel("DOSE*KA/(V*(KA - CL/V))*(exp(-CL/V*t) - exp(-KA*t))", ind, covariates=["DOSE"])
    ref = sf.population_fim(closed, d, theta).matrix
    assert np.allclose(num, ref, rtol=1e-8, atol=0)
