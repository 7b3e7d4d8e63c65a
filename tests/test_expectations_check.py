"""Every public function that returns expectation-engine output cross-checks it numerically.

Wrong closed forms are injected through one seam, the engine's unchecked entry
``closed_expectation`` (monkeypatched to return E + δ(1 + E) with δ = 10⁻⁶): each public
function must refuse them with ``check=True`` and pass them through with ``check=False``
(which shows that the check, not something else, refuses them).
"""

from __future__ import annotations

from typing import Any

import mpmath
import pytest
import sympy as sp

import symfisher as sf
from symfisher._runtime.caches import clear_caches
from symfisher.derive.check.core import cross_check
from symfisher.derive.check.expectations_check import check_expectations
from symfisher.derive.divergence import kl_divergence
from symfisher.derive.expectation import engine
from symfisher.derive.expectation.engine import expectation
from symfisher.derive.geometry.connections import alpha_connection, skewness_tensor
from symfisher.errors import DerivationError

DELTA = sp.Rational(1, 10**6)  # far above the checks' 1e-10 resolution, far below Monte Carlo's


@pytest.fixture
def wrong_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine returns E + δ(1 + E): wrong by a relative 1e-6 (or an absolute 1e-6 at 0)."""
    right = engine.closed_expectation

    def wrong(expr: Any, fam: Any, *, budget: float = 10.0) -> sp.Expr:
        value = right(expr, fam, budget=budget)
        return value + DELTA * (1 + value)

    clear_caches()  # results memoised before the patch must not answer for it
    monkeypatch.setattr(engine, "closed_expectation", wrong)
    yield
    clear_caches()


def _exponential() -> sf.Family:
    x = sp.Symbol("x")
    lam = sp.Symbol("lam", positive=True)
    return sf.Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo), name="exponential")


# ----------------------------------------------------------------------------- the checker
def test_check_expectations_accepts_right_and_names_the_wrong_label() -> None:
    fam = _exponential()
    (x,), (lam,) = fam.variables, fam.params
    # Exp(λ): E[x] = 1/λ, E[x²] = 2/λ², E[log x] = −γ − log λ (exact moments of Exp(1) scaled)
    ints = {"E[x]": x, "E[x^2]": x**2, "E[log x]": sp.log(x)}
    right = {"E[x]": 1 / lam, "E[x^2]": 2 / lam**2, "E[log x]": -sp.EulerGamma - sp.log(lam)}
    rep = check_expectations(fam, ints, right)
    assert rep.method == "mpmath-quad" and rep.dps == 30 and len(rep.points) == 3
    assert rep.worst < 1e-25 and rep.resolution == 1e-10
    assert "mpmath-quad" in str(rep) and "dps=30" in str(rep)
    with pytest.raises(DerivationError, match=r"E\[x\^2\].*lam=") as err:
        check_expectations(fam, ints, {**right, "E[x^2]": 2 / lam**2 * (1 + DELTA)})
    assert "deviation" in str(err.value)


def test_zero_expectation_is_judged_against_the_integrand_scale() -> None:
    # E[s] = 0 exactly; quadrature returns rounding noise, which must not fail the check,
    # while a wrong "0" for E[x − 1/λ + δ] must.
    fam = _exponential()
    (x,), (lam,) = fam.variables, fam.params
    assert check_expectations(fam, {"E[s]": 1 / lam - x}, {"E[s]": sp.S.Zero}).worst < 1e-25
    with pytest.raises(DerivationError, match="E\\[s\\+d\\]"):
        check_expectations(fam, {"E[s+d]": 1 / lam - x + DELTA}, {"E[s+d]": sp.S.Zero})


def test_gaussian_vector_data_checked_by_an_exact_mpmath_rule() -> None:
    fam = sf.family("multivariate_normal")
    x1, x2 = fam.variables
    mu1, mu2, s11, s12, s22 = fam.params
    # Isserlis: E[(x1 − μ1)⁴] = 3 σ11², E[(x1 − μ1)²(x2 − μ2)²] = σ11 σ22 + 2 σ12²
    # (degree 4; the rule takes enough nodes for the degree)
    ints = {"m4": (x1 - mu1) ** 4, "m22": (x1 - mu1) ** 2 * (x2 - mu2) ** 2}
    rep = check_expectations(fam, ints, {"m4": 3 * s11**2, "m22": s11 * s22 + 2 * s12**2})
    assert rep.method == "gauss-hermite" and rep.worst < 1e-25
    # degree 12: still exact (7 nodes per axis), a 1e-6 error is caught
    with pytest.raises(DerivationError, match="m12"):
        check_expectations(fam, {"m12": (x1 - mu1) ** 12}, {"m12": 10395 * s11**6 * (1 + DELTA)})
    # smooth non-polynomial: rules of growing size until they agree, resolution stated;
    # E[e^{x1}] = e^{μ1 + σ11/2} (lognormal mean)
    rep = check_expectations(fam, {"e": sp.exp(x1)}, {"e": sp.exp(mu1 + s11 / 2)})
    assert rep.method == "gauss-hermite-converged" and rep.worst < 1e-11 and rep.resolution == 1e-10
    with pytest.raises(DerivationError, match="e = "):
        check_expectations(fam, {"e": sp.exp(x1)}, {"e": sp.exp(mu1 + s11 / 2) * (1 + DELTA)})
    # a kink: no rule converges fast, so refused rather than guessed
    with pytest.raises(DerivationError, match="no numeric method"):
        check_expectations(fam, {"a": sp.Abs(x1)}, {"a": sp.S.One})


# ----------------------------------------------------------------------------- simplex
def test_dirichlet_checked_exactly_and_a_tiny_error_is_refused() -> None:
    # Dirichlet Fisher matrix: diag(ψ1(α_i)) − ψ1(α0) 11ᵀ (Minka 2000, eq. 16). The exact
    # stick-breaking check resolves 1e-10; Monte Carlo at 6 standard errors (≈ 1 %) could not
    # see the 1e-6 error below.
    fam = sf.family("dirichlet")
    a = fam.params
    right = sp.diag(*[sp.polygamma(1, t) for t in a]) - sp.polygamma(1, sum(a)) * sp.ones(3, 3)
    rep = cross_check(fam, right)
    assert rep.method == "stick-breaking-quad" and rep.dps == 30 and rep.residual < 1e-20
    assert rep.resolution == 1e-10
    wrong = sp.Matrix(right)
    wrong[0, 1] = wrong[1, 0] = right[0, 1] * (1 + DELTA)
    with pytest.raises(DerivationError, match=r"I\[0, 1\]"):
        cross_check(fam, wrong)
    # E[log x1] = ψ(α1) − ψ(α0) (Minka 2000, eq. 6)
    x1 = fam.variables[0]
    assert expectation(sp.log(x1), fam) == sp.polygamma(0, a[0]) - sp.polygamma(0, sum(a))


def test_non_separable_simplex_density_falls_back_to_labelled_monte_carlo() -> None:
    # p = 2(1 − θ) + 3θ(x1 + x2) on the 2-simplex (a mixture of the uniform density 2 and
    # 3(x1 + x2), both normalised: ∫(x1 + x2) dA = 1/3). log p does not separate in
    # stick-breaking coordinates, so the check falls back to Monte Carlo and says so.
    # E[x1] = (1 − θ)/3 + 3θ(∫x1² + ∫x1 x2) = (1 − θ)/3 + 3θ(1/12 + 1/24) (Dirichlet integrals).
    from symfisher.families.sets import Simplex

    x1, x2 = sp.symbols("x1 x2", positive=True)
    th = sp.Symbol("theta", positive=True)
    fam = sf.Family(
        sp.log(2 * (1 - th) + 3 * th * (x1 + x2)), [x1, x2], {th: sp.Interval.open(0, 1)}, Simplex(2), name="tilt"
    )
    rep = check_expectations(fam, {"E[x1]": x1}, {"E[x1]": (1 - th) / 3 + 3 * th / 8})
    assert rep.method == "monte-carlo" and rep.dps == 0 and "float64" in str(rep)
    assert 1e-3 < rep.resolution < 0.05  # percent level, stated — not a claimed 30 digits
    with pytest.raises(DerivationError, match="E\\[x1\\]"):
        check_expectations(fam, {"E[x1]": x1}, {"E[x1]": (1 - th) / 3 + 3 * th / 8 + sp.Rational(1, 10)})


# ----------------------------------------------------------------------------- public functions
def test_expectation_refuses_a_wrong_closed_form(wrong_engine: None) -> None:
    fam = sf.family("gamma")
    x = fam.variables[0]
    with pytest.raises(DerivationError, match="numeric cross-check failed"):
        expectation(sp.log(x), fam)
    unchecked = expectation(sp.log(x), fam, check=False)  # the seam really injects an error
    a, b = fam.params
    assert sp.simplify(unchecked - (sp.polygamma(0, a) - sp.log(b))) != 0


def test_expectation_right_closed_form_passes() -> None:
    fam = sf.family("gamma")
    a, b = fam.params
    # Gamma(shape a, rate b): E[log x] = ψ(a) − log b (Johnson, Kotz & Balakrishnan 1994, eq. 17.13)
    got = expectation(sp.log(fam.variables[0]), fam)
    assert sp.simplify(got - (sp.polygamma(0, a) - sp.log(b))) == 0


def test_skewness_tensor_refuses_a_wrong_closed_form(wrong_engine: None) -> None:
    fam = sf.family("normal")
    with pytest.raises(DerivationError, match=r"T\[\d, \d, \d\]"):
        skewness_tensor(fam)
    T = skewness_tensor(fam, check=False)
    assert T[1, 1, 1] != 8 / fam.params[1] ** 3  # the injected error is there unchecked


def test_alpha_connection_refuses_a_wrong_skewness(wrong_engine: None) -> None:
    fam = sf.family("normal")
    with pytest.raises(DerivationError, match=r"T\["):
        alpha_connection(fam, 1, kind="first")
    mu, s = fam.params
    A = alpha_connection(fam, 1, kind="first", check=False)
    # Amari (1985): Γ^(1)_22,2 = −6/σ³ for the right skewness; the injected one differs
    assert sp.simplify(A[1, 1, 1] + 6 / s**3) != 0


def test_kl_divergence_refuses_a_wrong_closed_form_at_point_pairs(wrong_engine: None) -> None:
    fam = sf.family("poisson")
    kl, _, _ = kl_divergence(fam, check=False)  # cached unchecked …
    with pytest.raises(DerivationError, match=r"KL\(poisson\).*lambda=.*lambda_2="):
        kl_divergence(fam)  # … but the checked call does not reuse that entry


def test_checked_results_are_right_and_cached_per_flag() -> None:
    clear_caches()
    fam = sf.family("poisson")
    kl, (l1,), (l2,) = kl_divergence(fam)
    # KL(Poi(λ1) ‖ Poi(λ2)) = λ1 log(λ1/λ2) − λ1 + λ2 (e.g. Penny 2001)
    assert sp.simplify(kl - (l1 * sp.log(l1 / l2) - l1 + l2)) == 0
    assert tuple(kl_divergence(fam)) == (kl, (l1,), (l2,))
    lam = fam.params[0]
    T = skewness_tensor(fam)
    assert T[0, 0, 0] == lam**-2  # E[(x/λ − 1)³] = λ/λ³ (third cumulant of a Poisson is λ)
    A = alpha_connection(sf.family("normal"), -1, kind="first")
    sig = sf.family("normal").params[1]
    # Amari (1985), normal family: Γ^(α)_11,2 = (1 − α)/σ³ at α = −1
    assert sp.simplify(A[0, 0, 1] - 2 / sig**3) == 0


@pytest.mark.slow
def test_dirichlet_skewness_and_kl_are_checked_exactly() -> None:
    # Dirichlet skewness T_ijk = ψ2(α_i) δ_ijk − ψ2(α0) (third cumulants of log x: Minka 2000)
    fam = sf.family("dirichlet")
    a = fam.params
    a0 = sum(a)
    T = skewness_tensor(fam)
    assert sp.simplify(T[0, 0, 0] - (sp.polygamma(2, a[0]) - sp.polygamma(2, a0))) == 0
    assert sp.simplify(T[0, 1, 2] + sp.polygamma(2, a0)) == 0
    kl, t1, t2 = kl_divergence(fam)
    pt = {**dict(zip(t1, (sp.Rational(3, 2), 2, sp.Rational(1, 2)))), **dict(zip(t2, (1, 1, 1)))}
    # Penny (2001), eq. 14: KL(Dir(α) ‖ Dir(β)) at β = 1: log Γ(α0) − Σ log Γ(α_i) − log Γ(3)
    #   + Σ (α_i − 1)(ψ(α_i) − ψ(α0))
    al = [sp.Rational(3, 2), 2, sp.Rational(1, 2)]
    ref = (
        sp.loggamma(sum(al))
        - sum(sp.loggamma(v) for v in al)
        - sp.loggamma(3)
        + sum((v - 1) * (sp.polygamma(0, v) - sp.polygamma(0, sum(al))) for v in al)
    )
    with mpmath.workdps(30):
        assert abs(sp.N(kl.xreplace(pt) - ref, 30)) < 1e-25
