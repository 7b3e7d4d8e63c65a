"""Tests of the expectation engine: each technique against mpmath at >= 30 digits.

Every closed form returned by :func:`symfisher.derive.expectation.engine.expectation` is
compared with an independent numeric route (mpmath tanh–sinh quadrature or ``nsum``
at 30+ digits) at parameter points drawn with ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from symfisher.derive.expectation.engine import expectation, linear_terms, route_for
from symfisher.derive.expectation.fallback import recognise_constant
from symfisher.derive.expectation.kernels import Density1D
from symfisher.derive.expectation.mellin import half_integer_besselk
from symfisher.derive.expectation.numeric import numeric_constant
from symfisher.derive.expectation.tidy import tidy
from symfisher.errors import DerivationError
from symfisher.families.base import Family
from symfisher.families.registry import family

DPS = 30
TOL = mpmath.mpf(10) ** -25


def _point(fam: Family, seed: int) -> dict[sp.Symbol, sp.Rational]:
    """Seeded parameter values inside the domains (0.6..2.4, probabilities 0.2..0.8)."""
    rng = np.random.default_rng(seed)
    vals: dict[sp.Symbol, sp.Rational] = {}
    for p in fam.params:
        dom = fam.domains[p]
        if dom == sp.Interval.open(0, 1):
            vals[p] = sp.Rational(int(rng.integers(200, 800)), 1000)
        elif p.is_negative:
            vals[p] = -sp.Rational(int(rng.integers(600, 2400)), 1000)
        else:
            vals[p] = sp.Rational(int(rng.integers(600, 2400)), 1000)
    return vals


def _quad(
    fam: Family, stat: sp.Expr, vals: dict, breaks: list | None = None, lower: sp.Expr | None = None
) -> mpmath.mpf:
    """E[stat] by mpmath quadrature over the family's interval support at DPS digits.

    ``lower`` truncates the support where the density is below 1e-60 (Gumbel's
    doubly exponential left tail, which mpmath otherwise evaluates very slowly).
    """
    x = fam.variables[0]
    sup = fam.support.subs(vals)
    if lower is not None:
        sup = sp.Interval(lower.subs(vals), sup.sup)
    integrand = sp.lambdify(x, (stat * fam.pdf).subs(vals), modules="mpmath")
    with mpmath.workdps(DPS + 10):
        lo = mpmath.ninf if sup.inf == -sp.oo else mpmath.mpf(sp.N(sup.inf, DPS + 10))
        hi = mpmath.inf if sup.sup == sp.oo else mpmath.mpf(sp.N(sup.sup, DPS + 10))
        pts = [lo, *(mpmath.mpf(sp.N(b, DPS + 10)) for b in breaks or []), hi]
        return mpmath.quad(integrand, pts)


def _nsum(fam: Family, stat: sp.Expr, vals: dict) -> mpmath.mpf:
    x = fam.variables[0]
    term = sp.lambdify(x, (stat * fam.pdf).subs(vals), modules="mpmath")
    with mpmath.workdps(DPS + 10):
        return mpmath.nsum(term, [0, mpmath.inf])


def _close(closed: sp.Expr, vals: dict, numeric: mpmath.mpf, tol: mpmath.mpf = TOL) -> None:
    with mpmath.workdps(DPS + 10):
        got = mpmath.mpf(sp.N(closed.subs(vals), DPS + 10))
        assert abs(got - numeric) <= tol * max(1, abs(numeric)), (closed, got, numeric)


# ------------------------------------------------------------------ Mellin kernels
@pytest.mark.parametrize("seed", [1, 2])
def test_weibull_mellin_log_moments(seed: int) -> None:
    # Y = (x/λ)^k ~ Exp(1): E[Y log² Y] = Γ''(2); checked against quadrature.
    fam = family("weibull")
    k, lam = fam.params
    x = fam.variables[0]
    stat = (x / lam) ** k * sp.log(x / lam) ** 2
    closed = expectation(stat, fam)
    assert not closed.has(sp.Integral)
    vals = _point(fam, seed)
    _close(closed, vals, _quad(fam, stat, vals, [vals[lam]]))


def test_gamma_log_moments_digamma_trigamma() -> None:
    # E[log X] = ψ(α) − log β and Var[log X] = ψ₁(α) for X ~ Gamma(α, β) (JKB vol. 1, ch. 17).
    fam = family("gamma")
    a, b = fam.params
    x = fam.variables[0]
    assert sp.simplify(expectation(sp.log(x), fam) - (sp.digamma(a) - sp.log(b))) == 0
    var = expectation(sp.log(x) ** 2, fam) - expectation(sp.log(x), fam) ** 2
    assert sp.simplify(var - sp.polygamma(1, a)) == 0
    vals = _point(fam, 3)
    stat = x * sp.log(x)
    _close(expectation(stat, fam), vals, _quad(fam, stat, vals, [1]))


def test_beta_mixed_logs() -> None:
    # Cov(log X, log(1−X)) = −ψ₁(a+b) for X ~ Beta(a, b) (JKB vol. 2, ch. 25).
    fam = family("beta")
    a, b = fam.params
    x = fam.variables[0]
    stat = sp.log(x) * sp.log(1 - x)
    closed = expectation(stat, fam)
    cov = closed - expectation(sp.log(x), fam) * expectation(sp.log(1 - x), fam)
    assert sp.simplify(cov + sp.polygamma(1, a + b)) == 0
    vals = _point(fam, 4)
    _close(closed, vals, _quad(fam, stat, vals, [sp.Rational(1, 2)]))


def test_student_t_beta_variable() -> None:
    # W = ν/(ν + z²) ~ Beta(ν/2, 1/2): E[(2W − 1) W] = ν/(ν + 3) (GUIDE §3).
    fam = family("student_t")
    mu, s = fam.params
    nu = fam.fixed[0]
    x = fam.variables[0]
    w = nu * s**2 / (nu * s**2 + (x - mu) ** 2)
    closed = expectation((2 * w - 1) * w, fam)
    assert sp.simplify(closed - nu / (nu + 3)) == 0
    vals = {mu: sp.Rational(3, 10), s: sp.Rational(7, 5), nu: sp.Rational(9, 2)}
    fam_v = fam
    _close(closed, vals, _quad(fam_v, (2 * w - 1) * w, vals, [vals[mu]]))


def test_inverse_gaussian_gig_moments() -> None:
    # E[1/X] = 1/μ + 1/λ for the inverse Gaussian (Chhikara & Folks 1989, §2.4).
    fam = family("inverse_gaussian")
    mu, lam = fam.params
    x = fam.variables[0]
    assert sp.simplify(expectation(1 / x, fam) - (1 / mu + 1 / lam)) == 0
    assert sp.simplify(expectation(x**2, fam) - (mu**2 + mu**3 / lam)) == 0
    vals = _point(fam, 5)
    _close(expectation(x**3 + 1 / x**2, fam), vals, _quad(fam, x**3 + 1 / x**2, vals, [1]))


def test_half_integer_besselk_matches_mpmath() -> None:
    z = sp.Symbol("z", positive=True)
    for nu in (sp.Rational(1, 2), sp.Rational(-3, 2), sp.Rational(7, 2)):
        closed = half_integer_besselk(nu, z)
        assert not closed.has(sp.besselk)
        with mpmath.workdps(DPS):
            ref = mpmath.besselk(mpmath.mpf(nu.p) / nu.q, mpmath.mpf("1.7"))
            assert abs(mpmath.mpf(sp.N(closed.subs(z, sp.Rational(17, 10)), DPS)) - ref) < TOL


# ------------------------------------------------------------ reductions
@pytest.mark.parametrize(
    "name, stat_fn, breaks",
    [
        ("gumbel", lambda z: z**2 * sp.exp(-z), [0]),
        ("logistic", lambda z: z * sp.tanh(z / 2), [0]),
        ("laplace", lambda z: sp.Abs(z) ** 3, [0]),
        ("cauchy", lambda z: z**2 / (1 + z**2) ** 2, [0]),
    ],
)
def test_location_scale_reductions(name: str, stat_fn, breaks) -> None:
    fam = family(name)
    loc, scale = fam.params
    x = fam.variables[0]
    stat = stat_fn((x - loc) / scale)
    closed = expectation(stat, fam)
    assert closed.free_symbols <= set(fam.params)
    vals = _point(fam, 6)
    lower = loc - 5 * scale if name == "gumbel" else None  # density < exp(-e^5) = 1e-64 below
    _close(closed, vals, _quad(fam, stat, vals, [vals[loc]], lower=lower))


def test_route_names_record_the_technique() -> None:
    assert route_for(family("weibull")).name == "reduction:identity->GG"
    assert route_for(family("gumbel")).name == "reduction:locscale+exp->GG"
    assert route_for(family("student_t")).name == "reduction:locscale+fold->GBP"
    assert route_for(family("lognormal")).name == "reduction:log->GAUSS"
    assert route_for(family("pareto")).name == "reduction:tail->BETA"
    assert route_for(family("poisson")).name == "generating-function"
    assert route_for(family("categorical")).name == "finite"


def test_von_mises_bessel_ratio() -> None:
    # E[cos(x − μ)] = I₁(κ)/I₀(κ), E[cos²(x − μ)] = 1 − I₁/(κ I₀) (Mardia & Jupp 2000, §3.5).
    fam = family("von_mises")
    mu, k = fam.params
    x = fam.variables[0]
    a = sp.besseli(1, k) / sp.besseli(0, k)
    assert sp.simplify(expectation(sp.cos(x - mu), fam) - a) == 0
    closed = expectation(sp.cos(x - mu) ** 2 + sp.sin(x - mu) * sp.cos(x - mu), fam)
    assert sp.simplify(closed - (1 - a / k)) == 0
    vals = _point(fam, 7)
    vals[mu] = sp.Rational(0)  # support (−π, π) is centred at μ = 0 for the quadrature
    _close(closed, vals, _quad(fam, sp.cos(x - mu) ** 2 + sp.sin(x - mu) * sp.cos(x - mu), vals, [0]))


# ----------------------------------------------------------------- Gaussian
def test_normal_natural_parameters_avoid_sympy_negative_gaussian_bug() -> None:
    # SymPy 1.14 integrates a Gaussian with a negative=True coefficient to 0; the engine
    # must use moments instead: E[x²] = μ² + σ² = (η₁² − 2η₂)/(4η₂²).
    fam = family("normal_natural")
    e1, e2 = fam.params
    x = fam.variables[0]
    closed = expectation(x**2, fam)
    assert sp.simplify(closed - (e1**2 - 2 * e2) / (4 * e2**2)) == 0
    vals = {e1: sp.Rational(3, 4), e2: -sp.Rational(5, 8)}
    _close(closed, vals, _quad(fam, x**2, vals, [0]))
    _close(expectation(x**4 - 3 * x, fam), vals, _quad(fam, x**4 - 3 * x, vals, [0]))


def test_multivariate_normal_isserlis() -> None:
    # E[u1² u2²] = σ11 σ22 + 2 σ12² for the centred bivariate normal (Isserlis 1918).
    fam = family("multivariate_normal", d=2)
    x1, x2 = fam.variables
    m1, m2, s11, s12, s22 = fam.params
    closed = expectation((x1 - m1) ** 2 * (x2 - m2) ** 2, fam)
    assert sp.simplify(closed - (s11 * s22 + 2 * s12**2)) == 0
    assert sp.simplify(expectation(x1 * x2, fam) - (s12 + m1 * m2)) == 0


def test_lognormal_moments_through_the_gaussian_mgf() -> None:
    # E[X] = exp(μ + σ²/2), E[X² log X] by the tilted Gaussian (JKB vol. 1, ch. 14).
    fam = family("lognormal")
    mu, s = fam.params
    x = fam.variables[0]
    assert sp.simplify(expectation(sp.log(x) ** 2, fam) - (mu**2 + s**2)) == 0
    assert sp.simplify(expectation(x, fam) - sp.exp(mu + s**2 / 2)) == 0
    vals = _point(fam, 9)
    stat = x**2 * sp.log(x)
    _close(expectation(stat, fam), vals, _quad(fam, stat, vals, [1]))


# ----------------------------------------------------------------- discrete
@pytest.mark.parametrize("name", ["poisson", "geometric", "negative_binomial", "negative_binomial_mean"])
def test_generating_function_moments(name: str) -> None:
    fam = family(name)
    x = fam.variables[0]
    stat = x**3 - 2 * x**2 + x
    closed = expectation(stat, fam)
    assert not closed.has(sp.Sum, sp.Piecewise)
    vals = _point(fam, 8)
    vals.update({s: sp.Rational(5, 2) for s in fam.fixed})
    _close(closed, vals, _nsum(fam, stat, vals))


def test_binomial_moments_exact() -> None:
    # E[x] = np, Var = np(1−p) (Lehmann & Casella 1998, Table 1.5.1).
    fam = family("binomial")
    p = fam.params[0]
    n = fam.fixed[0]
    x = fam.variables[0]
    assert sp.simplify(expectation(x, fam) - n * p) == 0
    assert sp.simplify(expectation(x**2, fam) - (n * p * (1 - p) + n**2 * p**2)) == 0


def test_finite_support_sum() -> None:
    fam = family("categorical")
    x1, x2 = fam.variables
    p1, p2 = fam.params
    assert sp.simplify(expectation(x1 + 2 * x2, fam) - (p1 + 2 * p2)) == 0


def test_dirichlet_log_moments() -> None:
    # E[log x_i] = ψ(α_i) − ψ(α₀); Cov(log x1, log x2) = −ψ₁(α₀) (KBJ 2000, ch. 49).
    fam = family("dirichlet")
    x1, x2 = fam.variables
    a1, a2, a3 = fam.params
    a0 = a1 + a2 + a3
    assert sp.simplify(expectation(sp.log(x1), fam) - (sp.digamma(a1) - sp.digamma(a0))) == 0
    cov = expectation(sp.log(x1) * sp.log(x2), fam) - expectation(sp.log(x1), fam) * expectation(sp.log(x2), fam)
    assert sp.simplify(cov + sp.polygamma(1, a0)) == 0


# ----------------------------------------------------- deltas, fallback, PSLQ
def test_dirac_delta_distributional_hessian() -> None:
    # Laplace: ∂²ℓ/∂μ² = −2δ(x − μ)/b in the distributional sense, E = −1/b² (score route value).
    fam = family("laplace")
    mu, b = fam.params
    hess = sp.diff(fam.logpdf, mu, 2)
    assert hess.has(sp.DiracDelta)
    assert sp.simplify(expectation(hess, fam) + 1 / b**2) == 0


def test_integrate_fallback_under_budget() -> None:
    # No kernel matches (1 + θx)/2 on (−1, 1): the budgeted integrate gives E[x] = θ/3.
    x = sp.Symbol("x", real=True)
    th = sp.Symbol("theta", positive=True)
    fam = Family(sp.log(1 + th * x) - sp.log(2), x, {th: sp.Interval.open(0, 1)}, sp.Interval(-1, 1))
    assert route_for(fam).name == "none"
    assert sp.simplify(expectation(x, fam, budget=20) - th / 3) == 0


def test_impossible_expectation_raises_naming_the_term() -> None:
    fam = family("cauchy")
    x = fam.variables[0]
    with pytest.raises(DerivationError, match="exp"):
        expectation(sp.exp(sp.sin(x) ** 3), fam, budget=2)


def test_pslq_recognises_and_confirms_constants() -> None:
    # E[z² sech²(z/2)/4] under the standard logistic is (π² − 6)/9 ... recognised numerically.
    z = sp.Symbol("z", real=True)
    d = Density1D(z, -z - 2 * sp.log(1 + sp.exp(-z)), -sp.oo, sp.oo)
    value = numeric_constant(z**2, d)  # Var of the standard logistic: π²/3 (JKB vol. 2, ch. 23)
    assert sp.simplify(value - sp.pi**2 / 3) == 0
    assert recognise_constant(lambda dps: mpmath.zeta(3) + mpmath.euler**2, "test") == sp.zeta(3) + sp.EulerGamma**2
    with pytest.raises(DerivationError):
        recognise_constant(lambda dps: mpmath.e**mpmath.pi, "e^pi")


def test_linearity_and_canonical_form() -> None:
    x, a = sp.symbols("x a")
    assert linear_terms(3 * a * x**2 + x**2 + 2, (x,)) == [(2, 1), (3 * a + 1, x**2)]
    al = sp.Symbol("alpha", positive=True)
    assert tidy(sp.polygamma(1, al + 2) + 1 / al**2 + 1 / (al + 1) ** 2) == sp.polygamma(1, al)
    assert tidy(sp.gamma(al + 2) / sp.gamma(al)) == al * (al + 1)


def test_never_returns_unevaluated_integrals() -> None:
    for name in ("weibull", "gumbel", "logistic", "student_t", "von_mises", "geometric"):
        fam = family(name)
        for p in fam.params:
            val = expectation(sp.diff(fam.logpdf, p) ** 2, fam)
            assert not val.has(sp.Integral, sp.Sum), (name, p, val)
