"""Exact per-layer K-FAC errors streamed over batches, within a memory budget.

:func:`streamed_error_table` never keeps the captured rows ``u`` (N, T, d_in) and ``g``
(N, T, k', d_out) of a layer. Per batch it turns them into the K-FAC factor sums (float64)
and into what the exact error needs, by one of three routes planned before any pass from
the number of examples ``N`` (the data's length) and of factor columns ``k'`` (one probe
batch); ``D = d_out d_in`` (``d_in + 1`` with ``joint_bias``), ``B`` = ``batch_size``:

========  ==========================================  ==========================  ===============
route     what is kept                                peak memory (bytes)         flops
========  ==========================================  ==========================  ===============
rows      Linear only: ``a_n``, ``B_n`` in memory      ``24 N (d_in + k' d_out)``   ``N^2 (d_in + k'^2 d_out)``
          (:func:`~symfisher.numeric.kfac.compute.     ``+ 8 m^2 (1 + k'^2)``,
          kron_error`, row-space Gram identities)      ``m = min(2048 / k', N)``
dense     ``F = sum M^T M`` (D x D)                   ``16 D^2``                  ``N k' D^2``
gram      rows ``vec M_nj`` in a scratch file          ``8 (5 b D + b^2)``,        ``(N k')^2 D``
          (``8 N k' D`` bytes on disk), blocked Gram   ``b`` rows per block
========  ==========================================  ==========================  ===============

plus, during the pass, ``8 B (T (d_in + k' d_out) + k' D)`` bytes for one batch's float64
rows (see :mod:`symfisher.numeric.kfac.gradrows`). A convolution takes ``dense`` when
``D <= N k'`` and ``16 D^2`` fits ``max_memory``, else ``gram`` (block rows ``b`` chosen to
fit ``max_memory``, the file must fit ``max_disk``), else ``dense`` if it fits. Layers are
grouped, in module order, into as few passes over the data as the budget allows (the
memory of every layer of a pass is held together). A layer no route fits is either an
error (:class:`~symfisher.errors.MemoryBudgetError` naming the layer and the bytes needed,
raised before any pass) or, with ``on_budget="skip"``, a table row with status
``"skipped: needs X GB ..."`` — never an approximation. Every number is exact (float64).
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from symfisher.errors import MemoryBudgetError, OptionError, ShapeError
from symfisher.numeric.kfac.compute import kron_error
from symfisher.numeric.kfac.gradrows import (
    F64,
    DenseSums,
    ErrorTerms,
    RowStore,
    gram_block_rows,
    gram_peak_bytes,
    gram_terms,
)
from symfisher.numeric.kfac.sharing import gradient_matrices, sharing_factors
from symfisher.options import KfacApprox
from symfisher.torch.errors_table import ErrorTable, LayerError
from symfisher.torch.hooks import Discovery, Factor, _as_tensor, batches, select, stream
from symfisher.torch.layers import LINEAR, LayerSpec, input_rows

GB = 1e9


@dataclass(frozen=True)
class Plan:
    """How one layer's exact error is computed.

    Attributes
    ----------
    spec : LayerSpec
    route : str
        ``"rows"``, ``"dense"``, ``"gram"`` or ``"skipped"``.
    hold : int
        Bytes held in memory during the pass.
    peak : int
        Peak bytes of the layer's final computation (after the pass).
    batch : int
        Bytes of one batch's float64 rows.
    disk : int
        Scratch bytes on disk.
    block : int
        Rows per Gram block (``gram``).
    positions : int
        ``T``.
    d_in : int
        Columns of the block (``d_in + 1`` with ``joint_bias``).
    """

    spec: LayerSpec
    route: str
    hold: int
    peak: int
    batch: int
    disk: int
    block: int
    positions: int
    d_in: int

    def need(self) -> str:
        """What the exact routes would need (for errors and skipped rows)."""
        if self.spec.kind == LINEAR:
            return f"needs {_size(self.peak + self.batch)} of memory (rows)"
        D = self.spec.d_out * self.d_in
        return f"needs {_size(16 * D * D)} of memory (dense) or {_size(self.disk)} of scratch disk (gram)"


def _size(nbytes: float) -> str:
    """``"5.4 GB"`` / ``"12 MB"``."""
    return f"{nbytes / GB:.1f} GB" if nbytes >= 0.1 * GB else f"{nbytes / 1e6:.2g} MB"


def _positions(spec: LayerSpec, model: nn.Module, X: torch.Tensor) -> int:
    """``T`` of a layer, from one example's forward pass."""
    if spec.kind == LINEAR:
        return 1
    seen: list[int] = []
    h = spec.module.register_forward_hook(lambda m, i, o: seen.append(input_rows(spec, i[0]).shape[1]))
    try:
        with torch.no_grad():
            model(X)
    finally:
        h.remove()
    return seen[0]


