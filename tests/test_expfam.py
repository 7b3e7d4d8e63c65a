"""Exponential-family detection and the integral-free Fisher matrix."""

from __future__ import annotations

import pytest
import sympy as sp

import symfisher as sf
from symfisher.derive.expfam import detect_expfam, expfam_fisher

x = sp.Symbol("x")
k = sp.Symbol("k", integer=True, nonnegative=True)
mu = sp.Symbol("mu", real=True)
sigma = sp.Symbol("sigma", positive=True)
a, b, lam, kappa = sp.symbols("a b lam kappa", positive=True)
p = sp.Symbol("p")
REALS = sp.Interval(-sp.oo, sp.oo)
POS = sp.Interval(0, sp.oo)


def test_normal_natural_parameters_avoid_the_sympy_gaussian_bug() -> None:
    # SymPy 1.14 integrates the natural-parameter normal to all zeros; the expfam route
    # needs no integral: I = ∇²A with A = −η1²/(4η2) − log(−2η2)/2.
    e1 = sp.Symbol("eta1", real=True)
    e2 = sp.Symbol("eta2", negative=True)
    fam = sf.Family(
        e1 * x + e2 * x**2 + e1**2 / (4 * e2) + sp.log(-2 * e2) / 2 - sp.log(2 * sp.pi) / 2, x, [e1, e2], REALS
    )
    form = detect_expfam(fam)
    assert set(form.statistics) == {x, x**2}
    expected = sp.Matrix([[-1 / (2 * e2), e1 / (2 * e2**2)], [e1 / (2 * e2**2), (e2 - e1**2) / (2 * e2**3)]])
    assert sp.simplify(expfam_fisher(fam) - expected) == sp.zeros(2, 2)
    assert sp.simplify(sf.fisher(fam) - expected) == sp.zeros(2, 2)


def test_gamma_shape_rate_is_trigamma() -> None:
    # Gamma(α, β): I = [[ψ1(α), −1/β], [−1/β, α/β²]] (Johnson, Kotz & Balakrishnan,
    # Continuous Univariate Distributions vol. 1, 2nd ed. (1994), §17.7).
    fam = sf.Family(a * sp.log(b) - sp.loggamma(a) + (a - 1) * sp.log(x) - b * x, x, [a, b], POS)
    assert expfam_fisher(fam) == sp.ImmutableMatrix([[sp.polygamma(1, a), -1 / b], [-1 / b, a / b**2]])


def test_von_mises_bessel_ratio() -> None:
    # von Mises(μ, κ): I = diag(κ A(κ), 1 − A/κ − A²), A = I1/I0 (Mardia & Jupp,
    # Directional Statistics (2000), §5.3).
    fam = sf.Family(
        kappa * sp.cos(x - mu) - sp.log(2 * sp.pi * sp.besseli(0, kappa)), x, [mu, kappa], sp.Interval(-sp.pi, sp.pi)
    )
    form = detect_expfam(fam)
    assert set(form.statistics) == {sp.cos(x), sp.sin(x)}
    ratio = sp.besseli(1, kappa) / sp.besseli(0, kappa)
    info = sf.fisher(fam)
    assert sp.simplify(info[0, 0] - kappa * ratio) == 0
    assert info[0, 1] == 0
    val = (info[1, 1] - (1 - ratio / kappa - ratio**2)).subs(kappa, sp.Rational(17, 10))
    assert abs(sp.N(val, 40)) < 1e-35


def test_geometric_in_open_unit_interval_has_no_case_split() -> None:
    # Geometric(p) on {0, 1, ...}: I = 1/(p²(1 − p)) (Lehmann & Casella 1998, Table 2.5.1).
    fam = sf.Family(k * sp.log(1 - p) + sp.log(p), k, {p: sp.Interval.open(0, 1)}, sp.Range(0, sp.oo))
    info = sf.fisher(fam)
    assert not info.has(sp.Piecewise)
    assert sp.simplify(info[0, 0] - 1 / (p**2 * (1 - p))) == 0


def test_curved_and_non_exponential_families_fall_through() -> None:
    # N(θ, θ²): two statistics, one parameter (curved) → no full-rank form.
    th = sp.Symbol("theta", positive=True)
    curved = sf.Family(-((x - th) ** 2) / (2 * th**2) - sp.log(th), x, [th], REALS)
    form = detect_expfam(curved)
    assert form is not None and not form.full_rank and expfam_fisher(curved) is None
    # Weibull with unknown shape: x**k mixes data and parameter.
    weibull = sf.Family(sp.log(a / lam) + (a - 1) * sp.log(x / lam) - (x / lam) ** a, x, [a, lam], POS)
    assert detect_expfam(weibull) is None
    # Laplace: non-smooth, not an exponential family in μ.
    laplace = sf.Family(-sp.log(2 * b) - sp.Abs(x - mu) / b, x, [mu, b], REALS)
    assert detect_expfam(laplace) is None


def test_poisson_log_rate_and_sufficient_statistic() -> None:
    # Poisson in log-rate t: ℓ = k t − e^t − log k!, I = e^t (natural parameter: ∇²A).
    t = sp.Symbol("t", real=True)
    fam = sf.Family(k * t - sp.exp(t) - sp.log(sp.factorial(k)), k, [t], sp.Range(0, sp.oo))
    form = detect_expfam(fam)
    assert form.statistics == (k,) and form.natural == (t,) and form.log_partition == sp.exp(t)
    assert sf.fisher(fam) == sp.ImmutableMatrix([[sp.exp(t)]])


@pytest.mark.slow
def test_bivariate_normal_mean_and_covariance() -> None:
    # Bivariate normal in (μ1, μ2, s11, s12, s22): Fisher of the mean block is Σ⁻¹ and
    # of the covariance block ½ tr(Σ⁻¹ ∂Σ Σ⁻¹ ∂Σ) (Mardia, Kent & Bibby, Multivariate
    # Analysis (1979), §4.2); checked numerically by Gauss–Hermite.
    x1, x2 = sp.symbols("x1 x2")
    m1, m2 = sp.symbols("m1 m2", real=True)
    s11, s22 = sp.symbols("s11 s22", positive=True)
    s12 = sp.Symbol("s12", real=True)
    cov = sp.Matrix([[s11, s12], [s12, s22]])
    d = sp.Matrix([x1 - m1, x2 - m2])
    logpdf = -(d.T * cov.inv() * d)[0, 0] / 2 - sp.log(cov.det()) / 2 - sp.log(2 * sp.pi)
    fam = sf.Family(logpdf, [x1, x2], [m1, m2, s11, s12, s22], (REALS, REALS), constraints=[s11 * s22 - s12**2 > 0])
    from symfisher.derive.fisher.api import derive_fisher

    res = derive_fisher(fam)
    assert res.route == "expfam" and res.check.method == "gauss-hermite"
    inv = cov.inv()
    assert sp.simplify(res.matrix[:2, :2] - inv) == sp.zeros(2, 2)
    derivs = [sp.Matrix([[1, 0], [0, 0]]), sp.Matrix([[0, 1], [1, 0]]), sp.Matrix([[0, 0], [0, 1]])]
    for i, di in enumerate(derivs):
        for j, dj in enumerate(derivs):
            expected = (inv * di * inv * dj).trace() / 2
            assert sp.simplify(res.matrix[2 + i, 2 + j] - expected) == 0
    assert res.matrix[:2, 2:] == sp.zeros(2, 3)
