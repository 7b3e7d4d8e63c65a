"""Calling convention of generated kernels: broadcasting, outputs, domain checks, dispatch.

This module imports only NumPy, Numba and :mod:`symfisher.numeric.kernel_checks`, so
:func:`symfisher.codegen.api.export` copies both sources verbatim into standalone modules.

A generated kernel module defines four Numba loops (serial/parallel, broadcasting/dense)
with the signature
``loop(n, in_0, s_0, in_1, s_1, ..., out_0, out_1, ...)``: ``in_k`` is a C-contiguous
float64 array of shape ``(n,)`` or ``(1,)`` (scalar argument) or ``(n, g)`` /
``(1, g)`` (a group of ``g`` symbols), ``s_k`` is 1 or 0 (the row stride: 0 broadcasts
one row to every point), and ``out_j`` is a C-contiguous ``(n, P_j)`` float64 array
where ``P_j`` is the number of entries of output ``j``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from symfisher.numeric.kernel_checks import (
    ArgumentCountError,
    ArrayError,
    DomainError,
    ShapeError,
    as_float64,
    check_finite,
    check_memory,
    check_not_aliased,
    check_out_array,
)

#: Below this number of points the serial loop is used. On an idle 2-core machine a
#: ``prange`` call costs tens of microseconds more than a serial one, but on an
#: oversubscribed machine Numba's OpenMP layer waits for a free core: 10-20 ms per call
#: were measured at any N (see benchmarks/results/codegen.md). 100 000 points keep that
#: worst case within a few times the serial time of a cheap kernel.
PARALLEL_MIN_POINTS = 100_000


def machine_is_busy() -> bool:
    """True if the 1-minute load average already occupies every Numba thread.

    Then a parallel loop would wait for cores held by other processes; the automatic
    choice falls back to the serial loop (results are identical either way).
    """
    try:
        return os.getloadavg()[0] >= numba.get_num_threads()
    except (AttributeError, OSError):  # no load average on this platform
        return False


@dataclass(frozen=True)
class Layout:
    """The signature of a generated kernel (plain data, no SymPy).

    Parameters
    ----------
    args : tuple of tuple of str
        Symbol names per argument; a scalar argument is a 1-tuple.
    grouped : tuple of bool
        Whether each argument is a group (an array whose last axis holds its symbols).
    shapes : tuple of tuple of int
        The shape of one result, per output.
    names : tuple of str or None
        Output names (``None`` entries for positional outputs).
    multi : str
        ``"single"`` (one output), ``"tuple"`` or ``"dict"``.
    domains : tuple of (float, float, bool, bool)
        ``(low, high, low_closed, high_closed)`` per symbol, in argument order.
    """

    args: tuple[tuple[str, ...], ...]
    grouped: tuple[bool, ...]
    shapes: tuple[tuple[int, ...], ...]
    names: tuple[str | None, ...]
    multi: str
    domains: tuple[tuple[float, float, bool, bool], ...]


@numba.njit(cache=True, nogil=True)
def _first_outside(x: np.ndarray, col: int, lo: float, hi: float, lo_closed: bool, hi_closed: bool) -> int:
    """Row index of the first ``x[:, col]`` outside the interval (NaN is outside), or -1."""
    for k in range(x.shape[0]):
        v = x[k, col]
        ok_lo = (v >= lo) if lo_closed else (v > lo)
        ok_hi = (v <= hi) if hi_closed else (v < hi)
        if not (ok_lo and ok_hi):
            return k
    return -1


def _interval_text(lo: float, hi: float, lo_closed: bool, hi_closed: bool) -> str:
    return f"{'[' if lo_closed else '('}{lo:g}, {hi:g}{']' if hi_closed else ')'}"


def check_domains(layout: Layout, arrays: Sequence[np.ndarray]) -> None:
    """Raise ``ValueError`` naming the first symbol and index outside its domain.

    Parameters
    ----------
    layout : Layout
    arrays : sequence of ndarray
        The float64 arguments as passed by the user (before broadcasting).
    """
    k = 0
    for names, grouped, a in zip(layout.args, layout.grouped, arrays):
        lead = a.shape[:-1] if grouped else a.shape
        rows = np.ascontiguousarray(a).reshape(-1, len(names))
        for col, name in enumerate(names):
            lo, hi, lo_c, hi_c = layout.domains[k]
            k += 1
            if math.isinf(lo) and math.isinf(hi) and lo_c and hi_c:
                check_finite(name, rows[:, col], bounded=False)  # default domain: finite reals
                continue
            bad = _first_outside(rows, col, lo, hi, lo_c, hi_c)
            if bad >= 0:
                index = np.unravel_index(bad, lead) if lead else ()
                where = tuple(int(i) for i in index)
                raise DomainError(
                    f"parameter {name!r} = {float(rows[bad, col])!r} at index {where} is outside "
                    f"its domain {_interval_text(lo, hi, lo_c, hi_c)}"
                )


def as_float_args(layout: Layout, arrays: Sequence[Any]) -> list[np.ndarray]:
    """Convert the arguments to float64 arrays and check their count and group widths."""
    if len(arrays) != len(layout.args):
        raise ArgumentCountError(
            f"kernel takes {len(layout.args)} arguments "
            f"{[n[0] if not g else list(n) for n, g in zip(layout.args, layout.grouped)]}"
            f", got {len(arrays)}"
        )
    out = []
    for names, grouped, x in zip(layout.args, layout.grouped, arrays):
        a = as_float64(names[0] if not grouped else ",".join(names), x)
        if grouped and (a.ndim == 0 or a.shape[-1] != len(names)):
            raise ShapeError(
                f"argument group {list(names)} needs an array whose last axis has "
                f"length {len(names)}, got shape {a.shape}"
            )
        out.append(a)
    return out


def broadcast_inputs(layout: Layout, arrays: Sequence[np.ndarray]) -> tuple[tuple[int, ...], int, list[Any]]:
    """Broadcast the leading axes; return ``(shape, n, [in_0, s_0, in_1, s_1, ...])``."""
    leads = [a.shape[:-1] if g else a.shape for a, g in zip(arrays, layout.grouped)]
    try:
        shape = tuple(np.broadcast_shapes(*leads))
    except ValueError:
        raise ShapeError(
            f"argument shapes {[a.shape for a in arrays]} do not broadcast (leading axes {leads})"
        ) from None
    n = math.prod(shape)
    per_point = sum(len(names) for names in layout.args) + sum(math.prod(s) for s in layout.shapes)
    check_memory(n, per_point, shape)
    flat: list[Any] = []
    for a, lead, names, g in zip(arrays, leads, layout.args, layout.grouped):
        tail = (len(names),) if g else ()
        if lead == shape:
            flat += [np.ascontiguousarray(a).reshape((n,) + tail), 1]
        elif math.prod(lead) == 1:
            flat += [np.ascontiguousarray(a).reshape((1,) + tail), 0]
        else:
            full = np.broadcast_to(a, shape + tail)
            flat += [np.ascontiguousarray(full).reshape((n,) + tail), 1]
    return shape, n, flat


_check_out = check_out_array


def prepare_outputs(
    layout: Layout, shape: tuple[int, ...], n: int, out: Any
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Allocate or validate the outputs; return ``(user arrays, flat (n, P) views)``."""
    expected = [shape + s for s in layout.shapes]
    if out is None:
        arrays = [np.empty(e) for e in expected]
    elif layout.multi == "single":
        arrays = [_check_out(out, expected[0], "out")]
    elif layout.multi == "dict":
        if not isinstance(out, dict) or set(out) != set(layout.names):
            raise ArrayError(f"out must be a dict with keys {list(layout.names)}")
        arrays = [_check_out(out[k], e, f"out[{k!r}]") for k, e in zip(layout.names, expected)]
    else:
        if not isinstance(out, (list, tuple)) or len(out) != len(expected):
            raise ArrayError(f"out must be a sequence of {len(expected)} arrays")
        arrays = [_check_out(o, e, f"out[{j}]") for j, (o, e) in enumerate(zip(out, expected))]
    flat = [a.reshape(n, max(1, math.prod(s))) for a, s in zip(arrays, layout.shapes)]
    return arrays, flat


