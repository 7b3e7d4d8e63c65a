"""Design criteria in closed form: information matrices, criteria and sensitivities.

A :class:`SymbolicDesign` has a handful of support points and weights that may be SymPy
expressions. For it this module derives the information matrix ``M(ξ) = Σ wᵢ I(xᵢ, θ)``,
the criteria (D, A, E, c, L, Ds) and the equivalence-theorem sensitivity ``d(x, ξ)`` as
formulas; :func:`solve_design` (in :mod:`symfisher.design.solve`) finds the
stationary designs.

For a rank-one model, ``I(x) = f(x)ᵀ f(x)``, the determinant is expanded by the
Cauchy–Binet formula ``det Σ wᵢ fᵢᵀ fᵢ = Σ_{|S|=p} Π_{i∈S} wᵢ det(F_S)²``, which keeps the
formula factored (a generic determinant of the summed matrix does not).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from symfisher.errors import InputError, SymfisherError

MAX_SYMBOLIC_POINTS = 8
"""Designs with more support points should use the numeric path (``sf.optimal_design``)."""

CRITERIA = ("D", "A", "E", "c", "L", "Ds")


def _point(p: Any) -> Any:
    return tuple(sp.sympify(c) for c in p) if isinstance(p, (tuple, list)) else sp.sympify(p)


@dataclass(frozen=True, init=False)
class SymbolicDesign:
    """An approximate design whose points and weights may be symbolic.

    Parameters
    ----------
    points : sequence
        ``k`` support points: expressions, or tuples of expressions for several factors.
    weights : sequence, optional
        ``k`` weights summing to one (checked symbolically); equal weights by default.

    Examples
    --------
    >>> d, D = sp.symbols("d D", positive=True)
    >>> xi = SymbolicDesign([0, d, D])
    >>> xi.weights
    (1/3, 1/3, 1/3)
    """

    points: tuple[Any, ...]
    weights: tuple[sp.Expr, ...]

    def __init__(self, points: Sequence[Any], weights: Sequence[Any] | None = None) -> None:
        pts = tuple(_point(p) for p in points)
        if not pts:
            raise SymfisherError("a design needs at least one support point")
        ws = tuple(sp.Rational(1, len(pts)) for _ in pts) if weights is None else tuple(map(sp.sympify, weights))
        if len(ws) != len(pts):
            raise SymfisherError(f"the design has {len(pts)} points but {len(ws)} weights")
        total = sp.simplify(sp.Add(*ws) - 1)
        if total != 0:
            raise SymfisherError(f"the weights sum to {sp.simplify(sp.Add(*ws))}, not 1")
        for w in ws:
            if w.is_number and bool(w < 0):
                raise SymfisherError(f"weight {w} is negative")
        object.__setattr__(self, "points", pts)
        object.__setattr__(self, "weights", ws)

    @property
    def free_symbols(self) -> set[sp.Symbol]:
        """Symbols appearing in the points or weights."""
        out: set[sp.Symbol] = set()
        for p in self.points:
            for c in p if isinstance(p, tuple) else (p,):
                out |= c.free_symbols
        for w in self.weights:
            out |= w.free_symbols
        return out

    def subs(self, values: dict[Any, Any]) -> SymbolicDesign:
        """The design with ``values`` substituted (symbol → expression or number)."""
        pts = [tuple(c.subs(values) for c in p) if isinstance(p, tuple) else p.subs(values) for p in self.points]
        return SymbolicDesign(pts, [w.subs(values) for w in self.weights])


def _subs_point(expr: sp.Basic, xs: Sequence[sp.Symbol], point: Any) -> sp.Basic:
    vals = point if isinstance(point, tuple) else (point,)
    if len(vals) != len(xs):
        raise SymfisherError(f"design point {point} has {len(vals)} coordinate(s), the model has {len(xs)} factor(s)")
    return expr.subs(dict(zip(xs, vals)))


def _check_design(model: Any, xi: SymbolicDesign) -> None:
    if len(xi.points) > MAX_SYMBOLIC_POINTS:
        raise SymfisherError(
            f"a symbolic design with {len(xi.points)} points is too large for closed forms "
            f"(at most {MAX_SYMBOLIC_POINTS}); use sf.optimal_design for the numeric path"
        )
    p = len(model.params)
    if len(xi.points) < p:
        raise SymfisherError(
            f"the design has {len(xi.points)} support point(s) for {p} parameters: its information "
            "matrix is singular, so the criterion is not defined (use at least p points)"
        )


def factor_rows(model: Any, xi: SymbolicDesign) -> list[sp.Matrix] | None:
    """Rows ``f(xᵢ)`` (1 × p) when the model's information is rank one, else None."""
    f = model.factor()
    if f is None:
        return None
    return [sp.Matrix(_subs_point(sp.Matrix(f), model.x, x)) for x in xi.points]


