"""Posterior-precision blocks of captured PyTorch layers (reusing the NumPy structures).

Parameter vector of the covered layers, in module order: ``[W_0 row-major, b_0, W_1, b_1,
...]`` with every weight seen as its ``(d_out, d_in)`` matrix (Conv2d:
``weight.reshape(C_out, -1)``). Curvature = GGN / Fisher of the likelihood (the output
factors ``S`` captured with it). Structures:

* ``kron``: per layer ``kron(G, A) + tau I`` (:class:`~symfisher.numeric.laplace.kron.KronBlock`,
  ``A`` a mean over data of ``u u^T``, ``G`` a sum of ``g g^T``; for Conv2d the ``expand``
  or ``reduce`` factors of :func:`~symfisher.numeric.kfac.sharing.sharing_factors`) and
  the exact bias block ``sum_nj gsum_nj gsum_nj^T`` (or Martens-Grosse ``[W | b]`` blocks);
* ``diag``: the exact GGN diagonal, ``sum_nj M_nj**2`` with ``M_nj = sum_t g_ntj u_nt^T``;
* ``full``: the exact GGN ``sum_nj j_nj j_nj^T`` of the per-example rows
  ``j_nj = [vec M_nj, gsum_nj]`` of every covered layer.
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray

from symfisher.errors import OptionError, ShapeError
from symfisher.numeric.kfac.sharing import gradient_matrices
from symfisher.numeric.laplace.base import Array, Precision
from symfisher.numeric.laplace.diag import DiagPrecision
from symfisher.numeric.laplace.full import DensePrecision
from symfisher.numeric.laplace.kron import BlockDiagonal, KronBlock, joint_index
from symfisher.options import KfacApprox, Structure, option
from symfisher.torch.hooks import LayerData
from symfisher.torch.layers import LayerSpec

#: Largest number of covered parameters for ``structure="full"``.
MAX_FULL = 20_000


def torch_structure(value: object) -> Structure:
    """``structure=`` of ``sf.torch.laplace``: ``"kron"``, ``"diag"`` or ``"full"``
    (the layers covered are chosen by ``subset=``)."""
    kind = option(Structure, value, "structure")
    if kind not in (Structure.KRON, Structure.DIAG, Structure.FULL):
        raise OptionError(
            f"structure={value!r} is not one of ['kron', 'diag', 'full'] "
            "(use subset='last_layer' for last-layer Laplace)"
        )
    return kind


def layer_offsets(layers: tuple[LayerData, ...]) -> list[tuple[int, int]]:
    """``(weight start, bias start)`` of each layer in the covered parameter vector."""
    out, start = [], 0
    for L in layers:
        w = L.spec.d_out * L.spec.d_in
        out.append((start, start + w))
        start += L.spec.n_params
    return out


def jacobian_rows(L: LayerData) -> Array:
    """Per-example rows ``[vec M_nj, gsum_nj]``, shape (N, k', d_out d_in [+ d_out])."""
    n, _, _, k = L.g.shape
    M = gradient_matrices(L.u, L.g).reshape(n, k, -1)
    if not L.spec.has_bias:
        return M
    return np.concatenate([M, L.g.sum(axis=1).transpose(0, 2, 1)], axis=2)


def eigh_clipped(M: torch.Tensor) -> tuple[Array, Array]:
    """Eigendecomposition by torch's LAPACK in the captured dtype (float32 for a float32
    model, as laplace-torch does), returned as float64 with eigenvalues clipped at 0.

    torch, not NumPy/SciPy: the factors were just formed by torch, and alternating thread
    pools doubled the time on the 2-core machine (measured: 784 x 784 ``eigh`` right after a
    NumPy ``syrk`` 0.20 s in torch vs 0.11 s for the two alone; SciPy 0.29 s).
    If float32 ``eigh`` does not converge or returns NaN (both seen on a ResNet trained on
    upsampled digits: near-singular factors, many repeated eigenvalues — the NaN one
    silently, on a 128 x 128 bias block), it is redone in float64.
    """
    try:
        lam, U = torch.linalg.eigh(M)
        ok = bool(torch.isfinite(lam).all() and torch.isfinite(U).all())
    except torch.linalg.LinAlgError:  # float32 LAPACK can fail on near-singular factors
        ok = False
    if not ok:  # ... or return NaN without an error
        lam, U = torch.linalg.eigh(M.double())
    return np.maximum(lam.double().numpy(), 0.0), U.double().numpy()


def torch_factors(
    u: torch.Tensor, g: torch.Tensor, approx: KfacApprox
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``A`` (mean), ``G`` (sum) and the exact bias block ``sum gsum gsum^T``, in torch.

    The same definitions as :func:`symfisher.numeric.kfac.sharing.sharing_factors`
    (``expand`` / ``reduce``), in the captured dtype; ``g`` is ``LayerData.g_t``
    (N, T, k', d_out).
    """
    n, t, d_in = u.shape
    d_out = g.shape[3]
    gsum = (g[:, 0] if t == 1 else g.sum(dim=1)).reshape(-1, d_out)
    Gb = gsum.T @ gsum
    if approx is KfacApprox.EXPAND:
        fu, fg = u.reshape(n * t, d_in), g.reshape(-1, d_out)
        G = Gb if t == 1 else fg.T @ fg
        return fu.T @ fu / (n * t), G, Gb
    ubar = u.mean(dim=1)
    return ubar.T @ ubar / n, Gb, Gb


def kron_block(
    index: NDArray[np.intp],
    G: torch.Tensor | tuple[Array, Array],
    A: torch.Tensor,
    prior: Array,
) -> KronBlock:
    """``kron(G, A) + tau I`` as a :class:`KronBlock` (``G`` or its eigenpair)."""
    lam_g, U_g = eigh_clipped(G) if isinstance(G, torch.Tensor) else G
    lam_a, U_a = eigh_clipped(A)
    return KronBlock(index, lam_g, U_g, lam_a, U_a).updated(prior, 1.0)


def _kron_layer(
    L: LayerData,
    offsets: tuple[int, int],
    prior: Array,
    approx: KfacApprox,
    joint_bias: bool,
) -> list[Precision]:
    w0, b0 = offsets
    d_out, d_in = L.spec.d_out, L.spec.d_in
    u = L.u_t
    if joint_bias and L.spec.has_bias:
        u = torch.cat([u, torch.ones(u.shape[:2] + (1,), dtype=u.dtype)], dim=2)
    A, G, Gb = torch_factors(u, L.g_t, approx)
    if joint_bias and L.spec.has_bias:
        idx = joint_index(w0, b0, d_out, d_in)
        return [kron_block(idx, G, A, prior[idx])]
    w_idx = np.arange(w0, w0 + d_out * d_in)
    eig_g = eigh_clipped(G)
    blocks: list[Precision] = [kron_block(w_idx, eig_g, A, prior[w_idx])]
    if L.spec.has_bias:  # the exact bias block Gb as kron(Gb, [[1]])
        b_idx = np.arange(b0, b0 + d_out)
        eig_b = eig_g if Gb is G else Gb
        blocks.append(kron_block(b_idx, eig_b, torch.ones(1, 1, dtype=Gb.dtype), prior[b_idx]))
    return blocks


def _diag_layer(L: LayerData) -> Array:
    d_out, d_in = L.spec.d_out, L.spec.d_in
    w = np.zeros(d_out * d_in)
    step = max(1, 2048 // L.g.shape[3])
    for s in range(0, L.u.shape[0], step):
        M = gradient_matrices(L.u[s : s + step], L.g[s : s + step])
        w += np.einsum("ij,ij->j", M, M)
    if not L.spec.has_bias:
        return w
    gsum = L.g.sum(axis=1)
    return np.concatenate([w, np.einsum("nok,nok->o", gsum, gsum)])


def build_precision(
    layers: tuple[LayerData, ...],
    prior: Array,
    structure: Structure,
    approx: KfacApprox,
    joint_bias: bool,
) -> Precision:
    """Posterior precision over the covered parameters (prior: one value per parameter)."""
    offsets = layer_offsets(layers)
    if structure is Structure.KRON:
        blocks: list[Precision] = []
        for L, off in zip(layers, offsets):
            blocks += _kron_layer(L, off, prior, approx, joint_bias)
        return BlockDiagonal(tuple(blocks))
    if structure is Structure.DIAG:
        curv = np.concatenate([_diag_layer(L) for L in layers])
        return DiagPrecision(np.arange(curv.size), curv, prior)
    m = prior.size
    if m > MAX_FULL:
        raise ShapeError(
            f"structure='full' over {m} parameters exceeds {MAX_FULL}; use 'kron', 'diag' or subset='last_layer'"
        )
    rows = np.concatenate([jacobian_rows(L) for L in layers], axis=2).reshape(-1, m)
    return DensePrecision(np.arange(m), rows.T @ rows, prior)


def precision_sqrt_inv_apply(P: Precision, z: Array) -> Array:
    """``P^{-1/2} z`` (a square root of the covariance) for ``z`` of shape (m, r)."""
    if isinstance(P, BlockDiagonal):
        parts = np.split(z, list(np.cumsum([b.index.size for b in P.blocks])[:-1]), axis=0)
        return np.concatenate([precision_sqrt_inv_apply(b, p) for b, p in zip(P.blocks, parts)])
    if isinstance(P, DiagPrecision):
        return z / np.sqrt(P.scale * P.curvature + P.prior)[:, None]
    if isinstance(P, KronBlock):
        d_out, d_in = P.lam_g.size, P.lam_a.size
        Z = z.reshape(d_out, d_in, -1)
        R = np.einsum("ia,ijr,jb->abr", P.U_g, Z, P.U_a, optimize=True)
        R /= np.sqrt(P.scale * np.outer(P.lam_g, P.lam_a) + P.tau)[:, :, None]
        return np.einsum("ai,ijr,bj->abr", P.U_g, R, P.U_a, optimize=True).reshape(z.shape)
    if isinstance(P, DensePrecision):
        import scipy.linalg

        return scipy.linalg.solve_triangular(P._chol.T, z, lower=False)
    raise ShapeError(f"cannot sample from a precision of type {type(P).__name__}")


def index_groups(specs: tuple[LayerSpec, ...], index: NDArray[np.intp]) -> NDArray[np.intp]:
    """Layer number of every covered parameter, in ``index`` order."""
    layer_of = np.concatenate([np.full(s.n_params, i, dtype=np.intp) for i, s in enumerate(specs)])
    return layer_of[index]
