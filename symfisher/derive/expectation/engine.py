"""The expectation engine: closed forms of E_θ[g(x, θ)] under a family.

Order of techniques (measured: the structural routes answer in milliseconds to a
fraction of a second, ``integrate`` in seconds to never):

1. linearity: ``g`` is split into its ``Add`` terms, x-free factors are pulled out,
   equal statistics are grouped, and x-free terms are their own expectation;
2. a *route* chosen once per family (cached by the family's content key):

   * finite concrete support → a finite sum (Bernoulli, categorical);
   * counts with a known carrier → generating functions (Poisson, binomial,
     geometric, negative binomial) — :mod:`~symfisher.derive.expectation.discrete`;
   * simplex support with a Dirichlet log-density → the Dirichlet Mellin transform;
   * all-real support with a quadratic log-density (any dimension) → Gaussian
     moments by Isserlis — :mod:`~symfisher.derive.expectation.gauss`;
   * one continuous variable → a chain of substitutions (location–scale, folding,
     exp/log, interval maps) ending in a standard kernel, whose expectations come
     from Mellin transforms, Gaussian moments or Bessel ratios —
     :mod:`~symfisher.derive.expectation.reduce`;

3. per statistic that the route cannot do: SymPy ``integrate``/``summation`` in a
   forked child under the time budget (parameters in (0, 1) substituted
   ``p = q/(1+q)``), then — for parameter-free constants — mpmath quadrature and PSLQ
   recognition confirmed to more digits (:mod:`~symfisher.derive.expectation.fallback`).

The result is brought to a canonical form (:func:`~symfisher.derive.expectation.tidy.tidy`);
it never contains an unevaluated ``Integral`` or ``Sum``. :func:`expectation` then
cross-checks it numerically (:mod:`symfisher.derive.check.expectations_check`);
:func:`closed_expectation` is the unchecked entry for callers that check what they build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy as sp

from symfisher._runtime.caches import memo
from symfisher.derive.expectation.discrete import count_expectation, finite_expectation, finite_points
from symfisher.derive.expectation.fallback import integrate_with_budget
from symfisher.derive.expectation.gauss import gaussian_expectation, quadratic_form
from symfisher.derive.expectation.kernels import Density1D
from symfisher.derive.expectation.mellin import dirichlet_kernel, mellin_expectation
from symfisher.derive.expectation.reduce import find_reduction
from symfisher.derive.expectation.tidy import tidy
from symfisher.errors import DerivationError
from symfisher.families.protocol import FamilyLike
from symfisher.families.sets import Simplex

__all__ = ["expectation", "closed_expectation", "Route", "route_for", "linear_terms"]


@dataclass(frozen=True)
class Route:
    """How a family's expectations are computed.

    Attributes
    ----------
    name : str
        ``"finite"``, ``"generating-function"``, ``"dirichlet"``, ``"gaussian"``,
        ``"reduction:<steps>→<kernel>"`` or ``"none"``.
    expect : callable or None
        ``expect(g)`` for a statistic g of the data variables (may raise
        :class:`DerivationError` for statistics it cannot handle).
    """

    name: str
    expect: Callable[[sp.Expr], sp.Expr] | None


def linear_terms(expr: sp.Expr, xs: tuple[sp.Symbol, ...]) -> list[tuple[sp.Expr, sp.Expr]]:
    """``expr = Σ coef_i · stat_i`` with x-free ``coef_i``; equal statistics grouped.

    The constant part is returned with ``stat = 1``.

    Examples
    --------
    >>> x, a = sp.symbols("x a")
    >>> linear_terms(a * x + 2 * x + a, (x,))
    [(a, 1), (a + 2, x)]
    """
    groups: dict[sp.Expr, sp.Expr] = {}
    for term in sp.Add.make_args(sp.expand(expr, deep=False, mul=True, multinomial=False, power_base=False)):
        coef, stat = term.as_independent(*xs, as_Add=False)
        groups[stat] = groups.get(stat, sp.S.Zero) + coef
    return sorted(((c, s) for s, c in groups.items() if c != 0), key=lambda cs: sp.default_sort_key(cs[1]))


def _dirichlet_route(fam: FamilyLike) -> Route | None:
    xs = fam.variables
    rest = 1 - sp.Add(*xs)
    alphas = {v: sp.S.One for v in (*xs, rest)}
    for term in sp.Add.make_args(sp.expand(sp.expand_log(fam.logpdf, force=True))):
        coef, dep = term.as_independent(*xs, as_Add=False)
        if dep == 1:
            continue
        if not isinstance(dep, sp.log) or sp.expand(dep.args[0]) not in [sp.expand(v) for v in alphas]:
            return None
        key = next(v for v in alphas if sp.expand(v) == sp.expand(dep.args[0]))
        alphas[key] += coef
    kernel = dirichlet_kernel(xs, list(alphas.values()))
    return Route("dirichlet", lambda g: mellin_expectation(g, kernel))


def _support_sets(fam: FamilyLike) -> tuple[Any, ...]:
    return fam.support if isinstance(fam.support, tuple) else (fam.support,)


def _continuous_route(fam: FamilyLike) -> Route | None:
    sets = _support_sets(fam)
    if all(s == sp.Reals for s in sets) and (len(sets) == len(fam.variables) or len(fam.variables) == 1):
        form = quadratic_form(fam.logpdf, fam.variables)
        if form is not None:
            return Route("gaussian", lambda g: gaussian_expectation(g, fam.variables, form))
    if len(fam.variables) != 1 or not isinstance(sets[0], sp.Interval):
        return None
    x = fam.variables[0]
    inter = sets[0]
    xd = sp.Dummy(x.name, positive=True) if inter.inf == 0 else sp.Dummy(x.name, real=True)
    dens = Density1D(xd, fam.logpdf.xreplace({x: xd}), inter.inf, inter.sup)
    red = find_reduction(dens, fam.params, dict(fam.domains))
    if red is None:
        return None
    name = "reduction:" + "+".join(red.steps or ("identity",)) + "->" + red.kernel.name
    return Route(name, lambda g: red.expect(g.xreplace({x: xd})))


@memo(maxsize=256)
def route_for(fam: FamilyLike) -> Route:
    """The expectation route of a family (cached by the family's content key).

    Examples
    --------
    >>> x = sp.Symbol("x"); lam = sp.Symbol("lam", positive=True)
    >>> from symfisher.families.base import Family
    >>> route_for(Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo))).name
    'reduction:identity->GG'
    """
    xs = fam.variables
    points = finite_points(fam.support, len(xs))
    if points is not None:
        return Route("finite", lambda g: finite_expectation(g, fam.logpdf, xs, points))
    if fam.is_discrete and len(xs) == 1:
        sup = _support_sets(fam)[0]
        return Route("generating-function", lambda g: count_expectation(g, fam.logpdf, xs[0], sup))
    if isinstance(fam.support, Simplex):
        return _dirichlet_route(fam) or Route("none", None)
    return _continuous_route(fam) or Route("none", None)


def _fallback(stat: sp.Expr, fam: FamilyLike, budget: float, tried: list[str]) -> sp.Expr:
    sets = _support_sets(fam)
    if len(fam.variables) == 1 and isinstance(sets[0], (sp.Interval, sp.Range)):
        lo, hi = sets[0].inf, sets[0].sup
        try:
            return integrate_with_budget(
                stat, fam.logpdf, fam.variables[0], lo, hi, fam.domains, fam.is_discrete, budget
            )
        except DerivationError as exc:
            tried.append(str(exc))
    raise DerivationError(f"no closed form for E[{stat}] under {fam!r}; tried: " + "; ".join(tried))


def _delta_expectation(stat: sp.Expr, fam: FamilyLike) -> sp.Expr:
    """E[r(x) δ(a x + b)] = r(x0) p(x0) / |a| with x0 = −b/a (distributional Hessians).

    A pointwise Hessian of ``|x − μ|`` is 0 almost everywhere; its distributional
    second derivative is ``2 δ(x − μ)``, whose expectation this computes.
    """
    x = fam.variables[0] if len(fam.variables) == 1 else None
    deltas = [d for d in stat.atoms(sp.DiracDelta) if x is not None and x in d.free_symbols]
    if x is None or len(deltas) != 1 or len(deltas[0].args) != 1:
        raise DerivationError(f"E[{stat}]: only one first-order DiracDelta of one data variable is supported")
    delta = deltas[0]
    rest = sp.cancel(stat / delta)
    if rest.has(sp.DiracDelta):
        raise DerivationError(f"E[{stat}]: products of Dirac deltas are not supported")
    arg = sp.expand(delta.args[0])
    a = sp.diff(arg, x)
    if a == 0 or a.has(x):
        raise DerivationError(f"E[{stat}]: the delta's argument {arg} is not affine in {x}")
    x0 = sp.simplify(-arg.subs(x, 0) / a)
    return rest.subs(x, x0) * fam.pdf.subs(x, x0) / sp.Abs(a)


def _expect_stat(stat: sp.Expr, fam: FamilyLike, budget: float) -> sp.Expr:
    if stat.has(sp.DiracDelta):
        return _delta_expectation(stat, fam)
    route = route_for(fam)
    tried = []
    if route.expect is not None:
        try:
            value = route.expect(stat)
            if not value.has(sp.Integral, sp.Sum):
                return value
        except (DerivationError, sp.PolynomialError, ValueError, TypeError, ZeroDivisionError) as exc:
            tried.append(f"{route.name}: {exc}")
    else:
        tried.append("no structural route (kernel) recognised for this family")
    return _fallback(stat, fam, budget, tried)


def closed_expectation(expr: sp.Expr, fam: Any, *, budget: float = 10.0) -> sp.Expr:
    """Closed form of E_θ[expr(x, θ)], *not* cross-checked (the engine's internal entry).

    Callers that verify what they build from it (the Fisher routes, the skewness
    tensor, the KL divergence) use this; everyone else uses :func:`expectation`.
    Parameters, result and errors as in :func:`expectation`.
    """
    expr = sp.sympify(expr)
    xs = fam.variables
    if not expr.free_symbols & set(xs):
        return tidy(expr)
    total = sp.S.Zero
    for coef, stat in linear_terms(expr, xs):
        total += coef * (stat if stat == 1 else _expect_stat(stat, fam, budget))
    result = tidy(total)
    if result.has(sp.Integral, sp.Sum):
        raise DerivationError(f"E[{expr}] still contains an unevaluated integral or sum: {result}")
    return result


def expectation(expr: sp.Expr, fam: Any, *, budget: float = 10.0, check: bool = True) -> sp.Expr:
    """Closed form of E_θ[expr(x, θ)] under the family ``fam``, numerically cross-checked.

    Parameters
    ----------
    expr : sympy.Expr
        A function of the data variables ``fam.variables`` and the parameters (and of
        fixed constants of the family; no other free symbols when ``check`` is on).
    fam : Family
        The distribution of x.
    budget : float
        Seconds allowed to each SymPy ``integrate``/``summation`` fallback call.
    check : bool
        Compare the closed form with mpmath quadrature / summation at deterministic
        parameter points (:func:`~symfisher.derive.check.expectations_check.check_expectations`,
        30 digits) before returning it (default True; off is for experiments).

    Returns
    -------
    sympy.Expr
        The expectation in canonical form; never contains an ``Integral`` or ``Sum``.

    Raises
    ------
    DerivationError
        Naming the term and the techniques that were tried, or — from the check — the
        point where the closed form disagrees with the numeric value.

    Examples
    --------
    >>> import symfisher as sf
    >>> fam = sf.family("weibull")
    >>> k, lam = fam.params
    >>> x = fam.variables[0]
    >>> expectation((x / lam)**k, fam)
    1
    """
    result = closed_expectation(expr, fam, budget=budget)
    if check:
        from symfisher.derive.check.expectations_check import check_expectations

        label = f"E[{sp.sympify(expr)}]"
        check_expectations(fam, {label: sp.sympify(expr)}, {label: result})
    return result
