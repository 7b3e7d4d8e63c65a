"""Closed-form design criteria and optimal designs (issue 7).

Every formula is *derived* by ``solve_design`` and compared with the published closed
form (source cited beside it) and, through ``.check``, with the numeric design engine
and the equivalence theorem.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import symfisher as sf
from symfisher.errors import SymfisherError

X = sp.Symbol("x", nonnegative=True)
XR = sp.Symbol("x", real=True)
E0, EMAX = sp.symbols("e0 emax", real=True)
ED50, d, D = sp.symbols("ed50 d D", positive=True)
B0, B1, B2 = sp.symbols("b0 b1 b2", real=True)


@pytest.fixture(scope="module")
def emax_model() -> sf.Regression:
    return sf.Regression(E0 + EMAX * X / (ED50 + X), X, [E0, EMAX, ED50], noise="normal", sigma=1)


@pytest.fixture(scope="module")
def quad_model() -> sf.Regression:
    return sf.Regression(B0 + B1 * XR + B2 * XR**2, XR, [B0, B1, B2], noise="normal", sigma=1)


def test_emax_three_point_design_rediscovered(emax_model: sf.Regression) -> None:
    sol = sf.solve_design(emax_model, sf.SymbolicDesign([0, d, D]), criterion="D", unknowns=[d], assumptions=[d < D])
    # Dette, Kiss, Bevanda & Bretz (2010), Biometrika 97, Theorem 1: d* = ED50·D/(D + 2·ED50)
    assert sp.simplify(sol.formula[d] - ED50 * D / (D + 2 * ED50)) == 0
    assert sol.elementary and sol.depends_on == (ED50,)  # not on E0 or Emax


def test_emax_check_against_numeric_engine(emax_model: sf.Regression) -> None:
    sol = sf.solve_design(emax_model, sf.SymbolicDesign([0, d, D]), criterion="D", unknowns=[d], assumptions=[d < D])
    chk = sol.check({E0: 0, EMAX: 1, ED50: 25, D: 150}, space=(0, 150))
    assert chk.ok
    assert chk.points[1] == pytest.approx(18.75, abs=1e-12)  # 25·150/(150 + 50), exact
    assert chk.max_point_error < 1e-6 and abs(chk.efficiency - 1) < 1e-8
    assert chk.max_sensitivity == pytest.approx(3.0, abs=1e-6)


def test_michaelis_menten_two_point_design() -> None:
    V, K, Bmax = sp.symbols("V K B", positive=True)
    mm = sf.Regression(V * X / (K + X), X, [V, K], noise="normal", sigma=1)
    sol = sf.solve_design(mm, sf.SymbolicDesign([d, Bmax]), criterion="D", unknowns=[d], assumptions=[d < Bmax])
    # Duggleby (1979), J. theor. Biol. 81; López-Fidalgo & Wong (2002): x* = K·B/(2K + B)
    assert sp.simplify(sol.formula[d] - K * Bmax / (2 * K + Bmax)) == 0
    assert sol.depends_on == (K,)


def test_exponential_decay_design() -> None:
    a, b = sp.symbols("a b", positive=True)
    decay = sf.Regression(a * sp.exp(-b * X), X, [a, b], noise="normal", sigma=1)
    sol = sf.solve_design(decay, sf.SymbolicDesign([0, d]), criterion="D", unknowns=[d])
    # Atkinson, Donev & Tobias (2007), ch. 17: the exponential-decay design point is 1/θ
    assert sol.formula == {d: 1 / b} and sol.depends_on == (b,)
    assert sol.check({a: 1, b: 0.7}, space=(0, 5)).ok  # independent route: numeric optimum


def test_linear_regression_optimum_on_the_boundary() -> None:
    line = sf.Regression(B0 + B1 * XR, XR, [B0, B1], noise="normal", sigma=1)
    u = sp.Symbol("u", real=True)
    sol = sf.solve_design(line, sf.SymbolicDesign([-1, u]), criterion="D", unknowns=[u], space=(-1, 1))
    # Atkinson, Donev & Tobias (2007), ch. 11: D-optimal design on [-1, 1] is ±1 with ½ each
    assert sol.formula == {u: 1} and "boundary" in sol.note


def test_quadratic_regression_points_and_weights(quad_model: sf.Regression) -> None:
    c = sp.Symbol("c", real=True)
    sol = sf.solve_design(
        quad_model, sf.SymbolicDesign([-1, c, 1]), criterion="D", unknowns=[c], assumptions=[c > -1, c < 1]
    )
    assert sol.formula == {c: 0}
    w1, w2 = sp.symbols("w1 w2", positive=True)
    tmpl = sf.SymbolicDesign([-1, 0, 1], [w1, w2, 1 - w1 - w2])
    # Atkinson, Donev & Tobias (2007), ch. 11 (D: ⅓ each); Pukelsheim (1993), Optimal Design of
    # Experiments, quadratic regression on [-1, 1] (A: ¼, ½, ¼); both re-checked numerically in the example test
    third, quarter, half = sp.Rational(1, 3), sp.Rational(1, 4), sp.Rational(1, 2)
    assert sf.solve_design(quad_model, tmpl, criterion="D", unknowns=[w1, w2]).formula == {w1: third, w2: third}
    assert sf.solve_design(quad_model, tmpl, criterion="A", unknowns=[w1, w2]).formula == {w1: quarter, w2: half}


def test_logistic_points_are_roots_of_their_equation() -> None:
    al, be = sp.symbols("alpha beta", real=True)
    t = sp.Symbol("t", positive=True)
    logit = sf.Regression(al + be * XR, XR, [al, be], noise="bernoulli", link="logit")
    sol = sf.solve_design(logit, sf.SymbolicDesign([(-al - t) / be, (-al + t) / be]), criterion="D", unknowns=[t])
    assert not sol.elementary and sol.depends_on == ()
    with mpmath.workdps(50):  # independent route: t·tanh(t/2) = 1 solved at 50 digits
        ref = mpmath.findroot(lambda s: s * mpmath.tanh(s / 2) - 1, 1.5)
    assert abs(sol.roots[t] - float(ref)) < 1e-12
    assert round(sol.roots[t], 4) == 1.5434  # Abdelbasit & Plackett (1983), JASA 78: logit ±1.5434
    assert sol.check({al: 0.5, be: 2.0}, space=(-6, 6)).ok


def test_sensitivity_routes_agree(emax_model: sf.Regression) -> None:
    xi = sf.SymbolicDesign([0, d, D])
    lagrange, bound = sf.sensitivity(emax_model, xi, criterion="D")
    M = sp.Matrix(sf.information_matrix(emax_model, xi))
    I = sp.Matrix(emax_model.fisher_information())
    vals = {d: 18.75, D: 150, ED50: 25, EMAX: 1.3, E0: 0}
    Mn = np.array(M.subs(vals).evalf(), dtype=float)
    for xv in (0.0, 7.0, 18.75, 60.0, 150.0):  # independent route: tr(M⁻¹ I(x)) numerically
        In = np.array(I.subs(vals).subs(X, xv).evalf(), dtype=float)
        ref = np.trace(np.linalg.solve(Mn, In))
        assert float(lagrange.subs(vals).subs(X, xv)) == pytest.approx(ref, rel=1e-12)
    assert bound == 3


def test_cauchy_binet_determinant_matches_direct(quad_model: sf.Regression) -> None:
    from symfisher.design.symbolic import det_information

    w = sp.symbols("w1:5", positive=True)
    pts = [-1, sp.Rational(-1, 3), sp.Rational(1, 2), 1]
    xi = sf.SymbolicDesign(pts, [*w[:3], 1 - w[0] - w[1] - w[2]])
    direct = sf.information_matrix(quad_model, xi).det()
    assert sp.simplify(det_information(quad_model, xi) - direct) == 0


def test_numeric_design_gives_numpy_information(quad_model: sf.Regression) -> None:
    M = sf.information_matrix(quad_model, sf.Design([-1, 0, 1]), theta={B0: 0, B1: 0, B2: 1})
    # exact: Σ ⅓ f fᵀ with f = (1, x, x²) at -1, 0, 1
    np.testing.assert_allclose(M, [[1, 0, 2 / 3], [0, 2 / 3, 0], [2 / 3, 0, 2 / 3]], atol=1e-14)


def test_bad_input(emax_model: sf.Regression) -> None:
    q = sp.Symbol("q", positive=True)
    with pytest.raises(SymfisherError, match="not free symbols"):
        sf.solve_design(emax_model, sf.SymbolicDesign([0, d, D]), criterion="D", unknowns=[q])
    with pytest.raises(SymfisherError, match="singular"):
        sf.criterion(emax_model, sf.SymbolicDesign([0, D]), criterion="D")
    with pytest.raises(SymfisherError, match="sum to"):
        sf.SymbolicDesign([0, d, D], [sp.Rational(1, 2), sp.Rational(1, 2), sp.Rational(1, 2)])
    with pytest.raises(SymfisherError, match="negative"):
        sf.SymbolicDesign([0, 1], [sp.Rational(3, 2), sp.Rational(-1, 2)])
    with pytest.raises(SymfisherError, match="unknown criterion"):
        sf.criterion(emax_model, sf.SymbolicDesign([0, d, D]), criterion="Z")


@pytest.mark.slow
def test_example_runs_and_every_design_checks() -> None:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "closed_form_designs.py"
    spec = importlib.util.spec_from_file_location("closed_form_designs", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    results = mod.main()
    assert len(results) == 8 and all(chk.ok for _, _, chk in results)


def test_other_criteria_agree_with_numeric_formulas(emax_model: sf.Regression) -> None:
    xi = sf.SymbolicDesign([0, d, D])
    vals = {d: 18.75, D: 150, ED50: 25, EMAX: 1.3, E0: 0.2}
    M = np.array(sp.Matrix(sf.information_matrix(emax_model, xi)).subs(vals).evalf(), dtype=float)
    Minv = np.linalg.inv(M)
    # independent route: the definitions evaluated with NumPy
    assert float(sf.criterion(emax_model, xi, criterion="A").subs(vals)) == pytest.approx(np.trace(Minv), rel=1e-12)
    c_expr = EMAX / ED50  # any smooth g(θ): c = ∇g
    cvec = np.array([0.0, 1 / 25, -1.3 / 25**2])
    c_value = float(sf.criterion(emax_model, xi, criterion="c", c=c_expr).subs(vals))
    assert c_value == pytest.approx(cvec @ Minv @ cvec, rel=1e-12)
    ds = float(sf.criterion(emax_model, xi, criterion="Ds", interest=[ED50]).subs(vals))
    assert ds == pytest.approx(np.linalg.slogdet(M)[1] - np.linalg.slogdet(M[:2, :2])[1], rel=1e-12)
    line = sf.Regression(B0 + B1 * XR, XR, [B0, B1], noise="normal", sigma=1)
    t = sp.Symbol("t", positive=True)
    lam = sf.criterion(line, sf.SymbolicDesign([-t, t]), criterion="E")  # M = diag(1, t²): λ_min = min(1, t²)
    assert float(lam.subs(t, 0.5)) == pytest.approx(0.25, abs=1e-14)
    assert float(lam.subs(t, 2.0)) == pytest.approx(1.0, abs=1e-14)


def test_information_matrix_has_one_return_type_per_signature(quad_model: sf.Regression) -> None:
    B0, B1, B2 = quad_model.params
    sym = sf.information_matrix(quad_model, sf.SymbolicDesign([-1, 0, 1]))
    num = sf.information_matrix(quad_model, sf.Design([-1, 0, 1]), theta={B0: 0, B1: 0, B2: 1})
    assert isinstance(sym, sp.ImmutableMatrix) and isinstance(num, np.ndarray)
    np.testing.assert_allclose(num, np.array(sym, dtype=float), rtol=1e-14)  # linear model: no theta
    with pytest.raises(sf.SymfisherError, match="drop theta"):
        sf.information_matrix(quad_model, sf.SymbolicDesign([-1, 0, 1]), theta={B0: 0, B1: 0, B2: 1})
