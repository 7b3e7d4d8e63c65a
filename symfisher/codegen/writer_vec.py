"""Vectorisable loops for kernels compiled with the ``vecmath`` option.

LLVM's loop vectoriser needs, in the point loop, straight-line code (the
:mod:`symfisher.numeric.vecmath` functions are inlined and branch-free; divisions do not
raise because the loops use ``error_model='numpy'``) and addresses that are affine in
the point index with a constant stride. Numba's two-dimensional indexing ``out[i, j]``
multiplies by the run-time row length and broadcasting reads ``in[i * s]`` with a run-time
stride, and neither vectorises. So:

* ``_serial_dense`` is the only loop that computes: it reads ``in_k[i]`` and writes a
  flat view, ``o_j[i * P_j + idx]`` (``P_j`` a literal); a group argument is read
  from a flat view as ``g_k[i * w_k + col]``.
  LLVM does not vectorise stores with a stride above 16 doubles, so a kernel with a
  larger output (the 5×5 sigmoid-Emax information: 25) is *staged*: blocks of
  :data:`STAGE` points are computed into a structure-of-arrays buffer (one contiguous
  row per distinct entry: stride-1 stores) and then copied into the outputs.
* ``_parallel_dense`` runs ``_serial_dense`` on blocks of
  :data:`symfisher.numeric.vecmath.CHUNK` points in a ``prange`` (array slices keep the
  C layout, so the block loop is the same vectorised code).
* ``_serial`` and ``_parallel`` (some argument broadcast) replace each broadcast argument
  by one block of copies of its row (:func:`symfisher.numeric.vecmath.broadcast_block`,
  filled once per call) and run the dense loop block by block.

Domain checks happen before any loop runs (:func:`symfisher.numeric.kernel_runtime.check_domains`),
so there is no early exit in the hot loop.
"""

from __future__ import annotations

import math
import re

from symfisher.codegen.spec import KernelSpec

__all__ = ["BLOCK_IMPORT", "vector_loops"]

BLOCK_IMPORT = (
    "import numpy as np",
    "from symfisher.numeric.vecmath import CHUNK as _sf_CHUNK",
    "from symfisher.numeric.vecmath import broadcast_block as _sf_broadcast_block",
)
_DECO = "@numba.njit(cache=True, nogil=True, fastmath=FASTMATH, error_model='numpy'"
#: Largest output row (doubles) written directly; LLVM's interleaved-store limit.
MAX_DIRECT = 16
#: Points per block of a staged loop (a buffer of STAGE x distinct entries stays in L2).
STAGE = 256
_STORE = re.compile(r"^o_(\d+)\[i \* (\d+) \+ (\d+)\] = (.*)$")


def _dense_body(spec: KernelSpec, body: list[str]) -> tuple[list[str], list[str]]:
    """Prologue (flat views) and body lines with affine flat indexing."""
    sizes = [max(1, math.prod(o.shape)) for o in spec.outputs]
    widths = [len(g) for g in spec.groups]
    rows = {f"row_{k}": "i" for k in range(len(spec.groups))}
    prologue = [f"o_{j} = out_{j}.reshape(out_{j}.size)" for j in range(len(sizes))]
    prologue += [f"g_{k} = in_{k}.reshape(in_{k}.size)" for k, grouped in enumerate(spec.grouped) if grouped]
    out = []
    for line in body:
        if line.lstrip().startswith("v_"):
            line = line.format(**rows)
            line = re.sub(
                r"\bin_(\d+)\[i, (\d+)\]",
                lambda m: f"g_{m[1]}[i * {widths[int(m[1])]} + {m[2]}]",
                line,
            )
        line = re.sub(
            r"\bout_(\d+)\[i, (\d+)\]",
            lambda m: f"o_{m[1]}[i * {sizes[int(m[1])]} + {m[2]}]",
            line,
        )
        out.append(line)
    return prologue, out


