"""sf.torch.laplace vs a dense computation and vs symfisher's NumPy MLP Laplace (independent routes).

Routes: (1) dense — the exact GGN ``sum_n J_n^T Lambda_n J_n`` from ``torch.func`` per-example
Jacobians and the likelihood's curvature, then log det / solves in NumPy; (2) the NumPy
MLP code of :func:`symfisher.laplace` (hand-written backprop; agrees with laplace-torch to
~1e-15, see README), run on the same weights.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch  # the test extra installs torch (CPU wheel): these tests always run in CI
from torch import nn
from torch.func import functional_call, jacrev, vmap

import symfisher as sf
import symfisher.torch as sft
from symfisher.numeric.laplace.catalog import make_likelihood
from symfisher.torch.blocks import precision_sqrt_inv_apply


def _mlp(seed: int = 0, sizes: tuple[int, ...] = (3, 5, 4, 2)) -> nn.Module:
    torch.manual_seed(seed)
    mods: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        mods.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            mods.append(nn.Tanh())
    return nn.Sequential(*mods).double()


def _numpy_twin(net: nn.Module) -> sf.nn.MLP:
    lin = [m for m in net if isinstance(m, nn.Linear)]
    return sf.nn.MLP(
        [m.weight.detach().numpy() for m in lin],
        [m.bias.detach().numpy() for m in lin],
        activation="tanh",
    )


def _dense_ggn(net: nn.Module, X: torch.Tensor, lik: str) -> np.ndarray:
    params = {k: v.detach() for k, v in net.named_parameters()}

    def f(p: dict, x: torch.Tensor) -> torch.Tensor:
        return functional_call(net, p, (x[None],))[0]

    Jd = vmap(jacrev(f), in_dims=(None, 0))(params, X)
    J = np.concatenate(
        [Jd[k].reshape(X.shape[0], -1, Jd[k][0, 0].numel()).numpy() for k in params],
        axis=2,
    )  # [W0, b0, W1, b1, ...] row-major
    Lam = make_likelihood(lik).curvature(net(X).detach().numpy())
    return np.einsum("nkp,nkj,njq->pq", J, Lam, J)


def _regression(n: int = 30) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    net = _mlp()
    g = torch.Generator().manual_seed(7)
    X = torch.randn(n, 3, dtype=torch.float64, generator=g)
    y = net(X).detach() + 0.5 * torch.randn(n, 2, dtype=torch.float64, generator=g)
    return net, X, y


def test_full_laplace_matches_dense_ggn() -> None:
    net, X, y = _regression()
    tau = 0.7
    lap = sft.laplace(net, (X, y), likelihood="gaussian", structure="full", prior_precision=tau)
    P = _dense_ggn(net, X, "gaussian") + tau * np.eye(lap.n_params)
    theta = np.concatenate([p.detach().numpy().ravel() for p in net.parameters()])
    resid = (y - net(X)).detach().numpy()
    log_lik = -0.5 * np.sum(resid**2) - resid.size * 0.5 * np.log(2 * np.pi)
    want = log_lik - 0.5 * (np.linalg.slogdet(P)[1] - lap.n_params * np.log(tau) + tau * theta @ theta)
    assert abs(lap.log_marginal_likelihood() - want) < 1e-10 * abs(want)
    Xs = X[:4]
    params = {k: v.detach() for k, v in net.named_parameters()}
    Jd = vmap(jacrev(lambda p, x: functional_call(net, p, (x[None],))[0]), in_dims=(None, 0))(params, Xs)
    J = np.concatenate([Jd[k].reshape(4, 2, -1).numpy() for k in params], axis=2)
    cov = np.einsum("nkp,pq,njq->nkj", J, np.linalg.inv(P), J)
    assert np.allclose(lap.predict(Xs).f_cov, cov, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("structure, np_structure", [("kron", "kron"), ("diag", "diag"), ("full", "full")])
@pytest.mark.parametrize("lik", ["gaussian", "poisson"])
def test_agrees_with_numpy_mlp_laplace(structure: str, np_structure: str, lik: str) -> None:
    net, X, y = _regression()
    if lik == "poisson":
        y = torch.poisson(torch.exp(net(X).detach().clamp(max=2.0)))
    lap = sft.laplace(net, (X, y), likelihood=lik, structure=structure, prior_precision=[0.5, 1.0, 2.0])
    ref = sf.laplace(
        _numpy_twin(net),
        X.numpy(),
        y.numpy(),
        likelihood=lik,
        structure=np_structure,
        prior_precision=[0.5, 1.0, 2.0],
    )
    assert abs(lap.log_marginal_likelihood() - ref.log_marginal_likelihood()) < 1e-9
    opt, ref_opt = (
        lap.optimize_prior_precision(per_layer=True),
        ref.optimize_prior_precision(True),
    )
    assert np.allclose(opt.prior_precision, ref_opt.prior_precision, rtol=1e-5)
    p, q = lap.predict(X[:5]), ref.predict(X[:5].numpy())
    assert np.allclose(p.f_cov, q.f_cov, rtol=1e-9, atol=1e-13)
    assert np.allclose(p.mean, q.mean, rtol=1e-9, atol=1e-13)


def test_last_layer_matches_numpy() -> None:
    net, X, y = _regression()
    lap = sft.laplace(
        net,
        (X, y),
        likelihood="gaussian",
        subset="last_layer",
        structure="full",
        prior_precision=1.5,
    )
    ref = sf.laplace(
        _numpy_twin(net),
        X.numpy(),
        y.numpy(),
        likelihood="gaussian",
        structure="last_layer",
        prior_precision=1.5,
    )
    assert lap.n_params == 4 * 2 + 2
    assert abs(lap.log_marginal_likelihood() - ref.log_marginal_likelihood()) < 1e-9
    assert np.allclose(
        lap.optimize_prior_precision().prior_precision,
        ref.optimize_prior_precision().prior_precision,
        rtol=1e-6,
    )


@pytest.mark.parametrize("structure", ["kron", "diag", "full"])
def test_sampling_square_root(structure: str) -> None:
    """``R = P^{-1/2}`` applied to the identity: ``R R^T = P^{-1}`` exactly (rounding)."""
    net, X, y = _regression()
    lap = sft.laplace(
        net,
        (X, y),
        likelihood="gaussian",
        structure=structure,
        prior_precision=0.8,
        joint_bias=(structure == "kron"),
    )
    m = lap.precision.index.size
    R = precision_sqrt_inv_apply(lap.precision, np.eye(m))
    assert np.allclose(R @ R.T, np.linalg.inv(lap.precision.to_dense()), rtol=1e-8, atol=1e-12)
    draws = lap.sample(4000, seed=1)
    emp = np.cov(draws[:, lap.precision.index].T)
    want = np.linalg.inv(lap.precision.to_dense())
    # 4000 draws: entries within ~5 standard errors sqrt((S_ii S_jj + S_ij^2) / n)
    se = np.sqrt((np.outer(np.diag(want), np.diag(want)) + want**2) / 4000)
    assert np.all(np.abs(emp - want) <= 5 * se + 1e-12)


def test_conv_kron_log_det_matches_dense_kron() -> None:
    """Conv2d K-FAC block: log det from eigen-factors vs dense kron(G, A) + tau I."""
    torch.manual_seed(2)
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Tanh(), nn.Flatten(), nn.Linear(2 * 3 * 3, 3)).double()
    X, y = torch.randn(12, 1, 5, 5, dtype=torch.float64), torch.randint(0, 3, (12,))
    lap = sft.laplace(
        net,
        (X, y),
        likelihood="categorical",
        structure="kron",
        approx="reduce",
        prior_precision=0.3,
    )
    from symfisher.numeric.kfac.sharing import sharing_factors
    from symfisher.torch.hooks import capture, factor_function

    cap = capture(net, (X, y), factor_function(make_likelihood("categorical"), "ggn"))
    L = cap.layers[0]
    A, G = sharing_factors(L.u, L.g, "reduce")
    blk = lap.precision.blocks[0]
    want = np.linalg.slogdet(np.kron(G, A) + 0.3 * np.eye(18))[1]
    assert abs(blk.log_det() - want) < 1e-10 * abs(want)


def test_bad_options_name_the_parameter() -> None:
    net, X, y = _regression()
    with pytest.raises(ValueError, match="structure='banded'"):
        sft.laplace(net, (X, y), structure="banded")
    with pytest.raises(ValueError, match="prior_precision"):
        sft.laplace(net, (X, y), prior_precision=[1.0, 2.0])


@pytest.mark.slow
def test_derived_family_likelihood() -> None:
    """A family symfisher derives (gamma, shape 3, mean e^f): sf.torch vs the NumPy MLP route.

    The output curvature is derived in SymPy and compiled (laplace-torch has no gamma
    likelihood); both routes use the same compiled kernels, the network code differs.
    """
    import sympy as sp

    net = _mlp(sizes=(3, 4, 1))
    g = torch.Generator().manual_seed(9)
    X = torch.randn(25, 3, dtype=torch.float64, generator=g)
    mean = torch.exp(net(X).detach()[:, 0])
    y = torch.distributions.Gamma(3.0, 3.0 / mean).sample()
    fam = sf.family("gamma")  # params (alpha, beta): shape, rate
    alpha, beta = fam.params
    f0 = sp.Symbol("f0", real=True)
    link = {alpha: sp.Integer(3), beta: 3 * sp.exp(-f0)}
    lik = sf.kfac.compile_likelihood(fam, link=link)
    lap = sft.laplace(net, (X, y), likelihood=lik, structure="kron", prior_precision=0.5)
    ref = sf.laplace(
        _numpy_twin(net),
        X.numpy(),
        y.numpy(),
        likelihood=lik,
        structure="kron",
        prior_precision=0.5,
    )
    assert abs(lap.log_marginal_likelihood() - ref.log_marginal_likelihood()) < 1e-9
    assert np.allclose(
        lap.optimize_prior_precision().prior_precision,
        ref.optimize_prior_precision().prior_precision,
        rtol=1e-6,
    )


@pytest.mark.parametrize("joint_bias", [False, True])
def test_kron_predictive_eigenbasis_route_equals_generic_solve(
    joint_bias: bool,
) -> None:
    """Conv + Linear, kron: the eigenbasis covariance vs ``J P^{-1} J^T`` by generic solves."""
    from symfisher.numeric.laplace.predictive import function_covariance
    from symfisher.torch.blocks import jacobian_rows

    torch.manual_seed(6)
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Tanh(), nn.Flatten(), nn.Linear(2 * 3 * 3, 3)).double()
    X, y = torch.randn(15, 1, 5, 5, dtype=torch.float64), torch.randint(0, 3, (15,))
    lap = sft.laplace(
        net,
        (X, y),
        likelihood="categorical",
        structure="kron",
        joint_bias=joint_bias,
        prior_precision=[0.4, 2.0],
    )
    cap = lap._test_capture(X[:4])
    J = np.concatenate([jacobian_rows(L) for L in cap.layers], axis=2)
    want = function_covariance(J[:, :, lap.precision.index], lap.precision)
    assert np.allclose(lap.function_covariance(X[:4])[1], want, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("structure", ["kron", "diag", "full"])
@pytest.mark.parametrize("approx", ["expand", "reduce"])
def test_streamed_fit_equals_fit_from_stored_rows(structure: str, approx: str) -> None:
    """Accumulated batch by batch (3 batches) vs built from all captured rows at once."""
    from symfisher.numeric.kfac.sharing import KfacApprox
    from symfisher.options import Structure
    from symfisher.torch.blocks import build_precision
    from symfisher.torch.hooks import capture, factor_function

    torch.manual_seed(8)
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Tanh(), nn.Flatten(), nn.Linear(18, 3)).double()
    X, y = torch.randn(14, 1, 5, 5, dtype=torch.float64), torch.randint(0, 3, (14,))
    lap = sft.laplace(
        net,
        (X, y),
        likelihood="categorical",
        structure=structure,
        approx=approx,
        prior_precision=[0.5, 2.0],
        batch_size=5,
    )
    cap = capture(net, (X, y), factor_function(make_likelihood("categorical"), "ggn"))
    prior = lap._prior_vector(lap.prior_precision)
    ref = build_precision(cap.layers, prior, Structure(structure), KfacApprox(approx), False)
    assert np.allclose(lap.precision.to_dense(), ref.to_dense(), rtol=1e-12, atol=1e-13)
    assert abs(lap.precision.log_det() - ref.log_det()) < 1e-10 * abs(ref.log_det())
