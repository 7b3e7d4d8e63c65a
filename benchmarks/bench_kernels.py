"""Benchmark: symfisher kernels vs hand-written Numba, lambdify, symengine-LLVM, JAX.

Run:  python benchmarks/bench_kernels.py [--n 1000000] [--repeat 7] [--write]
      python benchmarks/bench_kernels.py --vectorised [--n 1000000] [--repeat 15]
(with the package installed, or ``PYTHONPATH=.`` from the repository root).

``--vectorised`` (issue 15) times, side by side in one run, the generated kernel with
the vecmath option (the default), the same kernel with libm (``vecmath=False``) and the
hand-written scalar kernel, serial and parallel, on 4PL, sigmoid-Emax and Weibull, and
the memory floor: bytes read and written by the kernel ÷ the bandwidth of a NumPy copy
measured in the same run.

Protocol (issue 3): N random points in float64; outputs preallocated and touched and
passed as ``out=`` wherever the method allows it; ``check=False`` in the timed
comparison (the cost of ``check=True`` on its own line); every method warmed up, then
timed round-robin (so machine noise hits all methods alike); medians of ``--repeat``
runs (and minima, the robust estimate on a busy machine). Ratios are against the
hand-written kernel of the same model, measured in the same run; the hand-written kernel
is timed twice, so the "A/A" row shows how much two identical measurements differ.
symengine and JAX are optional and skipped when absent.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numba
import numpy as np
import sympy as sp
from _threads import threading_line  # noqa: E402

import symfisher as sf
from hand_kernels import bandwidth_floor, run_hand, run_hand_parallel
from symfisher.testing.bench_models import BenchModel, bench_models

Timed = Callable[[], object]


def lambdify_numpy(m: BenchModel, arrays: list[np.ndarray], out: np.ndarray, cse: bool) -> Timed:
    entries = list(m.expr)
    f = sp.lambdify(m.args, entries, modules=["scipy", "numpy"], cse=cse)
    flat = out.reshape(out.shape[0], -1)

    def run() -> None:
        for j, v in enumerate(f(*arrays)):
            flat[:, j] = v

    return run


def symengine_llvm(m: BenchModel, arrays: list[np.ndarray], out: np.ndarray) -> Timed | str:
    try:
        import symengine as se
    except ImportError:
        return "not installed"
    try:
        lam = se.Lambdify(list(m.args), list(m.expr), backend="llvm", cse=True)
    except Exception as exc:  # symengine has no trigamma: report why
        return f"unsupported ({type(exc).__name__}: {str(exc)[:40]})"
    inp = np.ascontiguousarray(np.stack(arrays, axis=1))
    flat = out.reshape(out.shape[0], -1)

    def run() -> None:
        lam(inp, out=flat)

    return run


def jax_vmap(m: BenchModel, arrays: list[np.ndarray]) -> Timed | str:
    try:
        import jax
    except ImportError:
        return "not installed"
    from jax_models import jax_function

    jax.config.update("jax_enable_x64", True)
    fn = jax.jit(jax.vmap(jax_function(m.name)))
    dev = [jax.numpy.asarray(a) for a in arrays]

    def run() -> None:
        fn(*dev).block_until_ready()

    return run


def methods(m: BenchModel, arrays: list[np.ndarray], n: int) -> dict[str, Timed | str]:
    """Every method writes into the same preallocated, touched buffer (no memory pressure
    from one large buffer per method); the hand-written kernel is checked first."""
    p = m.expr.shape[0]
    k = sf.compile(m.expr, args=list(m.args))
    out = np.ones((n, p, p))
    ref = np.ones((n, p, p))
    run_hand(m.name, arrays, ref)
    k(*arrays, out=out, check=False, parallel=False)
    diff = np.linalg.norm(out - ref, axis=(1, 2))
    err = np.max(diff / np.linalg.norm(ref, axis=(1, 2)))
    assert err < 1e-10, f"{m.name}: hand-written kernel disagrees with symfisher ({err:.2g})"
    del ref
    stacked = np.ascontiguousarray(np.stack(arrays))
    flat = out.reshape(n, -1)
    return {
        "hand-written Numba": lambda: run_hand(m.name, arrays, out),
        "symfisher (serial)": lambda: k(*arrays, out=out, check=False, parallel=False),
        "hand-written again (A/A noise check)": lambda: run_hand(m.name, arrays, out),
        "symfisher check=True": lambda: k(*arrays, out=out, check=True, parallel=False),
        "symfisher (parallel)": lambda: k(*arrays, out=out, check=False, parallel=True),
        "lambdify NumPy cse": lambdify_numpy(m, arrays, out, cse=True),
        "lambdify NumPy no cse": lambdify_numpy(m, arrays, out, cse=False),
        "symengine LLVM": symengine_llvm(m, arrays, out),
        "JAX jit(vmap)": jax_vmap(m, arrays),
        "bandwidth floor": lambda: bandwidth_floor(stacked, flat),
    }


def time_all(runs: dict[str, Timed | str], repeat: int) -> dict[str, tuple[float, float] | str]:
    live = {k: v for k, v in runs.items() if callable(v)}
    for f in live.values():
        f()  # warm-up (compilation, page faults)
    samples: dict[str, list[float]] = {k: [] for k in live}
    for _ in range(repeat):
        for name, f in live.items():
            time.sleep(0.02)  # let worker threads of the previous method (XLA, prange) idle
            t = time.perf_counter()
            f()
            samples[name].append(time.perf_counter() - t)
    return {
        k: ((float(np.median(samples[k])), float(np.min(samples[k]))) if k in samples else str(v))
        for k, v in runs.items()
    }


def latency(m: BenchModel) -> dict[str, float]:
    """Code generation, Numba compilation and fresh-process times (cold cache here)."""
    from symfisher.codegen.cache import kernel_key
    from symfisher.codegen.spec import make_spec
    from symfisher.codegen.writer import generate_source

    t0 = time.perf_counter()
    spec = make_spec(m.expr, list(m.args))
    generate_source(spec, kernel_key(spec))
    t1 = time.perf_counter()
    k = sf.compile(m.expr, args=list(m.args))
    t2 = time.perf_counter()
    k(*[a[:4] for a in m.sample(np.random.default_rng(1), 4)], parallel=False)
    t3 = time.perf_counter()
    return {"codegen": t1 - t0, "compile": t3 - t2}


FRESH = """
import time; t0 = time.perf_counter()
import numpy as np, symfisher as sf
from symfisher.testing.bench_models import bench_models
m = bench_models(({name!r},))[{name!r}]
k = sf.compile(m.expr, args=list(m.args))
k(*[np.full(3, 1.0)] * len(m.args), parallel=False)
print(time.perf_counter() - t0)
"""

FRESH_EXPORT = """
import time; t0 = time.perf_counter()
import importlib.util, sys, numpy as np
spec = importlib.util.spec_from_file_location("exported", {path!r})
mod = importlib.util.module_from_spec(spec); sys.modules["exported"] = mod
spec.loader.exec_module(mod)
mod.kernel(*[np.full(3, 1.0)] * {nargs}, parallel=False)
print(time.perf_counter() - t0)
"""


def fresh_process(code: str) -> float:
    """Wall time of a fresh interpreter from start to first result (median of 3)."""
    walls = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, cwd=Path(__file__).parent)
        walls.append(time.perf_counter() - t)
    return float(np.median(walls))


def threading_costs(m: BenchModel) -> str:
    """Serial vs parallel loop at small N: where Numba's parallel start-up pays off."""
    k = sf.compile(m.expr, args=list(m.args))
    p = m.expr.shape[0]
    t = time.perf_counter()
    k(*m.sample(np.random.default_rng(2), 8), parallel=True, check=False)
    first = time.perf_counter() - t
    cells = [f"first parallel call in this process (thread-pool launch) {first * 1e3:.1f} ms"]
    for n in (1_000, 10_000, 100_000):
        arrays = m.sample(np.random.default_rng(3), n)
        out = np.empty((n, p, p))
        res = time_all(
            {
                "s": lambda arrays=arrays, out=out: k(*arrays, out=out, check=False, parallel=False),
                "p": lambda arrays=arrays, out=out: k(*arrays, out=out, check=False, parallel=True),
            },
            15,
        )
        (s_med, _), (p_med, _) = res["s"], res["p"]
        cells.append(f"N={n:,}: serial {s_med * 1e6:.0f} us, parallel {p_med * 1e6:.0f} us")
    return "; ".join(cells)


