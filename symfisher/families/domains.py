"""Parameter domains in their three forms, converted in ONE place.

A domain is a SymPy set (``Interval.open(0, oo)``); SymPy states it as symbol
assumptions (``positive=True``); compiled kernels and numeric code check it as a float
interval ``(lo, hi, lo_closed, hi_closed)``. Every conversion between the three lives
here, so that no copy can drift (a copy in the KL code once dropped ``negative`` and
derived the KL of ``normal_natural`` for a parameter that lost its sign).

Examples
--------
>>> import sympy as sp
>>> assumptions_of(sp.Interval.open(-sp.oo, 0))
{'negative': True}
>>> domain_from_assumptions(sp.Symbol("s", positive=True))
Interval.open(0, oo)
>>> float_interval(sp.Interval.Lopen(0, 1))
(0.0, 1.0, False, True)
"""

from __future__ import annotations

import math

import sympy as sp

from symfisher.errors import InputTypeError

__all__ = ["assumptions_of", "domain_from_assumptions", "float_interval", "symbol_interval"]


def assumptions_of(domain: sp.Set) -> dict[str, bool]:
    """The strongest sign assumption a real domain implies (``{}`` for a non-real set).

    ``positive``, ``negative``, ``nonnegative``, ``nonpositive``, else ``real``.
    """
    if not isinstance(domain, sp.Set) or domain is sp.S.EmptySet or not domain.is_subset(sp.Reals):
        return {}
    checks = (
        ("positive", sp.Interval.open(0, sp.oo)),
        ("negative", sp.Interval.open(-sp.oo, 0)),
        ("nonnegative", sp.Interval(0, sp.oo)),
        ("nonpositive", sp.Interval(-sp.oo, 0)),
    )
    for name, half_line in checks:
        if domain.is_subset(half_line):
            return {name: True}
    return {"real": True}


def _sign_interval(sym: sp.Symbol) -> sp.Set:
    if sym.is_positive:
        return sp.Interval.open(0, sp.oo)
    if sym.is_nonnegative:
        return sp.Interval(0, sp.oo)
    if sym.is_negative:
        return sp.Interval.open(-sp.oo, 0)
    if sym.is_nonpositive:
        return sp.Interval(-sp.oo, 0)
    return sp.Reals


def domain_from_assumptions(sym: sp.Symbol) -> sp.Set:
    """The domain a symbol's assumptions state (integers intersected for integer symbols).

    ``positive`` → (0, ∞), ``nonnegative`` → [0, ∞), ``negative`` → (−∞, 0),
    ``nonpositive`` → (−∞, 0], otherwise ℝ.
    """
    dom = _sign_interval(sym)
    return dom.intersect(sp.Integers) if sym.is_integer else dom


def float_interval(domain: sp.Set) -> tuple[float, float, bool, bool]:
    """``(lo, hi, lo_closed, hi_closed)`` of an interval (infinite ends are open).

    Raises
    ------
    TypeError
        If ``domain`` is not a :class:`sympy.Interval` (or ℝ).
    """
    if domain == sp.Reals:
        return (-math.inf, math.inf, False, False)
    if not isinstance(domain, sp.Interval):
        raise InputTypeError(f"domain must be a sympy.Interval, got {domain!r}")
    lo, hi = float(domain.start), float(domain.end)
    return (lo, hi, not domain.left_open and math.isfinite(lo), not domain.right_open and math.isfinite(hi))


def symbol_interval(sym: sp.Symbol) -> tuple[float, float, bool, bool]:
    """:func:`float_interval` of the domain a symbol's assumptions state (integers ignored)."""
    return float_interval(_sign_interval(sym))
