"""Parsing of supports (``"[0, oo)"``, ``"0..n"``, ``"{0, 1}"``) and parameter specs.

Built on the safe expression parser :func:`symfisher.parse.parse_expression`; nothing
here calls ``eval``. The public entry points are re-exported by :mod:`symfisher.parse`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

import sympy as sp

from symfisher.errors import ParseError
from symfisher.families.domains import assumptions_of as _assumptions_of
from symfisher.parse.builder import parse_expression, parse_items
from symfisher.parse.source import valid_identifier

__all__ = ["DOMAIN_KINDS", "parse_assignment", "parse_param", "parse_support"]

_INTERVAL = re.compile(r"\s*([\[(])(.*),(.*)([\])])\s*\Z", re.S)
_RANGE = re.compile(r"\s*(.*?)\s*\.\.\s*(.*?)\s*\Z", re.S)
_FINITE = re.compile(r"\s*\{(.*)\}\s*\Z", re.S)

DOMAIN_KINDS: Mapping[str, tuple[Mapping[str, bool], sp.Set]] = MappingProxyType(
    {
        "real": ({"real": True}, sp.S.Reals),
        "positive": ({"positive": True}, sp.Interval.open(0, sp.oo)),
        "negative": ({"negative": True}, sp.Interval.open(-sp.oo, 0)),
        "nonnegative": ({"nonnegative": True}, sp.Interval(0, sp.oo)),
        "nonpositive": ({"nonpositive": True}, sp.Interval(-sp.oo, 0)),
        "integer": ({"integer": True}, sp.S.Integers),
        "positive_integer": ({"integer": True, "positive": True}, sp.Range(1, sp.oo)),
        "nonnegative_integer": ({"integer": True, "nonnegative": True}, sp.Range(0, sp.oo)),
    }
)
"""Named domains of :func:`parse_param`: kind -> (symbol assumptions, domain set)."""


def _bound(text: str, symbols: Mapping[str, sp.Symbol] | None, what: str, integer: bool = False) -> sp.Expr:
    value = parse_expression(text, symbols, new_symbol=_count_symbol if integer else None)
    if not isinstance(value, sp.Expr):
        raise ParseError(f"{what} {text.strip()!r} is not a number or expression")
    return value


def _count_symbol(name: str) -> sp.Symbol:
    """Fixed constants appearing in a support (``n`` of ``0..n``) are nonnegative integers."""
    return sp.Symbol(name, integer=True, nonnegative=True)


def _interval(m: re.Match[str], symbols: Mapping[str, sp.Symbol] | None) -> sp.Set:
    ends = parse_items(f"{m.group(2)},{m.group(3)}", symbols)
    if len(ends) != 2 or not all(isinstance(e, sp.Expr) for e in ends):
        raise ParseError(f"an interval has two ends: {m.group(0).strip()!r}")
    lo, hi = ends
    try:
        return sp.Interval(lo, hi, left_open=m.group(1) == "(", right_open=m.group(4) == ")")
    except (TypeError, ValueError) as exc:
        raise ParseError(f"invalid interval {m.group(0).strip()!r}: {exc}") from None


def _range(m: re.Match[str], symbols: Mapping[str, sp.Symbol] | None) -> sp.Set:
    lo = _bound(m.group(1), symbols, "first value", integer=True)
    hi = _bound(m.group(2), symbols, "last value", integer=True)
    try:
        return sp.Range(lo, hi if hi == sp.oo else hi + 1)
    except (TypeError, ValueError) as exc:
        raise ParseError(f"invalid integer range {m.group(0).strip()!r}: {exc}") from None


def _finite(m: re.Match[str], symbols: Mapping[str, sp.Symbol] | None) -> sp.Set:
    inner = m.group(1).strip()
    if not inner:
        raise ParseError("empty support '{}'")
    items = parse_items(inner, symbols, new_symbol=_count_symbol)
    return sp.FiniteSet(*items)


def parse_support(
    text: str,
    variable_is_integer: bool | None = None,
    symbols: Mapping[str, sp.Symbol] | None = None,
) -> sp.Set:
    """Parse a support written as an interval, an integer range or a finite set.

    Parameters
    ----------
    text : str
        ``"(-oo, oo)"``, ``"[0, oo)"``, ``"(0, 1)"``, ``"[0,1]"`` (brackets give
        closed ends, parentheses open ends); ``"0..oo"`` (``Range(0, oo)``),
        ``"0..n"`` (``Range(0, n + 1)``, the last value included); ``"{0, 1}"``
        (a ``FiniteSet``). Names not in ``symbols`` become nonnegative integer
        symbols (the ``n`` of a binomial).
    variable_is_integer : bool, optional
        If given, the support must match: an integer variable needs a range or a
        finite set of integers, a continuous one an interval.
    symbols : mapping of str to Symbol, optional
        Symbols the bounds may refer to.

    Returns
    -------
    sympy.Set

    Examples
    --------
    >>> parse_support("[0, oo)")
    Interval(0, oo)
    >>> parse_support("0..n")
    Range(0, n + 1, 1)
    >>> parse_support("{0, 1}")
    {0, 1}
    """
    if not isinstance(text, str):
        raise ParseError(f"expected a support string, got {type(text).__name__}")
    for pattern, make, integer in ((_FINITE, _finite, None), (_INTERVAL, _interval, False), (_RANGE, _range, True)):
        m = pattern.match(text)
        if m is None or (pattern is _RANGE and ".." not in text):
            continue
        support = make(m, symbols)
        if support is sp.S.EmptySet:
            raise ParseError(f"support {text!r} is empty")
        if integer is None:
            integer = all(getattr(e, "is_integer", False) for e in support)
        _check_kind(text, integer, variable_is_integer)
        return support
    raise ParseError(
        f"cannot read support {text!r}: write an interval like '(0, oo)' or '[0, 1]', "
        "an integer range like '0..oo' or '0..n', or a finite set like '{0, 1}'"
    )


def _check_kind(text: str, support_is_integer: bool, variable_is_integer: bool | None) -> None:
    if variable_is_integer is None or support_is_integer == variable_is_integer:
        return
    if variable_is_integer:
        raise ParseError(f"support {text!r} is an interval but the variable is an integer (write e.g. '0..oo')")
    raise ParseError(f"support {text!r} is a set of integers but the variable is continuous (write e.g. '[0, oo)')")


def parse_param(spec: str, symbols: Mapping[str, sp.Symbol] | None = None) -> tuple[sp.Symbol, sp.Set]:
    """Parse a parameter spec ``NAME[:DOMAIN]`` into a symbol and its domain.

    Parameters
    ----------
    spec : str
        ``"mu"`` or ``"mu:real"`` (ℝ), ``"sigma:positive"`` ((0, ∞)), ``"negative"``,
        ``"nonnegative"``, ``"nonpositive"``, ``"integer"``, ``"positive_integer"``,
        ``"nonnegative_integer"``, or an interval such as ``"p:(0,1)"``. The symbol
        gets the strongest sign assumption the domain implies (``p:(0,1)`` is
        ``positive``).
    symbols : mapping of str to Symbol, optional
        Symbols that interval bounds may refer to.

    Returns
    -------
    (Symbol, sympy.Set)

    Examples
    --------
    >>> parse_param("p:(0,1)")
    (p, Interval.open(0, 1))
    >>> parse_param("sigma:positive")[0].is_positive
    True
    """
    if not isinstance(spec, str):
        raise ParseError(f"expected a parameter spec string, got {type(spec).__name__}")
    name, _, kind = (s.strip() for s in spec.partition(":"))
    if not valid_identifier(name):
        raise ParseError(f"invalid parameter name {name!r} in {spec!r}")
    kind = kind or "real"
    if kind in DOMAIN_KINDS:
        assumptions, domain = DOMAIN_KINDS[kind]
        return sp.Symbol(name, **assumptions), domain
    if not _INTERVAL.match(kind):
        known = ", ".join(DOMAIN_KINDS)
        raise ParseError(f"unknown domain {kind!r} of parameter {name!r}: use {known} or an interval like (0, 1)")
    domain = parse_support(kind, variable_is_integer=False, symbols=symbols)
    return sp.Symbol(name, **_assumptions_of(domain)), domain


def parse_assignment(spec: str, symbols: Mapping[str, sp.Symbol] | None = None) -> tuple[str, sp.Expr]:
    """Parse ``NAME=VALUE`` (a fixed constant such as ``n=10`` or ``nu=5/2``).

    Examples
    --------
    >>> parse_assignment("nu=5/2")
    ('nu', 5/2)
    """
    name, sep, value = (s.strip() for s in spec.partition("="))
    if not sep or not valid_identifier(name):
        raise ParseError(f"expected NAME=VALUE, got {spec!r}")
    expr = parse_expression(value, symbols)
    if not isinstance(expr, sp.Expr):
        raise ParseError(f"value of {name!r} is not an expression: {value!r}")
    return name, expr
