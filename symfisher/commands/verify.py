"""``symfisher verify``: check textbook identities for catalog families (and tour step 50)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from symfisher.commands.registry import Command, TourStep
from symfisher.errors import InputError

_CODES = {"proved": "P", "verified numerically": "N", "fails": "F", "not applicable": "-", "inconclusive": "?"}


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("families", nargs="*", metavar="FAMILY", help="catalog family names")
    p.add_argument("--all", action="store_true", help="verify every catalog family")
    p.add_argument(
        "--identities", nargs="+", metavar="NAME", help="check only these identities (default: all applicable)"
    )
    p.add_argument("--points", type=int, default=3, help="random parameter points (default 3)")
    p.add_argument("--dps", type=int, default=30, help="mpmath digits (default 30)")
    p.add_argument(
        "--budget", type=float, default=30.0, help="seconds per identity before it is inconclusive (default 30)"
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="families verified in parallel processes (default: number of CPUs)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run family x identity cells on the Dask scheduler at ADDRESS "
        "(e.g. tcp://host:8786; needs the 'dask' extra)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--strict", action="store_true", help="exit with status 1 if anything fails")
    p.add_argument("--list", action="store_true", help="list the identities and exit")


def _matrix(reports: list[Any]) -> str:
    """Identity × family table of one-letter codes."""
    names = [r.identity for r in reports[0].rows]
    width = max(len(n) for n in names)
    head = " " * (width + 2) + " ".join(f"{i:>2}" for i in range(1, len(reports) + 1))
    lines = [head]
    for k, n in enumerate(names):
        codes = " ".join(f"{_CODES[rep.rows[k].status.value]:>2}" for rep in reports)
        lines.append(f"{n:<{width}}  {codes}")
    legend = ", ".join(f"{i}={rep.family}" for i, rep in enumerate(reports, 1))
    return "\n".join(
        lines
        + ["", "columns: " + legend, "P proved, N verified numerically, F fails, - not applicable, ? inconclusive"]
    )


def _on_scheduler(names: list[str], opts: Any, address: str) -> list[Any]:
    """Verify on the Dask cluster whose scheduler listens at ``address``."""
    from symfisher.dask.verify import verify_on

    return verify_on(address, names, opts)


def _run(args: argparse.Namespace) -> int:
    import symfisher as sf
    from symfisher.verification.parallel import VerifyOptions, verify_many
    from symfisher.verification.registry import IDENTITIES, select
    from symfisher.verification.runner import _check_options

    if args.list:
        for ident in IDENTITIES:
            print(f"{ident.name:<28} {ident.statement}\n{'':<28} fails/n.a.: {ident.failure}")
        return 0
    names = sf.family_names() if args.all else args.families
    if not names:
        print("symfisher verify: name at least one FAMILY or use --all", file=sys.stderr)
        return 2
    try:
        select(args.identities)
        _check_options(args.points, args.dps, args.budget)
        for n in names:
            sf.family(n)
        if args.jobs is not None and args.jobs < 1:
            raise InputError(f"--jobs must be at least 1, got {args.jobs}")
    except (ValueError, KeyError) as exc:
        print(f"symfisher verify: {exc}", file=sys.stderr)
        return 2
    opts = VerifyOptions(tuple(args.identities) if args.identities else None, args.points, args.dps, args.budget)
    reports = (
        verify_many(list(names), opts, jobs=args.jobs)
        if args.scheduler is None
        else _on_scheduler(list(names), opts, args.scheduler)
    )
    if args.json:
        print(json.dumps([json.loads(r.to_json()) for r in reports], indent=2))
    else:
        for rep in reports:
            print(rep.table() + "\n")
        print(_matrix(reports))
    return 1 if args.strict and not all(r.ok for r in reports) else 0


def _tour(out: TextIO) -> None:
    import symfisher as sf

    print("Identities checked for the Poisson family and the non-regular Uniform(0, θ):", file=out)
    for name in ("poisson", "uniform"):
        rep = sf.verify(name, identities=["score_mean_zero", "information_equality", "kl_third_order"], budget=30)
        print(rep.table(), file=out)
    fam = sf.family("normal")
    print(f"Gaussian curvature of the normal family: {sf.gaussian_curvature(fam)}", file=out)
    d = sf.fisher_rao_distance(fam, [0.0, 1.0], [1.0, 2.0])
    print(f"Fisher–Rao distance N(0, 1) → N(1, 4): {d:.12f}", file=out)


COMMAND = Command(
    name="verify",
    help="check textbook identities of Fisher information for families",
    configure=_configure,
    run=_run,
    description="Check the registry of identities (symfisher verify --list) for catalog "
    "families, symbolically where possible and with mpmath otherwise.",
)

TOUR = TourStep(order=50, title="Information geometry: verified identities", run=_tour)