def plan_layer(
    spec: LayerSpec,
    n: int,
    k: int,
    t: int,
    joint: bool,
    batch_size: int,
    max_memory: float,
    max_disk: float,
) -> Plan:
    """The cheapest exact route for one layer within the budgets (see the module docstring)."""
    d_in = spec.d_in + (1 if joint else 0)
    D, nk = spec.d_out * d_in, n * k
    bs = min(batch_size, n)
    batch = F64 * bs * (t * (d_in + k * spec.d_out) + (0 if spec.kind == LINEAR else k * D))
    disk = F64 * nk * D
    if spec.kind == LINEAR:
        hold = F64 * n * (d_in + k * spec.d_out)
        m = min(2048 // k, n)  # kron_error's two Gram buffers: m^2 and (m k)^2 floats
        peak = 3 * hold + F64 * m * m * (1 + k * k)
        ok = peak + batch <= max_memory
        return Plan(spec, "rows" if ok else "skipped", hold, peak, batch, 0, 0, t, d_in)
    dense_ok = 16 * D * D + batch <= max_memory
    left = max_memory - batch
    b = gram_block_rows(D, int(max(left, 0)), nk)
    gram_ok = disk <= max_disk and gram_peak_bytes(D, b) <= left
    if dense_ok and (D <= nk or not gram_ok):
        return Plan(spec, "dense", 8 * D * D, 16 * D * D, batch, 0, 0, t, d_in)
    if gram_ok:
        return Plan(spec, "gram", 0, gram_peak_bytes(D, b), batch, disk, b, t, d_in)
    return Plan(spec, "skipped", 0, 16 * D * D, batch, disk, 0, t, d_in)


def group_passes(plans: list[Plan], max_memory: float, max_disk: float) -> list[list[Plan]]:
    """Consecutive layers per pass so that memory and disk held together fit the budgets."""
    groups: list[list[Plan]] = []
    cur: list[Plan] = []
    for p in (p for p in plans if p.route != "skipped"):
        trial = cur + [p]
        ram = sum(q.hold + q.batch for q in trial) + max(q.peak - q.hold for q in trial)
        if cur and (ram > max_memory or sum(q.disk for q in trial) > max_disk):
            groups.append(cur)
            trial = [p]
        cur = trial
    return groups + ([cur] if cur else [])


class _LayerStream:
    """Factor sums plus the route's accumulator for one layer (numpy float64)."""

    def __init__(self, plan: Plan, approx: KfacApprox, joint: bool, scratch: str | None) -> None:
        self.plan, self.approx, self.joint = plan, approx, joint
        self.A_sum: np.ndarray | None = None
        self.G: np.ndarray | None = None
        self.count = 0
        d_out = plan.spec.d_out
        self.dense = DenseSums(d_out, plan.d_in) if plan.route == "dense" else None
        self.store = RowStore(d_out * plan.d_in, scratch) if plan.route == "gram" else None
        self.rows: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, u_t: torch.Tensor, g_t: torch.Tensor) -> None:
        u = u_t.double().numpy()
        if self.joint:
            u = np.concatenate([u, np.ones(u.shape[:2] + (1,))], axis=2)
        g = g_t.double().numpy().transpose(0, 1, 3, 2)  # (n, T, d_out, k')
        if self.plan.route == "rows":
            self.rows.append((u[:, 0], np.ascontiguousarray(g[:, 0])))
            return
        A_b, G_b = sharing_factors(u, g, self.approx)
        c = u.shape[0] * (u.shape[1] if self.approx is KfacApprox.EXPAND else 1)
        self.A_sum = A_b * c if self.A_sum is None else self.A_sum + A_b * c
        self.G = G_b if self.G is None else self.G + G_b
        self.count += c
        M = gradient_matrices(u, g)
        if self.dense is not None:
            self.dense.add(M)
        elif self.store is not None:
            self.store.append(M)

    def finish(self, nearest: bool, ekfac: bool, max_iter: int) -> LayerError:
        spec, p = self.plan.spec, self.plan
        shape = (spec.d_out, p.d_in)
        if p.route == "rows":
            a = np.concatenate([r[0] for r in self.rows])
            B = np.concatenate([r[1] for r in self.rows])
            self.rows.clear()
            rep = kron_error(a, B=B, nearest=nearest, ekfac=ekfac, max_iter=max_iter)
            return LayerError(
                spec.name, spec.kind, shape, 1, rep.relative_frobenius, rep.nearest_relative_frobenius,
                rep.ekfac_relative_frobenius, rep.exact_norm, route="rows",
            )  # fmt: skip
        assert self.A_sum is not None and self.G is not None
        A = self.A_sum / self.count
        try:
            if self.dense is not None:
                terms = self.dense.terms(A, self.G, ekfac=ekfac, nearest=nearest, max_iter=max_iter)
            else:
                assert self.store is not None
                terms = gram_terms(
                    self.store, A, self.G, block=p.block, ekfac=ekfac, nearest=nearest, max_iter=max_iter
                )
        finally:
            self.close()
        return _row(spec, shape, p, terms)

    def close(self) -> None:
        self.dense = None
        if self.store is not None:
            self.store.close()
            self.store = None


