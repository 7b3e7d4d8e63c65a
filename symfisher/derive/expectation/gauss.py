"""Gaussian expectations without integrals.

A log-density that is a quadratic polynomial in the data variables ``x`` (length d)
is a Gaussian with precision ``P = −∇²ℓ`` and mean ``m = P⁻¹ ∇ℓ(0)``. Expectations
of polynomials in ``x`` then follow from Isserlis' theorem on ``u = x − m``:
``E[u_i u_j] = C_ij`` (``C = P⁻¹``), odd moments vanish and higher even moments are
sums over pairings. No integral is ever computed, which also sidesteps SymPy 1.14's
wrong value (0) for Gaussian integrals with a ``negative=True`` coefficient (the normal
family in natural parameters).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from symfisher._runtime.caches import memo
from symfisher.errors import DerivationError

__all__ = ["GaussForm", "quadratic_form", "gaussian_expectation"]


@dataclass(frozen=True)
class GaussForm:
    """Mean (d × 1) and covariance (d × d) of a Gaussian log-density."""

    mean: sp.ImmutableMatrix
    cov: sp.ImmutableMatrix


def quadratic_form(logpdf: sp.Expr, xs: Sequence[sp.Symbol]) -> GaussForm | None:
    """Mean and covariance when ``logpdf`` is quadratic in ``xs``, else None.

    Parameters
    ----------
    logpdf : sympy.Expr
        Log-density in the variables ``xs`` (length d).
    xs : sequence of Symbol

    Returns
    -------
    GaussForm or None

    Examples
    --------
    >>> x = sp.Symbol("x"); s = sp.Symbol("s", positive=True)
    >>> quadratic_form(-x**2 / (2 * s**2) + x, [x]).cov
    Matrix([[s**2]])
    """
    xs = tuple(xs)
    # A user-written density keeps log(exp(q)/sqrt(det)) unsplit when the sign of det is
    # unknown. Splitting it (force=True) can only add constants free of xs (a branch of
    # log), which the x-derivatives below never see.
    logpdf = sp.expand_log(logpdf, force=True)
    try:
        poly = sp.Poly(sp.expand(logpdf), *xs)
    except sp.PolynomialError:
        return None
    if poly.total_degree() != 2:
        return None
    prec = sp.Matrix(len(xs), len(xs), lambda i, j: -sp.diff(logpdf, xs[i], xs[j]))
    grad0 = sp.Matrix([sp.diff(logpdf, v) for v in xs]).subs({v: 0 for v in xs})
    if any(e.free_symbols & set(xs) for e in prec):
        return None
    cov = _inverse(sp.ImmutableMatrix(prec))
    mean = (cov * grad0).applyfunc(sp.cancel)
    return GaussForm(sp.ImmutableMatrix(mean), cov)


@memo(maxsize=64)
def _inverse(prec: sp.ImmutableMatrix) -> sp.ImmutableMatrix:
    """Inverse of a symbolic precision matrix, fraction-free.

    With ``P = A / D`` (D the lcm of the denominators, A polynomial),
    ``P⁻¹ = D adj(A) / det(A)``; polynomial adjugate and determinant plus one
    ``cancel`` per entry are much faster than LU on rational functions (d = 3:
    seconds instead of minutes).
    """
    if prec.shape == (1, 1):
        return sp.ImmutableMatrix([[sp.cancel(1 / prec[0, 0])]])
    fracs = [sp.fraction(sp.together(e)) for e in prec]
    den = sp.lcm_list([d for _, d in fracs]) if len(fracs) > 1 else fracs[0][1]
    poly = sp.Matrix(prec.shape[0], prec.shape[1], [sp.cancel(n * den / d) for n, d in fracs])
    det = sp.factor(poly.det(method="berkowitz"))
    adj = poly.adjugate(method="berkowitz")
    return sp.ImmutableMatrix(adj.applyfunc(lambda e: sp.factor(sp.cancel(den * sp.expand(e) / det))))


def _isserlis(index: tuple[int, ...], cov: sp.ImmutableMatrix) -> sp.Expr:
    """E[u_{i1} ... u_{in}] for a centred Gaussian with covariance ``cov``."""
    if not index:
        return sp.S.One
    if len(index) % 2:
        return sp.S.Zero
    first, rest = index[0], index[1:]
    total = sp.S.Zero
    for pos, j in enumerate(rest):
        total += cov[first, j] * _isserlis(rest[:pos] + rest[pos + 1 :], cov)
    return total


def _poly_moment(poly_expr: sp.Expr, xs: tuple[sp.Symbol, ...], mean: sp.Matrix, cov: sp.ImmutableMatrix) -> sp.Expr:
    us = tuple(sp.Dummy(f"u{i}") for i in range(len(xs)))
    shifted = sp.expand(poly_expr.xreplace({v: mean[i] + us[i] for i, v in enumerate(xs)}))
    try:
        poly = sp.Poly(shifted, *us)
    except sp.PolynomialError as exc:
        raise DerivationError(f"{poly_expr} is not a polynomial in {xs}: Gaussian moments do not apply") from exc
    if any(c.free_symbols & set(us) for c in poly.coeffs()):
        raise DerivationError(f"{poly_expr} is not a polynomial in {xs}: Gaussian moments do not apply")
    total = sp.S.Zero
    for monom, coef in poly.terms():
        index = tuple(i for i, k in enumerate(monom) for _ in range(k))
        total += coef * _isserlis(index, cov)
    return total


def _split_exp(term: sp.Expr, xs: tuple[sp.Symbol, ...]) -> tuple[sp.Expr, sp.Expr]:
    """``term = poly · exp(h)``: return (poly part, h) with h collecting every exp factor."""
    h, rest = sp.S.Zero, []
    for fac in sp.Mul.make_args(sp.powsimp(term, combine="exp")):
        base, ex = fac.as_base_exp()
        if isinstance(base, sp.exp) or base == sp.E:
            h += (base.args[0] if isinstance(base, sp.exp) else 1) * ex
        else:
            rest.append(fac)
    return sp.Mul(*rest), sp.expand(h)


def gaussian_expectation(g: sp.Expr, xs: Sequence[sp.Symbol], form: GaussForm) -> sp.Expr:
    """E[g(x)] for ``g = Σ polynomial(x) · exp(linear(x))`` under the Gaussian ``form``.

    Polynomial parts use Isserlis' theorem; an exponential factor ``exp(bᵀx + c)``
    tilts the Gaussian: ``E[q(x) e^{bᵀx}] = e^{bᵀm + bᵀCb/2} E_{N(m + Cb, C)}[q(x)]``.

    Parameters
    ----------
    g : sympy.Expr
        The statistic; coefficients may be any expressions free of ``xs``.
    xs : sequence of Symbol (length d)
    form : GaussForm

    Returns
    -------
    sympy.Expr

    Raises
    ------
    DerivationError
        When a term is not of that form.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> form = GaussForm(sp.ImmutableMatrix([[0]]), sp.ImmutableMatrix([[2]]))
    >>> gaussian_expectation(x**4, [x], form)
    12
    """
    xs = tuple(xs)
    total = sp.S.Zero
    for term in sp.Add.make_args(sp.expand(g)):
        poly_part, h = _split_exp(term, xs)
        if h == 0:
            total += _poly_moment(poly_part, xs, form.mean, form.cov)
            continue
        b = sp.Matrix([sp.diff(h, v) for v in xs])
        if any(e.free_symbols & set(xs) for e in b):
            raise DerivationError(f"exp({h}) is not the exponential of an affine function of {xs}")
        c = h.xreplace({v: 0 for v in xs})
        cb = form.cov * b
        tilt = sp.exp(c + (b.T * form.mean)[0, 0] + (b.T * cb)[0, 0] / 2)
        total += tilt * _poly_moment(poly_part, xs, form.mean + cb, form.cov)
    return total
