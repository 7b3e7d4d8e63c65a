"""Safe parsing of user-supplied expressions, supports and parameter specs.

Expressions are parsed with Python's :mod:`ast` module and the SymPy expression is
built from the validated tree; ``eval``, ``sympify`` and ``parse_expr`` are never
called (both of the latter call ``eval`` internally). Only a whitelist of node types,
names and functions is accepted, and the size of the input, the nesting depth and
the size of numbers computed eagerly (``9**9**9``, ``factorial(10**6)``) are capped,
so hostile input is rejected with a :class:`~symfisher.errors.ParseError` before
anything expensive runs.

The grammar is the one SymPy's ``str`` printer writes, so
``parse_expression(str(expr), symbols=...) == expr`` (structurally) for expressions in
SymPy's evaluated form, which is what the derivation cache stores. An expression held
unevaluated (``Mul(x, x**k, evaluate=False)`` prints as ``x*x**k``) reads back as its
evaluated equal (``x**(k + 1)``).

Examples
--------
>>> from symfisher.parse import parse_expression
>>> parse_expression("polygamma(1, a) - 1/a")
polygamma(1, a) - 1/a
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from symfisher.errors import ParseError
from symfisher.parse.limits import (
    LATTICE_PAIR_BITS,
    MAX_DIGITS,
    MAX_HEAVY_ARGUMENT,
    MAX_LATTICE_ARGS,
    NUMBER_BUDGET_BITS,
    Budget,
    exp_cost,
    heavy_cost,
    lattice_count,
    power_cost,
)
from symfisher.parse.source import KW_PREFIX, MAX_LENGTH, MAX_NODES, Source, prepare, syntax_tree, valid_identifier
from symfisher.parse.tables import (
    CONSTANTS,
    FUNCTIONS,
    HEAVY_FUNCTIONS,
    RELATIONS,
    RESERVED,
    STRUCTURAL,
    describe_node,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NODES",
    "NUMBER_BUDGET_BITS",
    "parse_expression",
    "parse_items",
    "valid_identifier",
]

MAX_DEPTH = 100
"""Deepest accepted nesting of sub-expressions (sums and products count once)."""

_TRUTH = (sp.logic.boolalg.BooleanAtom, sp.logic.boolalg.BooleanFunction, sp.core.relational.Relational)


def _value_problem(value: Any) -> str:
    """Why a built node is not a real expression (checked on the node's own arguments only)."""
    if value is sp.nan:
        return "is undefined (NaN: 0/0, oo - oo or 0*oo)"
    args = value.args if isinstance(value, (sp.Add, sp.Mul, sp.Pow)) else ()
    if value is sp.zoo or sp.zoo in args:
        return "is complex infinity (division by zero or a pole: 1/0, log(0))"
    if value is sp.I or sp.I in args:
        return "is imaginary (expressions are real)"
    if any(isinstance(a, _TRUTH) for a in args):
        return "uses a truth value in arithmetic"
    if any(
        isinstance(v, sp.Pow) and v.base.is_Rational and v.base < 0 and v.exp.is_Rational and not v.exp.is_integer
        for v in (value, *args)
    ):
        return "is a complex root of a negative number (use real_root or cbrt for the real root)"
    return ""


@dataclass(frozen=True)
class _Builder:
    """Builds a SymPy object from a validated syntax tree (one instance per parse)."""

    src: Source
    symbols: Mapping[str, sp.Symbol]
    functions: Mapping[str, Callable[..., Any]]
    new_symbol: Callable[[str], sp.Symbol] | None
    budget: Budget = field(default_factory=Budget)

    def fail(self, reason: str, node: ast.AST) -> ParseError:
        return ParseError(f"{reason} {self.src.where(node)}")

    def build(self, node: ast.AST, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail(f"expression is nested too deeply (limit {MAX_DEPTH})", node)
        handler = _HANDLERS.get(type(node))
        if handler is None:
            raise self.fail(f"{describe_node(node)} is not allowed", node)
        try:
            result = handler(self, node, depth + 1)
        except ParseError:
            raise
        except (TypeError, ValueError, ArithmeticError, AttributeError, sp.SympifyError) as exc:
            raise self.fail(f"cannot build ({type(exc).__name__}: {exc})", node) from None
        except RecursionError:
            raise self.fail("expression is nested too deeply for SymPy", node) from None
        problem = _value_problem(result)
        if problem:
            raise self.fail(f"the sub-expression {problem}", node)
        return result

    # --- leaves -----------------------------------------------------------------
    def constant(self, node: ast.Constant, depth: int) -> Any:
        value = node.value
        if isinstance(value, bool):
            return sp.true if value else sp.false
        if isinstance(value, int):
            if value.bit_length() * 0.30103 > MAX_DIGITS:
                raise self.fail(
                    f"integer literal of about {int(value.bit_length() * 0.30103)} digits is too large "
                    f"(limit {MAX_DIGITS} digits)",
                    node,
                )
            return sp.Integer(value)
        if isinstance(value, float):
            text = ast.get_source_segment(self.src.prepared, node) or repr(value)
            return sp.Float(text.replace("_", ""))
        raise self.fail(f"{describe_node(node)} is not allowed", node)

    def name(self, node: ast.Name, depth: int) -> Any:
        ident = node.id
        if ident in self.symbols:
            return self.symbols[ident]
        if ident in CONSTANTS:
            return CONSTANTS[ident]
        if ident in RESERVED:
            raise self.fail(f"{ident!r} is reserved: {RESERVED[ident]}", node)
        if ident.startswith(KW_PREFIX):
            ident = ident[len(KW_PREFIX) :]
            if ident in self.symbols:
                return self.symbols[ident]
        if self.new_symbol is not None:
            return self.new_symbol(ident)
        known = sorted(set(self.symbols) | set(CONSTANTS))
        close = difflib.get_close_matches(ident, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known names: {', '.join(known)}"
        raise self.fail(f"unknown name {ident!r}{hint}", node)

    # --- arithmetic -------------------------------------------------------------
    def binop(self, node: ast.BinOp, depth: int) -> Any:
        op = type(node.op)
        if op in (ast.Add, ast.Sub):
            return sp.Add(*self._chain(node, depth, (ast.Add, ast.Sub)))
        if op in (ast.Mult, ast.Div):
            return sp.Mul(*self._chain(node, depth, (ast.Mult, ast.Div)))
        if op is ast.Pow:
            return self._power(node, depth)
        if op in (ast.BitAnd, ast.BitOr):
            left, right = self.build(node.left, depth), self.build(node.right, depth)
            return sp.And(left, right) if op is ast.BitAnd else sp.Or(left, right)
        if op is ast.BitXor:
            raise self.fail("'^' is not a power (write '**')", node)
        raise self.fail(f"operator {op.__name__} is not allowed", node)

    def _chain(self, node: ast.BinOp, depth: int, ops: tuple[type, ...]) -> list[Any]:
        """Flatten a left-leaning chain ``a - b + c`` into terms ``[a, -b, c]`` (or factors)."""
        parts: list[tuple[type, ast.AST]] = []
        cur: ast.AST = node
        while isinstance(cur, ast.BinOp) and isinstance(cur.op, ops):
            parts.append((type(cur.op), cur.right))
            cur = cur.left
        if ast.Mult in ops and isinstance(cur, ast.UnaryOp) and isinstance(cur.op, ast.USub):
            # SymPy prints Mul(-1, a + b, c) as "-(a + b)*c": keep the -1 a factor
            # instead of distributing it over a + b, so the product reads back unchanged.
            out = [sp.S.NegativeOne, self.build(cur.operand, depth)]
        else:
            out = [self.build(cur, depth)]
        for op, rhs in reversed(parts):
            if op is ast.Div:
                out.extend(sp.Pow(f, -1) for f in self._divisor(rhs, depth))
                continue
            value = self.build(rhs, depth)
            out.append(-value if op is ast.Sub else value)
        return out

    def _divisor(self, node: ast.AST, depth: int) -> list[Any]:
        """Factors of a divisor; ``x/(2*(a + b))`` divides by 2 and by a + b separately.

        SymPy prints Mul(1/2, x, 1/(a + b)) that way; building 2*(a + b) first would
        distribute the 2 over the sum. Inverting factor by factor gives the original.
        """
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
            return self._chain(node, depth + 1, (ast.Mult, ast.Div))
        return [self.build(node, depth)]

    def _power(self, node: ast.BinOp, depth: int) -> Any:
        base, exp = self.build(node.left, depth), self.build(node.right, depth)
        self.budget.spend(power_cost(base, exp), "an exact power")
        if base is sp.E:
            self.budget.spend(exp_cost(exp), "an exact power (E to a multiple of a logarithm)")
        return sp.Pow(base, exp)

    def unaryop(self, node: ast.UnaryOp, depth: int) -> Any:
        value = self.build(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return -value
        if isinstance(node.op, ast.UAdd):
            return value
        if isinstance(node.op, ast.Invert):
            return sp.Not(value)
        raise self.fail(f"operator {type(node.op).__name__} is not allowed", node)

    def compare(self, node: ast.Compare, depth: int) -> Any:
        terms = [self.build(node.left, depth)] + [self.build(c, depth) for c in node.comparators]
        rels = []
        for i, op in enumerate(node.ops):
            rel = RELATIONS.get(type(op))
            if rel is None:
                raise self.fail(f"comparison {type(op).__name__} is not allowed", node)
            rels.append(rel(terms[i], terms[i + 1]))
        return rels[0] if len(rels) == 1 else sp.And(*rels)

    def tuple_(self, node: ast.Tuple, depth: int) -> Any:
        return sp.Tuple(*[self.build(e, depth) for e in node.elts])

    # --- calls ------------------------------------------------------------------
    def call(self, node: ast.Call, depth: int) -> Any:
        if not isinstance(node.func, ast.Name):
            raise self.fail(f"only calls of named functions are allowed, not {describe_node(node.func)}", node)
        if node.keywords:
            raise self.fail("keyword arguments are not allowed", node.keywords[0].value)
        fname = node.func.id.removeprefix(KW_PREFIX)
        if fname in STRUCTURAL and fname not in self.functions:
            return STRUCTURAL[fname](self, node, depth)
        func = self.functions.get(fname)
        if func is None and fname in RESERVED:
            raise self.fail(f"{fname!r} is reserved: {RESERVED[fname]}", node.func)
        if func is None:
            close = difflib.get_close_matches(fname, list(self.functions), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise self.fail(f"unknown function {fname!r}{hint}", node.func)
        args = [self.build(a, depth) for a in node.args]
        if fname in HEAVY_FUNCTIONS:
            self._check_heavy(fname, args, node)
        if fname in ("Max", "Min"):
            self._check_lattice(fname, args, node)
        if fname == "exp" and args:
            self.budget.spend(exp_cost(args[0]), "an exact power (exp of a multiple of a logarithm)")
        return func(*args)

    def _check_lattice(self, fname: str, args: list[Any], node: ast.AST) -> None:
        count = lattice_count(fname, args)
        if count > MAX_LATTICE_ARGS:
            raise self.fail(f"{fname} of {count} arguments (limit {MAX_LATTICE_ARGS})", node)
        self.budget.spend(count * count * LATTICE_PAIR_BITS, f"{fname} of many arguments")

    def _check_heavy(self, fname: str, args: list[Any], node: ast.AST) -> None:
        if any(isinstance(a, sp.Rational) and abs(a) > MAX_HEAVY_ARGUMENT for a in args):
            raise self.fail(f"argument of {fname} too large (|n| <= {MAX_HEAVY_ARGUMENT})", node)
        self.budget.spend(heavy_cost(fname, args), f"{fname} at exact arguments")

    def build_args(self, node: ast.Call, depth: int) -> list[Any]:
        """Build the positional arguments of a call (starred arguments rejected)."""
        return [self.build(a, depth) for a in node.args]


_HANDLERS: dict[type, Callable[[_Builder, Any, int], Any]] = {
    ast.Constant: _Builder.constant,
    ast.Name: _Builder.name,
    ast.BinOp: _Builder.binop,
    ast.UnaryOp: _Builder.unaryop,
    ast.Compare: _Builder.compare,
    ast.Tuple: _Builder.tuple_,
    ast.Call: _Builder.call,
}


def _real_symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def parse_expression(
    text: str,
    symbols: Mapping[str, sp.Symbol] | None = None,
    *,
    functions: Mapping[str, Callable[..., Any]] | None = None,
    allow_new_symbols: bool = True,
    new_symbol: Callable[[str], sp.Symbol] | None = None,
    max_length: int = MAX_LENGTH,
) -> sp.Basic:
    """Parse ``text`` into a SymPy expression without ``eval``.

    Parameters
    ----------
    text : str
        An expression in SymPy's ``str`` syntax: numbers, names, ``+ - * / **``,
        parentheses and calls of whitelisted functions (``exp``, ``log``, ``sqrt``,
        ``polygamma``, ``besseli``, ``gamma``, ``Abs``, ``Piecewise``, ``Matrix``, ...).
        Integer literals stay exact (``1/2`` is ``Rational(1, 2)``).
    symbols : mapping of str to Symbol, optional
        Names resolved to the given symbols (they take precedence over the
        constants ``pi``, ``E``, ``oo``, ``EulerGamma``, ``Catalan``).
    functions : mapping of str to callable, optional
        Extra (or overriding) functions, called with positional arguments only.
    allow_new_symbols : bool
        If True (default), other valid names become symbols made by ``new_symbol``
        (default: ``Symbol(name, real=True)``); if False they are an error.
    new_symbol : callable, optional
        Factory ``new_symbol(name) -> Symbol`` for names not in ``symbols``.
    max_length : int
        Longest accepted input (characters).

    Returns
    -------
    sympy.Basic
        Usually a ``sympy.Expr``; ``Matrix([[...]])`` gives an ``ImmutableMatrix`` of
        the written shape, and a comparison gives a relational.

    Raises
    ------
    ParseError
        On anything outside the whitelist (attribute access, subscripts, strings,
        lambdas, comprehensions, keyword arguments, private or dunder names, unknown
        functions), on oversized or too deeply nested input, and on numbers too large
        to compute; the message names the offending token and its column.

    Examples
    --------
    >>> import sympy as sp
    >>> a = sp.Symbol("a", positive=True)
    >>> parse_expression("polygamma(1, a) + 1/2", {"a": a})
    polygamma(1, a) + 1/2
    >>> parse_expression("__import__('os').system('true')")
    Traceback (most recent call last):
    ...
    symfisher.errors.ParseError: private or dunder name '__import__' at column 1 is not allowed
    """
    result = _parse(text, symbols, functions, maker=_maker(allow_new_symbols, new_symbol), max_length=max_length)
    if isinstance(result, sp.Tuple):
        raise ParseError(f"a tuple is not an expression: {text.strip()[:40]!r}")
    return result


def parse_items(
    text: str,
    symbols: Mapping[str, sp.Symbol] | None = None,
    *,
    new_symbol: Callable[[str], sp.Symbol] | None = None,
) -> tuple[Any, ...]:
    """Parse a comma-separated list of expressions (tuples allowed as items).

    Examples
    --------
    >>> parse_items("0, 1, (2, 3)")
    (0, 1, (2, 3))
    """
    result = _parse(f"({text},)", symbols, None, maker=new_symbol or _real_symbol, max_length=MAX_LENGTH)
    return tuple(result)


def _maker(allow: bool, new_symbol: Callable[[str], sp.Symbol] | None) -> Callable[[str], sp.Symbol] | None:
    return (new_symbol or _real_symbol) if allow else None


def _parse(
    text: str,
    symbols: Mapping[str, sp.Symbol] | None,
    functions: Mapping[str, Callable[..., Any]] | None,
    *,
    maker: Callable[[str], sp.Symbol] | None,
    max_length: int,
) -> Any:
    tree, src = syntax_tree(prepare(text, max_length))
    table = dict(FUNCTIONS)
    for fname, func in (functions or {}).items():
        if not valid_identifier(fname) or not callable(func):
            raise ParseError(f"invalid function table entry {fname!r}")
        table[fname] = func
    return _Builder(src, dict(symbols or {}), table, maker).build(tree.body)
