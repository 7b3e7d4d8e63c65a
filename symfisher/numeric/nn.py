"""Multilayer perceptrons in NumPy: forward pass, per-example Jacobians, K-FAC factors.

Conventions (as in PyTorch and laplace-torch): layer ``l`` maps ``a_l`` (d_in) to the
pre-activation ``z_l = W_l a_l + b_l`` with ``W_l`` of shape ``(d_out, d_in)``; the
activation is applied after every layer but the last, so the network output is
``f = z_L``. The parameter vector is ``[W0 row-major, b0, W1 row-major, b1, ...]``, so a
weight block of any curvature in that order is ``kron(G, A)`` (``G`` d_out x d_out first).

Dimension letters: N examples, k outputs, P parameters, k' columns of an output factor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symfisher.numeric.kfac.checks import ShapeError, as_finite
from symfisher.options import Activation, option

Array = NDArray[np.float64]


def _sigmoid(z: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def activate(kind: Activation, z: Array) -> tuple[Array, Array]:
    """``(phi(z), phi'(z))`` elementwise.

    Examples
    --------
    >>> activate(Activation.TANH, np.zeros(1))
    (array([0.]), array([1.]))
    """
    if kind is Activation.TANH:
        t = np.tanh(z)
        return t, 1.0 - t * t
    if kind is Activation.RELU:
        return np.maximum(z, 0.0), (z > 0).astype(np.float64)
    if kind is Activation.SIGMOID:
        s = _sigmoid(z)
        return s, s * (1.0 - s)
    if kind is Activation.SOFTPLUS:
        return np.logaddexp(0.0, z), _sigmoid(z)
    return z.copy(), np.ones_like(z)


@dataclass(frozen=True)
class Trace:
    """Intermediate values of a forward pass.

    Attributes
    ----------
    inputs : tuple of ndarray, each (N, d_in_l)
        Layer inputs ``a_l`` (``inputs[0]`` is ``X``).
    derivs : tuple of ndarray, each (N, d_out_l)
        ``phi'(z_l)`` for the hidden layers (``L - 1`` entries).
    output : ndarray, shape (N, k)
    """

    inputs: tuple[Array, ...]
    derivs: tuple[Array, ...]
    output: Array


@dataclass(frozen=True)
class MLP:
    """A multilayer perceptron with weights ``(d_out, d_in)``.

    Parameters
    ----------
    weights : sequence of array_like, shapes (d_1, d_0), (d_2, d_1), ...
    biases : sequence of array_like, shapes (d_1,), (d_2,), ...
    activation : Activation or str
        ``"tanh"``, ``"relu"``, ``"identity"``, ``"sigmoid"`` or ``"softplus"``.

    Examples
    --------
    >>> net = MLP(weights=[np.ones((3, 2)), np.ones((1, 3))], biases=[np.zeros(3), np.zeros(1)],
    ...           activation="identity")
    >>> net.forward(np.array([[1.0, 1.0]]))
    array([[6.]])
    >>> net.n_params
    13
    """

    weights: tuple[Array, ...] = field(repr=False)
    biases: tuple[Array, ...] = field(repr=False)
    activation: Activation = Activation.TANH

    def __init__(
        self, weights: Sequence[ArrayLike], biases: Sequence[ArrayLike], activation: Activation | str = Activation.TANH
    ) -> None:
        ws = tuple(as_finite(f"weights[{i}]", w, 2) for i, w in enumerate(weights))
        bs = tuple(as_finite(f"biases[{i}]", b, 1) for i, b in enumerate(biases))
        _check_chain(ws, bs)
        object.__setattr__(self, "weights", ws)
        object.__setattr__(self, "biases", bs)
        object.__setattr__(self, "activation", option(Activation, activation, "activation"))

    @classmethod
    def random(cls, sizes: list[int], rng: np.random.Generator, activation: Activation | str = Activation.TANH) -> MLP:
        """Glorot-scaled random network with layer widths ``sizes = [d_0, ..., d_L]``."""
        ws = [rng.standard_normal((o, i)) / np.sqrt(i) for i, o in zip(sizes[:-1], sizes[1:])]
        return cls(ws, [0.1 * rng.standard_normal(o) for o in sizes[1:]], activation)

    @property
    def shapes(self) -> list[tuple[int, int]]:
        """Weight shapes ``(d_out, d_in)`` per layer."""
        return [w.shape for w in self.weights]

    @property
    def n_params(self) -> int:
        """Total number of parameters P."""
        return sum(w.size + b.size for w, b in zip(self.weights, self.biases))

    def layer_slices(self) -> list[tuple[slice, slice]]:
        """``(weight slice, bias slice)`` of each layer in the parameter vector."""
        out, start = [], 0
        for w, b in zip(self.weights, self.biases):
            out.append((slice(start, start + w.size), slice(start + w.size, start + w.size + b.size)))
            start += w.size + b.size
        return out

    def parameters(self) -> Array:
        """The parameter vector ``[W0 row-major, b0, W1, b1, ...]``, shape (P,)."""
        return np.concatenate([x for w, b in zip(self.weights, self.biases) for x in (w.ravel(), b)])

    def with_parameters(self, theta: ArrayLike) -> MLP:
        """A network of the same shapes with parameters ``theta`` (P,)."""
        vec = as_finite("theta", theta, 1)
        if vec.size != self.n_params:
            raise ShapeError(f"array 'theta' has {vec.size} entries, the network has {self.n_params}")
        ws = [vec[sw].reshape(w.shape) for (sw, _), w in zip(self.layer_slices(), self.weights)]
        return MLP(ws, [vec[sb] for _, sb in self.layer_slices()], self.activation)

    def trace(self, X: ArrayLike) -> Trace:
        """Forward pass keeping layer inputs and activation derivatives."""
        a = self._check_inputs(X)
        inputs: list[Array] = [a]
        derivs: list[Array] = []
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = a @ w.T + b
            if l == len(self.weights) - 1:
                return Trace(tuple(inputs), tuple(derivs), z)
            a, d = activate(self.activation, z)
            inputs.append(a)
            derivs.append(d)
        raise ShapeError("the network has no layers")

    def forward(self, X: ArrayLike) -> Array:
        """Network output ``f``, shape (N, k)."""
        return self.trace(X).output

    def _check_inputs(self, X: ArrayLike) -> Array:
        arr = as_finite("X", X, 2)
        if arr.shape[1] != self.weights[0].shape[1]:
            raise ShapeError(
                f"array 'X' has {arr.shape[1]} columns, weights[0] expects {self.weights[0].shape[1]} inputs"
            )
        return arr


def _check_chain(ws: tuple[Array, ...], bs: tuple[Array, ...]) -> None:
    """Weights must chain and biases match their layer's output dimension."""
    if not ws or len(ws) != len(bs):
        raise ShapeError(
            f"need one bias per weight matrix (and at least one layer): got {len(ws)} weights and {len(bs)} biases"
        )
    for l in range(len(ws)):
        if bs[l].shape != (ws[l].shape[0],):
            raise ShapeError(
                f"biases[{l}] has shape {bs[l].shape}, weights[{l}] of shape {ws[l].shape} needs ({ws[l].shape[0]},)"
            )
        if l and ws[l].shape[1] != ws[l - 1].shape[0]:
            raise ShapeError(
                f"weights[{l}] has shape {ws[l].shape} but weights[{l - 1}] has "
                f"shape {ws[l - 1].shape}: d_in of layer {l} must be {ws[l - 1].shape[0]}"
            )


def backprop_factors(net: MLP, trace: Trace, S: Array) -> list[Array]:
    """Pull output factors back to every layer's pre-activations.

    Parameters
    ----------
    net : MLP
    trace : Trace
        From ``net.trace(X)``.
    S : ndarray, shape (N, k, k')
        Output factors (``S_n S_n^T = Lambda_n``); ``S = I`` gives Jacobians.

    Returns
    -------
    list of ndarray, shapes (N, d_out_l, k')
        ``B_l = J_l^T S`` with ``J_l = d f / d z_l``; the GGN weight block of layer ``l``
        is ``sum_n (B_n B_n^T) kron (a_n a_n^T)`` with ``a = trace.inputs[l]``.

    Examples
    --------
    >>> net = MLP([np.eye(2)], [np.zeros(2)])
    >>> tr = net.trace(np.ones((1, 2)))
    >>> backprop_factors(net, tr, np.eye(2)[None])[0].shape
    (1, 2, 2)
    """
    E = np.ascontiguousarray(np.swapaxes(S, 1, 2))  # (N, k', k)
    out = [E]
    for l in range(len(net.weights) - 1, 0, -1):
        E = (E @ net.weights[l]) * trace.derivs[l - 1][:, None, :]
        out.append(E)
    return [np.swapaxes(e, 1, 2) for e in reversed(out)]


def jacobian(net: MLP, X: ArrayLike) -> Array:
    """Per-example Jacobians of the output wrt all parameters, shape (N, k, P).

    Columns follow ``[W0 row-major, b0, W1 row-major, b1, ...]``.

    Examples
    --------
    >>> net = MLP([np.ones((1, 2))], [np.zeros(1)])
    >>> jacobian(net, np.array([[2.0, 3.0]]))
    array([[[2., 3., 1.]]])
    """
    tr = net.trace(X)
    n, k = tr.output.shape
    Bs = backprop_factors(net, tr, np.broadcast_to(np.eye(k), (n, k, k)))
    cols = []
    for a, B in zip(tr.inputs, Bs):
        D = np.swapaxes(B, 1, 2)  # (N, k, d_out)
        cols.append((D[:, :, :, None] * a[:, None, None, :]).reshape(n, k, -1))
        cols.append(D)
    return np.concatenate(cols, axis=2)


def jvp(net: MLP, X: ArrayLike, v: ArrayLike) -> Array:
    """Forward-mode product ``J_n v`` for every example, shape (N, k).

    An independent route to :func:`jacobian` (tangents pushed forward, no backprop).

    Examples
    --------
    >>> net = MLP([np.ones((1, 2))], [np.zeros(1)])
    >>> jvp(net, np.array([[2.0, 3.0]]), np.array([1.0, 0.0, 0.0]))
    array([[2.]])
    """
    dnet = net.with_parameters(v)
    a = net._check_inputs(X)
    da = np.zeros_like(a)
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        z = a @ w.T + b
        dz = da @ w.T + a @ dnet.weights[l].T + dnet.biases[l]
        if l == len(net.weights) - 1:
            return dz
        a, d = activate(net.activation, z)
        da = d * dz
    return da


def parameter_gradient(net: MLP, X: ArrayLike, r: ArrayLike) -> Array:
    """``sum_n J_n^T r_n``: the gradient of a loss with output gradients ``r`` (N, k), (P,).

    Examples
    --------
    >>> net = MLP([np.ones((1, 2))], [np.zeros(1)])
    >>> parameter_gradient(net, np.array([[2.0, 3.0]]), np.array([[1.0]]))
    array([2., 3., 1.])
    """
    tr = net.trace(X)
    R = as_finite("r", r, 2)
    if R.shape != tr.output.shape:
        raise ShapeError(f"array 'r' has shape {R.shape}, the network output has {tr.output.shape}")
    Bs = backprop_factors(net, tr, R[:, :, None])
    parts = []
    for a, B in zip(tr.inputs, Bs):
        parts += [(B[:, :, 0].T @ a).ravel(), B[:, :, 0].sum(axis=0)]
    return np.concatenate(parts)
