"""Curvature accumulated batch by batch (no rows kept): K-FAC factors, GGN diagonal, full GGN.

The Laplace fit only needs sums over data, so :func:`fit_precision` streams the batches
(:func:`symfisher.torch.hooks.stream`) into one accumulator per structure and never keeps
the captured rows: memory is that of the factors (``kron``), of the diagonal (``diag``) or of
the m x m GGN (``full``), not N times the layer widths. Definitions (A a mean, G a sum,
exact bias block ``sum gsum gsum^T``, expand / reduce for Conv2d) as in
:mod:`symfisher.torch.blocks`; sums are kept in float64, the factors' eigendecompositions
run in the model's dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from symfisher.numeric.kfac.sharing import gradient_matrices
from symfisher.numeric.laplace.base import Array, Precision
from symfisher.numeric.laplace.diag import DiagPrecision
from symfisher.numeric.laplace.full import DensePrecision
from symfisher.numeric.laplace.kron import BlockDiagonal, joint_index
from symfisher.options import KfacApprox, Structure
from symfisher.torch.blocks import MAX_FULL, eigh_clipped, kron_block
from symfisher.torch.hooks import Discovery, Factor, stream
from symfisher.torch.layers import LayerSpec

Rows = list[tuple[torch.Tensor, torch.Tensor]]


def _numpy_rows(u: torch.Tensor, g: torch.Tensor) -> tuple[Array, Array]:
    """``u`` (n, T, d_in) and ``g`` as (n, T, d_out, k') float64 NumPy."""
    return u.double().numpy(), g.double().numpy().transpose(0, 1, 3, 2)


class KronSums:
    """Running ``sum u u^T`` (with its count), ``G`` and the bias block of one layer."""

    def __init__(self, spec: LayerSpec, approx: KfacApprox, joint: bool) -> None:
        self.spec, self.approx, self.joint = spec, approx, joint
        self.count, self.dtype = 0, torch.float64
        self.sums: list[torch.Tensor | None] = [None, None, None]  # A_sum, G, Gb

    def add(self, u: torch.Tensor, g: torch.Tensor) -> None:
        n, t = u.shape[:2]
        self.dtype = u.dtype
        if self.joint:
            u = torch.cat([u, torch.ones(n, t, 1, dtype=u.dtype)], dim=2)
        gsum = (g[:, 0] if t == 1 else g.sum(dim=1)).reshape(-1, g.shape[3])
        Gb = gsum.T @ gsum
        if self.approx is KfacApprox.EXPAND:
            fu = u.reshape(n * t, -1)
            G = Gb if t == 1 else g.reshape(-1, g.shape[3]).T @ g.reshape(-1, g.shape[3])
            parts, self.count = (fu.T @ fu, G, Gb), self.count + n * t
        else:
            ubar = u.mean(dim=1)
            parts, self.count = (ubar.T @ ubar, Gb, Gb), self.count + n
        self.sums = [p.double() if s is None else s + p.double() for s, p in zip(self.sums, parts)]

    def blocks(self, w0: int, b0: int, prior: Array) -> list[Precision]:
        assert all(x is not None for x in self.sums)
        # sums kept in float64; eigendecompositions in the model's dtype (as laplace-torch)
        A_sum, G, Gb = (x.to(self.dtype) for x in self.sums)  # type: ignore[union-attr]
        A = A_sum / self.count
        d_out, d_in = self.spec.d_out, self.spec.d_in
        if self.joint:
            idx = joint_index(w0, b0, d_out, d_in)
            return [kron_block(idx, G, A, prior[idx])]
        w_idx = np.arange(w0, w0 + d_out * d_in)
        eig_g = eigh_clipped(G)
        out: list[Precision] = [kron_block(w_idx, eig_g, A, prior[w_idx])]
        if self.spec.has_bias:
            b_idx = np.arange(b0, b0 + d_out)
            same = self.approx is KfacApprox.REDUCE or torch.equal(G, Gb)
            eig_b = eig_g if same else Gb
            out.append(kron_block(b_idx, eig_b, torch.ones(1, 1, dtype=Gb.dtype), prior[b_idx]))
        return out


def _diag_part(spec: LayerSpec, u: torch.Tensor, g: torch.Tensor) -> Array:
    """This batch's exact GGN diagonal of one layer, ``[sum M^2, sum gsum^2]``."""
    un, gn = _numpy_rows(u, g)
    if u.shape[1] == 1:  # Linear: sum_j g_j^2 outer u^2
        q = np.einsum("nok,nok->no", gn[:, 0], gn[:, 0])
        w = (q.T @ (un[:, 0] ** 2)).ravel()
    else:
        w = np.zeros(spec.d_out * spec.d_in)
        step = max(1, 2048 // gn.shape[3])
        for s in range(0, un.shape[0], step):
            M = gradient_matrices(un[s : s + step], gn[s : s + step])
            w += np.einsum("ij,ij->j", M, M)
    if not spec.has_bias:
        return w
    gs = gn.sum(axis=1)
    return np.concatenate([w, np.einsum("nok,nok->o", gs, gs)])


def _full_rows(specs: tuple[LayerSpec, ...], rows: Rows) -> Array:
    """Per-example rows ``[vec M_nj, gsum_nj]`` of all layers, shape (n k', m)."""
    parts = []
    for spec, (u, g) in zip(specs, rows):
        un, gn = _numpy_rows(u, g)
        n, k = gn.shape[0], gn.shape[3]
        M = gradient_matrices(un, gn).reshape(n, k, -1)
        if spec.has_bias:
            M = np.concatenate([M, gn.sum(axis=1).transpose(0, 2, 1)], axis=2)
        parts.append(M)
    cat = np.concatenate(parts, axis=2)
    return cat.reshape(-1, cat.shape[2])


def fit_precision(
    model: nn.Module,
    data: Any,
    factor: Factor,
    found: Discovery,
    structure: Structure,
    approx: KfacApprox,
    joint_bias: bool,
    prior: Array,
    batch_size: int,
) -> tuple[Precision, Array, Array | None]:
    """Stream the data once into the structure's accumulator: ``(precision, f, y)``."""
    specs = found.layers
    m = sum(s.n_params for s in specs)
    if structure is Structure.FULL and m > MAX_FULL:
        raise ValueError(
            f"structure='full' over {m} parameters exceeds {MAX_FULL}; use 'kron', 'diag' or subset='last_layer'"
        )
    kron = [KronSums(s, approx, joint_bias and s.has_bias) for s in specs]
    diag = [np.zeros(s.n_params) for s in specs]
    full = np.zeros((m, m)) if structure is Structure.FULL else None

    def consume(rows: Rows) -> None:
        for i, (spec, (u, g)) in enumerate(zip(specs, rows)):
            if structure is Structure.KRON:
                kron[i].add(u, g)
            elif structure is Structure.DIAG:
                diag[i] += _diag_part(spec, u, g)
        if full is not None:
            R = _full_rows(specs, rows)
            full[:] += R.T @ R

    f, y = stream(model, data, factor, found, consume, batch_size)
    if structure is Structure.KRON:
        blocks: list[Precision] = []
        start = 0
        for acc, spec in zip(kron, specs):
            blocks += acc.blocks(start, start + spec.d_out * spec.d_in, prior)
            start += spec.n_params
        return BlockDiagonal(tuple(blocks)), f, y
    if structure is Structure.DIAG:
        return DiagPrecision(np.arange(m), np.concatenate(diag), prior), f, y
    assert full is not None
    return DensePrecision(np.arange(m), full, prior), f, y
