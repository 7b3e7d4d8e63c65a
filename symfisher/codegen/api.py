"""Public entry points of code generation: :func:`compile` and :func:`export`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sympy as sp

from symfisher.codegen.spec import DEFAULT_FASTMATH, Options, make_spec
from symfisher.errors import InputTypeError
from symfisher.families.protocol import FamilyLike
from symfisher.options import Backend, option

__all__ = ["compile", "export"]


def compile(  # noqa: A001  (public name fixed by the contract: sf.compile)
    exprs: Any,
    args: Any,
    *,
    constants: Mapping[Any, Any] | None = None,
    domains: Mapping[sp.Symbol, sp.Set] | None = None,
    functions: Mapping[str, str] | None = None,
    backend: Backend | str = Backend.NUMBA,
    cse: bool = True,
    stable: bool = True,
    symmetric: bool = True,
    fastmath: frozenset[str] | set[str] = DEFAULT_FASTMATH,
    vecmath: bool = True,
    dps: int = 50,
) -> Any:
    """Compile SymPy expressions into a kernel evaluated over arrays of points.

    Parameters
    ----------
    exprs : sympy.Expr, Matrix, Array, list or dict of those
        What to evaluate. A ``(p, 1)`` matrix gives results of shape ``(p,)``, a
        ``(p, q)`` matrix ``(p, q)``, an N-d array its shape, a scalar ``()``. A list or
        dict gives one kernel with several outputs sharing common subexpressions.
    args : sequence of sympy.Symbol or of sequences of sympy.Symbol
        Argument order. A symbol is one array argument; a list of ``g`` symbols is
        one argument whose last axis (length ``g``) holds them.
    constants : dict, optional
        Values substituted for symbols that are not arguments (e.g. ``{nu: 4.5}``).
    domains : dict of sympy.Symbol to sympy.Interval, optional
        Domains checked at call time; default from the symbols' assumptions
        (positive, nonnegative, negative, nonpositive), otherwise finite reals.
    functions : dict of str to str, optional
        Additions to the printer's table: SymPy function name → qualified ``@njit``
        function (``"pkg.module.f"``).
    backend : {"numba", "mpmath"}
        ``"mpmath"`` returns a reference evaluator at ``dps`` digits
        (:class:`symfisher.codegen.mpmath_backend.MpmathKernel`).
    cse, stable, symmetric : bool
        Common-subexpression elimination, stable rewrites, upper-triangle evaluation.
    fastmath : set of str
        LLVM fast-math flags (default ``{'nsz', 'arcp', 'contract', 'afn'}``).
    vecmath : bool
        Use the vectorisable :mod:`symfisher.numeric.vecmath` exp/log/log1p/expm1/power
        (≤ 2 ulp) instead of libm, so that LLVM vectorises the point loop (default; in
        effect only with fast-math flags within the default set, see
        :attr:`symfisher.codegen.spec.Options.vectorised`).
    dps : int
        Decimal digits of the mpmath backend.

    Returns
    -------
    symfisher.numeric.kernel.Kernel or MpmathKernel
        Call it with one array per argument; results have shape
        ``broadcast_shape + shape``.

    Raises
    ------
    symfisher.codegen.printer.CodegenError
        Free symbols that are neither arguments nor constants, functions without a
        kernel implementation (both named).

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> import symfisher as sf
    >>> a, b = sp.symbols("a b", positive=True)
    >>> k = sf.compile(sp.Matrix([[1/a**2, 0], [0, 2/b**2]]), args=[a, b])
    >>> k(np.array([1.0, 2.0]), 1.0)[:, 0, 0].tolist()
    [1.0, 0.25]
    """
    options = Options(cse=cse, stable=stable, symmetric=symmetric, fastmath=frozenset(fastmath), vecmath=vecmath)
    spec = make_spec(exprs, args, constants=constants, domains=domains, functions=functions, options=options)
    if option(Backend, backend, "backend") is Backend.MPMATH:
        from symfisher.codegen.mpmath_backend import MpmathKernel

        return MpmathKernel(spec, dps=dps)
    from symfisher.codegen.cache import ensure_kernel_file
    from symfisher.numeric.kernel import Kernel

    path = ensure_kernel_file(spec)
    return Kernel(path, symbols=spec.groups)


def export(kernels: Any, path: str | Path) -> Path:
    """Write a standalone module (NumPy + Numba only) evaluating compiled kernels.

    Parameters
    ----------
    kernels : Kernel, dict of str to Kernel, or a Family
        The kernels to export (a dict gives the function names). A family is
        compiled first: ``fisher`` (and ``score`` and ``hessian`` in the family's
        variables and parameters, when derivable).
    path : str or pathlib.Path
        Destination ``.py`` file (written atomically).

    Returns
    -------
    pathlib.Path
        The written file. Each exported function takes the same arguments as the
        kernel (``f(*arrays, out=None, check=True, parallel=None)``).

    Examples
    --------
    >>> import sympy as sp, symfisher as sf                        # doctest: +SKIP
    >>> a = sp.Symbol("a", positive=True)                         # doctest: +SKIP
    >>> sf.export({"inv_sq": sf.compile(1/a**2, [a])}, "mod.py")   # doctest: +SKIP
    """
    from symfisher.codegen.export import write_module
    from symfisher.numeric.kernel import Kernel

    if not isinstance(kernels, (Kernel, Mapping, list, tuple)):
        kernels = _family_kernels(kernels)
    return write_module(kernels, Path(path))


def _family_kernels(family: FamilyLike) -> dict[str, Any]:
    """Compile the Fisher matrix of a family in its parameters."""
    from symfisher.derive.fisher.api import fisher

    params = getattr(family, "params", None)
    if params is None:
        raise InputTypeError(f"export needs Kernels or a Family, got {type(family).__name__}")
    return {"fisher": compile(fisher(family), args=list(params))}
