"""Content-addressed kernel files under ``cache_subdir("kernels")``.

A kernel's key is the SHA-256 of: the canonical text of its expressions (``srepr``
of every entry, in row-major order, with output names and shapes), its argument
symbols (with assumptions) and grouping, its domains, its options, the user's
additions to the printer table, the versions of symfisher, SymPy, Numba and NumPy, and
a fingerprint of the code generator's own source. The key is the file name
(``<key>.py``), so nothing is ever recompiled or regenerated while its inputs are
unchanged, and two processes asking for the same kernel find the same file.

Files are written by :func:`symfisher._runtime.cachedir.write_verified` (atomic,
write-if-absent, self-verifying), so Numba's own ``cache=True`` index, which is keyed
on the source file's modification time and size, stays valid across processes.
See :mod:`symfisher._runtime.cachedir` for the threat model.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numba
import numpy
import sympy as sp

from symfisher._runtime.cachedir import cache_subdir, content_key, read_verified, write_verified
from symfisher._runtime.caches import memo
from symfisher._version import __version__
from symfisher.codegen.spec import KernelSpec
from symfisher.errors import CacheError

__all__ = ["kernel_key", "kernel_path", "ensure_kernel_file", "versions"]

_GENERATOR_MODULES = ("printer.py", "rewrite.py", "singular.py", "spec.py", "writer.py", "writer_vec.py", "cache.py")


@memo(maxsize=1)
def _generator_fingerprint() -> str:
    """Hash of the code generator's and the special functions' source files.

    A change invalidates old kernels. The special functions are included because
    Numba's cache of a kernel embeds the compiled code of the functions it calls but is
    invalidated only by changes to the kernel's own file. (Functions added by users
    through ``functions=`` are not tracked: change a kernel's options or clear the
    cache after editing them.)
    """
    here = Path(__file__).parent
    numeric = here.parent / "numeric"
    files = [here / m for m in _GENERATOR_MODULES]
    files += [
        numeric / "kernel_runtime.py",
        numeric / "kernel_checks.py",
        numeric / "vecmath.py",
        *sorted((numeric / "special").glob("*.py")),
    ]
    return content_key(*(f"{f.name}\n{f.read_text(encoding='utf-8')}" for f in files))


def versions() -> str:
    """Versions that affect generated code, as one line."""
    return f"symfisher {__version__}, sympy {sp.__version__}, numba {numba.__version__}, numpy {numpy.__version__}"


def canonical_text(spec: KernelSpec) -> str:
    """Deterministic text describing ``spec`` completely (input of the key)."""
    parts = [f"multi={spec.multi}"]
    for out in spec.outputs:
        parts.append(f"output name={out.name!r} shape={out.shape!r}")
        parts.extend(sp.srepr(e) for e in out.entries)
    for group, grouped in zip(spec.groups, spec.grouped):
        parts.append(f"arg grouped={grouped} " + " ".join(sp.srepr(s) for s in group))
    parts.append(f"domains={spec.domains!r}")
    parts.append(f"functions={spec.functions!r}")
    parts.append(f"options={spec.options.canonical()}")
    return "\n".join(parts)


def kernel_key(spec: KernelSpec) -> str:
    """The content key of a kernel (64 hex characters).

    Examples
    --------
    >>> import sympy as sp
    >>> from symfisher.codegen.spec import make_spec
    >>> from symfisher.codegen.cache import kernel_key
    >>> a = sp.Symbol("a", positive=True)
    >>> kernel_key(make_spec(1/a, [a])) == kernel_key(make_spec(1/a, [a]))
    True
    """
    return content_key(canonical_text(spec), versions(), _generator_fingerprint())


def kernel_path(key: str) -> Path:
    """Where the kernel file with ``key`` lives (``<cache>/kernels/k_<key>.py``)."""
    return cache_subdir("kernels") / f"k_{key}.py"


def ensure_kernel_file(spec: KernelSpec, key: str | None = None) -> Path:
    """Return the path of a valid kernel file for ``spec``, generating it if needed.

    Code generation (rewrites, CSE, printing) only runs when no valid file exists.
    """
    key = key or kernel_key(spec)
    try:
        path = kernel_path(key)
        if read_verified(path) is not None:
            return path
    except OSError as exc:  # CacheError included: the kernels directory is unusable
        return _fallback_file(spec, key, exc)
    from symfisher.codegen.writer import generate_source  # only on a cache miss

    source = generate_source(spec, key, versions())
    try:
        write_verified(path, source)
        if read_verified(path) is None:
            raise OSError(f"{str(path)!r} does not hold the written kernel")
    except OSError as exc:  # read-only directory, a directory in the way, disk full, ...
        return _fallback_file(spec, key, exc, source)
    return path


@memo(maxsize=1)
def _fallback_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="symfisher-kernels-"))  # mode 0700


def _fallback_file(spec: KernelSpec, key: str, exc: OSError, source: str | None = None) -> Path:
    """Write the kernel to a private temporary directory, with a warning naming the cause."""
    from symfisher.codegen.writer import generate_source

    path = _fallback_dir() / f"k_{key}.py"
    warnings.warn(
        f"symfisher kernel cache: cannot use {getattr(exc, 'filename', None) or 'the kernels directory'} "
        f"({exc}); kernel {key[:12]} is compiled in the temporary directory {str(path.parent)!r} "
        "instead (it is not kept after this process)",
        RuntimeWarning,
        stacklevel=4,
    )
    try:
        write_verified(path, source or generate_source(spec, key, versions()))
    except OSError as exc2:
        raise CacheError(f"cannot write kernel {key[:12]} to the cache ({exc}) nor to {str(path)!r} ({exc2})") from None
    return path