def information_matrix(model: Any, xi: Any, *, theta: Any = None) -> Any:
    """``M(ξ) = Σ wᵢ I(xᵢ, θ)``.

    Parameters
    ----------
    model : Regression
        The model (``sf.fisher(model)`` is its per-point information).
    xi : SymbolicDesign or Design
        A symbolic design gives a SymPy ``ImmutableMatrix`` (p × p); a numeric
        ``sf.Design`` gives a NumPy array (p, p) and needs ``theta``.
    theta : dict, optional
        Parameter values: required with a numeric design, refused with a symbolic one
        (substitute into the returned matrix instead), so that each call signature has
        one return type.

    Examples
    --------
    >>> x = sp.Symbol("x"); a, b = sp.symbols("a b", real=True)
    >>> from symfisher.models.regression import Regression
    >>> m = Regression(a + b * x, x, [a, b], sigma=1)
    >>> information_matrix(m, SymbolicDesign([-1, 1]))
    Matrix([
    [1, 0],
    [0, 1]])
    """
    if not isinstance(xi, SymbolicDesign):
        return _numeric_information(model, xi, theta)
    if theta is not None:
        raise InputError(
            "information_matrix of a SymbolicDesign is symbolic: drop theta= and "
            "substitute values into the returned matrix"
        )
    _check_points_only(model, xi)
    rows = factor_rows(model, xi)
    if rows is not None:
        M = sp.zeros(len(model.params))
        for w, r in zip(xi.weights, rows):
            M += w * (r.T * r)
    else:
        info = sp.Matrix(model.fisher_information())
        M = sp.zeros(len(model.params))
        for w, x in zip(xi.weights, xi.points):
            M += w * _subs_point(info, model.x, x)
    return sp.ImmutableMatrix(M.applyfunc(sp.cancel))


def _check_points_only(model: Any, xi: SymbolicDesign) -> None:
    for p in xi.points:
        _subs_point(sp.Integer(0), model.x, p)


def _numeric_information(model: Any, design: Any, theta: Any) -> np.ndarray:
    from symfisher.design.optimal import theta_vector
    from symfisher.models.kernels import compiled

    if theta is None:
        raise SymfisherError("a numeric design needs theta= to evaluate its information matrix")
    des = getattr(design, "design", design)
    th = theta_vector(model, theta)
    X = np.asarray(des.points, float).reshape(len(des.weights), -1)
    cm = compiled(model)
    vals = np.asarray(cm.value(th[None], X, check=False))
    per = np.einsum("ni,nj->nij", vals, vals) if cm.rank_one else vals
    return np.einsum("n,nij->ij", np.asarray(des.weights, float), per)


def det_information(model: Any, xi: SymbolicDesign) -> sp.Expr:
    """``det M(ξ)`` — by Cauchy–Binet for rank-one models, factored."""
    _check_design(model, xi)
    rows = factor_rows(model, xi)
    p = len(model.params)
    if rows is None:
        return sp.factor(information_matrix(model, xi).det(method="berkowitz"))
    terms = []
    for S in itertools.combinations(range(len(rows)), p):
        dF = sp.factor(sp.cancel(sp.Matrix.vstack(*(rows[i] for i in S)).det(method="berkowitz")))
        if dF != 0:
            terms.append(sp.Mul(*(xi.weights[i] for i in S)) * dF**2)
    if not terms:
        raise SymfisherError("the information matrix of this design is singular for every parameter value")
    return sp.Add(*terms)


