"""Benchmark: optimal designs, symfisher vs a straightforward NumPy/SciPy implementation.

The baseline is what most tools do: finite-difference Jacobians of the mean function
and the multiplicative algorithm on the grid, stopped at a certificate gap of 1e-6 or
at an iteration cap. symfisher uses compiled exact f(x) and ∂f/∂x, continuous
refinement and a certificate over the continuous space. Medians of 5 runs after a
warm-up (kernels compiled). Cases: sigmoid-Emax D-optimal on [0, 150]; Bayesian
D-optimal Emax with 1,000 prior draws of ED50 on a 2,000-point grid; full quadratic
two-factor model on a 200 × 200 grid. Run from the repository root:
``python benchmarks/bench_design.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from _threads import threading_line  # noqa: E402

import symfisher as sf

SIG = np.array([0.0, 1.0, 25.0, 2.0])
RNG = np.random.default_rng(1)
DRAWS = np.column_stack([np.zeros(1000), np.ones(1000), RNG.lognormal(np.log(25.0), 0.5, 1000)])


def fd_jacobian(
    mean: Callable[[np.ndarray, np.ndarray], np.ndarray], X: np.ndarray, th: np.ndarray, h: float = 1e-6
) -> np.ndarray:
    """Central finite differences of ``mean(X, θ)`` in θ; X (N, q) → (N, p)."""
    cols = []
    for j in range(th.size):
        e = np.zeros_like(th)
        e[j] = h * max(1.0, abs(th[j]))
        cols.append((mean(X, th + e) - mean(X, th - e)) / (2 * e[j]))
    return np.stack(cols, -1)


def multiplicative(F: np.ndarray, alphas: np.ndarray, max_iter: int) -> tuple[float, int]:
    """Bayesian-D multiplicative algorithm on features F (S, N, p); returns gap and iterations."""
    S, N, p = F.shape
    w = np.full(N, 1.0 / N)
    for it in range(1, max_iter + 1):  # noqa: B007 (the count is returned after the loop)
        M = np.einsum("snp,n,snq->spq", F, w, F, optimize=True)
        d = np.einsum("snp,snp->n", np.linalg.solve(M, np.swapaxes(F, 1, 2)).swapaxes(1, 2) * alphas[:, None, None], F)
        if d.max() <= p * (1 + 1e-6):
            break
        w *= d / p
    return float(d.max() / p - 1.0), it


def sig_mean(X: np.ndarray, th: np.ndarray) -> np.ndarray:
    x = X[:, 0]
    return th[0] + th[1] * x ** th[3] / (th[2] ** th[3] + x ** th[3])


def emax_mean(X: np.ndarray, th: np.ndarray) -> np.ndarray:
    return th[0] + th[1] * X[:, 0] / (th[2] + X[:, 0])


def quad2_mean(X: np.ndarray, th: np.ndarray) -> np.ndarray:
    x1, x2 = X[:, 0], X[:, 1]
    return th[0] + th[1] * x1 + th[2] * x2 + th[3] * x1 * x2 + th[4] * x1**2 + th[5] * x2**2


def base_sigmoid() -> tuple[float, int]:
    X = np.linspace(0, 150, 1001)[:, None]
    return multiplicative(fd_jacobian(sig_mean, X, SIG)[None], np.ones(1), 20000)


def base_bayes() -> tuple[float, int]:
    X = np.linspace(0, 150, 2000)[:, None]
    F = np.stack([fd_jacobian(emax_mean, X, th) for th in DRAWS])
    return multiplicative(F, np.full(1000, 1e-3), 30)


def base_two_factor() -> tuple[float, int]:
    g = np.linspace(-1, 1, 200)
    X = np.column_stack([a.ravel() for a in np.meshgrid(g, g, indexing="ij")])
    return multiplicative(fd_jacobian(quad2_mean, X, np.zeros(6))[None], np.ones(1), 5000)


def ours_sigmoid() -> tuple[float, int]:
    m = sf.model("sigmoid_emax")
    d = sf.optimal_design(m, theta=dict(zip(m.params, SIG)), space=(0, 150))
    return d.max_sensitivity / d.sensitivity_bound - 1.0, d.points.size


def ours_bayes() -> tuple[float, int]:
    d = sf.optimal_design(sf.model("emax"), prior=(DRAWS, None), space=(0, 150), grid=2000)
    return d.max_sensitivity / d.sensitivity_bound - 1.0, d.points.size


def ours_two_factor() -> tuple[float, int]:
    m = sf.model("quadratic_2factor")
    d = sf.optimal_design(m, theta=dict(zip(m.params, np.zeros(6))), space=[(-1, 1), (-1, 1)], grid=200)
    return d.max_sensitivity / d.sensitivity_bound - 1.0, len(d.points)


def timed(fn: Callable[[], tuple[float, int]], runs: int = 5) -> tuple[float, tuple[float, int]]:
    out = fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out


def main() -> None:
    print("| case | baseline: FD + multiplicative | gap (iters) | symfisher | gap (support pts) | time ratio |")
    print("|---|---|---|---|---|---|")
    for name, base, ours in [
        ("sigmoid Emax D, [0,150]", base_sigmoid, ours_sigmoid),
        ("Bayesian D Emax, 1000 draws, 2000 grid", base_bayes, ours_bayes),
        ("two-factor quadratic D, 200x200 grid", base_two_factor, ours_two_factor),
    ]:
        tb, (gb, ib) = timed(base)
        to, (go, ko) = timed(ours)
        print(f"| {name} | {tb:.2f} s | {gb:.1e} ({ib}) | {to:.2f} s | {go:.1e} ({ko}) | {tb / to:.2f}x |", flush=True)
    print("\n" + threading_line())


if __name__ == "__main__":
    main()
