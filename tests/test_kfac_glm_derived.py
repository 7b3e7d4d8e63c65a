"""The exact Fisher of one GLM layer with Gaussian inputs, derived (symfisher.kfac.glm).

Independent routes used as oracles: the Gaussian moment-generating function written out
by hand, mpmath quadrature at 30 digits, a dense Monte-Carlo sum of explicit Kronecker
products, and the expectation engine applied entry by entry to a 2-input layer.
"""

from __future__ import annotations

import subprocess
import sys

import mpmath
import numpy as np
import pytest
import sympy as sp

from symfisher.errors import DerivationError, DomainError, ShapeError
from symfisher.kfac.glm import block_formulas, glm_layer_fisher
from symfisher.numeric.kfac.glm import fisher_blocks, glm_error_from_moments, glm_kfac_error, poisson_glm_kfac_error


def _layer(
    seed: int, d_out: int, d_in: int, scale: float = 0.4
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    W = scale * rng.standard_normal((d_out, d_in))
    mu = 0.3 * rng.standard_normal(d_in)
    L = 0.4 * rng.standard_normal((d_in, d_in)) + np.eye(d_in)
    return W, mu, L @ L.T, L


def _sigmoid_curvature(u: np.ndarray) -> np.ndarray:
    z = np.exp(-np.abs(u))  # sigma(u)(1 - sigma(u)), no overflow
    return z / (1.0 + z) ** 2


def test_poisson_moments_are_the_gaussian_mgf() -> None:
    """u ~ N(nu, s): E[e^u] = e^{nu + s/2} (normal MGF at 1, Casella & Berger 2002, Sec. 2.3);
    Stein's lemma E[g(t) t] = E[g'(t)] (Stein 1981) gives E[e^u t] = sqrt(s) E[e^u] and
    E[e^u t^2] = E[e^u] + sqrt(s) E[e^u t] = (1 + s) E[e^u]."""
    glm = glm_layer_fisher("poisson")
    nu, s = glm.nu, glm.s
    base = sp.exp(nu + s / 2)
    assert glm.closed_form and not glm.exact and glm.moments is not None
    for got, want in zip(glm.moments, (base, sp.sqrt(s) * base, (1 + s) * base)):
        assert sp.simplify(got - want) == 0
    assert glm.lam == sp.exp(glm.u)
    assert "quadrature" in glm.note  # closed forms are cross-checked


def test_poisson_derived_error_matches_hand_closed_form_and_dense_tilt() -> None:
    glm = glm_layer_fisher("poisson")
    W, mu, cov, _ = _layer(31, 3, 4)
    rel, norm = glm.error(W, mu, cov)
    ref_rel, ref_norm = poisson_glm_kfac_error(W, mu, cov)
    assert abs(rel - ref_rel) <= 1e-12 * ref_rel and abs(norm - ref_norm) <= 1e-12 * ref_norm
    # independent dense route: tilting N(mu, cov) by e^{w.x} gives F_ii = e^{c}(cov + m m^T),
    # m = mu + cov w, c = w.mu + w.cov.w / 2; K_ii = e^{c}(cov + mu mu^T); build the kron blocks
    c = W @ mu + 0.5 * np.einsum("ij,jk,ik->i", W, cov, W)
    F = np.zeros((12, 12))
    K = np.zeros((12, 12))
    for i, row in enumerate(W):
        m = mu + cov @ row
        E = np.zeros((3, 3))
        E[i, i] = np.exp(c[i])
        F += np.kron(E, cov + np.outer(m, m))
        K += np.kron(E, cov + np.outer(mu, mu))
    dense_norm = np.linalg.norm(F)
    assert abs(norm - dense_norm) <= 1e-12 * dense_norm
    assert abs(rel - np.linalg.norm(F - K) / dense_norm) <= 1e-12 * rel
    # and the quadrature path of the numeric side (e^u integrated by Gauss-Hermite)
    q_rel, q_norm = glm_kfac_error(W, mu, cov, np.exp, nodes=80)
    assert abs(q_rel - rel) <= 1e-10 * rel and abs(q_norm - norm) <= 1e-10 * norm


def test_poisson_symbolic_error_matches_invariant_substitution() -> None:
    """glm.err_sq is the invariant formula with the derived moments substituted: at s = 0
    (Sigma w = 0) it must vanish identically (e1 = 0, e2 = e0)."""
    glm = glm_layer_fisher("poisson")
    bf = glm.formulas
    assert glm.err_sq is not None and glm.f_sq is not None
    assert sp.simplify(glm.err_sq.subs(glm.s, 0)) == 0
    assert sp.simplify(glm.f_sq.subs(glm.s, 0) - sp.exp(2 * glm.nu) * bf.MM) == 0


@pytest.mark.parametrize("name, consts", [("gaussian", {"sigma": 0.7}), ("student_t", {"sigma": 0.7, "nu": 4.0})])
def test_constant_curvature_is_exact(name: str, consts: dict[str, float]) -> None:
    glm = glm_layer_fisher(name)
    assert glm.exact and glm.closed_form
    assert "does not depend on the pre-activation" in glm.reason
    W, mu, cov, _ = _layer(32, 3, 4, scale=2.0)
    rel, norm = glm.error(W, mu, cov, constants=consts)
    assert rel == 0.0  # err_sq has no cancellation: e1 = e2 - e0 = 0
    lam = float(glm.lam.subs({s: consts[str(s)] for s in glm.lam.free_symbols}))
    M = cov + np.outer(mu, mu)
    exact_norm = lam * np.sqrt(3) * np.linalg.norm(M)  # ||diag(lam) kron M||_F
    assert abs(norm - exact_norm) <= 1e-12 * exact_norm


def _mpmath_moments(nu: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bernoulli/logit moments E[lam(nu + sqrt(s) t) t^j] by mpmath quadrature, 30 digits."""
    out = np.zeros((3, nu.size))
    with mpmath.workdps(30):
        for i, (m, v) in enumerate(zip(nu, s)):
            r = mpmath.sqrt(mpmath.mpf(float(v)))

            def lam(t: mpmath.mpf, m: float = float(m), r: mpmath.mpf = r) -> mpmath.mpf:
                z = mpmath.exp(m + r * t)
                return z / (1 + z) ** 2 * mpmath.npdf(t)

            c = -m / r if v > 0 else mpmath.mpf(0)  # lam peaks at u = 0: split there
            for j in range(3):
                out[j, i] = float(mpmath.quad(lambda t: lam(t) * t**j, [-mpmath.inf, c - 1, c, c + 1, mpmath.inf]))
    return out[0], out[1], out[2]


def test_bernoulli_has_no_closed_form_and_kernel_matches_mpmath() -> None:
    glm = glm_layer_fisher("bernoulli", budget=1.0)
    assert not glm.closed_form and glm.moments is None and glm.err_sq is None
    assert "no closed form" in glm.note and not glm.exact
    W, mu, cov, _ = _layer(33, 3, 4, scale=1.2)
    rel, norm = glm.error(W, mu, cov)  # compiled lam + Gauss-Hermite
    ref_rel, ref_norm = glm_error_from_moments(W, mu, cov, _mpmath_moments)
    assert rel > 0.05  # a genuinely inexact layer
    assert abs(rel - ref_rel) <= 1e-10 * ref_rel and abs(norm - ref_norm) <= 1e-10 * ref_norm


def test_adaptive_quadrature_settles_where_fixed_gauss_hermite_does_not() -> None:
    """Logistic curvature at large pre-activation variance s (poles at u = +-i pi come within
    pi / sqrt(s) of the real t axis): mpmath at 30 digits is the reference."""
    from symfisher.numeric.kfac.glm import adaptive_normal_moments, gauss_hermite_moments

    nu, s = np.array([0.3, -1.0, 2.0, 0.0]), np.array([0.0, 4.0, 100.0, 2500.0])
    ref = np.stack(_mpmath_moments(nu, s))
    got = np.stack(adaptive_normal_moments(_sigmoid_curvature, nu, s))
    size = np.abs(ref).sum(axis=0)
    assert np.all(np.abs(got - ref) <= 1e-12 * size)
    fixed = np.stack(gauss_hermite_moments(_sigmoid_curvature, nu, s, 80))
    assert np.max(np.abs(fixed - ref)[:, 2] / size[2]) > 1e-6  # 80 nodes are not enough
    with pytest.raises(DomainError, match="overflow"):
        adaptive_normal_moments(np.exp, np.zeros(1), np.array([400.0]))  # e^{20 t} phi(t)


def test_bernoulli_kernel_matches_dense_monte_carlo_kronecker_sum() -> None:
    """2e5 sampled inputs; F_MC = mean_n diag(lam(W x_n)) kron x_n x_n^T built explicitly,
    K_MC = mean diag(lam) kron mean x x^T. Tolerances: 5 Monte-Carlo standard errors
    (entrywise for the blocks, from 20 batch means for the relative error and the norm)."""
    glm = glm_layer_fisher("bernoulli", budget=1.0)
    d_out, d_in, n, batches = 2, 3, 200_000, 20
    W, mu, cov, L = _layer(34, d_out, d_in, scale=1.5)
    rng = np.random.default_rng(35)
    x = mu + rng.standard_normal((n, d_in)) @ L.T
    lam = _sigmoid_curvature(x @ W.T)  # (n, d_out)
    Lam = np.einsum("ni,ij->nij", lam, np.eye(d_out))
    terms = np.einsum("nij,nab->niajb", Lam, np.einsum("na,nb->nab", x, x))
    terms = terms.reshape(n, d_out * d_in, d_out * d_in)
    F_mc, F_se = terms.mean(axis=0), terms.std(axis=0) / np.sqrt(n)
    F_blocks, K_blocks = glm.blocks(W, mu, cov)
    F = np.zeros((d_out * d_in,) * 2)
    for i in range(d_out):
        F[i * d_in : (i + 1) * d_in, i * d_in : (i + 1) * d_in] = F_blocks[i]
    assert np.all(np.abs(F - F_mc) <= 5 * F_se + 1e-15)

    def estimate(sl: slice) -> tuple[float, float]:
        Fs = terms[sl].mean(axis=0)
        Ks = np.kron(np.diag(lam[sl].mean(axis=0)), (x[sl, :, None] * x[sl, None, :]).mean(axis=0))
        return np.linalg.norm(Fs - Ks) / np.linalg.norm(Fs), np.linalg.norm(Fs)

    rel, norm = glm.error(W, mu, cov)
    rel_mc, norm_mc = estimate(slice(None))
    parts = np.array([estimate(slice(b * n // batches, (b + 1) * n // batches)) for b in range(batches)])
    se = parts.std(axis=0, ddof=1) / np.sqrt(batches)
    assert rel > 0.05
    assert abs(rel - rel_mc) <= 5 * se[0] and abs(norm - norm_mc) <= 5 * se[1]
    # the blocks and the error formula agree (same moments, two formulas)
    dense = np.zeros_like(F)
    for i in range(d_out):
        dense[i * d_in : (i + 1) * d_in, i * d_in : (i + 1) * d_in] = F_blocks[i] - K_blocks[i]
    assert abs(np.linalg.norm(dense) / np.linalg.norm(F) - rel) <= 1e-12


def test_negative_binomial_needs_its_constant_and_agrees_with_numeric_quadrature() -> None:
    glm = glm_layer_fisher("negative_binomial", budget=1.0)
    W, mu, cov, _ = _layer(36, 2, 3, scale=0.8)
    with pytest.raises(DerivationError, match="'r'"):
        glm.error(W, mu, cov)
    rel, norm = glm.error(W, mu, cov, constants={"r": 3.0})
    lam = lambda u: 3.0 * np.exp(u) / (3.0 + np.exp(u))  # noqa: E731
    ref_rel, ref_norm = glm_kfac_error(W, mu, cov, lam, nodes=160)
    assert abs(rel - ref_rel) <= 1e-12 * ref_rel and abs(norm - ref_norm) <= 1e-12 * ref_norm


def test_symbolic_full_block_two_inputs_matches_invariant_formula() -> None:
    """d_in = 2, d_out = 1, Poisson: E[e^{w.x} x x^T] derived entry by entry by the
    expectation engine under a symbolic N(mu, Sigma), against the invariant formula."""
    from symfisher.derive.expectation.engine import expectation
    from symfisher.families.base import Family

    x1, x2 = sp.symbols("x1 x2", real=True)
    m1, m2, w1, w2, b = sp.symbols("m1 m2 w1 w2 b", real=True)
    a, c = sp.symbols("a c", positive=True)
    Sigma = sp.Matrix([[a, b], [b, c]])
    xv, mv, wv = sp.Matrix([x1, x2]), sp.Matrix([m1, m2]), sp.Matrix([w1, w2])
    quad = ((xv - mv).T * Sigma.adjugate() * (xv - mv))[0, 0] / Sigma.det()
    law = Family(
        -quad / 2 - sp.log(Sigma.det()) / 2 - sp.log(2 * sp.pi),
        [x1, x2],
        [m1, m2, b, a, c],
        (sp.Reals, sp.Reals),
        name="input",
        constraints=[a * c - b**2 > 0],
    )  # Σ positive definite: expectation() checks at such points
    lam = sp.exp((wv.T * xv)[0, 0])
    F_engine = sp.Matrix(2, 2, lambda i, j: expectation(lam * xv[i] * xv[j], law))

    glm = glm_layer_fisher("poisson")
    bf = glm.formulas
    s_val = (wv.T * Sigma * wv)[0, 0]
    point = {glm.nu: (wv.T * mv)[0, 0], glm.s: s_val}
    e = {k: v.xreplace(point) for k, v in zip((bf.e0, bf.e1, bf.e2), glm.moments)}
    d = Sigma * wv / sp.sqrt(s_val)
    M = Sigma + mv * mv.T
    F_formula = bf.F_ii.subs({bf.mu: mv, bf.d: d, bf.M: M, **e}).as_explicit()
    assert sp.simplify(F_engine - F_formula) == sp.zeros(2, 2)
    # the norm formula equals the squared Frobenius norm of the explicit difference
    diff = F_formula - (bf.K_ii.subs({bf.M: M, **e})).as_explicit()
    inv = {bf.mm: (mv.T * mv)[0, 0], bf.md: (mv.T * d)[0, 0], bf.dd: (d.T * d)[0, 0]}
    err_sq = bf.err_sq.subs({**inv, **e})
    assert sp.simplify(sum(v**2 for v in diff) - err_sq) == 0


def test_a_wrong_closed_form_is_refused_by_the_mpmath_check() -> None:
    """Closed forms are checked at 30 digits: e^{nu + s/2} off by one part in 1e17 fails."""
    from symfisher.kfac.glm import _verify

    glm = glm_layer_fisher("poisson")
    assert glm.moments is not None
    _verify(glm.lam, glm.moments, glm.u, glm.nu, glm.s, "poisson")  # passes
    wrong = (glm.moments[0] * (1 + sp.Rational(1, 10**17)), *glm.moments[1:])
    with pytest.raises(DerivationError, match="poisson: closed form e0"):
        _verify(glm.lam, wrong, glm.u, glm.nu, glm.s, "poisson")


def test_heteroscedastic_gaussian_is_rejected_by_name() -> None:
    with pytest.raises(DerivationError, match=r"heteroscedastic_gaussian.*2 x 2"):
        glm_layer_fisher("heteroscedastic_gaussian")


def test_bad_input_names_the_problem() -> None:
    glm = glm_layer_fisher("poisson")
    W, mu, cov, _ = _layer(37, 2, 3)
    with pytest.raises(ShapeError, match="'mean'"):
        glm.error(W, mu[:2], cov)
    with pytest.raises(ShapeError, match="'W'"):
        glm.error(W[0], mu, cov)
    bad = W.copy()
    bad[0, 0] = np.nan
    with pytest.raises(DomainError, match="'W'"):
        glm.error(bad, mu, cov)
    with pytest.raises(DerivationError, match="unknown names"):
        glm.error(W, mu, cov, constants={"sigma": 1.0})
    with pytest.raises(DerivationError, match="sigma"):
        glm_layer_fisher("gaussian").error(W, mu, cov)
    with pytest.raises(ValueError, match="nodes"):
        glm_kfac_error(W, mu, cov, np.exp, nodes=1)
    with pytest.raises(DomainError, match="e0 is not finite"):
        glm_error_from_moments(W, mu, cov, lambda nu, s: (np.full_like(nu, np.inf), nu, nu))


def test_zero_variance_rows_reduce_to_the_pointwise_curvature() -> None:
    """Sigma w = 0 (here W = 0): u is deterministic, so F = K exactly and e_j = lam(nu) E[t^j]."""
    W, mu, cov, _ = _layer(38, 2, 3)
    rel, norm = glm_layer_fisher("bernoulli", budget=1.0).error(np.zeros_like(W), mu, cov)
    M = cov + np.outer(mu, mu)
    assert rel == 0.0
    assert abs(norm - 0.25 * np.sqrt(2) * np.linalg.norm(M)) <= 1e-12 * norm  # lam(0) = 1/4
    F, K = fisher_blocks(np.zeros_like(W), mu, cov, lambda nu, s: (nu + 1, nu, nu + 1))
    assert np.array_equal(F, K)


def test_numeric_glm_module_does_not_import_sympy() -> None:
    code = (
        "import sys, numpy as np\n"
        "from symfisher.numeric.kfac.glm import glm_kfac_error, poisson_glm_kfac_error\n"
        "glm_kfac_error(np.ones((1, 2)), np.zeros(2), np.eye(2), np.exp)\n"
        "poisson_glm_kfac_error(np.ones((1, 2)), np.zeros(2), np.eye(2))\n"
        "print('sympy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False"]


def test_block_formulas_are_shared_and_match_numeric_error_terms() -> None:
    """The SymPy invariant formulas evaluated at random numbers equal the numeric ones."""
    from symfisher.numeric.kfac.glm import error_terms, row_invariants

    bf = block_formulas()
    W, mu, cov, _ = _layer(39, 1, 3)
    inv = row_invariants(W, mu, cov)
    e = np.array([0.7]), np.array([-0.3]), np.array([1.9])
    diff, full = error_terms(*e, inv)
    vals = {
        bf.e0: 0.7,
        bf.e1: -0.3,
        bf.e2: 1.9,
        bf.mm: inv.mm,
        bf.MM: inv.MM,
        bf.md: inv.md[0],
        bf.dd: inv.dd[0],
        bf.dMmu: inv.dMmu[0],
        bf.dMd: inv.dMd[0],
    }
    assert abs(float(bf.err_sq.subs(vals)) - diff[0]) <= 1e-13 * abs(diff[0])
    assert abs(float(bf.f_sq.subs(vals)) - full[0]) <= 1e-13 * abs(full[0])
