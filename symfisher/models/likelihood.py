"""The shared likelihood vocabulary: response families, their mean parameter, links.

A *likelihood* says which catalog family models the response, how its parameters are
obtained from the mean ``μ`` and the remaining (nuisance) parameters, and which link is
canonical. Regression models (design) and output layers (K-FAC / Laplace) both use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import sympy as sp

from symfisher.errors import SymfisherError


class Link(str, Enum):
    """Link functions ``g`` with ``g(μ) = η`` (users may pass the plain string)."""

    IDENTITY = "identity"
    LOGIT = "logit"
    PROBIT = "probit"
    CLOGLOG = "cloglog"
    LOG = "log"

    def inverse(self, eta: sp.Expr) -> sp.Expr:
        """The mean ``μ = g⁻¹(η)`` as a SymPy expression.

        Examples
        --------
        >>> Link("logit").inverse(sp.Symbol("eta"))
        1/(1 + exp(-eta))
        """
        return {
            Link.IDENTITY: lambda e: e,
            Link.LOGIT: lambda e: 1 / (1 + sp.exp(-e)),
            Link.PROBIT: lambda e: (1 + sp.erf(e / sp.sqrt(2))) / 2,
            Link.CLOGLOG: lambda e: 1 - sp.exp(-sp.exp(e)),
            Link.LOG: sp.exp,
        }[self](eta)


ParamMap = Callable[[sp.Expr, dict[str, sp.Expr], dict[str, sp.Expr]], dict[str, sp.Expr]]


@dataclass(frozen=True)
class Likelihood:
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


LIKELIHOODS: dict[str, Likelihood] = {
    "normal": Likelihood("normal", Link.IDENTITY, ("sigma",), (),
                         lambda mu, nu, c: {"mu": mu, "sigma": nu["sigma"]}),
    "bernoulli": Likelihood("bernoulli", Link.LOGIT, (), (), lambda mu, nu, c: {"p": mu}),
    "binomial": Likelihood("binomial", Link.LOGIT, (), ("n",), lambda mu, nu, c: {"p": mu},
                           "mean n·p; the link acts on the success probability p"),
    "poisson": Likelihood("poisson", Link.LOG, (), (), lambda mu, nu, c: {"lambda": mu}),
    "gamma": Likelihood("gamma", Link.LOG, ("alpha",), (),
                        lambda mu, nu, c: {"alpha": nu["alpha"], "beta": nu["alpha"] / mu},
                        "shape alpha, mean mu = alpha/beta (McCullagh & Nelder 1989, §8)"),
    "negative_binomial": Likelihood("negative_binomial", Link.LOG, (), ("r",),
                                    lambda mu, nu, c: {"p": c["r"] / (c["r"] + mu)},
                                    "mean mu = r(1-p)/p (Hilbe 2011, §8)"),
    "student_t": Likelihood("student_t", Link.IDENTITY, ("sigma",), ("nu",),
                            lambda mu, nu, c: {"mu": mu, "sigma": nu["sigma"]}),
}
ALIASES = {"gaussian": "normal", "logistic": "bernoulli", "t": "student_t", "negbin": "negative_binomial"}


def likelihood(name: str) -> Likelihood:
    """The likelihood registered under ``name`` (or an alias such as ``"gaussian"``).

    Examples
    --------
    >>> likelihood("gaussian").family
    'normal'
    """
    key = name.strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in LIKELIHOODS:
        raise SymfisherError(f"unknown noise {name!r}; choose one of {sorted(LIKELIHOODS)} "
                             f"(aliases {sorted(ALIASES)}) or pass a Family")
    return LIKELIHOODS[key]


def likelihood_names() -> list[str]:
    """Registered likelihood names."""
    return sorted(LIKELIHOODS)
