"""Standalone modules: kernels + calling convention + special functions, NumPy/Numba only.

The exported file is assembled from real source text, never from templates that
re-derive anything: the source of :mod:`symfisher.numeric.kernel_runtime` (broadcasting,
``out=``, domain checks), the source of :mod:`symfisher.numeric.special` when a kernel
uses it, and each kernel's generated source with its module-level names prefixed by
the exported function name. Importing the result needs only ``numpy`` and ``numba``.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from symfisher.errors import InputError, InputTypeError

__all__ = ["write_module"]

_KERNEL_GLOBALS = (
    "KEY",
    "ARGS",
    "GROUPED",
    "OUTPUT_NAMES",
    "OUTPUT_SHAPES",
    "MULTI",
    "DOMAINS",
    "FASTMATH",
    "_serial_dense",
    "_parallel_dense",
    "_serial",
    "_parallel",
)
_CHECKS_IMPORT = re.compile(r"^from symfisher\.numeric\.kernel_checks import (\([^)]*\)|[^\n]*)\n", re.M)
_PLAIN_IMPORTS = ("import math", "import numba", "import numpy as np")
_SPECIAL_IMPORT = re.compile(r"^from symfisher\.numeric\.(special|vecmath) import (\w+) as (\w+)$")


def _error_shim(line: str) -> list[str]:
    """``from symfisher.errors import A, B`` as standalone classes with the same builtin
    bases (an exported module must not import symfisher; callers still catch ValueError,
    TypeError, ...)."""
    from symfisher import errors

    names = [n.strip() for n in line.split(" import ", 1)[1].split(",")]
    out = []
    for name in names:
        cls = getattr(errors, name)
        bases = [b.__name__ for b in cls.__mro__[1:] if b.__module__ == "builtins" and b is not object]
        out += [
            f"class {name}({bases[0] if bases else 'Exception'}):",
            f'    """{(cls.__doc__ or name).strip().splitlines()[0]}"""',
            "",
        ]
    return out


def _strip_future(source: str) -> str:
    """Module source for the standalone file: no ``__future__`` import, error shims."""
    out: list[str] = []
    for line in source.splitlines():
        if line.strip() == "from __future__ import annotations":
            continue
        out += _error_shim(line) if line.startswith("from symfisher.errors import ") else [line]
    return "\n".join(out)


def _kernel_items(kernels: Any) -> dict[str, Any]:
    from symfisher.numeric.kernel import Kernel

    if isinstance(kernels, Kernel):
        return {"kernel": kernels}
    if isinstance(kernels, Mapping):
        items = dict(kernels)
    elif isinstance(kernels, (list, tuple)):
        items = {f"kernel{j}": k for j, k in enumerate(kernels)}
    else:
        raise InputTypeError(f"export needs Kernels or a Family, got {type(kernels).__name__}")
    for name, k in items.items():
        if not (isinstance(name, str) and name.isidentifier() and not name.startswith("_")):
            raise InputError(f"exported function name {name!r} is not a public identifier")
        if not isinstance(k, Kernel):
            raise InputTypeError(f"export: {name!r} is {type(k).__name__}, not a compiled Kernel")
    return items


def _kernel_block(name: str, kernel: Any) -> tuple[list[str], set[tuple[str, str, str]]]:
    """Prefixed kernel source lines and the ``(module, function, alias)`` imports used."""
    specials: set[tuple[str, str, str]] = set()
    lines = []
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, _KERNEL_GLOBALS)) + r")\b")
    for line in kernel.source.splitlines():
        if line.startswith("# symfisher-sha256:") or line in _PLAIN_IMPORTS:
            continue
        m = _SPECIAL_IMPORT.match(line)
        if m:
            specials.add((m.group(1), m.group(2), m.group(3)))
            continue
        if line.startswith(("from ", "import ")):
            raise InputError(
                f"kernel {name!r} imports {line!r}; only symfisher.numeric.special "
                f"and vecmath functions can be exported"
            )
        lines.append(pattern.sub(lambda mt: f"_{name}_{mt.group(1).lstrip('_')}", line))
    return lines, specials


def _wrapper(name: str, kernel: Any) -> list[str]:
    p = f"_{name}_"
    return [
        "",
        f"{p}LAYOUT = Layout(args={p}ARGS, grouped={p}GROUPED, shapes={p}OUTPUT_SHAPES,",
        f"                   names={p}OUTPUT_NAMES, multi={p}MULTI, domains={p}DOMAINS)",
        "",
        "",
        f"def {name}(*arrays, out=None, check=True, parallel=None):",
        f'    """Evaluate at broadcast points: arguments {kernel.args!r}, result shape',
        f"    broadcast_shape + {kernel.shape!r} (float64).",
        "",
        "    ``out=`` preallocated C-contiguous output(s); ``check=False`` skips domain",
        '    checks; ``parallel`` forces the prange (True) or serial (False) loop."""',
        f"    loops = ({p}serial, {p}parallel, {p}serial_dense, {p}parallel_dense)",
        "    return call_kernel(" + f"{p}LAYOUT, loops, arrays, out=out, check=check,",
        "                       parallel=parallel)",
    ]


def assemble(items: Mapping[str, Any]) -> str:
    """The text of the standalone module exporting ``items`` (name → Kernel)."""
    from symfisher.numeric import kernel_checks, kernel_runtime, special, vecmath

    blocks, specials = [], set()
    for name, k in items.items():
        lines, used = _kernel_block(name, k)
        blocks.append((name, k, lines))
        specials |= used
    out = [
        '"""Standalone kernels exported by symfisher (needs only numpy and numba).',
        "",
        "Functions: " + ", ".join(items) + '."""',
        "",
    ]
    out.append(_strip_future(Path(kernel_checks.__file__).read_text(encoding="utf-8")))
    runtime = Path(kernel_runtime.__file__).read_text(encoding="utf-8")
    out.append(_strip_future(_CHECKS_IMPORT.sub("", runtime)))  # its names are defined just above
    sources = {
        "special": special.standalone_source,
        "vecmath": lambda: Path(vecmath.__file__).read_text(encoding="utf-8"),
    }
    for short, source in sources.items():
        aliases = sorted((f, a) for m, f, a in specials if m == short)
        if aliases:
            out.append(_strip_future(source()))
            out += [f"{alias} = {func}" for func, alias in aliases]
    for name, k, lines in blocks:
        out += ["", "", *lines, *_wrapper(name, k)]
    out += ["", f"__all__ = {list(items)!r}", ""]
    return "\n".join(out)


def write_module(kernels: Any, path: Path) -> Path:
    """Write the standalone module for ``kernels`` to ``path`` atomically.

    Parameters
    ----------
    kernels : Kernel, list or dict of Kernel, or a Family
    path : pathlib.Path

    Returns
    -------
    pathlib.Path
    """
    text = assemble(_kernel_items(kernels))
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path
