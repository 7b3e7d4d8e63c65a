"""K-FAC natural-gradient optimiser for :class:`symfisher.numeric.nn.MLP` (full batch or mini-batch).

For each layer the joint ``[W | b]`` block of the Fisher / GGN of the MEAN loss is
approximated by ``kron(G, A)`` with ``A = mean_n [a_n; 1][a_n; 1]^T`` and
``G = mean_n B_n B_n^T`` (output curvature factors pulled back to the pre-activations),
both kept as exponential running averages. The update of the ``(d_out, d_in + 1)``
gradient matrix ``V`` is ``(G + gamma I)^{-1} V (A + gamma I)^{-1}`` with
``gamma = sqrt(damping)`` (Tikhonov damping split between the factors), through
eigendecompositions refreshed every ``inverse_every`` steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from symfisher.numeric.kfac.checks import positive
from symfisher.numeric.nn import MLP, backprop_factors

Array = NDArray[np.float64]


@dataclass(frozen=True)
class KFACConfig:
    """Hyper-parameters of the optimiser.

    Attributes
    ----------
    lr : float
        Step size.
    damping : float
        Tikhonov damping ``lambda``; each factor gets ``sqrt(lambda)``.
    decay : float
        Running-average weight of the old factors (0: use the current batch only).
    inverse_every : int
        Refresh the eigendecompositions every this many steps.
    weight_decay : float
        L2 penalty ``weight_decay / 2 ||theta||^2`` added to the mean loss.
    """

    lr: float = 0.1
    damping: float = 1e-3
    decay: float = 0.95
    inverse_every: int = 10
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        positive("lr", self.lr)
        positive("damping", self.damping)


@dataclass(frozen=True, eq=False)
class KFACState:
    """Running factors and their eigendecompositions, one entry per layer."""

    step: int = 0
    A: tuple[Array, ...] = field(default=(), repr=False)
    G: tuple[Array, ...] = field(default=(), repr=False)
    eig_A: tuple[tuple[Array, Array], ...] = field(default=(), repr=False)
    eig_G: tuple[tuple[Array, Array], ...] = field(default=(), repr=False)


def _batch_factors(net: MLP, X: Array, S: Array) -> tuple[list[Array], list[Array], list[Array]]:
    """Per-layer ``A`` (augmented), ``G`` (mean) and the pre-activation output factors."""
    tr = net.trace(X)
    Bs = backprop_factors(net, tr, S)
    n = X.shape[0]
    As, Gs = [], []
    for a, B in zip(tr.inputs, Bs):
        aa = np.hstack([a, np.ones((n, 1))])
        flat = np.swapaxes(B, 1, 2).reshape(-1, B.shape[1])
        As.append(aa.T @ aa / n)
        Gs.append(flat.T @ flat / n)
    return As, Gs, Bs


def _update_state(state: KFACState, As: list[Array], Gs: list[Array], config: KFACConfig) -> KFACState:
    """Running averages and (periodically) new eigendecompositions."""
    if state.step == 0:
        A, G = tuple(As), tuple(Gs)
    else:
        w = config.decay
        A = tuple(w * o + (1 - w) * x for o, x in zip(state.A, As))
        G = tuple(w * o + (1 - w) * x for o, x in zip(state.G, Gs))
    refresh = state.step % config.inverse_every == 0
    eig_A = tuple(np.linalg.eigh(x) for x in A) if refresh else state.eig_A
    eig_G = tuple(np.linalg.eigh(x) for x in G) if refresh else state.eig_G
    return KFACState(state.step + 1, A, G, eig_A, eig_G)


def _precondition(V: Array, eig_G: tuple[Array, Array], eig_A: tuple[Array, Array], gamma: float) -> Array:
    """``(G + gamma I)^{-1} V (A + gamma I)^{-1}`` through eigendecompositions."""
    lg, Ug = eig_G
    la, Ua = eig_A
    R = Ug.T @ V @ Ua
    R /= np.outer(np.maximum(lg, 0) + gamma, np.maximum(la, 0) + gamma)
    return Ug @ R @ Ua.T


def kfac_step(
    net: MLP, X: Array, residual: Array, S: Array, state: KFACState, config: KFACConfig
) -> tuple[MLP, KFACState]:
    """One K-FAC step on the mean loss.

    Parameters
    ----------
    net : MLP
    X : ndarray, shape (N, d_0)
        The (mini-)batch.
    residual : ndarray, shape (N, k)
        Gradient of each example's loss in the output ``f``.
    S : ndarray, shape (N, k, k')
        Output-curvature factors at the batch (``S S^T = Lambda``).
    state : KFACState
    config : KFACConfig

    Returns
    -------
    (MLP, KFACState)

    Examples
    --------
    >>> net = MLP([np.zeros((1, 1))], [np.zeros(1)], activation="identity")
    >>> X, y = np.array([[1.0], [2.0]]), np.array([[1.0], [2.0]])
    >>> cfg = KFACConfig(lr=1.0, damping=1e-12, decay=0.0, inverse_every=1)
    >>> new, _ = kfac_step(net, X, net.forward(X) - y, np.ones((2, 1, 1)), KFACState(), cfg)
    >>> np.round(new.forward(X), 4)          # one Newton step solves least squares
    array([[1.],
           [2.]])
    """
    As, Gs, _ = _batch_factors(net, X, S)
    state = _update_state(state, As, Gs, config)
    _, _, grads = _batch_factors(net, X, residual[:, :, None])
    tr = net.trace(X)
    gamma = float(np.sqrt(config.damping))
    weights, biases = [], []
    for l, (w, b) in enumerate(zip(net.weights, net.biases)):
        a = np.hstack([tr.inputs[l], np.ones((X.shape[0], 1))])
        V = grads[l][:, :, 0].T @ a / X.shape[0]
        V += config.weight_decay * np.hstack([w, b[:, None]])
        step = _precondition(V, state.eig_G[l], state.eig_A[l], gamma)
        weights.append(w - config.lr * step[:, :-1])
        biases.append(b - config.lr * step[:, -1])
    return MLP(weights, biases, net.activation), state
