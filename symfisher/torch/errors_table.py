"""Per-layer exact K-FAC errors of a PyTorch model and their table (worst layer first).

For every captured layer the exact GGN / Fisher weight block (row-major vec of the
``(d_out, d_in)`` weight, ``kron(G, A)`` order, ``A`` a mean over data of ``u u^T``, ``G`` a
sum of ``g g^T``) is compared with K-FAC's ``G kron A`` without forming it: Linear layers
go to :func:`symfisher.numeric.kfac.compute.kron_error` (rows ``a_n``, factors ``B_n``),
Conv2d layers to :func:`symfisher.numeric.kfac.sharing.sharing_error` (the exact block
sums over positions before the outer product). With ``joint_bias`` the block covers
``[W | b]`` (inputs augmented with a 1); otherwise the weight block alone (the bias block
``sum_n gsum gsum^T`` is exact in K-FAC Laplace).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from symfisher.numeric.kfac.compute import kron_error
from symfisher.numeric.kfac.sharing import sharing_error
from symfisher.options import KfacApprox
from symfisher.torch.hooks import Capture, LayerData
from symfisher.torch.layers import LINEAR


@dataclass(frozen=True)
class LayerError:
    """Exact K-FAC error of one layer's block.

    Attributes
    ----------
    name : str
    kind : str
        ``"linear"`` or ``"conv2d"``.
    shape : tuple of int
        ``(d_out, d_in)`` of the block (``d_in + 1`` with ``joint_bias``).
    positions : int
        ``T`` (1 for Linear).
    kfac, nearest, ekfac : float or None
        Relative Frobenius errors of K-FAC, the nearest Kronecker product and EKFAC.
    exact_norm : float
        ``||F||_F``.
    route : str
        How the exact block terms were computed: ``"in-memory"`` (all rows kept),
        ``"rows"``, ``"dense"`` or ``"gram"`` (streamed, see
        :mod:`symfisher.torch.stream_errors`), ``"skipped"``.
    status : str
        ``"exact"``, or ``"skipped: needs X GB ..."`` (errors then NaN / None).
    """

    name: str
    kind: str
    shape: tuple[int, int]
    positions: int
    kfac: float
    nearest: float | None
    ekfac: float | None
    exact_norm: float
    route: str = "in-memory"
    status: str = "exact"


@dataclass(frozen=True)
class ErrorTable:
    """Per-layer errors plus the layers the bridge did not cover."""

    layers: tuple[LayerError, ...]
    frozen: tuple[str, ...]
    unsupported: tuple[str, ...]
    approx: KfacApprox

    def worst_first(self) -> list[LayerError]:
        """Layers sorted by decreasing K-FAC error."""
        return sorted(self.layers, key=lambda e: -e.kfac if e.kfac == e.kfac else math.inf)

    def summary(self) -> str:
        """A plain-text table, the worst layer first.

        Examples
        --------
        >>> ErrorTable((), (), ("bn (BatchNorm2d)",), KfacApprox.EXPAND).summary().splitlines()[-1]
        'unsupported (kept fixed): bn (BatchNorm2d)'
        """

        def fmt(v: float | None) -> str:
            return "-" if v is None or v != v else f"{v:.4f}"

        head = (
            f"{'layer':<20} {'type':<7} {'d_out x d_in':>13} {'T':>5} {'K-FAC':>8} {'nearest':>8} {'EKFAC':>8}"
            f"  {'route':<9} status"
        )
        rows = [head, "-" * len(head)]
        for e in self.worst_first():
            shape = f"{e.shape[0]} x {e.shape[1]}"
            rows.append(
                f"{e.name:<20} {e.kind:<7} {shape:>13} {e.positions:>5} {fmt(e.kfac):>8} "
                f"{fmt(e.nearest):>8} {fmt(e.ekfac):>8}  {e.route:<9} {e.status}"
            )
        rows.append(f"conv K-FAC variant: {self.approx.value}")
        if self.frozen:
            rows.append("frozen (skipped): " + ", ".join(self.frozen))
        if self.unsupported:
            rows.append("unsupported (kept fixed): " + ", ".join(self.unsupported))
        return "\n".join(rows)


def _augment(u: np.ndarray) -> np.ndarray:
    return np.concatenate([u, np.ones(u.shape[:-1] + (1,))], axis=-1)


def layer_error(
    layer: LayerData,
    approx: KfacApprox,
    joint_bias: bool,
    nearest: bool = True,
    ekfac: bool = True,
) -> LayerError:
    """The exact K-FAC error of one captured layer."""
    spec = layer.spec
    u = _augment(layer.u) if joint_bias and spec.has_bias else layer.u
    if spec.kind == LINEAR:
        rep = kron_error(u[:, 0], B=layer.g[:, 0], nearest=nearest, ekfac=ekfac)
        rel, near, ek, norm = (
            rep.relative_frobenius,
            rep.nearest_relative_frobenius,
            rep.ekfac_relative_frobenius,
            rep.exact_norm,
        )
    else:
        res = sharing_error(u, layer.g, approx, nearest=nearest, ekfac=ekfac)
        rel, near, ek, norm = (
            res.relative_frobenius,
            res.nearest_relative_frobenius,
            res.ekfac_relative_frobenius,
            res.exact_norm,
        )
    return LayerError(
        spec.name,
        spec.kind,
        (spec.d_out, u.shape[2]),
        u.shape[1],
        rel,
        near,
        ek,
        norm,
    )


def error_table(
    cap: Capture,
    approx: KfacApprox | str = KfacApprox.EXPAND,
    joint_bias: bool = False,
    nearest: bool = True,
    ekfac: bool = True,
) -> ErrorTable:
    """Errors of every captured layer (see the module docstring)."""
    how = KfacApprox(approx)
    errs = tuple(layer_error(L, how, joint_bias, nearest, ekfac) for L in cap.layers)
    return ErrorTable(errs, cap.discovery.frozen, cap.discovery.unsupported, how)
