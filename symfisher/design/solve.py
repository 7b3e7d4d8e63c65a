"""Optimal designs in closed form: stationary points of a symbolic criterion.

:func:`solve_design` differentiates the criterion of a :class:`SymbolicDesign` with
respect to the unknowns (support points and/or weights), clears denominators, factors
the stationarity equations, drops factors that cannot vanish, and solves. Candidates
are screened numerically at random parameter values that satisfy the assumptions; the
best one is returned as a formula. When no elementary solution exists the equation is
returned together with its numerical root (to 1e-12 when it involves no other symbol).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from symfisher.design.symbolic import SymbolicDesign
from symfisher.design.symbolic import criterion as criterion_formula
from symfisher.errors import SymfisherError

_MAXIMISED = {"D": 1, "Ds": 1, "E": 1, "A": -1, "c": -1, "L": -1}


@dataclass(frozen=True)
class DesignSolution:
    """A design derived in closed form (or reduced to one equation).

    Attributes
    ----------
    design : SymbolicDesign
        The design with the solution substituted (unchanged when not elementary).
    formula : dict {Symbol: Expr}
        The unknowns' closed forms; empty when no elementary solution was found.
    equations : tuple of sympy.Eq
        The stationarity equations the unknowns satisfy.
    elementary : bool
        Whether ``formula`` solves them in closed form.
    roots : dict {Symbol: float}
        Numerical roots (to 1e-12) when the equations involve the unknowns only.
    depends_on : tuple of Symbol
        Model parameters the optimal design depends on.
    note : str
        How the solution was found (stationary point, boundary, or equation only).
    """

    model: Any = field(repr=False)
    criterion: str
    design: SymbolicDesign
    formula: dict[sp.Symbol, sp.Expr]
    equations: tuple[sp.Eq, ...]
    elementary: bool
    roots: dict[sp.Symbol, float]
    depends_on: tuple[sp.Symbol, ...]
    note: str
    options: dict[str, Any] = field(default_factory=dict, repr=False)

    def numeric_design(self, values: Mapping[Any, float]) -> tuple[np.ndarray, np.ndarray]:
        """Points (k,) or (k, q) and weights (k,) at ``values`` (symbol or name → number)."""
        from symfisher.design.check import numeric_design

        return numeric_design(self, values)

    def check(self, theta: Mapping[Any, float], *, space: Any = None, grid: int = 2001) -> Any:
        """Compare with ``sf.optimal_design`` and check the equivalence theorem numerically.

        Parameters
        ----------
        theta : dict
            Values for the model parameters *and* any other symbol of the design
            (e.g. the dose range ``D``), by symbol or name.
        space : (lo, hi), optional
            The design space (default: the range of the design's points).
        grid : int
            Points of the grid on which the sensitivity is checked.

        Returns
        -------
        DesignCheck
            ``.ok``, ``.max_sensitivity``, ``.bound``, ``.points``/``.weights`` of both designs,
            ``.max_point_error``, ``.efficiency``.
        """
        from symfisher.design.check import check_solution

        return check_solution(self, theta, space=space, grid=grid)


def _numerators(expr: sp.Expr, unknowns: Sequence[sp.Symbol]) -> list[sp.Expr]:
    eqs = []
    for u in unknowns:
        num = sp.numer(sp.together(sp.diff(expr, u)))
        eqs.append(sp.factor(sp.expand(num)))
    return eqs


def _sample_symbols(symbols: Sequence[sp.Symbol], rng: np.random.Generator) -> dict[sp.Symbol, sp.Float]:
    out = {}
    for s in symbols:
        if s.is_positive or s.is_nonnegative:
            out[s] = sp.Float(float(rng.uniform(0.3, 4.0)), 30)
        elif s.is_negative:
            out[s] = sp.Float(float(-rng.uniform(0.3, 4.0)), 30)
        else:
            out[s] = sp.Float(float(rng.uniform(-3.0, 3.0)), 30)
    return out


def _samples(
    free: Sequence[sp.Symbol], assumptions: Sequence[sp.Basic], seed: int, n: int = 4
) -> list[dict[sp.Symbol, sp.Float]]:
    rng = np.random.default_rng(seed)
    out: list[dict[sp.Symbol, sp.Float]] = []
    for _ in range(400):
        vals = _sample_symbols(free, rng)
        if all(bool(a.subs(vals)) for a in assumptions if not (a.free_symbols - set(vals))):
            out.append(vals)
            if len(out) == n:
                return out
    raise SymfisherError(f"could not draw parameter values satisfying the assumptions {list(assumptions)}")


def _admissible(
    sol: dict[sp.Symbol, sp.Expr],
    xi: SymbolicDesign,
    assumptions: Sequence[sp.Basic],
    samples: list[dict[sp.Symbol, sp.Float]],
) -> bool:
    for vals in samples:
        num = {u: sp.N(e.subs(vals), 30) for u, e in sol.items()}
        if any(not v.is_real for v in num.values()):
            return False
        full = {**vals, **num}
        for a in assumptions:
            res = a.subs(full)
            if res.free_symbols or not bool(res):
                return False
        for w in xi.weights:
            wv = sp.N(w.subs(full), 30)
            if not wv.free_symbols and wv < 0:
                return False
    return True


def _score(crit: sp.Expr, sol: dict[sp.Symbol, sp.Expr], vals: dict[sp.Symbol, sp.Float], sign: int) -> float:
    """``sign · criterion`` at ``sol`` and ``vals``; a singular design scores −∞."""
    v = sp.N(crit.subs({u: e.subs(vals) for u, e in sol.items()}).subs(vals), 30)
    if not (v.is_number and v.is_finite and v.is_real):
        return -np.inf
    return sign * float(v)


def _best(
    cands: list[dict[sp.Symbol, sp.Expr]], crit: sp.Expr, sign: int, samples: list[dict[sp.Symbol, sp.Float]]
) -> dict[sp.Symbol, sp.Expr]:
    return max(cands, key=lambda sol: _score(crit, sol, samples[0], sign))


def _nonvanishing(factor: sp.Expr, unknowns: Sequence[sp.Symbol]) -> bool:
    if not (factor.free_symbols & set(unknowns)):
        return True
    base = factor.base if isinstance(factor, sp.Pow) else factor
    return bool(base.is_positive or base.is_negative)


def _reduced(eqs: list[sp.Expr], unknowns: Sequence[sp.Symbol]) -> list[sp.Expr]:
    out = []
    for e in eqs:
        _, factors = sp.factor_list(e)
        keep = [f for f, _ in factors if not _nonvanishing(f, unknowns)]
        out.append(sp.Mul(*keep) if keep else sp.Integer(1))
    return out


def _try_solve(eqs: list[sp.Expr], unknowns: Sequence[sp.Symbol]) -> list[dict[sp.Symbol, sp.Expr]] | None:
    try:
        sols = sp.solve(eqs, list(unknowns), dict=True)
    except (NotImplementedError, ValueError):
        return None
    sols = [s for s in sols if set(unknowns) <= set(s) and not any(e.has(sp.RootOf, sp.CRootOf) for e in s.values())]
    return sols or None


def solve_design(
    model: Any,
    xi: SymbolicDesign,
    *,
    criterion: str = "D",
    unknowns: Sequence[sp.Symbol],
    assumptions: Sequence[sp.Basic] = (),
    space: tuple[Any, Any] | None = None,
    **criterion_options: Any,
) -> DesignSolution:
    """Stationary points of a design criterion, in closed form where mathematics allows.

    Parameters
    ----------
    model : Regression
        The model.
    xi : SymbolicDesign
        A design whose points/weights contain the ``unknowns``.
    criterion : {"D", "Ds", "A", "c", "L", "E"}
        The criterion (maximised for D/Ds/E, minimised for A/c/L).
    unknowns : sequence of Symbol
        Free symbols of ``xi`` to solve for.
    assumptions : sequence of relations
        Inequalities the solution must satisfy, e.g. ``[d > 0, d < D]``.
    space : (lo, hi), optional
        Design space of a single factor; without an interior solution the best boundary
        point is returned (e.g. simple linear regression: the end points).
    **criterion_options
        ``interest``, ``c``, ``L`` for the corresponding criteria.

    Returns
    -------
    DesignSolution

    Examples
    --------
    >>> x = sp.Symbol("x", nonnegative=True); e0, emax = sp.symbols("e0 emax", real=True)
    >>> ed50, d, D = sp.symbols("ed50 d D", positive=True)
    >>> from symfisher.models.regression import Regression
    >>> m = Regression(e0 + emax * x / (ed50 + x), x, [e0, emax, ed50], sigma=1)
    >>> solve_design(m, SymbolicDesign([0, d, D]), criterion="D", unknowns=[d], assumptions=[d < D]).formula
    {d: D*ed50/(D + 2*ed50)}
    """
    unknowns = tuple(unknowns)
    bad = [u for u in unknowns if u not in xi.free_symbols]
    if bad or not unknowns:
        raise SymfisherError(
            f"unknowns {bad or '[]'} are not free symbols of the design "
            f"(its symbols: {sorted(map(str, xi.free_symbols))})"
        )
    sign = _MAXIMISED.get(criterion)
    if sign is None:
        raise SymfisherError(f"unknown criterion {criterion!r}; choose one of {sorted(_MAXIMISED)}")
    crit = criterion_formula(model, xi, criterion=criterion, **criterion_options)
    eqs = _reduced(_numerators(crit, unknowns), unknowns)
    others = sorted(
        (crit.free_symbols | xi.free_symbols) - set(unknowns) - set(getattr(model, "x", ())), key=lambda s: s.name
    )
    seed = zlib.crc32(sp.srepr(crit).encode())
    samples = _samples(others, assumptions, seed)
    equations = tuple(sp.Eq(e, 0) for e in eqs)
    base = dict(
        model=model,
        criterion=criterion,
        equations=equations,
        options=dict(criterion_options, assumptions=tuple(assumptions), space=space, crit=crit),
    )
    sols = _try_solve([e for e in eqs if e != 1], unknowns)
    cands = [s for s in (sols or []) if _admissible(s, xi, assumptions, samples)]
    if cands:
        best = {u: sp.factor(sp.simplify(e)) for u, e in _best(cands, crit, sign, samples).items()}
        return _solution(base, xi, best, "stationary point of the criterion (solved in closed form)")
    if space is not None and len(unknowns) == 1:
        edge = _boundary(crit, unknowns[0], space, sign, samples, xi, assumptions)
        if edge is not None:
            return _solution(base, xi, edge, "no interior stationary point: the optimum is on the boundary")
    roots = _numeric_roots(eqs, unknowns, crit, sign, assumptions)
    note = "the stationarity equation has no elementary solution" + (
        "; numerical root to 1e-12 given" if roots else "; solve it numerically for given parameter values"
    )
    deps = tuple(sorted(set().union(*(e.free_symbols for e in eqs)) & set(model.params), key=lambda s: s.name))
    return DesignSolution(design=xi, formula={}, elementary=False, roots=roots, depends_on=deps, note=note, **base)


def _solution(base: dict[str, Any], xi: SymbolicDesign, formula: dict[sp.Symbol, sp.Expr], note: str) -> DesignSolution:
    model = base["model"]
    deps = set().union(*(e.free_symbols for e in formula.values())) & set(model.params)
    return DesignSolution(
        design=xi.subs(formula),
        formula=formula,
        elementary=True,
        roots={},
        depends_on=tuple(sorted(deps, key=lambda s: s.name)),
        note=note,
        **base,
    )


def _boundary(
    crit: sp.Expr,
    u: sp.Symbol,
    space: tuple[Any, Any],
    sign: int,
    samples: list[dict[sp.Symbol, sp.Float]],
    xi: SymbolicDesign,
    assumptions: Sequence[sp.Basic],
) -> dict[sp.Symbol, sp.Expr] | None:
    ends = [{u: sp.sympify(e)} for e in space]
    ok = [e for e in ends if _admissible(e, xi, assumptions, samples)]
    if not ok:
        return None
    best = max(ok, key=lambda e: _score(crit, e, samples[0], sign))
    return best if np.isfinite(_score(crit, best, samples[0], sign)) else None


def _numeric_roots(
    eqs: list[sp.Expr], unknowns: Sequence[sp.Symbol], crit: sp.Expr, sign: int, assumptions: Sequence[sp.Basic]
) -> dict[sp.Symbol, float]:
    """Roots of a single univariate equation free of other symbols, to 1e-12; else {}."""
    if len(unknowns) != 1 or len([e for e in eqs if e != 1]) != 1:
        return {}
    u = unknowns[0]
    eq = next(e for e in eqs if e != 1)
    if eq.free_symbols != {u}:
        return {}
    with mpmath.workdps(40):
        fn = sp.lambdify(u, eq, modules="mpmath")
        lo, hi = (1e-6, 1e3) if (u.is_positive or u.is_nonnegative) else (-1e3, 1e3)
        grid = np.geomspace(lo, hi, 4000) if lo > 0 else np.linspace(lo, hi, 8001)
        vals = [fn(mpmath.mpf(float(t))) for t in grid]
        roots = []
        for a, b, fa, fb in zip(grid[:-1], grid[1:], vals[:-1], vals[1:]):
            if mpmath.sign(fa) * mpmath.sign(fb) < 0:
                r = mpmath.findroot(fn, (mpmath.mpf(float(a)), mpmath.mpf(float(b))), solver="anderson")
                if all(bool(a_.subs(u, sp.Float(r, 30))) for a_ in assumptions if a_.free_symbols <= {u}):
                    roots.append(r)
    if not roots:
        return {}
    best = max(roots, key=lambda r: _score(crit, {u: sp.Float(r, 30)}, {}, sign) if crit.free_symbols <= {u} else 0.0)
    return {u: float(best)}