def _row(spec: LayerSpec, shape: tuple[int, int], p: Plan, t: ErrorTerms) -> LayerError:
    rel, near, ek = t.relative()
    return LayerError(
        spec.name, spec.kind, shape, p.positions, rel, near, ek, math.sqrt(t.norm_sq), route=p.route
    )  # fmt: skip


def _skipped(p: Plan) -> LayerError:
    s = p.spec
    nan = float("nan")
    return LayerError(
        s.name, s.kind, (s.d_out, p.d_in), p.positions, nan, None, None, nan,
        route="skipped", status=f"skipped: {p.need()}",
    )  # fmt: skip


def default_budgets(scratch: str | None) -> tuple[float, float]:
    """Half the available memory (``MemAvailable``) and 90 % of the scratch directory's free space."""
    avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    try:
        with open("/proc/meminfo") as fh:
            info = dict(line.split(":", 1) for line in fh)
        avail = int(info["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        pass
    free = shutil.disk_usage(scratch or os.environ.get("TMPDIR", "/tmp")).free
    return avail / 2, 0.9 * free


def data_length(data: Any, n_examples: int | None) -> int:
    """Number of examples of ``data`` (tuple / array / DataLoader with a ``dataset``)."""
    if n_examples is not None:
        return int(n_examples)
    if isinstance(data, (torch.Tensor, np.ndarray)):
        return len(data)
    if isinstance(data, tuple):
        return len(data[0])
    if hasattr(data, "dataset"):
        return len(data.dataset)
    raise ShapeError("cannot tell how many examples the data has: pass n_examples=")


def _probe(model: nn.Module, data: Any, factor: Factor, found: Discovery) -> tuple[int, dict[str, int]]:
    """``k'`` (factor columns) and ``T`` of every layer, from the first example."""
    like = next(p for p in model.parameters())
    Xb, yb = next(iter(batches(data, 1)))
    X = _as_tensor(Xb[:1], like)
    with torch.no_grad():
        f = model(X).double().cpu().numpy()
    y = None if yb is None else np.asarray(yb[:1] if not isinstance(yb, torch.Tensor) else yb[:1].numpy(), float)
    k = int(np.asarray(factor(f, y)).shape[2])
    return k, {s.name: _positions(s, model, X) for s in found.layers}


def streamed_error_table(
    model: nn.Module,
    data: Any,
    factor: Factor,
    found: Discovery,
    *,
    approx: KfacApprox = KfacApprox.EXPAND,
    joint_bias: bool = False,
    nearest: bool = True,
    ekfac: bool = True,
    batch_size: int = 256,
    max_memory: float | None = None,
    max_disk: float | None = None,
    scratch: str | None = None,
    on_budget: str = "raise",
    n_examples: int | None = None,
    max_iter: int = 50,
    log: Callable[[str], None] | None = None,
) -> ErrorTable:
    """Exact K-FAC error of every layer in ``found``, streamed (see the module docstring).

    ``data`` must be re-iterable (a tuple of arrays or a DataLoader): several passes may run.
    ``max_memory`` / ``max_disk`` in bytes (default: :func:`default_budgets`); ``scratch``
    the directory of the row files (default: the system's temporary directory).
    """
    if on_budget not in ("raise", "skip"):
        raise OptionError(f"on_budget={on_budget!r} is not one of ['raise', 'skip']")
    mem_d, disk_d = default_budgets(scratch)
    mem = float(mem_d if max_memory is None else max_memory)
    disk = float(disk_d if max_disk is None else max_disk)
    n = data_length(data, n_examples)
    k, ts = _probe(model, data, factor, found)
    plans = [plan_layer(s, n, k, ts[s.name], joint_bias and s.has_bias, batch_size, mem, disk) for s in found.layers]
    bad = [p for p in plans if p.route == "skipped"]
    if bad and on_budget == "raise":
        p = bad[0]
        raise MemoryBudgetError(
            f"exact K-FAC error of layer {p.spec.name!r} ({p.spec.d_out} x {p.d_in}, T = {p.positions}, "
            f"N = {n}, k' = {k}) {p.need()}; budget max_memory = {mem / GB:.1f} GB, max_disk = {disk / GB:.1f} GB "
            "(raise them, or on_budget='skip')"
        )
    rows = {p.spec.name: _skipped(p) for p in bad}
    for group in group_passes(plans, mem, disk):
        rows.update(
            _run_pass(
                model, data, factor, group, approx, joint_bias, batch_size, (nearest, ekfac, max_iter), scratch, log
            )
        )
    return ErrorTable(tuple(rows[s.name] for s in found.layers), found.frozen, found.unsupported, approx)


def _run_pass(
    model: nn.Module,
    data: Any,
    factor: Factor,
    group: list[Plan],
    approx: KfacApprox,
    joint_bias: bool,
    batch_size: int,
    what: tuple[bool, bool, int],
    scratch: str | None,
    log: Callable[[str], None] | None,
) -> dict[str, LayerError]:
    """One pass over the data for a group of layers, then each layer's final computation.

    ``what`` is ``(nearest, ekfac, max_iter)``.
    """
    sub = select(model, {p.spec.name for p in group})
    accs = [_LayerStream(p, approx, joint_bias and p.spec.has_bias, scratch) for p in group]
    try:

        def consume(rows: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
            for acc, (u, g) in zip(accs, rows):
                acc.add(u, g)

        stream(model, data, factor, sub, consume, batch_size)
        out = {}
        for acc in accs:
            if log is not None:
                log(f"layer {acc.plan.spec.name}: route {acc.plan.route}")
            out[acc.plan.spec.name] = acc.finish(*what)
        return out
    finally:
        for acc in accs:
            acc.close()
