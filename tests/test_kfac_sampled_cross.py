"""Sampled ``<F, G kron A>`` (and ``||F||^2``) with a delta-method interval for the K-FAC error.

Oracles: the dense block ``F = sum_n (B_n B_n^T) kron (a_n a_n^T)`` and ``G kron A`` formed
explicitly (independent of the Gram identities), exact enumeration of every triple for a
tiny N (the expectation of the estimator, not a sample of it), central finite differences
of ``r(x, c)``, and the binomial law of interval coverage.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from symfisher.numeric.kfac.checks import ShapeError
from symfisher.numeric.kfac.compute import kron_error
from symfisher.numeric.kfac.error import cross_term, exact_norm_sq, kfac_factors
from symfisher.numeric.kfac.sampled import (
    Proposal,
    delta_interval,
    diagonal_terms,
    proposal,
    sampled_terms,
    triple_terms,
)


def _layer(seed: int, n: int, d_in: int, d_out: int, k: int, spread: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
    """Examples with log-normal scales shared by a_n and B_n (K-FAC error ~0.6-0.7)."""
    rng = np.random.default_rng(seed)
    s = np.exp(spread * rng.standard_normal(n))
    a = (rng.standard_normal((n, d_in)) + rng.standard_normal(d_in)) * s[:, None]
    B = rng.standard_normal((n, d_out, k)) * s[:, None, None]
    return a, B


def _dense_norm_and_cross(a: np.ndarray, B: np.ndarray) -> tuple[float, float]:
    """``||F||^2`` and ``<F, G kron A>`` with F and G kron A formed explicitly."""
    A, G = kfac_factors(a, B)
    F = sum(np.kron(Bn @ Bn.T, np.outer(an, an)) for an, Bn in zip(a, B))
    return float(np.sum(F * F)), float(np.sum(F * np.kron(G, A)))


def _expectation_by_enumeration(a: np.ndarray, B: np.ndarray, prop: Proposal) -> tuple[float, float, float]:
    """``E[x] + D``, ``E[y] + D / N`` and the total probability, over every triple."""
    n_ex = a.shape[0]
    triples = np.array([t for t in itertools.product(range(n_ex), repeat=3) if t[1] != t[0] and t[2] != t[0]])
    n, m, l = triples.T
    prob = prop.p[n] * prop.beta[m] / (1 - prop.beta[n]) * prop.alpha[l] / (1 - prop.alpha[n])
    u, v = diagonal_terms(a, B)
    x, y = triple_terms(a, B, u, v, prop, n, m, l)
    d = float(u @ v)
    return float(prob @ x) + d, float(prob @ y) + d / n_ex, float(prob.sum())


@pytest.mark.parametrize("n_ex,k", [(2, 1), (3, 2), (5, 3)])
def test_unbiased_by_exact_enumeration(n_ex: int, k: int) -> None:
    """The estimator's expectation (all triples, exact probabilities) equals the dense values."""
    a, B = _layer(n_ex, n_ex, 3, 2, k, spread=0.8)
    f_sq, cross = _dense_norm_and_cross(a, B)
    assert abs(exact_norm_sq(a, B) - f_sq) <= 1e-12 * f_sq  # Gram route agrees
    assert abs(cross_term(a, B, *kfac_factors(a, B)) - cross) <= 1e-12 * cross
    for prop in (proposal(a, B), Proposal.uniform(n_ex)):
        ex, ey, total = _expectation_by_enumeration(a, B, prop)
        assert abs(total - 1.0) <= 1e-12
        assert abs(ex - f_sq) <= 1e-12 * f_sq
        assert abs(ey - cross) <= 1e-12 * cross


def test_mean_over_seeds_matches_exact_and_standard_errors_are_calibrated() -> None:
    a, B = _layer(1, 60, 4, 3, 2)
    f_sq, cross = _dense_norm_and_cross(a, B)
    runs = [sampled_terms(a, B, 500, np.random.default_rng(s)) for s in range(300)]
    for est, exact, var in (
        (np.array([r.cross for r in runs]), cross, "cross_var"),
        (np.array([r.norm_sq for r in runs]), f_sq, "norm_sq_var"),
    ):
        se_mean = est.std(ddof=1) / math.sqrt(est.size)
        assert abs(est.mean() - exact) <= 4.0 * se_mean  # unbiased: |z| <= 4
        # reported standard error vs the spread over seeds (sd of a 300-sample sd ~ 4-10%)
        reported = math.sqrt(np.mean([getattr(r, var) for r in runs]))
        assert 0.75 <= reported / est.std(ddof=1) <= 1.33


