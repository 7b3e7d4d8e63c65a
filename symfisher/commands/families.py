"""``symfisher families``: list the catalog (name, parametrisation, fixed constants)."""

from __future__ import annotations

import argparse
import sys

from symfisher.commands.registry import Command


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--names", action="store_true", help="print only the names, one per line")


def _run(args: argparse.Namespace) -> int:
    import symfisher as sf

    names = sf.family_names()
    if args.names:
        sys.stdout.write("\n".join(names) + "\n")
        return 0
    width = max(len(n) for n in names) + 2
    for name in names:
        fam = sf.family(name)
        params = ", ".join(map(str, fam.params))
        fixed = f"; fixed: {', '.join(map(str, fam.fixed))}" if fam.fixed else ""
        kind = fam.parametrization or f"params {params}"
        sys.stdout.write(f"{name.ljust(width)}{kind}  [{params}]{fixed}\n")
    sys.stdout.write(f"\n{len(names)} families; 'symfisher derive NAME' derives one.\n")
    return 0


COMMAND = Command(name="families", help="list the catalog of parametric families", configure=_configure, run=_run)
