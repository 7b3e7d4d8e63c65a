"""MLP forward pass and per-example Jacobians: finite differences, forward mode, layout."""

from __future__ import annotations

import numpy as np
import pytest

from symfisher.errors import DomainError
from symfisher.numeric.kfac.checks import ShapeError
from symfisher.numeric.nn import MLP, backprop_factors, jacobian, jvp


def _net(act: str, seed: int = 0) -> tuple[MLP, np.ndarray]:
    rng = np.random.default_rng(seed)
    net = MLP.random([4, 6, 5, 3], rng, activation=act)
    return net, rng.standard_normal((7, 4))


@pytest.mark.parametrize("act", ["tanh", "relu", "identity", "sigmoid", "softplus"])
def test_jacobian_matches_central_differences(act: str) -> None:
    net, X = _net(act)
    J = jacobian(net, X)
    theta, h = net.parameters(), 1e-6
    fd = np.empty_like(J)
    for p in range(theta.size):
        e = np.zeros_like(theta)
        e[p] = h
        fd[:, :, p] = (net.with_parameters(theta + e).forward(X) - net.with_parameters(theta - e).forward(X)) / (2 * h)
    # central differences: truncation O(h^2) ~ 1e-12, rounding O(eps / h) ~ 1e-10
    # (relu: no input sits within h of a kink for this seed, checked by the agreement)
    assert np.max(np.abs(J - fd)) <= 1e-7


@pytest.mark.parametrize("act", ["tanh", "softplus"])
def test_jacobian_matches_forward_mode(act: str) -> None:
    net, X = _net(act, seed=1)
    J = jacobian(net, X)
    rng = np.random.default_rng(2)
    for _ in range(3):
        v = rng.standard_normal(net.n_params)
        assert np.allclose(J @ v, jvp(net, X, v), rtol=1e-12, atol=1e-12)


def test_parameter_order_is_weight_row_major_then_bias() -> None:
    W = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    net = MLP([W], [np.array([7.0, 8.0, 9.0])], activation="identity")
    assert np.array_equal(net.parameters(), np.arange(1.0, 10.0))
    J = jacobian(net, np.array([[10.0, 20.0]]))[0]
    # f_i = sum_j W[i, j] x_j + b_i: d f_1 / d W[1, :] sits at columns 2, 3; d f_1 / d b_1 at 7
    assert np.array_equal(J[1], [0, 0, 10, 20, 0, 0, 0, 1, 0])


def test_backprop_factors_give_ggn_weight_blocks() -> None:
    """sum_n (B_n B_n^T) kron (a_n a_n^T) equals the W block of sum_n J_n^T S S^T J_n."""
    net, X = _net("tanh", seed=3)
    rng = np.random.default_rng(4)
    S = rng.standard_normal((X.shape[0], 3, 2))
    J = jacobian(net, X)
    ggn = np.einsum("nkp,nkq->pq", np.einsum("nkj,nkp->njp", S, J), np.einsum("nkj,nkp->njp", S, J))
    tr = net.trace(X)
    for l, (sw, _) in enumerate(net.layer_slices()):
        B = backprop_factors(net, tr, S)[l]
        a = tr.inputs[l]
        block = sum(np.kron(b @ b.T, np.outer(x, x)) for b, x in zip(B, a))
        assert np.allclose(block, ggn[sw, sw], rtol=1e-10, atol=1e-12)


def test_bad_shapes_and_values() -> None:
    with pytest.raises(ShapeError, match=r"weights\[1\] has shape \(2, 4\).*must be 3"):
        MLP([np.ones((3, 2)), np.ones((2, 4))], [np.ones(3), np.ones(2)])
    with pytest.raises(ShapeError, match=r"biases\[0\]"):
        MLP([np.ones((3, 2))], [np.ones(2)])
    with pytest.raises(DomainError, match=r"'weights\[0\]' contains 1 NaN"):
        MLP([np.array([[np.nan, 1.0]])], [np.ones(1)])
    net, X = _net("tanh")
    with pytest.raises(ShapeError, match="'X' has 3 columns"):
        net.forward(X[:, :3])
    with pytest.raises(ValueError):
        MLP([np.ones((1, 1))], [np.ones(1)], activation="gelu")


def test_parameter_gradient_is_jacobian_transpose_product() -> None:
    from symfisher.numeric.nn import parameter_gradient

    net, X = _net("sigmoid", seed=5)
    r = np.random.default_rng(6).standard_normal((X.shape[0], 3))
    ref = np.einsum("nkp,nk->p", jacobian(net, X), r)
    assert np.allclose(parameter_gradient(net, X, r), ref, rtol=1e-12, atol=1e-13)
