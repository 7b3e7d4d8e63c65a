"""``Kernel``: a compiled, generated module loaded from its file (no SymPy here).

A kernel file is produced by :func:`symfisher.compile` (code generation lives in
:mod:`symfisher.codegen`); this class only *runs* it. The file is checked against the
hash in its first line before it is imported (``importlib`` from its location; no
``sys.path`` changes), so a damaged file is refused rather than executed.

Examples
--------
>>> import numpy as np, sympy as sp, symfisher as sf           # doctest: +SKIP
>>> a, b = sp.symbols("a b", positive=True)                   # doctest: +SKIP
>>> k = sf.compile(sp.Matrix([[sp.polygamma(1, a), 1/b], [1/b, a/b**2]]), args=[a, b])  # doctest: +SKIP
>>> k(np.array([1.0, 2.0]), 3.0).shape                         # doctest: +SKIP
(2, 2, 2)
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from symfisher._runtime.cachedir import cache_subdir, read_verified, verified_body, write_verified
from symfisher._runtime.caches import memo
from symfisher.errors import KernelFileError
from symfisher.numeric.kernel_runtime import PARALLEL_MIN_POINTS, Layout, call_kernel
from symfisher.numeric.numba_cache import drop_numba_cache, from_numba_cache

__all__ = ["Kernel", "KernelFileError"]


@memo(maxsize=256)
def _load_module(path: str, stamp: tuple[int, int]) -> tuple[ModuleType, str]:
    """Import a verified kernel file (cached per path and file stamp)."""
    text = read_verified(Path(path))
    if text is None:
        raise KernelFileError(f"kernel file {path!r} is missing or damaged (hash mismatch)")
    name = "symfisher_kernel_" + Path(path).stem
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise KernelFileError(f"cannot import kernel file {path!r}")
    module = importlib.util.module_from_spec(spec)
    # Registered like any imported module: Numba's cache rebuilds a function's
    # environment by importing its module by name.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module, Path(path).read_text(encoding="utf-8")


_KERNEL_NAME = re.compile(r"k_([0-9a-f]{64})\.py")


def _materialise(name: str, text: str, origin: str) -> str:
    """The path of a verified local copy of a kernel file received as ``text``.

    ``origin`` (the sender's path) is used when it holds the same verified body (same
    machine or shared file system); otherwise the file is written, atomically and
    verified, to this process's kernel cache (:func:`cache_subdir`). Memoised as
    ``_remembered``, so a kernel unpickled once per task costs one dictionary look-up
    after the first.
    """
    match = _KERNEL_NAME.fullmatch(name)
    body = verified_body(text)
    if match is None or body is None or f"KEY = {match.group(1)!r}" not in body:
        raise KernelFileError(
            f"received kernel {name!r} fails its content check (name, recorded hash or KEY do not match the source)"
        )
    if read_verified(Path(origin)) == body:
        return origin
    path = write_verified(cache_subdir("kernels") / name, body)
    if read_verified(path) != body:
        raise KernelFileError(f"kernel file {str(path)!r} exists with a different body")
    return str(path)


_remembered = memo(maxsize=256)(_materialise)


def _restore(name: str, text: str, origin: str, threshold: int) -> Kernel:
    """Unpickle a :class:`Kernel` (see :meth:`Kernel.__reduce__`)."""
    try:
        return Kernel(_remembered(name, text, origin), threshold=threshold)
    except KernelFileError:  # the remembered copy was removed (cache cleared): write it again
        return Kernel(_materialise(name, text, origin), threshold=threshold)


def _layout(module: ModuleType) -> Layout:
    return Layout(
        args=module.ARGS,
        grouped=module.GROUPED,
        shapes=module.OUTPUT_SHAPES,
        names=module.OUTPUT_NAMES,
        multi=module.MULTI,
        domains=module.DOMAINS,
    )


class Kernel:
    """A compiled kernel: call it on arrays that broadcast against each other.

    Parameters
    ----------
    path : str or pathlib.Path
        A kernel file written by :func:`symfisher.compile`.
    symbols : object, optional
        The SymPy argument symbols (attached by the symbolic side; not used here).
    threshold : int
        Minimum number of points for the automatic choice of the parallel loop.

    Attributes
    ----------
    path : pathlib.Path
    source : str
        The generated source (the file's text).
    args : tuple
        Argument names: a ``str`` per scalar argument, a tuple of ``str`` per group.
    shape : tuple of int or tuple of tuple of int
        Shape of one result (per output, for kernels with several outputs).
    key : str
        The content key (the file's hash name).
    """

    __slots__ = ("_path", "_module", "_source", "_layout", "_symbols", "_threshold")
    # Set once in __init__ through object.__setattr__ (instances are immutable).
    _path: Path
    _module: ModuleType
    _source: str
    _layout: Layout
    _symbols: Any
    _threshold: int

    def __init__(self, path: str | Path, *, symbols: Any = None, threshold: int = PARALLEL_MIN_POINTS) -> None:
        p = Path(path).resolve()
        try:
            st = p.stat()
        except OSError as exc:
            raise KernelFileError(f"kernel file {str(p)!r} does not exist") from exc
        module, source = _load_module(str(p), (st.st_mtime_ns, st.st_size))
        for name, value in (
            ("_path", p),
            ("_module", module),
            ("_source", source),
            ("_layout", _layout(module)),
            ("_symbols", symbols),
            ("_threshold", int(threshold)),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Kernel is immutable (cannot set {name!r})")

    @property
    def path(self) -> Path:
        """The kernel file."""
        return self._path

    @property
    def source(self) -> str:
        """The generated Python source."""
        return self._source

    @property
    def key(self) -> str:
        """The content key of the kernel."""
        return str(self._module.KEY)

    @property
    def layout(self) -> Layout:
        """The calling convention (argument names, groups, shapes, domains)."""
        return self._layout

    @property
    def args(self) -> tuple[str | tuple[str, ...], ...]:
        """Argument names: ``"a"`` for a scalar argument, ``("t0", "t1")`` for a group."""
        lay = self._layout
        return tuple(n if g else n[0] for n, g in zip(lay.args, lay.grouped))

    @property
    def symbols(self) -> Any:
        """The SymPy argument symbols, if the symbolic side attached them."""
        return self._symbols

    @property
    def shape(self) -> tuple[int, ...] | tuple[tuple[int, ...], ...]:
        """The shape of one result (a tuple of shapes for several outputs)."""
        lay = self._layout
        return lay.shapes[0] if lay.multi == "single" else lay.shapes

    @property
    def names(self) -> tuple[str | None, ...]:
        """Output names (``None`` for positional outputs)."""
        return self._layout.names

    @property
    def serial(self) -> Any:
        """The generated serial broadcasting Numba loop (see :mod:`kernel_runtime`)."""
        return self._module._serial

    @property
    def parallel(self) -> Any:
        """The generated ``prange`` broadcasting Numba loop."""
        return self._module._parallel

    @property
    def loops(self) -> tuple[Any, ...]:
        """All four loops: ``(serial, parallel, serial_dense, parallel_dense)``."""
        m = self._module
        return (m._serial, m._parallel, m._serial_dense, m._parallel_dense)

    def __call__(self, *arrays: Any, out: Any = None, check: bool | None = None, parallel: bool | None = None) -> Any:
        """Evaluate the kernel.

        Parameters
        ----------
        *arrays : array_like
            One per argument. A scalar argument is an array of shape ``S_k``; a group of
            ``g`` symbols is an array of shape ``S_k + (g,)``. The ``S_k`` broadcast to
            ``B``.
        out : ndarray (or tuple/dict of ndarray for several outputs), optional
            C-contiguous float64 array(s) of shape ``B + shape``, written in place.
        check : bool, optional
            Validate the arguments against their domains (default True); raises
            ``ValueError`` naming the parameter and the first offending index.
        parallel : bool, optional
            Force the ``prange`` loop (True) or the serial loop (False); by default
            the parallel loop is used from ``threshold`` points on, unless the load
            average shows the machine's cores already busy.

        Returns
        -------
        ndarray of shape ``B + shape`` (float64), or a float for a scalar kernel called
        on scalars; a tuple or dict of those for several outputs.
        """
        m = self._module
        loops = (m._serial, m._parallel, m._serial_dense, m._parallel_dense)
        try:
            return call_kernel(
                self._layout, loops, arrays, out=out, check=check, parallel=parallel, threshold=self._threshold
            )
        except Exception as exc:  # noqa: BLE001 (re-raised unless it is Numba's damaged cache)
            if not from_numba_cache(exc):
                raise
            drop_numba_cache(self._path, exc)
            return call_kernel(
                self._layout, loops, arrays, out=out, check=check, parallel=parallel, threshold=self._threshold
            )

    def __reduce__(self) -> tuple[Any, tuple[str, str, str, int]]:
        """Pickle by content: the file name (its content key), the verified source, the
        original path and the parallel threshold; never the loaded module.

        Unpickling (on a Dask worker, say) uses the original file when it is present
        with the same content, and otherwise writes the source into the local kernel
        cache after checking its recorded hash and key; the module is imported (and
        Numba compiles, or loads its on-disk cache) once per process, not per call.
        The SymPy ``symbols`` are not carried: the numeric side never needs them.
        """
        return (_restore, (self._path.name, self._source, str(self._path), self._threshold))

    def __repr__(self) -> str:
        return f"Kernel(args={self.args!r}, shape={self.shape!r}, path={str(self._path)!r})"
