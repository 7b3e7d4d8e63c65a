"""Numeric design engine against published optimal designs and its own equivalence theorem.

Models are polynomial / logistic regressions built directly in NumPy (no SymPy).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.polynomial import legendre

from symfisher.errors import SingularDesignError
from symfisher.numeric.design.api import solve
from symfisher.numeric.design.core import Design, Space
from symfisher.numeric.design.criteria import ACriterion, DCriterion, DsCriterion, ECriterion, LCriterion
from symfisher.numeric.design.exact import efficiency, efficient_rounding
from symfisher.numeric.design.model import PointInfo
from symfisher.numeric.design.problem import Component, Problem

FINE = np.linspace(-1.0, 1.0, 20001)


def poly(k: int) -> PointInfo:
    """Polynomial regression of degree k, f(x) = (1, x, ..., x^k)."""
    f = lambda X: np.stack([X[:, 0] ** j for j in range(k + 1)], -1)  # noqa: E731
    df = lambda X: np.stack([j * X[:, 0] ** max(j - 1, 0) for j in range(k + 1)], -1)[:, None, :]  # noqa: E731
    return PointInfo.rank_one(f, df, n_params=k + 1)


def logistic(a: float, b: float) -> PointInfo:
    """2-parameter logistic regression, I(x) = p(1-p) (1, x)(1, x)ᵀ."""

    def f(X: np.ndarray) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-(a + b * X[:, 0])))
        s = np.sqrt(p * (1 - p))
        return np.stack([s, s * X[:, 0]], -1)

    def df(X: np.ndarray) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-(a + b * X[:, 0])))
        s = np.sqrt(p * (1 - p))
        ds = 0.5 * (1 - 2 * p) * b * s
        return np.stack([ds, ds * X[:, 0] + s], -1)[:, None, :]

    return PointInfo.rank_one(f, df, n_params=2)


def problem(model: PointInfo, crit, space=(-1.0, 1.0), **kw) -> Problem:  # noqa: ANN001
    sp = Space.finite(kw.pop("candidates")) if "candidates" in kw else Space.box(space)
    return Problem((Component(model, crit),), sp, **kw)


def moment_matrix(model: PointInfo, d: Design) -> np.ndarray:
    F = model.features_at(d.matrix)[0]
    return (F * d.weights[:, None]).T @ F


def d_sensitivity(model: PointInfo, d: Design, xs: np.ndarray) -> np.ndarray:
    """Independent route: tr(M⁻¹ f fᵀ) computed with numpy.linalg.solve."""
    F = model.features_at(xs.reshape(-1, 1))[0]
    return np.einsum("np,np->n", F, np.linalg.solve(moment_matrix(model, d), F.T).T)


def test_design_validation() -> None:
    with pytest.raises(ValueError, match="weights\\[1\\]"):
        Design([0.0, 1.0], [1.5, -0.5])
    with pytest.raises(ValueError, match="sum to 1"):
        Design([0.0, 1.0], [0.5, 0.6])
    with pytest.raises(ValueError, match="shape"):
        Design(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="lo < hi"):
        Space.box((1.0, 0.0))
    with pytest.raises(ValueError, match="outside"):
        Space.box((0, 1)).check_design(Design([0.5, 2.0]))


def test_linear_d_optimal() -> None:
    # Atkinson, Donev & Tobias (2007), §11.2: simple linear regression on [-1, 1]: ±1 with 1/2 each.
    r = solve(problem(poly(1), DCriterion()))
    assert np.allclose(r.points, [-1, 1], atol=1e-10) and np.allclose(r.weights, 0.5, atol=1e-10)
    assert r.sensitivity_bound == pytest.approx(2.0, abs=1e-12)
    assert r.certified and r.efficiency_bound > 1 - 1e-8


def test_quadratic_d_and_a() -> None:
    # Atkinson, Donev & Tobias (2007), §11.2 / Pukelsheim (1993) §9.5: D: -1, 0, 1 with 1/3 each.
    d = solve(problem(poly(2), DCriterion()))
    assert np.allclose(d.points, [-1, 0, 1], atol=1e-8) and np.allclose(d.weights, 1 / 3, atol=1e-8)
    # log det M = log(4/27) for the D-optimal quadratic design (exact special case).
    assert d.criterion_value == pytest.approx(np.log(4 / 27), abs=1e-10)
    # Pukelsheim (1993) §9.8: A-optimal weights 1/4, 1/2, 1/4 at -1, 0, 1; tr M⁻¹ = 8.
    a = solve(problem(poly(2), ACriterion()))
    assert np.allclose(a.points, [-1, 0, 1], atol=1e-8) and np.allclose(a.weights, [0.25, 0.5, 0.25], atol=1e-8)
    assert a.criterion_value == pytest.approx(8.0, rel=1e-9)
    assert a.sensitivity_bound == pytest.approx(8.0, rel=1e-9)


@pytest.mark.parametrize("k", [3, 4, 5, 7])
def test_polynomial_lobatto(k: int) -> None:
    # Guest (1958), Fedorov (1972) Thm 2.3.3: degree-k D-optimal design on [-1, 1] puts 1/(k+1)
    # on the roots of (1 - x²) P'_k(x) (Legendre–Lobatto points).
    c = np.zeros(k + 1)
    c[-1] = 1.0
    lobatto = np.sort(np.r_[-1.0, legendre.legroots(legendre.legder(c)), 1.0])
    r = solve(problem(poly(k), DCriterion()))
    assert np.abs(r.points - lobatto).max() < 2e-8 * 2.0  # 1e-8 of the space's width
    assert np.abs(r.weights - 1 / (k + 1)).max() < 1e-7
    # Equivalence theorem, independent route on a fine grid: tr(M⁻¹ I(x)) ≤ p.
    assert d_sensitivity(poly(k), r.design, FINE).max() <= (k + 1) * (1 + 1e-6)


def test_ds_highest_coefficient() -> None:
    # Kiefer & Wolfowitz (1959); Pukelsheim (1993) §9.12: Ds (= c) optimal for the leading
    # coefficient of a cubic: Chebyshev points ±1, ±1/2 with weights 1/6, 1/3, 1/3, 1/6.
    r = solve(problem(poly(3), DsCriterion((3,))))
    assert np.allclose(r.points, [-1, -0.5, 0.5, 1], atol=1e-8)
    assert np.allclose(r.weights, [1 / 6, 1 / 3, 1 / 3, 1 / 6], atol=1e-8)
    assert r.sensitivity_bound == pytest.approx(1.0)
    c = solve(problem(poly(3), LCriterion.from_c([0, 0, 0, 1])))
    assert np.allclose(c.weights, [1 / 6, 1 / 3, 1 / 3, 1 / 6], atol=1e-8)
    # Var of the leading coefficient under the Chebyshev design is 2^(2(k-1)) = 16 (Kiefer & Wolfowitz 1959).
    assert c.criterion_value == pytest.approx(16.0, rel=1e-9)


def test_c_optimal_elfving_vs_smooth_route() -> None:
    # Elfving LP vs the smooth L-criterion route (independent algorithms) for c = (0, 0, 1).
    r = solve(problem(poly(2), LCriterion.from_c([0, 0, 1])))
    from symfisher.numeric.design.optimize import optimise

    s = optimise(problem(poly(2), LCriterion.from_c([0, 0, 1])))
    assert r.criterion_value == pytest.approx(s.criterion_value, rel=1e-8)
    assert np.allclose(r.weights, [0.25, 0.5, 0.25], atol=1e-8)


def test_logistic_d_and_singular_c() -> None:
    # Abdelbasit & Plackett (1983); Ford, Torsney & Wu (1992): 2PL D-optimal on the logit scale
    # at ±1.5434 with weights 1/2.
    r = solve(problem(logistic(0.0, 1.0), DCriterion(), space=(-5, 5)))
    assert np.allclose(r.points, [-1.5434046, 1.5434046], atol=1e-6)
    assert np.allclose(r.weights, 0.5, atol=1e-9)
    # c-optimal for ED50 = -a/b: Ford, Torsney & Wu (1992): the one-point design at ED50
    # (singular M); gradient of -a/b at (a, b) = (1, 2) is (-1/2, 1/4).
    c = solve(problem(logistic(1.0, 2.0), LCriterion.from_c([-0.5, 0.25]), space=(-5, 5)))
    assert np.allclose(c.points, [-0.5], atol=1e-7) and c.weights.tolist() == [1.0]
    assert c.efficiency_bound > 1 - 1e-6 and "Elfving" in c.efficiency_formula


def test_e_optimal_general_equivalence() -> None:
    # Pukelsheim (1993) §9.13: E-optimal quadratic design on [-1, 1]: weights 1/5, 3/5, 1/5, λ_min = 1/5.
    r = solve(problem(poly(2), ECriterion()))
    assert np.allclose(r.points, [-1, 0, 1], atol=1e-8)
    assert np.allclose(r.weights, [0.2, 0.6, 0.2], atol=1e-8)
    assert r.criterion_value == pytest.approx(0.2, rel=1e-9)
    # Linear model: the optimum ±1, 1/2 has M = I, a repeated smallest eigenvalue; the
    # certificate must still hold (general equivalence theorem).
    lin = solve(problem(poly(1), ECriterion()))
    assert np.allclose(lin.weights, 0.5, atol=1e-9)
    assert lin.efficiency_bound > 1 - 1e-6 and lin.certified
    # Logistic 2PL at (0, 1): the optimum ±1 (weights 1/2) has M = p(1-p) I, again a repeated
    # eigenvalue (exact special case: λ_min = min(w(x), w(x) x²) is maximal at x = 1).
    lg = solve(problem(logistic(0.0, 1.0), ECriterion(), space=(-5, 5)))
    assert np.allclose(lg.points, [-1, 1], atol=1e-12) and np.allclose(lg.weights, 0.5, atol=1e-6)
    assert lg.criterion_value == pytest.approx(np.exp(1) / (1 + np.exp(1)) ** 2, rel=1e-9)
    assert lg.efficiency_bound > 1 - 1e-5 and "tr(E I(x))" in lg.efficiency_formula


def test_forced_point_and_candidates() -> None:
    r = solve(problem(poly(2), DCriterion(), forced=np.array([[0.5]]), min_weight=0.2))
    i = int(np.argmin(np.abs(r.points - 0.5)))
    assert r.weights[i] >= 0.2 - 1e-12 and r.certified
    # KKT check by an independent route: the free support points share d̃ and no x beats it.
    d = d_sensitivity(poly(2), r.design, FINE)
    free = [p for p in r.points if abs(p - 0.5) > 1e-6]
    level = d_sensitivity(poly(2), r.design, np.array(free))
    assert np.ptp(level) < 1e-6 and d.max() <= level.max() * (1 + 1e-6)
    cand = solve(problem(poly(2), DCriterion(), candidates=[-1.0, -0.3, 0.2, 0.9]))
    assert set(np.round(cand.points, 12)) <= {-1.0, -0.3, 0.2, 0.9} and cand.certified


def test_two_factor_factorial() -> None:
    # Atkinson, Donev & Tobias (2007) §11.6: the 2² factorial (weights 1/4) is D-optimal for
    # 1 + x1 + x2 + x1 x2 on [-1, 1]².
    f = lambda X: np.stack([np.ones(len(X)), X[:, 0], X[:, 1], X[:, 0] * X[:, 1]], -1)  # noqa: E731

    def df(X):
        return np.stack(
            [
                np.stack([0 * X[:, 0], 1 + 0 * X[:, 0], 0 * X[:, 0], X[:, 1]], -1),  # noqa: E731
                np.stack([0 * X[:, 0], 0 * X[:, 0], 1 + 0 * X[:, 0], X[:, 0]], -1),
            ],
            1,
        )

    r = solve(Problem((Component(PointInfo.rank_one(f, df, n_params=4), DCriterion()),), Space.box([(-1, 1), (-1, 1)])))
    assert sorted(map(tuple, np.round(r.points, 8))) == [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    assert np.allclose(r.weights, 0.25, atol=1e-8) and r.certified


def test_bayesian_identical_draws_equal_local() -> None:
    # Exact special case: a prior with two identical draws gives the locally optimal design.
    m = logistic(0.0, 1.0)
    two = PointInfo.rank_one(
        lambda X: np.stack([m.features_at(X)[0]] * 2), lambda X: np.stack([m.dfeatures(X)] * 2), n_params=2
    )
    r = solve(Problem((Component(two, DCriterion(), np.array([0.5, 0.5])),), Space.box((-5, 5))))
    assert np.allclose(r.points, [-1.5434046, 1.5434046], atol=1e-6)
    assert r.sensitivity_bound == pytest.approx(2.0)


def test_rounding_and_efficiency() -> None:
    # Pukelsheim & Rieder (1992): efficient rounding of (1/3, 1/3, 1/3) for n = 10 gives (4, 3, 3).
    assert sorted(efficient_rounding(np.full(3, 1 / 3), 10).tolist()) == [3, 3, 4]
    assert efficient_rounding(np.array([0.25, 0.5, 0.25]), 7).sum() == 7
    pr = problem(poly(2), DCriterion())
    opt = solve(pr)
    ex = opt.round(4)
    assert ex.counts.sum() == 4 and sorted(ex.counts.tolist()) == [1, 1, 2]
    # weights (1/2, 1/4, 1/4) vs (1/3, 1/3, 1/3): efficiency (det ratio)^(1/3) by numpy.linalg.det.
    det = np.linalg.det(moment_matrix(poly(2), ex.design)) / np.linalg.det(moment_matrix(poly(2), opt.design))
    assert ex.efficiency == pytest.approx(det ** (1 / 3), rel=1e-10)
    # Equally spaced 5-point design: det M = 0.5 (0.425 - 0.25) = 0.0875 vs 4/27 (exact moments).
    eq = Design(np.linspace(-1, 1, 5))
    assert efficiency(pr, eq, opt.design) == pytest.approx((0.0875 * 27 / 4) ** (1 / 3), rel=1e-9)


def test_non_identifiable_model_raises() -> None:
    f = lambda X: np.stack([np.ones(len(X)), X[:, 0], 2 * X[:, 0]], -1)  # noqa: E731
    with pytest.raises(SingularDesignError, match="not identifiable"):
        solve(problem(PointInfo.rank_one(f, n_params=3), DCriterion()))


def test_two_factor_full_quadratic() -> None:
    # Farrell, Kiefer & Walbran (1967); Atkinson, Donev & Tobias (2007) §11.5: D-optimal design for
    # the full quadratic in two factors on [-1, 1]² — 3² points, weights 0.1458 (corners),
    # 0.0802 (edge midpoints), 0.0962 (centre), to four decimals.
    def f(X: np.ndarray) -> np.ndarray:
        a, b = X[:, 0], X[:, 1]
        return np.stack([np.ones_like(a), a, b, a * b, a**2, b**2], -1)

    def df(X: np.ndarray) -> np.ndarray:
        a, b = X[:, 0], X[:, 1]
        z, o = np.zeros_like(a), np.ones_like(a)
        return np.stack([np.stack([z, o, z, b, 2 * a, z], -1), np.stack([z, z, o, a, z, 2 * b], -1)], 1)

    r = solve(Problem((Component(PointInfo.rank_one(f, df, n_params=6), DCriterion()),), Space.box([(-1, 1), (-1, 1)])))
    pts = np.round(r.points, 6)
    kind = np.abs(pts).sum(axis=1)  # 2 corners, 1 midpoints, 0 centre
    assert len(pts) == 9 and r.certified
    for k, w in [(2, 0.1458), (1, 0.0802), (0, 0.0962)]:
        assert np.allclose(r.weights[np.isclose(kind, k)], w, atol=1e-4)


def test_bayesian_and_compound_equivalence_independent() -> None:
    # Independent route (numpy.linalg.solve, no engine code): a Bayesian D-optimal design over
    # three slopes satisfies Σ_s α_s tr(M_s⁻¹ I_s(x)) ≤ p on a fine grid (Chaloner & Larntz 1989).
    slopes, alphas = [0.5, 1.0, 2.0], np.array([0.2, 0.5, 0.3])
    models = [logistic(0.0, s) for s in slopes]
    stacked = PointInfo.rank_one(
        lambda X: np.stack([m.features_at(X)[0] for m in models]),
        lambda X: np.stack([m.dfeatures(X) for m in models]),
        n_params=2,
    )
    r = solve(Problem((Component(stacked, DCriterion(), alphas),), Space.box((-6, 6))))
    xs = np.linspace(-6, 6, 24001)
    d = sum(a * d_sensitivity(m, r.design, xs) for a, m in zip(alphas, models))
    assert d.max() <= 2.0 * (1 + 1e-6) and r.certified
    # Compound ½ D + ½ A for the quadratic: d̃ = ½ tr(M⁻¹I)/3 + ½ tr(M⁻²I)/tr(M⁻¹) ≤ 1.
    q = poly(2)
    c = solve(
        Problem(
            (Component(q, DCriterion(), np.array([0.5])), Component(q, ACriterion(), np.array([0.5]))),
            Space.box((-1, 1)),
        )
    )
    M = moment_matrix(q, c.design)
    F = q.features_at(FINE.reshape(-1, 1))[0]
    Minv = np.linalg.inv(M)
    dd = 0.5 * np.einsum("np,pq,nq->n", F, Minv, F) / 3 + 0.5 * np.einsum("np,pq,nq->n", F, Minv @ Minv, F) / np.trace(
        Minv
    )
    assert dd.max() <= 1 + 1e-6 and np.allclose(c.points, [-1, 0, 1], atol=1e-8)
