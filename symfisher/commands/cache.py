"""``symfisher cache list | info | clear``: inspect and empty the on-disk cache."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from symfisher.commands.registry import Command


def _configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True)
    ls = sub.add_parser("list", help="list cached entries (name, size, validity)")
    ls.add_argument("--kind", default=None, help="only this sub-directory (e.g. kernels)")
    sub.add_parser("info", help="cache location and totals per sub-directory")
    clear = sub.add_parser("clear", help="delete cached entries")
    clear.add_argument("--kind", default=None, help="only this sub-directory (e.g. kernels)")


def _entries(root: Path, kind: str | None) -> list[Path]:
    dirs = [root / kind] if kind else sorted(d for d in root.iterdir() if d.is_dir())
    return [f for d in dirs if d.is_dir() for f in sorted(d.iterdir()) if f.is_file()]


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _list(root: Path, kind: str | None) -> int:
    from symfisher._runtime.cachedir import read_verified

    for f in _entries(root, kind):
        state = "valid" if read_verified(f) is not None else "DAMAGED"
        print(f"{f.parent.name}/{f.name}  {f.stat().st_size:>9d} B  {state}")
    return 0


def _info(root: Path) -> int:
    print(f"cache directory: {root}")
    print("threat model: cached kernels are Python code; trust this directory like your path")
    for d in sorted(x for x in root.iterdir() if x.is_dir()):
        files = [f for f in d.iterdir() if f.is_file()]
        print(f"  {d.name:<14} {len(files):>6d} entries  {_size(d) / 1e6:9.2f} MB")
    return 0


def _clear(root: Path, kind: str | None) -> int:
    targets = [root / kind] if kind else [d for d in root.iterdir() if d.is_dir()]
    removed = 0
    for d in targets:
        if d.is_dir():
            removed += sum(1 for f in d.iterdir() if f.is_file())
            shutil.rmtree(d)
    print(f"removed {removed} entries from {root}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from symfisher._runtime.cachedir import cache_root

    root = cache_root()
    kind = getattr(args, "kind", None)
    if kind is not None and (not kind or "/" in kind or kind.startswith(".")):
        print(f"invalid --kind {kind!r}", file=sys.stderr)
        return 2
    if args.action == "list":
        return _list(root, kind)
    if args.action == "info":
        return _info(root)
    return _clear(root, kind)


COMMAND = Command(
    name="cache",
    help="inspect or clear symfisher's on-disk cache (kernels, derivations)",
    configure=_configure,
    run=_run,
    description="list | info | clear the content-addressed cache under $SYMFISHER_CACHE "
                "or the platform's user cache directory.",
)
