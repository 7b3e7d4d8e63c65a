"""Recognition of standard kernels in a univariate log-density.

Given a log-density ``ℓ(y)`` of one variable on a standard support, decide whether it
is one of the kernels whose expectations are known in closed form, and return a
function computing ``E[g(y)]``:

* on (0, ∞): generalised gamma, generalised beta prime, generalised inverse Gaussian
  (:mod:`symfisher.derive.expectation.mellin`);
* on (0, 1): beta;
* on ℝ: Gaussian (ℓ quadratic in y; polynomial statistics by Isserlis' theorem);
* on an interval of length 2π: von Mises ``c + κ cos y`` (trigonometric statistics,
  ``E[cos n y] = I_n(κ)/I_0(κ)``, Mardia & Jupp 2000, §3.5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import sympy as sp

from symfisher.derive.expectation.gauss import gaussian_expectation, quadratic_form
from symfisher.derive.expectation.mellin import (
    beta_kernel,
    gbp_kernel,
    gg_kernel,
    gig_kernel,
    mellin_expectation,
)
from symfisher.errors import DerivationError

__all__ = ["Density1D", "Kernel", "match_kernel"]

Expecter = Callable[[sp.Expr], sp.Expr]


@dataclass(frozen=True)
class Density1D:
    """A univariate log-density ``logpdf(var)`` on the open interval (lo, hi)."""

    var: sp.Symbol
    logpdf: sp.Expr
    lo: sp.Expr
    hi: sp.Expr

    @property
    def kind(self) -> str:
        """``"R"``, ``"R+"``, ``"unit"``, ``"circle"`` or ``"other"``."""
        lo, hi = self.lo, self.hi
        if lo == -sp.oo and hi == sp.oo:
            return "R"
        if lo == 0 and hi == sp.oo:
            return "R+"
        if lo == 0 and hi == 1:
            return "unit"
        if sp.simplify(hi - lo - 2 * sp.pi) == 0:
            return "circle"
        return "other"


@dataclass(frozen=True)
class Kernel:
    """A recognised kernel: its name and the function computing E[g] under it."""

    name: str
    expect: Expecter


def _terms(logpdf: sp.Expr, y: sp.Symbol) -> list[tuple[sp.Expr, sp.Expr]]:
    """``ℓ`` as a list of (y-free coefficient, y-dependent factor); constants dropped."""
    expanded = sp.expand(sp.expand_log(sp.expand_power_base(logpdf, force=True), force=True))
    groups: dict[sp.Expr, sp.Expr] = {}
    for term in sp.Add.make_args(expanded):
        coef, dep = term.as_independent(y, as_Add=False)
        if dep != 1:
            groups[dep] = groups.get(dep, sp.S.Zero) + coef
    return [(sp.factor(c), dep) for dep, c in groups.items() if c != 0]


def _power_of(dep: sp.Expr, y: sp.Symbol) -> sp.Expr | None:
    """The exponent k when ``dep = y**k`` (k free of y), else None."""
    if dep == y:
        return sp.S.One
    if isinstance(dep, sp.Pow) and dep.base == y and y not in dep.exp.free_symbols:
        return dep.exp
    return None


def _log_binomial(dep: sp.Expr, y: sp.Symbol) -> tuple[sp.Expr, sp.Expr, sp.Expr] | None:
    """``dep = log(d + e y^k)``: return (d, e, k), else None."""
    if not isinstance(dep, sp.log):
        return None
    d, rest = dep.args[0].as_independent(y, as_Add=True)
    e, power = rest.as_independent(y, as_Add=False)
    k = _power_of(power, y)
    if k is None or d == 0:
        return None
    return d, e, k


def _match_positive(d: Density1D) -> Kernel | None:
    y = d.var
    a = sp.S.One
    powers: list[tuple[sp.Expr, sp.Expr]] = []
    logs: list[tuple[sp.Expr, tuple[sp.Expr, sp.Expr, sp.Expr]]] = []
    for coef, dep in _terms(d.logpdf, y):
        if dep == sp.log(y):
            a += coef
        elif (power := _power_of(dep, y)) is not None:
            powers.append((-coef, power))
        elif (binomial := _log_binomial(dep, y)) is not None:
            logs.append((-coef, binomial))
        else:
            return None
    if len(powers) == 1 and not logs:
        b, k = powers[0]
        ker = gg_kernel(y, a, b, k)
    elif len(powers) == 2 and not logs and {powers[0][1], powers[1][1]} == {1, -1}:
        alpha = next(b for b, k in powers if k == 1)
        beta = next(b for b, k in powers if k == -1)
        ker = gig_kernel(y, a, alpha, beta)
    elif len(logs) == 1 and not powers:
        r, (dd, e, k) = logs[0]
        ker = gbp_kernel(y, a, r, e / dd, k)
    else:
        return None
    return Kernel(ker.name, partial(mellin_expectation, kernel=ker))


def _match_unit(d: Density1D) -> Kernel | None:
    y = d.var
    a, b = sp.S.One, sp.S.One
    for coef, dep in _terms(d.logpdf, y):
        if dep == sp.log(y):
            a += coef
        elif dep == sp.log(1 - y):
            b += coef
        else:
            return None
    ker = beta_kernel(y, a, b)
    return Kernel("BETA", lambda g: mellin_expectation(g, ker))


def _match_gauss(d: Density1D) -> Kernel | None:
    form = quadratic_form(d.logpdf, (d.var,))
    if form is None:
        return None
    return Kernel("GAUSS", lambda g: gaussian_expectation(g, (d.var,), form))


def _bessel_ratio(n: int, kappa: sp.Expr) -> sp.Expr:
    """I_n(κ)/I_0(κ) written with I_0 and I_1 only (three-term recurrence)."""
    n = abs(n)
    i_prev, i_cur = sp.besseli(0, kappa), sp.besseli(1, kappa)
    if n == 0:
        return sp.S.One
    for m in range(1, n):
        i_prev, i_cur = i_cur, i_prev - 2 * m * i_cur / kappa
    return i_cur / sp.besseli(0, kappa)


def _circular_expect(g: sp.Expr, y: sp.Symbol, kappa: sp.Expr) -> sp.Expr:
    """E[g] under ``exp(κ cos y)/(2π I_0(κ))``: ``E[e^{iny}] = I_n(κ)/I_0(κ)``."""
    waves = sp.powsimp(sp.expand(sp.expand(g).rewrite(sp.exp)), combine="exp")
    total = sp.S.Zero
    for term in sp.Add.make_args(sp.expand(waves)):
        coef, dep = term.as_independent(y, as_Add=False)
        if dep == 1:
            total += coef
            continue
        n = sp.expand(dep.args[0] / (sp.I * y)) if isinstance(dep, sp.exp) else None
        if n is None or not n.is_Integer:
            raise DerivationError(f"term {dep} is not a trigonometric polynomial in {y} (von Mises kernel)")
        total += coef * _bessel_ratio(int(n), kappa)
    return sp.expand(total)


def _match_circle(d: Density1D) -> Kernel | None:
    y = d.var
    kappa = None
    for coef, dep in _terms(d.logpdf, y):
        if dep == sp.cos(y) and kappa is None:
            kappa = coef
        else:
            return None
    if kappa is None:
        return None
    return Kernel("VON_MISES", lambda g: _circular_expect(g, y, kappa))


def match_kernel(d: Density1D) -> Kernel | None:
    """The standard kernel that ``d`` is, or None.

    Examples
    --------
    >>> y = sp.Dummy("y", positive=True)
    >>> match_kernel(Density1D(y, -y, sp.S.Zero, sp.oo)).name
    'GG'
    """
    kind = d.kind
    if kind == "R+":
        return _match_positive(d)
    if kind == "unit":
        return _match_unit(d)
    if kind == "R":
        return _match_gauss(d)
    if kind == "circle" and d.lo == -sp.pi:
        return _match_circle(d)
    return None
