"""What every identity check needs: the family, test points, precision, and the
common step "simplify a residual; if it is not 0, evaluate it with mpmath"."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import mpmath
import sympy as sp

from symfisher.derive.geometry.metric import tidy
from symfisher.errors import Deadline
from symfisher.families.base import Family
from symfisher.options import Status
from symfisher.verification.report import Outcome

T = TypeVar("T")

__all__ = [
    "Ctx",
    "judge",
    "skewness_of",
    "within",
    "Deadline",
    "judge_numbers",
    "numeric_abs",
    "abs_at_points",
    "flat",
    "tidy_within",
    "SIMPLIFY_SECONDS",
]


@dataclass(frozen=True)
class Ctx:
    """Inputs of one family's checks.

    Attributes
    ----------
    fam : Family
        The family.
    points : tuple of dict
        Test points {parameter or fixed constant: exact rational}.
    dps : int
        Working precision (decimal digits) of numeric evaluations.
    shared : Mapping[str, Any]
        Quantities several checks need (``"skewness"``, ``"kl"``, ``"expfam"``, ...),
        derived once by the runner under the time budget; absent when that failed.
        Numeric stand-ins (``"kl_numeric"``, ``"reparam_numeric"``) replace a closed
        form that could not be derived.
    notes : Mapping[str, str]
        Why a closed form is missing when its numeric stand-in is used.
    """

    fam: Family
    points: tuple[dict, ...]
    dps: int
    shared: Mapping[str, Any] = field(default_factory=dict, compare=False)
    notes: Mapping[str, str] = field(default_factory=dict, compare=False)

    def shared_or(self, key: str, derive: Callable[[Any], Any]) -> Any:
        """The precomputed ``shared[key]``, or ``derive(fam)`` when it is absent."""
        if key in self.shared:
            return self.shared[key]
        return derive(self.fam)

    @property
    def tol(self) -> float:
        """Relative tolerance of a numeric verification: 10^(−dps/2)."""
        return 10.0 ** (-self.dps // 2)


def skewness_of(ctx: Ctx) -> tuple[Any, Ctx, str]:
    """The skewness tensor for a check: (T, context to judge in, method note).

    The symbolic tensor when the runner derived it (or when it can be derived here).
    When only its quadrature stand-in exists (``shared["skewness_numeric"]``), T is a
    symmetric array of placeholder symbols τ_ijk and the returned context's points
    carry their values at each test point, so :func:`judge` evaluates the residuals
    with the numeric T (and can still prove an identity in which T cancels).
    """
    if "skewness" in ctx.shared or "skewness_numeric" not in ctx.shared:
        from symfisher.derive.geometry.connections import skewness_tensor

        return ctx.shared_or("skewness", skewness_tensor), ctx, ""
    p = len(ctx.fam.params)
    tau = {ix: sp.Dummy("T_" + "".join(map(str, ix))) for ix in ctx.shared["skewness_numeric"][0]}
    T = sp.ImmutableDenseNDimArray(
        [[[tau[tuple(sorted((i, j, k)))] for k in range(p)] for j in range(p)] for i in range(p)]
    )
    digits = ctx.dps + 15
    pts = tuple(
        {**pt, **{tau[ix]: sp.Float(mpmath.nstr(v, digits), digits) for ix, v in vals.items()}}
        for pt, vals in zip(ctx.points, ctx.shared["skewness_numeric"])
    )
    why = ctx.notes.get("skewness", "")
    note = "T_ijk = E[s_i s_j s_k] by mpmath quadrature" + (f" (symbolic route: {why})" if why else "")
    return T, Ctx(ctx.fam, pts, ctx.dps, ctx.shared, ctx.notes), note


def flat(obj: Any) -> list[sp.Expr]:
    """Entries of a matrix, array or list as a flat list of expressions."""
    if isinstance(obj, sp.MatrixBase):
        return list(obj)
    if isinstance(obj, sp.NDimArray):
        return sp.flatten(obj.tolist())
    if isinstance(obj, (list, tuple)):
        return [e for o in obj for e in flat(o)]
    return [sp.sympify(obj)]


def numeric_abs(expr: sp.Expr, point: dict, dps: int) -> mpmath.mpf:
    """|expr| at ``point`` with ``dps`` digits (mpmath, SymPy's adaptive ``evalf``)."""
    with mpmath.workdps(dps + 10):
        val = sp.N(sp.sympify(expr).subs(point), dps + 10)
        return abs(mpmath.mpmathify(complex(val)) if val.has(sp.I) else mpmath.mpf(str(val)))


_GUARD = 20
"""Guard digits of the fast evaluation in :func:`abs_at_points`."""


def abs_at_points(exprs: list[sp.Expr], points: Iterable[dict], dps: int) -> list[list[Any]]:
    """|expr| for every expression at every point (P lists of length E).

    All expressions are compiled once (mpmath ``lambdify`` with common subexpressions)
    and evaluated at ``dps + 20`` digits — far faster than ``evalf`` on large
    expressions (Bessel functions, many parameters); the guard digits absorb the
    cancellation of a residual that is 0. Where that fails (a function the mpmath
    printer does not know, a non-finite value), SymPy's adaptive ``evalf``
    (:func:`numeric_abs`) is used instead.
    """
    syms = sorted(set().union(*(sp.sympify(e).free_symbols for e in exprs)), key=lambda s: s.name)
    try:
        fn = sp.lambdify(syms, exprs, modules="mpmath", cse=True)
    except (TypeError, ValueError, NameError, SyntaxError):
        fn = None
    out = []
    for pt in points:
        vals = None
        if fn is not None and all(s in pt for s in syms):
            try:
                with mpmath.workdps(dps + _GUARD):
                    args = [mpmath.mpmathify(str(sp.N(pt[s], dps + _GUARD + 5))) for s in syms]
                    vals = [abs(mpmath.mpmathify(v)) for v in fn(*args)]
                if not all(mpmath.isfinite(v) for v in vals):
                    vals = None
            except (TypeError, ValueError, NameError, ZeroDivisionError, AttributeError):
                vals = None
        out.append(vals if vals is not None else [numeric_abs(e, pt, dps) for e in exprs])
    return out


SIMPLIFY_SECONDS = 5.0
"""Wall-clock seconds :func:`judge` spends simplifying residuals before it evaluates
them numerically instead (SymPy's ``trigsimp``/``factor`` can run for minutes on
Bessel or many-parameter expressions that are 0 to every digit)."""


def within(seconds: float, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in a budgeted child process, or :class:`Deadline` after ``seconds``.

    The package's one budget mechanism (:func:`symfisher._runtime.budget.run_with_budget`):
    the child and everything it started are killed on time-out, and the parent's SymPy
    state is never interrupted mid-computation (an interval-timer signal would be).
    An exception in ``fn`` comes back as a :class:`~symfisher.errors.DerivationError`.
    """
    from symfisher._runtime.budget import run_with_budget
    from symfisher.errors import BudgetExceeded, DerivationError

    try:
        out = run_with_budget(fn, *args, seconds=seconds)
    except BudgetExceeded:
        raise Deadline(f"took over {seconds:g} s") from None
    if out.error is not None:
        raise DerivationError(out.error)
    return out.value


def _tidy_all(res: list[sp.Expr]) -> list[sp.Expr]:
    return [tidy(r) for r in res]


def tidy_within(res: list[sp.Expr], seconds: float) -> list[sp.Expr] | None:
    """``[tidy(r) for r in res]``, or None when that takes longer than ``seconds``."""
    try:
        return within(seconds, _tidy_all, res)
    except Deadline:
        return None


def data_values(fam: Family) -> list[dict]:
    """Two exact data points inside the support (empty for a simplex support)."""
    sets = fam.support if isinstance(fam.support, tuple) else (fam.support,)
    if len(sets) != len(fam.variables):
        return []
    picks = []
    for st in sets:
        st = sp.Interval(-sp.oo, sp.oo) if st == sp.Reals else st
        if isinstance(st, sp.FiniteSet):
            vals = list(st)[:2]
        elif isinstance(st, sp.Range):
            vals = [st.inf + 1, st.inf + 3]
        elif isinstance(st, sp.Interval):
            a, b = st.inf, st.sup
            if a.is_finite and b.is_finite:
                vals = [(2 * a + b) / 3, (a + 2 * b) / 3]
            elif a.is_finite:
                vals = [a + sp.Rational(1, 2), a + sp.Rational(7, 3)]
            elif b.is_finite:
                vals = [b - sp.Rational(1, 2), b - sp.Rational(7, 3)]
            else:
                vals = [sp.Rational(-3, 4), sp.Rational(5, 3)]
        else:
            return []
        picks.append(vals if len(vals) == 2 else vals * 2)
    return [{x: v[k] for x, v in zip(fam.variables, picks)} for k in range(2)]


def judge(
    ctx: Ctx, residuals: Iterable[Any], scales: Iterable[Any] | None = None, what: str = "", simplify: bool = True
) -> Outcome:
    """Proved if every residual simplifies to 0; else verified/fails numerically.

    Parameters
    ----------
    ctx : Ctx
        Family, points, precision.
    residuals : iterable of sympy expressions
        lhs − rhs entries (matrices and arrays are flattened).
    scales : iterable of sympy expressions, optional
        Magnitudes the residuals are relative to (default 1).
    what : str
        Prefix of the reason text when the check fails.
    simplify : bool
        Try symbolic simplification first (for at most :data:`SIMPLIFY_SECONDS`; when
        it takes longer the residuals are evaluated as they are and the method column
        says so).

    Returns
    -------
    Outcome
    """
    res = flat(list(residuals))
    note = ""
    if simplify:
        simplified = tidy_within(res, SIMPLIFY_SECONDS)
        if simplified is None:
            note = f" (symbolic simplification gave up after {SIMPLIFY_SECONDS:g} s)"
        else:
            res = simplified
            if all(r == 0 for r in res):
                return Outcome(Status.PROVED, 0.0, "symbolic")
    sc = flat(list(scales)) if scales is not None else [sp.S.One] * len(res)
    xs = set(ctx.fam.variables)
    if any(sp.sympify(r).free_symbols & xs for r in res):
        at = data_values(ctx.fam)  # "for every x": residuals that kept x are checked at two x
        if at:
            res = [sp.sympify(r).xreplace(xv) for r in res for xv in at]
            sc = [sp.sympify(e).xreplace(xv) for e in sc for xv in at]
            note += ", at data values " + "; ".join(", ".join(f"{k} = {v}" for k, v in xv.items()) for xv in at)
    worst, where = mpmath.mpf(0), None
    values = abs_at_points([*sc, *res], ctx.points, ctx.dps)
    for pt, vals in zip(ctx.points, values):
        scale = max([*vals[: len(sc)], mpmath.mpf(1)])
        for r in vals[len(sc) :]:
            v = r / scale
            if not mpmath.isfinite(v) or v > worst:
                worst, where = v, pt
    method = f"mpmath at {len(ctx.points)} points, {ctx.dps} digits{note}"
    if mpmath.isfinite(worst) and worst <= ctx.tol:
        return Outcome(Status.NUMERIC, float(worst), method)
    where_str = {str(k): str(v) for k, v in (where or {}).items()}
    return Outcome(
        Status.FAILS,
        float(worst) if mpmath.isfinite(worst) else None,
        method,
        f"{what} residual {mpmath.nstr(worst, 5)} at {where_str}".strip(),
    )


def judge_numbers(
    ctx: Ctx, residuals: Iterable[Iterable[Any]], scales: Iterable[Iterable[Any]], method: str, what: str = ""
) -> Outcome:
    """Verified numerically if every residual is below ``ctx.tol`` relative; else fails.

    For residuals that are already numbers (e.g. a quadrature minus a closed form):
    at point k the residuals are divided by max(|scales[k]|, 1), as in :func:`judge`.

    Parameters
    ----------
    ctx : Ctx
        Family, points (length P), precision.
    residuals, scales : iterable (length P) of iterables of numbers
        Per point: the residuals and the magnitudes they are relative to.
    method : str
        The method column.
    what : str
        Prefix of the reason text when the check fails.

    Returns
    -------
    Outcome

    Examples
    --------
    >>> import symfisher as sf, sympy as sp
    >>> ctx = Ctx(sf.family("poisson"), ({sp.Symbol("lambda", positive=True): 1},), 30)
    >>> judge_numbers(ctx, [[1e-20]], [[2]], "quadrature").status.value
    'verified numerically'
    """
    worst, where = mpmath.mpf(0), None
    for pt, res, sc in zip(ctx.points, residuals, scales):
        scale = max([abs(mpmath.mpmathify(s)) for s in sc] + [mpmath.mpf(1)])
        for r in res:
            v = abs(mpmath.mpmathify(r)) / scale
            if not mpmath.isfinite(v) or v > worst:
                worst, where = v, pt
    if mpmath.isfinite(worst) and worst <= ctx.tol:
        return Outcome(Status.NUMERIC, float(worst), method)
    at = {str(k): str(v) for k, v in (where or {}).items()}
    return Outcome(
        Status.FAILS,
        float(worst) if mpmath.isfinite(worst) else None,
        method,
        f"{what} residual {mpmath.nstr(worst, 5)} at {at}".strip(),
    )
