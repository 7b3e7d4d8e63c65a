"""Every catalog family's Fisher matrix against a published closed form, and numerically.

Three independent routes per family:

1. the symbolic engine (``sf.fisher``, and −E[∇²ℓ] through ``expectation`` directly),
2. the published closed form written below with its source,
3. a numeric E[s sᵀ] at a seeded parameter point — mpmath quadrature / summation at
   30 digits for univariate families, Monte Carlo with a stated tolerance for the
   Dirichlet and the multivariate normal (nested quadrature at 30 digits is too slow).

Closed forms are compared at seeded rational points to 1e-25 (two closed forms that
agree there are equal for all practical purposes; ``simplify`` is not needed).
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

import symfisher as sf
from symfisher.derive.expectation.engine import expectation
from symfisher.errors import NonRegularFamilyError, UnknownFamilyError
from symfisher.families.registry import family, family_names

EG, PI, pg1 = sp.EulerGamma, sp.pi, lambda a: sp.polygamma(1, a)
M = sp.Matrix


def _diag(*d: sp.Expr) -> sp.Matrix:
    return sp.diag(*d)


def _published(name: str, fam: sf.Family) -> sp.Matrix:
    """Published Fisher matrices, in the order of ``fam.params``."""
    P = fam.params
    F = {s.name: s for s in fam.fixed}
    if name in ("normal", "lognormal"):
        # Lehmann & Casella (1998) Table 2.6.1; JKB vol. 1 ch. 14 for the log-normal.
        return _diag(1 / P[1] ** 2, 2 / P[1] ** 2)
    if name == "normal_mean_variance":  # Lehmann & Casella (1998), Example 2.6.3
        return _diag(1 / P[1], 1 / (2 * P[1] ** 2))
    if name == "normal_natural":  # Hessian of A = -η1²/(4η2) - log(-2η2)/2, L&C (1998) §1.5
        e1, e2 = P
        return M([[-1 / (2 * e2), e1 / (2 * e2**2)], [e1 / (2 * e2**2), 1 / (2 * e2**2) - e1**2 / (2 * e2**3)]])
    if name in ("exponential", "exponential_scale", "pareto"):
        # Forbes et al. (2011) ch. 17; Arnold (2015) §5.2 for the Pareto shape.
        return M([[1 / P[0] ** 2]])
    if name in ("gamma", "inverse_gamma"):  # JKB vol. 1 ch. 17; Forbes et al. (2011) ch. 22
        a, b = P
        return M([[pg1(a), -1 / b], [-1 / b, a / b**2]])
    if name == "gamma_shape_scale":  # JKB vol. 1 ch. 17
        k, th = P
        return M([[pg1(k), 1 / th], [1 / th, k / th**2]])
    if name == "gamma_shape_mean":  # Cox & Reid (1987), JRSS-B 49, §3 (orthogonal parameters)
        a, m = P
        return _diag(pg1(a) - 1 / a, a / m**2)
    if name == "beta":  # JKB vol. 2 ch. 25
        a, b = P
        return M([[pg1(a) - pg1(a + b), -pg1(a + b)], [-pg1(a + b), pg1(b) - pg1(a + b)]])
    if name == "inverse_gaussian":  # Chhikara & Folks (1989), §4
        mu, lam = P
        return _diag(lam / mu**3, 1 / (2 * lam**2))
    if name == "weibull":  # JKB vol. 1 ch. 21 §4 (shape k, scale λ)
        k, lam = P
        return M([[((1 - EG) ** 2 + PI**2 / 6) / k**2, -(1 - EG) / lam], [-(1 - EG) / lam, k**2 / lam**2]])
    if name == "gumbel":  # JKB vol. 2 ch. 22, eq. (22.35)
        b = P[1]
        return M([[1, -(1 - EG)], [-(1 - EG), (1 - EG) ** 2 + PI**2 / 6]]) / b**2
    if name == "laplace":  # Kotz, Kozubowski & Podgórski (2001), §2.6
        return _diag(1 / P[1] ** 2, 1 / P[1] ** 2)
    if name == "logistic":  # JKB vol. 2 ch. 23 §4
        s = P[1]
        return _diag(1 / (3 * s**2), (PI**2 + 3) / (9 * s**2))
    if name == "cauchy":  # JKB vol. 1 ch. 16
        g = P[1]
        return _diag(1 / (2 * g**2), 1 / (2 * g**2))
    if name == "student_t":  # Lange, Little & Taylor (1989), JASA 84, 881–896
        s, nu = P[1], F["nu"]
        return _diag((nu + 1) / ((nu + 3) * s**2), 2 * nu / ((nu + 3) * s**2))
    if name == "student_t_df":  # Lange, Little & Taylor (1989), JASA 84, 881–896, eq. (A.2)
        s, nu = P[1], P[2]
        i_nn = (pg1(nu / 2) - pg1((nu + 1) / 2)) / 4 - (nu + 5) / (2 * nu * (nu + 1) * (nu + 3))
        i_sn = -2 / (s * (nu + 1) * (nu + 3))
        return M([[(nu + 1) / ((nu + 3) * s**2), 0, 0], [0, 2 * nu / ((nu + 3) * s**2), i_sn], [0, i_sn, i_nn]])
    if name == "maxwell":  # Forbes et al. (2011), ch. 30: scale family with E[x²] = 3a²
        return M([[6 / P[0] ** 2]])
    if name == "nakagami":  # x² ~ Gamma(m, mean Ω): Cox & Reid (1987) orthogonal gamma form
        m, om = P
        return _diag(pg1(m) - 1 / m, m / om**2)
    if name == "log_logistic":  # Shoukri, Mian & Tracy (1988), Can. J. Stat. 16, 223–236
        a, b = P
        return _diag(b**2 / (3 * a**2), (3 + PI**2) / (9 * b**2))
    if name == "rayleigh":  # Forbes et al. (2011) ch. 39
        return M([[4 / P[0] ** 2]])
    if name == "half_normal":  # JKB vol. 1 ch. 13 §10.3
        return M([[2 / P[0] ** 2]])
    if name == "von_mises":  # Mardia & Jupp (2000), §5.3: A = I1/I0
        k = P[1]
        A = sp.besseli(1, k) / sp.besseli(0, k)
        return _diag(k * A, 1 - A / k - A**2)
    if name == "poisson":  # Lehmann & Casella (1998), Table 2.5.1
        return M([[1 / P[0]]])
    if name == "poisson_log":  # McCullagh & Nelder (1989), §6.2
        return M([[sp.exp(P[0])]])
    if name == "bernoulli":  # Lehmann & Casella (1998), Example 2.5.2
        return M([[1 / (P[0] * (1 - P[0]))]])
    if name == "bernoulli_logit":  # McCullagh & Nelder (1989), §4.4
        return M([[sp.exp(P[0]) / (1 + sp.exp(P[0])) ** 2]])
    if name == "binomial":  # Lehmann & Casella (1998), Example 2.5.2
        return M([[F["n"] / (P[0] * (1 - P[0]))]])
    if name == "geometric":  # Johnson, Kemp & Kotz (2005), §5.2
        return M([[1 / (P[0] ** 2 * (1 - P[0]))]])
    if name == "negative_binomial":  # Johnson, Kemp & Kotz (2005), §5.1
        return M([[F["r"] / (P[0] ** 2 * (1 - P[0]))]])
    if name == "negative_binomial_mean":  # Lawless (1987), Can. J. Stat. 15, 209–225
        return M([[F["r"] / (P[0] * (P[0] + F["r"]))]])
    if name == "categorical":  # Agresti (2013), §1.2: diag(1/p_i) + 1/p_k
        p1, p2 = P
        return _diag(1 / p1, 1 / p2) + sp.ones(2, 2) / (1 - p1 - p2)
    if name == "dirichlet":  # Kotz, Balakrishnan & Johnson (2000), ch. 49
        a0 = sum(P)
        return _diag(*(pg1(a) for a in P)) - pg1(a0) * sp.ones(3, 3)
    if name == "multivariate_normal":
        return _mvn_published(fam)
    raise KeyError(name)


def _mvn_published(fam: sf.Family) -> sp.Matrix:
    """Magnus & Neudecker (1999), §15.3 / MKB (1979), §4.2: I_μ = Σ⁻¹ and
    I_(σ_a, σ_b) = tr(Σ⁻¹ ∂_aΣ Σ⁻¹ ∂_bΣ)/2, mean and covariance blocks orthogonal."""
    d = len(fam.variables)
    sig = fam.params[d:]
    cov = sp.Matrix(d, d, lambda i, j: next(s for s in sig if s.name == f"sigma_{min(i, j) + 1}{max(i, j) + 1}"))
    inv = cov.inv()
    dS = [cov.diff(s) for s in sig]
    cb = sp.Matrix(len(sig), len(sig), lambda a, b: (inv * dS[a] * inv * dS[b]).trace() / 2)
    return sp.diag(inv, cb)


def _point(fam: sf.Family, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    vals: dict = {}
    for p in fam.params:
        dom = fam.domains[p]
        if dom == sp.Interval.open(0, 1):
            vals[p] = sp.Rational(int(rng.integers(150, 300)), 1000)
        elif p.is_negative:
            vals[p] = -sp.Rational(int(rng.integers(600, 2400)), 1000)
        elif p.name.startswith("sigma_") and p.name[-1] != p.name[-2]:
            vals[p] = sp.Rational(int(rng.integers(-300, 300)), 1000)  # off-diagonal covariance
        else:
            vals[p] = sp.Rational(int(rng.integers(800, 2400)), 1000)
    for c in fam.fixed:
        vals[c] = sp.Integer(int(rng.integers(3, 7)))
    return vals


def _assert_same(a: sp.Matrix, b: sp.Matrix, fam: sf.Family, seeds=(11, 12)) -> None:
    assert a.shape == b.shape
    for seed in seeds:
        vals = _point(fam, seed)
        diff = (sp.Matrix(a) - sp.Matrix(b)).subs(vals)
        for e in diff:
            assert abs(sp.N(e, 40)) < 1e-25, (fam.name, seed, a, b)


NON_REGULAR = ("uniform", "shifted_exponential")
UNIVARIATE = [n for n in family_names() if n not in (*NON_REGULAR, "categorical", "dirichlet", "multivariate_normal")]


def _hessian_expectation(fam: sf.Family) -> sp.Matrix:
    P = fam.params
    upper = {
        (i, j): expectation(-sp.diff(fam.logpdf, P[i], P[j]), fam) for i in range(len(P)) for j in range(i, len(P))
    }
    return sp.Matrix(len(P), len(P), lambda i, j: upper[(min(i, j), max(i, j))])


# ------------------------------------------------- route 1 (expectation) vs 2 (published)
@pytest.mark.parametrize("name", UNIVARIATE + ["categorical", "dirichlet"])
def test_expectation_engine_matches_published(name: str) -> None:
    fam = family(name)
    _assert_same(_hessian_expectation(fam), _published(name, fam), fam)


def test_multivariate_normal_expectation_matches_published() -> None:
    fam = family("multivariate_normal", d=2)
    _assert_same(_hessian_expectation(fam), _published("multivariate_normal", fam), fam, seeds=(11,))


# entries of the trivariate normal covering every block: (mu, mu), (mu, sigma), diagonal and
# off-diagonal covariance pairs (the full 9 x 9 matrix goes through sf.fisher below)
MVN3_ENTRIES = [(0, 0), (0, 1), (1, 5), (3, 3), (3, 4), (4, 4), (4, 7), (5, 8), (8, 8)]


def test_trivariate_normal_expectation_entries() -> None:
    fam = family("multivariate_normal", d=3)
    P = fam.params
    pub = _published("multivariate_normal", fam)
    vals = _point(fam, 11)
    for i, j in MVN3_ENTRIES:
        got = expectation(-sp.diff(fam.logpdf, P[i], P[j]), fam)
        assert abs(sp.N((got - pub[i, j]).subs(vals), 40)) < 1e-25, (i, j, got, pub[i, j])


# ---------------------------------------------- route 1 (sf.fisher) vs 2 (published)
@pytest.mark.slow
@pytest.mark.parametrize("name", UNIVARIATE + ["categorical", "dirichlet"])
def test_sf_fisher_matches_published(name: str) -> None:
    fam = family(name)
    _assert_same(sf.fisher(fam), _published(name, fam), fam)


@pytest.mark.slow
@pytest.mark.parametrize("d", [2, 3])
def test_sf_fisher_multivariate_normal(d: int) -> None:
    fam = family("multivariate_normal", d=d)
    _assert_same(sf.fisher(fam), _published("multivariate_normal", fam), fam, seeds=(11,))


@pytest.mark.parametrize("name", NON_REGULAR)
def test_non_regular_families_raise(name: str) -> None:
    fam = family(name)
    assert not fam.regular
    with pytest.raises(NonRegularFamilyError, match="theta"):
        sf.fisher(fam)


# ---------------------------------------------- route 3: numeric E[s sᵀ] vs published
def _score_numeric(fam: sf.Family, vals: dict) -> mpmath.matrix:
    x = fam.variables[0]
    P = fam.params
    score = [sp.diff(fam.logpdf, p).subs(vals) for p in P]
    pdf = fam.pdf.subs(vals)
    out = mpmath.matrix(len(P), len(P))
    with mpmath.workdps(40):
        for i in range(len(P)):
            for j in range(i, len(P)):
                f = sp.lambdify(x, score[i] * score[j] * pdf, modules="mpmath")
                out[i, j] = out[j, i] = _integrate(fam, f, vals)
    return out


def _integrate(fam: sf.Family, f, vals: dict) -> mpmath.mpf:
    sup = fam.support
    if fam.is_discrete:
        if sup.sup == sp.oo:
            return mpmath.nsum(f, [0, mpmath.inf])
        return mpmath.fsum(f(k) for k in range(int(sup.sup.subs(vals)) + 1))
    loc = next((vals[p] for p in fam.params if fam.domains[p] == sp.Reals), sp.S.Zero)
    lo = mpmath.ninf if sup.inf == -sp.oo else mpmath.mpf(sp.N(sup.inf.subs(vals), 45))
    if fam.name == "gumbel":  # doubly exponential left tail: density < 1e-64 below loc − 5·scale
        lo = mpmath.mpf(sp.N(loc - 5 * vals[fam.params[1]], 45))
    hi = mpmath.inf if sup.sup == sp.oo else mpmath.mpf(sp.N(sup.sup.subs(vals), 45))
    mid = [mpmath.mpf(sp.N(loc, 45))] if lo < loc < hi else ([mpmath.mpf(1)] if lo < 1 < hi else [])
    return mpmath.quad(f, [lo, *mid, hi])


@pytest.mark.parametrize("name", UNIVARIATE)
def test_published_matches_numeric_score_outer_product(name: str) -> None:
    fam = family(name)
    vals = _point(fam, 21)
    if name == "von_mises":
        vals[fam.params[0]] = sp.S.Zero  # quadrature over (−π, π) centred at μ
    num = _score_numeric(fam, vals)
    pub = _published(name, fam).subs(vals)
    with mpmath.workdps(40):
        for i in range(pub.rows):
            for j in range(pub.cols):
                ref = mpmath.mpf(sp.N(pub[i, j], 45))
                assert abs(num[i, j] - ref) < mpmath.mpf(10) ** -25 * max(1, abs(ref)), (name, i, j, num[i, j], ref)


def _monte_carlo(fam: sf.Family, sample: np.ndarray, vals: dict) -> tuple[np.ndarray, np.ndarray]:
    exprs = [sp.N(sp.diff(fam.logpdf, p).subs(vals), 20) for p in fam.params]  # constants (digamma) evaluated
    score = sp.lambdify(fam.variables, exprs, modules="numpy")
    s = np.array([np.broadcast_to(np.asarray(v, dtype=float), sample.shape[:1]) for v in score(*sample.T)])
    prods = np.einsum("in,jn->ijn", s, s)
    return prods.mean(axis=2), prods.std(axis=2) / np.sqrt(sample.shape[0])


def test_dirichlet_monte_carlo() -> None:
    fam = family("dirichlet")
    vals = _point(fam, 31)
    rng = np.random.default_rng(31)
    alpha = np.array([float(vals[p]) for p in fam.params])
    sample = rng.dirichlet(alpha, size=200_000)[:, :2]
    mean, se = _monte_carlo(fam, sample, vals)
    pub = np.array(_published("dirichlet", fam).subs(vals).evalf(), dtype=float)
    assert np.all(np.abs(mean - pub) < 6 * se + 1e-12), (mean, pub, se)  # 6 standard errors


@pytest.mark.parametrize("d", [2, 3])
def test_multivariate_normal_monte_carlo(d: int) -> None:
    fam = family("multivariate_normal", d=d)
    vals = _point(fam, 41)
    pub_sym = _published("multivariate_normal", fam)
    cov = np.array(sp.Matrix(pub_sym[:d, :d]).inv().subs(vals).evalf(), dtype=float)
    mean = np.array([float(vals[m]) for m in fam.params[:d]])
    sample = np.random.default_rng(41).multivariate_normal(mean, cov, size=200_000)
    got, se = _monte_carlo(fam, sample, vals)
    pub = np.array(pub_sym.subs(vals).evalf(), dtype=float)
    assert np.all(np.abs(got - pub) < 6 * se + 1e-12), (got, pub, se)  # 6 standard errors


# ------------------------------------------------------------------- registry
def test_registry_names_and_variants() -> None:
    names = family_names()
    assert len(names) >= 30
    assert "parametrization" not in repr(family("gamma")) and "shape alpha, rate beta" in repr(family("gamma"))
    assert family("gamma_shape_scale").parametrization.startswith("shape k, scale theta")
    assert family("Normal").name == "normal" and family("gaussian").name == "normal"
    t4 = family("student_t", nu=4)
    assert t4.fixed == () and family("student_t").fixed[0].name == "nu"
    assert len(family("categorical", k=5).params) == 4
    assert len(family("dirichlet", k=4).variables) == 3
    assert len(family("multivariate_normal", d=3).params) == 9


def test_unknown_name_suggests_close_names() -> None:
    with pytest.raises(UnknownFamilyError, match="weibull"):
        family("weibul")
    with pytest.raises(sf.SymfisherError, match="nu"):
        family("gamma", nu=3)


def test_every_entry_has_citation_and_parametrization() -> None:
    for name in family_names():
        fam = family(name)
        assert fam.citation and fam.parametrization, name


def test_categorical_many_outcomes_fisher() -> None:
    """k = 7: the check points must satisfy p_1 + ... + p_6 < 1 (uniform draws almost never
    do); the derived Fisher equals Agresti (2013), §1.2: diag(1/p_i) + 1/p_k (p_k = 1 - sum)."""
    from symfisher.derive.check.points import sample_points

    fam = family("categorical", k=7)
    pts = sample_points(fam, 3)
    assert all(0 < sum(pt[p] for p in fam.params) < 1 for pt in pts)
    info = sp.Matrix(sf.fisher(fam))
    p = fam.params
    last = 1 - sum(p)
    expected = sp.diag(*[1 / q for q in p]) + sp.ones(len(p), len(p)) / last
    assert all(sp.simplify(e) == 0 for e in (info - expected))
