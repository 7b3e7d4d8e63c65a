"""Arbitrary-precision reference evaluation of the same expressions (``backend="mpmath"``).

The expressions are evaluated as given (no stable rewrites, no CSE, no fast-math),
so this backend is an independent reference for the Numba kernels. Arguments
broadcast exactly as for :class:`symfisher.numeric.kernel.Kernel`; every float64
input is converted to an ``mpf`` exactly.

Examples
--------
>>> import sympy as sp, symfisher as sf
>>> a = sp.Symbol("a", positive=True)
>>> ref = sf.compile(sp.polygamma(1, a), [a], backend="mpmath", dps=30)
>>> str(ref(1.0))[:12]                      # pi**2 / 6
'1.6449340668'
"""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import sympy as sp

from symfisher.codegen.spec import KernelSpec
from symfisher.errors import InputTypeError

__all__ = ["MpmathKernel"]


class MpmathKernel:
    """Evaluate a :class:`~symfisher.codegen.spec.KernelSpec` with mpmath at ``dps`` digits.

    Parameters
    ----------
    spec : KernelSpec
    dps : int
        Working precision in decimal digits.

    Attributes
    ----------
    args, shape, dps
        As for :class:`symfisher.numeric.kernel.Kernel`.
    """

    __slots__ = ("_spec", "_funcs", "dps")

    def __init__(self, spec: KernelSpec, dps: int = 50) -> None:
        self._spec = spec
        self.dps = int(dps)
        symbols = list(spec.symbols)
        self._funcs = [sp.lambdify(symbols, list(o.entries), modules="mpmath") for o in spec.outputs]

    @property
    def args(self) -> tuple[Any, ...]:
        """Argument symbols (a symbol, or a tuple of symbols per group)."""
        return tuple(g if gr else g[0] for g, gr in zip(self._spec.groups, self._spec.grouped))

    @property
    def shape(self) -> Any:
        """Shape of one result (a tuple of shapes for several outputs)."""
        shapes = tuple(o.shape for o in self._spec.outputs)
        return shapes[0] if self._spec.multi == "single" else shapes

    def _point(self, values: list[Any]) -> list[np.ndarray]:
        outs = []
        for f, o in zip(self._funcs, self._spec.outputs):
            vals = [mpmath.mpmathify(v) for v in f(*values)]
            outs.append(np.array(vals + [None], dtype=object)[:-1].reshape(o.shape))
        return outs

    def __call__(self, *arrays: Any) -> Any:
        """Evaluate at every broadcast point.

        Returns
        -------
        object ndarray of ``mpmath.mpf`` with shape ``B + shape`` (an ``mpf`` for a
        scalar expression at scalar arguments); tuple or dict for several outputs.
        """
        spec = self._spec
        if len(arrays) != len(spec.groups):
            raise InputTypeError(f"expected {len(spec.groups)} arguments, got {len(arrays)}")
        arrs = [np.asarray(a, dtype=np.float64) for a in arrays]
        leads = [a.shape[:-1] if g else a.shape for a, g in zip(arrs, spec.grouped)]
        bshape = tuple(np.broadcast_shapes(*leads))
        full = [
            np.broadcast_to(a, bshape + ((len(g),) if gr else ())) for a, g, gr in zip(arrs, spec.groups, spec.grouped)
        ]
        results = [np.empty(bshape + o.shape, dtype=object) for o in spec.outputs]
        with mpmath.workdps(self.dps):
            for idx in np.ndindex(*bshape) if bshape else [()]:
                values = [mpmath.mpf(float(v)) for a in full for v in np.atleast_1d(a[idx])]
                for res, val in zip(results, self._point(values)):
                    res[idx] = val[()] if val.ndim == 0 else val
        if not bshape:
            results = [r[()] if r.ndim == 0 else r for r in results]
        if spec.multi == "single":
            return results[0]
        if spec.multi == "dict":
            return {o.name: r for o, r in zip(spec.outputs, results)}
        return tuple(results)

    @staticmethod
    def to_float(values: Any) -> np.ndarray:
        """Round an object array of ``mpf`` to float64 (same shape)."""
        arr = np.asarray(values, dtype=object)
        flat = [float(v) for v in arr.reshape(-1)]
        return np.array(flat, dtype=np.float64).reshape(arr.shape)
