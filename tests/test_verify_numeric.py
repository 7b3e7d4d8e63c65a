"""Numeric routes of the verifier: KL expansion and reparametrised Fisher by quadrature,
the simplification deadline, fast residual evaluation, and the exponential-family
skewness route. Every expected value is a closed form derived independently (cited)."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

import symfisher as sf
from symfisher.options import Status
from symfisher.verification.context import abs_at_points, numeric_abs, tidy_within
from symfisher.verification.numeric.quadrature import fisher_by_quadrature, kl_coefficients

TOL = 1e-15  # = 10^(-dps/2) at dps = 30, the verifier's own tolerance


def _mp(expr: sp.Expr, dps: int = 40) -> mpmath.mpf:
    return mpmath.mpf(str(sp.N(expr, dps)))


def test_kl_coefficients_poisson_match_the_series_of_the_closed_form() -> None:
    # KL(Poi(λ)‖Poi(λ+d)) = d − λ log(1 + d/λ) = d²/(2λ) − d³/(3λ²) + O(d⁴) (the issue's
    # reference: third-order term −d³/(3λ²)). The step is scaled by λ (d = ελ), so
    # c₂ = λ/2 and c₃ = −λ/3.
    fam = sf.family("poisson")
    (lam,) = fam.params
    kc = kl_coefficients(fam, {lam: sp.Integer(2)}, 30)
    assert abs(kc.c2[0] - 1) < TOL
    assert abs(kc.c3[0] + mpmath.mpf(2) / 3) < TOL


def test_kl_coefficients_normal_match_the_published_kl_formula() -> None:
    # KL(N(μ, σ²)‖N(μ + a, (σ + b)²)) = log((σ + b)/σ) + (σ² + a²)/(2(σ + b)²) − ½
    # (Bishop 2006, PRML, Exercise 1.30); its Taylor coefficients
    # in ε along each direction are the oracle (SymPy series, exact).
    fam = sf.family("normal")
    mu, sigma = fam.params
    pt = {mu: sp.Rational(1, 2), sigma: sp.Integer(2)}
    kc = kl_coefficients(fam, pt, 30)
    eps = sp.Symbol("eps")
    assert len(kc.directions) == 4  # e₁, e₂, e₁ + e₂, e₁ − e₂ (scaled by 1 and σ)
    for v, c2, c3 in zip(kc.directions, kc.c2, kc.c3):
        a, b = eps * v[0], eps * v[1]
        s = pt[sigma]
        kl = sp.log((s + b) / s) + (s**2 + a**2) / (2 * (s + b) ** 2) - sp.Rational(1, 2)
        ser = sp.series(kl, eps, 0, 4).removeO()
        assert abs(c2 - _mp(ser.coeff(eps, 2))) < TOL
        assert abs(c3 - _mp(ser.coeff(eps, 3))) < TOL


def test_kl_coefficients_laplace_kink_second_order_only() -> None:
    # Laplace location: KL(L(μ, b)‖L(μ + δ, b)) = |δ|/b + e^{−|δ|/b} − 1
    # = δ²/(2b²) − |δ|³/(6b³) + … (Gil, Alajaji & Hoseinzade 2013, Table 1 / direct
    # integration): the ε² coefficient is 1/(2b²), and there is no smooth ε³ term.
    fam = sf.family("laplace")
    mu, b = fam.params
    kc = kl_coefficients(fam, {mu: sp.Rational(-1, 7), b: sp.Rational(9, 5)}, 30, smooth=False)
    assert kc.c3 is None
    assert abs(kc.c2[0] - 1 / (2 * mpmath.mpf(9) / 5 * mpmath.mpf(9) / 5)) < TOL


def test_fisher_by_quadrature_logistic_matches_published_closed_form() -> None:
    # Logistic(μ, s): I = diag(1/(3s²), (π² + 3)/(9s²)) (Johnson, Kotz & Balakrishnan,
    # Continuous Univariate Distributions vol. 2, ch. 23).
    fam = sf.family("logistic")
    mu, s = fam.params
    I = fisher_by_quadrature(fam, {mu: sp.Rational(3, 5), s: sp.Rational(7, 4)}, 40)
    with mpmath.workdps(40):
        sv = mpmath.mpf(7) / 4
        assert abs(I[0, 0] - 1 / (3 * sv**2)) < 1e-25
        assert abs(I[1, 1] - (mpmath.pi**2 + 3) / (9 * sv**2)) < 1e-25
        assert abs(I[0, 1]) < 1e-25


def test_tidy_within_gives_up_and_succeeds() -> None:
    x = sp.Symbol("x", positive=True)
    assert tidy_within([sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1], 20.0) == [0]
    heavy = sum(sp.besseli(k, x) * sp.cos(k * x) ** 3 for k in range(12)) ** 3
    assert tidy_within([heavy], 0.05) is None


def test_abs_at_points_agrees_with_evalf() -> None:
    # the fast mpmath-lambdify evaluation against SymPy's adaptive evalf (independent route)
    k, m = sp.symbols("kappa mu", positive=True)
    exprs = [sp.besseli(1, k) / sp.besseli(0, k) - sp.cos(m), sp.polygamma(1, k) * k - 1]
    pts = [{k: sp.Rational(3, 2), m: sp.Rational(1, 3)}, {k: sp.Integer(5), m: sp.Integer(2)}]
    fast = abs_at_points(exprs, pts, 30)
    for pt, vals in zip(pts, fast):
        for e, v in zip(exprs, vals):
            ref = numeric_abs(e, pt, 30)
            assert abs(v - ref) <= 1e-28 * max(1, ref)


@pytest.mark.slow
def test_skewness_of_exponential_families_from_cov_equals_direct_expectation() -> None:
    # two routes: J_ai J_bj ∂_k Cov(t)_ab versus E[s_i s_j s_k]: symbolically by the
    # expectation engine (Dirichlet), and by Gauss–Hermite quadrature, exact for the
    # polynomial integrands of a Gaussian up to float64 rounding (bivariate normal, where
    # the direct symbolic route takes over a minute).
    from symfisher.derive.check.integrate import numeric_expectations
    from symfisher.derive.expectation.engine import expectation
    from symfisher.derive.geometry.connections import _skewness_expfam, _sorted_triples
    from symfisher.derive.score import score

    fam = sf.family("dirichlet")
    via_cov = _skewness_expfam(fam)
    s = list(score(fam))
    for ix in _sorted_triples(len(s)):
        direct = expectation(sp.expand(s[ix[0]] * s[ix[1]] * s[ix[2]]), fam)
        assert sp.simplify(direct - via_cov[ix]) == 0, ix
    fam = sf.family("multivariate_normal")
    via_cov = _skewness_expfam(fam)
    s = list(score(fam))
    mu1, mu2, s11, s12, s22 = fam.params
    pt = {
        mu1: sp.Rational(1, 3),
        mu2: sp.Rational(-1, 2),
        s11: sp.Integer(2),
        s12: sp.Rational(1, 2),
        s22: sp.Rational(3, 2),
    }
    triples = _sorted_triples(len(s))
    gh = numeric_expectations(fam, [sp.expand(s[i] * s[j] * s[k]) for i, j, k in triples], pt)
    assert gh.method == "gauss-hermite"
    for n, ix in enumerate(triples, start=1):
        want = float(via_cov[ix].subs(pt))
        assert abs(float(gh.values[n]) - want) <= 1e-9 * max(1.0, abs(want)), ix
    assert _skewness_expfam(sf.family("student_t_df")) is None  # not an exponential family
    assert _skewness_expfam(sf.family("gamma")) is None  # p = 2: the direct route is used


@pytest.mark.slow
def test_families_without_closed_forms_are_verified_numerically() -> None:
    # Gumbel: no closed-form KL from the engine and no symbolic reparametrised Fisher
    # matrix in time; both identities come out verified numerically, never inconclusive.
    names = ["reparametrization", "jeffreys_transforms", "curvature_invariance", "kl_second_order", "kl_third_order"]
    rep = sf.verify("gumbel", identities=names, budget=60)
    for row in rep.rows:
        assert row.status in (Status.PROVED, Status.NUMERIC), row
        assert row.residual is not None and row.residual <= TOL, row
    assert "quadrature" in rep.row("kl_second_order").method
    lap = sf.verify("laplace", identities=["kl_second_order", "kl_third_order"], budget=60)
    assert lap.row("kl_second_order").status is Status.NUMERIC
    third = lap.row("kl_third_order")
    assert third.status is Status.NOT_APPLICABLE and "|d|³" in third.reason


def test_longest_families_are_scheduled_first() -> None:
    from symfisher.verification.parallel import expected_cost

    assert expected_cost("multivariate_normal") > expected_cost("normal") > expected_cost("uniform")


def test_exact_gauss_hermite_for_gaussian_data_matches_moments() -> None:
    # E[x₁⁴] = μ⁴ + 6μ²σ₁₁ + 3σ₁₁² and E[x₁x₂] = μ₁μ₂ + σ₁₂ (Gaussian moments, exact)
    from symfisher.verification.numeric.quadrature import expectations_at

    fam = sf.family("multivariate_normal")
    x1, x2 = fam.variables
    mu1, mu2, s11, s12, s22 = fam.params
    pt = {
        mu1: sp.Rational(1, 3),
        mu2: sp.Rational(-1, 2),
        s11: sp.Integer(2),
        s12: sp.Rational(1, 2),
        s22: sp.Rational(3, 2),
    }
    got = expectations_at(fam, [x1**4, x1 * x2], pt, 40)
    want = [sp.Rational(1, 81) + 6 * sp.Rational(1, 9) * 2 + 3 * 4, sp.Rational(-1, 6) + sp.Rational(1, 2)]
    with mpmath.workdps(40):
        for g, w in zip(got, want):
            assert abs(g - _mp(w)) < 1e-35


def test_bartlett_third_falls_back_to_quadrature(monkeypatch: pytest.MonkeyPatch) -> None:
    # with no time for the closed-form expectations, the identity is still checked
    # (quadrature at the points), never left inconclusive
    from symfisher.verification.checks import score as checks_score

    monkeypatch.setattr(checks_score, "BARTLETT_SYMBOLIC_SECONDS", 1e-3)
    rep = sf.verify("gamma", identities=["bartlett_third"], budget=60)
    row = rep.row("bartlett_third")
    assert row.status is Status.NUMERIC and row.residual <= TOL, row
    assert "closed-form expectations took over" in row.method


def test_brioschi_formula_matches_published_curvatures() -> None:
    # sphere of radius 2: K = 1/4; gamma manifold (shape a, rate b): Arwini & Dodson
    # (2008, Information Geometry, §3.6) K = (ψ′(a) + a ψ″(a)) / (4 (a ψ′(a) − 1)²)
    from symfisher.derive.geometry.curvature import brioschi_curvature

    t, p = sp.symbols("theta phi", positive=True)
    assert sp.simplify(brioschi_curvature(sp.diag(4, 4 * sp.sin(t) ** 2), [t, p])) == sp.Rational(1, 4)
    a, b = sp.symbols("a b", positive=True)
    g = sp.Matrix([[sp.polygamma(1, a), -1 / b], [-1 / b, a / b**2]])
    K = (sp.polygamma(1, a) + a * sp.polygamma(2, a)) / (4 * (a * sp.polygamma(1, a) - 1) ** 2)
    pt = {a: sp.Rational(3, 2), b: sp.Integer(2)}
    assert abs(sp.N((brioschi_curvature(g, [a, b]) - K).subs(pt), 40)) < 1e-35
