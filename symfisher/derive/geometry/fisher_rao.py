"""Closed-form Fisher–Rao distances, recognised from the metric itself.

No family is looked up by name: each recogniser inspects the metric g in its
coordinates and returns a distance formula only when the metric has the required
form (checked symbolically, and the one-dimensional antiderivative also numerically).

Recognised forms
----------------
* one coordinate: ``d = |F(b) − F(a)|`` with ``F = ∫ √g dθ`` (Poisson
  ``2|√λ₁ − √λ₂|``, Bernoulli ``2|arcsin √p₁ − arcsin √p₂|``, exponential ``|log(λ₁/λ₂)|``);
* a diagonal metric whose i-th entry depends on θ_i only: a product of 1-D pieces,
  ``d² = Σ d_i²``;
* a half-plane metric ``C / σ²`` with a constant positive-definite 2 × 2 matrix C
  (every location–scale family in (μ, σ)): with ``u = μ + (C₁₂/C₁₁) σ``,
  ``ds² = (C₁₁ du² + (det C / C₁₁) dσ²)/σ²`` and
  ``d = √b arccosh(1 + ((a/b) Δu² + Δσ²) / (2 σ₁ σ₂))``, a = C₁₁, b = det C / C₁₁
  (normal: Costa, Santos & Strapasson 2015, eq. 8);
* a constant multiple c of the simplex metric ``δ_ij/p_i + 1/p_k`` (categorical,
  multinomial): ``d = 2 √c arccos Σ_i √(p_i q_i)`` over all k outcomes (Amari 1985).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.integrals.manualintegrate import manualintegrate

from symfisher._runtime.caches import memo
from symfisher.derive.geometry.metric import tidy

__all__ = ["ClosedDistance", "closed_form_distance"]


@dataclass(frozen=True)
class ClosedDistance:
    """A distance formula ``expr(a, b)`` between the points a and b.

    Attributes
    ----------
    expr : sympy.Expr
        The distance in the fresh symbols ``a`` (first point) and ``b`` (second point).
    a, b : tuple of sympy.Dummy
        Fresh coordinates of the two points (length p each), in coordinate order.
    form : str
        Which recogniser matched (``"1-D integral"``, ``"product"``, ``"half-plane"``,
        ``"simplex"``).
    """

    expr: sp.Expr
    a: tuple[sp.Dummy, ...]
    b: tuple[sp.Dummy, ...]
    form: str


def _fresh(coords: tuple[sp.Symbol, ...], tag: str) -> tuple[sp.Dummy, ...]:
    return tuple(sp.Dummy(f"{c.name}_{tag}", **_assumptions(c)) for c in coords)


def _assumptions(c: sp.Symbol) -> dict[str, bool]:
    return {k: v for k, v in c.assumptions0.items() if k in ("positive", "real", "negative")}


def _strip_piecewise(expr: sp.Expr) -> sp.Expr:
    return expr.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.args[0].expr)


def _integrands(g: sp.Expr) -> list[sp.Expr]:
    """Equivalent forms of √g; SymPy's pattern integrator is sensitive to the form."""
    inv = sp.cancel(1 / g)
    return [1 / sp.sqrt(sp.expand(inv)), sp.sqrt(g), 1 / sp.sqrt(sp.factor(inv))]


def _verified(F: sp.Expr, sqrt_g: sp.Expr, x: sp.Symbol, samples: tuple[float, ...]) -> bool:
    dF = F.diff(x)
    for v in samples:
        want = complex(sqrt_g.subs(x, v).evalf(30))
        got = complex(dF.subs(x, v).evalf(30))
        if abs(want.imag) > 0 or abs(got - want) > 1e-12 * abs(want):
            return False
    return True


def antiderivative(g: sp.Expr, x: sp.Symbol, samples: tuple[float, ...]) -> sp.Expr | None:
    """F with F' = √g, verified at the sample points to 1e-12 relative, else None.

    Parameters
    ----------
    g : sympy.Expr
        A one-dimensional metric g(x) (the line element is √g).
    x : sympy.Symbol
        The coordinate.
    samples : tuple of float
        Points inside the coordinate's domain used to verify F' = √g.

    Returns
    -------
    sympy.Expr or None
        F may carry a constant imaginary part (a logarithm of a negative number);
        differences F(b) − F(a) are real.
    """
    for integrand in _integrands(g):
        try:
            F = _strip_piecewise(manualintegrate(integrand, x))
        except (ValueError, TypeError, NotImplementedError):
            continue
        if F.has(sp.Integral) or F.free_symbols - g.free_symbols - {x}:
            continue
        if _verified(F, sp.sqrt(g), x, samples):
            return F
    return None


