"""Numba kernels against the mpmath backend: ‖K − K_ref‖ / ‖K_ref‖ ≤ 1e-12 at seeded points."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

import symfisher as sf
from symfisher.testing.bench_models import bench_models

TOL = 1e-12


def _normwise(got: np.ndarray, ref: np.ndarray) -> float:
    """Largest per-point Frobenius-norm relative error (scaled: no underflow of squares)."""
    axes = tuple(range(1, got.ndim))
    scale = np.max(np.abs(ref), axis=axes, keepdims=True) if axes else np.abs(ref)
    g, r = got / scale, ref / scale
    num = np.sqrt(np.sum((g - r) ** 2, axis=axes)) if axes else np.abs(g - r)
    den = np.sqrt(np.sum(r**2, axis=axes)) if axes else np.abs(r)
    return float(np.max(num / den))


def _compare(expr: sp.Expr, args: list, points: list[np.ndarray], tol: float = TOL, **kw: object) -> float:
    k = sf.compile(expr, args=args, **kw)
    ref = sf.compile(expr, args=args, backend="mpmath", dps=40, **kw)
    err = _normwise(k(*points, check=False), ref.to_float(ref(*points)))
    assert err <= tol, f"normwise relative error {err:.3g} > {tol}"
    return err


@pytest.mark.parametrize("name", ["4pl", "gamma", "weibull", "emax"])
def test_benchmark_models_match_mpmath(name: str) -> None:
    model = bench_models()[name]
    rng = np.random.default_rng(20)
    _compare(model.expr, list(model.args), model.sample(rng, 25))


def test_beta_fisher_with_trigamma() -> None:
    a, b = sp.symbols("a b", positive=True)
    t = sp.polygamma(1, a + b)
    fisher = sp.Matrix([[sp.polygamma(1, a) - t, -t], [-t, sp.polygamma(1, b) - t]])
    rng = np.random.default_rng(21)
    _compare(fisher, [a, b], [rng.uniform(0.05, 30, 30), rng.uniform(0.05, 30, 30)])


def test_von_mises_bessel_ratios_and_large_kappa() -> None:
    """Fisher information of von Mises in (mu, kappa): diag(kappa A, d^2/dkappa^2 log I0)."""
    kappa = sp.Symbol("kappa", positive=True)
    logi0 = sp.log(sp.besseli(0, kappa))
    fisher = sp.Matrix([[kappa * logi0.diff(kappa), 0], [0, logi0.diff(kappa, 2)]])
    k = sf.compile(fisher, [kappa])
    assert "besseli_ratio" in k.source
    rng = np.random.default_rng(22)
    _compare(fisher, [kappa], [rng.uniform(0.01, 60, 30)])
    # I0 overflows beyond ~714; the ratio form does not. Reference: mpmath at 40 digits.
    ref = sf.compile(fisher, [kappa], backend="mpmath", dps=40)
    big = np.array([750.0, 5000.0])
    assert _normwise(k(big), ref.to_float(ref(big))) <= TOL


def test_logistic_information_at_extreme_linear_predictor() -> None:
    """x xᵀ exp(eta)/(1+exp(eta))^2 for eta = ±700: overflow-free through the rewrite."""
    eta = sp.Symbol("eta", real=True)
    xs = sp.symbols("x0:2", real=True)
    xv = sp.Matrix(xs)
    info = xv * xv.T * sp.exp(eta) / (1 + sp.exp(eta)) ** 2
    pts = [np.array([-700.0, -30.0, 0.3, 30.0, 700.0]), np.array([[1.0, 2.0]])]
    _compare(info, [eta, list(xs)], pts)
    with pytest.raises(AssertionError):  # the naive form really does fail (inf/inf)
        _compare(info, [eta, list(xs)], pts, stable=False)


def test_scalar_and_rank3_outputs() -> None:
    a, b = sp.symbols("a b", positive=True)
    logpdf = a * sp.log(b) - sp.loggamma(a) + (a - 1) * sp.log(2) - 2 * b
    third = sp.Array([[[logpdf.diff(u, v, w) for w in (a, b)] for v in (a, b)] for u in (a, b)])
    rng = np.random.default_rng(23)
    pts = [rng.uniform(0.3, 9, 12), rng.uniform(0.3, 9, 12)]
    k = sf.compile(third, [a, b])
    assert k.shape == (2, 2, 2)
    _compare(third, [a, b], pts)
    _compare(logpdf, [a, b], pts)


def test_mpmath_backend_exact_values() -> None:
    a = sp.Symbol("a", positive=True)
    ref = sf.compile(sp.Matrix([sp.polygamma(1, a), sp.besseli(1, a)]), [a], backend="mpmath", dps=50)
    val = ref(1.0)
    assert abs(val[0] - sp.pi.evalf(60) ** 2 / 6) < 1e-45  # trigamma(1) = pi^2/6
    # I1(1) from its power series sum_k 1/(k! (k+1)! 2^(2k+1)), in exact rationals
    series = sum(sp.Rational(1, sp.factorial(k) * sp.factorial(k + 1) * 2 ** (2 * k + 1)) for k in range(30))
    assert abs(val[1] - series.evalf(60)) < 1e-45
    assert ref.shape == (2,) and ref.args == (a,)
    assert math.isclose(float(val[0]), math.pi**2 / 6, rel_tol=1e-16)


# Every regular catalog family except: gumbel and multivariate_normal (slow derivations,
# covered by tests/test_catalog.py), dirichlet (simplex data) and categorical (joint
# constraint p1 + p2 < 1 needs a constrained sampler). Non-regular families (uniform,
# shifted_exponential) have no Fisher matrix to compile.
EXCLUDED = {"gumbel", "multivariate_normal", "dirichlet", "categorical"}


def _catalog() -> list[str]:
    return [n for n in sf.family_names() if n not in EXCLUDED and sf.family(n).regular]


CATALOG = _catalog()


def _sample_domain(dom: sp.Set, rng: np.random.Generator, n: int) -> np.ndarray:
    if dom == sp.S.Reals:
        return rng.uniform(-2, 2, n)
    lo, hi = float(dom.inf), float(dom.sup)
    if math.isfinite(lo) and math.isfinite(hi):
        return lo + (hi - lo) * rng.uniform(0.05, 0.95, n)
    if math.isfinite(lo):
        return lo + np.exp(rng.uniform(-1.5, 1.5, n))
    return hi - np.exp(rng.uniform(-1.5, 1.5, n))


@pytest.mark.slow
@pytest.mark.parametrize("name", CATALOG)
def test_catalog_family_fisher_kernels_match_mpmath(name: str) -> None:
    fam = sf.family(name)
    fisher = sf.fisher(fam)
    consts = {s: (5 if s.is_integer else sp.Rational(7, 2)) for s in fam.fixed}
    rng = np.random.default_rng(24)
    pts = [_sample_domain(fam.domains[s], rng, 10) for s in fam.params]
    _compare(
        fisher,
        list(fam.params),
        pts,
        constants=consts,
        domains={s: fam.domains[s] for s in fam.params if fam.domains[s] != sp.S.Reals},
    )
