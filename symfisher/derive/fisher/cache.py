"""Memory and disk cache of Fisher derivations.

The key is a content hash of the family (:attr:`Family.key`), the method, whether
the check ran, and the versions of the engine, symfisher and SymPy. On disk an entry
is a self-verifying text file (:func:`symfisher._runtime.cachedir.write_verified`) holding
JSON: every expression as ``str(expr)``, plus the names of the symbols it may use.
It is read back with the safe parser :func:`symfisher.parse.parse_expression`
against the family's own symbols (so assumptions are restored) — never ``eval``,
never ``pickle``. A damaged, unreadable or unparsable file is ignored (a miss) and
rebuilt by the next derivation.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sympy as sp

from symfisher._runtime.cachedir import cache_subdir, content_key, read_verified, write_verified
from symfisher._runtime.caches import memo
from symfisher._version import __version__
from symfisher.families.protocol import FamilyLike

__all__ = ["ENGINE_VERSION", "DerivationCache", "default_cache", "entry_key"]

ENGINE_VERSION = "fisher-engine-2"  # 2: exact simplex checks, CheckReport.resolution
_SUBDIR = "derivations"


def entry_key(fam: FamilyLike, method: str, check: bool) -> str:
    """Deterministic cache key of a derivation."""
    return content_key(fam.key, method, str(bool(check)), ENGINE_VERSION, __version__, sp.__version__)


def _symbol_table(fam: FamilyLike) -> dict[str, sp.Symbol]:
    syms = (*fam.params, *getattr(fam, "fixed", ()), *fam.variables)
    return {s.name: s for s in syms}


def _encode(result: Any, key: str) -> str:
    check = result.check
    payload = {
        "format": 1,
        "key": key,
        "params": [s.name for s in result.params],
        "matrix": [[str(result.matrix[i, j]) for j in range(result.matrix.cols)] for i in range(result.matrix.rows)],
        "routes": [list(r) for r in result.routes],
        "check": None
        if check is None
        else {
            "method": check.method,
            "points": list(check.points),
            "residual": check.residual,
            "tolerance": check.tolerance,
            "dps": check.dps,
            "hessian_checked": check.hessian_checked,
            "resolution": check.resolution,
        },
        "notes": list(result.notes),
        "method": result.method,
        "seconds": result.seconds,
    }
    return json.dumps(payload, indent=1, sort_keys=True) + "\n"


def _decode(body: str, fam: FamilyLike, key: str) -> Any:
    from symfisher.derive.check.core import CheckReport
    from symfisher.derive.fisher.result import FisherResult
    from symfisher.parse import parse_expression

    data = json.loads(body)
    if data.get("format") != 1 or data.get("key") != key or data["params"] != [s.name for s in fam.params]:
        return None
    table = _symbol_table(fam)
    cells = [[parse_expression(text, symbols=table) for text in row] for row in data["matrix"]]
    allowed = set(table.values())
    if any(not (c.free_symbols <= allowed) for row in cells for c in row):
        return None
    chk = data["check"]
    report = (
        None
        if chk is None
        else CheckReport(
            chk["method"],
            tuple(chk["points"]),
            float(chk["residual"]),
            float(chk["tolerance"]),
            int(chk["dps"]),
            bool(chk["hessian_checked"]),
            float(chk["resolution"]),
        )
    )
    return FisherResult(
        sp.ImmutableMatrix(cells),
        tuple(fam.params),
        tuple(tuple(r) for r in data["routes"]),
        report,
        tuple(data["notes"]),
        data["method"],
        float(data["seconds"]),
    )


@dataclass
class DerivationCache:
    """Memory cache in front of a disk directory of derivations.

    Parameters
    ----------
    directory : pathlib.Path or None
        Where entries are stored (None: memory only).

    Examples
    --------
    >>> c = DerivationCache(None)
    >>> c.get_by_key("0" * 64, None) is None
    True
    """

    directory: Path | None
    memory: dict[str, Any] = field(default_factory=dict)

    def path(self, key: str) -> Path | None:
        """The file of an entry (None for a memory-only cache)."""
        return None if self.directory is None else self.directory / f"{key}.json"

    def get_by_key(self, key: str, fam: FamilyLike) -> Any:
        """The cached result for ``key`` (reading the disk on a memory miss), or None."""
        if key in self.memory:
            return self.memory[key]
        path = self.path(key)
        if path is None or fam is None:
            return None
        body = read_verified(path)
        if body is None:
            return None
        try:
            result = _decode(body, fam, key)
        except Exception:  # damaged or unparsable entry: a miss, rebuilt by the next put
            return None
        if result is not None:
            self.memory[key] = result
        return result

    def get(self, fam: FamilyLike, method: str, check: bool) -> Any:
        """The cached derivation of ``fam`` by ``method``, or None."""
        return self.get_by_key(entry_key(fam, method, check), fam)

    def put(self, fam: FamilyLike, method: str, check: bool, result: Any) -> None:
        """Store a derivation in memory and (atomically) on disk."""
        key = entry_key(fam, method, check)
        self.memory[key] = result
        path = self.path(key)
        if path is not None:
            if path.exists() and read_verified(path) is None:
                path.unlink(missing_ok=True)  # damaged: replace
            with contextlib.suppress(OSError):  # a read-only cache directory only costs speed
                write_verified(path, _encode(result, key))


@memo(maxsize=None)
def _cache_for(directory: str) -> DerivationCache:
    return DerivationCache(Path(directory))


def default_cache() -> DerivationCache:
    """The process's derivation cache for the current cache directory."""
    return _cache_for(str(cache_subdir(_SUBDIR)))
