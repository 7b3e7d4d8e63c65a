"""Building a :class:`~symfisher.families.base.Family` from command-line strings.

Everything goes through the safe parser (:mod:`symfisher.parse`); nothing is
evaluated. Used by ``symfisher derive --logpdf/--pdf`` and by the tour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import sympy as sp

from symfisher.errors import ParseError, SymfisherError
from symfisher.parse import parse_expression, parse_param, parse_support, valid_identifier
from symfisher.parse.specs import parse_assignment

__all__ = ["CLI_MAX_LENGTH", "UserSpec", "build_user_family", "catalog_options"]

CLI_MAX_LENGTH = 10_000
"""Longest density string accepted on the command line (characters)."""


@dataclass(frozen=True)
class UserSpec:
    """The command-line description of a user-written family (all strings).

    Attributes
    ----------
    density : str
        The log-density (or the density when ``is_pdf``).
    is_pdf : bool
        Whether ``density`` is a density rather than its logarithm.
    variables : tuple of str
        Data variables ``NAME[:real|integer]`` (length q); without a kind, the
        support decides (a range or a finite set of integers makes it integer).
    params : tuple of str
        ``NAME[:DOMAIN]`` specs (length p), or ``NAME=VALUE`` for fixed constants.
    supports : tuple of str
        One support per variable, one finite set of tuples for vector data, or
        ``"simplex"`` (the open probability simplex in the q variables).
    constants : tuple of str
        ``NAME[:DOMAIN]`` specs of symbolic fixed constants (default real).
    name : str
        Name of the family in reports.
    constraints : tuple of str
        Joint constraints on the parameters, e.g. ``"p1 + p2 < 1"``.
    """

    density: str
    is_pdf: bool
    variables: tuple[str, ...]
    params: tuple[str, ...]
    supports: tuple[str, ...]
    constants: tuple[str, ...] = ()
    name: str = "custom"
    constraints: tuple[str, ...] = ()


def _split_params(specs: Sequence[str]) -> tuple[list[str], list[str]]:
    domains = [s for s in specs if "=" not in s]
    values = [s for s in specs if "=" in s]
    return domains, values


def _parameters(specs: Sequence[str]) -> dict[sp.Symbol, sp.Set]:
    out: dict[sp.Symbol, sp.Set] = {}
    for spec in specs:
        sym, dom = parse_param(spec)
        if any(s.name == sym.name for s in out):
            raise ParseError(f"parameter {sym.name!r} is given twice")
        out[sym] = dom
    if not out:
        raise ParseError("a user-written family needs at least one --param NAME[:DOMAIN]")
    return out


_VAR_KINDS: Mapping[str, bool] = MappingProxyType({"real": False, "integer": True})


def _variable_kinds(specs: Sequence[str]) -> list[tuple[str, bool | None]]:
    """``NAME[:real|integer]`` -> (name, is_integer or None when left to the support)."""
    if not specs:
        raise ParseError("a user-written family needs --var NAME (one per data variable)")
    out = []
    for spec in specs:
        name, _, kind = (t.strip() for t in spec.partition(":"))
        if not valid_identifier(name):
            raise ParseError(f"invalid variable name {name!r}")
        if kind and kind not in _VAR_KINDS:
            raise ParseError(f"variable {name!r}: kind {kind!r} is not one of {', '.join(_VAR_KINDS)}")
        out.append((name, _VAR_KINDS[kind] if kind else None))
    return out


def _is_integer_point(e: sp.Basic) -> bool:
    items = e if isinstance(e, sp.Tuple) else (e,)
    return all(getattr(i, "is_integer", False) for i in items)


def _is_integer_set(s: sp.Set) -> bool:
    return isinstance(s, sp.Range) or (isinstance(s, sp.FiniteSet) and all(map(_is_integer_point, s)))


def _constraints(texts: Sequence[str], table: dict[str, sp.Symbol]) -> tuple[sp.Basic, ...]:
    out = []
    for text in texts:
        rel = parse_expression(text, table, allow_new_symbols=False)
        if not isinstance(rel, (sp.core.relational.Relational, sp.And)):
            raise ParseError(f"constraint {text!r} is not a relation such as 'p1 + p2 < 1'")
        out.append(rel)
    return tuple(out)


def _supports(
    texts: Sequence[str], table: dict[str, sp.Symbol], kinds: Sequence[tuple[str, bool | None]]
) -> tuple[sp.Set, ...]:
    if not texts:
        raise ParseError("a user-written family needs --support (e.g. '(-oo, oo)', '[0, oo)', '0..oo', '0..n')")
    if len(texts) not in (1, len(kinds)):
        raise ParseError(
            f"give one --support per variable ({len(kinds)}), or one finite set of tuples; got {len(texts)}"
        )
    if len(texts) == 1 and texts[0].strip().lower() == "simplex":
        from symfisher.families.sets import Simplex

        return (Simplex(len(kinds)),)
    if len(texts) == len(kinds):
        return tuple(parse_support(t, variable_is_integer=k, symbols=table) for t, (_, k) in zip(texts, kinds))
    return (parse_support(texts[0], symbols=table),)


def _variables(kinds: Sequence[tuple[str, bool | None]], supports: Sequence[sp.Set]) -> tuple[sp.Symbol, ...]:
    out = []
    for i, (name, declared) in enumerate(kinds):
        s = supports[i] if len(supports) == len(kinds) else supports[0]
        integer = _is_integer_set(s) if declared is None else declared
        out.append(sp.Symbol(name, integer=True) if integer else sp.Symbol(name, real=True))
    return tuple(out)


def _symbol_table(params: dict[sp.Symbol, sp.Set], constants: Sequence[str]) -> dict[str, sp.Symbol]:
    table = {s.name: s for s in params}
    for spec in constants:
        sym, _ = parse_param(spec)
        if sym.name in table:
            raise ParseError(f"{sym.name!r} is both a parameter and a constant")
        table[sym.name] = sym
    return table


def build_user_family(spec: UserSpec) -> Any:
    """The Family a :class:`UserSpec` describes (ParseError/SymfisherError on bad input)."""
    from symfisher.families.base import Family

    domain_specs, value_specs = _split_params(spec.params)
    params = _parameters(domain_specs)
    table = _symbol_table(params, spec.constants)
    kinds = _variable_kinds(spec.variables)
    supports = _supports(spec.supports, table, kinds)
    for sup in supports:
        table.update({f.name: f for f in sup.free_symbols if f.name not in table})
    variables = _variables(kinds, supports)
    clash = [v.name for v in variables if v.name in table]
    if clash:
        raise ParseError(f"{clash} are used both as data variables and as parameters/constants")
    table.update({v.name: v for v in variables})
    expr = parse_expression(spec.density, table, max_length=CLI_MAX_LENGTH)
    if not isinstance(expr, sp.Expr):
        raise ParseError(f"the {'density' if spec.is_pdf else 'log-density'} is not a scalar expression")
    values = dict(parse_assignment(v, table) for v in value_specs)
    support = supports[0] if len(supports) == 1 else supports
    constraints = _constraints(spec.constraints, table)
    make = Family.from_pdf if spec.is_pdf else Family
    try:
        fam = make(expr, variables, params, support, constraints=constraints, name=spec.name)
        return fam.with_fixed(**values) if values else fam
    except (ValueError, TypeError) as exc:
        raise SymfisherError(f"invalid family: {exc}") from None


def catalog_options(specs: Sequence[str]) -> dict[str, Any]:
    """``NAME=VALUE`` options of a catalog family (sizes become Python ints)."""
    out: dict[str, Any] = {}
    for spec in specs:
        if "=" not in spec:
            raise ParseError(
                f"--param {spec!r}: with a catalog family write NAME=VALUE for a fixed constant "
                "(NAME:DOMAIN specs are for --logpdf/--pdf families)"
            )
        name, value = parse_assignment(spec)
        out[name] = int(value) if isinstance(value, sp.Integer) else value
    return out
