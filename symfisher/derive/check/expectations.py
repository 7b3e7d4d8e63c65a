"""The value type of the numeric cross-check: expectations at one parameter point."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Expectations"]


@dataclass(frozen=True)
class Expectations:
    """Numeric expectations at one parameter point.

    Attributes
    ----------
    values : tuple of mpmath.mpf
        E[f_k] for every integrand, in order.
    method : str
        Which numeric method was used.
    rel_tol : float
        The relative tolerance this method supports.
    std_errors : tuple of float
        Standard errors (Monte Carlo only; zeros otherwise).
    """

    values: tuple[Any, ...]
    method: str
    rel_tol: float
    std_errors: tuple[float, ...] = ()