def fresh_latency(m: BenchModel, export_dir: Path) -> dict[str, float]:
    k = sf.compile(m.expr, args=list(m.args))
    path = sf.export({"kernel": k}, export_dir / f"bench_{m.name}.py")
    subprocess.run(
        [sys.executable, "-c", FRESH_EXPORT.format(path=str(path), nargs=len(m.args))], check=True, capture_output=True
    )  # compiles the export's Numba cache
    return {
        "fresh (warm cache)": fresh_process(FRESH.format(name=m.name)),
        "fresh exported": fresh_process(FRESH_EXPORT.format(path=str(path), nargs=len(m.args))),
    }


def fmt_row(label: str, value: tuple[float, float] | str, ref: tuple[float, float], n: int) -> str:
    if isinstance(value, str):
        return f"| {label} | n/a | n/a | n/a | {value} | |"
    med, low = value
    return (
        f"| {label} | {med * 1e3:.2f} | {med / n * 1e9:.1f} | {low / n * 1e9:.1f} | "
        f"{med / ref[0]:.2f}x | {low / ref[1]:.2f}x |"
    )


def report(
    results: dict[str, dict[str, tuple[float, float] | str]],
    lat: dict[str, dict[str, float]],
    threads: dict[str, str],
    n: int,
    repeat: int,
) -> str:
    lines = [
        f"N = {n:,} points, float64, medians of {repeat} runs after warm-up; "
        f"numba {numba.__version__} ({numba.get_num_threads()} threads), "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs.",
        "",
    ]
    for name, res in results.items():
        ref = res["hand-written Numba"]
        assert not isinstance(ref, str)
        lines += [
            f"### {name}",
            "",
            "| method | median ms | median ns/pt | min ns/pt | vs hand (median) | vs hand (min) |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        lines += [fmt_row(label, v, ref, n) for label, v in res.items()]
        s, q = res["symfisher (serial)"], res["symfisher (parallel)"]
        if not isinstance(s, str) and not isinstance(q, str):
            lines.append(f"| parallel speed-up over serial | | | | {s[0] / q[0]:.2f}x | {s[1] / q[1]:.2f}x |")
        lines += [
            "",
            "latency: " + ", ".join(f"{k} {v:.2f} s" for k, v in lat[name].items()),
            "",
            f"threading: {threads.get(name, 'n/a')}",
            "",
        ]
    return "\n".join(lines)


def vectorised_methods(m: BenchModel, arrays: list[np.ndarray], n: int) -> tuple[dict[str, Timed | str], float]:
    """Hand-written vs generated (vecmath and libm) kernels, serial and parallel.

    Returns the timed methods and the bytes the kernel must move (inputs + outputs).
    """
    p = m.expr.shape[0]
    vec = sf.compile(m.expr, args=list(m.args))
    libm = sf.compile(m.expr, args=list(m.args), vecmath=False)
    out = np.ones((n, p, p))
    ref = np.ones((n, p, p))
    run_hand(m.name, arrays, ref)
    for kern in (vec, libm):
        kern(*arrays, out=out, check=False, parallel=False)
        err = np.max(np.linalg.norm(out - ref, axis=(1, 2)) / np.linalg.norm(ref, axis=(1, 2)))
        assert err < 1e-10, f"{m.name}: hand-written kernel disagrees with symfisher ({err:.2g})"
    del ref
    moved = float(out.nbytes + sum(a.nbytes for a in arrays))
    src = np.ones(int(moved) // 16)  # a NumPy copy moving the same number of bytes
    dst = np.ones_like(src)
    return {
        "hand-written Numba (serial)": lambda: run_hand(m.name, arrays, out),
        "symfisher vecmath (serial)": lambda: vec(*arrays, out=out, check=False, parallel=False),
        "symfisher libm (serial)": lambda: libm(*arrays, out=out, check=False, parallel=False),
        "hand-written again (A/A)": lambda: run_hand(m.name, arrays, out),
        "hand-written Numba (parallel)": lambda: run_hand_parallel(m.name, arrays, out),
        "symfisher vecmath (parallel)": lambda: vec(*arrays, out=out, check=False, parallel=True),
        "symfisher libm (parallel)": lambda: libm(*arrays, out=out, check=False, parallel=True),
        "NumPy copy of the same bytes": lambda: np.copyto(dst, src),
    }, moved


def vectorised_report(name: str, res: dict[str, tuple[float, float] | str], moved: float, n: int) -> list[str]:
    """One model's table: times, ratios hand/generated, and the memory floor."""
    lines = [
        f"### {name}",
        "",
        "| method | median ms | min ms | median ns/pt | hand ÷ this (median) | hand ÷ this (min) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, value in res.items():
        assert not isinstance(value, str)
        mode = "parallel" if "parallel" in label else "serial"
        hand = res[f"hand-written Numba ({mode})"]
        assert not isinstance(hand, str)
        lines.append(
            f"| {label} | {value[0] * 1e3:.2f} | {value[1] * 1e3:.2f} | "
            f"{value[0] / n * 1e9:.1f} | {hand[0] / value[0]:.2f}x | "
            f"{hand[1] / value[1]:.2f}x |"
        )
    copy = res["NumPy copy of the same bytes"]
    assert not isinstance(copy, str)
    bandwidth = moved / copy[1]  # copy reads and writes moved/2 bytes each: `moved` in all
    vec = res["symfisher vecmath (serial)"]
    assert not isinstance(vec, str)
    lines += [
        "",
        f"memory floor: {moved / 1e6:.0f} MB read + written per call, NumPy-copy "
        f"bandwidth {bandwidth / 1e9:.1f} GB/s (best run) -> floor {copy[1] * 1e3:.2f} ms"
        f"; vecmath serial (min) is {vec[1] / copy[1]:.1f}x the floor",
        "",
    ]
    return lines


def run_vectorised(models: list[str], n: int, repeat: int) -> str:
    """The issue-15 table for ``models`` (measured round-robin in one run)."""
    load = os.getloadavg()
    lines = [
        f"N = {n:,} points, float64, {repeat} round-robin runs after warm-up; numba "
        f"{numba.__version__} ({numba.get_num_threads()} threads), "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; load "
        f"average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.",
        "",
    ]
    for name in models:
        m = bench_models((name,))[name]
        arrays = m.sample(np.random.default_rng(0), n)
        runs, moved = vectorised_methods(m, arrays, n)
        lines += vectorised_report(name, time_all(runs, repeat), moved, n)
        print("\n".join(lines[-14:]), flush=True)
    load = os.getloadavg()
    lines.append(f"load average at end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--models", default="4pl,gamma,weibull,emax")
    ap.add_argument("--write", action="store_true", help="write benchmarks/results/codegen.md")
    ap.add_argument(
        "--vectorised", action="store_true", help="issue 15: vecmath vs libm vs hand-written on 4pl, emax, weibull"
    )
    args = ap.parse_args()
    if args.vectorised:
        text = run_vectorised(["4pl", "emax", "weibull"], args.n, args.repeat)
        out = Path(__file__).parent / "results" / "vectorised.md"
        out.parent.mkdir(exist_ok=True)
        out.write_text("# Vectorised kernels (bench_kernels.py --vectorised)\n\n" + text + "\n")
        return
    # a fresh cache: code generation and Numba compilation are measured cold
    os.environ["SYMFISHER_CACHE"] = tempfile.mkdtemp(prefix="sf-bench-cache-")
    results, lat, threads = {}, {}, {}
    export_dir = Path(tempfile.mkdtemp(prefix="sf-bench-export-"))
    for name in args.models.split(","):
        t0 = time.perf_counter()
        m = bench_models((name,))[name]
        derivation = time.perf_counter() - t0
        arrays = m.sample(np.random.default_rng(0), args.n)
        lat[name] = {"SymPy derivation": derivation, **latency(m)}
        results[name] = time_all(methods(m, arrays, args.n), args.repeat)
        lat[name].update(fresh_latency(m, export_dir))
        threads[name] = threading_costs(m)
        print(report({name: results[name]}, lat, threads, args.n, args.repeat), flush=True)
    text = report(results, lat, threads, args.n, args.repeat)
    if args.write:
        out = Path(__file__).parent / "results" / "codegen.md"
        out.parent.mkdir(exist_ok=True)
        out.write_text(
            "# Code generation benchmark (benchmarks/bench_kernels.py)\n\n" + text + "\n\n" + threading_line() + "\n"
        )
    print(threading_line())


if __name__ == "__main__":
    main()
