"""Whitelists of the safe expression parser (:mod:`symfisher.parse`).

One table per concern: the constants a bare name may denote, the functions a call may
name, the functions whose rational arguments are capped (they compute eagerly), the
comparison operators, and the few structural calls (``Piecewise``, ``Matrix``,
``Rational``, ``Integer``, ``Float``) whose arguments are not plain expressions.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import sympy as sp

if TYPE_CHECKING:
    from symfisher.parse.builder import _Builder

__all__ = ["CONSTANTS", "FUNCTIONS", "HEAVY_FUNCTIONS", "RELATIONS", "RESERVED", "STRUCTURAL", "describe_node"]

CONSTANTS: Mapping[str, sp.Basic] = MappingProxyType(
    {
        "pi": sp.pi,
        "E": sp.E,
        "oo": sp.oo,
        "EulerGamma": sp.EulerGamma,
        "Catalan": sp.Catalan,
        "GoldenRatio": sp.GoldenRatio,
    }
)

RESERVED: Mapping[str, str] = MappingProxyType(
    {
        "I": "the imaginary unit is not supported (expressions are real)",
        "zoo": "complex infinity is not a value",
        "nan": "nan is not a value",
        "S": "SymPy's singleton registry is not available",
        "Symbol": "symbols are created from the symbol table, not by name",
        "Integral": "unevaluated integrals are not accepted",
        "Sum": "unevaluated sums are not accepted",
    }
)
"""Names that are never turned into new symbols (unless the caller's table has them)."""


def _trigamma(x: sp.Expr) -> sp.Expr:
    return sp.polygamma(1, x)


def _log1p(x: sp.Expr) -> sp.Expr:
    return sp.log(1 + x)


def _expm1(x: sp.Expr) -> sp.Expr:
    return sp.exp(x) - 1


_SYMPY_FUNCTIONS = (
    "exp log sqrt cbrt sin cos tan cot sec csc asin acos atan acot atan2 sinh cosh tanh "
    "asinh acosh atanh Abs sign Max Min floor ceiling gamma loggamma digamma polygamma "
    "beta erf erfc erfi erfinv factorial factorial2 binomial zeta harmonic lowergamma "
    "uppergamma besseli besselj besselk bessely Heaviside DiracDelta LambertW expint Ei Si Ci li hyper "
    "Eq Ne And Or Not"
).split()

FUNCTIONS: Mapping[str, Callable[..., Any]] = MappingProxyType(
    {
        **{name: getattr(sp, name) for name in _SYMPY_FUNCTIONS},
        "ln": sp.log,
        "trigamma": _trigamma,
        "log1p": _log1p,
        "expm1": _expm1,
    }
)

HEAVY_FUNCTIONS = frozenset(
    "gamma loggamma digamma trigamma polygamma beta factorial factorial2 binomial zeta "
    "harmonic lowergamma uppergamma".split()
)
"""Functions that evaluate eagerly at rational arguments (their size is capped)."""

RELATIONS: Mapping[type, Callable[[Any, Any], Any]] = MappingProxyType(
    {ast.Lt: sp.Lt, ast.LtE: sp.Le, ast.Gt: sp.Gt, ast.GtE: sp.Ge}
)

_NODE_NAMES = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscript",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehension",
    ast.SetComp: "comprehension",
    ast.DictComp: "comprehension",
    ast.GeneratorExp: "generator expression",
    ast.Starred: "starred argument",
    ast.IfExp: "conditional expression",
    ast.NamedExpr: "assignment expression",
    ast.BoolOp: "'and'/'or' (write '&'/'|')",
    ast.JoinedStr: "f-string",
    ast.Dict: "dict literal",
    ast.Set: "set literal",
    ast.List: "list literal (allowed only inside Matrix(...))",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.Slice: "slice",
}


def describe_node(node: ast.AST) -> str:
    """A short human name of a syntax node, for error messages."""
    if isinstance(node, ast.Constant):
        value = node.value
        kinds = {str: "string literal", bytes: "bytes literal", complex: "imaginary literal"}
        return kinds.get(type(value), f"constant {value!r}")
    return _NODE_NAMES.get(type(node), f"syntax {type(node).__name__}")


def _piecewise(b: _Builder, node: ast.Call, depth: int) -> sp.Basic:
    pieces = []
    for arg in node.args:
        if not (isinstance(arg, ast.Tuple) and len(arg.elts) == 2):
            raise b.fail("Piecewise takes (expression, condition) pairs", arg)
        pieces.append((b.build(arg.elts[0], depth), b.build(arg.elts[1], depth)))
    return sp.Piecewise(*pieces)


def _matrix(b: _Builder, node: ast.Call, depth: int) -> sp.ImmutableMatrix:
    if len(node.args) != 1 or not isinstance(node.args[0], ast.List):
        raise b.fail("Matrix takes one list of rows", node)
    rows = []
    for row in node.args[0].elts:
        if not isinstance(row, ast.List):
            raise b.fail("each Matrix row must be a list", row)
        rows.append([b.build(e, depth) for e in row.elts])
    if len({len(r) for r in rows}) > 1:
        raise b.fail("Matrix rows have different lengths", node)
    return sp.ImmutableMatrix(rows) if rows else sp.ImmutableMatrix(0, 0, [])


def _numeric_args(b: _Builder, node: ast.Call, depth: int, name: str, count: tuple[int, ...]) -> list[Any]:
    args = b.build_args(node, depth)
    if len(args) not in count or not all(isinstance(a, sp.Number) for a in args):
        raise b.fail(f"{name} takes {' or '.join(map(str, count))} number(s)", node)
    return args


def _rational(b: _Builder, node: ast.Call, depth: int) -> sp.Basic:
    args = _numeric_args(b, node, depth, "Rational", (1, 2))
    if not all(isinstance(a, sp.Integer) for a in args):
        raise b.fail("Rational takes integers", node)
    return sp.Rational(*(int(a) for a in args))


def _integer(b: _Builder, node: ast.Call, depth: int) -> sp.Basic:
    (arg,) = _numeric_args(b, node, depth, "Integer", (1,))
    if not isinstance(arg, sp.Integer):
        raise b.fail("Integer takes an integer", node)
    return arg


def _float(b: _Builder, node: ast.Call, depth: int) -> sp.Basic:
    (arg,) = _numeric_args(b, node, depth, "Float", (1,))
    return sp.Float(arg)


STRUCTURAL: Mapping[str, Callable[[Any, ast.Call, int], Any]] = MappingProxyType(
    {
        "Piecewise": _piecewise,
        "Matrix": _matrix,
        "ImmutableMatrix": _matrix,
        "ImmutableDenseMatrix": _matrix,
        "Rational": _rational,
        "Integer": _integer,
        "Float": _float,
    }
)
