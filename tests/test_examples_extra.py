"""The count-regression Laplace example and the design-geometry example, run in-process.

Each example is imported by file path and its ``run`` function called at a small size;
the assertions check the returned numbers against independent routes.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from symfisher.numeric.nn import jacobian

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through it
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def poisson_example() -> ModuleType:
    return _load("poisson_laplace")


@pytest.fixture(scope="module")
def poisson_report(poisson_example: ModuleType):  # type: ignore[no-untyped-def]
    return poisson_example.run(n_train=80, n_test=150, hidden=6, steps=800, seed=0)


def _output_curvature(name: str, f: np.ndarray, r: float) -> np.ndarray:
    """Textbook Fisher in the log-link output: e^f (Poisson), r e^f / (r + e^f) (NB)."""
    mu = np.exp(f)
    return mu if name == "poisson" else r * mu / (r + mu)


@pytest.mark.parametrize("name", ["poisson", "negative_binomial"])
def test_full_log_det_matches_dense_slogdet(poisson_report, poisson_example, name) -> None:  # type: ignore[no-untyped-def]
    # independent route: build J^T Lambda J + tau I from the network Jacobian and the
    # textbook output curvature, then numpy.linalg.slogdet
    lap = poisson_report.posteriors[(name, "full")]
    J = jacobian(lap.net, lap.X)[:, 0, :]  # (N, P)
    lam = _output_curvature(name, lap.net.forward(lap.X)[:, 0], poisson_example.TRUE_DISPERSION)
    tau = lap.prior_precision[0]
    P = J.T @ (lam[:, None] * J) + tau * np.eye(J.shape[1])
    sign, logdet = np.linalg.slogdet(P)
    assert sign > 0
    assert lap.log_det_posterior_precision == pytest.approx(logdet, rel=1e-10, abs=1e-8)
    row = next(r for r in poisson_report.rows if (r.likelihood, r.structure) == (name, "full"))
    assert row.log_det == pytest.approx(logdet, rel=1e-10, abs=1e-8)


@pytest.mark.parametrize("structure", ["kron", "diag"])
def test_structured_log_det_matches_slogdet_of_dense(poisson_report, structure) -> None:  # type: ignore[no-untyped-def]
    lap = poisson_report.posteriors[("negative_binomial", structure)]
    _, logdet = np.linalg.slogdet(lap.precision.to_dense())
    assert lap.log_det_posterior_precision == pytest.approx(logdet, rel=1e-9, abs=1e-8)


def test_full_marglik_matches_laplace_formula(poisson_report) -> None:  # type: ignore[no-untyped-def]
    # log Z = log p(y|theta) - tau/2 |theta|^2 + P/2 log tau - 1/2 log det P_post,
    # with log p(y|theta) the Poisson log pmf written out here (independent of the library)
    from scipy.special import gammaln

    lap = poisson_report.posteriors[("poisson", "full")]
    f = lap.net.forward(lap.X)[:, 0]
    y = lap.y[:, 0]
    log_lik = float(np.sum(y * f - np.exp(f) - gammaln(y + 1)))
    theta, tau = lap.net.parameters(), lap.prior_precision[0]
    _, logdet = np.linalg.slogdet(lap.precision.to_dense())
    expect = log_lik - 0.5 * tau * theta @ theta + 0.5 * theta.size * np.log(tau) - 0.5 * logdet
    assert lap.log_marginal_likelihood() == pytest.approx(expect, rel=1e-10)


@pytest.mark.parametrize("key", [("poisson", "full"), ("negative_binomial", "kron"), ("negative_binomial", "diag")])
def test_prior_precision_is_a_stationary_maximum(poisson_report, key) -> None:  # type: ignore[no-untyped-def]
    # finite differences of the evidence in log tau: central slope ~ 0, both sides lower
    lap = poisson_report.posteriors[key]
    tau = lap.prior_precision[0]
    h = 1e-3
    up = lap.log_marginal_likelihood(prior_precision=tau * np.exp(h))
    down = lap.log_marginal_likelihood(prior_precision=tau * np.exp(-h))
    mid = lap.log_marginal_likelihood()
    assert abs(up - down) / (2 * h) < 1e-3
    assert mid >= max(up, down) - 1e-9
    row = next(r for r in poisson_report.rows if (r.likelihood, r.structure) == key)
    assert row.log_marglik >= row.log_marglik_initial - 1e-9


def test_map_is_stationary(poisson_report) -> None:  # type: ignore[no-untyped-def]
    for name, g in poisson_report.grad_norm.items():
        assert g < 5e-2, name


def test_lognormal_predictive_matches_monte_carlo(poisson_report) -> None:  # type: ignore[no-untyped-def]
    # E[e^f] for f ~ N(m, s^2) is e^{m + s^2/2}; compare with the library's MC route
    lap = poisson_report.posteriors[("negative_binomial", "full")]
    Xt = np.random.default_rng(3).uniform(-2, 2, size=(30, 2))
    ln = lap.predict(Xt, link_approx="lognormal")
    mc = lap.predict(Xt, link_approx="mc", n_samples=20000, seed=4)
    sd = np.sqrt(ln.f_cov[:, 0, 0])
    assert np.all(sd > 0)
    # MC standard error of the mean of e^f is below 4 % of the mean for s < 0.5 and 20000 draws
    assert np.max(sd) < 0.5
    np.testing.assert_allclose(mc.mean, ln.mean, rtol=0.04)


def test_report_numbers_are_sane(poisson_report) -> None:  # type: ignore[no-untyped-def]
    rows = poisson_report.rows
    assert len(rows) == 6
    for r in rows:
        assert np.isfinite([r.log_det, r.log_marglik, r.test_nll, r.tau]).all()
        assert 0.0 <= r.coverage90 <= 1.0
    for errs in poisson_report.kfac_errors.values():
        assert set(errs) == {0, 1}
        assert all(0.0 <= e < 1.0 for e in errs.values())
    # the data are negative binomial (r = 3): the NB evidence must beat the Poisson one
    ml = {(r.likelihood, r.structure): r.log_marglik for r in rows}
    assert ml[("negative_binomial", "full")] > ml[("poisson", "full")]


def test_negative_binomial_curvature_derived_equals_hand_written(poisson_report) -> None:  # type: ignore[no-untyped-def]
    assert poisson_report.nb_symbolic_equal
    assert poisson_report.nb_kernel_max_abs_diff < 1e-12
    assert poisson_report.nb_ggn_equals_fisher is False
    assert "exp(f0)" in poisson_report.nb_lambda


# ----------------------------------------------------------------------------- design_geometry
@pytest.fixture(scope="module")
def geometry_example() -> ModuleType:
    return _load("design_geometry")


@pytest.fixture(scope="module")
def geometry_report(geometry_example: ModuleType):  # type: ignore[no-untyped-def]
    return geometry_example.run(n_design=100, directions=32, sizes=(30, 300, 3000))


def _logistic_information(points, weights) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Hand-written M(xi) = sum w p(1-p) [1, x][1, x]^T at a = 0, b = 1."""
    M = np.zeros((2, 2))
    for x, w in zip(points, weights):
        p = 1.0 / (1.0 + np.exp(-x))
        M += w * p * (1 - p) * np.outer([1.0, x], [1.0, x])
    return M


