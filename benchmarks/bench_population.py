"""Population designs (issue 13): warfarin FIM, sampling-time optimisation, ED over 1000 prior draws.

Usage::

    PYTHONPATH=. python benchmarks/bench_population.py [--reps 200]

Side by side in the same run:

* symfisher: the FO FIM from the one compiled kernel of the model (exact symbolic derivatives);
* baseline: the same FIM computed the way PopED does it — a NumPy model function, the
  linearisation Z = ∂f/∂η by central differences (step 1e-5, PopED's ``hlf``), the mean
  derivative by central differences in β (``hm1``), and ∂V/∂β by central differences of V
  (``hm2``), V re-linearised numerically at every perturbed β.

Rows: FIM warm (median of ``reps`` calls after warm-up; the public ``population_fim`` call with
design parsing and checks, and the evaluator's hot path used by the optimiser), agreement of
the two routes, optimisation of the 8 sampling times (D, full FIM, additive + proportional
error as in PopED's ex.2.b; median of 5), the same optimisation driven by the baseline FIM
(SciPy SLSQP with its own finite-difference gradient), and an ELD optimisation over 1000 prior
draws (10 % log-normal uncertainty on CL, V, KA).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from _threads import threading_line
from scipy.optimize import minimize

import symfisher as sf
from symfisher.population.design import layout
from symfisher.population.fim import design_of, evaluator, theta_matrix
from symfisher.testing import warfarin as warfarin_oracle

STRUCT = warfarin_oracle.STRUCTURE
IND = warfarin_oracle.INDIVIDUAL
THETA = {**warfarin_oracle.THETA, "sigma2_add": warfarin_oracle.SIGMA2_ADD}
TIMES = warfarin_oracle.TIMES
DESIGN = dict(warfarin_oracle.DESIGN)


# ------------------------------------------------------------------ PopED-style finite-difference baseline
def _f(beta: np.ndarray, eta: np.ndarray, t: np.ndarray) -> np.ndarray:
    cl, v, ka = (
        beta[0] * np.exp(eta[0]),
        beta[1] * np.exp(eta[1]),
        beta[2] * np.exp(eta[2]),
    )
    return 70.0 * ka / (v * (ka - cl / v)) * (np.exp(-cl / v * t) - np.exp(-ka * t))


def _v(beta: np.ndarray, om: np.ndarray, sig: np.ndarray, t: np.ndarray, h: float = 1e-5) -> np.ndarray:
    z = np.stack(
        [(_f(beta, h * e, t) - _f(beta, -h * e, t)) / (2 * h) for e in np.eye(3)],
        axis=1,
    )
    f0 = _f(beta, np.zeros(3), t)
    return z @ np.diag(om) @ z.T + np.diag(sig[0] + sig[1] * f0**2)


def fd_fim(th: np.ndarray, t: np.ndarray, n: float = 32.0, h: float = 1e-5) -> np.ndarray:
    """FO full FIM of (CL, V, KA, ω²×3, σ²_add, σ²_prop) by PopED-style central differences."""
    beta, om, sig = th[:3], th[3:6], th[6:8]
    v0 = _v(beta, om, sig, t)
    vi = np.linalg.inv(v0)
    dmu, dv = [], []
    for a in range(3):
        e = np.zeros(3)
        e[a] = h * beta[a]
        dmu.append((_f(beta + e, np.zeros(3), t) - _f(beta - e, np.zeros(3), t)) / (2 * e[a]))
        dv.append((_v(beta + e, om, sig, t) - _v(beta - e, om, sig, t)) / (2 * e[a]))
    for a in range(3):
        e = np.zeros(3)
        e[a] = h
        dmu.append(np.zeros_like(t))
        dv.append((_v(beta, om + e, sig, t) - _v(beta, om - e, sig, t)) / (2 * h))
    for a in range(2):
        e = np.zeros(2)
        e[a] = h
        dmu.append(np.zeros_like(t))
        dv.append((_v(beta, om, sig + e, t) - _v(beta, om, sig - e, t)) / (2 * h))
    p = len(dmu)
    w = [vi @ d for d in dv]
    return n * np.array([[dmu[a] @ vi @ dmu[b] + 0.5 * np.sum(w[a] * w[b].T) for b in range(p)] for a in range(p)])


# --------------------------------------------------------------------------------------------- timing
def median_time(fn: Callable[[], Any], reps: int) -> float:
    fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def baseline_optimise(t0: np.ndarray) -> tuple[float, float]:
    """SLSQP on -log det of the FD FIM, SciPy's own FD gradient; returns (seconds, ln det)."""
    th = np.array([0.15, 8, 1, 0.07, 0.02, 0.6, 0.25, 0.01])
    cons = [{"type": "ineq", "fun": (lambda x, i=i: x[i + 1] - x[i] - 0.25)} for i in range(7)]

    def obj(x: np.ndarray) -> float:
        sign, ld = np.linalg.slogdet(fd_fim(th, np.sort(x)))
        return -ld if sign > 0 else 1e10

    start = time.perf_counter()
    res = minimize(
        obj,
        t0,
        method="SLSQP",
        bounds=[(0, 120)] * 8,
        constraints=cons,
        options={"maxiter": 200, "ftol": 1e-12},
    )
    return time.perf_counter() - start, -float(res.fun)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=200)
    args = ap.parse_args()
    m = sf.PopulationModel(STRUCT, IND, error="combined", covariates=["DOSE"], fixed=["F"])
    ev = evaluator(m, "full")
    lay = layout(design_of(m, DESIGN), ["DOSE"])
    mat = theta_matrix(m, THETA)
    t = np.array(TIMES, float)
    th = np.array([0.15, 8, 1, 0.07, 0.02, 0.6, 0.25, 0.01])
    rows = []
    t_api = median_time(lambda: sf.population_fim(m, DESIGN, THETA), args.reps)
    t_hot = median_time(lambda: ev.information(lay, mat), args.reps)
    t_fd = median_time(lambda: fd_fim(th, t), max(args.reps // 4, 10))
    ours, ref = ev.information(lay, mat)[0], fd_fim(th, t)
    scale = np.sqrt(np.outer(np.diag(ours), np.diag(ours)))
    agree = float(np.max(np.abs(ours - ref) / scale))
    rows.append(("FIM warm, population_fim() (8 samples, P = 8)", t_api, t_fd))
    rows.append(("FIM warm, evaluator hot path", t_hot, t_fd))

    def opt(starts: int) -> Any:
        return sf.optimal_population_design(m, DESIGN, THETA, windows=(0, 120), min_spacing=0.25, starts=starts)

    opt(0)
    runs = [opt(0) for _ in range(5)]
    t_opt = statistics.median(r.seconds for r in runs)
    t_opt4 = statistics.median(opt(4).seconds for _ in range(3))
    t_base, ld_base = baseline_optimise(t)
    rows.append(("optimise 8 times, 1 start (SLSQP)", t_opt, t_base))
    rows.append(("optimise 8 times, 5 starts", t_opt4, float("nan")))
    rng = np.random.default_rng(1)
    prior = {k: np.full(1000, v) for k, v in THETA.items()}
    for k in ("CL", "V", "KA"):
        prior[k] = THETA[k] * np.exp(rng.normal(0, 0.1, 1000))
    ed = sf.optimal_population_design(
        m,
        DESIGN,
        THETA,
        criterion="ELD",
        prior=prior,
        windows=(0, 120),
        min_spacing=0.25,
    )
    rows.append(("ELD optimisation, 1000 prior draws", ed.seconds, float("nan")))
    print(f"load average {os.getloadavg()[0]:.1f}; medians (see the docstring)")
    print(f"| {'task':<48} | {'symfisher':>12} | {'FD baseline':>12} | {'ratio':>7} |")
    print(f"|{'-' * 50}|{'-' * 14}|{'-' * 14}|{'-' * 9}|")
    for name, a, b in rows:
        ratio = b / a if np.isfinite(b) else float("nan")
        fb = f"{b * 1e3:9.3f} ms" if np.isfinite(b) else f"{'—':>12}"
        print(f"| {name:<48} | {a * 1e3:9.3f} ms | {fb} | {ratio:7.1f} |")
    print(f"FD baseline vs exact FIM: max relative difference {agree:.2e}")
    print(
        f"ln det after optimisation: symfisher {runs[0].fim.criterion('lnD'):.6f} "
        f"(converged: {runs[0].converged}), baseline {ld_base:.6f}; start {runs[0].initial.criterion('lnD'):.6f}"
    )
    print(
        f"D-efficiency of the published schedule {runs[0].efficiency:.4f}; subjects ratio {runs[0].subjects_ratio:.3f}"
    )
    print(f"ELD: {ed.evaluations} information matrices in {ed.seconds:.2f} s; converged {ed.converged}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}; {threading_line()}")


if __name__ == "__main__":
    main()
