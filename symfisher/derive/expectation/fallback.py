"""Last resorts of the expectation engine: budgeted ``integrate``/``summation`` and
numeric recognition of constants.

``integrate`` and ``summation`` have no timeout of their own; they run in a forked
child under :func:`symfisher._runtime.budget.run_with_budget`. Parameters whose domain
is (0, 1) are substituted ``p = q/(1 + q)`` with ``q > 0`` first (SymPy's assumptions
cannot state ``0 < p < 1`` and would return a case split), and substituted back.
Results that still contain an ``Integral``, ``Sum`` or ``Piecewise`` are rejected.

A statistic whose expectation is a pure number (no free symbols) can instead be
evaluated with mpmath at high precision and recognised by PSLQ over the basis
``1, π, π², γ, γ², log 2, ζ(3), π log 2, γ log 2, log² 2`` — the recognised form is
accepted only when it matches to many more digits than were used to find it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import mpmath
import sympy as sp

from symfisher.errors import DerivationError

__all__ = ["integrate_with_budget", "recognise_constant", "unit_interval_trick"]

_BAD = (sp.Integral, sp.Sum, sp.Piecewise)


def unit_interval_trick(params: Mapping[sp.Symbol, sp.Set]) -> tuple[dict, dict]:
    """Substitutions ``p → q/(1+q)`` (q > 0) for parameters in (0, 1), and back."""
    fwd, back = {}, {}
    for p, dom in params.items():
        if dom == sp.Interval.open(0, 1):
            q = sp.Dummy(f"q_{p.name}", positive=True)
            fwd[p] = q / (1 + q)
            back[q] = p / (1 - p)
    return fwd, back


def _do_integral(integrand: sp.Expr, var: sp.Symbol, lo: sp.Expr, hi: sp.Expr, discrete: bool) -> sp.Expr:
    if discrete:
        return sp.summation(integrand, (var, lo, hi))
    return sp.integrate(integrand, (var, lo, hi), conds="none")


def integrate_with_budget(
    stat: sp.Expr,
    logpdf: sp.Expr,
    var: sp.Symbol,
    lo: sp.Expr,
    hi: sp.Expr,
    domains: Mapping[sp.Symbol, sp.Set],
    discrete: bool,
    seconds: float,
) -> sp.Expr:
    """E[stat] by SymPy ``integrate``/``summation`` in a child process with a deadline.

    Parameters
    ----------
    stat, logpdf : sympy.Expr
        The statistic and the log-density in ``var``.
    var : Symbol
        The data variable.
    lo, hi : Expr
        Integration (summation) limits.
    domains : Mapping
        Parameter domains (for the (0, 1) substitution).
    discrete : bool
        Sum instead of integrate.
    seconds : float
        Time budget.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    DerivationError
        On timeout, error, or a result that is not a closed form.
    """
    from symfisher._runtime.budget import run_with_budget
    from symfisher.errors import BudgetExceeded

    fwd, back = unit_interval_trick(domains)
    integrand = (stat * sp.exp(logpdf)).xreplace(fwd)
    try:
        outcome = run_with_budget(_do_integral, integrand, var, lo, hi, discrete, seconds=seconds)
    except BudgetExceeded as exc:
        raise DerivationError(f"{'summation' if discrete else 'integrate'} of E[{stat}]: {exc}") from None
    if outcome.error is not None:
        raise DerivationError(f"integrate/summation of E[{stat}] failed: {outcome.error}")
    value = outcome.value
    if value is None or value.has(*_BAD) or value.has(sp.nan, sp.zoo):
        raise DerivationError(f"integrate/summation of E[{stat}] gave no closed form: {value}")
    return sp.simplify(value.xreplace(back)) if back else value


def _basis(dps: int) -> list[tuple[str, mpmath.mpf, sp.Expr]]:
    with mpmath.workdps(dps):
        return [
            ("pi", +mpmath.pi, sp.pi),
            ("pi2", mpmath.pi**2, sp.pi**2),
            ("g", +mpmath.euler, sp.EulerGamma),
            ("g2", mpmath.euler**2, sp.EulerGamma**2),
            ("l2", mpmath.log(2), sp.log(2)),
            ("z3", mpmath.zeta(3), sp.zeta(3)),
            ("gl2", mpmath.euler * mpmath.log(2), sp.EulerGamma * sp.log(2)),
            ("l22", mpmath.log(2) ** 2, sp.log(2) ** 2),
        ]


def recognise_constant(evaluate: Callable[[int], mpmath.mpf], what: str, dps: int = 40) -> sp.Expr:
    """Recognise a real constant given an evaluator at a requested precision.

    PSLQ on ``(value, 1, basis...)`` at ``dps`` digits, then confirmation of the
    recognised form at ``dps + 25`` digits (to 1e-(dps+15)).

    Parameters
    ----------
    evaluate : callable
        ``evaluate(dps)`` returns the constant computed with ``dps`` correct digits.
    what : str
        Description used in error messages.
    dps : int
        Working precision of the search.

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> recognise_constant(lambda d: mpmath.pi**2 / 6 + 1, "test")
    1 + pi**2/6
    """
    with mpmath.workdps(dps):
        value = evaluate(dps)
        basis = _basis(dps)
        rel = mpmath.pslq([value, mpmath.mpf(1)] + [b[1] for b in basis], maxcoeff=10**4, maxsteps=10**5)
    if rel is None or rel[0] == 0:
        raise DerivationError(f"no integer relation found for the constant {what} ≈ {mpmath.nstr(value, 20)}")
    expr = -(sp.Integer(rel[1]) + sum(sp.Integer(c) * b[2] for c, b in zip(rel[2:], basis))) / sp.Integer(rel[0])
    hi = dps + 25
    with mpmath.workdps(hi):
        check = evaluate(hi)
        if abs(check - mpmath.mpf(sp.N(expr, hi + 5))) > mpmath.mpf(10) ** (-(dps + 15)):
            raise DerivationError(f"constant {what}: recognised form {expr} failed confirmation at {hi} digits")
    return expr
