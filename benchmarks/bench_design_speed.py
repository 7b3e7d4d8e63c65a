"""Dose-finding designs: symfisher vs DoseFinding (R), side by side in one run.

Usage::

    PYTHONPATH=. python benchmarks/bench_design_speed.py [--reps 15] [--no-r] [--no-continuous]

Problems: DoseFinding's own — doses {0, 10, 25, 50, 100, 150}, ``Mods(..., placEff = 0,
maxEff = 1, addArgs = list(scal = 200, off = 1))`` with the guesstimates below, Δ = 0.5.
Finite candidates: ``optDesign`` (nlminb) timed inside R (``Rscript`` subprocess; the
median of ``reps`` runs after one warm-up, ``Mods`` built outside the timed region) vs
``sf.dose_design`` (median of ``reps`` runs after one warm-up, ``dose_models`` built
outside; SymPy set-up of the gradients, TD by implicit differentiation, the Newton weights
and the certificate are all inside). Continuous: ``sf.dose_design(space=(0, 150))`` with
the certificate's status (DoseFinding has no continuous optimiser to compare with).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from typing import Any

import numpy as np
from _threads import threading_line

import symfisher as sf
from symfisher.design.dosefinding import DoseModels
from symfisher.testing import dosefinding

DOSES, GUESSES, DELTA = dosefinding.DOSES, dosefinding.GUESSES, dosefinding.DELTA
AVERAGED = list(dosefinding.AVERAGED)


def r_value(guess: Any) -> str:
    """A guesstimate written in R: ``NULL``, a number, or ``c(a, b)``."""
    if guess is None:
        return "NULL"
    if isinstance(guess, tuple):
        return f"c({', '.join(f'{g:g}' for g in guess)})"
    return f"{guess:g}"


def rows() -> list[tuple[str, list[str], str]]:
    """(label, models, criterion): every single model with Dopt and TD, the averaged set with all three."""
    out = []
    for n in GUESSES:
        out.append((f"{n} Dopt", [n], "Dopt"))
        if n != "quadratic":
            out.append((f"{n} TD", [n], "TD"))
    for c in ("Dopt", "TD", "Dopt&TD"):
        out.append((f"averaged(7) {c}", AVERAGED, c))
    return out


def r_script(reps: int) -> str:
    lines = [
        "suppressMessages(library(DoseFinding))",
        f"doses <- c({', '.join(f'{d:g}' for d in DOSES)})",
        "hr <- function(f, reps) { f(); k <- 20; t <- numeric(reps); for (i in 1:reps) {"
        " s <- Sys.time(); for (j in 1:k) f(); t[i] <- as.numeric(Sys.time() - s, units = 'secs') / k };"
        " median(t) }",
    ]
    for label, names, crit in rows():
        args = ", ".join(f"{n} = {r_value(GUESSES[n])}" for n in names)
        lines.append(f"m <- Mods({args}, doses = doses, placEff = 0, maxEff = 1, addArgs = list(scal = 200, off = 1))")
        lines.append(
            f"f <- function() optDesign(m, probs = rep(1/{len(names)}, {len(names)}), doses = doses, "
            f"designCrit = '{crit}', Delta = {DELTA})"
        )
        lines.append(f"cat('{label}', 1000 * hr(f, {reps}), '\\n')")
    return "\n".join(lines)


def run_r(reps: int) -> dict[str, float]:
    if shutil.which("Rscript") is None:
        return {}
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(r_script(reps))
    out = subprocess.run(["Rscript", fh.name], capture_output=True, text=True, check=True).stdout
    os.unlink(fh.name)
    res = {}
    for line in out.splitlines():
        label, _, ms = line.strip().rpartition(" ")
        res[label] = float(ms)
    return res


def subset(models: DoseModels, names: list[str]) -> DoseModels:
    idx = [models.names.index(n) for n in names]
    return DoseModels(
        tuple(names),
        tuple(models.models[i] for i in idx),
        tuple(models.thetas[i] for i in idx),
        np.full(len(idx), 1.0 / len(idx)),
        models.doses,
    )


def timed(fn: Any, reps: int) -> tuple[float, Any]:
    res = fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(ts), res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument("--no-continuous", action="store_true")
    a = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores)")
    full = sf.dose_models(DOSES, scal=200, off=1, **GUESSES)
    r = {} if a.no_r else run_r(a.reps)
    print("\n| design (finite doses) | symfisher ms | DoseFinding ms | ratio sf/R | certified |")
    print("|---|---:|---:|---:|---|")
    for label, names, crit in rows():
        ms, res = timed(lambda n=names, c=crit: sf.dose_design(subset(full, n), c, delta=DELTA), a.reps)
        rm = r.get(label, float("nan"))
        print(f"| {label} | {ms:.2f} | {rm:.2f} | {ms / rm:.2f} | {res.certified} |")
    if a.no_continuous:
        return
    print(f"\nload average: {os.getloadavg()[0]:.2f}")
    print("\n| design on [0, 150] | symfisher ms | points | max sensitivity / bound | certified |")
    print("|---|---:|---|---|---|")
    for label, names, crit in rows():
        if crit == "TD" and names == ["quadratic"]:
            continue
        ms, res = timed(
            lambda n=names, c=crit: sf.dose_design(subset(full, n), c, delta=DELTA, space=(0, 150)), max(3, a.reps // 3)
        )
        pts = np.round(np.atleast_1d(res.points), 2).tolist()
        print(
            f"| {label} | {ms:.1f} | {pts} | {res.max_sensitivity:.6g} / {res.sensitivity_bound:.6g} "
            f"| {res.certified} |"
        )
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}\n{threading_line()}")


if __name__ == "__main__":
    main()
