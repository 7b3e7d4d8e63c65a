"""Sufficiency, f-divergences and the D-optimality link (issue 6), one test per status."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import symfisher as sf
from symfisher.derive.check.points import sample_points
from symfisher.derive.divergence import kl_divergence
from symfisher.options import Status
from symfisher.verification.checks import info as checks_info
from symfisher.verification.checks.design import d_optimality_entropy, ellipsoid_check
from symfisher.verification.checks.info import scalar_statistic, sufficiency, sufficiency_reason
from symfisher.verification.checks.numeric import (
    F_DIVERGENCES,
    _divergences,
    f_divergence_applies,
    f_divergence_second_order,
)
from symfisher.verification.context import Ctx
from symfisher.verification.numeric.statdist import (
    branches,
    continuous_sum_information,
    discrete_sum_information,
)

NEW = ["sufficiency", "f_divergence_second_order", "d_optimality_entropy"]


def _ctx(name: str, points: int = 3) -> Ctx:
    fam = sf.family(name)
    return Ctx(fam, tuple(sample_points(fam, points, salt="verify")), 30)


# ----------------------------------------------------------------------------- sufficiency
def test_scalar_statistics_per_parameter() -> None:
    # Gamma: log x for the shape, x for the rate; normal σ with μ known: x² − 2μx
    # (≡ (x − μ)² up to a constant); Weibull: none for k, x^k for λ; Cauchy: none.
    g = sf.family("gamma")
    assert [scalar_statistic(g, p) for p in g.params] == [sp.log(g.variables[0]), g.variables[0]]
    n = sf.family("normal")
    x, mu = n.variables[0], n.params[0]
    assert sp.expand(scalar_statistic(n, n.params[1]) - (x**2 - 2 * mu * x)) == 0
    w = sf.family("weibull")
    assert scalar_statistic(w, w.params[0]) is None
    assert scalar_statistic(w, w.params[1]) == x ** w.params[0]
    assert "order statistic" in sufficiency_reason(sf.family("cauchy"))


def test_sufficiency_proved_from_closed_form_laws() -> None:
    # Poisson: X₁ + X₂ ~ Poisson(2λ); exponential: X₁ + X₂ ~ Gamma(2, λ) (density λ²u e^{−λu});
    # Bernoulli: X₁ + X₂ + X₃ ~ Binomial(3, p). Each law's information equals n I exactly.
    for name, law in (
        ("poisson", "(2*lambda)**t"),
        ("exponential", "lambda**2*u*exp(-lambda*u)"),
        ("bernoulli", "finite support"),
    ):
        out = sufficiency(_ctx(name))
        assert out.status is Status.PROVED, (name, out)
        assert law in out.method, out.method


def test_discrete_route_matches_n_times_information() -> None:
    # Independent of the closed form: mpmath convolution of the pmf, ∂ by mpmath.diff.
    # Binomial(m = 5, p = 1/3): I = m/(p(1−p)) = 22.5 per observation, so 3·I = 67.5.
    fam = sf.family("binomial")
    p, m = fam.params[0], fam.fixed[0]
    got = discrete_sum_information(fam, fam.variables[0], p, {p: sp.Rational(1, 3), m: 5}, n=3)
    assert abs(got - mpmath.mpf("67.5")) < mpmath.mpf(10) ** -25
    # Negative binomial (r = 3, p = 2/5): I = r/(p²(1−p)) = 125/4 per observation.
    fam = sf.family("negative_binomial")
    p, r = fam.params[0], fam.fixed[0]
    got = discrete_sum_information(fam, fam.variables[0], p, {p: sp.Rational(2, 5), r: 3}, n=2)
    assert abs(got - mpmath.mpf(125) / 2) < mpmath.mpf(10) ** -20


def test_continuous_route_matches_n_times_information() -> None:
    # Gamma shape with the rate known: T = log x has no closed-form convolution in SymPy;
    # 2 I_αα = 2 ψ'(α) (trigamma). Normal σ with μ known: T = (x − μ)² (two branches,
    # t^{-1/2} singularity): 2 I_σσ = 4/σ².
    t = sp.Symbol("t")
    g = sf.family("gamma")
    a, b = g.params
    pt = {a: sp.Rational(3, 2), b: sp.Integer(2)}
    info, err = continuous_sum_information(branches(g, sp.log(g.variables[0]), t, {b: 2}), t, a, pt)
    assert abs(info - 2 * float(mpmath.psi(1, 1.5))) < 1e-12 and err < 1e-10
    n = sf.family("normal")
    mu, s = n.params
    T = (n.variables[0] - mu) ** 2
    info, err = continuous_sum_information(
        branches(n, T, t, {mu: sp.Rational(1, 3)}), t, s, {mu: sp.Rational(1, 3), s: sp.Rational(3, 2)}
    )
    assert abs(info - 4 / 2.25) < 1e-7 * 4 / 2.25 and err < 1e-7


def test_non_sufficient_statistics_carry_strictly_less() -> None:
    # Converse: Σ X_i² is not sufficient for a Poisson mean: far below 3/λ.
    fam = sf.family("poisson")
    lam, x = fam.params[0], fam.variables[0]
    got = discrete_sum_information(fam, x**2, lam, {lam: 2}, n=3, dps=20)
    assert got < mpmath.mpf("1.5") * (1 - 1e-3)
    # X₁ alone (n = 1) carries I = 1/λ, a third of the sufficient sum's 3/λ.
    assert abs(discrete_sum_information(fam, x, lam, {lam: 2}, n=1, dps=20) - mpmath.mpf("0.5")) < 1e-15
    # max(X₁, X₂) for a normal mean (σ = 1): density 2φ(x−μ)Φ(x−μ); information by quadrature
    # with the analytic derivative 2(−zφΦ + φ²): 1.4805…, strictly below the sum's 2.
    with mpmath.workdps(30):
        f = lambda z: 2 * mpmath.npdf(z) * mpmath.ncdf(z)  # noqa: E731
        fp = lambda z: 2 * (-z * mpmath.npdf(z) * mpmath.ncdf(z) + mpmath.npdf(z) ** 2)  # noqa: E731
        i_max = mpmath.quad(lambda z: fp(z) ** 2 / f(z), [-mpmath.inf, 0, mpmath.inf])
    assert 1.48 < i_max < 1.49 and i_max < 2 - 0.5


def test_sufficiency_fails_when_information_disagrees() -> None:
    # The decision rule of both routes: against a wrong reference (1.01 n I) the row fails.
    ctx = _ctx("exponential", 1)
    wrong = sp.Matrix(sf.fisher(ctx.fam)) * sp.Rational(101, 100)
    out = checks_info._numeric(ctx.fam, 0, ctx.fam.variables[0], ctx, wrong)
    assert out.status is Status.FAILS and out.residual == pytest.approx(1 / 101, rel=1e-6)
    ctx = _ctx("poisson", 1)
    wrong = sp.Matrix(sf.fisher(ctx.fam)) * sp.Rational(101, 100)
    out = checks_info._numeric(ctx.fam, 0, ctx.fam.variables[0], ctx, wrong)
    assert out.status is Status.FAILS and "≠" in out.reason


@pytest.mark.slow
def test_sufficiency_numeric_for_gamma_and_weibull() -> None:
    rep = sf.verify("gamma", identities=["sufficiency"], budget=120)
    row = rep.row("sufficiency")
    assert row.status is Status.NUMERIC and row.residual < 1e-7, row
    assert "alpha: T = log(x)" in row.method
    row = sf.verify("weibull", identities=["sufficiency"], budget=120).row("sufficiency")
    assert row.status is Status.NUMERIC and "no scalar sufficient statistic for k" in row.reason


# ----------------------------------------------------------------------------- f-divergences
def test_f_divergences_second_order_verified() -> None:
    for name in ("poisson", "exponential", "bernoulli"):
        out = f_divergence_second_order(_ctx(name))
        assert out.status is Status.NUMERIC and out.residual < 1e-8, (name, out)
        for d in F_DIVERGENCES:
            assert d.name in out.method


def test_divergence_values_match_closed_forms() -> None:
    # Independent routes for the quadrature itself, at ε = 1e-4, 5e-5, 2.5e-5:
    # KL of two normals (closed form, symfisher's kl_divergence: Penny 2001, eq. 4) and the
    # Pearson χ² of two Poissons, Σ p²/q − 1 = exp((a − b)²/b) − 1.
    fam = sf.family("normal")
    mu, s = fam.params
    pt = {mu: sp.Rational(1, 3), s: sp.Rational(3, 2)}
    v = [sp.Integer(1), sp.Rational(3, 2)]
    vals = _divergences(fam, pt, v, 40)
    kl, t1, t2 = kl_divergence(fam)
    for e, got in zip(("1e-4", "5e-5", "2.5e-5"), vals[0]):
        eps = sp.Rational(e)
        ref = kl.subs({t1[0]: pt[mu], t1[1]: pt[s], t2[0]: pt[mu] + eps, t2[1]: pt[s] + eps * v[1]})
        with mpmath.workdps(40):
            want = mpmath.mpf(str(sp.N(ref, 40)))
            assert abs(got - want) < mpmath.mpf(10) ** -25 * want
    fam = sf.family("poisson")
    lam = fam.params[0]
    vals = _divergences(fam, {lam: 2}, [sp.Integer(2)], 40)
    for e, got in zip(("1e-4", "5e-5", "2.5e-5"), vals[2]):
        b = 2 + 2 * sp.Rational(e)
        ref = sp.exp((2 - b) ** 2 / b) - 1
        with mpmath.workdps(40):
            want = mpmath.mpf(str(sp.N(ref, 40)))
            assert abs(got - want) < mpmath.mpf(10) ** -25 * want


def test_f_divergence_not_applicable_to_continuous_vector_data() -> None:
    assert f_divergence_applies(sf.family("multivariate_normal"))
    assert f_divergence_applies(sf.family("categorical")) is None  # finite support: summed


# ----------------------------------------------------------------------------- D-optimality
def test_d_optimality_entropy_and_volume_verified() -> None:
    for name in ("normal", "poisson", "gamma"):
        out = d_optimality_entropy(_ctx(name))
        assert out.status is Status.NUMERIC and out.residual <= 1e-10, (name, out)
        assert "larger log det I, smaller entropy and volume" in out.reason


def test_two_regression_designs_ranked_by_log_det() -> None:
    # Straight line y = b0 + b1 x on [−1, 1], f(x) = (1, x): the D-optimal design puts
    # weight ½ on ±1 (Atkinson, Donev & Tobias 2007, §11.2), M = diag(1, 1); the uniform
    # design on {−1, 0, 1} has M = diag(1, 2/3). n = 20 observations.
    n = 20
    checks = []
    for m in (np.diag([1.0, 1.0]), np.diag([1.0, 2.0 / 3.0])):
        M = n * m
        chk = ellipsoid_check(M.tolist(), float(np.log(np.linalg.det(M))))
        assert chk.residual < 1e-10
        checks.append(chk)
    opt, uni = checks
    assert opt.logdet > uni.logdet and opt.entropy < uni.entropy and opt.volume < uni.volume
    # The volume ratio is the square root of the inverse determinant ratio: √(3/2).
    assert opt.volume / uni.volume == pytest.approx(np.sqrt(2 / 3), rel=1e-12)


def test_ellipsoid_check_detects_a_wrong_determinant_and_monte_carlo_for_p4() -> None:
    M = [[4.0, 1.0], [1.0, 3.0]]
    assert ellipsoid_check(M, float(np.log(11.0)) + 0.01).residual > 1e-3
    # p = 4: Monte Carlo volume within its 5-standard-error bound of the closed form.
    A = np.array([[3.0, 0.5, 0.2, 0.0], [0.5, 2.0, 0.3, 0.1], [0.2, 0.3, 1.5, 0.2], [0.0, 0.1, 0.2, 1.0]])
    chk = ellipsoid_check(A.tolist(), float(np.linalg.slogdet(A)[1]), seed=3)
    assert "Monte Carlo" in chk.method
    assert abs(chk.volume - chk.volume_formula) / chk.volume_formula <= chk.volume_tol
    assert abs(chk.entropy - chk.entropy_formula) < 1e-12


def test_d_optimality_not_applicable_for_singular_information() -> None:
    # Only a + b is identified: I = [[1, 1], [1, 1]] is singular.
    x = sp.Symbol("x", real=True)
    a, b = sp.symbols("a b", real=True)
    fam = sf.Family(-((x - a - b) ** 2) / 2 - sp.log(2 * sp.pi) / 2, x, [a, b], sp.Reals, name="sum_only")
    out = d_optimality_entropy(Ctx(fam, ({a: sp.Rational(1, 2), b: sp.Rational(1, 3)},), 30))
    assert out.status is Status.NOT_APPLICABLE and "singular" in out.reason


# ----------------------------------------------------------------------------- through verify
def test_uniform_fails_the_new_rows_on_regularity() -> None:
    rep = sf.verify("uniform", identities=NEW)
    for row in rep.rows:
        assert row.status is Status.FAILS and "depends on" in row.reason, row


def test_cauchy_sufficiency_not_applicable_and_budget_inconclusive() -> None:
    rep = sf.verify("cauchy", identities=["sufficiency"])
    assert rep.row("sufficiency").status is Status.NOT_APPLICABLE
    rep = sf.verify("gamma", identities=NEW, budget=0.01)
    assert all(r.status is Status.INCONCLUSIVE and "time budget" in r.reason for r in rep.rows)


def test_absolute_value_statistic_is_split_at_its_kink() -> None:
    """Laplace scale b with mu known: T = |x - mu| ~ Exponential(1/b) (two mirrored branches
    of x), so the information of T1 + T2 is 2 I_bb = 2/b^2 (Laplace: I_bb = 1/b^2)."""

    from symfisher.verification.numeric.statdist import branches

    fam = sf.family("laplace")
    mu, b = fam.params
    brs = branches(fam, sp.Abs(mu - fam.variables[0]), sp.Symbol("t"), point={mu: sp.Rational(1, 2)})
    assert brs is not None and len(brs) == 2 and all(br.lo == 0 and br.hi == sp.oo for br in brs)
    row = sf.verify("laplace", identities=["sufficiency"]).row("sufficiency")
    assert row.status is Status.NUMERIC and row.residual < 1e-7, row
