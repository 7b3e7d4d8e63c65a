"""Benchmarks of information geometry: curvature derivation, geodesic distances, verify.

Run:  python benchmarks/bench_geometry.py

Prints tables (medians of ≥ 5 runs after a warm-up) with ratios against alternatives
measured side by side in the same run:

* Fisher–Rao distance on the gamma manifold (no closed form): our shooting solver with
  the compiled DOP853 integrator (``symfisher.numeric.geodesic.ode``) vs the same solver on
  ``scipy.integrate.solve_ivp`` (the previous path) with the compiled Numba Christoffel
  kernel and with a ``sympy.lambdify`` NumPy kernel, vs SciPy's collocation solver
  ``solve_bvp``, with the error of each against a tight reference; the integrator's
  compile / cache-load time and a fresh process's first distance
  (``--distances`` stops after these);
* normal family: closed form (recognised from the metric) vs the numeric solver with
  both integrators;
* Gaussian curvature of every 2-parameter catalog family (derivation time);
* ``sf.verify`` on a few families;
* ``symfisher verify --all`` equivalent (:func:`verify_many` over the whole catalog,
  one run: it takes minutes), serial time per family summed vs wall time with
  ``--jobs``, and the family × identity table in Markdown
  (``python benchmarks/bench_geometry.py --all``, or ``--table FILE.json`` to format the
  output of ``symfisher verify --all --json``).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import sympy as sp
from scipy.integrate import solve_bvp

import symfisher as sf
from symfisher.derive.geometry.connections import christoffel_of
from symfisher.derive.geometry.metric import metric_data
from symfisher.geometry.geodesic import _christoffel_kernel, _metric_kernel
from symfisher.numeric.geodesic.solve import shooting_distance


def median_time(fn: Callable[[], object], runs: int = 7) -> float:
    """Median wall time of ``runs`` calls after one warm-up call."""
    fn()  # warm-up (JIT, caches)
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def lambdified(md: object) -> tuple[Callable, Callable]:
    G = christoffel_of(md, "second")
    p = md.dim
    fG = sp.lambdify(md.coords, sp.flatten(G.tolist()), ["scipy", "numpy"])
    fg = sp.lambdify(md.coords, list(md.g), ["scipy", "numpy"])

    def wrap(f: Callable, shape: tuple) -> Callable:
        def k(th: np.ndarray) -> np.ndarray:
            th = np.asarray(th, float).reshape(-1, p)
            vals = f(*th.T)
            return np.stack([np.broadcast_to(np.asarray(v, float), th.shape[:1]) for v in vals], axis=1).reshape(
                (th.shape[0], *shape)
            )

        return k

    return wrap(fG, (p, p, p)), wrap(fg, (p, p))


def bvp_distance(chris: Callable, metric: Callable, a: np.ndarray, b: np.ndarray) -> float:
    p = a.size
    x = np.linspace(0, 1, 21)
    y = np.vstack([a[:, None] + (b - a)[:, None] * x, np.repeat((b - a)[:, None], x.size, 1)])

    def f(_x: np.ndarray, y: np.ndarray) -> np.ndarray:
        acc = -np.einsum("nkij,ni,nj->nk", chris(y[:p].T), y[p:].T, y[p:].T)
        return np.vstack([y[p:], acc.T])

    sol = solve_bvp(f, lambda ya, yb: np.concatenate([ya[:p] - a, yb[:p] - b]), x, y, tol=1e-8)
    v = sol.y[p:, 0]
    g = metric(a[None])[0]
    return float(np.sqrt(v @ g @ v))


def bench_gamma_distance() -> None:
    fam = sf.family("gamma")
    md = metric_data(fam)
    a, b = np.array([2.0, 1.0]), np.array([5.0, 3.0])
    ref = shooting_distance(_christoffel_kernel(md), _metric_kernel(md), a, b, tol=1e-13, integrator="scipy").distance
    lam_c, lam_g = lambdified(md)
    rows = [
        ("shooting, compiled DOP853 (sf default)", 21, lambda: sf.fisher_rao_distance(fam, a, b)),
        ("shooting, solve_ivp + Numba kernel", 7, lambda: sf.fisher_rao_distance(fam, a, b, integrator="scipy")),
        ("shooting, solve_ivp + lambdify kernel", 7, lambda: shooting_distance(lam_c, lam_g, a, b).distance),
        ("scipy solve_bvp + lambdify", 7, lambda: bvp_distance(lam_c, lam_g, a, b)),
    ]
    print(
        "Fisher–Rao distance, gamma manifold, (2, 1) → (5, 3); reference",
        f"{ref:.15f}",
        "(shooting, solve_ivp, tol 1e-13)",
    )
    print(f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'method':<40}{'median ms':>12}{'ratio':>8}{'rel. error':>12}")
    base = None
    for name, runs, fn in rows:
        t = median_time(fn, runs)
        base = base or t
        err = abs(fn() - ref) / ref
        print(f"{name:<40}{1e3 * t:>12.2f}{t / base:>8.2f}{err:>12.1e}")
    print(f"load average {os.getloadavg()[0]:.1f}")


def _timed_subprocess(code: str, env: dict[str, str] | None = None) -> str:
    import subprocess

    full = {**os.environ, **(env or {})}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=full)
    return out.stdout.strip()


def bench_first_call() -> None:
    """Compile / cache-load cost of the integrator, and a fresh process's first distance."""
    import tempfile

    compile_code = (
        "import time, numba, numpy as np\n"
        "from symfisher.numeric.geodesic.ode import _compiled\n"
        "t = time.perf_counter(); _compiled()\n"
        "print(f'{time.perf_counter() - t:.3f}')"
    )
    with tempfile.TemporaryDirectory() as tmp:
        cold = _timed_subprocess(compile_code, {"NUMBA_CACHE_DIR": tmp})
        warm = _timed_subprocess(compile_code, {"NUMBA_CACHE_DIR": tmp})
    print(f"\ncompiled integrator: cold compile {cold} s, load from Numba's disk cache {warm} s")
    for how in ("auto", "scipy"):
        first = _timed_subprocess(
            "import time, symfisher as sf\nfam = sf.family('gamma')\nt = time.perf_counter()\n"
            f"sf.fisher_rao_distance(fam, (2, 1), (5, 3), integrator={how!r})\n"
            "print(f'{time.perf_counter() - t:.2f}')"
        )
        print(f"  fresh process, first gamma distance (warm caches), integrator={how}: {first} s")


