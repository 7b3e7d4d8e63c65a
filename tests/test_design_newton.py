"""Active-set Newton weights on finite candidate sets (symfisher.numeric.design.newton)."""

from __future__ import annotations

import numpy as np
import pytest

from symfisher.numeric.design.core import Space
from symfisher.numeric.design.criteria import ACriterion, DCriterion, DsCriterion, ECriterion, LCriterion
from symfisher.numeric.design.model import PointInfo
from symfisher.numeric.design.newton import derivatives, newton
from symfisher.numeric.design.problem import Component, Problem, factors, state
from symfisher.numeric.design.weights import multiplicative, polish

DOSES = np.array([0.0, 10.0, 25.0, 50.0, 100.0, 150.0])


def emax(ed50: float, emax_: float = 1.0) -> PointInfo:
    """Emax mean e0 + Emax x / (ED50 + x): gradient (1, x/(ED50+x), -Emax x/(ED50+x)²)."""

    def f(X: np.ndarray) -> np.ndarray:
        x = X[:, 0]
        return np.stack([x**0, x / (ed50 + x), -emax_ * x / (ed50 + x) ** 2], -1)

    return PointInfo.rank_one(f, n_params=3)


def sig_emax(ed50: float, h: float) -> PointInfo:
    """Sigmoid Emax e0 + x^h/(ED50^h + x^h) (Emax = 1): gradient in (e0, Emax, ED50, h)."""

    def f(X: np.ndarray) -> np.ndarray:
        x = X[:, 0]
        xh, lx = x**h, np.log(np.where(x > 0, x, 1.0))
        den = ed50**h + xh
        return np.stack(
            [x**0, xh / den, -h * xh * ed50 ** (h - 1) / den**2, xh * ed50**h * (lx - np.log(ed50)) / den**2], -1
        )

    return PointInfo.rank_one(f, n_params=4)


CRITERIA = {
    "D": DCriterion(),
    "A": ACriterion(),
    "Ds": DsCriterion((1, 2)),
    "L": LCriterion.from_matrix(np.eye(3)[:, 1:], 3),
}


def setup(model: PointInfo, crit: object, **kw: object) -> tuple[Problem, tuple, tuple]:
    pr = Problem((Component(model, crit),), Space.finite(DOSES), **kw)  # type: ignore[arg-type]
    return pr, factors(pr, DOSES[:, None]), factors(pr, pr.forced)


@pytest.mark.parametrize("name", sorted(CRITERIA))
def test_hessian_matches_central_differences(name: str) -> None:
    """Independent route: central differences of the closed-form gradient (h = 1e-6)."""
    pr, parts, fixed = setup(emax(25.0), CRITERIA[name])
    e = np.random.default_rng(3).dirichlet(np.ones(6))
    phi, g, H = derivatives(pr, parts, e, fixed)  # type: ignore[misc]
    assert phi == pytest.approx(state(pr, parts, e, fixed).phi, rel=1e-13)
    assert np.allclose(g, state(pr, parts, e, fixed).dtilde, rtol=1e-12)
    h, eye = 1e-6, np.eye(6)
    num = np.array(
        [
            (
                derivatives(pr, parts, e + h * eye[i], fixed)[1]  # type: ignore[index]
                - derivatives(pr, parts, e - h * eye[i], fixed)[1]
            )
            / (2 * h)
            for i in range(6)
        ]
    )  # type: ignore[index]
    assert np.abs(H - num).max() <= 1e-6 * np.abs(H).max()


def test_saturated_d_optimal_has_equal_weights() -> None:
    """A D-optimal design with p support points for p parameters has weights 1/p (Silvey 1980, §5.1)."""
    pr, parts, fixed = setup(emax(25.0), DCriterion())
    out = newton(pr, parts, fixed, np.full(6, 1 / 6))
    assert out is not None
    w = out[0]
    assert np.count_nonzero(w) == 3
    assert np.allclose(w[w > 0], 1 / 3, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CRITERIA))
