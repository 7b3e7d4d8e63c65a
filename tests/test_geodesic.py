"""Geodesics and Fisher–Rao distances: closed forms, the numeric solver, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from symfisher.errors import DomainError
from symfisher.geometry.geodesic import fisher_rao_distance, geodesic
from symfisher.numeric.geodesic.solve import integrate_geodesic, shooting_distance

mu = sp.Symbol("mu", real=True)
sigma = sp.Symbol("sigma", positive=True)
lam = sp.Symbol("lam", positive=True)
p = sp.Symbol("p", positive=True)
p1, p2 = sp.symbols("p1 p2", positive=True)
k, beta = sp.symbols("k beta", positive=True)

NORMAL = sp.diag(1 / sigma**2, 2 / sigma**2)  # N(mu, sigma^2) in (mu, sigma)
POISSON = sp.Matrix([[1 / lam]])
EXPONENTIAL = sp.Matrix([[1 / lam**2]])  # rate parametrisation
BERNOULLI = sp.Matrix([[1 / (p * (1 - p))]])
P3 = 1 - p1 - p2
CATEGORICAL = sp.Matrix([[1 / p1 + 1 / P3, 1 / P3], [1 / P3, 1 / p2 + 1 / P3]])
GAMMA = sp.Matrix([[sp.polygamma(1, k), -1 / beta], [-1 / beta, k / beta**2]])
UNIT = {p: sp.Interval.open(0, 1)}
SIMPLEX_COORDS = {p1: sp.Interval.open(0, 1), p2: sp.Interval.open(0, 1)}


def normal_fr(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Costa, Santos & Strapasson (2015), Discrete Appl. Math. 197, eq. (8)."""
    (m1, s1), (m2, s2) = a, b
    return math.sqrt(2) * math.acosh(1 + ((m1 - m2) ** 2 / 2 + (s1 - s2) ** 2) / (2 * s1 * s2))


