"""Reduction of a univariate continuous family to a standard kernel.

A *reduction* is a chain of changes of variable ``x = φ(y)`` that turns the family's
density into one of the kernels of :mod:`symfisher.derive.expectation.kernels`. Each step
maps a :class:`Density1D` to a new one and a statistic ``g(x)`` to ``g(φ(y))``:

* ``locscale``: ``x = m + c·z`` with ``m`` a real parameter (or 0) and ``c`` a positive
  parameter, its square root (or 1), accepted when the standardised density is free of
  the parameters used (normal, Laplace, logistic, Cauchy, Student-t, Gumbel, von Mises);
* ``fold``: a symmetric density on ℝ becomes the density of ``|z|`` on (0, ∞) and
  ``g ↦ (g(y) + g(−y))/2`` (Laplace, Cauchy, Student-t);
* ``exp``: ``z = ∓log w`` maps ℝ to (0, ∞) (Gumbel ``w = e^{−z} ~ Exp(1)``, logistic
  ``w = e^{−z}`` ~ beta prime);
* ``log``: ``x = e^t`` maps (0, ∞) to ℝ (log-normal);
* ``unit``: ``x = lo + (hi − lo) u`` maps a finite interval to (0, 1) (uniform);
* ``tail``: ``x = L/u`` maps (L, ∞) to (0, 1) (Pareto with fixed ``x_m = L``).

The search is breadth-first over chains of at most three steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import sympy as sp
from sympy.functions.elementary.hyperbolic import HyperbolicFunction

from symfisher.derive.expectation.kernels import Density1D, Kernel, match_kernel
from symfisher.derive.expectation.numeric import numeric_constant
from symfisher.errors import DerivationError

__all__ = ["Reduction", "find_reduction"]

Mapper = Callable[[sp.Expr], sp.Expr]


@dataclass(frozen=True)
class Reduction:
    """A chain of substitutions ending in a kernel.

    Attributes
    ----------
    steps : tuple of str
        Names of the steps, for provenance (e.g. ``("locscale", "fold")``).
    density : Density1D
        The final standard density.
    kernel : Kernel
        The recognised kernel.
    mappers : tuple of callables
        ``g(x) ↦ g(φ(y))`` for each step, applied in order.
    """

    steps: tuple[str, ...]
    density: Density1D
    kernel: Kernel
    mappers: tuple[Mapper, ...]

    def expect(self, g: sp.Expr) -> sp.Expr:
        """E[g] by mapping ``g`` through the steps and using the kernel.

        Terms the kernel cannot do are split off one by one; a parameter-free term is
        then evaluated numerically and recognised (PSLQ, confirmed to more digits).
        """
        g = g.replace(lambda e: isinstance(e, HyperbolicFunction), lambda e: e.rewrite(sp.exp))
        for mapper in self.mappers:
            g = mapper(g)
        try:
            return self.kernel.expect(g)
        except DerivationError:
            pass
        total = sp.S.Zero
        var = self.density.var
        for term in sp.Add.make_args(sp.expand(g)):
            coef, stat = term.as_independent(var, as_Add=False)
            try:
                total += coef * self.kernel.expect(stat)
            except DerivationError as exc:
                try:
                    total += coef * numeric_constant(stat, self.density)
                except DerivationError as exc2:
                    raise DerivationError(f"{self.kernel.name} kernel: {exc}; PSLQ: {exc2}") from None
        return total


def _clean(expr: sp.Expr) -> sp.Expr:
    return sp.expand(sp.expand_log(sp.expand_power_base(expr, force=True), force=True))


def _subst(d: Density1D, new_var: sp.Symbol, phi: sp.Expr) -> tuple[sp.Expr, Mapper]:
    """Log-density of y where x = φ(y), and the statistic mapper."""
    jac = sp.log(sp.Abs(sp.diff(phi, new_var)))
    logpdf = _clean(d.logpdf.xreplace({d.var: phi}) + jac)
    old = d.var
    return logpdf, lambda g: g.xreplace({old: phi})


def _locscale_candidates(params: Sequence[sp.Symbol], domains: dict) -> Iterator[tuple[sp.Expr, sp.Expr]]:
    locs = [p for p in params if domains[p] == sp.Reals]
    scales: list[sp.Expr] = []
    for p in params:
        if domains[p] == sp.Interval.open(0, sp.oo):
            scales += [p, sp.sqrt(p)]
    for m in locs:
        for c in scales:
            yield m, c
    for m in locs:
        yield m, sp.S.One
    for c in scales:
        yield sp.S.Zero, c


def _step_locscale(d: Density1D, ctx: _Ctx) -> Iterator[tuple[str, Density1D, Mapper]]:
    kind = d.kind
    if kind not in ("R", "circle"):
        return
    for m, c in _locscale_candidates(ctx.params, ctx.domains):
        if kind == "circle" and c != 1:
            continue
        z = sp.Dummy("z", real=True)
        logpdf, mapper = _subst(d, z, m + c * z)
        used = m.free_symbols | c.free_symbols
        if not logpdf.free_symbols & used:
            lo, hi = (d.lo, d.hi) if kind == "R" else (-sp.pi, sp.pi)
            yield "locscale", Density1D(z, logpdf, lo, hi), mapper
            return


def _step_fold(d: Density1D, ctx: _Ctx) -> Iterator[tuple[str, Density1D, Mapper]]:
    if d.kind != "R":
        return
    z = d.var
    if sp.expand(d.logpdf.xreplace({z: -z}) - d.logpdf) != 0:
        return
    y = sp.Dummy("y", positive=True)
    logpdf = _clean(d.logpdf.xreplace({z: y}) + sp.log(2))
    yield "fold", Density1D(y, logpdf, sp.S.Zero, sp.oo), lambda g: (g.xreplace({z: y}) + g.xreplace({z: -y})) / 2


def _step_exp(d: Density1D, ctx: _Ctx) -> Iterator[tuple[str, Density1D, Mapper]]:
    if d.kind != "R":
        return
    for sign in (-1, 1):
        w = sp.Dummy("w", positive=True)
        logpdf, mapper = _subst(d, w, sign * sp.log(w))
        yield "exp", Density1D(w, logpdf, sp.S.Zero, sp.oo), mapper


def _step_log(d: Density1D, ctx: _Ctx) -> Iterator[tuple[str, Density1D, Mapper]]:
    if d.kind != "R+":
        return
    t = sp.Dummy("t", real=True)
    logpdf, mapper = _subst(d, t, sp.exp(t))
    yield "log", Density1D(t, logpdf, -sp.oo, sp.oo), mapper


def _step_interval(d: Density1D, ctx: _Ctx) -> Iterator[tuple[str, Density1D, Mapper]]:
    if d.kind not in ("other",):
        return
    u = sp.Dummy("u", positive=True)
    if d.lo != -sp.oo and d.hi != sp.oo:
        logpdf, mapper = _subst(d, u, d.lo + (d.hi - d.lo) * u)
        yield "unit", Density1D(u, logpdf, sp.S.Zero, sp.S.One), mapper
    elif d.lo != -sp.oo and d.hi == sp.oo:
        if d.lo.is_positive:
            logpdf, mapper = _subst(d, u, d.lo / u)
            yield "tail", Density1D(u, logpdf, sp.S.Zero, sp.S.One), mapper
        v = sp.Dummy("v", positive=True)
        logpdf, mapper = _subst(d, v, d.lo + v)
        yield "shift", Density1D(v, logpdf, sp.S.Zero, sp.oo), mapper


@dataclass(frozen=True)
class _Ctx:
    params: tuple[sp.Symbol, ...]
    domains: dict


_STEPS = (_step_locscale, _step_fold, _step_exp, _step_log, _step_interval)


def find_reduction(d: Density1D, params: Sequence[sp.Symbol], domains: dict, depth: int = 3) -> Reduction | None:
    """Breadth-first search for a chain of steps ending in a standard kernel.

    Parameters
    ----------
    d : Density1D
        The family's density in its data variable.
    params : sequence of Symbol
        Parameters that may serve as location or scale.
    domains : dict {Symbol: Set}
        Their domains.
    depth : int
        Maximal number of steps.

    Returns
    -------
    Reduction or None

    Examples
    --------
    >>> x = sp.Symbol("x"); mu = sp.Symbol("mu", real=True); b = sp.Symbol("b", positive=True)
    >>> lap = Density1D(x, -sp.Abs(x - mu) / b - sp.log(2 * b), -sp.oo, sp.oo)
    >>> find_reduction(lap, [mu, b], {mu: sp.Reals, b: sp.Interval.open(0, sp.oo)}).steps
    ('locscale', 'fold')
    """
    ctx = _Ctx(tuple(params), dict(domains))
    frontier: list[tuple[tuple[str, ...], Density1D, tuple[Mapper, ...]]] = [((), d, ())]
    for _ in range(depth + 1):
        nxt = []
        for steps, dens, mappers in frontier:
            kernel: Kernel | None = match_kernel(dens)
            if kernel is not None:
                return Reduction(steps, dens, kernel, mappers)
            for step in _STEPS:
                for name, new, mapper in step(dens, ctx):
                    nxt.append((steps + (name,), new, mappers + (mapper,)))
        frontier = nxt
    return None