@pytest.mark.parametrize("model", [emax(25.0), emax(80.0, 2.0)], ids=["ed25", "ed80"])
def test_equivalence_theorem_and_first_order_route(name: str, model: PointInfo) -> None:
    """Kiefer–Wolfowitz: max d̃ = 1 on the candidates at the optimum; the multiplicative + SLSQP
    route agrees to its own accuracy (SLSQP ftol 1e-15 on φ gives weights to ~1e-7)."""
    pr, parts, fixed = setup(model, CRITERIA[name])
    out = newton(pr, parts, fixed, np.full(6, 1 / 6))
    assert out is not None
    w = out[0]
    # 1e-7: state() forms d̃ from the unscaled M (cond(M) up to ~1e7 here), so its rounding is
    # ~1e-16 cond(M); the weights themselves are checked against 1e-12 in the rescaled test below
    assert state(pr, parts, w, fixed).dtilde.max() <= 1.0 + 1e-7
    e1, _, _ = multiplicative(pr, parts, fixed, np.full(6, 1 / 6), tol=1e-4)
    e1, _ = polish(pr, parts, fixed, e1)
    assert np.abs(w - e1).max() <= 1e-6
    assert state(pr, parts, w, fixed).phi >= state(pr, parts, e1, fixed).phi - 1e-13


@pytest.mark.parametrize("name", sorted(CRITERIA))
def test_equivalence_theorem_well_scaled(name: str) -> None:
    """Emax with ED50 = 25 reparametrised (third column × 25, cond(M) ~ 10): max d̃ = 1 to 1e-12."""
    base = emax(25.0)
    model = PointInfo.rank_one(lambda X: base.features_at(X)[0] * np.array([1.0, 1.0, 25.0]), n_params=3)
    pr, parts, fixed = setup(model, CRITERIA[name])
    w = newton(pr, parts, fixed, np.full(6, 1 / 6))[0]  # type: ignore[index]
    d = state(pr, parts, w, fixed).dtilde
    assert d.max() <= 1.0 + 1e-12
    assert np.allclose(d[w > 0], 1.0, atol=1e-12)


def test_four_parameter_sigmoid_interior_support() -> None:
    """sigEmax (ED50 = 25, h = 2): the equivalence theorem holds with 5 support points."""
    pr, parts, fixed = setup(sig_emax(25.0, 2.0), DCriterion())
    out = newton(pr, parts, fixed, np.full(6, 1 / 6))
    assert out is not None
    d = state(pr, parts, out[0], fixed).dtilde
    assert d.max() <= 1.0 + 1e-9
    assert np.allclose(d[out[0] > 0], 1.0, atol=1e-9)


def test_warm_start_from_optimum_returns_at_once() -> None:
    pr, parts, fixed = setup(emax(25.0), ACriterion())
    w = newton(pr, parts, fixed, np.full(6, 1 / 6))[0]  # type: ignore[index]
    again = newton(pr, parts, fixed, w)
    assert again is not None and again[1] <= 2
    assert np.allclose(again[0], w, atol=1e-14)


def test_forced_point_weight_respected() -> None:
    """Forced placebo with min_weight 0.4: the free part is optimal for the rest (equivalence at level ν)."""
    pr, parts, fixed = setup(emax(25.0), DCriterion(), forced=[[0.0]], min_weight=0.4)
    out = newton(pr, parts, fixed, np.full(6, 1 / 6))
    assert out is not None
    d = state(pr, parts, out[0], fixed).dtilde
    supp = out[0] > 0
    # 1e-8: rounding of state()'s unscaled M (cond ~1e6), not of the weights
    assert np.allclose(d[supp], d[supp].mean(), rtol=1e-8) and d.max() <= d[supp].mean() * (1 + 1e-8)


def test_no_hessian_for_e_criterion() -> None:
    """E-optimality is not smooth: the method declines and the caller uses the general route."""
    pr, parts, fixed = setup(emax(25.0), ECriterion())
    assert newton(pr, parts, fixed, np.full(6, 1 / 6)) is None
