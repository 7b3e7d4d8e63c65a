"""The identity verifier, KL divergences, skewness tensors and the CLI commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import mpmath
import pytest
import sympy as sp

import symfisher as sf
from symfisher.derive.divergence import kl_divergence
from symfisher.derive.geometry.connections import alpha_connection, skewness_tensor
from symfisher.options import Status
from symfisher.verification import IDENTITIES, identity_names
from symfisher.verification.context import Ctx, judge


def _num(expr: sp.Expr, subs: dict, dps: int = 30) -> mpmath.mpf:
    return mpmath.mpf(str(sp.N(expr.subs(subs), dps)))


# ----------------------------------------------------------------------------- registry
def test_registry_has_at_least_twenty_stated_identities() -> None:
    names = identity_names()
    assert len(names) >= 20 and len(set(names)) == len(names)
    for ident in IDENTITIES:
        assert ident.statement and ident.failure, ident.name


def test_unknown_identity_lists_valid_names() -> None:
    with pytest.raises(ValueError, match="valid names: score_mean_zero"):
        sf.verify("poisson", identities=["no_such_identity"])


def test_judge_can_fail_and_pass() -> None:
    # The decision rule itself: an exactly-zero residual is proved, a tiny non-symbolic one
    # is verified numerically, a real discrepancy fails with its size and location.
    lam = sf.family("poisson").params[0]
    ctx = Ctx(sf.family("poisson"), ({lam: sp.Rational(3, 2)},), 30)
    assert judge(ctx, [sp.log(lam**2) - 2 * sp.log(lam)]).status is Status.PROVED
    assert judge(ctx, [sp.Float("1e-40") * lam], simplify=False).status is Status.NUMERIC
    out = judge(ctx, [lam / 1000], what="demo:")
    assert out.status is Status.FAILS and out.residual == pytest.approx(1.5e-3)
    assert "demo:" in out.reason and "lambda" in out.reason


# ----------------------------------------------------------------------------- families
def test_poisson_identities_are_proved() -> None:
    names = [
        "score_mean_zero",
        "information_equality",
        "bartlett_third",
        "kl_second_order",
        "kl_third_order",
        "alpha_duality",
        "e_flat_natural",
        "m_flat_mean",
        "sufficiency",
        "score_factorisation",
    ]
    rep = sf.verify("poisson", identities=names, budget=120)
    assert rep.ok
    assert [r.status for r in rep.rows] == [Status.PROVED] * len(names), rep.table()


def test_uniform_is_non_regular_and_fails_with_reason() -> None:
    # Uniform(0, θ): the support depends on θ, E[score] = E[−1/θ] = −1/θ ≠ 0.
    rep = sf.verify("uniform", identities=["score_mean_zero", "information_equality", "expfam_fisher_cov"])
    assert not rep.ok
    row = rep.row("score_mean_zero")
    assert row.status is Status.FAILS and "depends on" in row.reason
    assert row.residual is not None and row.residual > 0.01
    assert rep.row("information_equality").status is Status.FAILS
    assert rep.row("expfam_fisher_cov").status is Status.NOT_APPLICABLE


def test_laplace_information_equality_needs_distributional_hessian() -> None:
    # Laplace: ℓ = −|x − μ|/b − log 2b; classical ∂²ℓ/∂μ² = 0 a.e., but E[s_μ²] = 1/b²;
    # with the Dirac delta 2δ(x − μ)/b the equality holds (−E = 2 p(μ)/b = 1/b²).
    rep = sf.verify("laplace", identities=["information_equality", "bartlett_third"])
    row = rep.row("information_equality")
    assert row.status is Status.PROVED
    assert "distributional" in row.method and "Abs" in row.reason and "b**(-2)" in row.reason
    assert rep.row("bartlett_third").status is Status.NOT_APPLICABLE
    assert rep.ok


@pytest.mark.slow
def test_normal_exponential_family_and_entropy() -> None:
    names = [
        "expfam_fisher_cov",
        "expfam_observed_expected",
        "legendre_duality",
        "cramer_rao_attained",
        "gaussian_entropy",
        "location_scale_scaling",
        "efficient_information",
    ]
    rep = sf.verify("normal", identities=names, budget=120)
    assert all(r.status is Status.PROVED for r in rep.rows), rep.table()
    assert "mu⊥sigma" in rep.row("efficient_information").reason
    assert "> 0 (strict)" in rep.row("cramer_rao_attained").reason


@pytest.mark.slow
def test_weibull_not_exponential_family_but_numeric_identities_hold() -> None:
    rep = sf.verify(
        "weibull", identities=["expfam_log_partition", "f_divergence_second_order", "curvature_invariance"], budget=120
    )
    assert rep.row("expfam_log_partition").status is Status.NOT_APPLICABLE
    assert rep.row("f_divergence_second_order").status is Status.NUMERIC
    assert rep.row("f_divergence_second_order").residual < 1e-6
    assert rep.row("curvature_invariance").status in (Status.PROVED, Status.NUMERIC)


def test_time_budget_gives_inconclusive() -> None:
    rep = sf.verify("gamma", identities=["reparametrization"], budget=0.01)
    row = rep.row("reparametrization")
    assert row.status is Status.INCONCLUSIVE and "time budget" in row.reason
    # not a failure, but not ok either: "ok" means every applicable identity was checked
    assert not rep.ok and not rep.complete
    assert rep.counts["inconclusive"] == 1 and rep.counts["fails"] == 0
    assert "incomplete" in rep.summary()


# ----------------------------------------------------------------------------- KL and T
def test_kl_normal_gamma_weibull_match_published_formulas() -> None:
    fam = sf.family("normal")
    kl, (m1, s1), (m2, s2) = kl_divergence(fam)
    # Normal: log(σ2/σ1) + (σ1² + (μ1 − μ2)²)/(2σ2²) − 1/2 (e.g. Penny 2001, eq. 4 with d = 1)
    ref = sp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - sp.Rational(1, 2)
    assert sp.simplify(kl - ref) == 0

    kl, (a1, b1), (a2, b2) = kl_divergence(sf.family("gamma"))
    # Gamma (shape a, rate b): Penny (2001), "KL-divergences of Normal, Gamma, Dirichlet and
    # Wishart densities", eq. 11.
    ref = (
        (a1 - a2) * sp.digamma(a1)
        - sp.loggamma(a1)
        + sp.loggamma(a2)
        + a2 * (sp.log(b1) - sp.log(b2))
        + a1 * (b2 - b1) / b1
    )
    pt = {a1: sp.Rational(3, 2), b1: sp.Rational(2, 3), a2: sp.Rational(5, 2), b2: sp.Rational(7, 4)}
    assert abs(_num(kl, pt) - _num(ref, pt)) < mpmath.mpf(10) ** -25

    kl, (k1, l1), (k2, l2) = kl_divergence(sf.family("weibull"))
    # Weibull: Bauckhage (2013), arXiv:1310.3713, eq. (10).
    ref = (
        sp.log(k1 / l1**k1)
        - sp.log(k2 / l2**k2)
        + (k1 - k2) * (sp.log(l1) - sp.EulerGamma / k1)
        + (l1 / l2) ** k2 * sp.gamma(k2 / k1 + 1)
        - 1
    )
    pt = {k1: sp.Rational(3, 2), l1: sp.Rational(2, 3), k2: sp.Rational(5, 2), l2: sp.Rational(7, 4)}
    assert abs(_num(kl, pt) - _num(ref, pt)) < mpmath.mpf(10) ** -25


def test_kl_symbols_are_fresh() -> None:
    fam = sf.family("normal")
    kl, t1, t2 = kl_divergence(fam)
    assert not set(t1 + t2) & set(fam.params)
    assert all(isinstance(s, sp.Dummy) for s in t1 + t2)
    assert kl.free_symbols <= set(t1 + t2)
    assert [s.name for s in t1] == ["mu_1", "sigma_1"]


def test_kl_third_order_poisson_term() -> None:
    # Issue 6: KL(Poisson(λ) ‖ Poisson(λ + d)) = d²/(2λ) − d³/(3λ²) + O(d⁴) (series of
    # λ log(λ/(λ+d)) + d).
    kl, (l1,), (l2,) = kl_divergence(sf.family("poisson"))
    d = sp.Symbol("d")
    series = sp.series(kl.subs(l2, l1 + d), d, 0, 4).removeO()
    assert sp.simplify(series - (d**2 / (2 * l1) - d**3 / (3 * l1**2))) == 0


def test_skewness_tensor_and_alpha_connection_of_normal_family() -> None:
    fam = sf.family("normal")
    mu, s = fam.params
    T = skewness_tensor(fam)
    # Hand derivation with z ~ N(0, 1): T_μμσ = 2/σ³, T_σσσ = 8/σ³, others 0.
    assert T[0, 0, 1] == 2 / s**3 and T[1, 1, 1] == 8 / s**3
    assert T[0, 0, 0] == 0 and T[0, 1, 1] == 0
    a = sp.Symbol("alpha", real=True)
    A = alpha_connection(fam, a, kind="first")
    # Amari (1985), normal family: Γ^(α)_11,2 = (1−α)/σ³, Γ^(α)_22,2 = −2(1+2α)/σ³.
    assert sp.simplify(A[0, 0, 1] - (1 - a) / s**3) == 0
    assert sp.simplify(A[1, 1, 1] + 2 * (1 + 2 * a) / s**3) == 0
    # kind="second" raises the last index with g⁻¹.
    A2 = alpha_connection(fam, a, kind="second")
    assert sp.simplify(A2[1, 0, 0] - (1 - a) / (2 * s)) == 0


# ----------------------------------------------------------------------------- CLI
def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symfisher", *args], capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_cli_verify_json_and_errors() -> None:
    out = _cli("verify", "poisson", "--identities", "score_mean_zero", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data[0]["rows"][0]["status"] == "proved"
    assert "[1/1] poisson: score_mean_zero proved" in out.stderr
    bad = _cli("verify", "poisson", "--identities", "nope")
    assert bad.returncode == 2 and "valid names" in bad.stderr


@pytest.mark.slow
def test_cli_geometry_prints_curvature() -> None:
    out = _cli("geometry", "normal")
    assert out.returncode == 0, out.stderr
    assert "Gaussian curvature K:\n  -1/2" in out.stdout
    assert "KL(" in out.stdout


def _sleepy_grandchild(path: str) -> int:
    from symfisher._runtime.budget import run_with_budget

    def inner(p: str) -> int:
        with open(p, "w") as fh:
            fh.write(str(os.getpid()))
        time.sleep(60)
        return 0

    return run_with_budget(inner, path, seconds=120).value


def test_budget_kills_nested_children(tmp_path) -> None:
    # A check whose derivation forks budgeted children of its own: when the verifier's
    # budget runs out, the grandchild must not survive as an orphan.
    from symfisher.errors import BudgetExceeded
    from symfisher.verification.runner import _budgeted

    path = str(tmp_path / "pid")
    with pytest.raises(BudgetExceeded):
        _budgeted(_sleepy_grandchild, path, 2.0)
    pid = int(open(path).read())
    for _ in range(50):
        if not _alive(pid):
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"grandchild {pid} still running after the budget ran out")


def _alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped by init counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


# ----------------------------------------------------------------------------- speed-ups
def test_shared_failure_blocks_its_dependants_only() -> None:
    from symfisher.verification.shared import Shared

    sh = Shared({}, {"kl": "could not be derived: no closed form"})
    assert "no closed form" in sh.blocker("kl_second_order")
    assert "no closed form" in sh.blocker("kl_third_order")
    assert sh.blocker("score_mean_zero") is None and Shared().blocker("kl_third_order") is None


def test_shared_timeout_makes_dependants_inconclusive_without_paying_again() -> None:
    # the KL divergence is derived once for both KL identities; with a budget far too
    # small for it, both rows are inconclusive with that reason, and neither row spends
    # another budget (the rows' own times stay below the budget).
    sf.clear_caches()  # an earlier test's in-memory KL would come back within the budget
    rep = sf.verify("poisson", identities=["kl_second_order", "kl_third_order"], budget=0.005)
    for row in rep.rows:
        assert row.status is Status.INCONCLUSIVE, row
        assert "time budget" in row.reason and "shared" in row.reason
    assert not rep.ok and rep.counts["inconclusive"] == 2


def _table(reps: list) -> list[tuple]:
    return [(r.family, w.identity, w.status, w.residual, w.method, w.reason) for r in reps for w in r.rows]


def test_parallel_jobs_give_the_serial_table() -> None:
    from symfisher.verification.parallel import VerifyOptions, verify_many

    opts = VerifyOptions(("score_mean_zero", "fisher_spd", "f_divergence_second_order"), points=2, dps=20, budget=60)
    names = ["poisson", "exponential"]
    with open(os.devnull, "w") as sink:
        serial = verify_many(names, opts, jobs=1, stream=sink)
    parallel = verify_many(names, opts, jobs=2)
    assert [r.family for r in parallel] == names
    assert _table(parallel) == _table(serial)
    assert {w.status for r in serial for w in r.rows} <= {Status.PROVED, Status.NUMERIC}
    with pytest.raises(ValueError, match="jobs"):
        verify_many(names, opts, jobs=0)


@pytest.mark.slow
def test_cli_verify_jobs_reports_progress_and_rejects_zero() -> None:
    out = _cli("verify", "poisson", "exponential", "--identities", "score_mean_zero", "--jobs", "2")
    assert out.returncode == 0, out.stderr
    assert "[1/2] poisson: score_mean_zero proved" in out.stderr
    assert "[2/2] exponential: score_mean_zero proved" in out.stderr
    assert "1=poisson, 2=exponential" in out.stdout
    bad = _cli("verify", "poisson", "--jobs", "0")
    assert bad.returncode == 2 and "--jobs" in bad.stderr


def test_location_scale_scaling_with_a_shape_parameter() -> None:
    # Student-t with (μ, σ, ν): the (μ, σ) block of I is (ν+1)/((ν+3)σ²), 2ν/((ν+3)σ²)
    # (Lange, Little & Taylor 1989, JASA 84, eq. after (4)): σ² times it is free of μ, σ,
    # while I_νν is not ∝ 1/σ² — so only the (μ, σ) block may be checked.
    rep = sf.verify("student_t_df", identities=["location_scale_scaling"], budget=120)
    assert rep.row("location_scale_scaling").status is Status.PROVED


def test_expfam_identity_list_matches_the_registry() -> None:
    """The shared ``expfam`` object's users are exactly the identities gated on expfam_reason."""
    from symfisher.verification.checks.expfam import EXPFAM_IDENTITIES, expfam_reason
    from symfisher.verification.registry import IDENTITIES

    assert EXPFAM_IDENTITIES == {i.name for i in IDENTITIES if i.applies is expfam_reason}


def test_ok_means_every_applicable_identity_checked() -> None:
    """Exact cases of the verdict: all inconclusive is not ok; n/a rows do not count."""
    from symfisher.verification.report import Row, VerifyReport

    def rep(*statuses: Status) -> VerifyReport:
        return VerifyReport("f", tuple(Row("f", f"i{k}", st, None, "", "") for k, st in enumerate(statuses)))

    assert not rep(Status.INCONCLUSIVE, Status.INCONCLUSIVE).ok
    assert not rep(Status.NOT_APPLICABLE).ok  # nothing was checked
    assert rep(Status.PROVED, Status.NOT_APPLICABLE, Status.NUMERIC).ok
    assert not rep(Status.PROVED, Status.FAILS).ok
    assert rep(Status.PROVED, Status.INCONCLUSIVE).counts == {
        "proved": 1,
        "verified numerically": 0,
        "fails": 0,
        "not applicable": 0,
        "inconclusive": 1,
    }
