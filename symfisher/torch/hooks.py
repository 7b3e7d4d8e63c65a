"""One forward pass with hooks per batch: every layer's inputs ``u`` and output factors ``g``.

For a batch, forward hooks keep each supported layer's input and output. The network
output ``f`` (n, k) then gives the output factors ``S_n`` (n, k, k') — the likelihood's
``S S^T = Lambda`` (GGN / Fisher), its gradient at the labels (empirical Fisher, k' = 1)
or the identity (Jacobians) — and one batched vector-Jacobian product
(``torch.autograd.grad(..., is_grads_batched=True)``, a loop over the k' columns if the
model does not support it) pulls ``S`` back to every layer's output:
``g_ntj = (d f_n / d z_nt)^T S_n[:, j]``. The forward and backward run in the model's
dtype (float32 or float64) and device; the captured rows stay torch tensors on the CPU
in that dtype (the K-FAC factors and their eigendecompositions are computed by torch, in
one thread pool) and become float64 NumPy arrays on first use (``LayerData.u``/``.g``)
for the matrix-free error code.

The exact GGN weight block of a layer is then
``sum_nj vec(M_nj) vec(M_nj)^T`` with ``M_nj = sum_t g_ntj u_nt^T`` (d_out, d_in); K-FAC
uses ``A`` = a mean over data of ``u u^T`` and ``G`` = a sum of ``g g^T`` (see
:mod:`symfisher.numeric.kfac.sharing` for the weight-sharing variants).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from symfisher.errors import ShapeError
from symfisher.options import CurvatureKind, option
from symfisher.torch.layers import (
    Discovery,
    LayerSpec,
    discover,
    input_rows,
    output_rows,
)

Array = NDArray[np.float64]
Factor = Callable[[Array, Array | None], Array]


@dataclass(frozen=True, eq=False)
class LayerData:
    """Captured rows of one layer over all examples.

    Attributes
    ----------
    spec : LayerSpec
    u_t : torch.Tensor, shape (N, T, d_in)
        Inputs at every position (T = 1 for Linear), on the CPU in the model's dtype.
    g_t : torch.Tensor, shape (N, T, k', d_out)
        Output factors at every position, likewise (``k'`` before ``d_out``, so that the
        rows ``g_ntj`` are contiguous: ``g_t.reshape(-1, d_out)`` needs no copy).
    """

    spec: LayerSpec
    u_t: torch.Tensor = field(repr=False)
    g_t: torch.Tensor = field(repr=False)

    @cached_property
    def u(self) -> Array:
        """``u_t`` as float64 NumPy, shape (N, T, d_in)."""
        return self.u_t.double().numpy()

    @cached_property
    def g(self) -> Array:
        """``g_t`` as float64 NumPy, shape (N, T, d_out, k') (a transposed view)."""
        return self.g_t.double().numpy().transpose(0, 1, 3, 2)


@dataclass(frozen=True, eq=False)
class Capture:
    """Everything one pass over the data captured.

    Attributes
    ----------
    layers : tuple of LayerData
    discovery : Discovery
        Supported, frozen and unsupported layers.
    f : ndarray, shape (N, k)
        Network outputs.
    y : ndarray or None
        Targets as given (float64), if the data had any.
    """

    layers: tuple[LayerData, ...]
    discovery: Discovery
    f: Array = field(repr=False)
    y: Array | None = field(repr=False)


def _as_tensor(x: Any, like: torch.Tensor) -> torch.Tensor:
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    return t.to(device=like.device, dtype=like.dtype)


def _as_numpy(y: Any) -> Array:
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    return np.asarray(y, dtype=np.float64)


def batches(data: Any, batch_size: int) -> Iterator[tuple[Any, Any]]:
    """``(X, y)`` batches from a DataLoader / iterable of batches, or an ``(X, y)`` pair.

    ``data`` may be a tuple ``(X, y)`` or ``(X,)`` of arrays / tensors (split into
    ``batch_size`` rows), a bare array / tensor ``X``, or any iterable of such batches
    (e.g. a ``torch.utils.data.DataLoader``).
    """
    if isinstance(data, (torch.Tensor, np.ndarray)):
        data = (data,)
    if isinstance(data, tuple):
        X, y = data[0], (data[1] if len(data) > 1 else None)
        for s in range(0, len(X), batch_size):
            yield X[s : s + batch_size], (None if y is None else y[s : s + batch_size])
        return
    for item in data:
        if isinstance(item, (list, tuple)):
            yield item[0], (item[1] if len(item) > 1 else None)
        else:
            yield item, None


def _forward(
    model: nn.Module, specs: tuple[LayerSpec, ...], X: torch.Tensor
) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
    """Output, layer inputs and layer outputs (still in the graph) of one batch."""
    seen: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def hook(mod: nn.Module, inp: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        if id(mod) in seen:
            raise ShapeError(
                f"a layer is called twice in one forward pass ({type(mod).__name__}); "
                "weight sharing across calls is not supported"
            )
        seen[id(mod)] = (inp[0].detach(), out)

    handles = [s.module.register_forward_hook(hook) for s in specs]
    try:
        with torch.enable_grad():
            f = model(X)
    finally:
        for h in handles:
            h.remove()
    if f.ndim != 2:
        raise ShapeError(f"the model output must be (batch, k), got {tuple(f.shape)}")
    missing = [s.name for s in specs if id(s.module) not in seen]
    if missing:
        raise ShapeError(f"layers {missing} were not called in the forward pass")
    return (
        f,
        [seen[id(s.module)][0] for s in specs],
        [seen[id(s.module)][1] for s in specs],
    )


def _pullback(f: torch.Tensor, outs: list[torch.Tensor], S: torch.Tensor) -> list[torch.Tensor]:
    """``J^T S`` at every layer output; each result has a leading k' axis."""
    cols = S.permute(2, 0, 1).contiguous()  # (k', n, k)
    try:
        return list(torch.autograd.grad(f, outs, grad_outputs=cols, is_grads_batched=True))
    except RuntimeError:  # vmap unsupported: loop
        per = [torch.autograd.grad(f, outs, grad_outputs=c, retain_graph=True) for c in cols]
        return [torch.stack([p[i] for p in per]) for i in range(len(outs))]


def select(model: nn.Module, names: set[str] | None) -> Discovery:
    """Supported layers of ``model`` (only ``names`` if given); raises if there are none."""
    found = discover(model)
    if names is not None:
        found = Discovery(
            tuple(s for s in found.layers if s.name in names),
            found.frozen,
            found.unsupported,
        )
    if not found.layers:
        raise ShapeError(
            f"no supported trainable layer (Linear, Conv2d) in the model; unsupported: {list(found.unsupported)}"
        )
    return found


Consumer = Callable[[list[tuple[torch.Tensor, torch.Tensor]]], None]


def stream(
    model: nn.Module,
    data: Any,
    factor: Factor,
    found: Discovery,
    consume: Consumer,
    batch_size: int = 256,
) -> tuple[Array, Array | None]:
    """One pass over ``data``: ``consume([(u, g) per layer])`` per batch; returns ``(f, y)``.

    ``u`` is (n, T, d_in) and ``g`` (n, T, k', d_out), detached, in the model's dtype.
    """
    like = next(p for p in model.parameters())
    fs, ys = [], []
    for Xb, yb in batches(data, batch_size):
        f, ins, outs = _forward(model, found.layers, _as_tensor(Xb, like))
        f_np = f.detach().cpu().double().numpy()
        y_np = None if yb is None else _as_numpy(yb)
        S = torch.as_tensor(np.array(factor(f_np, y_np)), dtype=f.dtype, device=f.device)
        grads = _pullback(f, outs, S)
        consume(
            [
                (
                    input_rows(s, x).detach().cpu(),
                    output_rows(s, gr).permute(1, 2, 0, 3).cpu(),
                )
                for s, x, gr in zip(found.layers, ins, grads)
            ]
        )
        fs.append(f_np)
        if y_np is not None:
            ys.append(y_np)
    return np.concatenate(fs), (np.concatenate(ys) if ys else None)


def capture(
    model: nn.Module,
    data: Any,
    factor: Factor,
    *,
    batch_size: int = 256,
    names: set[str] | None = None,
) -> Capture:
    """Capture ``u`` and ``g`` of every supported trainable layer over ``data``.

    Parameters
    ----------
    model : torch.nn.Module
        In evaluation mode (batch-norm statistics and dropout fixed); output (n, k).
    data : DataLoader, iterable of batches, or tuple ``(X, y)``
        See :func:`batches`.
    factor : callable
        ``factor(f (n, k), y or None) -> S (n, k, k')`` in float64.
    batch_size : int
        Rows per batch when ``data`` is an ``(X, y)`` pair.
    names : set of str, optional
        Capture only these layers (qualified names); default: every supported layer.

    Returns
    -------
    Capture
    """
    found = select(model, names)
    us: list[list[torch.Tensor]] = [[] for _ in found.layers]
    gs: list[list[torch.Tensor]] = [[] for _ in found.layers]

    def keep(rows: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        for i, (u, g) in enumerate(rows):
            us[i].append(u)
            gs[i].append(g)

    f, y = stream(model, data, factor, found, keep, batch_size)
    layers = tuple(
        LayerData(s, torch.cat(u).contiguous(), torch.cat(g).contiguous()) for s, u, g in zip(found.layers, us, gs)
    )
    return Capture(layers, found, f, y)


def factor_function(likelihood: Any, curvature: CurvatureKind | str) -> Factor:
    """``factor(f, y)`` for a numeric likelihood and a curvature kind."""
    kind = option(CurvatureKind, curvature, "curvature")
    if kind is CurvatureKind.JACOBIAN:
        return lambda f, y: np.broadcast_to(np.eye(f.shape[1]), (f.shape[0], f.shape[1], f.shape[1]))
    if kind is CurvatureKind.GGN:
        return lambda f, y: likelihood.factor(f)

    def empirical(f: Array, y: Array | None) -> Array:
        if y is None:
            raise ShapeError("curvature='empirical' needs labels: pass data as (X, y)")
        return likelihood.grad(f, likelihood.targets(y, f.shape[1]))[:, :, None]

    return empirical
