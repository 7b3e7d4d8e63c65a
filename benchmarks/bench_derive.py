"""Cold-cache derivation time of every catalog family, and plain SymPy side by side.

Usage::

    python benchmarks/bench_derive.py                 # symfisher only
    python benchmarks/bench_derive.py --sympy         # also -integrate(diff(l, a, b) * pdf), 60 s budget
    python benchmarks/bench_derive.py --only normal weibull

Every family is derived once from a cold cache (a fresh temporary SYMFISHER_CACHE and
``cache=False``), cross-check included; a cold derivation is by definition a one-off,
so this is not a median. The fork overhead of the SymPy time budget is a median of 21
calls after warm-up. The plain-SymPy alternative runs every entry in a forked child
with a 60 s budget and is classified: closed (no Integral/Sum/Piecewise), unevaluated,
case split, or timeout; whether its closed form is right is checked against
symfisher's verified matrix at a rational point.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from typing import Any

os.environ.setdefault("SYMFISHER_CACHE", tempfile.mkdtemp(prefix="bench-derive-"))

import sympy as sp  # noqa: E402
from _threads import threading_line  # noqa: E402

import symfisher as sf  # noqa: E402
from symfisher._runtime.budget import BudgetExceeded, run_with_budget  # noqa: E402
from symfisher.derive.check.points import sample_points  # noqa: E402
from symfisher.derive.fisher.api import derive_fisher  # noqa: E402


def fork_overhead() -> float:
    """Median seconds of a trivial budgeted call (fork + pipe + wait)."""
    run_with_budget(int, 1, seconds=10)
    times = []
    for _ in range(21):
        start = time.perf_counter()
        run_with_budget(int, 1, seconds=10)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _plain_entry(fam: Any, i: int, j: int) -> sp.Expr:
    (x,) = fam.variables
    ell = fam.logpdf
    integrand = -sp.diff(ell, fam.params[i], fam.params[j]) * sp.exp(ell)
    sup = fam.support
    if isinstance(sup, sp.Range):
        return sp.summation(integrand, (x, sup.inf, sup.sup))
    return sp.integrate(integrand, (x, sup.inf, sup.sup))


def plain_sympy(fam: Any, reference: sp.Matrix | None, budget: float) -> tuple[str, float]:
    """Classify plain SymPy on every entry; returns (verdict, seconds)."""
    if len(fam.variables) != 1:
        return "n/a (vector data)", 0.0
    start = time.perf_counter()
    p = len(fam.params)
    verdicts = []
    for i in range(p):
        for j in range(i, p):
            try:
                out = run_with_budget(_plain_entry, fam, i, j, seconds=budget)
            except BudgetExceeded:
                verdicts.append("timeout")
                continue
            val = out.value
            if out.error or val is None:
                verdicts.append("error")
            elif val.has(sp.Integral, sp.Sum):
                verdicts.append("unevaluated")
            elif val.has(sp.Piecewise):
                verdicts.append("case split")
            elif reference is not None and not _agrees(fam, val, reference[i, j]):
                verdicts.append("WRONG")
            else:
                verdicts.append("ok")
    worst = next((v for v in ("WRONG", "timeout", "unevaluated", "case split", "error") if v in verdicts), "ok")
    return worst, time.perf_counter() - start


def _agrees(fam: Any, val: sp.Expr, ref: sp.Expr) -> bool:
    point = sample_points(fam, 1, salt="bench")[0]
    a = sp.N(val.xreplace(point), 20)
    b = sp.N(ref.xreplace(point), 20)
    return a.is_number and abs(complex(a) - complex(b)) <= 1e-12 * (1 + abs(complex(b)))


def run(names: list[str], with_sympy: bool, budget: float) -> list[dict[str, Any]]:
    rows = []
    for name in names:
        fam = sf.family(name)
        start = time.perf_counter()
        try:
            res = derive_fisher(fam, cache=False)
            seconds = time.perf_counter() - start
            row = {
                "family": name,
                "p": fam.dim,
                "seconds": seconds,
                "route": res.route,
                "check": res.check.method if res.check else "-",
                "residual": res.check.residual if res.check else float("nan"),
            }
            ref = res.matrix
        except sf.NonRegularFamilyError:
            row = {
                "family": name,
                "p": fam.dim,
                "seconds": time.perf_counter() - start,
                "route": "NonRegularFamilyError",
                "check": "-",
                "residual": float("nan"),
            }
            ref = None
        except sf.DerivationError as exc:
            row = {
                "family": name,
                "p": fam.dim,
                "seconds": time.perf_counter() - start,
                "route": f"FAILED: {str(exc)[:60]}",
                "check": "-",
                "residual": float("nan"),
            }
            ref = None
        if with_sympy and fam.regular:
            row["sympy"], row["sympy_seconds"] = plain_sympy(fam, ref, budget)
        rows.append(row)
        print(_fmt(row, with_sympy), flush=True)
    return rows


def _fmt(row: dict[str, Any], with_sympy: bool) -> str:
    base = (
        f"| {row['family']:24s} | {row['p']:2d} | {row['seconds']:7.2f} | {row['route']:10s} | "
        f"{row['check']:13s} | {row['residual']:9.1e} |"
    )
    if with_sympy:
        base += f" {row.get('sympy', '-'):12s} | {row.get('sympy_seconds', 0.0):7.1f} |"
    return base


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sympy", action="store_true", help="also run plain SymPy (slow)")
    ap.add_argument("--budget", type=float, default=60.0, help="plain-SymPy budget per entry (s)")
    ap.add_argument("--only", nargs="*", default=None, help="families to run")
    args = ap.parse_args(argv)
    names = args.only or sf.family_names()
    print(f"fork overhead of a budgeted call (median of 21): {fork_overhead() * 1e3:.1f} ms")
    head = "| family | p | seconds | route | check | residual |"
    print(head + (" plain SymPy | seconds |" if args.sympy else ""))
    total = time.perf_counter()
    rows = run(names, args.sympy, args.budget)
    total = time.perf_counter() - total
    symfisher_total = sum(r["seconds"] for r in rows)
    print(
        f"symfisher total (cold, checks included): {symfisher_total:.1f} s for {len(rows)} families; "
        f"slowest univariate: {max((r['seconds'], r['family']) for r in rows if r['p'] <= 2)}"
    )
    print(f"wall time including plain SymPy: {total:.1f} s")
    print(threading_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