def _log_factor(f: sp.Expr) -> sp.Expr:
    """``log f`` split where that is valid: ``log b^(2m) = 2m log|b|`` only when b's sign is known."""
    base, e = f.as_base_exp()
    if e.is_integer and e.is_even:
        if base.is_positive:
            return e * sp.log(base)
        if (-base).is_positive:
            return e * sp.log(-base)
        return (e / 2) * sp.log(base**2)
    if f.is_positive:
        return sp.expand_log(sp.log(f), force=True)
    return sp.log(f)


def log_of_product(expr: sp.Expr) -> sp.Expr:
    """``log expr`` as a sum of logarithms of its factors, valid for a positive ``expr``."""
    if isinstance(expr, sp.Mul):
        return sp.Add(*(_log_factor(f) for f in expr.args))
    return _log_factor(expr)


def _log_det(model: Any, xi: SymbolicDesign) -> sp.Expr:
    return log_of_product(det_information(model, xi))


def _interest_indices(model: Any, interest: Sequence[Any] | None) -> list[int]:
    if not interest:
        raise SymfisherError("criterion 'Ds' needs interest=[parameters of interest]")
    idx = []
    for s in interest:
        if s not in model.params:
            raise SymfisherError(f"interest: {s} is not a parameter of the model ({list(model.params)})")
        idx.append(list(model.params).index(s))
    return idx


def _weight_matrix(model: Any, name: str, c: Any, L: Any) -> sp.Matrix:
    p = len(model.params)
    if name == "A":
        return sp.eye(p)
    if name == "c":
        if c is None:
            raise SymfisherError("criterion 'c' needs c= (a vector, or an expression g(θ) whose gradient is used)")
        vec = sp.Matrix([sp.diff(c, s) for s in model.params]) if isinstance(c, sp.Expr) else sp.Matrix(list(c))
        if vec.shape != (p, 1):
            raise SymfisherError(f"c has {len(vec)} entries, the model has {p} parameters")
        return vec * vec.T
    Lm = sp.Matrix(L)
    if Lm.shape != (p, p):
        raise SymfisherError(f"L must be {p} x {p}, got {Lm.shape}")
    return Lm


def criterion(
    model: Any,
    xi: SymbolicDesign,
    *,
    criterion: str = "D",
    interest: Sequence[Any] | None = None,
    c: Any = None,
    L: Any = None,
) -> sp.Expr:
    """The design criterion as a formula.

    ``"D"``: ``log det M``; ``"A"``: ``tr M⁻¹``; ``"c"``: ``cᵀ M⁻¹ c``; ``"L"``: ``tr(L M⁻¹)``;
    ``"Ds"``: ``log det M − log det M₂₂`` (M₂₂ the nuisance block); ``"E"``: ``λ_min(M)``,
    in closed form for p ≤ 2 only. D and Ds are maximised, A, c and L minimised.

    Examples
    --------
    >>> x = sp.Symbol("x"); a, b = sp.symbols("a b", real=True); t = sp.Symbol("t", positive=True)
    >>> from symfisher.models.regression import Regression
    >>> m = Regression(a + b * x, x, [a, b], sigma=1)
    >>> criterion(m, SymbolicDesign([-t, t]), criterion="D")
    2*log(t)
    """
    _check_design(model, xi)
    if criterion == "D":
        return _log_det(model, xi)
    M = sp.Matrix(information_matrix(model, xi))
    if criterion == "Ds":
        keep = _interest_indices(model, interest)
        rest = [i for i in range(M.rows) if i not in keep]
        if not rest:
            return _log_det(model, xi)
        return _log_det(model, xi) - log_of_product(sp.factor(M.extract(rest, rest).det()))
    if criterion == "E":
        if M.rows > 2:
            raise SymfisherError("the E criterion has a closed form only for p <= 2; use sf.optimal_design")
        if M.rows == 1:
            return sp.factor(M[0, 0])
        return sp.simplify((M.trace() - sp.sqrt(M.trace() ** 2 - 4 * M.det())) / 2)
    if criterion in ("A", "c", "L"):
        W = _weight_matrix(model, criterion, c, L)
        det = det_information(model, xi)
        return sp.factor(sp.cancel((W * M.adjugate()).trace() / det))
    raise SymfisherError(f"unknown criterion {criterion!r}; choose one of {list(CRITERIA)}")


