"""Which layers of a PyTorch model the bridge covers, and how their inputs become rows.

Supported: ``nn.Linear`` (2-D inputs) and ``nn.Conv2d`` (``groups=1``, zero padding).
A layer is *frozen* when none of its parameters requires a gradient; it is skipped and
stays at its value. Any other module that owns parameters directly is listed as
unsupported by its qualified name (its parameters are also kept fixed).

Conventions: a weight is seen as a matrix ``(d_out, d_in)`` — ``Linear.weight`` as is,
``Conv2d.weight`` (C_out, C_in, kh, kw) as ``weight.reshape(C_out, C_in kh kw)`` — and
vectorised row-major, so curvature blocks are ``kron(G, A)`` with ``G`` (d_out x d_out)
first. A layer's inputs are rows ``u_nt`` at ``T`` positions (``T = 1`` for Linear; the
``unfold`` patches for Conv2d) and its output gradients ``g_nt`` at the same positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import torch
from torch import nn
from torch.nn import functional as F

from symfisher.errors import ShapeError

#: Layer types handled by the bridge (``LayerSpec.kind``).
LINEAR, CONV2D = "linear", "conv2d"


@dataclass(frozen=True, eq=False)
class LayerSpec:
    """A supported, trainable layer.

    Attributes
    ----------
    name : str
        Qualified module name (``model.named_modules()``).
    module : torch.nn.Module
    kind : str
        ``"linear"`` or ``"conv2d"``.
    d_out, d_in : int
        Weight matrix shape.
    has_bias : bool
        The layer has a trainable bias.
    """

    name: str
    module: nn.Module
    kind: str
    d_out: int
    d_in: int
    has_bias: bool

    @property
    def n_params(self) -> int:
        """Weights plus bias entries covered."""
        return self.d_out * self.d_in + (self.d_out if self.has_bias else 0)


@dataclass(frozen=True)
class Discovery:
    """Layers found in a model.

    Attributes
    ----------
    layers : tuple of LayerSpec
        Supported trainable layers in module order.
    frozen : tuple of str
        Supported layers without trainable parameters (skipped).
    unsupported : tuple of str
        ``"name (Type)"`` of other modules owning trainable parameters.
    """

    layers: tuple[LayerSpec, ...]
    frozen: tuple[str, ...]
    unsupported: tuple[str, ...]


def _conv_ok(m: nn.Conv2d) -> bool:
    return m.groups == 1 and m.padding_mode == "zeros" and not isinstance(m.padding, str)


def discover(model: nn.Module) -> Discovery:
    """Supported, frozen and unsupported layers of ``model`` in module order.

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(3, 2), nn.LayerNorm(2), nn.Linear(2, 1))
    >>> d = discover(net)
    >>> [s.name for s in d.layers], d.unsupported
    (['0', '2'], ('1 (LayerNorm)',))
    """
    layers, frozen, unsupported = [], [], []
    for name, m in model.named_modules():
        own = list(m.parameters(recurse=False))
        trainable = any(p.requires_grad for p in own)
        supported = isinstance(m, nn.Linear) or (isinstance(m, nn.Conv2d) and _conv_ok(m))
        if not supported:
            if trainable:
                unsupported.append(f"{name} ({type(m).__name__})")
            continue
        if not m.weight.requires_grad:
            frozen.append(name)
            continue
        kind = LINEAR if isinstance(m, nn.Linear) else CONV2D
        w = m.weight
        has_bias = m.bias is not None and m.bias.requires_grad
        layers.append(LayerSpec(name, m, kind, w.shape[0], w[0].numel(), has_bias))
    return Discovery(tuple(layers), tuple(frozen), tuple(unsupported))


def input_rows(spec: LayerSpec, x: torch.Tensor) -> torch.Tensor:
    """The layer's input rows ``u``, shape (n, T, d_in).

    ``T = 1`` for Linear; for Conv2d the ``unfold`` patches (channel-major, then kernel
    rows and columns: the order of ``weight.reshape(C_out, -1)``), ``T = H_out W_out``.
    """
    m = spec.module
    if spec.kind == LINEAR:
        if x.ndim != 2:
            raise ShapeError(
                f"layer {spec.name!r} (Linear) got input of shape {tuple(x.shape)}; "
                "the bridge supports (batch, features) inputs only"
            )
        return x[:, None, :]
    conv = cast(nn.Conv2d, m)
    patches = F.unfold(x, conv.kernel_size, dilation=conv.dilation, padding=cast(Any, conv.padding), stride=conv.stride)
    return patches.transpose(1, 2)


def output_rows(spec: LayerSpec, grad: torch.Tensor) -> torch.Tensor:
    """Gradients wrt the layer output as rows, shape (r, n, T, d_out) from (r, n, ...)."""
    if spec.kind == LINEAR:
        return grad[:, :, None, :]
    r, n, c = grad.shape[:3]
    return grad.reshape(r, n, c, -1).transpose(2, 3)


def weight_matrix(spec: LayerSpec) -> torch.Tensor:
    """The weight as a (d_out, d_in) matrix (a view)."""
    weight = cast(torch.Tensor, spec.module.weight)
    return weight.reshape(spec.d_out, spec.d_in)
