"""Which files in the cache directory symfisher wrote, and may therefore delete.

``$SYMFISHER_CACHE`` may point at a directory that holds other things. ``symfisher cache
clear`` removes only entries of symfisher's own layout:

* sub-directories named ``kernels`` or ``derivations``, or holding the marker file
  :data:`MARKER` that :func:`symfisher._runtime.cachedir.cache_subdir` writes;
* inside them, regular files whose names carry a content key (64 hexadecimal digits):
  ``k_<key>.py`` kernels, ``<key>.json`` derivations, ``.<name>.<random>.tmp`` files of
  interrupted writes, and Numba's ``__pycache__/k_<key>.*.nbi|.nbc`` files.

Symbolic links are never followed and never removed; other files and directories are
left alone (they are listed as ``foreign``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from symfisher._runtime.cachedir import MARKER

KNOWN_SUBDIRS = frozenset({"kernels", "derivations"})
_KEYED = re.compile(r"^\.?(k_)?[0-9a-f]{64}(\.|$)")

__all__ = ["KNOWN_SUBDIRS", "MARKER", "Entry", "entries", "owned_subdirs"]


@dataclass(frozen=True)
class Entry:
    """One file in a cache sub-directory: ``owned`` if symfisher wrote it."""

    path: Path
    owned: bool
    reason: str = ""


def owned_subdirs(root: Path, kind: str | None = None) -> list[Path]:
    """Sub-directories of ``root`` that belong to symfisher (never symbolic links)."""
    if not root.is_dir() or root.is_symlink():
        return []
    candidates = [root / kind] if kind else sorted(root.iterdir())
    return [
        d
        for d in candidates
        if not d.is_symlink() and d.is_dir() and (d.name in KNOWN_SUBDIRS or (d / MARKER).is_file())
    ]


def _scan(directory: Path, nested: bool) -> Iterator[Entry]:
    for f in sorted(directory.iterdir()):
        if f.name == MARKER:
            continue
        if f.is_symlink():
            yield Entry(f, False, "symbolic link (never followed or removed)")
        elif f.is_dir():
            if f.name == "__pycache__" and not nested:
                yield from _scan(f, True)
            else:
                yield Entry(f, False, "directory not written by symfisher")
        elif _KEYED.match(f.name):
            yield Entry(f, True)
        else:
            yield Entry(f, False, "file name is not a symfisher content key")


def entries(root: Path, kind: str | None = None) -> list[Entry]:
    """Every file of symfisher's sub-directories, each marked owned or foreign."""
    return [e for d in owned_subdirs(root, kind) for e in _scan(d, False)]
