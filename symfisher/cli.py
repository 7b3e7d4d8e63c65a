"""The ``symfisher`` command line.

Sub-commands are discovered from :mod:`symfisher.commands` (one module per feature).

Examples
--------
::

    symfisher tour
    symfisher derive gamma --latex
    symfisher --help
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from symfisher import __version__
from symfisher.commands.registry import commands
from symfisher.errors import SymfisherError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every discovered sub-command."""
    parser = argparse.ArgumentParser(
        prog="symfisher",
        description="Derive, compile and apply Fisher information.",
    )
    parser.add_argument("--version", action="version", version=f"symfisher {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for cmd in commands():
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.description or cmd.help)
        cmd.configure(p)
        p.set_defaults(_run=cmd.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code.

    Errors that symfisher raises on purpose (bad input) are printed as one line on
    standard error with exit code 2; anything else is a bug and shows its traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except SymfisherError as exc:
        print(f"symfisher {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