def test_uniform_proposal_is_unbiased_too() -> None:
    a, B = _layer(2, 40, 3, 2, 1, spread=0.2)
    _, cross = _dense_norm_and_cross(a, B)
    prop = Proposal.uniform(40)
    est = np.array([sampled_terms(a, B, 400, np.random.default_rng(s), prop=prop).cross for s in range(200)])
    assert abs(est.mean() - cross) <= 4.0 * est.std(ddof=1) / math.sqrt(est.size)


def test_interval_coverage_over_200_seeds() -> None:
    """The 95% interval contains the exact relative error in >= 90% of 200 runs.

    Under exact 95% coverage, P(hits < 180) = P(Binomial(200, 0.95) < 180) ~ 1e-3.
    """
    a, B = _layer(3, 120, 5, 4, 2)
    exact = kron_error(a, B=B, method="gram", nearest=False, ekfac=False)
    assert 0.4 < exact.relative_frobenius < 0.9  # not near the r = 0 kink
    hits = 0
    for seed in range(200):
        rep = kron_error(
            a, B=B, method="sampled", cross="sampled", num_pairs=2000, seed=seed, nearest=False, ekfac=False
        )
        lo, hi = rep.confidence_interval
        hits += lo <= exact.relative_frobenius <= hi
    assert hits >= 180


def test_report_fields_and_default_cross_exact() -> None:
    a, B = _layer(4, 80, 4, 3, 1)
    A, G = kfac_factors(a, B)
    c_exact = cross_term(a, B, A, G)
    rep = kron_error(a, B=B, method="sampled", num_pairs=3000, seed=7, nearest=False, ekfac=False)
    pairs = sampled_terms(a, B, 3000, np.random.default_rng(7))  # the same draws
    assert rep.cross == c_exact and rep.cross_std_error is None
    assert rep.exact_norm == math.sqrt(pairs.norm_sq)
    assert rep.norm_sq_std_error == math.sqrt(pairs.norm_sq_var)
    assert kron_error(a, B=B, method="gram").cross == c_exact
    dense = kron_error(a[:10], B=B[:10], method="dense")
    assert abs(dense.cross - cross_term(a[:10], B[:10], *kfac_factors(a[:10], B[:10]))) <= (1e-12 * dense.cross)
    both = kron_error(a, B=B, cross="sampled", num_pairs=3000, seed=7, nearest=False, ekfac=False)
    assert both.method.value == "sampled" and both.num_pairs == 3000  # "auto" -> sampled
    assert both.cross_std_error > 0 and both.relative_std_error > 0
    assert abs(both.cross - c_exact) <= 5 * both.cross_std_error
    text = both.summary()
    assert "3000 triples" in text and "<F, G (x) A> (sampled)" in text


def test_identical_terms_give_exact_estimates() -> None:
    """All u(n, m) and v(n, m) equal: every triple gives the exact value, variance 0."""
    a, B = np.ones((6, 2)), np.ones((6, 3, 2))
    f_sq, cross = _dense_norm_and_cross(a, B)
    t = sampled_terms(a, B, 50, np.random.default_rng(0))
    assert t.norm_sq == pytest.approx(f_sq, rel=1e-14) and t.cross == pytest.approx(cross, rel=1e-14)
    assert t.norm_sq_var == 0 and t.cross_var == 0
    one = sampled_terms(a[:1], B[:1], 50, np.random.default_rng(0))  # N = 1: exact, nothing drawn
    assert one.num_triples == 0 and one.norm_sq == one.cross


def test_delta_method_matches_finite_differences() -> None:
    """se(r) = sqrt(g^T Sigma g) with g the gradient of r(x, c) by central differences."""
    x, c, k_sq = 10.0, 4.5, 2.0
    Sigma = np.array([[0.09, 0.02], [0.02, 0.04]])

    def r(xv: float, cv: float) -> float:
        return math.sqrt(1.0 - (2.0 * cv - k_sq) / xv)

    h = 1e-6
    g = np.array([(r(x + h, c) - r(x - h, c)) / (2 * h), (r(x, c + h) - r(x, c - h)) / (2 * h)])
    value, se, (lo, hi) = delta_interval(x, c, k_sq, Sigma[0, 0], Sigma[1, 1], Sigma[0, 1])
    assert value == pytest.approx(r(x, c), rel=1e-15)
    assert se == pytest.approx(math.sqrt(g @ Sigma @ g), rel=1e-8)  # FD error O(h^2)
    assert hi - value == pytest.approx(1.959963984540054 * se, rel=1e-12)


def test_bad_options() -> None:
    a, B = _layer(5, 10, 3, 2, 1)
    with pytest.raises(ShapeError, match="cross='sampled' needs method='sampled'"):
        kron_error(a, B=B, method="gram", cross="sampled")
    with pytest.raises(ValueError, match="cross='approx' is not one of"):
        kron_error(a, B=B, method="sampled", cross="approx")
