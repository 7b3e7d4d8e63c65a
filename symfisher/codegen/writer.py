"""Source generation: stable rewrites → CSE over all outputs → printed serial/prange loops.

The generated module is plain, readable Python: a header comment (key, arguments,
outputs, options), metadata constants read by :class:`symfisher.numeric.kernel.Kernel`,
and four ``@numba.njit(cache=True)`` loops with the same body: ``_serial`` and
``_parallel`` (with ``prange``) read argument ``k`` at row ``i * s_k`` (``s_k = 0``
broadcasts one row), ``_serial_dense`` and ``_parallel_dense`` at row ``i`` (every
argument a full array: no stride arithmetic in the loop). Numba compiles each lazily.
With the ``vecmath`` option the loops are written by :mod:`symfisher.codegen.writer_vec`
(vectorisable: flat affine indexing, blocks of points). Symmetric square matrices are
computed once per upper-triangle entry and mirrored; equal entries are computed once.

Examples
--------
>>> import sympy as sp
>>> from symfisher.codegen.spec import make_spec
>>> from symfisher.codegen.writer import generate_source
>>> a = sp.Symbol("a", positive=True)
>>> src = generate_source(make_spec(sp.Matrix([[1/a, 0], [0, a**2]]), [a]), key="k")
>>> "def _serial(n, in_0, s_0, out_0):" in src
True
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping

import sympy as sp

from symfisher.codegen.printer import NumbaPrinter, function_table, import_lines
from symfisher.codegen.rewrite import share_reciprocals, stable_rewrite
from symfisher.codegen.singular import guard_removable
from symfisher.codegen.spec import KernelSpec, Output
from symfisher.codegen.writer_vec import BLOCK_IMPORT, vector_loops

__all__ = ["generate_source", "identifiers", "unique_targets"]


def identifiers(spec: KernelSpec) -> dict[sp.Symbol, str]:
    """Readable, unique Python identifiers ``v_<name>`` for the argument symbols."""
    names: dict[sp.Symbol, str] = {}
    taken: set[str] = set()
    for k, s in enumerate(spec.symbols):
        base = re.sub(r"\W", "_", str(s).encode("ascii", "replace").decode().replace("?", "_"))
        ident = f"v_{base}"
        if not ident.isidentifier() or keyword.iskeyword(ident) or ident in taken:
            ident = f"v_{k}"
        names[s] = ident
        taken.add(ident)
    return names


def _is_symmetric(out: Output) -> bool:
    if len(out.shape) != 2 or out.shape[0] != out.shape[1]:
        return False
    p = out.shape[0]
    e = out.entries
    return all(e[i * p + j] == e[j * p + i] for i in range(p) for j in range(i + 1, p))


def unique_targets(spec: KernelSpec) -> list[tuple[sp.Expr, list[tuple[int, int]]]]:
    """Distinct expressions to compute, each with its ``(output, flat index)`` positions.

    Entries below the diagonal of a symmetric matrix are mirrored from the upper
    triangle; equal expressions anywhere are computed once. Order: first occurrence.
    """
    targets: dict[sp.Expr, list[tuple[int, int]]] = {}
    for j, out in enumerate(spec.outputs):
        sym = spec.options.symmetric and _is_symmetric(out)
        p = out.shape[0] if sym else 0
        for idx, expr in enumerate(out.entries):
            if sym and idx // p > idx % p:
                expr = out.entries[(idx % p) * p + idx // p]
            targets.setdefault(expr, []).append((j, idx))
    return list(targets.items())


def _cse(exprs: list[sp.Expr], spec: KernelSpec) -> tuple[list[tuple[sp.Symbol, sp.Expr]], list[sp.Expr]]:
    if spec.options.cse:
        # common factors out of sums first (no expansion, no cancellation): the sigmoid-Emax
        # information goes from 143 to 103 operations after CSE
        exprs = [sp.factor_terms(e) for e in exprs]
    if spec.options.stable:
        exprs = [stable_rewrite(guard_removable(e, spec.symbols)) for e in exprs]
    if not spec.options.cse:
        return [], exprs
    exprs = [share_reciprocals(e) for e in exprs]
    taken = set(spec.symbols).union(*(e.free_symbols for e in exprs))
    symbols = sp.numbered_symbols("_c", exclude=taken)
    replacements, reduced = sp.cse(exprs, symbols=symbols, order="canonical")
    return list(replacements), list(reduced)


def _body(spec: KernelSpec, names: Mapping[sp.Symbol, str]) -> tuple[list[str], set[str]]:
    """Loop-body lines and the qualified functions they use.

    Argument loads are written as ``in_k[{row_k}]`` / ``in_k[{row_k}, col]``: the caller
    formats ``row_k`` as ``i * s_k`` (broadcasting loop) or ``i`` (dense loop).
    """
    targets = unique_targets(spec)
    replacements, reduced = _cse([t for t, _ in targets], spec)
    all_names = dict(names)
    all_names.update({s: str(s) for s, _ in replacements})
    printer = NumbaPrinter(all_names, function_table(dict(spec.functions), vecmath=spec.options.vectorised))
    used = set().union(*(e.free_symbols for e in reduced), *(e.free_symbols for _, e in replacements)) & set(
        spec.symbols
    )
    lines = []
    for k, (group, grouped) in enumerate(zip(spec.groups, spec.grouped)):
        for col, s in enumerate(group):
            if s in used:
                index = f"{{row_{k}}}, {col}" if grouped else f"{{row_{k}}}"
                lines.append(f"{names[s]} = in_{k}[{index}]")
    lines += [f"{s} = {printer.doprint(e)}" for s, e in replacements]
    for t, ((_expr, positions), value) in enumerate(zip(targets, reduced)):
        where = ", ".join(_label(spec, j, idx) for j, idx in positions)
        lines.append(f"# {where}")
        code = printer.doprint(sp.Float(value) if value.is_Number else value)
        if len(positions) == 1:
            j, idx = positions[0]
            lines.append(f"out_{j}[i, {idx}] = {code}")
        else:
            lines.append(f"_o{t} = {code}")
            lines += [f"out_{j}[i, {idx}] = _o{t}" for j, idx in positions]
    return lines, printer.used


def _label(spec: KernelSpec, j: int, idx: int) -> str:
    out = spec.outputs[j]
    name = out.name if out.name is not None else f"out{j}"
    if not out.shape:
        return name
    shape, rem, index = out.shape, idx, []
    for size in reversed(shape):
        index.append(rem % size)
        rem //= size
    return f"{name}[{', '.join(map(str, reversed(index)))}]"


def _metadata(spec: KernelSpec, key: str) -> list[str]:
    def num(x: float) -> str:
        return "math.inf" if x == float("inf") else "-math.inf" if x == -float("inf") else repr(x)

    doms = ", ".join(f"({num(lo)}, {num(hi)}, {lc}, {hc})" for lo, hi, lc, hc in spec.domains)
    return [
        f"KEY = {key!r}",
        f"ARGS = {tuple(tuple(str(s) for s in g) for g in spec.groups)!r}",
        f"GROUPED = {spec.grouped!r}",
        f"OUTPUT_NAMES = {tuple(o.name for o in spec.outputs)!r}",
        f"OUTPUT_SHAPES = {tuple(o.shape for o in spec.outputs)!r}",
        f"MULTI = {spec.multi!r}",
        f"DOMAINS = ({doms}{',' if len(spec.domains) == 1 else ''})",
        f"FASTMATH = {{{', '.join(repr(f) for f in sorted(spec.options.fastmath))}}}",
    ]


def _header(spec: KernelSpec, key: str, versions: str) -> list[str]:
    args = [str(g[0]) if not gr else "[" + ", ".join(map(str, g)) + "]" for g, gr in zip(spec.groups, spec.grouped)]
    outs = [f"{o.name or f'out{j}'}{list(o.shape)}" for j, o in enumerate(spec.outputs)]
    return [
        f"# symfisher generated kernel {key}",
        f"# arguments: ({', '.join(args)})",
        f"# outputs: {', '.join(outs)}",
        f"# options: {spec.options.canonical()}",
        f"# versions: {versions}",
        "# Do not edit: the file name is the hash of the expressions, arguments, options and",
        "# versions; a changed file fails its content check and is regenerated.",
    ]


def _loop(name: str, parallel: bool, dense: bool, signature: str, body: list[str], nargs: int) -> list[str]:
    deco = "@numba.njit(cache=True, nogil=True, error_model='numpy', fastmath=FASTMATH" + (
        ", parallel=True)" if parallel else ")"
    )
    rng = "numba.prange(n)" if parallel else "range(n)"
    rows = {f"row_{k}": ("i" if dense else f"i * s_{k}") for k in range(nargs)}
    text = [line.format(**rows) if line.lstrip().startswith("v_") else line for line in body]
    return ["", "", deco, f"def {name}({signature}):", f"    for i in {rng}:", *[f"        {line}" for line in text]]


def generate_source(spec: KernelSpec, key: str, versions: str = "") -> str:
    """The full source text of the kernel module for ``spec``.

    Parameters
    ----------
    spec : KernelSpec
    key : str
        The content key (written into the header and ``KEY``).
    versions : str
        Version string recorded in the header.

    Returns
    -------
    str
        Python source defining the four loops (see
        :mod:`symfisher.numeric.kernel_runtime` for the calling convention).
    """
    body, used = _body(spec, identifiers(spec))
    ins = [f"in_{k}, s_{k}" for k in range(len(spec.groups))]
    outs = [f"out_{j}" for j in range(len(spec.outputs))]
    signature = ", ".join(["n", *ins, *outs])
    imports = set(import_lines(used)) | {"import math", "import numba"}
    if spec.options.vectorised:
        imports |= set(BLOCK_IMPORT)
    lines = [*_header(spec, key, versions), "", *sorted(imports), "", *_metadata(spec, key)]
    if spec.options.vectorised:
        return "\n".join(lines + vector_loops(spec, signature, body)) + "\n"
    nargs = len(spec.groups)
    for name, parallel, dense in (
        ("_serial", False, False),
        ("_parallel", True, False),
        ("_serial_dense", False, True),
        ("_parallel_dense", True, True),
    ):
        lines += _loop(name, parallel, dense, signature, body, nargs)
    return "\n".join(lines) + "\n"
