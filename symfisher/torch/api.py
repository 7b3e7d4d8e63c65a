"""Front doors of the bridge: :func:`kfac_errors` and :func:`capture_layers`."""

from __future__ import annotations

from typing import Any

from torch import nn

from symfisher.options import CurvatureKind, KfacApprox
from symfisher.torch.capture import Capture, capture, factor_function
from symfisher.torch.errors_table import ErrorTable, error_table
from symfisher.torch.likelihood import resolve_likelihood


def capture_layers(
    model: nn.Module,
    data: Any,
    *,
    likelihood: Any = "gaussian",
    curvature: CurvatureKind | str = "ggn",
    batch_size: int = 256,
    **lik_options: Any,
) -> Capture:
    """Inputs ``u`` (N, T, d_in) and output factors ``g`` (N, T, d_out, k') of every layer.

    ``curvature``: ``"ggn"`` (``S S^T = Lambda(f)``: exact GGN / Fisher blocks),
    ``"empirical"`` (gradients at the labels) or ``"jacobian"`` (``S = I``).
    """
    lik = resolve_likelihood(likelihood, **lik_options)
    return capture(model, data, factor_function(lik, curvature), batch_size=batch_size)


def kfac_errors(
    model: nn.Module,
    data: Any,
    *,
    likelihood: Any = "gaussian",
    curvature: CurvatureKind | str = "ggn",
    approx: KfacApprox | str = "expand",
    joint_bias: bool = False,
    nearest: bool = True,
    ekfac: bool = True,
    batch_size: int = 256,
    **lik_options: Any,
) -> ErrorTable:
    """Exact K-FAC error of every supported layer, matrix-free; ``.summary()`` worst first.

    Parameters
    ----------
    model : torch.nn.Module
    data : DataLoader or tuple ``(X, y)``
    likelihood : str, Family or likelihood object
        See :func:`symfisher.torch.laplace.laplace`.
    curvature : {"ggn", "empirical", "jacobian"}
    approx : {"expand", "reduce"}
        K-FAC variant for Conv2d layers.
    joint_bias : bool
        Error of the ``[W | b]`` block instead of the weight block.
    nearest, ekfac : bool
        Also the nearest-Kronecker and EKFAC errors.
    batch_size : int
    **lik_options
        ``sigma``, ``df``, ``dispersion``, ``link``, ``constants``.
    """
    cap = capture_layers(
        model,
        data,
        likelihood=likelihood,
        curvature=curvature,
        batch_size=batch_size,
        **lik_options,
    )
    return error_table(cap, approx, joint_bias, nearest, ekfac)