def _package(layout: Layout, arrays: list[np.ndarray], scalar_in: bool) -> Any:
    if scalar_in:
        arrays = [a[()] if a.ndim == 0 else a for a in arrays]
    if layout.multi == "single":
        return arrays[0]
    if layout.multi == "dict":
        return dict(zip(layout.names, arrays))
    return tuple(arrays)


def _check_size(layout: Layout, args: Sequence[np.ndarray]) -> None:
    """Refuse a call whose broadcast arrays would not fit in memory, before any copy."""
    leads = [a.shape[:-1] if g else a.shape for a, g in zip(args, layout.grouped)]
    try:
        shape = tuple(np.broadcast_shapes(*leads))
    except ValueError:
        return  # reported with the argument shapes by broadcast_inputs
    per_point = sum(len(names) for names in layout.args) + sum(math.prod(s) for s in layout.shapes)
    check_memory(math.prod(shape), per_point, shape)


def call_kernel(
    layout: Layout,
    loops: Sequence[Callable[..., None]],
    arrays: Sequence[Any],
    out: Any = None,
    check: bool | None = None,
    parallel: bool | None = None,
    threshold: int = PARALLEL_MIN_POINTS,
) -> Any:
    """Evaluate a generated kernel on broadcast arguments.

    Parameters
    ----------
    layout : Layout
    loops : sequence of 4 callables
        The generated loops ``(serial, parallel, serial_dense, parallel_dense)``; the
        dense ones are used when no argument is broadcast along the points.
    arrays : sequence of array_like
        One array per argument (see :class:`Layout`).
    out : ndarray, sequence or dict of ndarray, optional
        Preallocated C-contiguous float64 outputs of shape ``B + shape``.
    check : bool, optional
        Validate argument domains (default True).
    parallel : bool, optional
        Force the parallel (True) or serial (False) loop; default: parallel when the
        number of points is at least ``threshold``, Numba has more than one thread and
        the machine is not already busy (:func:`machine_is_busy`).
    threshold : int

    Returns
    -------
    ndarray, tuple or dict of ndarray, or float
        Shape ``B + shape`` per output, ``B`` the broadcast shape of the arguments.
    """
    args = as_float_args(layout, arrays)
    _check_size(layout, args)
    if check is None or check:
        check_domains(layout, args)
    shape, n, flat_in = broadcast_inputs(layout, args)
    results, flat_out = prepare_outputs(layout, shape, n, out)
    if out is not None:
        check_not_aliased(results, args, [f"out[{j}]" if len(results) > 1 else "out" for j in range(len(results))])
    if n > 0:
        if parallel is None:
            parallel = n >= threshold and numba.get_num_threads() > 1 and not machine_is_busy()
        dense = all(s == 1 for s in flat_in[1::2])
        loops[2 * dense + bool(parallel)](n, *flat_in, *flat_out)
    return _package(layout, results, scalar_in=(shape == () and out is None))
