"""A Fisher matrix evaluated numerically, for entries without a closed form.

Returned by :func:`symfisher.fisher` only when the caller passes
``allow_numeric=True`` and some entry resisted every symbolic route. It is clearly
marked (``is_numeric`` is True) and is not a SymPy matrix: it evaluates E[s sᵀ] by
quadrature/summation at the parameter values it is given. Entries that do have a
closed form are kept and evaluated from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp

from symfisher.derive.check.integrate import numeric_expectations
from symfisher.derive.score import score
from symfisher.errors import DomainError
from symfisher.families.protocol import FamilyLike

__all__ = ["NumericFisher"]


@dataclass(frozen=True)
class NumericFisher:
    """Fisher information with some entries available only numerically.

    Attributes
    ----------
    family : Family or family-like
        The family (p parameters).
    closed : Mapping[(int, int), Expr]
        Entries (i ≤ j) that have a closed form.
    numeric : tuple of (int, int)
        Entries (i ≤ j) evaluated by quadrature at each call.
    notes : tuple of str
        Provenance: why those entries are numeric.

    Examples
    --------
    >>> nf.evaluate({"mu": 0.5, "sigma": 2.0})        # doctest: +SKIP
    matrix([[0.25, 0.0], [0.0, 0.5]])
    """

    family: FamilyLike
    closed: Mapping[tuple[int, int], sp.Expr]
    numeric: tuple[tuple[int, int], ...]
    notes: tuple[str, ...] = ()
    is_numeric: bool = True

    def _point(self, values: Mapping[Any, Any]) -> dict[sp.Symbol, sp.Expr]:
        by_name = {s.name: s for s in (*self.family.params, *getattr(self.family, "fixed", ()))}
        point = {}
        for key, val in values.items():
            sym = key if isinstance(key, sp.Symbol) else by_name.get(str(key))
            if sym is None:
                raise DomainError(f"{key!r} is not a parameter or fixed constant of {self.family}")
            point[sym] = sp.nsimplify(val, rational=True) if isinstance(val, float) else sp.sympify(val)
        absent = [s.name for s in by_name.values() if s not in point]
        if absent:
            raise DomainError(f"NumericFisher.evaluate needs values for {absent}")
        return point

    def evaluate(self, values: Mapping[Any, Any], dps: int = 20) -> mpmath.matrix:
        """The (p, p) Fisher matrix at the given parameter (and constant) values.

        Parameters
        ----------
        values : Mapping
            Parameter/constant (Symbol or name) → number.
        dps : int
            Working precision of the quadrature.

        Returns
        -------
        mpmath.matrix
            Shape (p, p).
        """
        point = self._point(values)
        s = score(self.family)
        pairs = self.numeric

        def combine(vals: Any) -> list[Any]:
            return [vals[i] * vals[j] for i, j in pairs]

        got = numeric_expectations(self.family, list(s), point, dps, combine)
        p = len(self.family.params)
        out = mpmath.matrix(p, p)
        with mpmath.workdps(dps):
            for (i, j), e in self.closed.items():
                out[i, j] = out[j, i] = mpmath.mpmathify(str(sp.N(e.xreplace(point), dps)))
            for k, (i, j) in enumerate(self.numeric, start=1):
                out[i, j] = out[j, i] = got.values[k]
        return out

    def __repr__(self) -> str:
        return (
            f"NumericFisher(NUMERIC evaluation for {getattr(self.family, 'name', 'family')}: "
            f"entries {list(self.numeric)} by quadrature, {len(self.closed)} closed-form entries)"
        )
