"""Laplace posteriors of PyTorch models: ``sf.torch.laplace``.

Same interface as :func:`symfisher.laplace` (log marginal likelihood, prior-precision
optimisation, GLM predictive, sampling) over the covered parameters
``[W_0 row-major, b_0, W_1, b_1, ...]`` of the supported trainable layers (``subset="all"``)
or of the last one (``"last_layer"``); every other parameter stays at its value.
Prior: isotropic Gaussian, ``tau`` scalar or one per covered layer. The curvature is the
GGN / Fisher of the likelihood in the network output (``S S^T = Lambda(f)``), for any
likelihood symfisher has: the hand-written ones by name, or any family whose output
curvature :func:`symfisher.kfac.output_curvature` derives (``sf.kfac.compile_likelihood``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, cast

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import nn

from symfisher.errors import ShapeError
from symfisher.numeric.kfac.checks import positive
from symfisher.numeric.laplace.base import Array, Precision
from symfisher.numeric.laplace.kron import BlockDiagonal, KronBlock, joint_index
from symfisher.numeric.laplace.marglik import log_marginal_likelihood, optimize_prior
from symfisher.numeric.laplace.predictive import (
    LinkApprox,
    Predictive,
    function_covariance,
    predictive,
)
from symfisher.options import CurvatureKind, KfacApprox, Structure, Subset, option
from symfisher.torch.accumulate import fit_precision
from symfisher.torch.blocks import (
    index_groups,
    jacobian_rows,
    precision_sqrt_inv_apply,
    torch_structure,
)
from symfisher.torch.hooks import (
    Capture,
    LayerData,
    batches,
    capture,
    factor_function,
    select,
)
from symfisher.torch.layers import LayerSpec
from symfisher.torch.likelihood import resolve_likelihood


def covered_parameters(layers: tuple[LayerSpec, ...]) -> list[torch.Tensor]:
    """The covered parameter tensors in vector order (weight, then bias, per layer)."""
    out: list[torch.Tensor] = []
    for spec in layers:
        out.append(cast(torch.Tensor, spec.module.weight))
        if spec.has_bias:
            out.append(cast(torch.Tensor, spec.module.bias))
    return out


def parameter_vector(layers: tuple[LayerSpec, ...]) -> Array:
    """``[W_0 row-major, b_0, ...]`` of the covered layers as float64, shape (m,)."""
    return np.concatenate([p.detach().cpu().double().reshape(-1).numpy() for p in covered_parameters(layers)])


def set_parameters(layers: tuple[LayerSpec, ...], theta: ArrayLike) -> None:
    """Write ``theta`` (m,) into the covered parameters (in place, no gradient)."""
    vec = np.asarray(theta, dtype=np.float64)
    start = 0
    with torch.no_grad():
        for p in covered_parameters(layers):
            part = vec[start : start + p.numel()].reshape(p.shape)
            p.copy_(torch.as_tensor(part, dtype=p.dtype, device=p.device))
            start += p.numel()
    if start != vec.size:
        raise ShapeError(f"theta has {vec.size} entries, the covered layers have {start}")


@dataclass(frozen=True, eq=False)
class TorchLaplace:
    """Gaussian posterior of a PyTorch model at its (MAP) parameters.

    Attributes
    ----------
    model : torch.nn.Module
    layers : tuple of LayerSpec
        Covered layers, in module order.
    likelihood : OutputLikelihood
    structure : Structure
    prior_precision : ndarray, shape (L,)
        One value per covered layer.
    precision : Precision
    log_likelihood : float
    theta : ndarray, shape (m,)
        MAP parameters ``[W_0 row-major, b_0, ...]``.
    """

    model: nn.Module = field(repr=False)
    layers: tuple[LayerSpec, ...] = field(repr=False)
    likelihood: Any
    structure: Structure
    prior_precision: Array
    precision: Precision = field(repr=False)
    log_likelihood: float
    theta: Array = field(repr=False)
    approx: KfacApprox = KfacApprox.EXPAND
    batch_size: int = 256

    @property
    def n_params(self) -> int:
        """Number of covered parameters m."""
        return self.theta.size

    def _prior_vector(self, tau: Array) -> Array:
        return tau[index_groups(self.layers, np.arange(self.n_params))]

    def _tau(self, prior_precision: ArrayLike | None) -> Array:
        if prior_precision is None:
            return self.prior_precision
        return prior_per_layer(len(self.layers), prior_precision)

    def log_marginal_likelihood(self, prior_precision: ArrayLike | None = None) -> float:
        """Laplace log evidence at ``prior_precision`` (``None``: the fitted value)."""
        prior = self._prior_vector(self._tau(prior_precision))
        idx = self.precision.index
        post = self.precision.updated(prior[idx], 1.0)
        return log_marginal_likelihood(self.log_likelihood, post, self.theta[idx], prior[idx])

    def optimize_prior_precision(self, per_layer: bool = False) -> TorchLaplace:
        """A posterior whose prior precision maximises the log marginal likelihood."""
        idx = self.precision.index
        layer = index_groups(self.layers, idx)
        groups = layer if per_layer else np.zeros_like(layer)
        tau0 = self.prior_precision.copy() if per_layer else self.prior_precision[:1].copy()
        tau = optimize_prior(self.log_likelihood, self.precision, self.theta[idx], groups, tau0)
        tau_l = tau if per_layer else np.full(len(self.layers), tau[0])
        prior = self._prior_vector(tau_l)
        return replace(
            self,
            prior_precision=tau_l,
            precision=self.precision.updated(prior[idx], 1.0),
        )

    def _test_capture(self, X: Any) -> Capture:
        names = {spec.name for spec in self.layers}
        return capture(
            self.model,
            (X,),
            factor_function(self.likelihood, CurvatureKind.JACOBIAN),
            batch_size=self.batch_size,
            names=names,
        )

    def function_covariance(self, X: Any) -> tuple[Array, Array]:
        """``(f (N*, k), J P^{-1} J^T (N*, k, k))`` at test inputs ``X``.

        Computed ``batch_size`` test points at a time: memory is that of one batch's
        captured rows, not of the whole test set.
        """
        parts = [self._batch_covariance(Xb) for Xb, _ in batches((X,), self.batch_size)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def _batch_covariance(self, X: Any) -> tuple[Array, Array]:
        cap = self._test_capture(X)
        if self.structure is Structure.KRON and isinstance(self.precision, BlockDiagonal):
            return cap.f, _blockwise_covariance(self, cap.layers)
        if self.structure is Structure.FULL and len(cap.layers) == 1 and cap.layers[0].u.shape[1] == 1:
            return cap.f, _single_linear_covariance(self.posterior_covariance, cap.layers[0])
        J = np.concatenate([jacobian_rows(L) for L in cap.layers], axis=2)
        return cap.f, function_covariance(J[:, :, self.precision.index], self.precision)

    @cached_property
    def posterior_covariance(self) -> Array:
        """``P^{-1}`` over the covered parameters in vector order, (m, m) (computed once)."""
        inv = self.precision.solve(np.eye(self.precision.index.size))
        out = np.empty_like(inv)
        out[np.ix_(self.precision.index, self.precision.index)] = inv
        return out

    def predict(
        self,
        X: Any,
        link_approx: LinkApprox | str = LinkApprox.AUTO,
        n_samples: int = 1000,
        seed: int = 0,
    ) -> Predictive:
        """Linearised (GLM) predictive at ``X`` (probit / lognormal / MC / exact moments)."""
        f, cov = self.function_covariance(X)
        return predictive(self.likelihood, f, cov, link_approx, n_samples, seed)

    def sample(self, n: int, seed: int = 0) -> Array:
        """Posterior draws of the covered parameters, shape (n, m), in vector order."""
        rng = np.random.default_rng(seed)
        z = rng.standard_normal((self.precision.index.size, n))
        draws = np.empty((n, self.n_params))
        draws[:] = self.theta
        draws[:, self.precision.index] += precision_sqrt_inv_apply(self.precision, z).T
        return draws


def _single_linear_covariance(cov_theta: Array, L: LayerData) -> Array:
    """``J Sigma J^T`` for one Linear layer: ``J_nk = g_nk kron [a_n, 1]`` in ``[W | b]`` order.

    ``cov_nkl = g_nk^T V_n g_nl`` with ``V_n[o, p] = a~_n^T Sigma[(o, :), (p, :)] a~_n``:
    O(N d_out^2 d_in^2), never a solve with N k right-hand sides.
    """
    d_out, d_in = L.spec.d_out, L.spec.d_in
    a = L.u[:, 0]
    if L.spec.has_bias:
        idx = joint_index(0, d_out * d_in, d_out, d_in)
        a = np.concatenate([a, np.ones((a.shape[0], 1))], axis=1)
        cov_theta = cov_theta[np.ix_(idx, idx)]
    m = a.shape[1]
    S2 = cov_theta.reshape(d_out, m, d_out, m).transpose(1, 3, 0, 2).reshape(m * m, -1)
    V = ((a[:, :, None] * a[:, None, :]).reshape(a.shape[0], -1) @ S2).reshape(-1, d_out, d_out)
    g = L.g[:, 0]  # (N, d_out, k)
    return np.einsum("nok,nop,npl->nkl", g, V, g, optimize=True)


def _kron_covariance(blk: KronBlock, u: Array, g: Array) -> Array:
    """``J P^{-1} J^T`` of one K-FAC block from rows ``u`` (n, T, d_in), ``g`` (n, T, d_out, k).

    In the eigenbasis ``J`` becomes ``Mt = sum_t (U_G^T g_t)(U_A^T u_t)^T``; the block's
    inverse is diagonal there. For ``T = 1`` (Linear) ``Mt`` has rank one, so
    ``cov_kl = sum_a gt_ak gt_al (sum_b ut_b^2 / e_ab)``: O(n (k^2 d_out + d_out d_in)).
    """
    inv = 1.0 / (blk.scale * np.outer(blk.lam_g, blk.lam_a) + blk.tau)
    n, t, d_out, k = g.shape
    ut = u @ blk.U_a  # (n, T, b)
    gt = (np.ascontiguousarray(g.transpose(0, 1, 3, 2)).reshape(-1, d_out) @ blk.U_g).reshape(n, t, k, -1)
    if t == 1:
        w = (ut[:, 0] ** 2) @ inv.T  # (n, d_out)
        return np.einsum("nka,na,nla->nkl", gt[:, 0], w, gt[:, 0], optimize=True)
    cov = np.zeros((n, k, k))
    step = max(1, (1 << 22) // max(1, k * inv.size))
    for s in range(0, n, step):  # Mt (r, k, a b) by one batched BLAS product over T
        gs = np.ascontiguousarray(gt[s : s + step].transpose(0, 2, 3, 1)).reshape(-1, k * d_out, t)
        Mt = np.matmul(gs, ut[s : s + step]).reshape(-1, k, inv.size)
        cov[s : s + step] = np.matmul(Mt * inv.ravel(), Mt.transpose(0, 2, 1))
    return cov


def _blockwise_covariance(post: TorchLaplace, layers: tuple[LayerData, ...]) -> Array:
    """``J P^{-1} J^T`` layer by layer; K-FAC blocks through their eigenbases."""
    blocks = iter(post.precision.blocks)  # type: ignore[attr-defined]
    n, k = layers[0].g.shape[0], layers[0].g.shape[3]
    cov = np.zeros((n, k, k))
    for L in layers:
        blk = next(blocks)
        joint = blk.index.size == L.spec.n_params and L.spec.has_bias
        u = np.concatenate([L.u, np.ones(L.u.shape[:2] + (1,))], axis=2) if joint else L.u
        cov += _kron_covariance(blk, u, L.g)
        if L.spec.has_bias and not joint:  # J_b = gsum: rows u = 1, T = 1
            cov += _kron_covariance(next(blocks), np.ones((n, 1, 1)), L.g.sum(axis=1)[:, None])
    return cov


def prior_per_layer(n_layers: int, prior_precision: ArrayLike) -> Array:
    """Prior precision as (L,) from a scalar or one value per covered layer (> 0)."""
    tau = positive("prior_precision", prior_precision).astype(np.float64)
    if tau.ndim == 0:
        return np.full(n_layers, float(tau))
    if tau.shape != (n_layers,):
        raise ShapeError(
            f"prior_precision must be a scalar or have one entry per covered layer ({n_layers}), got shape {tau.shape}"
        )
    return tau.copy()


def laplace(
    model: nn.Module,
    data: Any,
    *,
    likelihood: Any = "gaussian",
    subset: Subset | str = Subset.ALL,
    structure: Structure | str = "kron",
    prior_precision: ArrayLike = 1.0,
    approx: KfacApprox | str = "expand",
    joint_bias: bool = False,
    batch_size: int = 256,
    **lik_options: Any,
) -> TorchLaplace:
    """Laplace approximation of a PyTorch model's posterior at its current parameters.

    Parameters
    ----------
    model : torch.nn.Module
        Trained, in evaluation mode, output (batch, k).
    data : DataLoader or tuple ``(X, y)``
        Training data (see :func:`symfisher.torch.hooks.batches`).
    likelihood : str, Family or likelihood object
        ``"gaussian"``, ``"bernoulli"``, ``"categorical"``, ``"poisson"``,
        ``"negative_binomial"``, ``"student_t"``, ``"heteroscedastic_gaussian"``; a symfisher
        ``Family`` (output curvature derived and compiled, with ``link=``/``constants=``);
        or ``sf.kfac.compile_likelihood(...)``.
    subset : {"all", "last_layer"}
    structure : {"kron", "diag", "full"}
    prior_precision : float or array_like (L,)
        One value, or one per covered layer.
    approx : {"expand", "reduce"}
        K-FAC for Conv2d layers (no effect on Linear layers).
    joint_bias : bool
        Martens-Grosse ``[W | b]`` blocks instead of exact bias blocks (``kron``).
    batch_size : int
    **lik_options
        ``sigma``, ``df``, ``dispersion``, ``link``, ``constants`` of the likelihood.

    Returns
    -------
    TorchLaplace
    """
    lik = resolve_likelihood(likelihood, **lik_options)
    which = option(Subset, subset, "subset")
    kind = torch_structure(structure)
    how = option(KfacApprox, approx, "approx")
    found = select(model, None)
    if which is Subset.LAST_LAYER:
        found = select(model, {found.layers[-1].name})
    specs = found.layers
    tau = prior_per_layer(len(specs), prior_precision)
    theta = parameter_vector(specs)
    prior = tau[index_groups(specs, np.arange(theta.size))]
    factor = factor_function(lik, CurvatureKind.GGN)
    precision, f, y_raw = fit_precision(model, data, factor, found, kind, how, joint_bias, prior, batch_size)
    if y_raw is None:
        raise ShapeError("sf.torch.laplace needs targets: pass data as (X, y) batches")
    log_lik = -float(np.sum(lik.nll(f, lik.targets(y_raw, f.shape[1]))))
    return TorchLaplace(model, specs, lik, kind, tau, precision, log_lik, theta, how, batch_size)
