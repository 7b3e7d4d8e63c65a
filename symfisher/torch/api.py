"""Front doors of the bridge: :func:`kfac_errors` and :func:`capture_layers`."""

from __future__ import annotations

from typing import Any

from torch import nn

from symfisher.options import CurvatureKind, KfacApprox, option
from symfisher.torch.errors_table import ErrorTable, error_table
from symfisher.torch.hooks import Capture, capture, factor_function, select
from symfisher.torch.likelihood import resolve_likelihood
from symfisher.torch.stream_errors import streamed_error_table


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
    max_memory: float | None = None,
    max_disk: float | None = None,
    scratch: str | None = None,
    on_budget: str = "raise",
    n_examples: int | None = None,
    in_memory: bool = False,
    **lik_options: Any,
) -> ErrorTable:
    """Exact K-FAC error of every supported layer, matrix-free; ``.summary()`` worst first.

    Streamed over batches with bounded memory (:mod:`symfisher.torch.stream_errors`: per
    layer the cheaper exact route, its peak memory stated there); ``in_memory=True`` keeps
    every captured row instead (:func:`symfisher.torch.errors_table.error_table`).

    Parameters
    ----------
    model : torch.nn.Module
    data : DataLoader or tuple ``(X, y)``
        Re-iterable: layers that do not fit the budget together take separate passes.
    likelihood : str, Family or likelihood object
        See :func:`symfisher.torch.posterior.laplace`.
    curvature : {"ggn", "empirical", "jacobian"}
    approx : {"expand", "reduce"}
        K-FAC variant for Conv2d layers.
    joint_bias : bool
        Error of the ``[W | b]`` block instead of the weight block.
    nearest, ekfac : bool
        Also the nearest-Kronecker and EKFAC errors (nearest: one pass over the stored
        rows per power step for ``gram`` layers; costly for wide convolutions).
    batch_size : int
    max_memory, max_disk : float, optional
        Budgets in bytes (default: half the available memory, 90 % of the scratch
        directory's free space).
    scratch : str, optional
        Directory of the scratch row files (default: the temporary directory).
    on_budget : {"raise", "skip"}
        A layer no exact route fits: :class:`~symfisher.errors.MemoryBudgetError` before any
        pass, or a table row ``"skipped: needs X GB ..."``.
    n_examples : int, optional
        Number of examples, if ``len`` of the data (or its ``dataset``) does not tell.
    in_memory : bool
        Keep all rows (the reference implementation; no budget).
    **lik_options
        ``sigma``, ``df``, ``dispersion``, ``link``, ``constants``.
    """
    if in_memory:
        cap = capture_layers(
            model, data, likelihood=likelihood, curvature=curvature, batch_size=batch_size, **lik_options
        )
        return error_table(cap, approx, joint_bias, nearest, ekfac)
    lik = resolve_likelihood(likelihood, **lik_options)
    return streamed_error_table(
        model,
        data,
        factor_function(lik, curvature),
        select(model, None),
        approx=option(KfacApprox, approx, "approx"),
        joint_bias=joint_bias,
        nearest=nearest,
        ekfac=ekfac,
        batch_size=batch_size,
        max_memory=max_memory,
        max_disk=max_disk,
        scratch=scratch,
        on_budget=on_budget,
        n_examples=n_examples,
    )
