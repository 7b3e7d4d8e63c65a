"""The value type of a Fisher derivation: the matrix with its provenance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from symfisher.derive.check.core import CheckReport

__all__ = ["FisherResult"]


@dataclass(frozen=True)
class FisherResult:
    """A derived Fisher matrix with its provenance.

    Attributes
    ----------
    matrix : sympy.ImmutableMatrix
        I(θ), shape (p, p), rows/columns in the order of ``params``.
    params : tuple of Symbol
        θ (length p).
    routes : tuple of tuple of str
        (p, p) route of every entry: ``"expfam"``, ``"hessian"`` or ``"score"``.
    check : CheckReport or None
        The numeric cross-check that verified the matrix (None with ``check=False``).
    notes : tuple of str
        Why each route was (not) used, e.g. "Hessian route invalid: ...".
    method : str
        The method requested.
    seconds : float
        Time to derive (0 for a cache hit is not guaranteed: it is the original time).
    """

    matrix: sp.ImmutableMatrix
    params: tuple[sp.Symbol, ...]
    routes: tuple[tuple[str, ...], ...]
    check: CheckReport | None
    notes: tuple[str, ...]
    method: str
    seconds: float = 0.0

    @property
    def route(self) -> str:
        """The single route of all entries, or ``"mixed"``."""
        used = {r for row in self.routes for r in row}
        return used.pop() if len(used) == 1 else "mixed"

    def summary(self) -> str:
        """One line per fact: parameters, route, check and time."""
        lines = [
            f"Fisher information in ({', '.join(map(str, self.params))}): route {self.route}, {self.seconds:.2f} s"
        ]
        if self.check is not None:
            lines.append(
                f"  checked: {self.check.method} at {len(self.check.points)} point(s), "
                f"residual {self.check.residual:.1e} (tolerance {self.check.tolerance:.0e}, "
                f"{self.check.dps} digits)"
            )
        else:
            lines.append("  NOT cross-checked (check=False)")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (entries as SymPy strings readable by ``symfisher.parse``)."""
        return {
            "params": [s.name for s in self.params],
            "matrix": [[str(self.matrix[i, j]) for j in range(self.matrix.cols)] for i in range(self.matrix.rows)],
            "routes": [list(r) for r in self.routes],
            "method": self.method,
            "checked": self.check is not None,
            "notes": list(self.notes),
            "seconds": self.seconds,
        }

    def _repr_latex_(self) -> str:
        return f"$\\displaystyle {sp.latex(self.matrix)}$"
