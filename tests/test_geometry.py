"""Connections and curvature of statistical manifolds against published values.

Metrics are written down directly here (the closed forms are classical); the tests that
derive them from catalog families live at the end and use ``sf.family``.
"""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

from symfisher.geometry.tensors import (
    alpha_connection,
    christoffel,
    gaussian_curvature,
    ricci,
    riemann,
    scalar_curvature,
)

mu = sp.Symbol("mu", real=True)
sigma = sp.Symbol("sigma", positive=True)
v = sp.Symbol("v", positive=True)
r = sp.Symbol("r", positive=True)
theta, phi, psi = sp.symbols("theta phi psi", positive=True)
k, beta = sp.symbols("k beta", positive=True)
p1, p2 = sp.symbols("p1 p2", positive=True)

NORMAL = sp.diag(1 / sigma**2, 2 / sigma**2)  # Fisher metric of N(mu, sigma^2) in (mu, sigma)
# Gamma(shape k, rate beta): I = [[trigamma(k), -1/beta], [-1/beta, k/beta^2]]
GAMMA = sp.Matrix([[sp.polygamma(1, k), -1 / beta], [-1 / beta, k / beta**2]])


def _numeric_equal(a: sp.Expr, b: sp.Expr, points: list[dict], digits: int = 25) -> None:
    for pt in points:
        with mpmath.workdps(40):
            da = sp.N(a.subs(pt), 40)
            db = sp.N(b.subs(pt), 40)
        assert abs(da - db) <= 10 ** (-digits) * max(1, abs(db)), (pt, da, db)


# ----------------------------------------------------------------------------- curvature
def test_normal_gaussian_curvature_is_minus_half() -> None:
    # Amari & Nagaoka (2000), Methods of Information Geometry, §2.3; Costa, Santos &
    # Strapasson (2015), Discrete Appl. Math. 197: K = -1/2 for the univariate normal.
    assert gaussian_curvature(NORMAL, [mu, sigma]) == sp.Rational(-1, 2)
    assert scalar_curvature(NORMAL, [mu, sigma]) == -1  # R = 2K in dimension 2


def test_normal_curvature_in_variance_coordinates() -> None:
    # (mu, v = sigma^2): I = diag(1/v, 1/(2 v^2)); curvature is invariant: still -1/2.
    g = sp.diag(1 / v, 1 / (2 * v**2))
    assert gaussian_curvature(g, [mu, v]) == sp.Rational(-1, 2)


def test_normal_curvature_in_log_sigma_coordinates() -> None:
    # (mu, s = log sigma): pull-back of diag(1/sigma^2, 2/sigma^2) by sigma = e^s.
    s = sp.Symbol("s", real=True)
    g = sp.diag(sp.exp(-2 * s), 2)
    assert gaussian_curvature(g, [mu, s]) == sp.Rational(-1, 2)


def test_cauchy_location_scale_curvature_is_minus_two() -> None:
    # Cauchy location-scale Fisher metric I/(2 sigma^2) (Mitchell 1989, "Statistical
    # manifolds of univariate elliptic distributions"): hyperbolic with K = -2.
    assert gaussian_curvature(sp.eye(2) / (2 * sigma**2), [mu, sigma]) == -2


def test_categorical_three_outcomes_is_sphere_of_radius_two() -> None:
    # Amari (1985), Differential-Geometrical Methods in Statistics: the multinomial
    # manifold is (a piece of) the sphere of radius 2, so K = +1/4.
    p3 = 1 - p1 - p2
    g = sp.Matrix([[1 / p1 + 1 / p3, 1 / p3], [1 / p3, 1 / p2 + 1 / p3]])
    assert gaussian_curvature(g, [p1, p2]) == sp.Rational(1, 4)


def test_sphere_of_radius_r_has_positive_curvature() -> None:
    # Exact special case: round sphere of radius r, K = 1/r^2, Ric = K g, R = 2/r^2.
    g = sp.diag(r**2, r**2 * sp.sin(theta) ** 2)
    assert sp.simplify(gaussian_curvature(g, [theta, phi]) - 1 / r**2) == 0
    assert sp.simplify(scalar_curvature(g, [theta, phi]) - 2 / r**2) == 0
    assert sp.simplify(ricci(g, [theta, phi]) - g / r**2) == sp.zeros(2, 2)


def test_three_sphere_scalar_curvature() -> None:
    # Exact special case: the n-sphere of radius r has R = n(n-1)/r^2 (n = 3: 6/r^2).
    g = sp.diag(r**2, r**2 * sp.sin(theta) ** 2, r**2 * sp.sin(theta) ** 2 * sp.sin(phi) ** 2)
    assert sp.simplify(scalar_curvature(g, [theta, phi, psi]) - 6 / r**2) == 0


