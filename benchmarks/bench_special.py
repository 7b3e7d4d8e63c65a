"""ns/call of symfisher.numeric.special against scipy.special, measured side by side.

Run ``python benchmarks/bench_special.py [N] [--markdown PATH]`` (package installed, or
``PYTHONPATH=.`` from the repository root). Each symfisher function
is called point by point inside an ``@njit`` loop (as generated kernels do); scipy's
ufuncs write into preallocated outputs. Figures are medians of 7 runs after a warm-up.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numba
import numpy as np
import scipy
import scipy.special as sc
from _threads import threading_line  # noqa: E402

from symfisher.numeric import special as S

REPEATS = 7


def _loop(f: Callable[[float], float]) -> Callable[[np.ndarray, np.ndarray], None]:
    @numba.njit(cache=False)
    def run(x: np.ndarray, out: np.ndarray) -> None:
        for i in range(x.shape[0]):
            out[i] = f(x[i])

    return run


@numba.njit(cache=False)
def _ratio0(x: float) -> float:
    return S.besseli_ratio(0, x)


@numba.njit(cache=False)
def _ratio2(x: float) -> float:
    return S.besseli_ratio(2, x)


@numba.njit(cache=False)
def _polygamma2(x: float) -> float:
    return S.polygamma(2, x)


@numba.njit(cache=False)
def _besseli2(x: float) -> float:
    return S.besseli(2, x)


@numba.njit(cache=False)
def _log_besseli0(x: float) -> float:
    return S.log_besseli(0, x)


@numba.njit(cache=False)
def _logbeta_half(x: float) -> float:
    return S.logbeta(x, 0.5 * x + 1.0)


def _cases(n: int) -> list[tuple[str, str, Callable, Callable, np.ndarray]]:
    """(name, scipy expression, symfisher scalar, scipy array function, points)."""
    rng = np.random.default_rng(0)
    gam = 10.0 ** rng.uniform(-2, 3, n)  # shape parameters, log-uniform on [0.01, 1000]
    kappa = rng.uniform(0.0, 50.0, n)  # von Mises concentrations

    def scipy_ratio(x: np.ndarray, out: np.ndarray, tmp: np.ndarray) -> None:
        sc.i1e(x, out=out)
        sc.i0e(x, out=tmp)
        np.divide(out, tmp, out=out)

    def scipy_ratio2(x: np.ndarray, out: np.ndarray, tmp: np.ndarray) -> None:
        sc.ive(3, x, out=out)
        sc.ive(2, x, out=tmp)
        np.divide(out, tmp, out=out)

    def scipy_log_i0(x: np.ndarray, out: np.ndarray, tmp: np.ndarray) -> None:
        sc.i0e(x, out=out)
        np.log(out, out=out)
        np.add(out, x, out=out)

    def scipy_logbeta(x: np.ndarray, out: np.ndarray, tmp: np.ndarray) -> None:
        np.multiply(x, 0.5, out=tmp)
        np.add(tmp, 1.0, out=tmp)
        sc.betaln(x, tmp, out=out)

    return [
        ("digamma", "psi(x)", S.digamma, lambda x, o, t: sc.psi(x, out=o), gam),
        ("trigamma", "zeta(2, x)", S.trigamma, lambda x, o, t: sc.zeta(2.0, x, out=o), gam),
        (
            "polygamma(2, x)",
            "-2 zeta(3, x)",
            _polygamma2,
            lambda x, o, t: np.multiply(sc.zeta(3.0, x, out=o), -2.0, out=o),
            gam,
        ),
        ("logbeta(x, x/2+1)", "betaln", _logbeta_half, scipy_logbeta, gam),
        ("besseli_ratio(0, k)", "i1e/i0e", _ratio0, scipy_ratio, kappa),
        ("besseli_ratio(2, k)", "ive(3)/ive(2)", _ratio2, scipy_ratio2, kappa),
        ("log_besseli(0, k)", "log(i0e)+k", _log_besseli0, scipy_log_i0, kappa),
        ("besseli(2, k)", "iv(2, k)", _besseli2, lambda x, o, t: sc.iv(2.0, x, out=o), kappa),
    ]


def _median_ns(call: Callable[[], object], n: int) -> float:
    call()  # warm-up (compilation, page faults)
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) / n * 1e9


def run(n: int) -> list[tuple[str, str, float, float]]:
    """Return rows (name, scipy expression, symfisher ns/call, scipy ns/call)."""
    rows = []
    for name, sname, scalar, scipy_fn, x in _cases(n):
        out = np.zeros_like(x)
        tmp = np.zeros_like(x)
        loop = _loop(scalar)
        ours = _median_ns(lambda loop=loop, x=x, out=out: loop(x, out), n)
        theirs = _median_ns(lambda f=scipy_fn, x=x, out=out, tmp=tmp: f(x, out, tmp), n)
        rows.append((name, sname, ours, theirs))
    return rows


def table(rows: list[tuple[str, str, float, float]], n: int) -> str:
    lines = [
        f"N = {n:,} points, medians of {REPEATS} runs after warm-up; numba {numba.__version__}, "
        f"scipy {scipy.__version__}, numpy {np.__version__}, {platform.machine()}.",
        "",
        "| function | symfisher ns/call | scipy.special | scipy ns/call | speed-up |",
        "|---|---:|---|---:|---:|",
    ]
    for name, sname, ours, theirs in rows:
        lines.append(f"| {name} | {ours:.1f} | {sname} | {theirs:.1f} | {theirs / ours:.2f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--markdown", type=Path, default=None, help="write the table here")
    args = parser.parse_args()
    text = table(run(args.n), args.n) + "\n\n" + threading_line()
    print(text)
    if args.markdown is not None:
        args.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()
