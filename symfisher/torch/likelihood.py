"""The likelihood of a bridge call: a name, a symfisher family, or a likelihood object.

Names go to the hand-written NumPy likelihoods (:func:`~symfisher.numeric.laplace.likelihoods.make_likelihood`);
a ``Family`` has its output curvature derived in SymPy and compiled
(``sf.kfac.compile_likelihood``), so any family symfisher derives works (gamma, beta,
Weibull, ...); an object with ``nll``/``grad``/``factor``/``targets`` is used as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from symfisher.numeric.laplace.catalog import make_likelihood


def resolve_likelihood(
    likelihood: Any,
    *,
    sigma: float = 1.0,
    df: float = 4.0,
    dispersion: float = 1.0,
    link: Mapping[Any, Any] | None = None,
    constants: Mapping[Any, float] | None = None,
) -> Any:
    """The numeric likelihood object for ``likelihood`` (see the module docstring).

    Examples
    --------
    >>> resolve_likelihood("poisson").name.value
    'poisson'
    """
    if isinstance(likelihood, str):
        return make_likelihood(likelihood, sigma, df=df, dispersion=dispersion)
    if hasattr(likelihood, "logpdf"):  # a Family: derive and compile
        from symfisher.kfac.curvature import compile_likelihood

        return compile_likelihood(likelihood, constants, link=link)
    return likelihood