def bench_normal_distance() -> None:
    fam = sf.family("normal")
    a, b = [0.0, 1.0], [1.0, 2.0]
    tc = median_time(lambda: sf.fisher_rao_distance(fam, a, b, method="closed"), 21)
    tn = median_time(lambda: sf.fisher_rao_distance(fam, a, b, method="numeric"), 21)
    ts = median_time(lambda: sf.fisher_rao_distance(fam, a, b, method="numeric", integrator="scipy"))
    dc = sf.fisher_rao_distance(fam, a, b, method="closed")
    dn = sf.fisher_rao_distance(fam, a, b, method="numeric")
    ds = sf.fisher_rao_distance(fam, a, b, method="numeric", integrator="scipy")
    print("\nnormal family (0, 1) → (1, 2)")
    print(f"  closed form           {1e3 * tc:8.2f} ms   {dc:.15f}")
    print(f"  numeric, compiled     {1e3 * tn:8.2f} ms   {dn:.15f}   rel. diff {abs(dn - dc) / dc:.1e}")
    print(
        f"  numeric, solve_ivp    {1e3 * ts:8.2f} ms   {ds:.15f}   rel. diff {abs(ds - dc) / dc:.1e}"
        f"   ({ts / tn:.1f}× the compiled time)"
    )


def bench_curvature() -> None:
    total, rows = 0.0, []
    for name in sf.family_names():
        fam = sf.family(name)
        if len(fam.params) != 2:
            continue
        sf.fisher(fam)
        t0 = time.perf_counter()
        K = sf.gaussian_curvature(fam)
        dt = time.perf_counter() - t0
        total += dt
        rows.append((name, dt, K))
    print("\nGaussian curvature of every 2-parameter catalog family (Fisher matrix cached)")
    for name, dt, K in rows:
        print(f"  {name:<22}{dt:7.2f} s   K = {sp.sstr(K)[:70]}")
    print(f"  total {total:.1f} s for {len(rows)} families")


