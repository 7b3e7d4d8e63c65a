"""Exact values of per-point model quantities on the boundary of a box design space.

Generated kernels evaluate a formula as written; at a boundary point such as dose 0 a
formula like ``x**h*log(x)`` or ``(x/s)**d1*log(x/s)`` is ``0·(−∞)`` (NaN) or raises
``ZeroDivisionError``, although the quantity has a finite one-sided limit (here 0). This
module derives that limit symbolically — substitution where it is finite, otherwise
``sympy.limit`` from inside the box — and compiles it as a *face kernel* with the same
arguments as the original kernel. Points on a face are then evaluated by the face
kernel: the reported information at dose 0 is the exact limit, never the value at a point
moved inside the space.

Faces are derived lazily (only when the plain kernel fails at a boundary point), so
models without singular points cost nothing extra.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import NDArray

from symfisher.errors import DerivationError, SymfisherError

Array = NDArray[np.float64]
Face = tuple[tuple[int, float, str], ...]  # ((factor index, bound value, side "+" or "-"), ...)

__all__ = [
    "BoundaryEvaluator",
    "NonFiniteInformationError",
    "boundary_value",
    "face_expression",
]


class NonFiniteInformationError(SymfisherError, FloatingPointError):
    """A model quantity is not finite at a design point, even as a one-sided limit."""


def _finite(expr: sp.Expr) -> bool:
    return not expr.has(sp.nan, sp.zoo, sp.oo, -sp.oo, sp.AccumBounds)


def _limit(expr: sp.Expr, var: sp.Symbol, point: sp.Expr, side: str) -> sp.Expr | None:
    """``sympy.limit`` or None when SymPy fails or returns no definite value."""
    try:
        lim = sp.limit(expr, var, point, side)
    except (NotImplementedError, ValueError, TypeError, RecursionError, AttributeError):
        return None
    return None if lim.has(sp.Limit, sp.nan, sp.AccumBounds) else lim


def _term_limit(term: sp.Expr, var: sp.Symbol, point: sp.Expr, side: str) -> sp.Expr | None:
    """Limit of one product: constant factors out; factors with a finite non-zero value at
    the point are continuous there and substituted; only the others go to ``sympy.limit``."""
    coeff, dep = term.as_independent(var, as_Add=False)
    direct = dep.subs(var, point)
    if _finite(direct):
        return coeff * direct
    lim = _limit(dep, var, point, side)
    if lim is not None:
        return coeff * lim
    regular: list[tuple[sp.Expr, sp.Expr]] = []
    singular: list[tuple[sp.Expr, sp.Expr]] = []
    for f in sp.Mul.make_args(dep):
        v = f.subs(var, point)
        (regular if _finite(v) and v != 0 else singular).append((f, v))
    if not regular:
        return None
    lim = _limit(sp.Mul(*[f for f, _ in singular]), var, point, side)
    return None if lim is None else coeff * sp.Mul(*[v for _, v in regular]) * lim


def boundary_value(expr: sp.Expr, var: sp.Symbol, value: float, side: str) -> sp.Expr:
    """The one-sided limit of ``expr`` as ``var → value`` from ``side`` (``"+"``/``"-"``).

    Substitution when it gives a finite expression; otherwise the sum of the limits of
    its terms (each product split into its continuous and its singular factors); otherwise
    ``sympy.limit`` of the whole expression.

    Raises
    ------
    DerivationError
        SymPy cannot establish the limit (the message names the expression).

    Examples
    --------
    >>> x = sp.Symbol("x", nonnegative=True); h = sp.Symbol("h", positive=True)
    >>> boundary_value(x**h * sp.log(x), x, 0.0, "+")
    0
    """
    expr = sp.sympify(expr)
    if var not in expr.free_symbols:
        return expr
    point = sp.Rational(value) if np.isfinite(value) else sp.oo * (1 if value > 0 else -1)
    direct = expr.subs(var, point)
    if _finite(direct):
        return direct
    terms = [_term_limit(t, var, point, side) for t in sp.Add.make_args(expr)]
    if all(t is not None for t in terms):
        total = sp.Add(*terms)
        if not total.has(sp.nan):
            return total
    lim = _limit(expr, var, point, side)
    if lim is None:
        raise DerivationError(f"cannot establish the limit of {expr} as {var} -> {value}{side}")
    return lim


def face_expression(exprs: Any, variables: tuple[sp.Symbol, ...], face: Face) -> Any:
    """``exprs`` (Matrix or Array) with each entry replaced by its limit on ``face``.

    Limits are taken factor by factor in the order of ``face`` (a corner is the limit
    on one face, then on the next).
    """

    def entry(e: sp.Expr) -> sp.Expr:
        for a, value, side in face:
            e = boundary_value(e, variables[a], value, side)
        return e

    return exprs.applyfunc(entry)


class BoundaryEvaluator:
    """Evaluate a compiled per-point quantity with exact values on the faces of a box.

    Parameters
    ----------
    kernel_fn : callable
        ``X (N, q) -> array (S, N, ...)``: the plain kernel at points ``X``.
    face_fn : callable
        ``face -> (X (N, q) -> array (S, N, ...))``: the face kernel (compiled on demand).
    bounds : array (q, 2)
        The box.
    slope_fallback : callable, optional
        For derivatives only: ``X -> array`` used for entries whose one-sided limit is
        infinite (``d/dx x**0.33`` at 0). Such a slope is only a search direction for the
        optimiser, never a reported value.
    """

    def __init__(
        self,
        kernel_fn: Callable[[Array], Array],
        face_fn: Callable[[Face], Callable[[Array], Array]],
        bounds: Array,
        slope_fallback: Callable[[Array], Array] | None = None,
    ) -> None:
        self.kernel_fn, self.face_fn = (
            kernel_fn,
            functools.lru_cache(maxsize=None)(face_fn),
        )
        self.bounds = np.asarray(bounds, dtype=float)
        self.slope_fallback = slope_fallback

    def faces(self, X: Array) -> list[Face]:
        """The face of each row of ``X`` (empty tuple: interior point)."""
        lo, hi = self.bounds[:, 0], self.bounds[:, 1]
        out = []
        for row in X:
            face = []
            for a, v in enumerate(row):
                if v <= lo[a] and np.isfinite(lo[a]):
                    face.append((a, float(lo[a]), "+"))
                elif v >= hi[a] and np.isfinite(hi[a]):
                    face.append((a, float(hi[a]), "-"))
            out.append(tuple(face))
        return out

    def __call__(self, X: Array) -> Array:
        X = np.ascontiguousarray(X, dtype=float)
        if X.shape[0] == 0:
            return np.asarray(self.kernel_fn(X), dtype=float)
        try:
            out = np.array(self.kernel_fn(X), dtype=float)
            bad = ~np.isfinite(out.reshape(out.shape[0], out.shape[1], -1)).all(axis=(0, 2))
        except ZeroDivisionError:
            out, bad = None, np.ones(X.shape[0], dtype=bool)
        if not bad.any() and out is not None:
            return out
        faces = self.faces(X)
        rows = np.flatnonzero(bad)
        if out is None:
            interior = np.array([i for i in rows if not faces[i]], dtype=int)
            try:
                probe = np.asarray(self.kernel_fn(X[interior]), dtype=float) if interior.size else None
            except ZeroDivisionError:
                raise NonFiniteInformationError(
                    f"the model's information divides by zero at design point(s) {X[interior].tolist()}"
                ) from None
            out = self._assemble(X, rows, faces, probe, interior)
        else:
            self._fill_faces(out, X, rows, faces)
        if self.slope_fallback is not None:
            self._fallback_slopes(out, X, faces)
        return self._check(out, X)

    def _fallback_slopes(self, out: Array, X: Array, faces: list[Face]) -> None:
        flat = out.reshape(out.shape[0], out.shape[1], -1)
        rows = [i for i in range(X.shape[0]) if faces[i] and not np.isfinite(flat[:, i]).all()]
        if rows and self.slope_fallback is not None:
            alt = np.asarray(self.slope_fallback(X[rows]), dtype=float)
            sub = out[:, rows]
            out[:, rows] = np.where(np.isfinite(sub), sub, alt)

    def _assemble(self, X: Array, rows: Any, faces: list[Face], probe: Any, interior: Any) -> Array:
        if probe is not None:
            sample = probe
        else:
            first = next(i for i in rows if faces[i])
            sample = self.face_fn(faces[first])(X[first : first + 1])
        out = np.full((sample.shape[0], X.shape[0], *sample.shape[2:]), np.nan)
        if probe is not None:
            out[:, interior] = probe
        self._fill_faces(out, X, rows, faces)
        return out

    def _fill_faces(self, out: Array, X: Array, rows: Any, faces: list[Face]) -> None:
        for face in sorted({faces[i] for i in rows if faces[i]}):
            idx = np.array([i for i in rows if faces[i] == face], dtype=int)
            out[:, idx] = self.face_fn(face)(X[idx])

    @staticmethod
    def _check(out: Array, X: Array) -> Array:
        bad = ~np.isfinite(out.reshape(out.shape[0], out.shape[1], -1)).all(axis=(0, 2))
        if bad.any():
            raise NonFiniteInformationError(
                f"the model's information is not finite at design point(s) {X[bad].tolist()} "
                "(not even as a limit from inside the design space)"
            )
        return out
