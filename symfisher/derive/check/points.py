"""Deterministic pseudo-random parameter points for the numeric cross-check.

Points lie inside every parameter's domain and satisfy the family's joint
constraints; fixed constants (a binomial's n, a Student-t's ν) get values from their
assumptions. The generator is seeded from the family's content key, so a derivation
(and its check) is reproducible run to run. Values are short exact rationals, so a
closed form can be evaluated at them to any precision.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import sympy as sp

from symfisher.errors import DerivationError
from symfisher.families.protocol import FamilyLike

__all__ = ["family_seed", "sample_points", "extra_values"]

_MAX_TRIES = 500


def family_seed(fam: FamilyLike, salt: str = "") -> int:
    """A 64-bit seed derived from the family's content key (and an optional salt)."""
    key = getattr(fam, "key", None) or sp.srepr(sp.sympify(fam.logpdf))
    return int(hashlib.sha256(f"{key}|{salt}".encode()).hexdigest()[:16], 16)


def _rational(v: float) -> sp.Rational:
    return sp.Rational(int(round(v * 1000)), 1000)


def _draw_interval(dom: sp.Interval, rng: np.random.Generator, shrink: float = 1.0) -> sp.Rational:
    lo, hi = dom.inf, dom.sup
    if lo.is_finite and hi.is_finite:
        value = _rational(float(lo) + float(hi - lo) * shrink * rng.uniform(0.15, 0.85))
    elif lo.is_finite:
        value = _rational(float(lo) + rng.uniform(0.6, 2.6))
    elif hi.is_finite:
        value = _rational(float(hi) - rng.uniform(0.6, 2.6))
    else:
        value = _rational(rng.uniform(-1.5, 1.5))
    return value


def _draw_domain(sym: sp.Symbol, dom: Any, rng: np.random.Generator, shrink: float = 1.0) -> sp.Expr:
    dom = sp.sympify(dom)
    integer = False
    if isinstance(dom, sp.Intersection) and sp.Integers in dom.args:
        integer = True
        rest = [a for a in dom.args if a != sp.Integers]
        dom = rest[0] if len(rest) == 1 else sp.Intersection(*rest)
    if isinstance(dom, sp.FiniteSet):
        elems = sorted(dom, key=sp.default_sort_key)
        return elems[int(rng.integers(len(elems)))]
    if isinstance(dom, sp.Range):
        lo = int(dom.inf)
        hi = int(dom.sup) if dom.sup.is_finite else lo + 6
        return sp.Integer(int(rng.integers(lo, hi + 1)))
    if dom == sp.Reals:
        dom = sp.Interval(-sp.oo, sp.oo)
    if not isinstance(dom, sp.Interval):
        raise DerivationError(f"cannot draw check points for parameter {sym}: unsupported domain {dom}")
    value = _draw_interval(dom, rng, shrink)
    if integer:
        value = sp.Integer(max(int(sp.ceiling(dom.inf)) if dom.inf.is_finite else -3, round(float(value)) + 2))
    return value


def _fixed_value(sym: sp.Symbol, rng: np.random.Generator) -> sp.Expr:
    if sym.is_integer:
        low = 1 if sym.is_positive or sym.is_nonnegative else -3
        return sp.Integer(int(rng.integers(max(low, 2), 7)))
    if sym.is_negative:
        return _rational(-rng.uniform(0.6, 3.0))
    return _rational(rng.uniform(0.6, 3.0))


def _satisfied(constraints: tuple, values: dict) -> bool:
    for c in constraints:
        truth = sp.sympify(c).xreplace(values)
        if truth is not sp.true and truth is not True:
            return False
    return True


def sample_points(fam: FamilyLike, count: int, salt: str = "check") -> list[dict[sp.Symbol, sp.Expr]]:
    """``count`` parameter points inside the domains and constraints of ``fam``.

    Parameters
    ----------
    fam : Family or family-like
        Needs ``params``, ``domains``, ``constraints`` and ``fixed``.
    count : int
        Number of points.
    salt : str
        Varies the stream (different purposes draw different points).

    Returns
    -------
    list of dict
        Each maps every parameter and every fixed constant to an exact rational
        (integer for integer symbols).

    Raises
    ------
    DerivationError
        When no point satisfying the constraints is found.

    Examples
    --------
    >>> from symfisher.families.base import Family
    >>> x = sp.Symbol("x"); lam = sp.Symbol("lam", positive=True)
    >>> pts = sample_points(Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo)), 2)
    >>> all(pt[lam] > 0 for pt in pts)
    True
    """
    rng = np.random.default_rng(family_seed(fam, salt))
    constraints = tuple(getattr(fam, "constraints", ()))
    fixed = tuple(getattr(fam, "fixed", ()))
    domains = getattr(fam, "domains", {})
    points: list[dict[sp.Symbol, sp.Expr]] = []
    for _ in range(count):
        for _try in range(_MAX_TRIES):
            # after every 50 rejections, bounded parameters move halfway to their lower
            # ends: a joint constraint like p_1 + ... + p_5 < 1 (categorical with 6
            # outcomes) is then met although uniform draws almost never meet it
            shrink = 0.5 ** (_try // 50)
            values = {s: _fixed_value(s, rng) for s in fixed}
            for s in fam.params:
                values[s] = _draw_domain(s, domains.get(s, sp.Reals), rng, shrink)
            if _satisfied(constraints, values):
                points.append(values)
                break
        else:
            raise DerivationError(
                f"no parameter point satisfying the constraints {list(constraints)} was found "
                f"in {_MAX_TRIES} draws; cannot run the numeric cross-check"
            )
    return points


def extra_values(fam: Any, symbols: Any, salt: str = "extra") -> dict[sp.Symbol, sp.Expr]:
    """Deterministic values for symbols that are neither parameters nor fixed constants.

    An expectation may depend on other constants (a weight vector w in E[e^{wᵀx}]); they
    get values from their assumptions like fixed constants (integers for integer symbols,
    negative for negative ones, else in [0.6, 3]), seeded from the family and the names.

    Examples
    --------
    >>> from symfisher.families.base import Family
    >>> x = sp.Symbol("x"); lam = sp.Symbol("lam", positive=True); w = sp.Symbol("w", negative=True)
    >>> extra_values(Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo)), [w])[w] < 0
    True
    """
    ordered = sorted(symbols, key=lambda s: s.name)
    rng = np.random.default_rng(family_seed(fam, salt + "|" + ",".join(s.name for s in ordered)))
    return {s: _fixed_value(s, rng) for s in ordered}