def test_gamma_manifold_curvature_arwini_dodson() -> None:
    # Arwini & Dodson (2008), Information Geometry: Near Randomness and Near
    # Independence, ch. 3 (gamma manifold): K = (psi'(k) + k psi''(k)) / (4 (k psi'(k) - 1)^2),
    # scalar curvature R = 2K; K -> -1/2 as k -> oo.
    K = gaussian_curvature(GAMMA, [k, beta])
    ref = (sp.polygamma(1, k) + k * sp.polygamma(2, k)) / (4 * (k * sp.polygamma(1, k) - 1) ** 2)
    assert K.free_symbols == {k}  # independent of the rate
    _numeric_equal(K, ref, [{k: sp.Rational(1, 3)}, {k: 1}, {k: sp.Rational(37, 10)}])
    assert abs(float(K.subs(k, sp.Float(1e4))) + 0.5) < 1e-3


def test_riemann_symmetries_on_gamma_manifold() -> None:
    # Exact identities: R_ijkl = -R_jikl = -R_ijlk = R_klij.
    R = riemann(GAMMA, [k, beta], lower=True)
    pt = {k: sp.Rational(7, 5), beta: sp.Rational(3, 2)}
    val = lambda e: float(sp.N(e.subs(pt), 30))  # noqa: E731
    assert abs(val(R[0, 1, 0, 1] + R[1, 0, 0, 1])) < 1e-25
    assert abs(val(R[0, 1, 0, 1] + R[0, 1, 1, 0])) < 1e-25
    assert abs(val(R[0, 1, 0, 1] - R[1, 0, 1, 0])) < 1e-25
    assert R[0, 0, 0, 1] == 0 and R[1, 1, 0, 1] == 0


# ----------------------------------------------------------------------------- connections
def test_christoffel_normal_family() -> None:
    # Hand derivation from g = diag(1/s^2, 2/s^2): Γ^σ_μμ = 1/(2σ), Γ^μ_μσ = -1/σ, Γ^σ_σσ = -1/σ.
    G = christoffel(NORMAL, [mu, sigma])
    assert G.shape == (2, 2, 2)
    assert G[1, 0, 0] == 1 / (2 * sigma)
    assert G[0, 0, 1] == G[0, 1, 0] == -1 / sigma
    assert G[1, 1, 1] == -1 / sigma
    assert G[0, 0, 0] == G[0, 1, 1] == G[1, 0, 1] == 0


def test_christoffel_first_kind_relation() -> None:
    # Γ_ij,k = g_kl Γ^l_ij and symmetry in (i, j); on the gamma manifold.
    G1 = christoffel(GAMMA, [k, beta], kind="first")
    G2 = christoffel(GAMMA, [k, beta], kind="second")
    for i in range(2):
        for j in range(2):
            for kk in range(2):
                assert sp.simplify(G1[i, j, kk] - G1[j, i, kk]) == 0
                lowered = sum(GAMMA[kk, m] * G2[m, i, j] for m in range(2))
                assert sp.simplify(lowered - G1[i, j, kk]) == 0


def _normal_skewness() -> sp.MutableDenseNDimArray:
    # T_ijk = E[s_i s_j s_k] with s_mu = z/sigma, s_sigma = (z^2 - 1)/sigma, z ~ N(0, 1):
    # T_μμσ = E[z^2 (z^2-1)]/σ^3 = 2/σ^3, T_σσσ = E[(z^2-1)^3]/σ^3 = 8/σ^3, others 0.
    T = sp.MutableDenseNDimArray.zeros(2, 2, 2)
    T[0, 0, 1] = T[0, 1, 0] = T[1, 0, 0] = 2 / sigma**3
    T[1, 1, 1] = 8 / sigma**3
    return T


def test_alpha_connection_normal_family_amari() -> None:
    # Amari (1985), Differential-Geometrical Methods in Statistics, §2 example (normal
    # family in (mu, sigma)): Γ^(α)_11,2 = (1-α)/σ³, Γ^(α)_12,1 = -(1+α)/σ³,
    # Γ^(α)_22,2 = -2(1+2α)/σ³, all others 0.
    a = sp.Symbol("alpha", real=True)
    A = alpha_connection(NORMAL, a, coords=[mu, sigma], kind="first", skewness=_normal_skewness())
    assert sp.simplify(A[0, 0, 1] - (1 - a) / sigma**3) == 0
    assert sp.simplify(A[0, 1, 0] + (1 + a) / sigma**3) == 0
    assert sp.simplify(A[1, 0, 0] + (1 + a) / sigma**3) == 0
    assert sp.simplify(A[1, 1, 1] + 2 * (1 + 2 * a) / sigma**3) == 0
    assert A[0, 0, 0] == A[0, 1, 1] == A[1, 0, 1] == A[1, 1, 0] == 0


