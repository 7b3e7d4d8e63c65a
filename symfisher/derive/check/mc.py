"""Monte Carlo expectations on the probability simplex (the cross-check's last resort).

Nested quadrature at 30 digits over a simplex of dimension ≥ 2 is far too slow, so
the check samples the uniform distribution on the simplex (Dirichlet(1, …, 1), seeded
from the family's key) and reweights by the density: E[f] ≈ mean(w f) with
w = p(x) / n!. The standard error of every estimate is returned; the caller accepts a
closed form within a stated number of standard errors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from symfisher.derive.check.expectations import Expectations
from symfisher.derive.check.points import family_seed
from symfisher.families.protocol import FamilyLike

__all__ = ["monte_carlo_simplex", "MC_SAMPLES"]

MC_SAMPLES = 200_000


def monte_carlo_simplex(
    fam: FamilyLike, exprs: Sequence[sp.Expr], point: dict, samples: int = MC_SAMPLES, combine: Any = None
) -> Any:
    """Importance-sampled E[1], E[f_1], … on ``Simplex(n)``.

    Parameters
    ----------
    fam : Family or family-like
        Support ``Simplex(n)``, n data variables.
    exprs : sequence of sympy.Expr
        Integrands (parameters substituted from ``point``).
    point : dict
        Values of the parameters and fixed constants.
    samples : int
        Number of draws N.
    combine : callable, optional
        Maps the values of ``exprs`` (arrays of shape (N,)) to the integrands.

    Returns
    -------
    Expectations
        Method ``"monte-carlo"``; ``std_errors`` has one entry per value.
    """
    n = len(fam.variables)
    rng = np.random.default_rng(family_seed(fam, "monte-carlo"))
    draws = rng.dirichlet(np.ones(n + 1), size=samples)[:, :n]  # (N, n)
    ell = sp.sympify(fam.logpdf).xreplace(point)
    fn = sp.lambdify(list(fam.variables), [ell, *[sp.sympify(e).xreplace(point) for e in exprs]], ["scipy", "numpy"])
    cols = [np.broadcast_to(np.asarray(c, dtype=float), (samples,)) for c in fn(*draws.T)]
    weight = np.exp(cols[0]) / math.factorial(n)  # p(x)/q(x), q = n!
    vals = combine(cols[1:]) if combine is not None else cols[1:]
    rows = [weight, *[weight * v for v in vals]]
    values = tuple(mpmath.mpf(float(r.mean())) for r in rows)
    errors = tuple(float(r.std(ddof=1) / math.sqrt(samples)) for r in rows)
    return Expectations(values, "monte-carlo", 0.0, errors)
