"""Supports that SymPy's set classes cannot express directly."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symfisher.errors import InputError


@dataclass(frozen=True)
class Simplex:
    """The open probability simplex in corner coordinates.

    ``Simplex(n)`` is the set of points ``(x_1, ..., x_n)`` with every ``x_i > 0`` and
    ``x_1 + ... + x_n < 1``; the last component of a probability vector,
    ``x_{n+1} = 1 - Σ x_i``, is implied. A Dirichlet on ``k`` categories therefore has
    ``Simplex(k - 1)`` as support and ``k - 1`` data variables.

    Parameters
    ----------
    n : int
        Number of free coordinates (``n >= 1``).

    Examples
    --------
    >>> Simplex(2).contains((0.2, 0.3))
    True
    >>> Simplex(2).contains((0.7, 0.4))
    False
    """

    n: int

    def __post_init__(self) -> None:
        if not isinstance(self.n, int) or self.n < 1:
            raise InputError(f"Simplex needs a positive integer dimension, got {self.n!r}")

    @property
    def free_symbols(self) -> set[sp.Symbol]:
        """No parameter appears in a simplex (it never makes a family non-regular)."""
        return set()

    def contains(self, point: tuple[float, ...]) -> bool:
        """Whether ``point`` (length ``n``) lies strictly inside the simplex."""
        if len(point) != self.n:
            raise InputError(f"Simplex({self.n}) point needs {self.n} coordinates, got {len(point)}")
        return all(float(v) > 0 for v in point) and float(sum(point)) < 1

    def __str__(self) -> str:
        return f"Simplex({self.n})"
