"""The four benchmark models of code generation, built directly in SymPy.

Used by ``benchmarks/bench_kernels.py``, the codegen tour step and the accuracy tests,
so that all three measure the same expressions.

=============  ============================================================  =====
name           quantity                                                      shape
=============  ============================================================  =====
``4pl``        Fisher information of the 4-parameter logistic curve          4×4
               ``c + (d-c)/(1 + exp(b (log x - log e)))`` with normal noise:
               ``f fᵀ / σ²``, ``f = ∂mean/∂(b, c, d, e)``
``gamma``      Gamma Fisher matrix, shape–rate: ``[[ψ₁(α), -1/β], [-1/β, α/β²]]``  2×2
``weibull``    Observed information of Weibull(shape k, scale λ) at data x    2×2
``emax``       Observed information of the sigmoid-Emax model                5×5
               ``e0 + emax xʰ/(ed50ʰ + xʰ)`` with log-variance ``s`` at (x, y)
=============  ============================================================  =====
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from symfisher.errors import InputError

__all__ = ["BenchModel", "bench_models"]


@dataclass(frozen=True)
class BenchModel:
    """One benchmark model.

    Attributes
    ----------
    name : str
    expr : sympy.ImmutableMatrix
        The ``p × p`` matrix to evaluate per point.
    args : tuple of sympy.Symbol
        Kernel argument order (parameters, then data).
    sample : callable
        ``sample(rng, n) -> list of (n,) float64 arrays``, one per argument, inside the
        domains.
    """

    name: str
    expr: sp.ImmutableMatrix
    args: tuple[sp.Symbol, ...]
    sample: Callable[[np.random.Generator, int], list[np.ndarray]]


def _four_pl() -> BenchModel:
    b, c, d, e, x, sigma = sp.symbols("b c d e x sigma", positive=True)
    mean = c + (d - c) / (1 + sp.exp(b * (sp.log(x) - sp.log(e))))
    f = sp.Matrix([mean.diff(t) for t in (b, c, d, e)])
    expr = sp.ImmutableMatrix(f * f.T / sigma**2)

    def sample(rng: np.random.Generator, n: int) -> list[np.ndarray]:
        return [
            rng.uniform(0.5, 3, n),
            rng.uniform(0.05, 1, n),
            rng.uniform(2, 4, n),
            rng.uniform(0.5, 2, n),
            rng.uniform(0.01, 10, n),
            rng.uniform(0.5, 2, n),
        ]

    return BenchModel("4pl", expr, (b, c, d, e, x, sigma), sample)


def _gamma() -> BenchModel:
    a, r = sp.symbols("alpha beta", positive=True)
    expr = sp.ImmutableMatrix([[sp.polygamma(1, a), -1 / r], [-1 / r, a / r**2]])

    def sample(rng: np.random.Generator, n: int) -> list[np.ndarray]:
        return [rng.uniform(0.2, 20, n), rng.uniform(0.1, 5, n)]

    return BenchModel("gamma", expr, (a, r), sample)


def _weibull() -> BenchModel:
    k, lam, x = sp.symbols("k lambda x", positive=True)
    logpdf = sp.log(k) - sp.log(lam) + (k - 1) * (sp.log(x) - sp.log(lam)) - (x / lam) ** k
    expr = sp.ImmutableMatrix(-sp.hessian(logpdf, (k, lam)))

    def sample(rng: np.random.Generator, n: int) -> list[np.ndarray]:
        return [rng.uniform(0.5, 4, n), rng.uniform(0.5, 3, n), rng.uniform(0.05, 5, n)]

    return BenchModel("weibull", expr, (k, lam, x), sample)


def _emax() -> BenchModel:
    e0, emax, ed50, h = sp.symbols("e0 emax ed50 h", positive=True)
    s, y = sp.symbols("s y", real=True)
    x = sp.Symbol("x", positive=True)
    mean = e0 + emax * x**h / (ed50**h + x**h)
    loglik = -s / 2 - (y - mean) ** 2 / (2 * sp.exp(s))
    expr = sp.ImmutableMatrix(-sp.hessian(loglik, (e0, emax, ed50, h, s)))

    def sample(rng: np.random.Generator, n: int) -> list[np.ndarray]:
        return [
            rng.uniform(0.1, 2, n),
            rng.uniform(0.5, 3, n),
            rng.uniform(0.5, 5, n),
            rng.uniform(0.5, 4, n),
            rng.uniform(-1, 1, n),
            rng.uniform(0.01, 10, n),
            rng.normal(1.5, 1, n),
        ]

    return BenchModel("emax", expr, (e0, emax, ed50, h, s, x, y), sample)


_BUILDERS: dict[str, Callable[[], BenchModel]] = {"4pl": _four_pl, "gamma": _gamma, "weibull": _weibull, "emax": _emax}


def bench_models(names: tuple[str, ...] | None = None) -> dict[str, BenchModel]:
    """The benchmark models by name (``"4pl"``, ``"gamma"``, ``"weibull"``, ``"emax"``).

    Parameters
    ----------
    names : tuple of str, optional
        Build only these models (default: all four).

    Examples
    --------
    >>> from symfisher.testing.bench_models import bench_models
    >>> {k: m.expr.shape for k, m in bench_models().items()}
    {'4pl': (4, 4), 'gamma': (2, 2), 'weibull': (2, 2), 'emax': (5, 5)}
    """
    chosen = tuple(_BUILDERS) if names is None else names
    unknown = sorted(set(chosen) - set(_BUILDERS))
    if unknown:
        raise InputError(f"unknown benchmark models {unknown}; known: {sorted(_BUILDERS)}")
    return {name: _BUILDERS[name]() for name in chosen}
