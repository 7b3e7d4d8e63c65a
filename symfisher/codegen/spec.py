"""Normalisation of what :func:`symfisher.codegen.api.compile` is given.

Turns expressions (scalar, vector, matrix, N-d array; one, a list or a dict of
them), arguments (symbols and groups of symbols), constants and domains into a
:class:`KernelSpec`: flat entries in row-major order, explicit shapes, validated
symbols, and numeric domain intervals per argument symbol.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from symfisher.errors import CodegenError
from symfisher.families.domains import float_interval, symbol_interval

__all__ = ["DEFAULT_FASTMATH", "KernelSpec", "Options", "Output", "VECMATH_SAFE_FASTMATH", "make_spec"]

#: LLVM fast-math flags used by default. Not 'nnan'/'ninf' (NaN/Inf tests must keep
#: working) and not 'reassoc' (it changes results of sums in ways a test cannot bound
#: and lets LLVM undo compensated arithmetic in special functions).
DEFAULT_FASTMATH: frozenset[str] = frozenset({"nsz", "arcp", "contract", "afn"})

#: Fast-math flags under which :mod:`symfisher.numeric.vecmath` keeps its accuracy (its
#: functions are inlined, so the kernel's flags apply to them): with 'reassoc', 'nnan',
#: 'ninf' or 'fast' LLVM may undo compensated sums and NaN/inf selects, and the option
#: falls back to libm.
VECMATH_SAFE_FASTMATH: frozenset[str] = DEFAULT_FASTMATH


@dataclass(frozen=True)
class Options:
    """Code-generation options (all part of the kernel's cache key).

    Parameters
    ----------
    cse : bool
        Common-subexpression elimination over all outputs together.
    stable : bool
        Apply :func:`symfisher.codegen.rewrite.stable_rewrite`.
    symmetric : bool
        Compute symmetric square matrices once per upper-triangle entry.
    fastmath : frozenset of str
        LLVM fast-math flags (see :data:`DEFAULT_FASTMATH`).
    vecmath : bool
        Call the branch-free :mod:`symfisher.numeric.vecmath` functions (exp, log,
        log1p, expm1, real powers) instead of libm, and compile the loops with
        ``error_model='numpy'`` (a division by zero gives inf/nan instead of raising), so
        that LLVM can vectorise the point loop. In effect only when ``fastmath`` is a
        subset of :data:`VECMATH_SAFE_FASTMATH` (see :attr:`vectorised`).
    """

    cse: bool = True
    stable: bool = True
    symmetric: bool = True
    fastmath: frozenset[str] = DEFAULT_FASTMATH
    vecmath: bool = True

    @property
    def vectorised(self) -> bool:
        """Whether the ``vecmath`` functions are used (requested and safe with the flags)."""
        return self.vecmath and self.fastmath <= VECMATH_SAFE_FASTMATH

    def canonical(self) -> str:
        """A deterministic text form (for the cache key and the file header)."""
        flags = ",".join(sorted(self.fastmath))
        return (
            f"cse={self.cse};stable={self.stable};symmetric={self.symmetric};fastmath={flags};vecmath={self.vectorised}"
        )


@dataclass(frozen=True)
class Output:
    """One output of a kernel: its name, result shape and flat row-major entries."""

    name: str | None
    shape: tuple[int, ...]
    entries: tuple[sp.Expr, ...]


@dataclass(frozen=True)
class KernelSpec:
    """Everything a kernel is made from (validated).

    Attributes
    ----------
    outputs : tuple of Output
    groups : tuple of tuple of sympy.Symbol
        Symbols per argument (a scalar argument is a 1-tuple).
    grouped : tuple of bool
    multi : str
        ``"single"``, ``"tuple"`` or ``"dict"``.
    domains : tuple of (float, float, bool, bool)
        Per symbol in argument order: ``(low, high, low_closed, high_closed)``.
    functions : tuple of (str, str)
        User additions to the printer's table, sorted.
    options : Options
    """

    outputs: tuple[Output, ...]
    groups: tuple[tuple[sp.Symbol, ...], ...]
    grouped: tuple[bool, ...]
    multi: str
    domains: tuple[tuple[float, float, bool, bool], ...]
    functions: tuple[tuple[str, str], ...]
    options: Options

    @property
    def symbols(self) -> tuple[sp.Symbol, ...]:
        """All argument symbols, flattened in argument order."""
        return tuple(s for g in self.groups for s in g)


def _as_output(name: str | None, expr: Any) -> Output:
    if isinstance(expr, sp.MatrixBase):
        rows, cols = expr.shape
        shape: tuple[int, ...] = (rows,) if cols == 1 else (rows, cols)
        entries = tuple(sp.sympify(e) for e in expr)
    elif isinstance(expr, sp.NDimArray):
        shape = tuple(expr.shape)
        entries = tuple(sp.sympify(e) for e in sp.flatten(expr.tolist()))
    else:
        value = sp.sympify(expr)
        if not isinstance(value, sp.Expr):
            raise CodegenError(f"cannot compile {expr!r}: not an expression, matrix or array")
        shape, entries = (), (value,)
    if any(not isinstance(e, sp.Expr) for e in entries):
        raise CodegenError(f"output {name or 0}: every entry must be a SymPy expression")
    return Output(name, shape, entries)


def _outputs(exprs: Any) -> tuple[tuple[Output, ...], str]:
    if isinstance(exprs, Mapping):
        outs = tuple(_as_output(str(k), v) for k, v in exprs.items())
        return outs, "dict"
    if isinstance(exprs, (list, tuple)):
        return tuple(_as_output(None, v) for v in exprs), "tuple"
    return (_as_output(None, exprs),), "single"


def _groups(args: Any) -> tuple[tuple[tuple[sp.Symbol, ...], ...], tuple[bool, ...]]:
    items = [args] if isinstance(args, sp.Symbol) else list(args)
    groups, grouped = [], []
    for item in items:
        if isinstance(item, sp.Symbol):
            groups.append((item,))
            grouped.append(False)
        elif isinstance(item, Iterable) and not isinstance(item, (str, sp.Basic)) or isinstance(item, sp.MatrixBase):
            group = tuple(item)
            if not group or any(not isinstance(s, sp.Symbol) for s in group):
                raise CodegenError(f"argument group {item!r} must be a non-empty list of symbols")
            groups.append(group)
            grouped.append(True)
        else:
            raise CodegenError(f"argument {item!r} is neither a symbol nor a list of symbols")
    flat = [s for g in groups for s in g]
    dup = sorted({str(s) for s in flat if flat.count(s) > 1})
    if dup:
        raise CodegenError(f"argument symbols appear more than once: {dup}")
    return tuple(groups), tuple(grouped)


def _interval(symbol: sp.Symbol, domains: Mapping[sp.Symbol, sp.Set]) -> tuple[float, float, bool, bool]:
    if symbol not in domains:
        return symbol_interval(symbol)
    try:
        return float_interval(domains[symbol])
    except TypeError:
        raise CodegenError(f"domain of {symbol} must be a sympy.Interval, got {domains[symbol]!r}") from None


def _substitute(outputs: tuple[Output, ...], constants: Mapping[sp.Symbol, Any]) -> tuple[Output, ...]:
    if not constants:
        return outputs
    rep = {sp.Symbol(k) if isinstance(k, str) else k: sp.sympify(v) for k, v in constants.items()}
    for k, v in rep.items():
        if not v.is_number:
            raise CodegenError(f"constant {k} must be a number, got {v}")
    return tuple(Output(o.name, o.shape, tuple(e.xreplace(rep) for e in o.entries)) for o in outputs)


def make_spec(
    exprs: Any,
    args: Any,
    *,
    constants: Mapping[Any, Any] | None = None,
    domains: Mapping[sp.Symbol, sp.Set] | None = None,
    functions: Mapping[str, str] | None = None,
    options: Options | None = None,
) -> KernelSpec:
    """Validate and normalise the inputs of ``compile`` (see its docstring).

    Raises
    ------
    CodegenError
        For free symbols that are neither arguments nor constants (named), repeated
        argument symbols, or inputs that are not expressions.
    """
    outputs, multi = _outputs(exprs)
    groups, grouped = _groups(args)
    outputs = _substitute(outputs, constants or {})
    flat = {s for g in groups for s in g}
    free = set().union(*(e.free_symbols for o in outputs for e in o.entries)) - flat
    if free:
        raise CodegenError(f"free symbols {sorted(map(str, free))} are neither in args nor given in constants={{...}}")
    stray = sorted(str(s) for s in (domains or {}) if s not in flat)
    if stray:
        raise CodegenError(f"domains given for {stray}, which are not arguments")
    doms = tuple(_interval(s, domains or {}) for g in groups for s in g)
    return KernelSpec(outputs, groups, grouped, multi, doms, _functions(functions), options or Options())


_QUALIFIED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")


def _functions(functions: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    """``functions=`` entries, checked: the generated file imports each value, so only a
    SymPy head name mapped to a qualified name ``pkg.module.f`` is accepted."""
    for head, qualified in (functions or {}).items():
        if not (isinstance(head, str) and head.isidentifier()):
            raise CodegenError(f"functions: key {head!r} is not a SymPy function name")
        if not (
            isinstance(qualified, str)
            and _QUALIFIED.fullmatch(qualified)
            and not any(keyword.iskeyword(p) for p in qualified.split("."))
        ):
            raise CodegenError(
                f"functions: {head!r} -> {qualified!r} is not a qualified name "
                "'package.module.function' (it is written into an import line)"
            )
    return tuple(sorted((functions or {}).items()))
