"""The value type of a Fisher derivation: the matrix with its provenance."""

from __future__ import annotations

from dataclasses import dataclass

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
