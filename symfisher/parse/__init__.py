"""Safe parsing of user-supplied expressions, supports and parameter specs.

No ``eval``: text is parsed into a Python syntax tree, checked against whitelists
(:mod:`symfisher.parse.tables`) and resource limits (:mod:`symfisher.parse.limits`), and
built into SymPy by :mod:`symfisher.parse.builder`; supports and ``NAME[:DOMAIN]``
specs are parsed by :mod:`symfisher.parse.specs`.

Examples
--------
>>> from symfisher.parse import parse_expression, parse_support
>>> parse_expression("x**2 + 1", {"x": __import__("sympy").Symbol("x")})
x**2 + 1
>>> parse_support("(0, 1)")
Interval.open(0, 1)
"""

from __future__ import annotations

from symfisher.parse.builder import MAX_DEPTH, MAX_LENGTH, MAX_NODES, NUMBER_BUDGET_BITS, parse_expression, parse_items
from symfisher.parse.source import valid_identifier
from symfisher.parse.specs import DOMAIN_KINDS, parse_assignment, parse_param, parse_support

__all__ = [
    "DOMAIN_KINDS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NODES",
    "NUMBER_BUDGET_BITS",
    "parse_assignment",
    "parse_expression",
    "parse_items",
    "parse_param",
    "parse_support",
    "valid_identifier",
]
