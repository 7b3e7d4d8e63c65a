"""Linear compartment ODEs solved in closed form (Laplace residues), checked against independent routes."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp
from scipy.linalg import expm

import symfisher as sf
from symfisher.population.ode import Dose, linear_response
from symfisher.testing import warfarin

ORAL_1CPT = [["-KA", 0], ["KA", "-CL/V"]]
ORAL_2CPT = [["-KA", 0, 0], ["KA", "-CL/V - Q/V", "Q/V2"], [0, "Q/V", "-Q/V2"]]


def _eval(expr: sp.Expr, values: dict[str, float], t: float) -> float:
    sub = {s: values[s.name] for s in expr.free_symbols if s.name != "t"}
    tt = next((s for s in expr.free_symbols if s.name == "t"), sp.Symbol("t"))
    return float(expr.xreplace(sub).subs(tt, t).evalf(30))


def test_one_compartment_oral_equals_the_textbook_closed_form() -> None:
    sol = linear_response(ORAL_1CPT, "A2/V", [Dose("DOSE", 0)], compartments=["A1", "A2"])
    assert sol.route == "closed form (Laplace residues)"
    vals = {"KA": 1.3, "CL": 0.15, "V": 8.0, "DOSE": 70.0}
    for t in (0.1, 2.0, 24.0, 120.0):
        # DOSE*KA/(V*(KA - CL/V))*(exp(-CL/V*t) - exp(-KA*t)) (Bateman function)
        ref = 70 * 1.3 / (8 * (1.3 - 0.15 / 8)) * (np.exp(-0.15 / 8 * t) - np.exp(-1.3 * t))
        assert _eval(sol.expr, vals, t) == pytest.approx(ref, rel=1e-13)


def test_two_compartment_two_doses_equals_expm_superposition() -> None:
    sol = linear_response(
        ORAL_2CPT,
        "A2/V",
        [Dose(100, 0, 0), Dose(50, 0, 24)],
        compartments=["A1", "A2", "A3"],
    )
    v = {"KA": 1.1, "CL": 2.0, "V": 10.0, "Q": 1.5, "V2": 20.0}
    k = np.array([[-1.1, 0, 0], [1.1, -0.2 - 0.15, 1.5 / 20], [0, 0.15, -0.075]])
    for t in (0.5, 12.0, 24.0, 30.0, 96.0):
        a = 100 * expm(k * t)[:, 0] + (50 * expm(k * (t - 24))[:, 0] if t >= 24 else 0)
        assert _eval(sol.expr, v, t) == pytest.approx(a[1] / 10.0, rel=1e-11)


def test_infusion_equals_numerical_integration() -> None:
    sol = linear_response([["-CL/V"]], "A1/V", [Dose("DOSE", 0, 1.0, "TINF")], compartments=["A1"])
    v = {"CL": 2.0, "V": 10.0, "DOSE": 100.0, "TINF": 2.0}

    def rhs(t: float, a: np.ndarray) -> np.ndarray:
        return np.array([-0.2 * a[0] + (50.0 if 1.0 <= t < 3.0 else 0.0)])

    ts = [0.5, 1.5, 2.9, 3.5, 10.0]
    num = solve_ivp(rhs, (0, 10), [0.0], t_eval=ts, rtol=1e-12, atol=1e-12, max_step=0.01).y[0] / 10
    for t, ref in zip(ts, num):
        assert _eval(sol.expr, v, t) == pytest.approx(ref, rel=1e-8, abs=1e-12)


def test_population_fim_of_the_ode_form_equals_the_closed_form_model() -> None:
    """The warfarin oracle's closed form vs the same model solved from its compartment ODEs."""
    sol = linear_response(ORAL_1CPT, "A2/V", [Dose("DOSE*F", 0)], compartments=["A1", "A2"])
    ode = sf.PopulationModel(sol.expr, dict(warfarin.INDIVIDUAL), covariates=["DOSE"], fixed=["F"])
    a = sf.population_fim(ode, warfarin.DESIGN, warfarin.THETA).matrix
    b = sf.population_fim(warfarin.model(), warfarin.DESIGN, warfarin.THETA).matrix
    assert np.allclose(a, b, rtol=1e-10, atol=0)
