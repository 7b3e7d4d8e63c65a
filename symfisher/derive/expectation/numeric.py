"""Parameter-free constants by high-precision quadrature and PSLQ recognition.

After a location–scale reduction, many statistics have expectations that are pure
numbers (the logistic scale entry ``(π² + 3)/9`` is one). When no kernel formula
applies, such a constant is integrated with mpmath (tanh–sinh quadrature) and
recognised by :func:`~symfisher.derive.expectation.fallback.recognise_constant`, which
confirms the recognised closed form to many more digits than were used to find it.
"""

from __future__ import annotations

import mpmath
import sympy as sp

from symfisher.derive.expectation.fallback import recognise_constant
from symfisher.derive.expectation.kernels import Density1D
from symfisher.errors import DerivationError

__all__ = ["numeric_constant"]


def _breakpoints(lo: sp.Expr, hi: sp.Expr) -> list[mpmath.mpf]:
    lo_m = mpmath.ninf if lo == -sp.oo else mpmath.mpf(sp.N(lo, 60))
    hi_m = mpmath.inf if hi == sp.oo else mpmath.mpf(sp.N(hi, 60))
    if lo == -sp.oo and hi == sp.oo:
        return [lo_m, -1, 0, 1, hi_m]
    if hi == sp.oo:
        return [lo_m, lo_m + 1, hi_m]
    return [lo_m, (lo_m + hi_m) / 2, hi_m]


def numeric_constant(g: sp.Expr, d: Density1D) -> sp.Expr:
    """Closed form of the parameter-free constant E[g] under the density ``d``.

    Parameters
    ----------
    g : sympy.Expr
        Statistic in ``d.var`` with no other free symbols.
    d : Density1D
        A density without free parameters.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    DerivationError
        When free parameters remain or no relation is found and confirmed.

    Examples
    --------
    >>> z = sp.Symbol("z", real=True)
    >>> numeric_constant(z**2, Density1D(z, -z**2 / 2 - sp.log(2 * sp.pi) / 2, -sp.oo, sp.oo))
    1
    """
    extra = (g.free_symbols | d.logpdf.free_symbols) - {d.var}
    if extra:
        raise DerivationError(f"E[{g}] depends on {sorted(map(str, extra))}: not a pure constant for PSLQ")
    f = sp.lambdify((d.var,), g * sp.exp(d.logpdf), modules="mpmath")

    def evaluate(dps: int) -> mpmath.mpf:
        with mpmath.workdps(dps + 10):
            return mpmath.quad(f, _breakpoints(d.lo, d.hi))

    return recognise_constant(evaluate, f"E[{g}]")
