"""``evaluate``: a compiled kernel mapped over the chunks of Dask arrays.

The kernel travels to the workers by content (:meth:`symfisher.numeric.kernel.Kernel.__reduce__`):
each worker process writes the file into its own cache if it lacks it and imports it
once, so chunks after the first cost only their evaluation.
"""

from __future__ import annotations

import string
from typing import Any

import dask.array as da
import numpy as np

from symfisher.errors import InputError
from symfisher.numeric.kernel import Kernel

__all__ = ["evaluate"]


def _block(kernel: Kernel, check: bool, parallel: bool, *blocks: np.ndarray) -> np.ndarray:
    return np.asarray(kernel(*blocks, check=check, parallel=parallel))


def _prepared(kernel: Kernel, arrays: tuple[Any, ...]) -> tuple[list[da.Array], tuple[int, ...]]:
    """Dask float64 arrays, group axes in one chunk; and the broadcast leading shape."""
    lay = kernel.layout
    if len(arrays) != len(lay.args):
        raise InputError(f"kernel takes {len(lay.args)} arguments {list(kernel.args)}, got {len(arrays)}")
    out, leads = [], []
    for names, grouped, x in zip(lay.args, lay.grouped, arrays):
        a = da.asarray(x).astype(np.float64)
        if grouped:
            if a.ndim == 0 or a.shape[-1] != len(names):
                raise InputError(
                    f"argument group {list(names)} needs an array whose last axis has "
                    f"length {len(names)}, got shape {a.shape}"
                )
            a = a.rechunk({a.ndim - 1: -1})
        out.append(a)
        leads.append(a.shape[:-1] if grouped else a.shape)
    try:
        shape = tuple(np.broadcast_shapes(*leads))
    except ValueError:
        raise InputError(f"argument shapes {[a.shape for a in out]} do not broadcast (leading axes {leads})") from None
    return out, shape


def evaluate(kernel: Kernel, *arrays: Any, check: bool = True, parallel: bool = False) -> da.Array:
    """The kernel on Dask arrays, chunk by chunk (lazy: call ``.compute()``).

    Parameters
    ----------
    kernel : Kernel
        A single-output kernel (:func:`symfisher.compile`).
    *arrays : dask array or array_like
        One per argument, as for ``kernel(...)``: a scalar argument of shape ``S_k``, a
        group of ``g`` symbols of shape ``S_k + (g,)`` (its last axis is put in one
        chunk). The ``S_k`` broadcast to ``B`` (axes of length 1 broadcast chunk-wise).
    check : bool
        Validate the argument domains in every chunk (indices in an error message are
        within the chunk).
    parallel : bool
        Use the kernel's ``prange`` loop inside each chunk (default False: the workers
        already run one chunk per thread).

    Returns
    -------
    dask.array.Array, shape ``B + kernel.shape``, float64
        Chunked like the broadcast arguments along ``B``, one chunk along the output axes.

    Examples
    --------
    >>> import dask.array as da, numpy as np, sympy as sp, symfisher as sf   # doctest: +SKIP
    >>> a, b = sp.symbols("a b", positive=True)                              # doctest: +SKIP
    >>> k = sf.compile(sp.Matrix([[1 / a, 0], [0, 1 / b]]), args=[a, b])     # doctest: +SKIP
    >>> x = da.random.uniform(1, 2, size=10_000_000, chunks=1_000_000)      # doctest: +SKIP
    >>> sf.dask.evaluate(k, x, 2.0).shape                                    # doctest: +SKIP
    (10000000, 2, 2)
    """
    if kernel.layout.multi != "single":
        raise InputError(
            "sf.dask.evaluate needs a single-output kernel; compile each output "
            f"separately (this kernel has outputs {list(kernel.names)})"
        )
    prepared, shape = _prepared(kernel, arrays)
    nd = len(shape)
    letters = iter(string.ascii_letters)
    lead = tuple(next(letters) for _ in range(nd))
    pairs: list[Any] = []
    for a, grouped in zip(prepared, kernel.layout.grouped):
        own = a.ndim - 1 if grouped else a.ndim
        ind = lead[nd - own :] + ((next(letters),) if grouped else ())
        pairs += [a, ind]
    core = kernel.layout.shapes[0]
    new = tuple(next(letters) for _ in core)
    return da.blockwise(
        _block,
        lead + new,
        kernel,
        None,
        check,
        None,
        parallel,
        None,
        *pairs,
        new_axes=dict(zip(new, core)),
        concatenate=True,
        dtype=np.float64,
        meta=np.empty((0,) * (nd + len(core)), dtype=np.float64),
    )
