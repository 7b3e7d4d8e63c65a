"""Resource limits of the safe parser: what building an expression may cost.

SymPy evaluates eagerly: ``9**9**9`` is an exact integer, ``factorial(n)``,
``polygamma(m, n)`` and ``zeta(2n)`` at integer arguments become exact rationals, and
``Max``/``Min`` compare their arguments pairwise with assumption queries. Before the
parser builds such a node it charges the estimated size of the result (in bits) to a
:class:`Budget` of one parse call; an input that would exceed it is rejected.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from symfisher.errors import ParseError

__all__ = [
    "LATTICE_PAIR_BITS",
    "MAX_HEAVY_ARGUMENT",
    "MAX_LATTICE_ARGS",
    "NUMBER_BUDGET_BITS",
    "Budget",
    "MAX_DIGITS",
    "exp_cost",
    "heavy_cost",
    "lattice_count",
    "power_cost",
]

NUMBER_BUDGET_BITS = 200_000
"""Total estimated size (bits) of what one parse call may compute eagerly."""
MAX_HEAVY_ARGUMENT = 1000
"""Largest |n| of a rational argument of factorial, gamma, zeta, polygamma, ..."""
MAX_LATTICE_ARGS = 12
"""Most arguments of one Max/Min (SymPy compares them pairwise)."""
LATTICE_PAIR_BITS = 500
"""Budget charged per pair of Max/Min arguments (so about 400 pairs per parse)."""
MAX_DIGITS = 4000
"""Most decimal digits of one eagerly computed number or integer literal: below Python's
int-to-str limit (4300 digits), so every accepted number can be printed."""
"""Budget charged per pair of Max/Min arguments (so about 400 pairs per parse)."""

_PRODUCT_COST = frozenset({"polygamma", "harmonic", "lowergamma", "uppergamma"})


class Budget:
    """Bits of eagerly computed results left for one parse call (one instance per call).

    Examples
    --------
    >>> b = Budget(10)
    >>> b.spend(4, "a power"); b.left
    6
    """

    def __init__(self, bits: int = NUMBER_BUDGET_BITS) -> None:
        self.left = bits

    def spend(self, bits: int, what: str) -> None:
        """Charge ``bits``; raise :class:`ParseError` naming ``what`` when overdrawn or when
        the one result would have more than :data:`MAX_DIGITS` digits."""
        digits = int(bits * 0.30103)
        if digits > MAX_DIGITS:
            raise ParseError(
                f"{what} is too costly to compute eagerly (about {digits} digits; limit {MAX_DIGITS} digits per number)"
            )
        self.left -= bits
        if self.left < 0:
            raise ParseError(f"{what} is too costly to compute eagerly (budget of {NUMBER_BUDGET_BITS} exceeded)")


def _rational_bits(value: Any) -> int:
    if isinstance(value, sp.Rational):
        return max(abs(int(value.p)).bit_length(), int(value.q).bit_length())
    return 0


def _number_bits(value: Any) -> float:
    """Bits per unit exponent of an exact number SymPy expands when raised to a power:
    a rational, a rational power of one (``sqrt(3)`` = 3**(1/2)), products and sums of those."""
    if isinstance(value, sp.Rational):
        bits = _rational_bits(value)
        return bits if bits > 1 else 0
    if isinstance(value, sp.Pow) and isinstance(value.base, sp.Rational) and isinstance(value.exp, sp.Rational):
        return _number_bits(value.base) * abs(float(value.exp))
    if isinstance(value, (sp.Mul, sp.Add)) and value.is_number:
        return sum(_number_bits(a) for a in value.args)
    return 0


def power_cost(base: Any, exp: Any) -> int:
    """Estimated bits of ``base**exp`` for an exact number raised to a rational (0 otherwise).

    Examples
    --------
    >>> power_cost(sp.Integer(9), sp.Integer(9**9)) > NUMBER_BUDGET_BITS
    True
    >>> power_cost(sp.sqrt(3), sp.Integer(10**8)) > NUMBER_BUDGET_BITS
    True
    """
    if not isinstance(exp, sp.Rational):
        return 0
    return int(_number_bits(base) * float(sp.ceiling(abs(exp))))


def exp_cost(arg: Any) -> int:
    """Estimated bits of ``exp(arg)``: SymPy turns ``exp(n*log(3))`` into ``3**n``.

    Examples
    --------
    >>> exp_cost(10**9 * sp.log(3)) > NUMBER_BUDGET_BITS
    True
    """
    total = 0
    for term in sp.Add.make_args(arg):
        coeff, rest = term.as_coeff_Mul()
        if isinstance(rest, sp.log) and isinstance(coeff, sp.Rational):
            total += power_cost(rest.args[0], coeff)
    return total


def heavy_cost(fname: str, args: list[Any]) -> int:
    """Estimated bits of ``fname(*args)`` for a function that evaluates at rational arguments.

    ``polygamma(m, n)``, ``harmonic(n, m)``, ``lowergamma(n, x)`` and ``uppergamma(n, x)``
    expand into about n terms of size ~m (or ~n log x), so their cost grows like the
    product of the argument sizes; the others (``factorial``, ``zeta``, ...) like the sum.

    Examples
    --------
    >>> heavy_cost("polygamma", [sp.Integer(1000), sp.Integer(1000)]) > NUMBER_BUDGET_BITS
    True
    """
    sizes = [int(abs(a)) + 2 for a in args if isinstance(a, sp.Rational)]
    if not sizes:
        return 0
    product = fname in _PRODUCT_COST and len(sizes) == 2
    total = sizes[0] * sizes[1] if product else sum(sizes)
    return total * max(sizes).bit_length()


def lattice_count(fname: str, args: list[Any]) -> int:
    """Number of arguments ``Max``/``Min`` will compare, after flattening nested calls."""
    head = getattr(sp, fname)
    return sum(len(a.args) if isinstance(a, head) else 1 for a in args)
