"""Issue 12, section 1: kernels at removable singularities (guarded series branches).

Oracles: 50-digit mpmath evaluation of the derived expression, and exact special cases
at the singular point (the Fisher information of N(sin(mu)/mu, 1) is
(d/dmu sin(mu)/mu)^2 = 0 at mu = 0; the continuous-Bernoulli natural family
theta*exp(theta*x)/(exp(theta) - 1) on [0, 1] has I(0) = Var(Uniform(0, 1)) = 1/12).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import symfisher as sf

X = sp.Symbol("x", real=True)
MU = sp.Symbol("mu", real=True)
THETA = sp.Symbol("theta", real=True)
POINTS = np.array([0.0, 1e-12, 1e-9, 1e-6, 1e-4, 1e-2, 0.07, 0.3, 1.0, 3.0, -1e-7, -0.2])


def _check(I: sp.Matrix, param: sp.Symbol, at_zero: float) -> None:
    k = sf.compile(I, args=[param])
    got = k(POINTS).ravel()
    assert got[0] == at_zero or abs(got[0] - at_zero) <= 1e-15 * abs(at_zero)
    ref_fn = sp.lambdify(param, I[0, 0], modules="mpmath")
    with mpmath.workdps(150):  # the formula cancels ~4 log10(1/t) digits: 150 covers t = 1e-12
        for t, g in zip(POINTS[1:], got[1:]):
            ref = ref_fn(mpmath.mpf(float(t)))
            assert abs(g - float(ref)) <= 1e-12 * abs(float(ref)), (t, g, ref)


def test_normal_with_sinc_mean_near_zero():
    fam = sf.Family.from_pdf(
        sp.exp(-((X - sp.sin(MU) / MU) ** 2) / 2) / sp.sqrt(2 * sp.pi),
        variables=X,
        params=[MU],
        support=sp.Interval(-sp.oo, sp.oo),
    )
    _check(sf.fisher(fam), MU, 0.0)  # base b6723fa: ZeroDivisionError at 0, 0.0 at 1e-9


def test_continuous_bernoulli_near_zero():
    fam = sf.Family.from_pdf(
        THETA * sp.exp(THETA * X) / (sp.exp(THETA) - 1),
        variables=X,
        params=[THETA],
        support=sp.Interval(0, 1),
    )
    _check(sf.fisher(fam), THETA, 1 / 12)  # base b6723fa: -2.2e20 at 1e-9, 0.0 at 1e-6


def test_poles_are_left_alone():
    from symfisher.codegen.singular import guard_removable

    assert guard_removable(1 / MU**2, [MU]) == 1 / MU**2
    assert guard_removable(sp.sin(MU) / MU**2, [MU]) == sp.sin(MU) / MU**2


@pytest.mark.slow
def test_continuous_bernoulli_geodesic_crosses_zero():
    """1-D Fisher-Rao distance = integral of sqrt(I) (independent route: mpmath quadrature of
    the derived I); the geodesic solver evaluates the compiled Christoffel symbol across
    theta = 0, where it is 0/0 as written."""
    fam = sf.Family(THETA * X + sp.log(THETA) - sp.log(sp.exp(THETA) - 1), X, [THETA], sp.Interval(0, 1))
    info = sp.lambdify(THETA, sf.fisher(fam)[0, 0], modules="mpmath")
    with mpmath.workdps(80):  # Gauss-Legendre nodes stay off theta = 0; 80 digits absorb the cancellation
        ref = mpmath.quad(lambda t: mpmath.sqrt(info(t)), [-1, 0, 1], method="gauss-legendre")
    got = sf.fisher_rao_distance(fam, [-1.0], [1.0])
    assert abs(float(got) - float(ref)) <= 1e-8 * float(ref)  # base b6723fa: shooting diverged at 0
