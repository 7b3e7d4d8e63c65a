"""Expectations under discrete families without ``summation``.

* Finite concrete support (Bernoulli, categorical, any ``FiniteSet`` of points): the
  expectation is the finite sum ``Σ g(x) p(x)``, done term by term.
* Counts: the mass function is matched to ``p(x) ∝ h(x) θ^x`` with a carrier ``h`` whose
  generating function ``H(u) = Σ h(x) u^x`` is known:

  ====================================  ================  ====================
  carrier h(x)                          support            H(u)
  ====================================  ================  ====================
  1/x!                                  0, 1, 2, ...       e^u         (Poisson)
  1                                     0, 1, 2, ...       1/(1 − u)   (geometric)
  C(x + r − 1, x)                       0, 1, 2, ...       (1 − u)^−r  (negative binomial)
  C(n, x)                               0, ..., n          (1 + u)^n   (binomial)
  ====================================  ================  ====================

  Then ``E[x^m] = (u d/du)^m H(u) / H(u)`` at ``u = θ`` — generating functions instead
  of sums, so parameters in (0, 1) never cause the case splits ``summation`` produces.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import sympy as sp

from symfisher.errors import DerivationError

__all__ = ["finite_expectation", "count_expectation", "finite_points"]


def finite_points(support: object, nvars: int) -> list[tuple[sp.Expr, ...]] | None:
    """The points of a finite concrete support (tuples of length ``nvars``), or None."""
    sets = support if isinstance(support, tuple) else (support,)
    if len(sets) == 1 and isinstance(sets[0], sp.FiniteSet):
        pts = list(sets[0])
        return [tuple(p) if isinstance(p, (tuple, sp.Tuple)) else (p,) for p in pts]
    if len(sets) == 1 and isinstance(sets[0], sp.Range) and sets[0].size.is_Integer and nvars == 1:
        return [(v,) for v in sets[0]]
    return None


def finite_expectation(
    g: sp.Expr, logpdf: sp.Expr, xs: Sequence[sp.Symbol], points: Sequence[tuple[sp.Expr, ...]]
) -> sp.Expr:
    """``Σ_points g(x) exp(logpdf(x))``.

    Examples
    --------
    >>> x = sp.Symbol("x"); p = sp.Symbol("p", positive=True)
    >>> finite_expectation(x, x * sp.log(p) + (1 - x) * sp.log(1 - p), [x], [(0,), (1,)])
    p
    """
    total = sp.S.Zero
    for pt in points:
        sub = dict(zip(xs, pt))
        total += g.xreplace(sub) * sp.exp(sp.expand_log(logpdf.xreplace(sub), force=True))
    return total


def _moment_gf(H: sp.Expr, u: sp.Symbol, m: int) -> sp.Expr:
    expr = H
    for _ in range(m):
        expr = u * sp.diff(expr, u)
    return expr / H


def _same_up_to_constant(h: sp.Expr, cand: sp.Expr, x: sp.Symbol) -> bool:
    """Whether ``h(x) − cand(x)`` is constant in x on 0..5 (numeric check, fixed seed)."""
    rng = random.Random(12345)
    others = sorted((h.free_symbols | cand.free_symbols) - {x}, key=str)
    vals = {s: sp.Rational(rng.randint(7, 40), 4) for s in others}
    diffs = []
    for k in range(6):
        try:
            diffs.append(sp.N((h - cand).xreplace(vals).xreplace({x: k}).rewrite(sp.gamma), 30))
        except (TypeError, ValueError):
            return False
    return all(abs(dv - diffs[0]) < 1e-20 for dv in diffs)


def _carrier(h: sp.Expr, x: sp.Symbol, support: sp.Range, u: sp.Symbol) -> sp.Expr | None:
    """Generating function of the carrier ``exp(h)`` on ``support``, or None."""
    infinite = support.inf == 0 and support.sup == sp.oo
    if infinite:
        if _same_up_to_constant(h, sp.S.Zero, x):
            return 1 / (1 - u)
        if _same_up_to_constant(h, -sp.loggamma(x + 1), x):
            return sp.exp(u)
        r = _nb_shape(h, x)
        if r is not None:
            return (1 - u) ** (-r)
        return None
    n = support.sup
    if support.inf == 0 and _same_up_to_constant(h, sp.log(sp.binomial(n, x)).rewrite(sp.gamma), x):
        return (1 + u) ** n
    return None


def _nb_shape(h: sp.Expr, x: sp.Symbol) -> sp.Expr | None:
    """r when ``h = log C(x + r − 1, x)`` up to a constant."""
    for lg in h.atoms(sp.loggamma, sp.binomial, sp.gamma, sp.factorial):
        arg = lg.args[0]
        r = sp.expand(arg - x)
        if r.free_symbols & {x} or r == 1:
            continue
        if _same_up_to_constant(h, sp.loggamma(x + r) - sp.loggamma(x + 1), x):
            return r
    return None


def count_expectation(g: sp.Expr, logpdf: sp.Expr, x: sp.Symbol, support: sp.Range) -> sp.Expr:
    """E[g(x)] for a polynomial ``g`` under a count family with a known carrier.

    Examples
    --------
    >>> x = sp.Symbol("x", integer=True, nonnegative=True); lam = sp.Symbol("lam", positive=True)
    >>> count_expectation(x**2, x * sp.log(lam) - lam - sp.log(sp.factorial(x)), x, sp.Range(0, sp.oo))
    lam**2 + lam
    """
    expanded = sp.expand(sp.expand_log(logpdf, force=True))
    log_theta, carrier = sp.S.Zero, sp.S.Zero
    for term in sp.Add.make_args(expanded):
        coef, dep = term.as_independent(x, as_Add=False)
        if dep == x:
            log_theta += coef
        elif dep != 1:
            carrier += term
    u = sp.Dummy("u", positive=True)
    H = _carrier(carrier, x, support, u)
    if H is None:
        raise DerivationError(f"the carrier exp({carrier}) of the mass function has no known generating function")
    try:
        poly = sp.Poly(sp.expand(g), x)
    except sp.PolynomialError as exc:
        raise DerivationError(f"{g} is not a polynomial in {x}: generating functions give moments only") from exc
    theta = sp.exp(log_theta)
    total = sp.S.Zero
    for (m,), coef in poly.terms():
        if coef.has(x):
            raise DerivationError(f"{g} is not a polynomial in {x}")
        total += coef * sp.cancel(sp.powsimp(_moment_gf(H, u, m).subs(u, theta)))
    return total
