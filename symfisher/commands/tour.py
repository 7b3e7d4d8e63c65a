"""``symfisher tour``: a short guided run through what symfisher does."""

from __future__ import annotations

import argparse
import sys
import time

from symfisher.commands.registry import Command, tour_steps


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--only", metavar="WORD", help="run only the steps whose title contains WORD")


def _run(args: argparse.Namespace) -> int:
    out = sys.stdout
    steps = [s for s in tour_steps() if not args.only or args.only.lower() in s.title.lower()]
    if not steps:
        print("no tour step matches", file=sys.stderr)
        return 2
    for i, step in enumerate(steps, 1):
        bar = "=" * 72
        print(f"{bar}\n[{i}/{len(steps)}] {step.title}\n{bar}", file=out, flush=True)
        t0 = time.perf_counter()
        step.run(out)
        print(f"  ({time.perf_counter() - t0:.1f} s)\n", file=out, flush=True)
    return 0


COMMAND = Command(
    name="tour",
    help="a guided demonstration of symfisher",
    configure=_configure,
    run=_run,
)
