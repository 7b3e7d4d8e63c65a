"""Detection of log-densities that are not twice differentiable in the parameters.

The Hessian route −E[∇²ℓ] to the Fisher information differentiates the log-density
twice under the expectation. Where ℓ contains a term such as ``Abs(x - mu)`` the
pointwise second derivative misses the Dirac delta at the kink (for the Laplace
location family it gives I_μμ = 0 instead of 1/b²). Such terms are found here
generically — any non-smooth function whose argument involves both a data variable
and a parameter — so the engine can use the score route E[s sᵀ] instead and record
why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from symfisher.families.protocol import FamilyLike

__all__ = ["NonSmoothTerm", "non_smooth_terms", "hessian_route_problem"]

_NON_SMOOTH: tuple[type[sp.Basic], ...] = (
    sp.Abs,
    sp.sign,
    sp.Max,
    sp.Min,
    sp.Heaviside,
    sp.Piecewise,
    sp.DiracDelta,
    sp.floor,
    sp.ceiling,
    sp.frac,
)


@dataclass(frozen=True)
class NonSmoothTerm:
    """A non-smooth sub-expression of a log-density.

    Attributes
    ----------
    term : sympy.Expr
        The offending sub-expression (e.g. ``Abs(x - mu)``).
    params : tuple of Symbol
        Parameters that appear in it.
    """

    term: sp.Expr
    params: tuple[sp.Symbol, ...]


def non_smooth_terms(expr: sp.Expr, variables: Any, params: Any) -> tuple[NonSmoothTerm, ...]:
    """Non-smooth sub-expressions that involve a data variable and a parameter.

    Parameters
    ----------
    expr : sympy.Expr
        A log-density ℓ(x; θ).
    variables, params : sequence of Symbol
        Data variables x and parameters θ.

    Returns
    -------
    tuple of NonSmoothTerm
        In a deterministic order (sorted by their string form).

    Examples
    --------
    >>> x, mu = sp.symbols("x mu", real=True)
    >>> [t.term for t in non_smooth_terms(-sp.Abs(x - mu), [x], [mu])]
    [Abs(mu - x)]
    """
    xs, ps = set(variables), set(params)
    found: dict[str, NonSmoothTerm] = {}
    for node in sp.preorder_traversal(expr):
        if not isinstance(node, _NON_SMOOTH):
            continue
        free = node.free_symbols
        hit = tuple(sorted(free & ps, key=lambda s: s.name))
        if free & xs and hit:
            found.setdefault(str(node), NonSmoothTerm(node, hit))
    return tuple(found[k] for k in sorted(found))


def hessian_route_problem(fam: FamilyLike) -> str | None:
    """Why the pointwise Hessian route is invalid for ``fam``, or None if it is valid.

    Parameters
    ----------
    fam : Family or family-like
        Needs ``logpdf``, ``variables`` and ``params``.

    Returns
    -------
    str or None
        A sentence naming the non-smooth terms, suitable for a result's provenance.

    Examples
    --------
    >>> x, mu = sp.symbols("x mu", real=True)
    >>> from symfisher.families.base import Family
    >>> fam = Family(-sp.Abs(x - mu) - sp.log(2), x, [mu], sp.Reals)
    >>> print(hessian_route_problem(fam))  # doctest: +ELLIPSIS
    Hessian route invalid: the log-density has Abs(mu - x), not twice differentiable...
    """
    terms = non_smooth_terms(sp.sympify(fam.logpdf), fam.variables, fam.params)
    if not terms:
        return None
    listed = ", ".join(str(t.term) for t in terms)
    names = ", ".join(sorted({p.name for t in terms for p in t.params}))
    return (
        f"Hessian route invalid: the log-density has {listed}, not twice differentiable "
        f"in {names} (the pointwise Hessian misses the Dirac delta at the kink); "
        "score route E[s s^T] used"
    )
