"""Optimal designs for symbolic regression models against published designs."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symfisher as sf
from symfisher.errors import DomainError, SymfisherError

x = sp.Symbol("x", nonnegative=True)
e0, emax = sp.symbols("e0 emax", real=True)
ed50 = sp.Symbol("ed50", positive=True)
a, b = sp.symbols("a b", real=True)
xr = sp.Symbol("x", real=True)


@pytest.fixture(scope="module")
def emax_model() -> sf.Regression:
    return sf.Regression(e0 + emax * x / (ed50 + x), x, [e0, emax, ed50], noise="normal", sigma=1)


@pytest.fixture(scope="module")
def logit() -> sf.Regression:
    return sf.Regression(a + b * xr, xr, [a, b], noise="bernoulli", link="logit")


def test_fisher_of_regression_is_rank_one(emax_model: sf.Regression) -> None:
    # Independent route: for normal noise with σ = 1, I(x) = ∇η ∇ηᵀ.
    grad = sp.Matrix([e0 + emax * x / (ed50 + x)]).jacobian([e0, emax, ed50])
    assert sp.simplify(sf.fisher(emax_model) - grad.T * grad) == sp.zeros(3, 3)


def test_emax_d_optimal(emax_model: sf.Regression) -> None:
    # Dette, Bretz, Pepelyshev & Pinheiro (2008), JASA 103: Emax on [0, D]: 0, d*, D with 1/3,
    # d* = ED50·D/(D + 2·ED50) = 25·150/200 = 18.75.
    d = sf.optimal_design(emax_model, theta={e0: 0, emax: 1, ed50: 25}, space=(0, 150), criterion="D")
    # to 1e-11 of the width: the continuous refinement ends with a precise polish (a design
    # certified after a rough refinement returned 18.7500001 before)
    assert np.allclose(d.points, [0.0, 18.75, 150.0], rtol=0, atol=150 * 1e-11)
    assert np.allclose(d.weights, 1 / 3, rtol=0, atol=1e-9)
    assert d.sensitivity_bound == 3.0 and d.max_sensitivity == pytest.approx(3.0, abs=1e-6)
    assert d.efficiency_bound > 1 - 1e-6 and "Atwood" in d.efficiency_formula
    xs = np.linspace(0, 150, 3001)
    assert d.sensitivity(xs).max() <= 3.0 + 1e-6
    ex = d.round(120)
    assert ex.counts.tolist() == [40, 40, 40] and ex.efficiency == pytest.approx(1.0, abs=1e-12)


def test_equally_spaced_efficiency(emax_model: sf.Regression) -> None:
    theta = {e0: 0, emax: 1, ed50: 25}
    d = sf.optimal_design(emax_model, theta=theta, space=(0, 150))
    eq = sf.Design([0, 37.5, 75, 112.5, 150])
    eff = sf.efficiency(eq, d, model=emax_model, theta=theta, criterion="D")
    # Independent route: (det M_eq / det M*)^(1/3) with numpy.linalg.det and f by hand.
    f = lambda t: np.array([1.0, t / (25 + t), -t / (25 + t) ** 2])  # noqa: E731
    M = lambda pts, w: sum(wi * np.outer(f(p), f(p)) for p, wi in zip(pts, w))  # noqa: E731
    ref = (np.linalg.det(M(eq.points, eq.weights)) / np.linalg.det(M(d.points, d.weights))) ** (1 / 3)
    assert eff == pytest.approx(ref, rel=1e-9)
    assert sf.efficiency(eq, d) == pytest.approx(ref, rel=1e-9)


def test_logistic_d_and_c(logit: sf.Regression) -> None:
    # Abdelbasit & Plackett (1983); Ford, Torsney & Wu (1992): 2PL D-optimal at logit ±1.5434, 1/2 each.
    d = sf.optimal_design(logit, theta={a: 1.0, b: 2.0}, space=(-5, 5))
    assert np.allclose(1.0 + 2.0 * d.points, [-1.5434046, 1.5434046], atol=1e-6)
    assert np.allclose(d.weights, 0.5, atol=1e-8)
    # c-optimal for ED50 = -a/b (Ford, Torsney & Wu 1992): the one-point design at ED50 (singular M).
    c = sf.optimal_design(logit, theta={a: 1.0, b: 2.0}, space=(-5, 5), criterion="c", c=-a / b)
    assert np.allclose(c.points, [-0.5], atol=1e-7) and c.efficiency_bound > 1 - 1e-6


def test_michaelis_menten() -> None:
    # López-Fidalgo & Wong (2002); Dette & Wong (1999): MM on [0, B]: x* = K·B/(2K + B), B with 1/2.
    m = sf.model("michaelis_menten")
    V, K = m.params
    d = sf.optimal_design(m, theta={V: 1.0, K: 10.0}, space=(0, 100))
    assert np.allclose(d.points, [10 * 100 / 120, 100.0], atol=1e-6) and np.allclose(d.weights, 0.5, atol=1e-8)


def test_sigmoid_emax_edge_limit_and_bayesian() -> None:
    # x^h log x at x = 0 needs its limit (0); the certificate must hold over [0, 150].
    m = sf.model("sigmoid_emax")
    th = dict(zip(m.params, [0.0, 1.0, 25.0, 2.0]))
    d = sf.optimal_design(m, theta=th, space=(0, 150))
    assert d.efficiency_bound > 1 - 1e-6 and d.points.size == 4 and d.points[0] == 0.0
    rng = np.random.default_rng(4)
    draws = np.column_stack([np.zeros(20), np.ones(20), rng.lognormal(np.log(25), 0.3, 20), np.full(20, 2.0)])
    bay = sf.optimal_design(m, prior=(draws, None), space=(0, 150))
    assert bay.sensitivity_bound == pytest.approx(4.0) and bay.efficiency_bound > 1 - 1e-6


def test_ds_and_forced_placebo(emax_model: sf.Regression) -> None:
    th = {e0: 0, emax: 1, ed50: 25}
    ds = sf.optimal_design(emax_model, theta=th, space=(0, 150), criterion="Ds", interest=[ed50])
    assert ds.sensitivity_bound == 1.0 and ds.efficiency_bound > 1 - 1e-6
    forced = sf.optimal_design(emax_model, theta=th, space=(0, 150), include=[75.0], min_weight=0.1)
    i = int(np.argmin(np.abs(forced.points - 75.0)))
    assert forced.weights[i] >= 0.1 - 1e-12 and forced.efficiency_bound > 1 - 1e-6


def test_bad_input(emax_model: sf.Regression) -> None:
    th = {e0: 0, emax: 1, ed50: 25}
    with pytest.raises(SymfisherError, match="ed50"):
        sf.optimal_design(emax_model, theta={e0: 0, emax: 1}, space=(0, 150))
    with pytest.raises(DomainError, match="ed50"):
        sf.optimal_design(emax_model, theta={e0: 0, emax: 1, ed50: -3}, space=(0, 150))
    with pytest.raises(ValueError, match="lo < hi"):
        sf.optimal_design(emax_model, theta=th, space=(150, 0))
    with pytest.raises(sf.OptionError, match="criterion='Z' is not one of"):
        sf.optimal_design(emax_model, theta=th, space=(0, 150), criterion="Z")
    with pytest.raises(SymfisherError, match="not a parameter"):
        sf.optimal_design(emax_model, theta=th, space=(0, 150), criterion="Ds", interest=[sp.Symbol("q")])
    with pytest.raises(ValueError, match="weights"):
        sf.Design([0, 75], [1.2, -0.2])
    d = sf.optimal_design(emax_model, theta=th, space=(0, 150))
    with pytest.raises(ValueError, match="outside"):
        sf.efficiency(sf.Design([0, 75, 300]), d)
    flat = sf.Regression(a + b * 0 * xr + b, xr, [a, b], sigma=1)
    with pytest.raises(SymfisherError, match="not identifiable"):
        sf.optimal_design(flat, theta={a: 0, b: 1}, space=(0, 1))


def test_catalog_names() -> None:
    names = sf.model_names()
    for n in [
        "linear",
        "quadratic",
        "polynomial",
        "emax",
        "sigmoid_emax",
        "exponential",
        "log_linear",
        "logistic_4pl",
        "beta",
        "michaelis_menten",
        "exponential_decay",
        "one_compartment",
        "logistic",
        "probit",
        "poisson",
        "quadratic_2factor",
    ]:
        assert n in names
    assert sf.model("polynomial", 3).params[-1].name == "b3"


def test_dose_finding_example_runs(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    import runpy
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "dose_finding.py"
    monkeypatch.setattr(sys, "argv", [str(path)])  # not pytest's arguments (they became a plot file)
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(path), run_name="__main__")
    assert not list(tmp_path.iterdir())  # no --plot: nothing written


@pytest.mark.slow
def test_glm_working_weights() -> None:
    # McCullagh & Nelder (1989), §2.5 / Table 2.1: per-point information w(η) x xᵀ with working
    # weight w = (dμ/dη)² / V(μ): logit μ(1-μ); probit φ(η)²/(Φ(1-Φ)); cloglog
    # (e^η e^{-e^η})² / (μ(1-μ)); Poisson-log μ; gamma-log (shape α) α; NB-log μ r/(r+μ).
    from scipy.stats import norm

    eta0 = 0.7

    def mu(link):
        return {
            "logit": 1 / (1 + np.exp(-eta0)),
            "probit": norm.cdf(eta0),  # noqa: E731
            "cloglog": 1 - np.exp(-np.exp(eta0)),
            "log": np.exp(eta0),
        }[link]

    cases = [
        (dict(noise="bernoulli", link="logit"), mu("logit") * (1 - mu("logit"))),
        (dict(noise="bernoulli", link="probit"), norm.pdf(eta0) ** 2 / (mu("probit") * (1 - mu("probit")))),
        (
            dict(noise="binomial", link="cloglog", n=3),
            3 * (np.exp(eta0) * np.exp(-np.exp(eta0))) ** 2 / (mu("cloglog") * (1 - mu("cloglog"))),
        ),
        (dict(noise="poisson", link="log"), mu("log")),
        (dict(noise="gamma", link="log", alpha=2.5), 2.5),
        (dict(noise="negative_binomial", link="log", r=2.0), mu("log") * 2.0 / (2.0 + mu("log"))),
        (dict(noise="student_t", sigma=2.0, nu=4), (4 + 1) / ((4 + 3) * 4.0)),  # Lange et al. (1989)
    ]
    for kw, w in cases:
        m = sf.Regression(a + b * xr, xr, [a, b], **kw)
        I = np.array(sf.fisher(m).subs({a: eta0 - 0.5 * 2.0, b: 0.5, xr: 2.0}).evalf(), dtype=float)
        assert np.allclose(I, w * np.outer([1, 2.0], [1, 2.0]), rtol=1e-10), kw


def test_unknown_sigma_matches_family_route() -> None:
    # Independent route: the same conditional density written as a Family in y, with x a
    # fixed symbol, through the core Fisher engine.
    s = sp.Symbol("s", positive=True)
    y = sp.Symbol("y", real=True)
    mu = a + b * xr
    fam = sf.Family(-((y - mu) ** 2) / (2 * s**2) - sp.log(s) - sp.log(2 * sp.pi) / 2, y, [a, b, s], sp.Reals)
    m = sf.Regression(mu, xr, [a, b, s], sigma=s)
    assert sp.simplify(sf.fisher(fam) - sf.fisher(m)) == sp.zeros(3, 3)


def test_i_optimal_and_model_robust() -> None:
    quad, lin = sf.model("quadratic"), sf.model("linear")
    th = {**dict(zip(quad.params, [0, 0, 0])), **dict(zip(lin.params, [0, 0]))}
    # I-optimality over the uniform measure on [-1, 1] (Gauss–Legendre rule, exact for these
    # moments): weights 1/4, 1/2, 1/4 at -1, 0, 1 (Atkinson, Donev & Tobias 2007, §10.6).
    nodes, wts = np.polynomial.legendre.leggauss(5)
    i_opt = sf.optimal_design(quad, theta=th, space=(-1, 1), criterion="I", region=(nodes, wts))
    assert np.allclose(i_opt.points, [-1, 0, 1], atol=1e-8) and np.allclose(i_opt.weights, [0.25, 0.5, 0.25], atol=1e-7)
    # Model-robust ½ linear + ½ quadratic, φ = ¼ log det M₁ + ⅙ log det M₂ (Läuter 1974): for the
    # symmetric design (w, 1-2w, w), dφ/dw = (7/12)/w - (1/3)/(1-2w) = 0 gives w = 7/18 (exact).
    rob = sf.optimal_design([lin, quad], theta=th, space=(-1, 1))
    assert np.allclose(rob.weights, [7 / 18, 4 / 18, 7 / 18], atol=1e-8) and rob.efficiency_bound > 1 - 1e-7


def test_maximin_over_guesses() -> None:
    m = sf.model("logistic")
    A, B = m.params
    guesses = [{A: 0.0, B: s} for s in (0.5, 1.0, 2.0)]
    mm = sf.optimal_design(m, theta=guesses, space=(-6, 6), maximin=True)
    assert mm.efficiency_bound > 1 - 1e-6 and "maximin" in mm.efficiency_formula
    # Independent check: no locally optimal design does better in the worst case.
    local = [sf.optimal_design(m, theta=g, space=(-6, 6)) for g in guesses]
    for loc in local:
        worst = min(sf.efficiency(loc, ref) for ref in local)
        assert worst <= mm.criterion_value + 1e-9


@pytest.mark.slow
def test_cli_json() -> None:
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "symfisher",
            "design",
            "emax",
            "--space",
            "0:150",
            "--theta",
            "e0=0,emax=1,ed50=25",
            "--n",
            "120",
            "--compare",
            "0,37.5,75,112.5,150",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert np.allclose(res["points"], [0, 18.75, 150], atol=1e-6) and res["exact"]["counts"] == [40, 40, 40]
    assert 1.3 < res["compare"]["sample_size_ratio"] < 1.5


@pytest.mark.slow
def test_cli_expression_model_and_bad_input() -> None:
    import json
    import subprocess
    import sys

    def run(*a):
        return subprocess.run(
            [sys.executable, "-m", "symfisher", "design", *a],  # noqa: E731
            capture_output=True,
            text=True,
            timeout=300,
        )

    # Exponential decay a + b e^{-kx} on [0, 10]: the D-optimal design has 0 and 10 among its
    # three equally weighted points (a three-parameter model with a three-point optimum).
    out = run("a + b*exp(-k*x)", "--params", "a,b,k", "--space", "0:10", "--theta", "a=0,b=1,k=0.5", "--json")
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert res["points"][0] == 0.0 and res["points"][-1] == 10.0 and np.allclose(res["weights"], 1 / 3, atol=1e-8)
    assert res["efficiency_bound"] > 1 - 1e-6
    bad = run("emax", "--space", "0:150", "--theta", "e0=0,emax=1")
    assert bad.returncode == 2 and "ed50" in bad.stderr


@pytest.mark.slow
def test_exponential_decay_and_catalog_certificates() -> None:
    # Box & Lucas (1959): for a·exp(-k x) on [0, B] with 1/k ≤ B the D-optimal design puts 1/2 on
    # x = 0 and x = 1/k.
    m = sf.model("exponential_decay")
    A, K = m.params
    d = sf.optimal_design(m, theta={A: 2.0, K: 0.25}, space=(0, 10))
    assert np.allclose(d.points, [0.0, 4.0], atol=1e-7) and np.allclose(d.weights, 0.5, atol=1e-8)
    # Every computed design satisfies its own equivalence theorem (continuous certificate).
    for name, th, space in [
        ("exponential", [0, 1, 50], (0, 150)),
        ("log_linear", [0, 1, 5], (0, 150)),
        ("one_compartment", [1.0, 0.2, 1.0], (0, 24)),
    ]:
        mod = sf.model(name)
        r = sf.optimal_design(mod, theta=dict(zip(mod.params, th)), space=space)
        assert r.efficiency_bound > 1 - 1e-6, name


def test_noise_given_as_family_and_heteroscedastic() -> None:
    # A user Family whose first parameter is the mean gives the same information as the catalog
    # name (independent construction of the same density).
    y, mu, s = sp.Symbol("y", real=True), sp.Symbol("mu", real=True), sp.Symbol("s", positive=True)
    fam = sf.Family(-((y - mu) ** 2) / (2 * s**2) - sp.log(s) - sp.log(2 * sp.pi) / 2, y, [mu, s], sp.Reals)
    m1 = sf.Regression(a + b * xr, xr, [a, b], noise=fam, s=2)
    m2 = sf.Regression(a + b * xr, xr, [a, b], noise="gaussian", sigma=2)
    assert sp.simplify(sf.fisher(m1) - sf.fisher(m2)) == sp.zeros(2, 2)
    # Heteroscedastic σ = s0·exp(g x): the (s0, g) block is 2 (∂log σ/∂θ)(∂log σ/∂θ)ᵀ (normal
    # scale information 2/σ², Lehmann & Casella 1998 Table 2.6.1, chain rule).
    s0, g = sp.Symbol("s0", positive=True), sp.Symbol("g", real=True)
    het = sf.Regression(a + b * xr, xr, [a, b, s0, g], sigma=s0 * sp.exp(g * xr))
    I = sf.fisher(het)
    assert sp.simplify(I[2:, 2:] - 2 * sp.Matrix([[1 / s0**2, xr / s0], [xr / s0, xr**2]])) == sp.zeros(2, 2)
    assert I[0, 2] == 0 and I[1, 3] == 0
    with pytest.raises(SymfisherError, match="sigma"):
        sf.Regression(a + b * xr, xr, [a, b], noise="normal")
    with pytest.raises(sf.OptionError, match="noise='cauchy-ish' is not one of"):
        sf.Regression(a + b * xr, xr, [a, b], noise="cauchy-ish")


def test_unknown_theta_key_is_an_error_naming_it(emax_model: sf.Regression) -> None:
    """A typo in a theta key must not be ignored (it would change nothing, silently)."""
    e0, emax, ed50 = emax_model.params
    with pytest.raises(sf.DomainError, match="typo"):
        sf.optimal_design(emax_model, theta={e0: 0, emax: 1, ed50: 25, "typo": 3}, space=(0, 150))
