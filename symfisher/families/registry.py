"""The catalog: ``family(name, **options)`` and ``family_names()``.

A name gives the most common parametrisation (``"gamma"`` is shape–rate; its repr
says so); explicit variants have explicit names (``"gamma_shape_scale"``,
``"normal_mean_variance"``, ...). Keyword arguments are either the size of a factory
family (``family("dirichlet", k=4)``, ``family("multivariate_normal", d=3)``) or
values for fixed constants (``family("student_t", nu=4)``); constants not given stay
symbolic.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from typing import Any

from symfisher.errors import UnknownFamilyError
from symfisher.families.base import Family
from symfisher.families.continuous import CONTINUOUS
from symfisher.families.discrete import DISCRETE
from symfisher.families.multivariate import MULTIVARIATE

__all__ = ["family", "family_names", "UnknownFamilyError", "ALIASES"]

_BUILDERS: dict[str, Callable[..., Family]] = {**CONTINUOUS, **DISCRETE, **MULTIVARIATE}

ALIASES: dict[str, str] = {
    "gaussian": "normal",
    "normal_mean_sd": "normal",
    "gamma_shape_rate": "gamma",
    "exponential_rate": "exponential",
    "log_normal": "lognormal",
    "t": "student_t",
    "student": "student_t",
    "wald": "inverse_gaussian",
    "halfnormal": "half_normal",
    "circular_normal": "von_mises",
    "mvn": "multivariate_normal",
    "bivariate_normal": "multivariate_normal",
    "multinoulli": "categorical",
    "poisson_rate": "poisson",
    "logistic_regression_bernoulli": "bernoulli_logit",
    "bernoulli_p": "bernoulli",
    "negative_binomial_p": "negative_binomial",
    "gamma_mean": "gamma_shape_mean",
}


def family_names() -> list[str]:
    """Sorted names of the catalog entries (aliases excluded).

    Examples
    --------
    >>> "weibull" in family_names()
    True
    """
    return sorted(_BUILDERS)


def _resolve(name: str) -> str:
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = ALIASES.get(key, key)
    if key in _BUILDERS:
        return key
    close = difflib.get_close_matches(key, [*_BUILDERS, *ALIASES], n=4, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownFamilyError(f"unknown family {name!r}{hint} (see symfisher.family_names())")


def family(name: str, **options: Any) -> Family:
    """A catalog family by name.

    Parameters
    ----------
    name : str
        A name from :func:`family_names` or an alias (case-insensitive).
    **options
        Sizes of factory families (``k`` for categorical/Dirichlet, ``d`` for the
        multivariate normal) and values of fixed constants by name (``nu=4``).

    Returns
    -------
    Family

    Raises
    ------
    UnknownFamilyError
        For an unknown name (close names are suggested).
    SymfisherError
        For an option that is neither a size nor a fixed constant of the family.

    Examples
    --------
    >>> family("student_t", nu=4)
    Family('student_t', location mu, scale sigma; nu fixed, params=[mu, sigma])
    >>> family("gamma")
    Family('gamma', shape alpha, rate beta, params=[alpha, beta])
    """
    key = _resolve(name)
    builder = _BUILDERS[key]
    sizes = {k: v for k, v in options.items() if k in inspect.signature(builder).parameters}
    fixed = {k: v for k, v in options.items() if k not in sizes}
    fam = builder(**sizes)
    return fam.with_fixed(**fixed) if fixed else fam
