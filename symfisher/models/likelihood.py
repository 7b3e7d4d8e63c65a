"""The shared likelihood vocabulary: response families, their mean parameter, links.

A *likelihood* says which catalog family models the response, how its parameters are
obtained from the mean ``μ`` and the remaining (nuisance) parameters, and which link is
canonical. The names and their aliases are THE vocabulary of
:class:`symfisher.options.Likelihood` (shared with ``sf.kfac.output_curvature`` and
``sf.laplace``); this module adds what a regression needs in SymPy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from symfisher.errors import OptionError
from symfisher.options import Likelihood as LikelihoodName
from symfisher.options import Link, option

ParamMap = Callable[[sp.Expr, dict[str, sp.Expr], dict[str, sp.Expr]], dict[str, sp.Expr]]


@dataclass(frozen=True)
class MeanForm:
    """A response distribution in mean form.

    Attributes
    ----------
    family : str
        Catalog name of the family (``sf.family(family)``).
    default_link : Link
        Canonical (or customary) link.
    nuisance : tuple of str
        Names of the family's parameters other than those set by the mean (``sigma``,
        ``alpha``), which a regression fixes, estimates or models.
    constants : tuple of str
        The family's fixed constants (``n``, ``nu``, ``r``), always numbers.
    params_of : callable
        ``params_of(mu, nuisance, constants) -> {family parameter name: expression}``.
    citation : str
        Where the mean parametrisation is documented.
    """

    family: str
    default_link: Link
    nuisance: tuple[str, ...]
    constants: tuple[str, ...]
    params_of: ParamMap
    citation: str = ""


MEAN_FORMS: dict[LikelihoodName, MeanForm] = {
    LikelihoodName.GAUSSIAN: MeanForm(
        "normal", Link.IDENTITY, ("sigma",), (), lambda mu, nu, c: {"mu": mu, "sigma": nu["sigma"]}
    ),
    LikelihoodName.BERNOULLI: MeanForm("bernoulli", Link.LOGIT, (), (), lambda mu, nu, c: {"p": mu}),
    LikelihoodName.BINOMIAL: MeanForm(
        "binomial",
        Link.LOGIT,
        (),
        ("n",),
        lambda mu, nu, c: {"p": mu},
        "mean n·p; the link acts on the success probability p",
    ),
    LikelihoodName.POISSON: MeanForm("poisson", Link.LOG, (), (), lambda mu, nu, c: {"lambda": mu}),
    LikelihoodName.GAMMA: MeanForm(
        "gamma",
        Link.LOG,
        ("alpha",),
        (),
        lambda mu, nu, c: {"alpha": nu["alpha"], "beta": nu["alpha"] / mu},
        "shape alpha, mean mu = alpha/beta (McCullagh & Nelder 1989, §8)",
    ),
    LikelihoodName.NEGATIVE_BINOMIAL: MeanForm(
        "negative_binomial",
        Link.LOG,
        (),
        ("r",),
        lambda mu, nu, c: {"p": c["r"] / (c["r"] + mu)},
        "mean mu = r(1-p)/p (Hilbe 2011, §8)",
    ),
    LikelihoodName.STUDENT_T: MeanForm(
        "student_t", Link.IDENTITY, ("sigma",), ("nu",), lambda mu, nu, c: {"mu": mu, "sigma": nu["sigma"]}
    ),
}


def link_inverse(link: Link, eta: sp.Expr) -> sp.Expr:
    """The mean ``μ = g⁻¹(η)`` of a link as a SymPy expression.

    Examples
    --------
    >>> link_inverse(Link.LOGIT, sp.Symbol("eta"))
    1/(1 + exp(-eta))
    """
    return {
        Link.IDENTITY: lambda e: e,
        Link.LOGIT: lambda e: 1 / (1 + sp.exp(-e)),
        Link.PROBIT: lambda e: (1 + sp.erf(e / sp.sqrt(2))) / 2,
        Link.CLOGLOG: lambda e: 1 - sp.exp(-sp.exp(e)),
        Link.LOG: sp.exp,
    }[link](eta)


def likelihood(name: str | LikelihoodName) -> MeanForm:
    """The mean form of the likelihood ``name`` (or an alias such as ``"normal"``).

    Raises
    ------
    OptionError
        If the name is not a likelihood, or one a regression cannot use (listing those).

    Examples
    --------
    >>> likelihood("normal").family
    'normal'
    """
    kind = option(LikelihoodName, name, "noise")
    if kind not in MEAN_FORMS:
        raise OptionError(
            f"noise={name!r} is not available for regression models; choose one of "
            f"{[k.value for k in MEAN_FORMS]} or pass a Family"
        )
    return MEAN_FORMS[kind]
