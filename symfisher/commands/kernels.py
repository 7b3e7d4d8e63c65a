"""Tour step (order 20): compile a gamma Fisher matrix and time a million points."""

from __future__ import annotations

from typing import TextIO

from symfisher.commands.registry import TourStep


def _tour(out: TextIO) -> None:
    import time

    import numpy as np

    import symfisher as sf
    from symfisher.testing.bench_models import bench_models

    model = bench_models()["gamma"]
    out.write(f"  Gamma Fisher matrix (shape alpha, rate beta):\n    {model.expr.tolist()}\n")
    t0 = time.perf_counter()
    k = sf.compile(model.expr, args=list(model.args))
    t1 = time.perf_counter()
    n = 1_000_000
    a, b = model.sample(np.random.default_rng(0), n)
    buf = np.empty((n, 2, 2))
    k(a[:10], b[:10])  # first call: Numba compiles (or loads its cache)
    t2 = time.perf_counter()
    runs = []
    for _ in range(3):
        s = time.perf_counter()
        k(a, b, out=buf, check=False)
        runs.append(time.perf_counter() - s)
    out.write(f"  kernel file: {k.path.name} (codegen {t1 - t0:.2f} s, first call {t2 - t1:.2f} s)\n")
    out.write(
        f"  1e6 points -> out (1000000, 2, 2): {min(runs) * 1e3:.1f} ms "
        f"({min(runs) / n * 1e9:.0f} ns/point); "
        f"I[0,0] at alpha={a[0]:.3f}: {buf[0, 0, 0]:.6f}\n"
    )


TOUR = TourStep(order=20, title="Code generation: a compiled Fisher kernel", run=_tour)