def _one_dim(g: sp.Expr, x: sp.Symbol, a: sp.Dummy, b: sp.Dummy, samples: tuple[float, ...]) -> sp.Expr | None:
    F = antiderivative(g, x, samples)
    if F is None:
        return None
    return sp.Abs(F.subs(x, b) - F.subs(x, a))


def _product(
    g: sp.ImmutableMatrix,
    coords: tuple[sp.Symbol, ...],
    a: tuple,
    b: tuple,
    samples: dict[sp.Symbol, tuple[float, ...]],
) -> sp.Expr | None:
    p = len(coords)
    if any(g[i, j] != 0 for i in range(p) for j in range(p) if i != j):
        return None
    parts = []
    for i, c in enumerate(coords):
        if g[i, i].free_symbols & (set(coords) - {c}):
            return None
        d = _one_dim(g[i, i], c, a[i], b[i], samples[c])
        if d is None:
            return None
        parts.append(d**2)
    return sp.sqrt(sp.Add(*parts))


def _half_plane(g: sp.ImmutableMatrix, coords: tuple[sp.Symbol, ...], a: tuple, b: tuple) -> sp.Expr | None:
    if len(coords) != 2:
        return None
    for k in (1, 0):  # which coordinate plays σ
        s = coords[k]
        C = g.applyfunc(lambda e, s=s: tidy(e * s**2))
        if C.free_symbols & set(coords) or not (C[0, 0].is_positive and C[1, 1].is_positive):
            continue
        det = tidy(C.det())
        if not det.is_positive:
            continue
        m = 1 - k
        am, bm = C[m, m], det / C[m, m]
        shift = C[0, 1] / C[m, m]
        du = (b[m] - a[m]) + shift * (b[k] - a[k])
        arg = 1 + ((am / bm) * du**2 + (b[k] - a[k]) ** 2) / (2 * a[k] * b[k])
        return sp.sqrt(bm) * sp.acosh(arg)
    return None


def _simplex(g: sp.ImmutableMatrix, coords: tuple[sp.Symbol, ...], a: tuple, b: tuple) -> sp.Expr | None:
    last = 1 - sp.Add(*coords)
    p = len(coords)
    ref = sp.Matrix(p, p, lambda i, j: (1 / coords[i] if i == j else 0) + 1 / last)
    c = tidy(g[0, 0] / ref[0, 0])
    if c.free_symbols & set(coords) or not c.is_positive:
        return None
    if any(tidy(g[i, j] - c * ref[i, j]) != 0 for i in range(p) for j in range(p)):
        return None
    pa = list(a) + [1 - sp.Add(*a)]
    pb = list(b) + [1 - sp.Add(*b)]
    bc = sp.Add(*[sp.sqrt(x * y) for x, y in zip(pa, pb)])
    return 2 * sp.sqrt(c) * sp.acos(bc)


@memo(maxsize=64)
def closed_form_distance(
    g: sp.ImmutableMatrix,
    coords: tuple[sp.Symbol, ...],
    samples: tuple[tuple[float, ...], ...],
) -> ClosedDistance | None:
    """Recognise a closed-form Fisher–Rao distance from the metric.

    Parameters
    ----------
    g : sympy.ImmutableMatrix
        Metric, shape (p, p).
    coords : tuple of sympy.Symbol
        Coordinates, length p.
    samples : tuple of tuple of float
        For each coordinate, a few interior points of its domain (used to verify
        antiderivatives numerically).

    Returns
    -------
    ClosedDistance or None
        None when no recogniser matches (use the numeric solver).

    Examples
    --------
    >>> lam = sp.Symbol("lam", positive=True)
    >>> cd = closed_form_distance(sp.ImmutableMatrix([[1 / lam]]), (lam,), ((0.5, 2.0),))
    >>> cd.form
    '1-D integral'
    """
    a, b = _fresh(coords, "1"), _fresh(coords, "2")
    samp = dict(zip(coords, samples))
    if len(coords) == 1:
        d = _one_dim(g[0, 0], coords[0], a[0], b[0], samples[0])
        return None if d is None else ClosedDistance(d, a, b, "1-D integral")
    for form, fn in (
        ("half-plane", lambda: _half_plane(g, coords, a, b)),
        ("simplex", lambda: _simplex(g, coords, a, b)),
        ("product", lambda: _product(g, coords, a, b, samp)),
    ):
        d = fn()
        if d is not None:
            return ClosedDistance(d, a, b, form)
    return None
