"""K-FAC error kernels: matrix-free vs dense oracle, exact cases, orderings, bad input."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from symfisher.errors import DomainError, OptionError
from symfisher.kfac import kron_error
from symfisher.numeric.kfac.checks import ShapeError
from symfisher.numeric.kfac.dense import dense_errors, exact_block, rearrange
from symfisher.numeric.kfac.error import exact_norm_sq, kfac_factors, plain_numpy_norm_sq

RTOL_F = 1e-7  # the error is a difference of squares: accuracy ~ sqrt(eps) ||F||


def _layer(seed: int, n: int, d_in: int, d_out: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, d_in)) + rng.standard_normal(d_in)
    B = rng.standard_normal((n, d_out, k)) * rng.uniform(0.5, 2.0, size=(n, 1, 1))
    return a, B


@pytest.mark.parametrize("k", [1, 3])
def test_gram_matches_dense_oracle(k: int) -> None:
    a, B = _layer(0, 37, 6, 5, k)
    norm, kfac, near, ekfac = dense_errors(a, B)  # independent route: F formed explicitly
    rep = kron_error(a, B=B, method="gram", block=8)  # several blocks, incl. ragged ones
    assert abs(rep.exact_norm - norm) <= 1e-12 * norm
    assert abs(rep.frobenius - kfac * norm) <= RTOL_F * norm
    assert abs(rep.ekfac_relative_frobenius - ekfac) <= RTOL_F
    assert abs(rep.nearest_relative_frobenius - near) <= 1e-6


def test_norm_identity_against_explicit_block() -> None:
    a, B = _layer(1, 20, 4, 3, 2)
    F = exact_block(a, B)
    A, G = kfac_factors(a, B)
    # block layout: row-major vec of (d_out, d_in) weights is kron(G, A), G first
    i, j, k, l = 2, 1, 0, 3  # F[(i, j), (k, l)] = sum_n (B_n B_n^T)[i, k] a_n[j] a_n[l]
    entry = sum((b @ b.T)[i, k] * x[j] * x[l] for x, b in zip(a, B))
    assert abs(F[i * 4 + j, k * 4 + l] - entry) <= 1e-12 * np.abs(F).max()
    assert abs(exact_norm_sq(a, B, block=7) - np.sum(F * F)) <= 1e-12 * np.sum(F * F)
    assert np.allclose(A, sum(np.outer(x, x) for x in a) / 20, rtol=1e-13)
    assert np.allclose(G, sum(b @ b.T for b in B), rtol=1e-13)


def test_plain_numpy_baseline_agrees() -> None:
    a, B = _layer(2, 50, 5, 4, 1)
    ref = plain_numpy_norm_sq(a, B[:, :, 0])
    assert abs(exact_norm_sq(a, B, block=16) - ref) <= 1e-12 * ref


def test_rearrangement_of_kronecker_is_rank_one() -> None:
    rng = np.random.default_rng(3)
    X, Y = rng.standard_normal((3, 3)), rng.standard_normal((4, 4))
    assert np.allclose(rearrange(np.kron(X, Y), 3, 4), np.outer(X.ravel(), Y.ravel()))


@pytest.mark.parametrize("method", ["gram", "dense"])
def test_exact_for_one_example(method: str) -> None:
    a, B = _layer(4, 1, 7, 6, 2)
    rep = kron_error(a, B=B, method=method)
    assert rep.frobenius <= 1e-7 * rep.exact_norm


def test_exact_for_constant_output_curvature() -> None:
    """Output layer, homoscedastic Gaussian: B_n = I / sigma for every n, any inputs.

    F = (I / sigma^2) kron sum_n a_n a_n^T = (N I / sigma^2) kron mean_n a_n a_n^T = G kron A.
    """
    rng = np.random.default_rng(5)
    n, d_in, k, sigma = 200, 9, 4, 0.7
    a = rng.standard_normal((n, d_in))
    B = np.broadcast_to(np.eye(k) / sigma, (n, k, k)).copy()
    rep = kron_error(a, B=B, method="gram")
    assert rep.relative_frobenius <= 1e-7


def test_exact_for_identical_inputs() -> None:
    rng = np.random.default_rng(6)
    a = np.tile(rng.standard_normal(5), (30, 1))
    rep = kron_error(a, rng.standard_normal((30, 8)), method="gram")
    assert rep.relative_frobenius <= 1e-7


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_ekfac_and_nearest_never_worse(seed: int) -> None:
    a, B = _layer(seed, 60, 8, 7, 2)
    rep = kron_error(a, B=B, method="gram")
    assert rep.relative_frobenius > 0.05  # a genuinely inexact case
    assert rep.ekfac_relative_frobenius <= rep.relative_frobenius + 1e-12
    assert rep.nearest_relative_frobenius <= rep.relative_frobenius + 1e-12


def test_sampled_estimate_covers_exact_value() -> None:
    a, B = _layer(10, 300, 6, 5, 1)
    exact = kron_error(a, B=B, method="gram", nearest=False, ekfac=False)
    hits = 0
    for seed in range(20):
        rep = kron_error(a, B=B, method="sampled", num_pairs=4000, seed=seed, nearest=False, ekfac=False)
        lo, hi = rep.confidence_interval
        hits += lo <= exact.relative_frobenius <= hi
    assert hits >= 15  # nominal 95% coverage; P(hits < 15) < 1e-3 under binomial(20, .95)


def test_sampled_is_unbiased_on_average() -> None:
    a, B = _layer(11, 120, 4, 3, 2)
    exact = kron_error(a, B=B, method="gram", nearest=False, ekfac=False).exact_norm ** 2
    ests = [
        kron_error(a, B=B, method="sampled", num_pairs=2000, seed=s, nearest=False, ekfac=False).exact_norm ** 2
        for s in range(30)
    ]
    se = np.std(ests, ddof=1) / np.sqrt(len(ests))
    assert abs(np.mean(ests) - exact) <= 4 * se


def test_report_summary_text() -> None:
    a, B = _layer(12, 10, 3, 2, 1)
    text = kron_error(a, B=B).summary()
    assert "relative error, K-FAC" in text and "EKFAC" in text


def test_bad_inputs_name_the_array() -> None:
    a, B = _layer(13, 10, 3, 2, 1)
    with pytest.raises(ShapeError, match="'a' has 10, 'g' has 9"):
        kron_error(a, B[:9, :, 0])
    with pytest.raises(ShapeError, match="'B'"):
        kron_error(a, B=B[:, :, 0])
    bad = a.copy()
    bad[2, 1] = np.nan
    with pytest.raises(DomainError, match="'a' contains 1 NaN"):
        kron_error(bad, B[:, :, 0])
    with pytest.raises(DomainError, match="'g'"):
        kron_error(a, np.full((10, 2), np.inf))
    with pytest.raises(ShapeError, match="exactly one"):
        kron_error(a)
    with pytest.raises(ShapeError, match="num_pairs=0"):
        kron_error(a, B=B, method="sampled", num_pairs=0)
    with pytest.raises(OptionError, match="method='exact' is not one of"):
        kron_error(a, B=B, method="exact")


def test_cli_prints_report(tmp_path: object) -> None:
    a, B = _layer(14, 25, 4, 3, 2)
    path = f"{tmp_path}/acts.npz"
    np.savez(path, a=a, B=B)
    out = subprocess.run(
        [sys.executable, "-m", "symfisher", "kfac-error", path], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    rel = kron_error(a, B=B).relative_frobenius
    assert f"{rel:.6f}" in out.stdout
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "symfisher",
            "kfac-error",
            path,
            "--cross",
            "sampled",
            "--pairs",
            "500",
            "--seed",
            "4",
            "--no-nearest",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    est = kron_error(a, B=B, cross="sampled", num_pairs=500, seed=4, nearest=False)
    assert f"{est.relative_frobenius:.6f}" in out.stdout and "500 triples" in out.stdout
    np.savez(path, a=a)
    out = subprocess.run(
        [sys.executable, "-m", "symfisher", "kfac-error", path], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 2 and "'g' or 'B'" in out.stderr
    out = subprocess.run(
        [sys.executable, "-m", "symfisher", "kfac-error", f"{tmp_path}/none.npz"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and "cannot read" in out.stderr


@pytest.mark.slow
def test_example_runs_small(tmp_path: object) -> None:
    """examples/kfac_error.py at CI size (a few steps, tiny hidden layer)."""
    import os
    import pathlib

    script = pathlib.Path(__file__).resolve().parents[1] / "examples" / "kfac_error.py"
    env = {**os.environ, "PYTHONPATH": str(script.parents[1])}
    out = subprocess.run(
        [sys.executable, str(script), "--steps", "30", "--hidden", "6", "--opt-steps", "10"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert "last_layer" in out.stdout and "K-FAC/nearest/EKFAC" in out.stdout
    assert "Adam" in out.stdout


@pytest.mark.slow
def test_tour_step_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "symfisher", "tour", "--only", "K-FAC"], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert "relative error, K-FAC" in out.stdout and "log marglik" in out.stdout


def test_poisson_glm_closed_form_matches_large_sample() -> None:
    """Closed form (Gaussian MGF) vs the Gram route on 4e4 sampled inputs (MC error ~1%)."""
    from symfisher.numeric.kfac.glm import poisson_glm_kfac_error

    rng = np.random.default_rng(21)
    d_in, d_out, n = 3, 2, 40_000
    W = 0.3 * rng.standard_normal((d_out, d_in))
    mu = 0.2 * rng.standard_normal(d_in)
    L = 0.5 * rng.standard_normal((d_in, d_in)) + np.eye(d_in)
    cov = L @ L.T
    rel, norm = poisson_glm_kfac_error(W, mu, cov)
    x = mu + rng.standard_normal((n, d_in)) @ L.T
    B = np.einsum("ni,ij->nij", np.exp(0.5 * x @ W.T), np.eye(d_out))  # diag(e^{f/2})
    rep = kron_error(x, B=B, nearest=False, ekfac=False)  # auto: dense for a 2 x 3 layer
    assert rep.method.value == "dense"
    assert rel > 0.1  # a genuinely inexact case
    assert abs(rep.relative_frobenius - rel) <= 0.05 * rel
    assert abs(rep.exact_norm / n - norm) <= 0.05 * norm  # F / N -> population F
    assert poisson_glm_kfac_error(np.zeros((2, 3)), mu, cov)[0] == 0.0


def test_kfac_optimizer_one_step_is_newton_for_linear_gaussian() -> None:
    """One linear layer, Gaussian likelihood: the joint [W | b] K-FAC block is the exact
    Fisher, so one undamped step with lr = 1 lands on the least-squares solution."""
    from symfisher.numeric.kfac.optimizer import KFACConfig, KFACState, kfac_step
    from symfisher.numeric.nn import MLP

    rng = np.random.default_rng(22)
    X = rng.standard_normal((50, 4))
    Y = rng.standard_normal((50, 3))
    net = MLP([rng.standard_normal((3, 4))], [rng.standard_normal(3)], activation="identity")
    S = np.broadcast_to(np.eye(3), (50, 3, 3)).copy()  # sigma = 1
    cfg = KFACConfig(lr=1.0, damping=1e-20, decay=0.0, inverse_every=1)
    new, state = kfac_step(net, X, net.forward(X) - Y, S, KFACState(), cfg)
    Xt = np.hstack([X, np.ones((50, 1))])
    coef = np.linalg.lstsq(Xt, Y, rcond=None)[0]
    assert np.allclose(new.weights[0], coef[:4].T, atol=1e-8)
    assert np.allclose(new.biases[0], coef[4], atol=1e-8)
    assert state.step == 1 and state.A[0].shape == (5, 5) and state.G[0].shape == (3, 3)


def test_kfac_optimizer_decreases_loss_faster_than_gradient_descent() -> None:
    from symfisher.numeric.kfac.optimizer import KFACConfig, KFACState, kfac_step
    from symfisher.numeric.laplace.catalog import make_likelihood
    from symfisher.numeric.nn import MLP, parameter_gradient

    rng = np.random.default_rng(23)
    X = rng.standard_normal((200, 5)) * np.array([1, 1, 1, 5, 0.2])  # ill-conditioned inputs
    y = (X @ rng.standard_normal(5) + 0.3 * rng.standard_normal(200) > 0).astype(float)[:, None]
    lik = make_likelihood("bernoulli")
    net0 = MLP.random([5, 8, 1], rng, activation="tanh")
    net, state = net0, KFACState()
    cfg = KFACConfig(lr=0.5, damping=1e-2, decay=0.9, inverse_every=5)
    gd = net0
    for _ in range(40):
        f = net.forward(X)
        net, state = kfac_step(net, X, lik.grad(f, y), lik.factor(f), state, cfg)
        g = parameter_gradient(gd, X, lik.grad(gd.forward(X), y)) / 200
        gd = gd.with_parameters(gd.parameters() - 0.5 * g)
    loss = lambda m: float(np.mean(lik.nll(m.forward(X), y)))  # noqa: E731
    assert loss(net) < loss(gd) < loss(net0)


def test_glm_quadrature_matches_closed_form_and_samples() -> None:
    from symfisher.numeric.kfac.glm import glm_kfac_error, poisson_glm_kfac_error

    rng = np.random.default_rng(24)
    W = 0.4 * rng.standard_normal((3, 4))
    mu = 0.3 * rng.standard_normal(4)
    L = 0.4 * rng.standard_normal((4, 4)) + np.eye(4)
    cov = L @ L.T
    # Poisson: quadrature route vs the Gaussian-MGF closed form (independent derivations)
    q_rel, q_norm = glm_kfac_error(W, mu, cov, np.exp)
    c_rel, c_norm = poisson_glm_kfac_error(W, mu, cov)
    assert abs(q_rel - c_rel) <= 1e-10 * c_rel and abs(q_norm - c_norm) <= 1e-10 * c_norm

    # Bernoulli (no closed form): quadrature vs the exact Gram route on 3e4 samples
    def lam(u: np.ndarray) -> np.ndarray:
        p = 1 / (1 + np.exp(-u))
        return p * (1 - p)

    rel, norm = glm_kfac_error(3 * W, mu, cov, lam)
    n = 30_000
    x = mu + rng.standard_normal((n, 4)) @ L.T
    B = np.einsum("ni,ij->nij", np.sqrt(lam(x @ (3 * W).T)), np.eye(3))
    rep = kron_error(x, B=B, nearest=False, ekfac=False)
    assert rel > 0.05
    assert abs(rep.relative_frobenius - rel) <= 0.05 * rel
    assert abs(rep.exact_norm / n - norm) <= 0.05 * norm


def test_facade_is_lazy_and_numeric_path_avoids_sympy() -> None:
    code = (
        "import sys, numpy as np, symfisher as sf\n"
        "m0 = {'sympy', 'numba'} & set(sys.modules)\n"
        "sf.kfac.kron_error(np.ones((3, 2)), np.ones((3, 2)))\n"
        "sf.laplace(sf.nn.MLP([np.ones((1, 2))], [np.zeros(1)]), np.ones((3, 2)), np.zeros(3))\n"
        "print(sorted(m0), 'sympy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[]", "False"]
