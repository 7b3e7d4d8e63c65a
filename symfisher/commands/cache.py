"""``symfisher cache list | info | clear``: inspect and empty the on-disk cache."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from symfisher.commands._cache_entries import Entry, entries, owned_subdirs
from symfisher.commands.registry import Command
from symfisher.errors import CacheError


def _configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True)
    ls = sub.add_parser("list", help="list cached entries (name, size, validity)")
    ls.add_argument("--kind", default=None, help="only this sub-directory (e.g. kernels)")
    sub.add_parser("info", help="cache location and totals per sub-directory")
    clear = sub.add_parser("clear", help="delete cached entries")
    clear.add_argument("--kind", default=None, help="only this sub-directory (e.g. kernels)")


def _size(entries: list[Entry]) -> int:
    return sum(e.path.lstat().st_size for e in entries if e.owned)


def _list(root: Path, kind: str | None) -> int:
    from symfisher._runtime.cachedir import read_verified

    for e in entries(root, kind):
        rel = e.path.relative_to(root)
        if not e.owned:
            print(f"{rel}  foreign: {e.reason}")
            continue
        keyed = e.path.suffix in (".py", ".json")
        state = ("valid" if read_verified(e.path) is not None else "DAMAGED") if keyed else "numba cache"
        print(f"{rel}  {e.path.lstat().st_size:>9d} B  {state}")
    return 0


def _info(root: Path) -> int:
    print(f"cache directory: {root}")
    print("threat model: cached kernels are Python code; trust this directory like your path")
    for d in owned_subdirs(root):
        items = entries(root, d.name)
        owned = [e for e in items if e.owned]
        print(
            f"  {d.name:<14} {len(owned):>6d} entries  {_size(items) / 1e6:9.2f} MB"
            + (f"  ({len(items) - len(owned)} foreign, left alone)" if len(owned) < len(items) else "")
        )
    return 0


def _clear(root: Path, kind: str | None) -> int:
    removed, kept = 0, 0
    for e in entries(root, kind):
        if not e.owned:
            kept += 1
            continue
        try:
            e.path.unlink(missing_ok=True)  # another process may have removed it meanwhile
            removed += 1
        except OSError as exc:
            raise CacheError(f"cannot remove cache entry {str(e.path)!r}: {exc.strerror}") from None
    print(
        f"removed {removed} entries from {root}"
        + (f"; left {kept} files not written by symfisher (see `symfisher cache list`)" if kept else "")
    )
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
