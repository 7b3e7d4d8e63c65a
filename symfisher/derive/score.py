"""Score, Hessian and observed information of a parametric family.

All three are plain derivatives of the log-density ℓ(x; θ) with respect to the
parameters θ (length p). They depend on the data variables x.

Differentiation happens with the data variables and the parameters replaced by
dummies that carry the assumptions their supports and domains imply (a continuous
variable is real, a count is an integer, a parameter in (0, ∞) is positive). This
keeps ``d|x - mu|/dmu = -sign(x - mu)`` instead of a complex-analytic expression and
lets ``sqrt(sigma**2)`` become ``sigma``; the original symbols are put back after.
"""

from __future__ import annotations

import sympy as sp

from symfisher._runtime.caches import memo
from symfisher.errors import InputTypeError
from symfisher.families.domains import assumptions_of as _domain_assumptions
from symfisher.families.protocol import FamilyLike

__all__ = ["score", "hessian", "observed_information", "real_dummies", "log_density"]


def real_dummies(fam: FamilyLike) -> dict[sp.Symbol, sp.Dummy]:
    """Dummies with the assumptions implied by supports and domains.

    Parameters
    ----------
    fam : Family or family-like
        Needs ``variables``, ``params`` and optionally ``domains``/``is_discrete``.

    Returns
    -------
    dict
        Symbol → Dummy for every data variable and every parameter whose
        assumptions are strengthened (others are left out).

    Examples
    --------
    >>> x = sp.Symbol("x"); lam = sp.Symbol("lam", positive=True)
    >>> from symfisher.families.base import Family
    >>> d = real_dummies(Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo)))
    >>> d[x].is_real
    True
    """
    out: dict[sp.Symbol, sp.Dummy] = {}
    discrete = bool(getattr(fam, "is_discrete", False))
    for v in fam.variables:
        out[v] = sp.Dummy(v.name, integer=True) if discrete else sp.Dummy(v.name, real=True)
    domains = getattr(fam, "domains", {})
    for s in fam.params:
        assumptions = _domain_assumptions(domains.get(s, sp.Reals))
        if assumptions and not all(getattr(s, f"is_{k}") for k in assumptions):
            out[s] = sp.Dummy(s.name, **assumptions)
    return out


def log_density(fam: FamilyLike) -> sp.Expr:
    """The log-density of a family or family-like object (``fam.logpdf``)."""
    logpdf = getattr(fam, "logpdf", None)
    if logpdf is None:
        raise InputTypeError(f"{type(fam).__name__} has no log-density (attribute 'logpdf')")
    return sp.sympify(logpdf)


def _tidy(expr: sp.Expr) -> sp.Expr:
    """Light canonical form of a derivative: cancelled over a common denominator."""
    expr = sp.expand_log(expr)
    if expr.has(sp.Abs, sp.sign, sp.Piecewise, sp.Max, sp.Min, sp.Heaviside):
        return expr
    together = sp.cancel(sp.together(expr))
    return together if sp.count_ops(together) <= sp.count_ops(expr) else expr


def _derivatives(fam: FamilyLike, order: int) -> sp.ImmutableMatrix:
    try:
        return _derivatives_cached(fam, order)
    except TypeError:  # an unhashable family-like object: no memoisation
        return _compute_derivatives(fam, order)


@memo(maxsize=256)
def _derivatives_cached(fam: FamilyLike, order: int) -> sp.ImmutableMatrix:
    """Memoised by the family's content (Family hashes by its key)."""
    return _compute_derivatives(fam, order)


def _compute_derivatives(fam: FamilyLike, order: int) -> sp.ImmutableMatrix:
    dummies = real_dummies(fam)
    back = {d: s for s, d in dummies.items()}
    ell = log_density(fam).xreplace(dummies)
    theta = [dummies.get(s, s) for s in fam.params]
    grad = [_tidy(sp.diff(ell, t)) for t in theta]
    if order == 1:
        rows = [[g.xreplace(back)] for g in grad]
    else:
        p = len(theta)
        cells = [[sp.S.Zero] * p for _ in range(p)]
        for i in range(p):
            for j in range(i, p):
                cells[i][j] = cells[j][i] = _tidy(sp.diff(grad[i], theta[j])).xreplace(back)
        rows = cells
    return sp.ImmutableMatrix(rows)


def score(fam: FamilyLike) -> sp.ImmutableMatrix:
    """The score ∇_θ ℓ(x; θ).

    Parameters
    ----------
    fam : Family or family-like
        Any object with ``logpdf``, ``variables`` and ``params`` (length p).

    Returns
    -------
    sympy.ImmutableMatrix
        Shape (p, 1), rows in the order of ``fam.params``; depends on the data.

    Examples
    --------
    >>> import symfisher as sf
    >>> x = sp.Symbol("x"); lam = sp.Symbol("lam", positive=True)
    >>> sf.score(sf.Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo)))
    Matrix([[-x + 1/lam]])
    """
    return _derivatives(fam, 1)


def hessian(fam: FamilyLike) -> sp.ImmutableMatrix:
    """The Hessian ∇²_θ ℓ(x; θ) of the log-density (pointwise in x).

    Parameters
    ----------
    fam : Family or family-like
        Any object with ``logpdf``, ``variables`` and ``params`` (length p).

    Returns
    -------
    sympy.ImmutableMatrix
        Shape (p, p), symmetric, in the order of ``fam.params``.

    Notes
    -----
    Where the log-density is not twice differentiable in θ (``Abs(x - mu)``) the
    pointwise Hessian is not the distributional one; :func:`symfisher.fisher` detects
    that and uses the score route instead.

    Examples
    --------
    >>> import symfisher as sf
    >>> x = sp.Symbol("x"); lam = sp.Symbol("lam", positive=True)
    >>> sf.hessian(sf.Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo)))
    Matrix([[-1/lam**2]])
    """
    return _derivatives(fam, 2)


def observed_information(fam: FamilyLike) -> sp.ImmutableMatrix:
    """The observed information −∇²_θ ℓ(x; θ).

    Parameters
    ----------
    fam : Family or family-like
        Any object with ``logpdf``, ``variables`` and ``params`` (length p).

    Returns
    -------
    sympy.ImmutableMatrix
        Shape (p, p), in the order of ``fam.params``.

    Examples
    --------
    >>> import symfisher as sf
    >>> x = sp.Symbol("x"); lam = sp.Symbol("lam", positive=True)
    >>> sf.observed_information(sf.Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo)))
    Matrix([[lam**(-2)]])
    """
    return sp.ImmutableMatrix(-hessian(fam))
