"""Laplace posteriors: structures vs dense algebra, exact cases, evidence, predictive, bad input."""

from __future__ import annotations

import numpy as np
import pytest

import symfisher as sf
from symfisher.errors import DomainError
from symfisher.numeric.kfac.checks import ShapeError
from symfisher.numeric.kfac.error import kfac_factors
from symfisher.numeric.laplace.catalog import make_likelihood
from symfisher.numeric.laplace.metrics import expected_calibration_error, predictive_nll
from symfisher.numeric.nn import MLP, backprop_factors, jacobian

STRUCTURES = ["full", "kron", "diag", "last_layer", "last_layer_kron", "last_layer_diag"]


def _regression(seed: int = 0, n: int = 40, k: int = 2) -> tuple[MLP, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    net = MLP.random([3, 5, 4, k], rng, activation="tanh")
    X = rng.standard_normal((n, 3))
    return net, X, net.forward(X) + 0.3 * rng.standard_normal((n, k))


def _classification(seed: int = 1, n: int = 60, k: int = 3) -> tuple[MLP, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    net = MLP.random([2, 6, k], rng, activation="relu")
    X = rng.standard_normal((n, 2))
    return net, X, rng.integers(0, k, size=n).astype(float)


def _dense_ggn(net: MLP, X: np.ndarray, lik: str, sigma: float = 1.0) -> np.ndarray:
    """Independent route: sum_n J_n^T Lambda_n J_n with the curvature (not its factor)."""
    J = jacobian(net, X)
    Lam = make_likelihood(lik, sigma).curvature(net.forward(X))
    return np.einsum("nkp,nkj,njq->pq", J, Lam, J)


def _prior_vec(net: MLP, tau: np.ndarray) -> np.ndarray:
    return np.concatenate([np.full(w.size + b.size, t) for w, b, t in zip(net.weights, net.biases, tau)])


def test_full_log_det_matches_slogdet() -> None:
    net, X, y = _regression()
    tau = np.array([0.5, 2.0, 1.5])
    lap = sf.laplace(net, X, y, sigma=0.3, prior_precision=tau, structure="full")
    P = _dense_ggn(net, X, "gaussian", 0.3) + np.diag(_prior_vec(net, tau))
    sign, ref = np.linalg.slogdet(P)
    assert sign > 0 and abs(lap.log_det_posterior_precision - ref) <= 1e-10 * abs(ref)


def test_full_categorical_matches_dense_ggn() -> None:
    net, X, y = _classification()
    lap = sf.laplace(net, X, y, likelihood="categorical", prior_precision=0.7, structure="full")
    P = _dense_ggn(net, X, "categorical") + 0.7 * np.eye(net.n_params)
    assert np.allclose(lap.precision.to_dense(), P, rtol=1e-10, atol=1e-12)


def test_kron_log_det_from_factor_eigenvalues_matches_dense() -> None:
    net, X, y = _regression(seed=2)
    tau = np.array([0.5, 2.0, 1.5])
    lap = sf.laplace(net, X, y, sigma=0.5, prior_precision=tau, structure="kron")
    tr = net.trace(X)
    Bs = backprop_factors(net, tr, make_likelihood("gaussian", 0.5).factor(tr.output))
    blocks = []
    for a, B, t in zip(tr.inputs, Bs, tau):
        A, G = kfac_factors(a, B)
        blocks += [np.kron(G, A) + t * np.eye(G.shape[0] * A.shape[0]), G + t * np.eye(G.shape[0])]
    ref = sum(np.linalg.slogdet(b)[1] for b in blocks)
    assert abs(lap.log_det_posterior_precision - ref) <= 1e-10 * abs(ref)


def test_kron_exact_for_gaussian_output_layer() -> None:
    """Lambda = I / sigma^2 is constant, so the last weight block is exact for any N."""
    net, X, y = _regression(seed=3)
    lap = sf.laplace(net, X, y, sigma=0.3, prior_precision=1.0, structure="kron")
    errs = lap.kfac_errors()
    assert errs[2] <= 1e-7 and errs[0] > 1e-3
    sw, _ = net.layer_slices()[2]
    exact = _dense_ggn(net, X, "gaussian", 0.3)[sw, sw] + np.eye(sw.stop - sw.start)
    dense = lap.precision.to_dense()
    pos = {p: i for i, p in enumerate(lap.precision.index)}
    loc = [pos[p] for p in range(sw.start, sw.stop)]
    assert np.allclose(dense[np.ix_(loc, loc)], exact, rtol=1e-10, atol=1e-10)


def test_joint_bias_block_permutation() -> None:
    """One example: K-FAC is exact, so each [W | b] block is the GGN's (W, b) block."""
    net, X, y = _regression(seed=4, n=1)
    lap = sf.laplace(net, X, y, sigma=0.3, prior_precision=1.0, structure="kron", joint_bias=True)
    P = _dense_ggn(net, X, "gaussian", 0.3) + np.eye(net.n_params)
    idx = lap.precision.index
    start = 0
    for blk in lap.precision.blocks:
        m = blk.index.size
        sub = lap.precision.to_dense()[start : start + m, start : start + m]
        assert np.allclose(sub, P[np.ix_(blk.index, blk.index)], rtol=1e-10, atol=1e-10)
        start += m
    assert sorted(idx) == list(range(net.n_params))


@pytest.mark.parametrize("structure", STRUCTURES)
def test_interface_solve_inverse_diagonal_log_det(structure: str) -> None:
    net, X, y = _classification(seed=5)
    lap = sf.laplace(net, X, y, likelihood="categorical", prior_precision=[0.5, 2.0], structure=structure)
    P = lap.precision.to_dense()
    rng = np.random.default_rng(6)
    v = rng.standard_normal((P.shape[0], 3))
    assert np.allclose(lap.precision.solve(v), np.linalg.solve(P, v), rtol=1e-9, atol=1e-12)
    assert np.allclose(lap.precision.inverse_diagonal(), np.diag(np.linalg.inv(P)), rtol=1e-9)
    assert abs(lap.log_det_posterior_precision - np.linalg.slogdet(P)[1]) <= 1e-10 * abs(np.linalg.slogdet(P)[1])


def test_diag_and_last_layer_are_restrictions_of_full() -> None:
    net, X, y = _regression(seed=7)
    ggn = _dense_ggn(net, X, "gaussian", 0.3)
    diag = sf.laplace(net, X, y, sigma=0.3, prior_precision=2.0, structure="diag")
    assert np.allclose(np.diag(diag.precision.to_dense()), np.diag(ggn) + 2.0, rtol=1e-11)
    ll = sf.laplace(net, X, y, sigma=0.3, prior_precision=2.0, structure="last_layer")
    idx = ll.precision.index
    assert np.allclose(ll.precision.to_dense(), ggn[np.ix_(idx, idx)] + 2.0 * np.eye(idx.size), rtol=1e-10, atol=1e-10)
    lld = sf.laplace(net, X, y, sigma=0.3, prior_precision=2.0, structure="last_layer_diag")
    assert np.array_equal(lld.precision.index, idx)
    assert np.allclose(np.diag(lld.precision.to_dense()), np.diag(ggn)[idx] + 2.0, rtol=1e-11)
    # Gaussian output layer: K-FAC is exact there, and with the joint [W | b] block the
    # last-layer K-FAC posterior equals the last-layer full one
    llk = sf.laplace(net, X, y, sigma=0.3, prior_precision=2.0, structure="last_layer_kron", joint_bias=True)
    assert abs(llk.log_det_posterior_precision - ll.log_det_posterior_precision) <= 1e-9 * abs(
        ll.log_det_posterior_precision
    )


def test_marginal_likelihood_exact_for_linear_gaussian() -> None:
    """A linear model with a Gaussian prior: the Laplace evidence is the exact evidence
    log N(y; 0, sigma^2 I + Xt Xt^T / tau) (Xt = [X, 1]) at the exact posterior mode."""
    rng = np.random.default_rng(8)
    n, d, sigma, tau = 25, 3, 0.4, 1.7
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d) + 0.5 + sigma * rng.standard_normal(n)
    Xt = np.hstack([X, np.ones((n, 1))])
    theta = np.linalg.solve(Xt.T @ Xt / sigma**2 + tau * np.eye(d + 1), Xt.T @ y / sigma**2)
    net = MLP([theta[None, :d]], [theta[d:]], activation="identity")
    C = sigma**2 * np.eye(n) + Xt @ Xt.T / tau
    ref = -0.5 * (y @ np.linalg.solve(C, y) + np.linalg.slogdet(C)[1] + n * np.log(2 * np.pi))
    # one layer, constant Lambda: full, last-layer and the joint [W | b] K-FAC block are exact
    for structure, joint in (("full", False), ("last_layer", False), ("kron", True)):
        lap = sf.laplace(net, X, y, sigma=sigma, prior_precision=tau, structure=structure, joint_bias=joint)
        assert abs(lap.log_marginal_likelihood() - ref) <= 1e-9 * abs(ref)


@pytest.mark.parametrize("structure", ["full", "kron", "diag"])
@pytest.mark.parametrize("per_layer", [False, True])
def test_prior_optimum_is_stationary(structure: str, per_layer: bool) -> None:
    net, X, y = _regression(seed=9)
    lap = sf.laplace(net, X, y, sigma=0.3, prior_precision=1.0, structure=structure)
    opt = lap.optimize_prior_precision(per_layer=per_layer)
    tau = opt.prior_precision
    best = opt.log_marginal_likelihood()
    assert best >= lap.log_marginal_likelihood()
    directions = np.eye(tau.size) if per_layer else np.ones((1, tau.size))
    for e in directions:  # central differences in log tau, step 1e-4
        up = lap.log_marginal_likelihood(prior_precision=tau * np.exp(1e-4 * e))
        dn = lap.log_marginal_likelihood(prior_precision=tau * np.exp(-1e-4 * e))
        assert abs(up - dn) / 2e-4 <= 1e-5 * max(1.0, abs(best))
        assert up <= best + 1e-9 and dn <= best + 1e-9


def test_sigma_argument_matches_refit() -> None:
    net, X, y = _regression(seed=10)
    for structure in ("full", "kron"):
        lap = sf.laplace(net, X, y, sigma=0.3, prior_precision=1.0, structure=structure)
        refit = sf.laplace(net, X, y, sigma=0.8, prior_precision=2.0, structure=structure)
        got = lap.log_marginal_likelihood(prior_precision=2.0, sigma=0.8)
        assert abs(got - refit.log_marginal_likelihood()) <= 1e-10 * abs(got)


@pytest.mark.parametrize("name", ["gaussian", "bernoulli", "categorical", "poisson"])
def test_likelihood_curvature_factor_and_derivatives(name: str) -> None:
    rng = np.random.default_rng(11)
    k = {"bernoulli": 1, "categorical": 4}.get(name, 3)
    lik = make_likelihood(name, sigma=0.6)
    f = rng.standard_normal((5, k))
    y = {
        "bernoulli": rng.integers(0, 2, (5, 1)).astype(float),
        "categorical": rng.integers(0, k, 5).astype(float),
        "poisson": rng.poisson(2.0, (5, k)).astype(float),
    }.get(name, rng.standard_normal((5, k)))
    S, Lam = lik.factor(f), lik.curvature(f)
    assert np.allclose(S @ np.swapaxes(S, 1, 2), Lam, rtol=1e-12, atol=1e-14)
    h = 1e-5
    for j in range(k):  # grad vs central differences of nll; Hessian vs differences of grad
        e = np.zeros(k)
        e[j] = h
        assert np.allclose((lik.nll(f + e, y) - lik.nll(f - e, y)) / (2 * h), lik.grad(f, y)[:, j], atol=1e-8)
        assert np.allclose((lik.grad(f + e, y) - lik.grad(f - e, y)) / (2 * h), Lam[:, :, j], atol=1e-8)


def test_curvatures_match_textbook_forms() -> None:
    f = np.array([[0.3, -1.2, 0.5]])
    p = np.exp(f) / np.exp(f).sum()
    assert np.allclose(make_likelihood("categorical").curvature(f)[0], np.diag(p[0]) - np.outer(p, p))
    assert np.allclose(make_likelihood("normal", sigma=0.5).curvature(f)[0], 4 * np.eye(3))
    assert np.allclose(make_likelihood("poisson").curvature(f)[0], np.diag(np.exp(f[0])))
    s = 1 / (1 + np.exp(-0.3))
    assert np.allclose(make_likelihood("bernoulli").curvature(f[:, :1])[0], s * (1 - s))


def test_categorical_curvature_is_fisher_by_enumeration() -> None:
    f = np.array([[0.3, -1.2, 0.5, 2.0]])
    lik = make_likelihood("categorical")
    p = lik.mean(f)[0]
    fisher = sum(p[c] * np.outer(g, g) for c in range(4) for g in [lik.grad(f, np.array([float(c)]))[0]])
    assert np.allclose(fisher, lik.curvature(f)[0], rtol=1e-12, atol=1e-15)


def test_predictive_gaussian_and_link_approximations() -> None:
    net, X, y = _regression(seed=12)
    lap = sf.laplace(net, X, y, sigma=0.3, prior_precision=1.0, structure="full")
    pred = lap.predict(X[:4])
    J = jacobian(net, X[:4])
    cov = np.einsum("nkp,pq,njq->nkj", J, np.linalg.inv(lap.precision.to_dense()), J)
    assert np.allclose(pred.f_cov, cov, rtol=1e-9, atol=1e-12)
    assert np.allclose(pred.variance, np.einsum("nkk->nk", cov) + 0.09, rtol=1e-9)
    netc, Xc, yc = _classification(seed=13)
    lapc = sf.laplace(netc, Xc, yc, likelihood="categorical", prior_precision=1e6, structure="kron")
    probit = lapc.predict(Xc[:5], link_approx="probit").mean
    mc = lapc.predict(Xc[:5], link_approx="mc", n_samples=2000, seed=1).mean
    plug_in = make_likelihood("categorical").mean(netc.forward(Xc[:5]))
    assert np.allclose(probit.sum(axis=1), 1.0, atol=1e-14)
    # a tight prior makes the function variance ~1e-6: both approximations -> softmax(f_MAP)
    assert np.max(np.abs(probit - plug_in)) <= 1e-4 and np.max(np.abs(mc - plug_in)) <= 1e-3
    with pytest.raises(DomainError, match="lognormal"):
        lapc.predict(Xc[:2], link_approx="lognormal")


def test_bernoulli_probit_and_mc_against_quadrature() -> None:
    rng = np.random.default_rng(16)
    net = MLP.random([2, 5, 1], rng, activation="tanh")
    X = 2 * rng.standard_normal((40, 2))
    y = (rng.uniform(size=40) < 0.5).astype(float)
    lap = sf.laplace(net, X, y, likelihood="bernoulli", prior_precision=0.1, structure="full")
    pred = lap.predict(X[:6], link_approx="probit")
    mu, s = pred.f_mean[:, 0], np.sqrt(pred.f_cov[:, 0, 0])
    x, w = np.polynomial.hermite_e.hermegauss(80)  # independent route: E[sigmoid(f)]
    quad = (w * (1 / (1 + np.exp(-(mu[:, None] + s[:, None] * x))))).sum(axis=1) / w.sum()
    assert np.max(s) > 0.5  # the variance matters here
    # MacKay's probit approximation: max abs error ~0.013 over mu in [-6, 6], s in (0, 10]
    # (measured against the same quadrature); 0.02 leaves a margin
    assert np.max(np.abs(pred.mean[:, 0] - quad)) <= 0.02
    mc = lap.predict(X[:6], link_approx="mc", n_samples=40000, seed=3).mean[:, 0]
    assert np.max(np.abs(mc - quad)) <= 5 * 0.5 / np.sqrt(40000)


def test_poisson_lognormal_predictive_matches_mc() -> None:
    rng = np.random.default_rng(14)
    net = MLP.random([2, 4, 1], rng)
    X = rng.standard_normal((30, 2))
    y = rng.poisson(np.exp(net.forward(X)[:, 0]))
    lap = sf.laplace(net, X, y, likelihood="poisson", prior_precision=1.0, structure="diag")
    ln = lap.predict(X[:5]).mean  # E[e^f] = e^{mu + s^2 / 2}, exact
    mc = lap.predict(X[:5], link_approx="mc", n_samples=200000, seed=2).mean
    assert np.allclose(ln, mc, rtol=0.02)


def test_calibration_metrics() -> None:
    probs = np.array([[0.8, 0.2], [0.8, 0.2], [0.8, 0.2], [0.8, 0.2], [0.8, 0.2]])
    y = np.array([0, 0, 0, 1, 1])  # accuracy 0.6 at confidence 0.8
    assert abs(expected_calibration_error(probs, y) - 0.2) <= 1e-12
    net, X, yc = _classification(seed=15)
    lap = sf.laplace(net, X, yc, likelihood="categorical", prior_precision=1.0, structure="diag")
    pred = lap.predict(X)
    ref = -np.mean(np.log(pred.mean[np.arange(X.shape[0]), yc.astype(int)]))
    assert abs(predictive_nll(lap.likelihood.name, pred, yc) - ref) <= 1e-12


def test_bad_inputs_name_the_problem() -> None:
    net, X, y = _regression()
    with pytest.raises(DomainError, match="prior_precision must be finite and > 0"):
        sf.laplace(net, X, y, prior_precision=0.0)
    with pytest.raises(DomainError, match="sigma must be finite and > 0"):
        sf.laplace(net, X, y, sigma=-1.0)
    with pytest.raises(ShapeError, match="'X' has 40, 'y' has 39"):
        sf.laplace(net, X, y[:39])
    Xn = X.copy()
    Xn[0, 0] = np.inf
    with pytest.raises(DomainError, match="'X' contains 1 NaN or infinite"):
        sf.laplace(net, Xn, y)
    with pytest.raises(ShapeError, match="one entry per layer"):
        sf.laplace(net, X, y, prior_precision=[1.0, 2.0])
    netc, Xc, yc = _classification(k=3)
    yc[4] = 3
    with pytest.raises(DomainError, match=r"class indices 0..2.*found 3"):
        sf.laplace(netc, Xc, yc, likelihood="categorical")
    netp = MLP.random([2, 3, 1], np.random.default_rng(0))
    with pytest.raises(DomainError, match="non-negative integer counts.*found -1"):
        sf.laplace(netp, np.zeros((2, 2)), np.array([1.0, -1.0]), likelihood="poisson")
    with pytest.raises(sf.OptionError, match="likelihood='gumbel' is not one of"):
        sf.laplace(netp, np.zeros((2, 2)), np.zeros(2), likelihood="gumbel")
    with pytest.raises(DomainError, match="dispersion must be finite and > 0"):
        sf.laplace(netp, np.zeros((2, 2)), np.zeros(2), likelihood="negative_binomial", dispersion=0.0)
    with pytest.raises(ShapeError, match="even number of outputs"):
        sf.laplace(netp, np.zeros((2, 2)), np.zeros(2), likelihood="heteroscedastic_gaussian")
    lap = sf.laplace(netc, Xc, np.zeros(Xc.shape[0]), likelihood="categorical")
    with pytest.raises(DomainError, match="sigma applies to the gaussian and student_t"):
        lap.log_marginal_likelihood(sigma=2.0)


def test_sf_laplace_callable_after_submodule_import() -> None:
    import subprocess
    import sys

    code = (
        "import numpy as np, symfisher.kfac.laplace, symfisher as sf\n"
        "net = sf.nn.MLP([np.ones((1, 2))], [np.zeros(1)])\n"
        "lap = sf.laplace(net, np.ones((3, 2)), np.zeros(3), structure='full')\n"
        "print(type(lap).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "LaplacePosterior"


NONCANONICAL = ["negative_binomial", "student_t", "heteroscedastic_gaussian"]


def _lik_and_point(name: str) -> tuple[object, np.ndarray]:
    lik = make_likelihood(name, sigma=0.7, df=5.0, dispersion=2.5)
    f = np.array([[0.4, -0.3]]) if name == "heteroscedastic_gaussian" else np.array([[0.8]])
    return lik, f


@pytest.mark.parametrize("name", NONCANONICAL)
def test_noncanonical_normalised_and_fisher_by_quadrature(name: str) -> None:
    """exp(-nll) integrates (sums) to 1 and E_y[grad grad^T] equals curvature(f)."""
    from scipy.integrate import quad

    lik, f = _lik_and_point(name)
    if name == "negative_binomial":
        y = np.arange(0.0, 3000.0)[:, None]
        p = np.exp(-lik.nll(np.repeat(f, y.shape[0], axis=0), y))
        g = lik.grad(np.repeat(f, y.shape[0], axis=0), y)[:, 0]
        total, fisher = p.sum(), np.array([[np.sum(p * g * g)]])
    else:

        def dens(t: float) -> float:
            return float(np.exp(-lik.nll(f, np.array([[t]])))[0])

        def outer(t: float, i: int, j: int) -> float:
            g = lik.grad(f, np.array([[t]]))[0]
            return dens(t) * g[i] * g[j]

        total = quad(dens, -np.inf, np.inf, epsabs=1e-13)[0]
        k = f.shape[1]
        fisher = np.array(
            [[quad(outer, -np.inf, np.inf, args=(i, j), epsabs=1e-13)[0] for j in range(k)] for i in range(k)]
        )
    assert abs(total - 1.0) <= 1e-9
    assert np.allclose(fisher, lik.curvature(f)[0], rtol=1e-7, atol=1e-10)


def test_student_t_fisher_published_value() -> None:
    # location Fisher of the t: (nu + 1) / ((nu + 3) sigma^2), Lange, Little & Taylor (1989), JASA 84:881
    lik = make_likelihood("student_t", sigma=0.7, df=5.0)
    assert abs(lik.curvature(np.zeros((1, 1)))[0, 0, 0] - 6.0 / (8.0 * 0.49)) <= 1e-15


@pytest.mark.parametrize("name", NONCANONICAL)
def test_noncanonical_gradient_and_factor(name: str) -> None:
    lik, f = _lik_and_point(name)
    y = np.array([[3.0]]) if name == "negative_binomial" else np.array([[1.3]])
    S = lik.factor(f)
    assert np.allclose(S @ np.swapaxes(S, 1, 2), lik.curvature(f), rtol=1e-13)
    h = 1e-6
    for j in range(f.shape[1]):
        e = np.zeros(f.shape[1])
        e[j] = h
        fd = (lik.nll(f + e, y) - lik.nll(f - e, y)) / (2 * h)
        assert abs(fd[0] - lik.grad(f, y)[0, j]) <= 1e-8


def test_student_t_kfac_exact_on_output_layer_and_laplace_runs() -> None:
    net, X, y = _regression(seed=17, k=1)
    lap = sf.laplace(net, X, y[:, 0], likelihood="student_t", sigma=0.5, df=4.0, prior_precision=1.0, structure="kron")
    assert lap.kfac_errors()[2] <= 1e-7  # constant Fisher, like the Gaussian case
    full = sf.laplace(net, X, y[:, 0], likelihood="student_t", sigma=0.5, df=4.0, prior_precision=1.0, structure="full")
    ref = np.linalg.slogdet(_dense_ggn_lik(net, X, make_likelihood("student_t", 0.5, df=4.0)) + np.eye(net.n_params))[1]
    assert abs(full.log_det_posterior_precision - ref) <= 1e-10 * abs(ref)
    pred = full.predict(X[:3])
    assert np.allclose(pred.variance, pred.f_cov[:, :, 0] + 0.25 * 4.0 / 2.0, rtol=1e-12)
    assert (
        abs(
            full.log_marginal_likelihood(sigma=0.8)
            - sf.laplace(
                net, X, y[:, 0], likelihood="student_t", sigma=0.8, df=4.0, structure="full"
            ).log_marginal_likelihood()
        )
        <= 1e-9
    )


def test_heteroscedastic_and_negative_binomial_laplace() -> None:
    rng = np.random.default_rng(18)
    net = MLP.random([2, 5, 2], rng)
    X = rng.standard_normal((30, 2))
    y = rng.standard_normal(30)
    lap = sf.laplace(net, X, y, likelihood="heteroscedastic_gaussian", structure="diag")
    pred = lap.predict(X[:4])
    f, v = pred.f_mean, np.einsum("nkk->nk", pred.f_cov)
    assert np.allclose(pred.variance[:, 0], v[:, 0] + np.exp(f[:, 1] + v[:, 1] / 2), rtol=1e-12)
    netc = MLP.random([2, 5, 1], rng)
    counts = rng.poisson(2.0, 30).astype(float)
    nb = sf.laplace(netc, X, counts, likelihood="negative_binomial", dispersion=3.0, structure="full")
    P = _dense_ggn_lik(netc, X, make_likelihood("negative_binomial", dispersion=3.0))
    assert np.allclose(nb.precision.to_dense(), P + np.eye(netc.n_params), rtol=1e-10)
    ln = nb.predict(X[:3]).mean
    assert np.allclose(ln, np.exp(nb.predict(X[:3]).f_mean[:, 0:1] + 0.5 * nb.predict(X[:3]).f_cov[:, 0]), rtol=1e-12)


def _dense_ggn_lik(net: MLP, X: np.ndarray, lik: object) -> np.ndarray:
    J = jacobian(net, X)
    Lam = lik.curvature(net.forward(X))
    return np.einsum("nkp,nkj,njq->pq", J, Lam, J)


# ---------------------------------------------------------------- derived (symbolic) curvature


@pytest.mark.slow
def test_symbolic_output_curvature_textbook_forms() -> None:
    import sympy as sp

    f0 = sp.Symbol("f0", real=True)
    sigma = sp.Symbol("sigma", positive=True)
    gauss = sf.kfac.output_curvature("gaussian")
    assert sp.simplify(gauss.fisher[0, 0] - 1 / sigma**2) == 0  # I / sigma^2
    assert gauss.ggn_equals_fisher and gauss.constant
    p = 1 / (1 + sp.exp(-f0))
    bern = sf.kfac.output_curvature("bernoulli")
    assert sp.simplify((bern.fisher[0, 0] - p * (1 - p)).rewrite(sp.exp)) == 0  # p (1 - p)
    assert bern.ggn_equals_fisher and not bern.constant
    pois = sf.kfac.output_curvature("poisson")
    assert sp.simplify(pois.fisher[0, 0] - sp.exp(f0)) == 0  # e^f
    assert pois.ggn_equals_fisher
    st = sf.kfac.output_curvature("student_t")
    assert not st.ggn_equals_fisher and st.constant  # Hessian depends on y
    het = sf.kfac.output_curvature("heteroscedastic_gaussian")
    assert not het.ggn_equals_fisher and not het.constant
    S = het.factor
    assert sp.simplify(S * S.T - het.fisher).is_zero_matrix


@pytest.mark.slow
def test_symbolic_categorical_is_softmax_curvature() -> None:
    import sympy as sp

    f = [sp.Symbol(f"f{i}", real=True) for i in range(3)]
    Z = sum(sp.exp(x) for x in f)
    oc = sf.kfac.output_curvature("categorical", link={"p1": sp.exp(f[1]) / Z, "p2": sp.exp(f[2]) / Z})
    p = sp.Matrix([sp.exp(x) / Z for x in f])
    assert sp.simplify(oc.fisher - (sp.diag(*p) - p * p.T)).is_zero_matrix  # diag(p) - p p^T
    assert oc.ggn_equals_fisher


def test_exactness_statements() -> None:
    assert sf.kfac.exactness("gaussian").output_layer
    assert sf.kfac.exactness("student_t").output_layer
    ex = sf.kfac.exactness("poisson")
    assert not ex.output_layer and any("one example" in s for s in ex.statements)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name,consts",
    [
        ("poisson", {}),
        ("student_t", {"sigma": 0.7, "nu": 5.0}),
        ("negative_binomial", {"r": 2.5}),
        ("heteroscedastic_gaussian", {}),
        ("bernoulli", {}),
    ],
)
def test_compiled_likelihood_matches_hand_written(name: str, consts: dict) -> None:
    lik = sf.kfac.compile_likelihood(name, consts)
    ref = make_likelihood(name, sigma=0.7, df=5.0, dispersion=2.5)
    rng = np.random.default_rng(19)
    f = rng.standard_normal((6, lik.k))
    y = (rng.integers(0, 2, (6, 1)) if name == "bernoulli" else rng.poisson(2.0, (6, 1))).astype(float)
    for a, b in (
        (lik.curvature(f), ref.curvature(f)),
        (lik.factor(f), ref.factor(f)),
        (lik.nll(f, y), ref.nll(f, y)),
        (lik.grad(f, y), ref.grad(f, y)),
        (lik.mean(f), ref.mean(f)),
    ):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.slow
def test_laplace_with_compiled_likelihood() -> None:
    rng = np.random.default_rng(20)
    net = MLP.random([2, 4, 1], rng)
    X = rng.standard_normal((25, 2))
    y = rng.poisson(np.exp(net.forward(X)[:, 0])).astype(float)
    lik = sf.kfac.compile_likelihood("poisson")
    a = sf.laplace(net, X, y, likelihood=lik, structure="kron", prior_precision=0.8)
    b = sf.laplace(net, X, y, likelihood="poisson", structure="kron", prior_precision=0.8)
    assert abs(a.log_marginal_likelihood() - b.log_marginal_likelihood()) <= 1e-10 * abs(b.log_marginal_likelihood())
    mc = a.predict(X[:3], n_samples=100000, seed=4).mean  # custom likelihood: MC
    assert np.allclose(mc, b.predict(X[:3]).mean, rtol=0.02)
    with pytest.raises(DomainError, match="'y' is outside the support of the poisson"):
        sf.laplace(net, X[:2], np.array([1.0, -2.0]), likelihood=lik)


@pytest.mark.slow
def test_laplace_with_a_family_and_link() -> None:
    """Exponential family with rate e^f: Lambda = 1 (constant), so K-FAC's output block is exact."""
    import sympy as sp

    rng = np.random.default_rng(25)
    net = MLP.random([2, 4, 1], rng)
    X = rng.standard_normal((30, 2))
    y = rng.exponential(np.exp(-net.forward(X)[:, 0]))
    f0 = sp.Symbol("f0", real=True)
    fam = sf.family("exponential")
    lap = sf.laplace(net, X, y, likelihood=fam, link={fam.params[0]: sp.exp(f0)}, structure="full", prior_precision=1.0)
    assert np.allclose(lap.likelihood.curvature(np.zeros((3, 1))), 1.0, rtol=1e-13)
    P = _dense_ggn_lik(net, X, lap.likelihood) + np.eye(net.n_params)
    assert abs(lap.log_det_posterior_precision - np.linalg.slogdet(P)[1]) <= 1e-10 * abs(np.linalg.slogdet(P)[1])
    J = jacobian(net, X)
    assert np.allclose(np.einsum("nkp,nkq->pq", J, J) + np.eye(net.n_params), P, rtol=1e-12)


def test_kfac_exact_for_every_layer_of_a_linear_network_with_gaussian_noise() -> None:
    """Identity activations: J_n = W_L ... W_{l+1} is the same for every example, so
    B_n B_n^T is constant in every layer and K-FAC (G a sum, A a mean) is exact throughout;
    with tanh the hidden layers are not."""
    rng = np.random.default_rng(26)
    X = rng.standard_normal((80, 4))
    lin = MLP.random([4, 6, 5, 3], rng, activation="identity")
    y = lin.forward(X) + 0.1 * rng.standard_normal((80, 3))
    errs = sf.laplace(lin, X, y, sigma=0.5).kfac_errors()
    assert max(errs.values()) <= 1e-7
    tanh = MLP(list(lin.weights), list(lin.biases), activation="tanh")
    errs = sf.laplace(tanh, X, y, sigma=0.5).kfac_errors()
    assert errs[2] <= 1e-7 and errs[0] > 1e-3 and errs[1] > 1e-3
