"""Catalog of multivariate families: Dirichlet and multivariate normal.

Both are factories of a concrete dimension (``dirichlet(k)``, ``multivariate_normal(d)``).

References
----------
Kotz, Balakrishnan & Johnson (2000), *Continuous Multivariate Distributions*, vol. 1,
2nd ed., Wiley (KBJ).
Mardia, Kent & Bibby (1979), *Multivariate Analysis*, Academic Press (MKB).
Magnus & Neudecker (1999), *Matrix Differential Calculus*, rev. ed., Wiley.
"""

from __future__ import annotations

import sympy as sp

from symfisher.errors import InputError
from symfisher.families.base import Family
from symfisher.families.sets import Simplex

__all__ = ["MULTIVARIATE", "dirichlet", "multivariate_normal", "covariance_symbols"]


def dirichlet(k: int = 3) -> Family:
    """Dirichlet on k categories: data ``x_1..x_{k−1}`` on ``Simplex(k − 1)``, params ``alpha_1..alpha_k``."""
    if not isinstance(k, int) or k < 2:
        raise InputError(f"dirichlet needs an integer number of categories k >= 2, got {k!r}")
    xs = sp.symbols(f"x1:{k}", positive=True)
    al = sp.symbols(f"alpha1:{k + 1}", positive=True)
    comps = (*xs, 1 - sum(xs))
    logpdf = (
        sp.loggamma(sum(al)) - sum(sp.loggamma(a) for a in al) + sum((a - 1) * sp.log(c) for a, c in zip(al, comps))
    )
    return Family(
        logpdf,
        xs,
        list(al),
        Simplex(k - 1),
        name="dirichlet" if k == 3 else f"dirichlet_{k}",
        parametrization=f"concentrations alpha1..alpha{k}",
        citation="KBJ (2000), ch. 49: I_ij = trigamma(alpha_i) δ_ij - trigamma(sum alpha)",
    )


def covariance_symbols(d: int) -> sp.Matrix:
    """Symmetric covariance matrix of symbols ``sigma_ij`` (i ≤ j); diagonal positive."""

    def entry(i: int, j: int) -> sp.Symbol:
        i, j = min(i, j), max(i, j)
        name = f"sigma_{i + 1}{j + 1}"
        return sp.Symbol(name, positive=True) if i == j else sp.Symbol(name, real=True)

    return sp.Matrix(d, d, entry)


def multivariate_normal(d: int = 2) -> Family:
    """N_d(mu, Sigma): params ``mu_1..mu_d`` then the covariance entries ``sigma_ij`` (i ≤ j, row-major)."""
    if not isinstance(d, int) or d < 1:
        raise InputError(f"multivariate_normal needs an integer dimension d >= 1, got {d!r}")
    xs = sp.symbols(f"x1:{d + 1}", real=True)
    mus = sp.symbols(f"mu1:{d + 1}", real=True)
    cov = covariance_symbols(d)
    det = sp.factor(cov.det())
    u = sp.Matrix(xs) - sp.Matrix(mus)
    quad = sp.expand((u.T * cov.adjugate() * u)[0, 0])  # one fraction: fast derivatives
    logpdf = -d * sp.log(2 * sp.pi) / 2 - sp.log(det) / 2 - quad / (2 * det)
    sig = [cov[i, j] for i in range(d) for j in range(i, d)]
    minors = [sp.factor(cov[:m, :m].det()) > 0 for m in range(2, d + 1)]
    params = {
        **{m: sp.Reals for m in mus},
        **{s: (sp.Interval.open(0, sp.oo) if s.is_positive else sp.Reals) for s in sig},
    }
    return Family(
        logpdf,
        xs,
        params,
        tuple(sp.Reals for _ in xs),
        constraints=minors,
        name=f"multivariate_normal_{d}",
        parametrization=f"mean mu (d={d}), covariance entries sigma_ij (i<=j)",
        citation="MKB (1979), §4.2 / Magnus & Neudecker (1999), §15.3: I_mu = Sigma^-1, "
        "I_(sigma_ij, sigma_kl) = tr(Sigma^-1 dSigma_ij Sigma^-1 dSigma_kl)/2",
    )


MULTIVARIATE = {"dirichlet": dirichlet, "multivariate_normal": multivariate_normal}
