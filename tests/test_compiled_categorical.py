"""Categorical (softmax) output curvature derived in SymPy, compiled, and used by Laplace.

Oracles: the textbook softmax Hessian ``Lambda_ij = p_i (delta_ij - p_j)`` (Bishop 2006,
PRML §4.3.4, eq. 4.110; its equality with the Fisher for this canonical link: Martens 2020,
JMLR 21(146), "New insights and perspectives on the natural gradient method"), the
hand-written ``Categorical`` likelihood in
``symfisher.numeric.laplace.likelihoods`` (log-softmax from SciPy), SciPy's Dirichlet
log-density, and central finite differences.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy.stats import dirichlet

import symfisher as sf
from symfisher.errors import DomainError
from symfisher.numeric.kfac.checks import ShapeError
from symfisher.numeric.laplace.catalog import make_likelihood
from symfisher.numeric.nn import MLP

REL = 1e-10


def _softmax_symbols(k: int) -> tuple[list[sp.Symbol], sp.Matrix]:
    f = [sp.Symbol(f"f{i}", real=True) for i in range(k)]
    z = sum(sp.exp(x) for x in f)
    return f, sp.Matrix([sp.exp(x) / z for x in f])


def _is_zero(m: sp.MatrixBase) -> bool:
    return all(sp.simplify(e) == 0 for e in m)


@pytest.fixture(scope="module")
def cat3() -> object:
    return sf.kfac.output_curvature("categorical")


@pytest.fixture(scope="module")
def compiled3() -> object:
    return sf.kfac.compile_likelihood("categorical")


def test_symbolic_fisher_is_textbook_softmax_hessian(cat3) -> None:
    """k = 3: Lambda = diag(p) - p p^T (PRML eq. 4.110) = GGN, free of y, singular."""
    f, p = _softmax_symbols(3)
    textbook = sp.Matrix(3, 3, lambda i, j: p[i] * (sp.KroneckerDelta(i, j) - p[j]))
    assert cat3.outputs == tuple(f) and cat3.one_hot and [str(x) for x in cat3.data] == ["x1", "x2"]
    assert _is_zero(cat3.fisher - textbook)
    assert _is_zero(cat3.ggn - textbook)  # GGN = Fisher (canonical link)
    assert cat3.ggn_equals_fisher and not cat3.constant
    assert _is_zero(cat3.fisher * sp.ones(3, 1))  # Lambda 1 = 0: singular, rank k - 1
    assert _is_zero(cat3.mean - p)  # class probabilities


def test_factor_of_singular_curvature(cat3) -> None:
    """S = diag(sqrt p) - p sqrt(p)^T and S S^T = Lambda although det Lambda = 0."""
    _, p = _softmax_symbols(3)
    root = p.applyfunc(sp.sqrt)
    S = cat3.factor
    assert _is_zero(S - (sp.diag(*root) - p * root.T))
    assert _is_zero(S * S.T - cat3.fisher)
    assert sp.simplify(cat3.fisher.det()) == 0


def test_nll_and_gradient_in_closed_form(cat3) -> None:
    """nll = logsumexp(f) - f_c for one-hot data (no 1 - p1 - p2 cancellation); grad = p - e_c."""
    f, p = _softmax_symbols(3)
    x1, x2 = cat3.data
    lse = sp.log(sum(sp.exp(v) for v in f))
    assert sp.expand(cat3.nll - (lse - x1 * f[1] - x2 * f[2] - (1 - x1 - x2) * f[0])) == 0
    onehot = sp.Matrix([1 - x1 - x2, x1, x2])
    assert _is_zero(cat3.grad - (p - onehot))


def test_compiled_matches_hand_written(compiled3) -> None:
    lik, ref = compiled3, make_likelihood("categorical")
    rng = np.random.default_rng(3)
    f = 3.0 * rng.standard_normal((9, 3))
    labels = rng.integers(0, 3, 9)
    y, y_ref = lik.targets(labels, 3), ref.targets(labels, 3)
    assert y.shape == (9, 1) and lik.data_dim == 2 and lik.k == 3
    pairs = {
        "nll": (lik.nll(f, y), ref.nll(f, y_ref)),
        "grad": (lik.grad(f, y), ref.grad(f, y_ref)),
        "curvature": (lik.curvature(f), ref.curvature(f)),
        "factor": (lik.factor(f), ref.factor(f)),
        "mean": (lik.mean(f), ref.mean(f)),
    }
    for name, (a, b) in pairs.items():
        assert a.shape == b.shape, name
        # grad = p - e_c cancels for the true class: atol at the rounding of p (~1e-16)
        assert np.allclose(a, b, rtol=REL, atol=1e-15), name
    S = lik.factor(f)
    assert np.allclose(S @ S.transpose(0, 2, 1), lik.curvature(f), rtol=0, atol=1e-15)


def test_compiled_nll_is_stable_for_large_logits(compiled3) -> None:
    """log-softmax form: classes with probability ~1e-35 keep their nll exactly."""
    f = np.array([[0.0, 40.0, -40.0], [0.0, 40.0, -40.0]])
    y = compiled3.targets([2, 0], 3)
    assert np.allclose(compiled3.nll(f, y), [80.0, 40.0], rtol=1e-14)


def _net_and_data(seed: int, k: int, n: int = 24) -> tuple[MLP, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    net = MLP.random([2, 5, k], rng, activation="tanh")
    X = rng.standard_normal((n, 2))
    probs = make_likelihood("categorical").mean(net.forward(X))
    y = np.array([rng.choice(k, p=row) for row in probs], dtype=float)
    return net, X, y


@pytest.mark.parametrize("structure", ["kron", "full", "diag"])
def test_laplace_with_compiled_categorical_matches_built_in(compiled3, structure: str) -> None:
    net, X, y = _net_and_data(7, 3)
    a = sf.laplace(net, X, y, likelihood=compiled3, structure=structure, prior_precision=0.6)
    b = sf.laplace(net, X, y, likelihood="categorical", structure=structure, prior_precision=0.6)
    ml_a, ml_b = a.log_marginal_likelihood(), b.log_marginal_likelihood()
    assert abs(ml_a - ml_b) <= REL * abs(ml_b)
    assert abs(a.log_det_posterior_precision - b.log_det_posterior_precision) <= REL * abs(
        b.log_det_posterior_precision
    )
    assert abs(a.log_likelihood - b.log_likelihood) <= REL * abs(b.log_likelihood)
    if structure == "kron":  # same Gaussian draws: MC predictives agree to rounding
        pa = a.predict(X[:4], link_approx="mc", n_samples=200, seed=3).mean
        pb = b.predict(X[:4], link_approx="mc", n_samples=200, seed=3).mean
        assert pa.shape == (4, 3) and np.allclose(pa, pb, rtol=1e-8, atol=1e-12)


def test_laplace_with_categorical_family_defaults_to_softmax() -> None:
    """A categorical Family without a link gets the softmax link (k = 4 outputs)."""
    net, X, y = _net_and_data(11, 4, n=16)
    a = sf.laplace(net, X, y, likelihood=sf.family("categorical", k=4), structure="kron", prior_precision=1.3)
    b = sf.laplace(net, X, y, likelihood="categorical", structure="kron", prior_precision=1.3)
    assert abs(a.log_marginal_likelihood() - b.log_marginal_likelihood()) <= REL * abs(b.log_marginal_likelihood())
    assert a.likelihood.data_dim == 3 and a.likelihood.one_hot


def test_class_labels_are_validated(compiled3) -> None:
    with pytest.raises(DomainError, match=r"class indices 0\.\.2 .* found 3"):
        compiled3.targets([0, 3], 3)
    with pytest.raises(DomainError, match="found 0.5"):
        compiled3.targets([0.5, 1], 3)
    with pytest.raises(ShapeError, match=r"class indices \(N,\)"):
        compiled3.targets(np.zeros((2, 3)), 3)
    net, X, _ = _net_and_data(2, 3, n=4)
    with pytest.raises(DomainError, match="found -1"):
        sf.laplace(net, X, np.array([0.0, 1.0, -1.0, 2.0]), likelihood=compiled3)


def test_several_observation_variables_dirichlet() -> None:
    """Vector data without one-hot coding: a Dirichlet with alpha_i = e^{f_i}, y (N, 2)."""
    fam = sf.family("dirichlet")
    f = [sp.Symbol(f"f{i}", real=True) for i in range(3)]
    lik = sf.kfac.compile_likelihood(fam, link={a: sp.exp(fi) for a, fi in zip(fam.params, f)})
    assert lik.data_dim == 2 and not lik.one_hot and lik.k == 3
    rng = np.random.default_rng(5)
    fv = 0.5 * rng.standard_normal((4, 3))
    full = rng.dirichlet([1.5, 2.0, 2.5], size=4)
    y = lik.targets(full[:, :2], 3)
    ref = [-dirichlet.logpdf(full[n], np.exp(fv[n])) for n in range(4)]
    assert np.allclose(lik.nll(fv, y), ref, rtol=1e-12)
    h = 1e-6  # central differences, error O(h^2)
    fd = np.stack([(lik.nll(fv + h * e, y) - lik.nll(fv - h * e, y)) / (2 * h) for e in np.eye(3)], 1)
    assert np.allclose(lik.grad(fv, y), fd, rtol=1e-6, atol=1e-8)
    with pytest.raises(ShapeError, match="2 column"):
        lik.targets(full, 3)


@pytest.mark.slow
def test_many_classes_without_the_catalog_fisher() -> None:
    """k = 11 (the catalog Fisher route gives up for k >= 6): outputs ordered f0..f10, not
    f0, f1, f10, ...; curvature from the class sum agrees with the hand-written likelihood."""
    oc = sf.kfac.output_curvature("categorical_11")
    assert [str(f) for f in oc.outputs] == [f"f{i}" for i in range(11)]
    lik = sf.kfac.compile_likelihood(oc)
    ref = make_likelihood("categorical")
    rng = np.random.default_rng(8)
    f = 2.0 * rng.standard_normal((5, 11))
    labels = np.array([0, 10, 3, 9, 1])
    y = lik.targets(labels, 11)
    for a, b in (
        (lik.nll(f, y), ref.nll(f, labels)),
        (lik.grad(f, y), ref.grad(f, labels)),
        (lik.curvature(f), ref.curvature(f)),
        (lik.factor(f), ref.factor(f)),
        (lik.mean(f), ref.mean(f)),
    ):
        assert np.allclose(a, b, rtol=REL, atol=1e-15)


def test_text_links_name_outputs_beyond_f7() -> None:
    from symfisher.kfac.curvature import _link_expr

    expr = _link_expr("exp(f12) / (exp(f0) + exp(f12))", sf.family("categorical"))
    assert expr.free_symbols == {sp.Symbol("f0", real=True), sp.Symbol("f12", real=True)}
