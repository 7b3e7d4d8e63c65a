"""Checks of a family's symbols and support that SymPy would otherwise fail on late.

* Two different symbols with the same name (``xm`` positive in the density, a plain
  ``xm`` in the support) are different to SymPy but not to generated code: lambdify
  fails with ``SyntaxError: duplicate argument``. Refused here, naming the symbol and
  both sets of assumptions.
* An empty support (``binomial`` with ``n = -3``: ``Range(0, -2)``) has no distribution.
* An integer ``Range`` support must start at a finite value (sums start there); a real
  variable on a ``Range`` gets a hint that a continuous density needs an ``Interval``.
* A finite integer support has at most :data:`MAX_FINITE_SUPPORT` points.
"""

from __future__ import annotations

from collections.abc import Iterable

import sympy as sp

from symfisher.errors import SymfisherError, UnknownNameError

__all__ = ["MAX_FINITE_SUPPORT", "check_support_sets", "check_symbol_names"]

MAX_FINITE_SUPPORT = 100_000
"""Most points of a finite integer support: expectations and the numeric cross-check sum
over it exactly, and for ``binomial(n = 10**6)`` those exact coefficients have hundreds of
thousands of digits (an infinite support ``Range(0, oo)`` is summed until its tail vanishes)."""


def _assumptions(s: sp.Symbol) -> str:
    facts = {
        k: v
        for k, v in s.assumptions0.items()
        if v is True
        and k
        in (
            "positive",
            "negative",
            "nonnegative",
            "nonpositive",
            "integer",
            "real",
            "finite",
            "zero",
        )
    }
    return ", ".join(sorted(facts)) or "no assumptions"


def check_symbol_names(symbols: Iterable[sp.Symbol]) -> None:
    """Refuse two distinct symbols sharing a name (the message names it)."""
    by_name: dict[str, sp.Symbol] = {}
    for s in sorted(set(symbols), key=sp.default_sort_key):
        if not isinstance(s, sp.Symbol):
            continue
        other = by_name.setdefault(s.name, s)
        if other != s:
            raise UnknownNameError(
                f"two different symbols are both named {s.name!r} ({_assumptions(other)} / {_assumptions(s)}); "
                "SymPy treats them as unrelated. Use one Symbol object everywhere (density, support, params)."
            )


def check_support_sets(variables: tuple[sp.Symbol, ...], sets: Iterable[sp.Set]) -> None:
    """Refuse empty supports and integer ranges that start at minus infinity."""
    for var, s in zip(variables, sets):
        if s is sp.S.EmptySet or (isinstance(s, (sp.Range, sp.Interval)) and s.is_empty is True):
            raise SymfisherError(f"the support of {var} is empty ({s}): check the parameters fixed in it")
        if isinstance(s, sp.Range) and s.inf is sp.S.NegativeInfinity:
            hint = (
                f"; {var} is declared real: a continuous density needs an Interval support"
                if var.is_real and var.is_integer is None
                else ""
            )
            raise SymfisherError(f"integer support {s} of {var} is unbounded below: sums over it cannot start{hint}")
        if isinstance(s, sp.Range) and s.size.is_Integer and int(s.size) > MAX_FINITE_SUPPORT:
            raise SymfisherError(
                f"the support {s} of {var} has {s.size} points; exact sums are limited to "
                f"{MAX_FINITE_SUPPORT} (for a binomial with large n use a normal or Poisson approximation)"
            )
