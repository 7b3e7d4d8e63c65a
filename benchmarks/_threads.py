"""Benchmark helpers: which thread pools a run used, and whether symfisher slows user BLAS.

``threading_line()`` is printed under every benchmark table: Numba's threading layer and
thread count and every BLAS / OpenMP pool loaded in the process (via ``threadpoolctl``
when it is installed). ``user_gemm_rows()`` times a user's NumPy GEMM (``a @ a.T`` into
a preallocated (n, n) array, so page faults of a fresh 800 MB result do not blur it) in a
*fresh* interpreter: before ``import symfisher``, after importing the K-FAC code, right
after a ``kron_error`` call and right after a parallel generated-kernel call. A ratio
above ~1.2 is a regression: symfisher's workers compete with the user's BLAS threads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

_PROBE = r"""
import json, sys, time
import numpy as np
n, d = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
a = rng.standard_normal((n, d)); c = np.empty((n, n))
np.matmul(a, a.T, out=c)
def gemm():
    ts = []
    for _ in range(3):
        t0 = time.perf_counter(); np.matmul(a, a.T, out=c); ts.append(time.perf_counter() - t0)
    return sorted(ts)[1]
out = {"before import symfisher": gemm()}
import symfisher as sf
from symfisher.numeric.kfac.compute import kron_error
out["after importing the K-FAC code"] = gemm()
x = rng.standard_normal((2000, 64))
kron_error(x, rng.standard_normal((2000, 64)), nearest=True, ekfac=True)
out["right after kron_error (gram, nearest, EKFAC)"] = gemm()
import numba
@numba.njit(parallel=True)
def _par(x):
    s = 0.0
    for i in numba.prange(x.shape[0]):
        s += x[i, 0] * x[i, 1]
    return s
_par(c[:200_000 // n + 1]); _par(a)
out["right after a Numba parallel loop (layer " + numba.threading_layer() + ")"] = gemm()
print(json.dumps(out))
"""


def threading_line() -> str:
    """One line: Numba threading layer + threads, and the loaded BLAS / OpenMP pools."""
    import numba
    import numpy as np

    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel region has run yet
        layer = f"{numba.config.THREADING_LAYER} (not launched yet)"
    pools = "threadpoolctl not installed"
    try:
        from threadpoolctl import threadpool_info

        pools = "; ".join(
            f"{p['internal_api']} {p.get('version') or ''} {p.get('threading_layer') or ''} "
            f"x{p['num_threads']} ({Path(p['filepath']).name})".replace("  ", " ")
            for p in threadpool_info()
        )
    except ImportError:
        pass
    return (
        f"threading layer + BLAS: numba {numba.__version__} layer {layer}, "
        f"{numba.get_num_threads()} threads; NumPy {np.__version__}; pools: {pools}; "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )


def user_gemm_rows(n: int = 10_000, d: int = 512) -> list[str]:
    """Markdown rows: the user's GEMM time at each stage and the ratio to 'before'."""
    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": f"{root}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    }
    res = subprocess.run(
        [sys.executable, "-c", _PROBE, str(n), str(d)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    times = json.loads(res.stdout.strip().splitlines()[-1])
    base = times["before import symfisher"]
    title = (
        f"### user NumPy GEMM ({n} x {d}) @ ({d} x {n}) in a fresh process (median of 3; regression if a ratio > 1.2)"
    )
    rows = [title, "", "| stage | seconds | vs before |", "|---|---:|---:|"]
    rows += [f"| {k} | {v:.3f} | {v / base:.2f}x |" for k, v in times.items()]
    return rows
