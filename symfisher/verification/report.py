"""Results of :func:`symfisher.verification`: statuses, rows and the report."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from symfisher.options import Status

__all__ = ["Status", "Outcome", "Row", "VerifyReport"]


@dataclass(frozen=True)
class Outcome:
    """What one check found (before it is attached to an identity and a family)."""

    status: Status
    residual: float | None = None
    method: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Row:
    """One line of a verification report.

    Attributes
    ----------
    family : str
        The family's name.
    identity : str
        The identity's registry name.
    status : Status
    residual : float or None
        Largest absolute residual found (None when nothing was evaluated).
    method : str
        How it was checked (``"symbolic"``, ``"mpmath quadrature at 3 points, 30 digits"``, ...).
    reason : str
        Why it fails / is not applicable / is inconclusive, or a remark.
    seconds : float
        Time spent on this check.
    """

    family: str
    identity: str
    status: Status
    residual: float | None
    method: str
    reason: str
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (status as its string value)."""
        d = asdict(self)
        d["status"] = self.status.value
        return d


@dataclass(frozen=True)
class VerifyReport:
    """All rows of a verification run for one family.

    Attributes
    ----------
    family : str
        The family's name.
    rows : tuple of Row
        One per identity, in registry order.
    seconds : float
        Wall-clock time of the whole family, including the shared derivations that
        no single row is charged for.
    """

    family: str
    rows: tuple[Row, ...]
    seconds: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        """Number of rows per status value (every status present, zeros included)."""
        return {st.value: sum(r.status is st for r in self.rows) for st in Status}

    @property
    def complete(self) -> bool:
        """True when no row is inconclusive (every identity got a verdict)."""
        return all(r.status is not Status.INCONCLUSIVE for r in self.rows)

    @property
    def ok(self) -> bool:
        """True when every applicable identity was proved or verified numerically.

        Rows that are ``not applicable`` do not count; one ``fails`` or ``inconclusive``
        row makes it False, and so does a report in which nothing was checked.
        """
        checked = any(r.status in (Status.PROVED, Status.NUMERIC) for r in self.rows)
        return checked and all(r.status in (Status.PROVED, Status.NUMERIC, Status.NOT_APPLICABLE) for r in self.rows)

    def summary(self) -> str:
        """One line: the verdict and the counts per status."""
        verdict = "ok" if self.ok else ("FAILURES" if self.counts[Status.FAILS.value] else "incomplete")
        parts = ", ".join(f"{n} {k}" for k, n in self.counts.items() if n)
        return f"{self.family}: {verdict} ({parts}) in {self.seconds:.1f} s"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "family": self.family,
            "ok": self.ok,
            "complete": self.complete,
            "counts": self.counts,
            "seconds": self.seconds,
            "rows": [r.to_dict() for r in self.rows],
        }

    def row(self, identity: str) -> Row:
        """The row of the identity named ``identity``."""
        for r in self.rows:
            if r.identity == identity:
                return r
        raise KeyError(f"no row for identity {identity!r} in the report of {self.family}")

    def to_json(self) -> str:
        """The report as a JSON string."""
        return json.dumps(self.to_dict(), indent=2)

    def table(self) -> str:
        """A plain-text table: identity, status, residual, method, reason."""
        lines = [self.summary()]
        for r in self.rows:
            res = "" if r.residual is None else f"{r.residual:.1e}"
            lines.append(
                f"  {r.identity:<34} {r.status.value:<21} {res:>8}  {r.method}" + (f" — {r.reason}" if r.reason else "")
            )
        return "\n".join(lines)
