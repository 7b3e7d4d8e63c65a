"""Fail-fast checks of the arrays handed to a compiled kernel.

Every check runs before any allocation or loop and raises a
:class:`~symfisher.errors.SymfisherError` subclass naming the argument:

* argument count (:class:`ArgumentCountError`);
* dtype: integers, booleans and floats are converted to float64; complex, object
  (of non-numbers), string and datetime arrays are refused (:class:`ArrayError`) —
  a complex value would silently lose its imaginary part;
* NaN anywhere, and ±inf in an argument whose domain is the whole real line
  (:class:`~symfisher.errors.DomainError`; bounded domains are checked by
  :func:`symfisher.numeric.kernel_runtime.check_domains`);
* memory: a call whose inputs and outputs would need more than the machine's physical
  memory (a broadcast of 1e10 points) is refused with the amount (:class:`ArrayError`);
* ``out=``: float64, the exact shape, C-contiguous, writeable and not sharing memory
  with an input (:class:`ArrayError`, :class:`~symfisher.errors.ShapeError`).

Like :mod:`symfisher.numeric.kernel_runtime`, this module needs only NumPy (and
:mod:`symfisher.errors`, which standalone exports replace by plain classes): exports paste
its source in front of the runtime's.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

# one line: standalone exports replace it by plain classes (symfisher.codegen.export)
from symfisher.errors import DomainError, InputError, InputTypeError, ShapeError


class ArrayError(InputError):
    """An array of the wrong kind: dtype, memory layout, writeability, aliasing or size."""


class ArgumentCountError(InputTypeError):
    """A kernel was called with the wrong number of arguments."""


_KIND = {
    "c": "complex",
    "O": "object",
    "U": "string",
    "S": "bytes",
    "M": "datetime",
    "m": "timedelta",
    "V": "structured",
}


def as_float64(name: str, x: Any) -> np.ndarray:
    """``x`` as a float64 array; refuse non-real dtypes naming ``name``."""
    raw = x if isinstance(x, np.ndarray) else np.asarray(x)
    if raw.dtype.kind not in "biuf":
        if raw.dtype.kind == "O":
            try:
                return np.asarray(raw, dtype=np.float64)
            except (TypeError, ValueError):
                pass
        raise ArrayError(
            f"argument {name!r} has dtype {raw.dtype} ({_KIND.get(raw.dtype.kind, raw.dtype.kind)}); "
            "kernels take real numbers (float64; ints and float32 are converted)"
        )
    return np.asarray(raw, dtype=np.float64)


def check_finite(name: str, a: np.ndarray, bounded: bool) -> None:
    """NaN is never a valid argument; ±inf only in a bounded-by-infinity closed domain check."""
    if a.size == 0:
        return
    if bounded:
        if np.isnan(a).any():
            raise DomainError(f"argument {name!r} contains NaN at index {tuple(map(int, np.argwhere(np.isnan(a))[0]))}")
        return
    finite = np.isfinite(a)
    if not finite.all():
        where = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise DomainError(f"argument {name!r} = {a[where]!r} at index {where} is not a finite real number")


def physical_memory() -> int:
    """Bytes of physical memory (a large default where the platform does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 1 << 40


def check_memory(n: int, per_point: int, shape: tuple[int, ...]) -> None:
    """Refuse a call that would allocate more than the physical memory."""
    need = n * per_point * 8
    have = physical_memory()
    if need > have:
        raise ArrayError(
            f"a kernel call over broadcast shape {shape} ({n:.3g} points) would need "
            f"{need / 1e9:.3g} GB for its arrays; this machine has {have / 1e9:.3g} GB. "
            "Call it on chunks of points."
        )


def check_out_array(arr: Any, expected: tuple[int, ...], label: str) -> np.ndarray:
    """A valid output array or an error naming ``label`` and the problem."""
    if not isinstance(arr, np.ndarray) or arr.dtype != np.float64:
        got = type(arr).__name__ if not isinstance(arr, np.ndarray) else f"dtype {arr.dtype}"
        raise ArrayError(f"{label} must be a float64 ndarray of shape {expected}, got {got}")
    if arr.shape != expected:
        raise ShapeError(f"{label} has shape {arr.shape}, expected {expected}")
    if not arr.flags.c_contiguous:
        raise ArrayError(f"{label} must be C-contiguous (got a strided view; pass np.ascontiguousarray)")
    if not arr.flags.writeable:
        raise ArrayError(f"{label} is read-only")
    return arr


def check_not_aliased(outs: Sequence[np.ndarray], ins: Sequence[np.ndarray], labels: Sequence[str]) -> None:
    """Outputs may not share memory with inputs or with each other."""
    for k, o in enumerate(outs):
        for j, a in enumerate(ins):
            if np.shares_memory(o, a):
                raise ArrayError(
                    f"{labels[k]} shares memory with argument {j}: the kernel would overwrite "
                    "its own input while reading it"
                )
        for m in range(k):
            if np.shares_memory(o, outs[m]):
                raise ArrayError(f"{labels[k]} shares memory with {labels[m]}")
