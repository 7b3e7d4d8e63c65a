"""Normalisation of geometry inputs: a Family or a plain metric with coordinates.

Every geometric derivation in :mod:`symfisher.geometry.tensors` accepts either a
:class:`~symfisher.families.base.Family` (metric = Fisher information, coordinates =
``family.params``) or a plain SymPy matrix together with its coordinate symbols. This
module turns both into one frozen :class:`MetricData` value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.functions.elementary.trigonometric import TrigonometricFunction

from symfisher.errors import DerivationError, InputError, InputTypeError
from symfisher.families.protocol import FamilyLike

__all__ = ["MetricData", "metric_data", "is_family", "tidy", "check_closed_form"]


@dataclass(frozen=True)
class MetricData:
    """A symmetric metric ``g`` (p × p) in the coordinates ``coords`` (length p).

    Parameters
    ----------
    g : sympy.ImmutableMatrix
        The metric tensor g_ij, shape (p, p), symmetric.
    coords : tuple of sympy.Symbol
        The coordinates θ¹..θᵖ; row/column i of ``g`` belongs to ``coords[i]``.
    family : object or None
        The family the metric came from (``None`` for a plain metric); not part of
        equality or the hash (which use the content fields below).
    domains : tuple of sympy.Set
        Domain of each coordinate: the family's domains, those given with a plain
        metric (``coords={theta: Interval(...)}``), or those its assumptions state.
    constraints : tuple of sympy relations
        Joint constraints on the coordinates (the family's).
    """

    g: sp.ImmutableMatrix
    coords: tuple[sp.Symbol, ...]
    family: FamilyLike | None = field(default=None, compare=False)
    domains: tuple[sp.Set, ...] = ()
    constraints: tuple[sp.Basic, ...] = ()

    @property
    def dim(self) -> int:
        """Number of coordinates p."""
        return len(self.coords)


def is_family(obj: object) -> bool:
    """True when ``obj`` looks like a symfisher Family (has ``logpdf`` and ``params``)."""
    return hasattr(obj, "logpdf") and hasattr(obj, "params")


def tidy(expr: sp.Expr) -> sp.Expr:
    """Simplify one tensor component.

    A rational function of the coordinates (constants such as π or γ allowed) is put
    in canonical cancelled, factored form — fast and exact. Anything with functions of
    the coordinates (polygamma, Bessel, trigonometric) goes through ``simplify`` (and
    ``fu`` for trigonometric terms), keeping the shortest candidate.

    Parameters
    ----------
    expr : sympy.Expr
        A component of a metric, connection or curvature tensor.

    Returns
    -------
    sympy.Expr
        An equivalent, usually shorter expression (0 when it vanishes identically).
    """
    expr = sp.sympify(expr)
    if expr.is_number or expr == 0:
        return sp.nsimplify(expr) if expr.is_Float else expr
    expr = sp.cancel(sp.together(expr))
    if expr == 0 or expr.is_number:
        return expr
    if not any(f.free_symbols for f in expr.atoms(sp.Function)) and not any(
        e.exp.free_symbols for e in expr.atoms(sp.Pow)
    ):
        return min([expr, sp.factor(expr)], key=sp.count_ops)
    candidates = [expr, sp.simplify(expr)]
    if expr.has(TrigonometricFunction):
        candidates.append(sp.fu(expr))
    return min(candidates, key=sp.count_ops)


def check_closed_form(g: sp.MatrixBase, what: str = "metric") -> None:
    """Raise :class:`DerivationError` naming the first entry left as an integral or sum.

    Parameters
    ----------
    g : sympy.Matrix
        Matrix to inspect, shape (p, p).
    what : str
        Name used in the message (``"metric"``, ``"skewness tensor"``, ...).
    """
    for i in range(g.rows):
        for j in range(g.cols):
            if g[i, j].has(sp.Integral, sp.Sum):
                raise DerivationError(
                    f"{what} entry [{i}, {j}] has no closed form ({g[i, j]}); use the numeric "
                    "route (symfisher.geometry.geodesic with a numeric metric, or verify(..., dps=30))"
                )


def _check_symmetric(g: sp.MatrixBase) -> None:
    if g.rows != g.cols:
        raise InputError(f"metric must be square, got shape {g.shape}")
    for i in range(g.rows):
        for j in range(i + 1, g.cols):
            if sp.simplify(g[i, j] - g[j, i]) != 0:
                raise InputError(
                    f"metric is not symmetric: g[{i}, {j}] = {g[i, j]} differs from g[{j}, {i}] = {g[j, i]}"
                )


def _coords_tuple(coords: Any, p: int) -> tuple[sp.Symbol, ...]:
    if coords is None:
        raise InputError("a plain metric needs its coordinates: pass coords=[theta1, ...]")
    out = tuple(sp.sympify(c) for c in coords)
    bad = [c for c in out if not isinstance(c, sp.Symbol)]
    if bad:
        raise InputError(f"coordinates must be SymPy symbols, got {bad[0]!r}")
    if len(out) != p:
        raise InputError(f"metric is {p} x {p} but {len(out)} coordinates were given: {out}")
    if len(set(out)) != len(out):
        raise InputError(f"coordinates must be distinct, got {out}")
    return out


def metric_data(obj: Any, coords: Any = None) -> MetricData:
    """Metric and coordinates of a Family or of a plain metric.

    Parameters
    ----------
    obj : Family or sympy.Matrix
        A family (its Fisher information is the metric, ``family.params`` the
        coordinates) or a symmetric p × p SymPy matrix.
    coords : sequence of sympy.Symbol or dict {Symbol: Set}, optional
        Coordinates of a plain metric (required then), optionally with their domains
        (default: the domain the symbol's assumptions state); for a family, an
        optional check that they equal ``family.params``.

    Returns
    -------
    MetricData

    Raises
    ------
    ValueError
        Non-square or non-symmetric metric (the message names the entry), or
        coordinates that do not match.
    DerivationError
        A metric entry without closed form.

    Examples
    --------
    >>> import sympy as sp
    >>> s = sp.Symbol("sigma", positive=True); m = sp.Symbol("mu", real=True)
    >>> metric_data(sp.diag(1 / s**2, 2 / s**2), [m, s]).dim
    2
    """
    from symfisher.families.domains import domain_from_assumptions

    if is_family(obj):
        from symfisher.derive.fisher.api import fisher

        params = tuple(obj.params)
        if coords is not None and tuple(coords) != params:
            raise InputError(f"coords {tuple(coords)} differ from the family's params {params}")
        g = sp.ImmutableMatrix(fisher(obj))
        check_closed_form(g)
        doms = tuple(obj.domains[c] for c in params)
        return MetricData(g=g, coords=params, family=obj, domains=doms, constraints=tuple(obj.constraints))
    if not isinstance(obj, sp.MatrixBase):
        raise InputTypeError(f"expected a Family or a SymPy Matrix, got {type(obj).__name__}")
    g = sp.ImmutableMatrix(obj)
    _check_symmetric(g)
    check_closed_form(g)
    cs = _coords_tuple(coords, g.rows)
    given = dict(coords) if isinstance(coords, Mapping) else {}
    doms = tuple(sp.sympify(given[c]) if c in given else domain_from_assumptions(c) for c in cs)
    return MetricData(g=g, coords=cs, domains=doms)
