"""Catalog of discrete families (counts and finite outcomes).

Probabilities are parameters with the domain ``sp.Interval.open(0, 1)`` (SymPy's
assumptions cannot state ``0 < p < 1``); joint constraints such as ``p1 + p2 < 1``
go in ``constraints=``.

References
----------
Johnson, Kemp & Kotz (2005), *Univariate Discrete Distributions*, 3rd ed., Wiley (JKK).
Lehmann & Casella (1998), *Theory of Point Estimation*, 2nd ed., Springer.
Agresti (2013), *Categorical Data Analysis*, 3rd ed., Wiley.
"""

from __future__ import annotations

import sympy as sp

from symfisher.errors import InputError
from symfisher.families.base import Family

__all__ = ["DISCRETE", "categorical"]

_UNIT = sp.Interval.open(0, 1)
_n = sp.Symbol("x", integer=True, nonnegative=True)
_COUNTS = sp.Range(0, sp.oo)
log = sp.log


def _p() -> sp.Symbol:
    return sp.Symbol("p", positive=True)


def poisson() -> Family:
    lam = sp.Symbol("lambda", positive=True)
    return Family(
        _n * log(lam) - lam - sp.loggamma(_n + 1),
        _n,
        [lam],
        _COUNTS,
        name="poisson",
        parametrization="rate lambda",
        citation="Lehmann & Casella (1998), Table 2.5.1: I = 1/lambda",
    )


def poisson_log() -> Family:
    eta = sp.Symbol("eta", real=True)
    return Family(
        _n * eta - sp.exp(eta) - sp.loggamma(_n + 1),
        _n,
        [eta],
        _COUNTS,
        name="poisson_log",
        parametrization="log-rate eta = log(lambda)",
        citation="McCullagh & Nelder (1989), GLMs, §6.2: I = exp(eta)",
    )


def bernoulli() -> Family:
    p = _p()
    return Family(
        _n * log(p) + (1 - _n) * log(1 - p),
        _n,
        {p: _UNIT},
        sp.Range(0, 2),
        name="bernoulli",
        parametrization="success probability p",
        citation="Lehmann & Casella (1998), Example 2.5.2: I = 1/(p (1 - p))",
    )


def bernoulli_logit() -> Family:
    eta = sp.Symbol("eta", real=True)
    return Family(
        _n * eta - log(1 + sp.exp(eta)),
        _n,
        [eta],
        sp.Range(0, 2),
        name="bernoulli_logit",
        parametrization="log-odds eta",
        citation="McCullagh & Nelder (1989), §4.4: I = exp(eta)/(1 + exp(eta))^2",
    )


def binomial() -> Family:
    p, n = _p(), sp.Symbol("n", positive=True, integer=True)
    logpdf = log(sp.binomial(n, _n)) + _n * log(p) + (n - _n) * log(1 - p)
    return Family(
        logpdf,
        _n,
        {p: _UNIT},
        sp.Range(0, n + 1),
        name="binomial",
        parametrization="success probability p; number of trials n fixed",
        citation="Lehmann & Casella (1998), Example 2.5.2: I = n/(p (1 - p))",
    )


def geometric() -> Family:
    p = _p()
    return Family(
        log(p) + _n * log(1 - p),
        _n,
        {p: _UNIT},
        _COUNTS,
        name="geometric",
        parametrization="success probability p; x = failures before the first success",
        citation="JKK (2005), §5.2: I = 1/(p^2 (1 - p))",
    )


def negative_binomial() -> Family:
    p, r = _p(), sp.Symbol("r", positive=True)
    logpdf = sp.loggamma(_n + r) - sp.loggamma(r) - sp.loggamma(_n + 1) + r * log(p) + _n * log(1 - p)
    return Family(
        logpdf,
        _n,
        {p: _UNIT},
        _COUNTS,
        name="negative_binomial",
        parametrization="success probability p; number of successes r fixed",
        citation="JKK (2005), §5.1: I = r/(p^2 (1 - p))",
    )


def negative_binomial_mean() -> Family:
    m, r = sp.Symbol("mu", positive=True), sp.Symbol("r", positive=True)
    logpdf = sp.loggamma(_n + r) - sp.loggamma(r) - sp.loggamma(_n + 1) + r * log(r / (r + m)) + _n * log(m / (r + m))
    return Family(
        logpdf,
        _n,
        [m],
        _COUNTS,
        name="negative_binomial_mean",
        parametrization="mean mu; dispersion (size) r fixed",
        citation="Lawless (1987), Can. J. Stat. 15: I = r/(mu (mu + r))",
    )


def categorical(k: int = 3) -> Family:
    """Categorical on k outcomes, one-hot data ``(x_1..x_{k−1})``, params ``p_1..p_{k−1}``."""
    if not isinstance(k, int) or k < 2:
        raise InputError(f"categorical needs an integer number of outcomes k >= 2, got {k!r}")
    xs = sp.symbols(f"x1:{k}", integer=True, nonnegative=True)
    ps = sp.symbols(f"p1:{k}", positive=True)
    logpdf = sum(x * log(p) for x, p in zip(xs, ps)) + (1 - sum(xs)) * log(1 - sum(ps))
    pts = [tuple(int(i == j) for i in range(k - 1)) for j in range(k)]
    return Family(
        logpdf,
        xs,
        {p: _UNIT for p in ps},
        sp.FiniteSet(*(sp.Tuple(*pt) for pt in pts)),
        constraints=[sum(ps) < 1],
        name="categorical" if k == 3 else f"categorical_{k}",
        parametrization=f"probabilities p1..p{k - 1} of {k} outcomes (p{k} = 1 - sum)",
        citation="Agresti (2013), §1.2 / Lehmann & Casella (1998), Ex. 2.6.5: I = diag(1/p_i) + 1/p_k",
    )


DISCRETE = {
    "poisson": poisson,
    "poisson_log": poisson_log,
    "bernoulli": bernoulli,
    "bernoulli_logit": bernoulli_logit,
    "binomial": binomial,
    "geometric": geometric,
    "negative_binomial": negative_binomial,
    "negative_binomial_mean": negative_binomial_mean,
    "categorical": categorical,
}
