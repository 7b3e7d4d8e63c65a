"""Kullback–Leibler divergence of a family in closed form.

``KL(p_θ₁ ‖ p_θ₂) = E_θ₁[ℓ(x; θ₁) − ℓ(x; θ₂)]`` is computed by the expectation engine
(:func:`symfisher.derive.expectation.engine.expectation`) with θ₂ as constants, then
expressed in two tuples of fresh symbols (SymPy ``Dummy`` objects, which cannot
clash with any user symbol), named ``<param>_1`` and ``<param>_2`` and carrying the
assumptions the parameter domains imply.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from symfisher._runtime.caches import memo
from symfisher.derive.geometry.metric import is_family
from symfisher.errors import DerivationError, InputTypeError
from symfisher.families.domains import assumptions_of as _assumptions

__all__ = ["kl_divergence"]


def fresh_parameters(fam: Any, tag: str) -> tuple[sp.Dummy, ...]:
    """Fresh symbols ``<param>_<tag>`` for the family's parameters (domain assumptions kept).

    Parameters
    ----------
    fam : Family
        The family.
    tag : str
        Suffix of the names (``"1"``, ``"2"``).

    Returns
    -------
    tuple of sympy.Dummy
        Length p, in ``family.params`` order.
    """
    return tuple(sp.Dummy(f"{s.name}_{tag}", **_assumptions(fam.domains[s])) for s in fam.params)


def _simplify(expr: sp.Expr) -> sp.Expr:
    expr = sp.expand_log(sp.expand(expr))
    simp = sp.expand_log(sp.simplify(expr))
    return min([expr, simp], key=sp.count_ops)


FALLBACK_BUDGET = 1.0
"""Seconds for SymPy's ``integrate`` on a KL term no structural route closes. The
structural routes (exponential family, location–scale, Mellin, ...) decide within a
fraction of a second; a term they cannot close (E[log(1 + e^{−(x−μ₂)/s₂})] under
another logistic, E[|x − μ₂|] under a Laplace) has not been closed by ``integrate``
with 10 s either for any catalog family, so the derivation gives up quickly and the
caller can take the numeric route (quadrature of the KL integrand)."""


@memo(maxsize=64)
def _kl(fam: Any) -> tuple[sp.Expr, tuple[sp.Dummy, ...], tuple[sp.Dummy, ...]]:
    from symfisher.derive.expectation.engine import expectation

    th1, th2 = fresh_parameters(fam, "1"), fresh_parameters(fam, "2")
    ell = sp.sympify(fam.logpdf)
    diff = ell - ell.subs(dict(zip(fam.params, th2)), simultaneous=True)
    try:
        value = expectation(sp.expand_log(diff, force=False), fam, budget=FALLBACK_BUDGET)
    except DerivationError as exc:
        raise DerivationError(
            f"KL divergence of {fam.name} has no closed form from the expectation engine "
            f"({exc}); evaluate it numerically with mpmath quadrature instead"
        ) from exc
    value = value.subs(dict(zip(fam.params, th1)), simultaneous=True)
    return _simplify(value), th1, th2


def kl_divergence(fam: Any) -> tuple[sp.Expr, tuple[sp.Dummy, ...], tuple[sp.Dummy, ...]]:
    """Closed-form Kullback–Leibler divergence ``KL(p_θ₁ ‖ p_θ₂)`` of a family.

    Parameters
    ----------
    fam : Family
        A family with p parameters.

    Returns
    -------
    kl : sympy.Expr
        The divergence as a function of ``theta1`` and ``theta2``.
    theta1, theta2 : tuple of sympy.Dummy
        Fresh parameter symbols (length p each, ``family.params`` order) for the first
        and the second argument; they cannot clash with the family's symbols.

    Raises
    ------
    DerivationError
        When an expectation has no closed form (the message names the term).

    Examples
    --------
    >>> import symfisher as sf
    >>> kl, (l1,), (l2,) = kl_divergence(sf.family("poisson"))     # doctest: +SKIP
    >>> kl                                                          # doctest: +SKIP
    lambda_1*log(lambda_1) - lambda_1*log(lambda_2) - lambda_1 + lambda_2
    """
    if not is_family(fam):
        raise InputTypeError(f"kl_divergence needs a Family, got {type(fam).__name__}")
    return _kl(fam)
