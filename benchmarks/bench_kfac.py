"""Benchmark: exact K-FAC error of a 512 x 512 layer, N = 10^4 (issue 5 target: <= 5 s, <= 2 GB).

Side by side in one run (medians of --repeats runs after one warm-up):

* ``plain``: two full N x N Gram matrices in NumPy, ``sum(((a a^T) * (g g^T))^2)``;
* ``blocked numpy``: upper-triangle Gram blocks, in-place product + ``vdot``;
* ``symfisher``: upper-triangle Gram blocks (``syrk`` on the diagonal) + a serial fused
  Numba reduction (no thread pool of its own)
  (:func:`symfisher.numeric.kfac.error.exact_norm_sq`), and the whole relative error
  (``kron_error`` without / with nearest-Kronecker and EKFAC).

Then how the time of ``||F||^2`` grows with k (factor inputs ``B`` (N, d_out, k)), and
the sampled estimate. Peak memory is measured with ``tracemalloc`` (NumPy reports its
allocations there) in a separate single run per method.

Run: ``python benchmarks/bench_kfac.py [--quick] [--out benchmarks/results/kfac.md]``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
from _threads import threading_line, user_gemm_rows

from symfisher.kfac import kron_error
from symfisher.numeric.kfac.error import exact_norm_sq, plain_numpy_norm_sq


def blocked_numpy_norm_sq(a: np.ndarray, g: np.ndarray, block: int = 2048) -> float:
    """Upper-triangle blocked Gram sum without Numba (in-place product, BLAS dot)."""
    n, total = a.shape[0], 0.0
    for i0 in range(0, n, block):
        for j0 in range(i0, n, block):
            ca = a[i0 : i0 + block] @ a[j0 : j0 + block].T
            ca *= g[i0 : i0 + block] @ g[j0 : j0 + block].T
            part = float(np.vdot(ca, ca))
            total += part if i0 == j0 else 2.0 * part
    return total


def timed(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` runs after one warm-up."""
    return timed_cpu(fn, repeats)[0]


def timed_cpu(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall and CPU (all threads) time of ``repeats`` runs after one warm-up.

    CPU time is far less sensitive than wall time to other jobs sharing the cores.
    """
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def peak_mb(fn: Callable[[], object]) -> float:
    """Peak traced allocation of one run, in MB."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def target_table(n: int, d: int, repeats: int) -> list[str]:
    rng = np.random.default_rng(0)
    a = np.tanh(rng.standard_normal((n, d)))
    g = rng.standard_normal((n, d))
    B = g[:, :, None]
    rows = {
        "plain NumPy, two full N x N Grams (||F||^2)": lambda: plain_numpy_norm_sq(a, g),
        "blocked NumPy (||F||^2)": lambda: blocked_numpy_norm_sq(a, g),
        "symfisher blocked + serial Numba (||F||^2)": lambda: exact_norm_sq(a, B),
        "symfisher kron_error, K-FAC only": lambda: kron_error(a, g, nearest=False, ekfac=False),
        "symfisher kron_error, + nearest + EKFAC": lambda: kron_error(a, g),
    }
    times = {name: timed_cpu(fn, repeats) for name, fn in rows.items()}
    base = times["plain NumPy, two full N x N Grams (||F||^2)"]
    out = [
        f"### k = 1, N = {n}, d_in = d_out = {d} (median of {repeats} after warm-up)",
        "",
        "| method | wall s | vs plain | CPU s (2 threads) | vs plain | peak MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, fn in rows.items():
        (w, c), (bw, bc) = times[name], base
        out.append(f"| {name} | {w:.2f} | {bw / w:.2f}x | {c:.2f} | {bc / c:.2f}x | {peak_mb(fn):.0f} |")
    ref = plain_numpy_norm_sq(a, g)
    out += ["", f"relative difference of ||F||^2, symfisher vs plain: {abs(exact_norm_sq(a, B) / ref - 1):.1e}"]
    return out


def k_table(n: int, d: int, ks: list[int], repeats: int) -> list[str]:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, d))
    out = [
        f"### growth with k: N = {n}, d_in = d_out = {d}, ||F||^2 only",
        "",
        "| k | wall s | CPU s | CPU / CPU(k=1) | k^2 |",
        "|---:|---:|---:|---:|---:|",
    ]
    c1 = None
    for k in ks:
        B = rng.standard_normal((n, d, k))
        w, c = timed_cpu(lambda B=B: exact_norm_sq(a, B), repeats)
        c1 = c1 or c
        out.append(f"| {k} | {w:.3f} | {c:.3f} | {c / c1:.1f} | {k * k} |")
    return out


def sampled_table(n: int, d: int, pairs: list[int]) -> list[str]:
    rng = np.random.default_rng(2)
    a = np.tanh(rng.standard_normal((n, d)) + 0.5)
    g = rng.standard_normal((n, d)) * (1 + a[:, :1] ** 2)
    exact = kron_error(a, g, nearest=False, ekfac=False).relative_frobenius
    out = [
        f"### sampled pairs, N = {n}, d = {d} (exact relative error {exact:.5f})",
        "",
        "| pairs | seconds | estimate | 95% interval |",
        "|---:|---:|---:|---|",
    ]
    for m in pairs:
        t0 = time.perf_counter()
        rep = kron_error(a, g, method="sampled", num_pairs=m, nearest=False, ekfac=False)
        lo, hi = rep.confidence_interval
        out.append(f"| {m} | {time.perf_counter() - t0:.2f} | {rep.relative_frobenius:.5f} | [{lo:.5f}, {hi:.5f}] |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="K-FAC error benchmark")
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", help="also write the Markdown tables to this file")
    args = parser.parse_args()
    n, d = (2000, 128) if args.quick else (10_000, 512)
    lines = [
        "# K-FAC error benchmark",
        "",
        f"Machine: {platform.machine()}, {platform.python_version()}, NumPy {np.__version__}; "
        "2 cores shared with other jobs, so times are noisy.",
        "",
    ]
    lines += target_table(n, d, args.repeats) + [""]
    lines += k_table(n // 5, d // 2, [1, 2, 4, 8], args.repeats) + [""]
    lines += sampled_table(n, d // 4, [10_000, 100_000]) + [""]
    lines += user_gemm_rows(n, d) + ["", threading_line()]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