def cat_fr(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Amari (1985): 2 arccos Σ √(p_i q_i) over all outcomes."""
    pa, pb = [*a, 1 - sum(a)], [*b, 1 - sum(b)]
    return 2 * math.acos(sum(math.sqrt(x * y) for x, y in zip(pa, pb)))


# ----------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize(
    ("g", "coords", "a", "b", "want"),
    [
        # Poisson: 2|√λ1 − √λ2| (Atkinson & Mitchell 1981, Sankhyā A 43)
        (POISSON, [lam], [1.0], [4.0], 2.0),
        # Bernoulli: 2|arcsin√p1 − arcsin√p2| = 2(π/4 − π/6) (Atkinson & Mitchell 1981)
        (BERNOULLI, UNIT, [0.5], [0.25], math.pi / 6),
        # exponential: |log(λ1/λ2)| (Atkinson & Mitchell 1981)
        (EXPONENTIAL, [lam], [1.0], [math.e], 1.0),
        (NORMAL, [mu, sigma], [0.0, 1.0], [1.0, 2.0], normal_fr((0.0, 1.0), (1.0, 2.0))),
        (CATEGORICAL, SIMPLEX_COORDS, [1 / 3, 1 / 3], [0.5, 0.25], cat_fr((1 / 3, 1 / 3), (0.5, 0.25))),
    ],
)
def test_closed_forms_recognised_from_metric(g, coords, a, b, want) -> None:
    assert fisher_rao_distance(g, a, b, method="closed", coords=coords) == pytest.approx(want, rel=1e-14)


@pytest.mark.parametrize(
    ("g", "coords", "a", "b", "want"),
    [
        (POISSON, [lam], [0.3], [7.5], 2 * abs(math.sqrt(0.3) - math.sqrt(7.5))),
        (BERNOULLI, UNIT, [0.1], [0.85], 2 * abs(math.asin(math.sqrt(0.1)) - math.asin(math.sqrt(0.85)))),
        (EXPONENTIAL, [lam], [0.2], [3.0], abs(math.log(0.2 / 3.0))),
        (NORMAL, [mu, sigma], [-1.0, 0.5], [2.0, 1.5], normal_fr((-1.0, 0.5), (2.0, 1.5))),
        (NORMAL, [mu, sigma], [0.0, 1.0], [10.0, 1.0], normal_fr((0.0, 1.0), (10.0, 1.0))),
        (CATEGORICAL, SIMPLEX_COORDS, [0.2, 0.3], [0.6, 0.1], cat_fr((0.2, 0.3), (0.6, 0.1))),
    ],
)
@pytest.mark.parametrize("integrator", ["compiled", "scipy"])
def test_numeric_solver_reproduces_closed_forms(g, coords, a, b, want, integrator) -> None:
    got = fisher_rao_distance(g, a, b, method="numeric", coords=coords, integrator=integrator)
    assert got == pytest.approx(want, rel=1e-8)


def test_location_scale_half_plane_with_cross_term() -> None:
    # C/σ² with a non-diagonal constant C (a skewed location-scale family such as the
    # Gumbel): the recognised arccosh formula against the independent shooting solver.
    C = sp.Matrix([[3, 1], [1, 2]])
    g = C / sigma**2
    closed = fisher_rao_distance(g, [0.0, 1.0], [1.5, 0.4], method="closed", coords=[mu, sigma])
    numeric = fisher_rao_distance(g, [0.0, 1.0], [1.5, 0.4], method="numeric", coords=[mu, sigma])
    assert closed == pytest.approx(numeric, rel=1e-8)


def test_product_metric_is_recognised() -> None:
    # Two independent Poisson rates: d² = d₁² + d₂² (exact product structure).
    g = sp.diag(1 / lam, 1 / p)
    d = fisher_rao_distance(g, [1.0, 1.0], [4.0, 9.0], method="closed", coords=[lam, p])
    assert d == pytest.approx(math.hypot(2.0, 4.0), rel=1e-14)


def test_auto_falls_back_to_numeric_for_gamma() -> None:
    # No closed form for the gamma manifold: "closed" refuses, "auto" solves numerically,
    # and the result agrees with the length of the geodesic it found (independent route:
    # t·|v|_g with v the shooting velocity, and the triangle inequality along the way).
    a, b = [2.0, 1.0], [5.0, 3.0]
    with pytest.raises(ValueError, match="numeric"):
        fisher_rao_distance(GAMMA, a, b, method="closed", coords=[k, beta])
    d = fisher_rao_distance(GAMMA, a, b, coords=[k, beta])
    mid = fisher_rao_distance(GAMMA, a, [3.5, 2.0], coords=[k, beta])
    rest = fisher_rao_distance(GAMMA, [3.5, 2.0], b, coords=[k, beta])
    assert 0 < d <= mid + rest + 1e-12


def test_distance_consistency_small_step() -> None:
    # d(θ, exp_θ(εv)) = ε |v|_g for a short geodesic (gamma manifold, exact identity).
    theta0, vel, eps = np.array([2.0, 1.0]), np.array([0.3, -0.2]), 0.05
    _sol = geodesic(GAMMA, theta0, vel, t=eps, steps=1, coords=[k, beta])
    path = _sol.path
    g0 = np.array(GAMMA.subs({k: 2.0, beta: 1.0}).evalf(), dtype=float)
    want = eps * math.sqrt(vel @ g0 @ vel)
    got = fisher_rao_distance(GAMMA, theta0, path[-1], method="numeric", coords=[k, beta])
    assert got == pytest.approx(want, rel=1e-8)


# ----------------------------------------------------------------------------- geodesics
def test_geodesic_along_sigma_axis_is_exponential() -> None:
    # Exact special case: for 2 dσ²/σ², σ(t) = σ0 exp(t v/σ0) along μ = const.
    _sol = geodesic(NORMAL, {"mu": 0.0, "sigma": 2.0}, [0.0, 1.0], t=1.5, steps=6, coords=[mu, sigma])
    t = _sol.t
    path = _sol.path
    vel = _sol.vel
    assert t.shape == (7,) and path.shape == (7, 2) and vel.shape == (7, 2)
    np.testing.assert_allclose(path[:, 1], 2.0 * np.exp(t / 2.0), rtol=1e-10)
    np.testing.assert_allclose(path[:, 0], 0.0, atol=1e-12)


def test_geodesic_conserves_speed_and_reverses() -> None:
    # Exact: |γ̇|_g is constant along a geodesic; tracing back with −γ̇(1) returns to γ(0).
    x0, v0 = [2.0, 1.0], [0.5, 0.7]
    _sol = geodesic(GAMMA, x0, v0, t=1.0, steps=20, coords=[k, beta])
    path = _sol.path
    vel = _sol.vel
    gk = sp.lambdify((k, beta), GAMMA, "mpmath")
    speeds = [float(vv @ np.array(gk(*pt).tolist(), dtype=float) @ vv) for pt, vv in zip(path, vel)]
    np.testing.assert_allclose(speeds, speeds[0], rtol=1e-9)
    _sol = geodesic(GAMMA, path[-1], -vel[-1], t=1.0, coords=[k, beta])
    back = _sol.path
    np.testing.assert_allclose(back[-1], x0, rtol=1e-9)


def test_numeric_layer_on_flat_space() -> None:
    # Exact: zero Christoffel symbols give straight lines and Euclidean distances.
    flat = lambda th: np.zeros((th.shape[0], 2, 2, 2))  # noqa: E731
    eye = lambda th: np.broadcast_to(np.eye(2), (th.shape[0], 2, 2))  # noqa: E731
    sol = integrate_geodesic(flat, [1.0, 2.0], [3.0, -1.0], t_end=2.0, steps=4)
    np.testing.assert_allclose(sol.path[-1], [7.0, 0.0], rtol=1e-12, atol=1e-12)
    res = shooting_distance(flat, eye, [0.0, 0.0], [3.0, 4.0])
    assert res.distance == pytest.approx(5.0, rel=1e-12)


# ----------------------------------------------------------------------------- bad input
def test_points_outside_domain_are_rejected() -> None:
    with pytest.raises(DomainError, match="sigma = -1.0"):
        fisher_rao_distance(NORMAL, [0.0, -1.0], [1.0, 2.0], coords=[mu, sigma])
    with pytest.raises(DomainError, match="p = 1.5"):
        fisher_rao_distance(BERNOULLI, [0.5], [1.5], coords=UNIT)
    with pytest.raises(DomainError, match=r"theta1 lacks a value for the parameter\(s\) \[.sigma.\]"):
        fisher_rao_distance(NORMAL, {"mu": 0.0}, [1.0, 2.0], coords=[mu, sigma])
    with pytest.raises(DomainError, match="theta1 has an unknown parameter .tau."):
        fisher_rao_distance(NORMAL, {"mu": 0.0, "tau": 1.0}, [1.0, 2.0], coords=[mu, sigma])
    with pytest.raises(ValueError, match="method='best'"):
        fisher_rao_distance(NORMAL, [0.0, 1.0], [1.0, 2.0], method="best", coords=[mu, sigma])


def test_geodesic_leaving_the_domain_is_reported() -> None:
    # Flat metric on the half-line x > 0: x(t) = 1 − 2t leaves the domain at t = 1/2.
    x = sp.Symbol("x", positive=True)
    with pytest.raises(DomainError, match="leaves the parameter domain"):
        geodesic(sp.Matrix([[1]]), [1.0], [-2.0], t=1.0, coords=[x])


def test_bernoulli_geodesic_closed_form() -> None:
    # Exact: with φ = arcsin √p the metric is 4 dφ², so p(t) = sin²(φ0 + t v √g0 / 2) ...
    # here p0 = 1/2, v = 1, √g0 = 2: p(t) = sin²(π/4 + t) until it reaches p = 1 at t = π/4.
    _sol = geodesic(BERNOULLI, [0.5], [1.0], t=0.7, steps=7, coords=UNIT)
    t = _sol.t
    path = _sol.path
    np.testing.assert_allclose(path[:, 0], np.sin(np.pi / 4 + t) ** 2, rtol=1e-10)


# ----------------------------------------------------------------------------- catalog families
@pytest.mark.parametrize(
    ("name", "a", "b", "want"),
    [
        ("poisson", [1.0], [4.0], 2.0),  # 2|√λ1 − √λ2|
        ("bernoulli", [0.5], [0.25], math.pi / 6),  # 2|asin√p1 − asin√p2|
        ("exponential", [1.0], [math.e], 1.0),  # |log(λ1/λ2)|
        ("normal", [0.0, 1.0], [1.0, 2.0], normal_fr((0.0, 1.0), (1.0, 2.0))),
        ("categorical", [1 / 3, 1 / 3], [0.5, 0.25], cat_fr((1 / 3, 1 / 3), (0.5, 0.25))),
    ],
)
def test_catalog_closed_forms_and_numeric_solver(name, a, b, want) -> None:
    import symfisher as sf

    fam = sf.family(name)
    assert sf.fisher_rao_distance(fam, a, b) == pytest.approx(want, rel=1e-13)
    assert sf.fisher_rao_distance(fam, a, b, method="numeric") == pytest.approx(want, rel=1e-8)


def test_geometric_closed_form_matches_numeric() -> None:
    import symfisher as sf

    # I(p) = 1/(p²(1−p)): the recognised antiderivative against the shooting solver.
    fam = sf.family("geometric")
    closed = sf.fisher_rao_distance(fam, [0.3], [0.6], method="closed")
    assert closed == pytest.approx(sf.fisher_rao_distance(fam, [0.3], [0.6], method="numeric"), rel=1e-8)


def test_binomial_needs_its_fixed_n() -> None:
    import symfisher as sf

    fam = sf.family("binomial")
    with pytest.raises(ValueError, match=r"\['n'\].*with_fixed"):
        sf.fisher_rao_distance(fam, [0.5], [0.25])
    # Binomial(n, p) metric = n × Bernoulli metric: distance √n · π/6.
    d = sf.fisher_rao_distance(fam.with_fixed(n=10), [0.5], [0.25])
    assert d == pytest.approx(math.sqrt(10) * math.pi / 6, rel=1e-13)


def test_family_point_outside_domain_and_constraint() -> None:
    import symfisher as sf

    with pytest.raises(DomainError, match="p1 \\+ p2 < 1"):
        sf.fisher_rao_distance(sf.family("categorical"), [0.6, 0.6], [0.2, 0.2])
    with pytest.raises(DomainError, match="p = 1.2"):
        sf.fisher_rao_distance(sf.family("bernoulli"), {"p": 1.2}, [0.3])
