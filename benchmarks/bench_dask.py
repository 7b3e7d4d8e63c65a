"""Benchmark: scale-out on Dask (issue 14) against the single-machine path, same run.

Two workloads, each timed on the local path and on a ``distributed.LocalCluster`` with
1 and 2 worker processes (1 thread each), medians of ``--repeats`` runs after a warm-up
that compiles every kernel in every process:

* kernel evaluation over N = 10^7 points: the trigamma Fisher matrix of the gamma
  family, ``(N, 2, 2)``, reduced to its mean on the workers (the local path: one call
  with the automatic serial/parallel choice, then ``mean``); inputs made where they are
  used (``np.linspace`` / ``da.linspace``), chunks of 10^6;
* a Bayesian D-optimal design for the Emax model over S prior draws
  (``sf.optimal_design(..., prior=draws[, client=client])``).

Overhead = time at 1 worker / local time (issue target <= 1.2x); speed-up = local / 2 workers.
The machine's load average is printed: other sessions share its 2 cores.

Run: ``PYTHONPATH=. python benchmarks/bench_dask.py [--draws 1000] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import dask.array as da
import numpy as np
import sympy as sp
from distributed import Client, LocalCluster

import symfisher as sf

N_POINTS = 10_000_000
CHUNK = 1_000_000


def timed(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` runs after one warm-up."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def gamma_kernel() -> sf.Kernel:
    a, b = sp.symbols("a b", positive=True)
    return sf.compile(sp.Matrix([[sp.polygamma(1, a), 1 / b], [1 / b, a / b**2]]), args=[a, b])


def emax_problem(draws: int) -> tuple[sf.Regression, np.ndarray]:
    x = sp.Symbol("x", nonnegative=True)
    e0, emax = sp.symbols("e0 emax", real=True)
    ed50 = sp.Symbol("ed50", positive=True)
    model = sf.Regression(e0 + emax * x / (ed50 + x), x, [e0, emax, ed50], sigma=1)
    rng = np.random.default_rng(0)
    prior = np.column_stack([rng.normal(0, 1, draws), rng.normal(1, 0.1, draws), rng.lognormal(np.log(25), 0.8, draws)])
    return model, prior


def kernel_fraction(model: sf.Regression, prior: np.ndarray) -> float:
    """Share of the local design time spent evaluating the per-draw information (what Dask
    distributes; the solver's reductions over draws stay on the client: Amdahl's bound)."""
    from symfisher.design.optimal import build_problem
    from symfisher.models.kernels import local_draws
    from symfisher.numeric.design.api import solve
    from symfisher.numeric.design.optimize import Settings

    spent = [0.0]

    def on_draws(th: np.ndarray):  # noqa: ANN202 - the DrawCall of point_info
        inner = local_draws(th)

        def call(kernel: sf.Kernel, X: np.ndarray) -> np.ndarray:
            t0 = time.perf_counter()
            out = inner(kernel, X)
            spent[0] += time.perf_counter() - t0
            return out

        return call

    t0 = time.perf_counter()
    solve(build_problem(model, None, space=(0, 150), prior=prior, on_draws=on_draws), Settings())
    return spent[0] / (time.perf_counter() - t0)


def kernel_local(k: sf.Kernel) -> np.ndarray:
    return k(np.linspace(1.0, 5.0, N_POINTS), 2.0).mean(axis=0)


def kernel_dask(k: sf.Kernel, client: Client) -> np.ndarray:
    x = da.linspace(1.0, 5.0, N_POINTS, chunks=CHUNK)
    return client.compute(sf.dask.evaluate(k, x, 2.0).mean(axis=0)).result()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    k = gamma_kernel()
    model, prior = emax_problem(args.draws)
    rows: dict[str, dict[str, float]] = {"kernel": {}, "design": {}}
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    rows["kernel"]["local"] = timed(lambda: kernel_local(k), args.repeats)
    rows["design"]["local"] = timed(lambda: sf.optimal_design(model, space=(0, 150), prior=prior), args.repeats)
    reference = sf.optimal_design(model, space=(0, 150), prior=prior)
    print(f"design: share of local time in the per-draw kernels: {kernel_fraction(model, prior):.1%}")
    for workers in (1, 2):
        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            assert np.allclose(kernel_dask(k, client), kernel_local(k), rtol=1e-12)
            rows["kernel"][f"{workers}w"] = timed(lambda: kernel_dask(k, client), args.repeats)
            d = sf.optimal_design(model, space=(0, 150), prior=prior, client=client)
            assert np.allclose(d.points, reference.points, atol=1e-12)
            rows["design"][f"{workers}w"] = timed(
                lambda: sf.optimal_design(model, space=(0, 150), prior=prior, client=client), args.repeats
            )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print("\n| workload | local (s) | 1 worker (s) | 2 workers (s) | overhead 1w/local | speed-up local/2w |")
    print("|---|---|---|---|---|---|")
    names = {
        "kernel": f"gamma Fisher kernel, N = 10^7, mean on workers (chunks {CHUNK:.0e})",
        "design": f"Bayesian D-optimal Emax design, S = {args.draws} draws",
    }
    for key, r in rows.items():
        print(
            f"| {names[key]} | {r['local']:.3f} | {r['1w']:.3f} | {r['2w']:.3f} | "
            f"{r['1w'] / r['local']:.2f}x | {r['local'] / r['2w']:.2f}x |"
        )


if __name__ == "__main__":
    main()