def _staged(spec: KernelSpec, prologue: list[str], dense: list[str]) -> list[str]:
    """Loop lines computing blocks into a SoA buffer ``t`` and copying them out."""
    slots: dict[str, int] = {}
    copies: list[tuple[str, str, int]] = []
    compute = []
    for line in dense:
        m = _STORE.match(line)
        if m is None:
            compute.append(re.sub(r"\b(in|g)_(\d+)\[", r"\1x_\2[", line))
            continue
        j, size, idx, value = m.groups()
        if value not in slots:
            slots[value] = len(slots)
            compute.append(f"t[{slots[value] * STAGE} + i] = {value}")
        copies.append((j, f"{int(size)} + {idx}", slots[value]))
    views = [f"inx_{k} = in_{k}[lo:]" for k in range(len(spec.groups))]
    views += [f"gx_{k} = g_{k}[lo * {len(spec.groups[k])}:]" for k, grouped in enumerate(spec.grouped) if grouped]
    views += [f"ox_{j} = o_{j}[lo * {max(1, math.prod(o.shape))}:]" for j, o in enumerate(spec.outputs)]
    return [
        *prologue,
        f"t = np.empty({len(slots) * STAGE})",
        f"for lo in range(0, n, {STAGE}):",
        f"    m = min({STAGE}, n - lo)",
        *[f"    {v}" for v in views],
        "    for i in range(m):",
        *[f"        {c}" for c in compute],
        "    for i in range(m):",
        *[f"        ox_{j}[i * {pos}] = t[{u * STAGE} + i]" for j, pos, u in copies],
    ]


def _blocks(name: str, parallel: bool, signature: str, nargs: int, nouts: int, broadcast: bool) -> list[str]:
    """A loop over blocks of ``_sf_CHUNK`` points calling ``_serial_dense`` on slices."""
    deco = _DECO + (", parallel=True)" if parallel else ")")
    rng = "numba.prange" if parallel else "range"
    lines = ["", "", deco, f"def {name}({signature}):"]
    src = "b" if broadcast else "in"
    if broadcast:
        lines += [f"    b_{k} = _sf_broadcast_block(in_{k}, s_{k}, n)" for k in range(nargs)]
    stride = [f"s_{k}" if broadcast else "1" for k in range(nargs)]
    ins = ", ".join(f"{src}_{k}[lo * {stride[k]}:], 1" for k in range(nargs))
    outs = ", ".join(f"out_{j}[lo:hi]" for j in range(nouts))
    lines += [
        "    for c in " + f"{rng}((n + _sf_CHUNK - 1) // _sf_CHUNK):",
        "        lo = c * _sf_CHUNK",
        "        hi = min(n, lo + _sf_CHUNK)",
        f"        _serial_dense(hi - lo, {ins}, {outs})",
    ]
    return lines


def vector_loops(spec: KernelSpec, signature: str, body: list[str]) -> list[str]:
    """Source lines of the four loops (see the module docstring).

    Parameters
    ----------
    spec : KernelSpec
    signature : str
        ``"n, in_0, s_0, ..., out_0, ..."``.
    body : list of str
        Loop-body lines from :func:`symfisher.codegen.writer._body` (with ``{row_k}``
        placeholders and ``out_j[i, idx]`` stores).
    """
    prologue, dense = _dense_body(spec, body)
    nargs, nouts = len(spec.groups), len(spec.outputs)
    lines = ["", "", _DECO + ")", f"def _serial_dense({signature}):"]
    if max(math.prod(o.shape) for o in spec.outputs) > MAX_DIRECT:
        lines += [f"    {line}" for line in _staged(spec, prologue, dense)]
    else:
        lines += [
            *[f"    {p}" for p in prologue],
            "    for i in range(n):",
            *[f"        {line}" for line in dense],
        ]
    lines += _blocks("_parallel_dense", True, signature, nargs, nouts, broadcast=False)
    lines += _blocks("_serial", False, signature, nargs, nouts, broadcast=True)
    lines += _blocks("_parallel", True, signature, nargs, nouts, broadcast=True)
    return lines