def test_alpha_zero_is_levi_civita_and_duality() -> None:
    # α = 0 gives Levi-Civita; duality ∂_k g_ij = Γ^(α)_ki,j + Γ^(−α)_kj,i (Amari & Nagaoka 2000, Thm 3.1).
    a = sp.Symbol("alpha", real=True)
    T = _normal_skewness()
    A0 = alpha_connection(NORMAL, 0, kind="second", coords=[mu, sigma], skewness=T)
    assert A0 == christoffel(NORMAL, [mu, sigma])
    Ap = alpha_connection(NORMAL, a, coords=[mu, sigma], kind="first", skewness=T)
    Am = alpha_connection(NORMAL, -a, coords=[mu, sigma], kind="first", skewness=T)
    c = [mu, sigma]
    for kk in range(2):
        for i in range(2):
            for j in range(2):
                lhs = sp.diff(NORMAL[i, j], c[kk])
                assert sp.simplify(lhs - Ap[kk, i, j] - Am[kk, j, i]) == 0


# ----------------------------------------------------------------------------- bad input
def test_non_symmetric_metric_is_rejected_naming_the_entry() -> None:
    g = sp.Matrix([[1 / sigma**2, mu], [0, 2 / sigma**2]])
    with pytest.raises(ValueError, match=r"g\[0, 1\]"):
        christoffel(g, [mu, sigma])


def test_bad_coordinates_and_kind() -> None:
    with pytest.raises(ValueError, match="coordinates"):
        christoffel(NORMAL)
    with pytest.raises(ValueError, match="2 x 2 but 1 coordinates"):
        christoffel(NORMAL, [mu])
    with pytest.raises(ValueError, match="kind='third'"):
        christoffel(NORMAL, [mu, sigma], kind="third")
    with pytest.raises(ValueError, match="exactly 2 parameters"):
        gaussian_curvature(sp.diag(1, 1, 1), [theta, phi, psi])
    with pytest.raises(ValueError, match="skewness"):
        alpha_connection(NORMAL, 1, coords=[mu, sigma])


def test_unevaluated_integral_is_reported_with_its_entry() -> None:
    from symfisher.errors import DerivationError

    x = sp.Symbol("x")
    g = sp.diag(1 / sigma**2, sp.Integral(sp.exp(-(x**2) * sigma), (x, 0, 1)))
    with pytest.raises(DerivationError, match=r"\[1, 1\].*numeric"):
        christoffel(g, [mu, sigma])


# ----------------------------------------------------------------------------- from families
@pytest.mark.slow
def test_catalog_curvatures_from_derived_fisher_metrics() -> None:
    import symfisher as sf

    # Same published values as above, now from the metric the core derives.
    assert gaussian_curvature(sf.family("normal")) == sp.Rational(-1, 2)
    assert gaussian_curvature(sf.family("normal_mean_variance")) == sp.Rational(-1, 2)
    assert gaussian_curvature(sf.family("cauchy")) == -2
    assert gaussian_curvature(sf.family("categorical")) == sp.Rational(1, 4)
    # Student-t location-scale: K = -(nu + 3)/(2 nu) (Mitchell 1989, Sankhya A 51, §3),
    # -> -1/2 as nu -> oo (the normal limit).
    nu = next(iter(sf.family("student_t").fixed))
    assert sp.simplify(gaussian_curvature(sf.family("student_t")) + (nu + 3) / (2 * nu)) == 0


@pytest.mark.slow
def test_curvature_invariant_under_reparametrisation_gamma() -> None:
    import symfisher as sf

    # Arwini & Dodson (2008) ch. 3 formula in three parametrisations of the gamma family
    # (rate, scale, mean): the Gaussian curvature is a scalar, a function of the shape only.
    def ref(a):
        return (sp.polygamma(1, a) + a * sp.polygamma(2, a)) / (  # noqa: E731
            4 * (a * sp.polygamma(1, a) - 1) ** 2
        )

    for name in ("gamma", "gamma_shape_scale", "gamma_shape_mean"):
        fam = sf.family(name)
        shape = fam.params[0]
        K = gaussian_curvature(fam)
        assert K.free_symbols == {shape}, name
        _numeric_equal(K, ref(shape), [{shape: sp.Rational(2, 7)}, {shape: sp.Rational(9, 2)}])


@pytest.mark.slow
def test_weibull_and_gumbel_share_curvature() -> None:
    import symfisher as sf

    # log of a Weibull variable is a (minimum-)Gumbel variable: the two manifolds are
    # isometric, K = -6/pi^2 (Gumbel C/β² with det C = π²/6, C11 = 1).
    assert gaussian_curvature(sf.family("gumbel")) == -6 / sp.pi**2
    assert gaussian_curvature(sf.family("weibull")) == -6 / sp.pi**2