def bench_verify() -> None:
    print("\nsf.verify (all identities, 3 points, 30 digits)")
    for name in ("poisson", "normal", "gamma"):
        t0 = time.perf_counter()
        rep = sf.verify(name)
        counts = {}
        for r in rep.rows:
            counts[r.status.value] = counts.get(r.status.value, 0) + 1
        print(f"  {name:<10}{time.perf_counter() - t0:7.1f} s   {counts}")


_CODE = {"proved": "P", "verified numerically": "N", "fails": "F", "not applicable": "–", "inconclusive": "?"}


def markdown_table(reports: list[dict]) -> str:
    """Family × identity table (Markdown) from ``symfisher verify --json`` output.

    Parameters
    ----------
    reports : list of dict
        One ``{"family", "ok", "rows": [{"identity", "status", "seconds", ...}]}`` each.

    Returns
    -------
    str
        The table, a column legend, the totals and the non-proved, non-numeric rows.
    """
    names = [r["identity"] for r in reports[0]["rows"]]
    cols = " | ".join(str(k) for k in range(1, len(names) + 1))
    out = [f"| family | {cols} | s |", "|---|" + ":-:|" * len(names) + "--:|"]
    totals: dict[str, int] = {}
    notes = []
    for rep in reports:
        codes = []
        for row in rep["rows"]:
            codes.append(_CODE[row["status"]])
            totals[codes[-1]] = totals.get(codes[-1], 0) + 1
            if row["status"] in ("fails", "inconclusive") and not row["reason"].startswith("non-regular"):
                notes.append(f"- {rep['family']} / {row['identity']}: {row['status']} — {row['reason'][:150]}")
        secs = rep.get("seconds") or sum(row["seconds"] for row in rep["rows"])
        out.append(f"| {rep['family']} | " + " | ".join(codes) + f" | {secs:.0f} |")
    legend = ", ".join(f"{k} {n}" for k, n in enumerate(names, 1))
    tot = ", ".join(f"{c} {totals.get(c, 0)}" for c in ("P", "N", "–", "?", "F"))
    return "\n".join(out + ["", f"Columns: {legend}.", "", f"Totals: {tot}", ""] + notes)


def bench_verify_all() -> None:
    """The whole catalog once with ``--jobs`` = CPUs; prints wall time, load, table."""
    from symfisher.verification.parallel import VerifyOptions, default_jobs, verify_many

    jobs = default_jobs()
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    reps = verify_many(sf.family_names(), VerifyOptions(budget=30.0), jobs=jobs)
    wall = time.perf_counter() - t0
    rows = sum(r.seconds for rep in reps for r in rep.rows)
    print(
        f"\nverify --all: {wall:.0f} s wall with {jobs} jobs (sum of row times "
        f"{rows:.0f} s); load average {load0:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(markdown_table([json.loads(rep.to_json()) for rep in reps]))


if __name__ == "__main__":
    if "--table" in sys.argv:
        with open(sys.argv[sys.argv.index("--table") + 1]) as fh:
            print(markdown_table(json.load(fh)))
        raise SystemExit(0)
    if "--all" in sys.argv:
        bench_verify_all()
        raise SystemExit(0)
    bench_gamma_distance()
    bench_normal_distance()
    bench_first_call()
    if "--distances" in sys.argv:
        raise SystemExit(0)
    bench_curvature()
    bench_verify()
