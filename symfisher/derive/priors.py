"""Quantities built directly on the Fisher matrix: Jeffreys prior, Cramér–Rao bound."""

from __future__ import annotations

from typing import Any

import sympy as sp

from symfisher.derive.fisher.canonical import canonical
from symfisher.derive.identifiability import require_invertible
from symfisher.errors import DerivationError, SymfisherError
from symfisher.families.protocol import FamilyLike

__all__ = ["jeffreys_prior", "cramer_rao"]


def _matrix(fam: FamilyLike, **options: Any) -> sp.Matrix:
    from symfisher.derive.fisher.api import fisher

    info = fisher(fam, **options)
    if getattr(info, "is_numeric", False):
        raise DerivationError("the Fisher matrix has no closed form; a symbolic prior/bound needs one")
    return sp.Matrix(info)


def _simplify_sqrt(expr: sp.Expr, params: tuple[sp.Symbol, ...]) -> sp.Expr:
    return sp.powsimp(sp.sqrt(sp.factor(expr)), force=False)


def jeffreys_prior(fam: FamilyLike, **options: Any) -> sp.Expr:
    """The (unnormalised) Jeffreys prior √det I(θ), simplified.

    Parameters
    ----------
    fam : Family or family-like
        p parameters.
    **options
        Passed to :func:`symfisher.fisher`.

    Returns
    -------
    sympy.Expr
        A scalar function of the parameters.

    Examples
    --------
    >>> import symfisher as sf
    >>> x = sp.Symbol("x"); mu = sp.Symbol("mu", real=True); s = sp.Symbol("sigma", positive=True)
    >>> fam = sf.Family(-(x - mu)**2 / (2 * s**2) - sp.log(s) - sp.log(2 * sp.pi) / 2,
    ...                 x, [mu, s], sp.Interval(-sp.oo, sp.oo))
    >>> sf.jeffreys_prior(fam)
    sqrt(2)/sigma**2
    """
    det = canonical(_matrix(fam, **options).det(method="berkowitz"))
    return canonical(_simplify_sqrt(det, tuple(fam.params)))


def cramer_rao(fam: FamilyLike, g: sp.Expr | None = None, **options: Any) -> sp.Expr:
    """Cramér–Rao lower bound ∇gᵀ I(θ)⁻¹ ∇g for an unbiased estimator of g(θ).

    Parameters
    ----------
    fam : Family or family-like
        p parameters θ.
    g : sympy.Expr, optional
        A scalar function of the parameters (default: the first parameter).
    **options
        Passed to :func:`symfisher.fisher`.

    Returns
    -------
    sympy.Expr
        The bound (variance of one observation's unbiased estimator of g).

    Raises
    ------
    SymfisherError
        When g involves symbols that are not parameters or constants of the family.

    Examples
    --------
    >>> import symfisher as sf
    >>> x = sp.Symbol("x"); lam = sp.Symbol("lam", positive=True)
    >>> sf.cramer_rao(sf.Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo)), 1 / lam)
    lam**(-2)
    """
    params = tuple(fam.params)
    g = params[0] if g is None else sp.sympify(g)
    allowed = set(params) | set(getattr(fam, "fixed", ()))
    stray = g.free_symbols - allowed
    if stray:
        raise SymfisherError(
            f"cramer_rao: g = {g} uses {sorted(map(str, stray))}, which are not parameters of the family"
        )
    grad = sp.Matrix([sp.diff(g, t) for t in params])
    info = _matrix(fam, **options)
    require_invertible(info, params, "cramer_rao")
    sol = info.LUsolve(grad)
    return canonical((grad.T * sol)[0, 0])
