"""The Fisher engine on user-defined families, through the public API of issue 2."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sympy as sp

import symfisher as sf
from symfisher._runtime.budget import run_with_budget
from symfisher.derive.fisher.api import derive_fisher
from symfisher.errors import BudgetExceeded, DerivationError, NonRegularFamilyError, SymfisherError

x = sp.Symbol("x")
mu = sp.Symbol("mu", real=True)
sigma = sp.Symbol("sigma", positive=True)
b = sp.Symbol("b", positive=True)
lam = sp.Symbol("lam", positive=True)
REALS = sp.Interval(-sp.oo, sp.oo)


def integrate_expect(expr: sp.Expr, fam: sf.Family, *, budget: float = 10.0) -> sp.Expr:
    """Independent test-only expectation: plain SymPy integration of a piecewise integrand."""
    (var,) = fam.variables
    f = sp.piecewise_fold((sp.sympify(expr) * fam.pdf).rewrite(sp.Piecewise))
    return sp.simplify(sp.integrate(f, (var, fam.support.inf, fam.support.sup), conds="none"))


def normal_family() -> sf.Family:
    pdf = sp.exp(-((x - mu) ** 2) / (2 * sigma**2)) / sp.sqrt(2 * sp.pi * sigma**2)
    return sf.Family.from_pdf(pdf, variables=x, params=[mu, sigma], support=REALS)


def laplace_family() -> sf.Family:
    return sf.Family(-sp.log(2 * b) - sp.Abs(x - mu) / b, x, [mu, b], REALS, name="laplace")


def test_normal_from_pdf_matches_published() -> None:
    # Lehmann & Casella, Theory of Point Estimation (1998), Example 2.6.3: diag(1/σ², 2/σ²)
    res = derive_fisher(normal_family())
    assert res.matrix == sp.ImmutableMatrix([[1 / sigma**2, 0], [0, 2 / sigma**2]])
    assert res.route == "expfam"
    assert res.check is not None and res.check.residual < 1e-20 and res.check.hessian_checked


def test_fisher_returns_immutable_matrix_in_param_order() -> None:
    fam = sf.Family(normal_family().logpdf, x, [sigma, mu], REALS)
    assert sf.fisher(fam) == sp.ImmutableMatrix([[2 / sigma**2, 0], [0, 1 / sigma**2]])


def test_laplace_uses_score_route_and_says_why() -> None:
    # Laplace(μ, b): I = diag(1/b², 1/b²) (Kotz, Kozubowski & Podgórski, The Laplace
    # Distribution and Generalizations (2001), eq. 2.1.40). The pointwise Hessian gives
    # I_μμ = 0, so the engine must use the score route and record the reason.
    fam = laplace_family()
    assert sp.simplify(sf.hessian(fam)[0, 0].subs(sp.DiracDelta(x - mu), 0)) == 0
    res = derive_fisher(fam, expect=integrate_expect)
    assert res.matrix == sp.ImmutableMatrix([[1 / b**2, 0], [0, 1 / b**2]])
    assert res.routes[0][0] == "score"
    assert any("Hessian route invalid" in n and "Abs" in n for n in res.notes)
    assert res.check is not None and not res.check.hessian_checked


def test_explicit_hessian_method_refused_for_non_smooth_density() -> None:
    with pytest.raises(DerivationError, match="not twice differentiable"):
        derive_fisher(laplace_family(), "hessian", expect=integrate_expect)


def test_non_regular_uniform_raises() -> None:
    theta = sp.Symbol("theta", positive=True)
    fam = sf.Family(-sp.log(theta), x, [theta], sp.Interval(0, theta), name="uniform")
    assert not fam.regular
    with pytest.raises(NonRegularFamilyError, match="support .* depends on the parameter"):
        sf.fisher(fam)
    assert sf.score(fam) == sp.ImmutableMatrix([[-1 / theta]])  # score still works


def test_reparametrize_transforms_as_a_metric() -> None:
    # I_η = Jᵀ I_θ J with θ = (μ, σ) = (m, exp(t)).
    m, t = sp.Symbol("m", real=True), sp.Symbol("t", real=True)
    fam = normal_family()
    new = fam.reparametrize({mu: m, sigma: sp.exp(t)}, [m, t])
    jac = sp.Matrix([m, sp.exp(t)]).jacobian([m, t])
    expected = jac.T * sf.fisher(fam).subs(sigma, sp.exp(t)) * jac
    assert sp.simplify(sf.fisher(new) - expected) == sp.zeros(2, 2)


def test_iid_scales_by_n() -> None:
    n = sp.Symbol("n", positive=True, integer=True)
    fam = normal_family()
    assert sf.fisher(sf.iid(fam, n)) == n * sf.fisher(fam)
    assert sf.fisher(sf.iid(fam, 7)) == 7 * sf.fisher(fam)
    with pytest.raises(SymfisherError, match="positive integer"):
        sf.iid(fam, 0)


def test_jeffreys_and_cramer_rao() -> None:
    # Jeffreys prior of N(μ, σ): √det I = √2/σ² (Jeffreys 1961, §3.10).
    fam = normal_family()
    assert sp.simplify(sf.jeffreys_prior(fam) - sp.sqrt(2) / sigma**2) == 0
    # CRB for g = μ/σ: ∇g = (1/σ, −μ/σ²), I⁻¹ = diag(σ², σ²/2) → 1 + μ²/(2σ²)
    assert sp.simplify(sf.cramer_rao(fam, mu / sigma) - (1 + mu**2 / (2 * sigma**2))) == 0
    with pytest.raises(SymfisherError, match="not parameters"):
        sf.cramer_rao(fam, mu * lam)


def test_non_normalised_density_rejected() -> None:
    fam = sf.Family(-((x - mu) ** 2) / 2, x, [mu], REALS, name="unnormalised")
    with pytest.raises(SymfisherError, match="not normalised"):
        sf.fisher(fam)


def test_parameter_not_in_density_rejected() -> None:
    with pytest.raises(SymfisherError, match="does not appear"):
        sf.Family(-x - sp.log(1), x, [lam], sp.Interval(0, sp.oo))


def test_wrong_closed_form_is_caught() -> None:
    # A deliberately wrong expectation engine (twice the true value) must not pass the check.
    def wrong(expr: sp.Expr, fam: sf.Family, *, budget: float = 10.0) -> sp.Expr:
        return 2 * integrate_expect(expr, fam, budget=budget)

    with pytest.raises(DerivationError, match="numeric cross-check failed"):
        derive_fisher(laplace_family(), "score", expect=wrong)
    with pytest.raises(DerivationError, match="no verified closed form"):
        derive_fisher(laplace_family(), "auto", expect=wrong)


def test_no_closed_form_raises_or_gives_marked_numeric() -> None:
    def refuse(expr: sp.Expr, fam: sf.Family, *, budget: float = 10.0) -> sp.Expr:
        raise DerivationError("test engine refuses")

    with pytest.raises(DerivationError, match=r"I\[0, 0\]"):
        derive_fisher(laplace_family(), expect=refuse)
    nf = derive_fisher(laplace_family(), expect=refuse, allow_numeric=True)
    assert nf.is_numeric and "NUMERIC" in repr(nf)
    val = nf.evaluate({"mu": 0.25, "b": 2.0})
    # 1/b² = 0.25 for both diagonal entries (independent closed form above).
    assert abs(val[0, 0] - 0.25) < 1e-12 and abs(val[1, 1] - 0.25) < 1e-12 and abs(val[0, 1]) < 1e-12


def test_object_with_fisher_information_is_delegated() -> None:
    class Model:
        params = (lam,)

        def fisher_information(self, method: str = "auto", **options: object) -> sp.ImmutableMatrix:
            return sp.ImmutableMatrix([[method == "score"]])

    assert sf.fisher(Model(), method="score") == sp.ImmutableMatrix([[True]])


def test_budget_kills_runaway_call_and_reports_errors() -> None:
    def spin() -> None:
        while True:
            pass

    with pytest.raises(BudgetExceeded):  # an endless loop: only the kill can end it
        run_with_budget(spin, seconds=0.3)
    assert run_with_budget(sp.expand, (x + 1) ** 2, seconds=10).value == x**2 + 2 * x + 1
    assert "ZeroDivisionError" in run_with_budget(lambda: 1 / 0, seconds=5).error


@pytest.mark.slow
def test_disk_cache_round_trip_without_rederiving(tmp_path) -> None:
    code = (
        "import sympy as sp, symfisher as sf, symfisher.derive.fisher.api as F\n"
        "x = sp.Symbol('x'); a = sp.Symbol('a', positive=True); r = sp.Symbol('r', positive=True)\n"
        "fam = sf.Family(a*sp.log(r) - sp.loggamma(a) + (a-1)*sp.log(x) - r*x, x, [a, r], sp.Interval(0, sp.oo))\n"
        "import sys\n"
        "if sys.argv[1] == 'second':\n"
        "    F._derive = None  # any derivation now fails: the result must come from disk\n"
        "print(repr(F.derive_fisher(fam).matrix))\n"
    )
    env = {**__import__("os").environ, "SYMFISHER_CACHE": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", code, "first"], capture_output=True, text=True, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    second = subprocess.run(
        [sys.executable, "-c", code, "second"], capture_output=True, text=True, env=env, timeout=300
    )
    assert second.returncode == 0, second.stderr
    assert first.stdout == second.stdout
    assert "polygamma(1, a)" in second.stdout
    # a damaged entry is ignored and rebuilt
    (entry,) = list((tmp_path / "derivations").glob("*.json"))
    entry.write_text(entry.read_text()[:-20])
    third = subprocess.run([sys.executable, "-c", code, "first"], capture_output=True, text=True, env=env, timeout=300)
    assert third.returncode == 0 and third.stdout == first.stdout


def test_user_weibull_through_the_expectation_engine() -> None:
    # Weibull(k, λ): I_kk = ((1 − γ)² + π²/6)/k², I_kλ = (γ − 1)/λ, I_λλ = k²/λ²
    # (Johnson, Kotz & Balakrishnan, Continuous Univariate Distributions vol. 1, 2nd ed.
    # (1994), eq. 21.87). Not an exponential family: the Hessian route must be used.
    k = sp.Symbol("k", positive=True)
    fam = sf.Family(
        sp.log(k / lam) + (k - 1) * sp.log(x / lam) - (x / lam) ** k,
        x,
        [k, lam],
        sp.Interval(0, sp.oo),
        name="user weibull",
    )
    res = derive_fisher(fam, cache=False)
    g = sp.EulerGamma
    expected = sp.Matrix([[((1 - g) ** 2 + sp.pi**2 / 6) / k**2, (g - 1) / lam], [(g - 1) / lam, k**2 / lam**2]])
    assert sp.simplify(res.matrix - expected) == sp.zeros(2, 2)
    assert res.routes[0][0] == "hessian" and res.check.residual < 1e-15


def test_dirichlet_checked_exactly() -> None:
    # Dirichlet(a1, a2, a3): I = diag(ψ1(a_i)) − ψ1(Σa) 11ᵀ (Minka, "Estimating a
    # Dirichlet distribution" (2000), eq. 16); vector data on the simplex → checked exactly
    # (stick-breaking separation into 1-D tanh-sinh quadratures at 30 digits), not by Monte Carlo.
    from symfisher.families.sets import Simplex

    y = sp.Symbol("y")
    a = sp.symbols("a1:4", positive=True)
    logpdf = (
        sp.loggamma(sum(a))
        - sum(sp.loggamma(t) for t in a)
        + (a[0] - 1) * sp.log(x)
        + (a[1] - 1) * sp.log(y)
        + (a[2] - 1) * sp.log(1 - x - y)
    )
    res = derive_fisher(sf.Family(logpdf, [x, y], list(a), Simplex(2)), cache=False)
    expected = sp.diag(*[sp.polygamma(1, t) for t in a]) - sp.polygamma(1, sum(a)) * sp.ones(3, 3)
    assert sp.simplify(res.matrix - expected) == sp.zeros(3, 3)
    chk = res.check
    assert chk.method == "stick-breaking-quad" and chk.dps == 30
    # exact up to quadrature: the 30-digit rule agrees to far more than the 1e-10 it claims
    assert chk.residual < 1e-20 and chk.tolerance == chk.resolution == 1e-10
    assert "stick-breaking-quad" in str(chk) and "dps=30" in str(chk) and "resolves" in str(chk)
