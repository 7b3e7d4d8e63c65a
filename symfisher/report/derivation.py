"""The bundle of results that ``symfisher derive`` computes and the reports render.

A :class:`Derivation` holds a family, its Fisher matrix with provenance, and
optionally its score, Hessian and Jeffreys prior. The formatters in
:mod:`symfisher.report.latex`, :mod:`symfisher.report.text` and
:mod:`symfisher.report.jsonout` accept it, as well as bare matrices and results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from symfisher.families.protocol import FamilyLike

__all__ = ["Derivation", "derive_report", "fisher_matrix_of", "params_of"]


@dataclass(frozen=True)
class Derivation:
    """Results of one derivation, ready to be rendered.

    Attributes
    ----------
    family : Family or family-like
        The family (p parameters, q data variables).
    fisher : FisherResult or NumericFisher
        I(θ), shape (p, p), with provenance (routes, numeric check, notes).
    score : sympy.ImmutableMatrix or None
        ∇θ log p(x; θ), shape (p, 1).
    hessian : sympy.ImmutableMatrix or None
        ∇²θ log p(x; θ), shape (p, p).
    jeffreys : sympy.Expr or None
        √det I(θ) (unnormalised Jeffreys prior).
    """

    family: FamilyLike
    fisher: Any
    score: sp.ImmutableMatrix | None = None
    hessian: sp.ImmutableMatrix | None = None
    jeffreys: sp.Expr | None = None

    @property
    def params(self) -> tuple[sp.Symbol, ...]:
        """θ, the order of every row and column."""
        return tuple(self.family.params)


def derive_report(
    fam: FamilyLike,
    *,
    method: str = "auto",
    allow_numeric: bool = False,
    score: bool = False,
    hessian: bool = False,
    jeffreys: bool = False,
) -> Derivation:
    """Derive the Fisher matrix of ``fam`` (and on request its score, Hessian, Jeffreys prior).

    Parameters
    ----------
    fam : Family
        p parameters.
    method : {"auto", "expfam", "hessian", "score"}
        Passed to the engine.
    allow_numeric : bool
        Accept a numeric-evaluation object when no closed form exists.
    score, hessian, jeffreys : bool
        Also compute these.

    Returns
    -------
    Derivation

    Examples
    --------
    >>> import symfisher as sf
    >>> d = derive_report(sf.family("exponential"), jeffreys=True)
    >>> d.fisher.matrix, d.jeffreys
    (Matrix([[lambda**(-2)]]), 1/lambda)
    """
    from symfisher.derive.fisher.api import derive_fisher
    from symfisher.derive.priors import jeffreys_prior
    from symfisher.derive.score import hessian as hessian_of
    from symfisher.derive.score import score as score_of

    result = derive_fisher(fam, method, allow_numeric=allow_numeric)
    prior = None
    if jeffreys and not getattr(result, "is_numeric", False):
        prior = jeffreys_prior(fam, method=method)
    return Derivation(
        family=fam,
        fisher=result,
        score=score_of(fam) if score else None,
        hessian=hessian_of(fam) if hessian else None,
        jeffreys=prior,
    )


def fisher_matrix_of(obj: Any) -> Any:
    """The matrix inside a Derivation / FisherResult, or ``obj`` itself."""
    if isinstance(obj, Derivation):
        obj = obj.fisher
    return getattr(obj, "matrix", obj)


def params_of(obj: Any) -> tuple[sp.Symbol, ...] | None:
    """Parameter order of a Derivation / FisherResult / NumericFisher / Family, if known."""
    if isinstance(obj, Derivation):
        return obj.params
    for owner in (obj, getattr(obj, "family", None)):
        params = getattr(owner, "params", None)
        if params is not None:
            return tuple(params)
    return None
