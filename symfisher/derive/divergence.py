"""Kullback–Leibler divergence of a family in closed form.

``KL(p_θ₁ ‖ p_θ₂) = E_θ₁[ℓ(x; θ₁) − ℓ(x; θ₂)]`` is computed by the expectation engine
(:func:`symfisher.derive.expectation.engine.closed_expectation`) with θ₂ as constants,
cross-checked numerically at pairs of parameter points
(:func:`symfisher.derive.check.expectations_check.check_expectations`), then
expressed in two tuples of fresh symbols (SymPy ``Dummy`` objects, which cannot
clash with any user symbol), named ``<param>_1`` and ``<param>_2`` and carrying the
assumptions the parameter domains imply.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sympy as sp

from symfisher._runtime.caches import memo
from symfisher.derive.geometry.metric import is_family
from symfisher.errors import DerivationError, InputTypeError
from symfisher.families.domains import assumptions_of as _assumptions
from symfisher.families.protocol import FamilyLike

__all__ = ["KLDivergence", "kl_divergence"]


def fresh_parameters(fam: FamilyLike, tag: str) -> tuple[sp.Dummy, ...]:
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


def _check_kl(
    fam: Any, kl: sp.Expr, th1: tuple[sp.Dummy, ...], th2: tuple[sp.Dummy, ...], integrand: sp.Expr, n_pairs: int = 2
) -> None:
    """Cross-check KL(θ₁‖θ₂) = E_θ₁[ℓ(x; θ₁) − ℓ(x; θ₂)] at pairs of parameter points.

    ``integrand`` is written in ``fam.params`` (standing for θ₁) and ``th2``; each pair
    draws θ₁ and θ₂ from the family's check points (fixed constants shared, from the
    first point of the pair).
    """
    from symfisher.derive.check.expectations_check import check_expectations
    from symfisher.derive.check.points import sample_points

    pts = sample_points(fam, 2 * n_pairs, salt="kl-divergence")
    pairs = [
        {**a, **{t1: a[s] for s, t1 in zip(fam.params, th1)}, **{t2: b[s] for s, t2 in zip(fam.params, th2)}}
        for a, b in zip(pts[::2], pts[1::2])
    ]
    label = f"KL({getattr(fam, 'name', 'family')})"
    check_expectations(fam, {label: integrand}, {label: kl}, points=pairs)


@dataclass(frozen=True)
class KLDivergence:
    """KL(p_θ₁ ‖ p_θ₂) of a family in closed form.

    Attributes
    ----------
    expr : sympy.Expr
        The divergence in ``theta1`` and ``theta2``.
    theta1, theta2 : tuple of sympy.Dummy
        Fresh parameter symbols (length p each, ``family.params`` order).
    family : str
        The family's name.
    checked : bool
        Whether the closed form passed the numeric cross-check.

    Unpacks as ``kl, theta1, theta2 = kl_divergence(fam)``.
    """

    expr: sp.Expr
    theta1: tuple[sp.Dummy, ...]
    theta2: tuple[sp.Dummy, ...]
    family: str
    checked: bool

    def __iter__(self) -> Iterator[Any]:
        return iter((self.expr, self.theta1, self.theta2))

    def summary(self) -> str:
        """The formula and whether it was cross-checked."""
        how = "cross-checked by 30-digit quadrature at pairs of points" if self.checked else "NOT cross-checked"
        return f"KL({self.family}) = {self.expr}  [{how}]"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the formula as a string readable by ``symfisher.parse``)."""
        return {
            "family": self.family,
            "expr": str(self.expr),
            "theta1": [str(t) for t in self.theta1],
            "theta2": [str(t) for t in self.theta2],
            "checked": self.checked,
        }

    def _repr_latex_(self) -> str:
        return f"$\\displaystyle {sp.latex(self.expr)}$"


@memo(maxsize=64)
def _kl(fam: Any, check: bool) -> KLDivergence:
    from symfisher.derive.expectation.engine import closed_expectation

    th1, th2 = fresh_parameters(fam, "1"), fresh_parameters(fam, "2")
    ell = sp.sympify(fam.logpdf)
    diff = ell - ell.subs(dict(zip(fam.params, th2)), simultaneous=True)
    try:
        value = closed_expectation(sp.expand_log(diff, force=False), fam, budget=FALLBACK_BUDGET)
    except DerivationError as exc:
        raise DerivationError(
            f"KL divergence of {fam.name} has no closed form from the expectation engine "
            f"({exc}); evaluate it numerically with mpmath quadrature instead"
        ) from exc
    kl = _simplify(value.subs(dict(zip(fam.params, th1)), simultaneous=True))
    if check:
        _check_kl(fam, kl, th1, th2, diff)
    return KLDivergence(kl, th1, th2, str(getattr(fam, "name", "family")), bool(check))


def kl_divergence(fam: Any, *, check: bool = True) -> KLDivergence:
    """Closed-form Kullback–Leibler divergence ``KL(p_θ₁ ‖ p_θ₂)`` of a family.

    ``KL = E_θ₁[ℓ(x; θ₁) − ℓ(x; θ₂)]`` from the expectation engine, cross-checked by
    mpmath quadrature or summation (30 digits) at deterministic pairs of parameter
    points before it is returned.

    Parameters
    ----------
    fam : Family
        A family with p parameters.
    check : bool
        Run the numeric cross-check (default True; off is for experiments). Results are
        cached per family and flag.

    Returns
    -------
    KLDivergence
        ``.expr`` (the divergence in ``theta1`` and ``theta2``), ``.theta1``/``.theta2``
        (fresh parameter symbols, length p each, ``family.params`` order, that cannot
        clash with the family's symbols), ``.summary()``, ``.to_dict()``; it unpacks as
        ``kl, theta1, theta2``.

    Raises
    ------
    DerivationError
        When an expectation has no closed form (the message names the term), or the
        closed form fails the numeric check (the message names the pair of points).

    Examples
    --------
    >>> import symfisher as sf
    >>> kl, (l1,), (l2,) = kl_divergence(sf.family("poisson"))     # doctest: +SKIP
    >>> kl                                                          # doctest: +SKIP
    lambda_1*log(lambda_1) - lambda_1*log(lambda_2) - lambda_1 + lambda_2
    """
    if not is_family(fam):
        raise InputTypeError(f"kl_divergence needs a Family, got {type(fam).__name__}")
    return _kl(fam, bool(check))
