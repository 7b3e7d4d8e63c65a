"""Catalog of regression models used in dose finding and optimal design: ``sf.model(name)``.

Every entry is a :class:`~symfisher.models.regression.Regression` with unit-variance
normal noise unless stated; its design variable is ``x`` (``x1, x2`` for two factors).
References: Bretz, Pinheiro & Branson (2005) and Dette, Kiss, Bevanda & Bretz (2010)
for the dose-response models; Atkinson, Donev & Tobias (2007) for the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

from symfisher.errors import SymfisherError
from symfisher.models.regression import Regression

R = dict(real=True)
P = dict(positive=True)


def _x(nonneg: bool = True) -> sp.Symbol:
    return sp.Symbol("x", nonnegative=True) if nonneg else sp.Symbol("x", real=True)


def _poly(k: int) -> Regression:
    x = _x(False)
    b = sp.symbols(f"b0:{k + 1}", **R)
    return Regression(sum(bi * x**i for i, bi in enumerate(b)), x, list(b), sigma=1, name=f"polynomial({k})")


def _emax() -> Regression:
    x, (e0, emax), ed50 = _x(), sp.symbols("e0 emax", **R), sp.Symbol("ed50", **P)
    return Regression(e0 + emax * x / (ed50 + x), x, [e0, emax, ed50], sigma=1, name="emax")


def _sigemax() -> Regression:
    x, (e0, emax), (ed50, h) = _x(), sp.symbols("e0 emax", **R), sp.symbols("ed50 h", **P)
    return Regression(e0 + emax * x**h / (ed50**h + x**h), x, [e0, emax, ed50, h], sigma=1, name="sigmoid_emax")


def _exponential() -> Regression:
    x, (e0, e1), delta = _x(), sp.symbols("e0 e1", **R), sp.Symbol("delta", **P)
    return Regression(e0 + e1 * (sp.exp(x / delta) - 1), x, [e0, e1, delta], sigma=1, name="exponential")


def _loglinear() -> Regression:
    x, (e0, d), c = _x(), sp.symbols("e0 delta", **R), sp.Symbol("c", **P)
    return Regression(e0 + d * sp.log(x + c), x, [e0, d, c], sigma=1, name="log_linear")


def _4pl() -> Regression:
    x, (a, d), (ec50, b) = _x(), sp.symbols("bottom top", **R), sp.symbols("ec50 hill", **P)
    return Regression(d + (a - d) / (1 + (x / ec50) ** b), x, [a, d, ec50, b], sigma=1, name="logistic_4pl")


def _beta(scal: float = 180.0) -> Regression:
    """Beta model of Bornkamp et al. (2007) with fixed scale ``scal`` (> the largest dose)."""
    x, (e0, emax), (d1, d2) = _x(), sp.symbols("e0 emax", **R), sp.symbols("delta1 delta2", **P)
    B = (d1 + d2) ** (d1 + d2) / (d1**d1 * d2**d2)
    s = sp.nsimplify(scal)
    expr = e0 + emax * B * (x / s) ** d1 * (1 - x / s) ** d2
    return Regression(expr, x, [e0, emax, d1, d2], sigma=1, name="beta")


def _mm() -> Regression:
    x, v, k = _x(), sp.Symbol("V", **P), sp.Symbol("K", **P)
    return Regression(v * x / (k + x), x, [v, k], sigma=1, name="michaelis_menten")


def _decay() -> Regression:
    x, a, k = _x(), sp.Symbol("a", **P), sp.Symbol("k", **P)
    return Regression(a * sp.exp(-k * x), x, [a, k], sigma=1, name="exponential_decay")


def _pk1() -> Regression:
    t, (ka, ke, v) = sp.Symbol("x", nonnegative=True), sp.symbols("ka ke V", **P)
    dose = 1
    expr = dose * ka / (v * (ka - ke)) * (sp.exp(-ke * t) - sp.exp(-ka * t))
    return Regression(expr, t, [ka, ke, v], sigma=1, name="one_compartment")


def _glm(noise: str, link: str) -> Callable[[], Regression]:
    def build() -> Regression:
        x, (a, b) = _x(False), sp.symbols("a b", **R)
        return Regression(a + b * x, x, [a, b], noise=noise, link=link, name=f"{noise}_{link}")

    return build


def _two_factor() -> Regression:
    x1, x2 = sp.symbols("x1 x2", real=True)
    b = sp.symbols("b0:6", **R)
    expr = b[0] + b[1] * x1 + b[2] * x2 + b[3] * x1 * x2 + b[4] * x1**2 + b[5] * x2**2
    return Regression(expr, [x1, x2], list(b), sigma=1, name="quadratic_2factor")


_MODELS: dict[str, Callable[..., Regression]] = {
    "linear": lambda: _poly(1),
    "quadratic": lambda: _poly(2),
    "polynomial": _poly,
    "emax": _emax,
    "sigmoid_emax": _sigemax,
    "exponential": _exponential,
    "log_linear": _loglinear,
    "logistic_4pl": _4pl,
    "beta": _beta,
    "michaelis_menten": _mm,
    "exponential_decay": _decay,
    "one_compartment": _pk1,
    "logistic": _glm("bernoulli", "logit"),
    "probit": _glm("bernoulli", "probit"),
    "poisson": _glm("poisson", "log"),
    "quadratic_2factor": _two_factor,
}
_ALIASES = {
    "hill": "sigmoid_emax",
    "4pl": "logistic_4pl",
    "loglinear": "log_linear",
    "mm": "michaelis_menten",
    "pk": "one_compartment",
    "two_factor": "quadratic_2factor",
}


def model_names() -> list[str]:
    """Names of the catalog models.

    Examples
    --------
    >>> "emax" in model_names()
    True
    """
    return sorted(_MODELS)


def model(name: str, *args: Any) -> Regression:
    """A catalog model by name (``model("polynomial", 3)`` takes the degree, ``model("beta", 180)`` the scale).

    Examples
    --------
    >>> model("emax").params
    (e0, emax, ed50)
    """
    key = _ALIASES.get(name.strip().lower().replace("-", "_"), name.strip().lower().replace("-", "_"))
    if key not in _MODELS:
        raise SymfisherError(f"unknown model {name!r}; choose one of {model_names()}")
    return _MODELS[key](*args)
