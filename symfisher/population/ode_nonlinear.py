"""Nonlinear ODE responses (e.g. Michaelis–Menten elimination): the symbolic side.

Route: **numerical (forward sensitivities)**. A system ``dy/dt = F(y, φ, c)`` has no closed
form, so it is integrated numerically together with its first- and second-order forward
sensitivities ``S = ∂y/∂φ`` and ``S2 = ∂²y/∂φ²``, whose right-hand sides are *derived* here
from the symbolic Jacobian with the total-derivative operator

    D_j G = Σ_k ∂G/∂y_k S_kj + ∂G/∂φ_j + Σ_{k,i} ∂G/∂S_ki S2_kij,
    S' = D F,    S2'_ij = D_j D_i F,

and compiled (one kernel for the augmented right-hand side, one for the output ``h(y, φ)``
with its first and second φ-derivatives). :mod:`symfisher.population.ode_numeric` integrates
them (no SymPy there). In a :class:`PopulationModel`, the response and its φ-derivatives
enter the per-sample kernel as inputs and the chain rule to β and η is symbolic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from symfisher._runtime.caches import memo
from symfisher.codegen.api import compile as sf_compile
from symfisher.errors import ParseError
from symfisher.parse import parse_expression
from symfisher.population.ode import Dose

__all__ = ["ROUTE", "NonlinearOde", "nonlinear_ode"]

ROUTE = "numerical (forward sensitivities from the symbolic Jacobian, compiled)"


@dataclass(frozen=True)
class NonlinearOde:
    """A nonlinear ODE response ``f = h(y(t), φ)``, ``dy/dt = F(y, φ, c)``, bolus doses.

    Attributes
    ----------
    rhs : tuple of sympy.Expr
        ``F`` (n entries).
    states : tuple of Symbol
    params : tuple of Symbol
        Individual parameters φ (p), the names used in the population model.
    covariates : tuple of Symbol
        Constants of the system (dose amounts, ...).
    output : sympy.Expr
        ``h(y, φ)``.
    doses : tuple of Dose
        Boluses (``duration`` 0) at numeric times; amounts in the covariates.
    route : str
    """

    rhs: tuple[sp.Expr, ...]
    states: tuple[sp.Symbol, ...]
    params: tuple[sp.Symbol, ...]
    covariates: tuple[sp.Symbol, ...]
    output: sp.Expr
    doses: tuple[Dose, ...]
    route: str = ROUTE

    @property
    def dose_times(self) -> tuple[float, ...]:
        """Sorted distinct dose times."""
        return tuple(sorted({float(d.time) for d in self.doses}))


def nonlinear_ode(
    rhs: Mapping[str, str],
    output: str,
    doses: Sequence[Dose],
    *,
    params: Sequence[str],
    covariates: Sequence[str] = (),
) -> NonlinearOde:
    """Parse a nonlinear ODE system (safe parser).

    Examples
    --------
    >>> ode = nonlinear_ode({"A": "-VMAX*A/(KM*V + A)"}, "A/V", [Dose("DOSE", 0)],
    ...                     params=["VMAX", "KM", "V"], covariates=["DOSE"])
    >>> ode.route.startswith("numerical")
    True
    """
    table = {n: sp.Symbol(n, real=True) for n in (*rhs, *params, *covariates)}
    exprs = tuple(parse_expression(e, table, allow_new_symbols=False) for e in rhs.values())
    out = parse_expression(output, table, allow_new_symbols=False)
    for d in doses:
        if d.duration not in (0, "0") or not isinstance(d.time, (int, float)):
            raise ParseError("nonlinear ODE doses are boluses at numeric times (duration 0)")
        if not 0 <= d.compartment < len(rhs):
            raise ParseError(f"dose into compartment {d.compartment}: the system has {len(rhs)} states")
    return NonlinearOde(
        exprs,
        tuple(table[n] for n in rhs),
        tuple(table[n] for n in params),
        tuple(table[n] for n in covariates),
        out,
        tuple(doses),
    )


def _sensitivity_symbols(n: int, p: int) -> tuple[list[list[sp.Symbol]], list[list[list[sp.Symbol]]]]:
    s1 = [[sp.Symbol(f"S_{k}_{i}", real=True) for i in range(p)] for k in range(n)]
    s2 = [[[sp.Symbol(f"S2_{k}_{i}_{j}", real=True) for j in range(p)] for i in range(p)] for k in range(n)]
    return s1, s2


def _total(expr: sp.Expr, j: int, ode: NonlinearOde, s1: Any, s2: Any) -> sp.Expr:
    """D_j expr (see the module docstring)."""
    n, p = len(ode.states), len(ode.params)
    out = sp.diff(expr, ode.params[j])
    for k in range(n):
        out += sp.diff(expr, ode.states[k]) * s1[k][j]
        for i in range(p):
            out += sp.diff(expr, s1[k][i]) * s2[k][i][j]
    return out


def augmented(ode: NonlinearOde) -> tuple[list[sp.Expr], list[sp.Symbol]]:
    """The augmented right-hand side (y, S, S2 flattened; n(1 + p + p²)) and its variables."""
    n, p = len(ode.states), len(ode.params)
    s1, s2 = _sensitivity_symbols(n, p)
    first = [[_total(f, i, ode, s1, s2) for i in range(p)] for f in ode.rhs]
    second = [[[_total(first[k][i], j, ode, s1, s2) for j in range(p)] for i in range(p)] for k in range(n)]
    flat_vars = [
        *ode.states,
        *(x for row in s1 for x in row),
        *(x for m in s2 for row in m for x in row),
    ]
    flat_rhs = [
        *ode.rhs,
        *(x for row in first for x in row),
        *(x for m in second for row in m for x in row),
    ]
    return flat_rhs, flat_vars


def output_exprs(
    ode: NonlinearOde,
) -> tuple[sp.Expr, list[sp.Expr], list[list[sp.Expr]]]:
    """``h``, ``D_i h`` and ``D_j D_i h`` in the augmented variables."""
    n, p = len(ode.states), len(ode.params)
    s1, s2 = _sensitivity_symbols(n, p)
    g = [_total(ode.output, i, ode, s1, s2) for i in range(p)]
    return (
        ode.output,
        g,
        [[_total(g[i], j, ode, s1, s2) for j in range(p)] for i in range(p)],
    )


@memo(maxsize=32)
def compiled(ode: NonlinearOde) -> tuple[Any, Any]:
    """(rhs kernel, output kernel): ``rhs(y_aug, φ, c) -> (m,)`` and ``out(y_aug, φ, c) -> {F, G, H}``."""
    rhs, variables = augmented(ode)
    h, g, hh = output_exprs(ode)
    args: list[Any] = [variables, list(ode.params)]
    if ode.covariates:
        args.append(list(ode.covariates))
    domains = {s: sp.Reals for s in (*variables, *ode.params, *ode.covariates)}
    k_rhs = sf_compile(sp.ImmutableMatrix(rhs), args, domains=domains, symmetric=False)
    k_out = sf_compile(
        {"F": h, "G": sp.ImmutableMatrix(g), "H": sp.ImmutableMatrix(hh)},
        args,
        domains=domains,
        symmetric=False,
    )
    return k_rhs, k_out
