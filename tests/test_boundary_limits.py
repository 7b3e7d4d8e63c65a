"""Issue 12, section 1: exact values at boundary points of the design space.

Oracles: the exact one-sided limits (a power ``x**d`` with ``d > 0`` times any power of
``log x`` tends to 0 as ``x → 0+``), and features evaluated independently with mpmath
from the model's mean (SymPy ``diff`` + ``lambdify(modules="mpmath")``, 30 digits).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import symfisher as sf
from symfisher.models.kernels import mean_gradient, point_info

BETA_THETA = {
    "e0": 0.0,
    "emax": 1.0,
    "delta1": 0.33,
    "delta2": 2.31,
}  # issue 12 (DoseFinding betaMod, s = 200)


def _mp_features(model, theta: dict, xs) -> np.ndarray:
    """∂μ/∂θ at interior points ``xs`` by mpmath at 30 digits (independent of the kernels)."""
    grad = [sp.diff(model.mean, p) for p in model.params]
    subs = {p: sp.Float(theta[p.name], 30) for p in model.params}
    fn = sp.lambdify(model.x, [g.subs(subs) for g in grad], modules="mpmath")
    with mpmath.workdps(30):
        return np.array([[float(v) for v in fn(mpmath.mpf(float(x)))] for x in xs])


def test_betamod_gradient_at_dose_zero_is_the_exact_limit():
    m = sf.model("beta", 200)
    th = np.array(list(BETA_THETA.values()))
    g = mean_gradient(m, th, np.array([[0.0], [10.0]]))
    assert g[0].tolist() == [
        1.0,
        0.0,
        0.0,
        0.0,
    ]  # exact limit (issue 12: base gave 0.0026, -0.0200, ...)
    np.testing.assert_allclose(g[1], _mp_features(m, BETA_THETA, [10.0])[0], rtol=1e-12)
    f = point_info(m, th[None], np.array([[0.0, 150.0]])).features(np.array([[0.0], [150.0]]))
    assert f[0, 0].tolist() == [1.0, 0.0, 0.0, 0.0]
    np.testing.assert_allclose(f[0, 1], _mp_features(m, BETA_THETA, [150.0])[0], rtol=1e-12)


def test_sigmoid_emax_features_at_placebo_are_exact():
    m = sf.model("sigmoid_emax")
    f = point_info(m, np.array([[0.0, 1.0, 0.5, 0.5]]), np.array([[0.0, 1.0]])).features(np.array([[0.0]]))
    assert f[0, 0].tolist() == [
        1.0,
        0.0,
        0.0,
        0.0,
    ]  # x**h -> 0 and x**h*log(x) -> 0 for h > 0


def _mult_d_weights(F: np.ndarray, iters: int = 20000) -> np.ndarray:
    """D-optimal weights on fixed candidates by the multiplicative algorithm (Silvey, Titterington, Torsney 1978)."""
    w = np.full(F.shape[0], 1.0 / F.shape[0])
    for _ in range(iters):
        d = np.einsum("ni,ij,nj->n", F, np.linalg.inv(F.T @ (w[:, None] * F)), F)
        w *= d / F.shape[1]
    return w


def test_betamod_d_optimal_weights_match_an_independent_computation():
    m = sf.model("beta", 200)
    doses = [0.0, 10.0, 25.0, 50.0, 100.0, 150.0]
    F = np.vstack([[1.0, 0.0, 0.0, 0.0], _mp_features(m, BETA_THETA, doses[1:])])  # exact limit at dose 0
    ref = _mult_d_weights(F)
    d = sf.optimal_design(m, theta=BETA_THETA, candidates=doses)
    got = np.zeros(len(doses))
    for p, w in zip(d.points.ravel(), d.weights):
        got[doses.index(float(p))] = w
    np.testing.assert_allclose(got, ref, atol=2e-4)  # base b6723fa differed by 0.004


def test_sigmoid_emax_continuous_design_certified_with_exact_features():
    """Placebo exactly 0 and the equivalence theorem holds on a fine grid of mpmath features."""
    m = sf.model("sigmoid_emax")
    theta = {"e0": 0.0, "emax": 1.0, "ed50": 0.5, "h": 0.5}
    d = sf.optimal_design(m, theta=theta, space=(0, 1))
    assert d.points.ravel()[0] == 0.0
    support = d.points.ravel()
    F = np.vstack([[1.0, 0, 0, 0] if x == 0 else _mp_features(m, theta, [x])[0] for x in support])
    Minv = np.linalg.inv(F.T @ (d.weights[:, None] * F))
    grid = np.concatenate(
        [
            np.geomspace(1e-8, 1e-3, 60),
            np.linspace(1e-3, 0.05, 1500),
            np.linspace(0.05, 1, 200),
        ]
    )
    G = _mp_features(m, theta, grid)
    sens = np.einsum("ni,ij,nj->n", G, Minv, G)
    assert sens.max() <= 4 * (1 + 1e-6)  # base b6723fa: 4.0000158 at x = 0.00722 (its support point was off)


def test_boundary_value_limits():
    from symfisher.models.boundary import boundary_value

    x = sp.Symbol("x", nonnegative=True)
    h = sp.Symbol("h", positive=True)
    e = sp.Symbol("e", positive=True)
    assert boundary_value(x**h * sp.log(x) * e**h / (e**h + x**h) ** 2, x, 0.0, "+") == 0
    assert boundary_value(sp.sin(x) / x, x, 0.0, "+") == 1
    assert boundary_value(x + 1, x, 2.0, "-") == 3
    with pytest.raises(sf.DerivationError, match="limit"):
        boundary_value(sp.sin(1 / x), x, 0.0, "+")  # oscillates: no limit
