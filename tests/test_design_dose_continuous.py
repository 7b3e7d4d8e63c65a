"""Continuous dose-finding designs on [0, 150] and the fused Newton evaluation (issue 15, part 2).

Independent routes: the TD (c-optimal) designs against a plain Elfving LP on a dense dose grid
written here with scipy's ``linprog``; the model-averaged Dopt&TD certificate recomputed from
scratch (information matrices, inverses and TD gradients from SymPy gradients lambdified here,
not symfisher's criterion objects) on a dense grid; the stacked Newton derivatives against the
component-by-component ones.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import brentq, linprog

import symfisher as sf
from symfisher.errors import OptionError
from symfisher.numeric.design import stacked
from symfisher.numeric.design.core import Space
from symfisher.numeric.design.criteria import ACriterion, DCriterion, DsCriterion, LCriterion
from symfisher.numeric.design.model import PointInfo
from symfisher.numeric.design.newton import derivatives
from symfisher.numeric.design.problem import Component, Problem, factors
from symfisher.testing.dosefinding import AVERAGED as GUESSES
from symfisher.testing.dosefinding import DELTA, DOSES

WIDTH = 150.0
x = sp.Symbol("x")
e0, em, ed, h, dl, d1, d2 = sp.symbols("e0 em ed h dl d1 d2")
# DoseFinding's mean functions (scal = 200, off = 1), written independently of symfisher's table
MEANS = {
    "emax": (e0 + em * x / (ed + x), [e0, em, ed]),
    "sigEmax": (e0 + em * x**h / (ed**h + x**h), [e0, em, ed, h]),
    "exponential": (e0 + em * (sp.exp(x / dl) - 1), [e0, em, dl]),
    "logistic": (e0 + em / (1 + sp.exp((ed - x) / dl)), [e0, em, ed, dl]),
    "betaMod": (
        e0 + em * (d1 + d2) ** (d1 + d2) / (d1**d1 * d2**d2) * (x / 200) ** d1 * (1 - x / 200) ** d2,
        [e0, em, d1, d2],
    ),
    "linear": (e0 + dl * x, [e0, dl]),
    "linlog": (e0 + dl * sp.log(x + 1), [e0, dl]),
}


def _features(name: str, theta: np.ndarray) -> tuple:
    """Gradient f(x) (N, p) of the mean (its limit 0 at x = 0 where x^a log x appears) and TD's gradient."""
    mu, ps = MEANS[name]
    sub = dict(zip(ps, theta))
    g = sp.lambdify(x, [sp.diff(mu, p).subs(sub) for p in ps], "numpy")

    def f(xs: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.stack([np.broadcast_to(np.asarray(v, float), xs.shape) for v in g(xs)], -1)
        return np.where(np.isfinite(out), out, 0.0)

    mean = sp.lambdify(x, mu.subs(sub), "numpy")
    grid = np.linspace(0, WIDTH, 20001)
    i = int(np.flatnonzero(mean(grid) - mean(0.0) >= DELTA)[0])
    td = brentq(lambda v: mean(v) - mean(0.0) - DELTA, grid[i - 1], grid[i], xtol=1e-14)
    slope = float(sp.diff(mu, x).subs(sub).subs(x, td))
    b = -(f(np.array([td]))[0] - f(np.array([0.0]))[0]) / slope
    return f, b


def _models(*names: str) -> sf.DoseModels:  # type: ignore[name-defined]
    return sf.dose_models(DOSES, scal=200, off=1, **{n: GUESSES[n] for n in names})


@pytest.mark.parametrize("name", ["emax", "sigEmax", "exponential", "logistic", "betaMod"])
def test_td_continuous_design_is_the_elfving_optimum(name: str) -> None:
    m = _models(name)
    res = sf.dose_design(m, "TD", delta=DELTA, space=(0, WIDTH))
    assert res.certified and res.efficiency_bound > 1 - 1e-7
    pts = np.sort(res.points)
    assert np.diff(pts).min(initial=np.inf) >= 2e-3 * WIDTH  # near-duplicates are merged (elfving.MERGE_REL)
    f, b = _features(name, m.thetas[0])
    # the variance b' M^+ b of the returned design, computed directly
    F = f(res.points)
    var = float(b @ np.linalg.pinv((F * res.weights[:, None]).T @ F, rcond=1e-12) @ b)
    assert var == pytest.approx(res.criterion_value, rel=1e-7)
    # Elfving LP on 30001 doses (min sum|u| s.t. sum u f(x) = b): no grid design beats the
    # continuous optimum, and the grid optimum is within the grid's resolution of it
    G = f(np.linspace(0, WIDTH, 30001))
    lp = linprog(np.ones(2 * len(G)), A_eq=np.hstack([G.T, -G.T]), b_eq=b, bounds=(0, None), method="highs")
    grid_var = float(lp.fun) ** 2
    assert res.criterion_value <= grid_var * (1 + 1e-9)
    assert res.criterion_value >= grid_var * (1 - 1e-5)


def test_averaged_dopt_td_continuous_certificate_on_a_dense_grid() -> None:
    m = _models(*GUESSES)
    res = sf.dose_design(m, "Dopt&TD", delta=DELTA, space=(0, WIDTH))
    assert res.certified
    assert np.diff(np.sort(res.points)).min() >= 1e-3 * WIDTH  # optimize.DUPLICATE_REL
    xs = np.concatenate([np.linspace(0, WIDTH, 30001), res.points])
    sens = np.zeros(xs.size)
    for name, theta, pi in zip(m.names, m.thetas, m.probs):
        f, b = _features(name, theta)
        F = f(res.points)
        Minv = np.linalg.inv((F * res.weights[:, None]).T @ F)
        G = f(xs)
        d_part = np.einsum("ni,ij,nj->n", G, Minv, G) / F.shape[1]
        td_part = (G @ Minv @ b) ** 2 / float(b @ Minv @ b)
        sens += pi * 0.5 * (d_part + td_part)
    # equivalence theorem (standardised, bound 1): max over the doses <= 1, = 1 at the support
    assert sens.max() <= 1 + 1e-6
    assert sens[-res.points.size :].min() >= 1 - 1e-6


def _emax_draws(ed50s: list[float]) -> PointInfo:
    def f(X: np.ndarray) -> np.ndarray:
        xx = X[:, 0]
        return np.stack([np.stack([xx**0, xx / (e + xx), -xx / (e + xx) ** 2], -1) for e in ed50s])

    return PointInfo.rank_one(f, n_params=3)


def _sig_emax() -> PointInfo:
    def f(X: np.ndarray) -> np.ndarray:
        xx = X[:, 0]
        xh, lx = xx**2.0, np.log(np.where(xx > 0, xx, 1.0))
        den = 25.0**2 + xh
        return np.stack([xx**0, xh / den, -2 * xh * 25.0 / den**2, xh * 25.0**2 * (lx - np.log(25.0)) / den**2], -1)

    return PointInfo.rank_one(f, n_params=4)


def test_stacked_derivatives_equal_the_per_component_ones() -> None:
    """Different p (3, 4), two draws, D, c, A and full-Ds criteria, a forced point."""
    a, b = _emax_draws([20.0, 30.0]), _sig_emax()
    comps = (
        Component(a, DCriterion(), np.array([0.1, 0.15])),
        Component(a, LCriterion.from_c([0.0, 1.0, -2.0]), np.array([0.1, 0.1])),
        Component(b, ACriterion(), np.array([0.2])),
        Component(b, DsCriterion((0, 1, 2, 3)), np.array([0.35])),
    )
    cand = np.array(DOSES)[:, None]
    pr = Problem(comps, Space.finite(cand), forced=np.array([[0.0]]), min_weight=0.05)
    parts, fixed = factors(pr, cand), factors(pr, pr.forced)
    st = stacked.build(pr, parts, fixed)
    assert st is not None
    for seed in range(3):
        eta = np.random.default_rng(seed).dirichlet(np.ones(cand.shape[0]))
        ref = derivatives(pr, parts, eta, fixed)
        got = stacked.derivatives(st, eta, 1.0 - pr.fixed_mass, pr.min_weight)
        assert ref is not None and got is not None
        assert got[0] == pytest.approx(ref[0], rel=1e-12)
        np.testing.assert_allclose(got[1], ref[1], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(got[2], ref[2], rtol=1e-9, atol=1e-12 * np.abs(ref[2]).max())
    partial_ds = Problem((Component(b, DsCriterion((1, 2))),), Space.finite(cand))
    assert stacked.build(partial_ds, factors(partial_ds, cand), factors(partial_ds, partial_ds.forced)) is None


@pytest.mark.parametrize("name", ["emax", "sigEmax"])
def test_optimal_design_td_equals_dose_design(name: str) -> None:
    m = _models(name)
    model, theta = m.models[0], dict(zip(m.models[0].params, m.thetas[0]))
    for kw in ({"candidates": DOSES}, {"space": (0, WIDTH)}):
        ref = sf.dose_design(m, "TD", delta=DELTA, **kw)
        for crit in ("TD", "MED"):
            got = sf.optimal_design(model, theta, criterion=crit, delta=DELTA, **kw)
            assert got.certified
            np.testing.assert_allclose(got.points, ref.points, atol=1e-9)
            np.testing.assert_allclose(got.weights, ref.weights, atol=1e-9)
    both = sf.optimal_design(model, theta, criterion="Dopt&TD", delta=DELTA, candidates=DOSES)
    ref = sf.dose_design(m, "Dopt&TD", delta=DELTA)
    assert both.certified
    np.testing.assert_allclose(both.weights, ref.weights, atol=1e-8)


def test_optimal_design_td_errors() -> None:
    m = _models("emax")
    model, theta = m.models[0], dict(zip(m.models[0].params, m.thetas[0]))
    with pytest.raises(OptionError, match="delta"):
        sf.optimal_design(model, theta, criterion="TD", space=(0, WIDTH))
    u, v, a0, a1, a2 = sp.symbols("u v a0 a1 a2")
    two = sf.Regression(a0 + a1 * u + a2 * v, [u, v], [a0, a1, a2], sigma=1)
    with pytest.raises(OptionError, match="dose_design"):
        sf.optimal_design(two, {a0: 0, a1: 1, a2: 1}, criterion="TD", delta=0.5, space=[(0, 1), (0, 1)])