def sensitivity(
    model: Any,
    xi: SymbolicDesign,
    *,
    criterion: str = "D",
    interest: Sequence[Any] | None = None,
    c: Any = None,
    L: Any = None,
) -> tuple[sp.Expr, sp.Expr]:
    """The equivalence-theorem sensitivity ``d(x, ξ)`` and its bound at the optimum.

    D: ``tr(M⁻¹ I(x))`` ≤ p; Ds: ``tr(M⁻¹ I(x)) − tr(M₂₂⁻¹ I₂₂(x))`` ≤ s; A/c/L:
    ``tr(W M⁻¹ I(x) M⁻¹)`` ≤ ``tr(W M⁻¹)``. ξ is optimal iff ``d(x, ξ)`` ≤ bound on the whole
    design space (Kiefer & Wolfowitz 1960).

    Returns
    -------
    (d, bound) : tuple of sympy.Expr
        ``d`` is an expression in the model's design variable(s).

    Examples
    --------
    >>> x = sp.Symbol("x"); a, b = sp.symbols("a b", real=True)
    >>> from symfisher.models.regression import Regression
    >>> m = Regression(a + b * x, x, [a, b], sigma=1)
    >>> sensitivity(m, SymbolicDesign([-1, 1]), criterion="D")
    (x**2 + 1, 2)
    """
    _check_design(model, xi)
    if criterion == "D":
        lag = _lagrange(model, xi)
        if lag is not None:  # saturated rank-one design: d(x) = Σ ℓᵢ(x)² / wᵢ
            d = sp.Add(*(li**2 / w for li, w in zip(lag, xi.weights)))
            small = sp.count_ops(d) <= 40  # a short sum is clearer collected; a long one as Σ ℓᵢ²/wᵢ
            return (sp.factor(sp.cancel(d)) if small else d), sp.Integer(len(model.params))
    M = sp.Matrix(information_matrix(model, xi))
    Minv = M.adjugate() / det_information(model, xi)
    Ix = sp.Matrix(model.fisher_information())
    p = M.rows
    if criterion == "D":
        return (Minv * Ix).trace(), sp.Integer(p)
    if criterion == "Ds":
        keep = _interest_indices(model, interest)
        rest = [i for i in range(p) if i not in keep]
        d = (Minv * Ix).trace()
        if rest:
            d -= (M.extract(rest, rest).inv(method="ADJ") * Ix.extract(rest, rest)).trace()
        return d, sp.Integer(len(keep))
    if criterion in ("A", "c", "L"):
        W = _weight_matrix(model, criterion, c, L)
        return (W * Minv * Ix * Minv).trace(), (W * Minv).trace()
    raise SymfisherError(f"no closed-form sensitivity for criterion {criterion!r}; choose one of D, Ds, A, c, L")


def _lagrange(model: Any, xi: SymbolicDesign) -> list[sp.Expr] | None:
    """``ℓ(x) = f(x) F⁻¹`` by Cramer's rule for a saturated rank-one design (k = p), else None."""
    rows = factor_rows(model, xi)
    if rows is None or len(rows) != len(model.params):
        return None
    F = sp.Matrix.vstack(*rows)
    det = sp.factor(sp.cancel(F.det(method="berkowitz")))
    if det == 0:
        return None
    fx = sp.Matrix(model.factor())
    out = []
    for i in range(len(rows)):
        Fi = F.copy()
        Fi[i, :] = fx
        out.append(sp.factor(sp.cancel(Fi.det(method="berkowitz"))) / det)
    return out