def test_d_optimal_design_is_the_published_one(geometry_report) -> None:  # type: ignore[no-untyped-def]
    # logistic D-optimal design: x = (+-1.5434 - a) / b with equal weights
    # (Abdelbasit & Plackett 1983, JASA 78:90-98; Atkinson, Donev & Tobias 2007, Optimum
    # Experimental Designs, with SAS, the logistic example of the GLM chapter)
    opt = geometry_report.designs[0]
    np.testing.assert_allclose(sorted(opt.points), [-1.5434, 1.5434], atol=2e-4)
    np.testing.assert_allclose(opt.weights, [0.5, 0.5], atol=1e-6)


def test_log_det_volume_entropy_independent_routes(geometry_report) -> None:  # type: ignore[no-untyped-def]
    from scipy.stats import chi2, multivariate_normal

    n = geometry_report.n_design
    c = chi2.ppf(0.95, 2)
    for d in geometry_report.designs:
        M = _logistic_information(d.points, d.weights)
        assert d.log_det_m == pytest.approx(np.log(np.linalg.det(M)), rel=1e-10), d.name
        # entropy of N(theta, (n M)^{-1}) evaluated directly by scipy
        ent = multivariate_normal(np.zeros(2), np.linalg.inv(n * M)).entropy()
        assert d.entropy == pytest.approx(ent, rel=1e-10), d.name
        # ellipse area = pi * product of semi-axes sqrt(c / (n lambda_i))
        lam = np.linalg.eigvalsh(M)
        assert d.volume == pytest.approx(np.pi * np.prod(np.sqrt(c / (n * lam))), rel=1e-10), d.name


