"""Results of :func:`symfisher.verification`: statuses, rows and the report."""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Status", "Outcome", "Row", "VerifyReport"]


class Status(str, enum.Enum):
    """Outcome of one identity check.

    ``proved``: the residual simplifies to 0 symbolically; ``verified numerically``:
    the residual is below the tolerance at every test point (mpmath, ``dps`` digits);
    ``fails``: it is not (or the family violates a regularity condition the identity
    needs — the reason says which); ``not applicable``: the identity's hypotheses are
    not met (e.g. an exponential-family identity for a non-exponential family);
    ``inconclusive``: the check ran out of its time budget or a derivation failed.
    """

    PROVED = "proved"
    NUMERIC = "verified numerically"
    FAILS = "fails"
    NOT_APPLICABLE = "not applicable"
    INCONCLUSIVE = "inconclusive"


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
    def ok(self) -> bool:
        """True when no identity ``fails`` (inconclusive and not applicable are not failures)."""
        return all(r.status is not Status.FAILS for r in self.rows)

    def row(self, identity: str) -> Row:
        """The row of the identity named ``identity``."""
        for r in self.rows:
            if r.identity == identity:
                return r
        raise KeyError(f"no row for identity {identity!r} in the report of {self.family}")

    def to_json(self) -> str:
        """The report as a JSON string."""
        return json.dumps({"family": self.family, "ok": self.ok, "seconds": self.seconds,
                           "rows": [r.to_dict() for r in self.rows]}, indent=2)

    def table(self) -> str:
        """A plain-text table: identity, status, residual, method, reason."""
        lines = [f"{self.family}: {'ok' if self.ok else 'FAILURES'}"]
        for r in self.rows:
            res = "" if r.residual is None else f"{r.residual:.1e}"
            lines.append(f"  {r.identity:<34} {r.status.value:<21} {res:>8}  {r.method}"
                         + (f" — {r.reason}" if r.reason else ""))
        return "\n".join(lines)