def test_d_optimal_maximises_log_det_and_minimises_volume_and_entropy(geometry_report) -> None:  # type: ignore[no-untyped-def]
    designs = geometry_report.designs
    opt, others = designs[0], designs[1:]
    assert all(opt.log_det_m > d.log_det_m for d in others)
    assert all(opt.volume < d.volume for d in others)
    assert all(opt.entropy < d.entropy for d in others)
    # the orderings coincide: volume * sqrt(det M) is the same for every design
    const = [d.volume * np.exp(0.5 * d.log_det_m) for d in designs]
    np.testing.assert_allclose(const, const[0], rtol=1e-12)
    assert opt.d_efficiency == pytest.approx(1.0, abs=1e-12)
    assert all(0 < d.d_efficiency < 1 for d in others)


def test_jeffreys_prior_is_the_volume_element(geometry_report) -> None:  # type: ignore[no-untyped-def]
    assert geometry_report.jeffreys_is_sqrt_det
    assert geometry_report.jeffreys.replace(" ", "") == "sqrt(2)/sigma**2"


def test_fisher_rao_area_is_the_hyperbolic_disc_area(geometry_report) -> None:  # type: ignore[no-untyped-def]
    # the normal family in (mu, sigma) has constant curvature -1/2 (Costa, Santos &
    # Strapasson 2015, Discrete Appl. Math. 197:59); a geodesic disc of radius r has area
    # 4 pi (cosh(r / sqrt 2) - 1) there; Jeffreys mass of the ball must equal it
    for b in geometry_report.balls:
        exact = 4 * np.pi * (np.cosh(b.radius / np.sqrt(2)) - 1)
        assert b.hyperbolic_area == pytest.approx(exact, rel=1e-14)
        assert b.fisher_rao_area == pytest.approx(exact, rel=1e-7), b.n


def test_ball_to_ellipse_ratio_converges_at_rate_r_squared(geometry_report) -> None:  # type: ignore[no-untyped-def]
    balls = geometry_report.balls
    errs = np.array([b.ratio - 1 for b in balls])
    r2 = np.array([b.radius**2 for b in balls])
    assert np.all(errs > 0) and np.all(np.diff(errs) < 0)
    # r^2 drops 10x between the sizes 30, 300, 3000, and so must the error (O(r^2))
    np.testing.assert_allclose(errs[:-1] / errs[1:], 10.0, rtol=0.05)
    scaled = errs / r2
    np.testing.assert_allclose(scaled, scaled[-1], rtol=0.02)
    assert balls[-1].ratio == pytest.approx(1.0, abs=1e-3)


def test_ball_boundary_is_at_fisher_rao_distance_r(geometry_report) -> None:  # type: ignore[no-untyped-def]
    # independent route: the closed-form normal-family Fisher-Rao distance
    import symfisher as sf

    fam = sf.family("normal")
    r = geometry_report.balls[0].radius
    for pt in geometry_report.boundary[::8]:
        d = sf.fisher_rao_distance(fam, [0.0, 1.0], list(pt), method="closed")
        assert d == pytest.approx(r, rel=1e-7)


def test_plot_file_is_written(geometry_example, geometry_report, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = geometry_example.plot_ball(geometry_report, tmp_path / "ball.png")
    assert out.exists() and out.stat().st_size > 1000


def test_kfac_example_uses_real_digits_when_installed() -> None:
    """With the test extra (scikit-learn) the K-FAC example runs on the real digits set.

    Exact reference: the UCI optical digits set shipped with scikit-learn has 1797 images of
    8 x 8 pixels in 10 classes; the example's 70/30 split gives 1257 training rows.
    """
    name, X_tr, y_tr, X_te, _ = _load("kfac_error").load_data(0)
    assert name.startswith("digits")
    assert X_tr.shape == (1257, 64) and X_te.shape == (540, 64)
    assert set(np.unique(y_tr)) == set(range(10))
