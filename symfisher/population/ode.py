"""Compartment models as ODE systems: linear ones solved in closed form, nonlinear ones numerically.

**Linear** systems ``dA/dt = K A + u(t)`` (``K`` an n×n matrix of rate constants, SymPy) are
solved *symbolically* by the Laplace transform: ``Â(s) = (sI − K)⁻¹ Â(0)``, whose inverse is
the sum of residues at the roots ``λ_r`` of the characteristic polynomial ``P(s) = det(sI − K)``,

    exp(K t) e_c = Σ_r adj(λ_r I − K) e_c / P'(λ_r) · exp(λ_r t)      (simple roots),

and SymPy's matrix exponential when a root is repeated. Doses are superposed: a bolus of
``D`` at ``τ`` into compartment ``c`` adds ``D exp(K(t − τ)) e_c`` for ``t ≥ τ``; a zero-order
infusion of ``D`` over ``T`` adds ``(D/T) ∫ exp(K(t − s)) e_c ds`` over the infusion time
elapsed; first-order absorption is a depot compartment in ``K`` receiving a bolus. The result
is a closed-form SymPy expression usable as a :class:`PopulationModel` response
(:func:`linear_response`; route ``"closed form (Laplace residues)"``).

**Nonlinear** systems (Michaelis–Menten elimination, ...) have no closed form; see
:mod:`symfisher.population.ode_numeric` (numerical integration with forward sensitivities
generated from the symbolic Jacobian and compiled; route ``"numerical (forward sensitivities)"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from symfisher.errors import DerivationError, ParseError
from symfisher.parse import parse_expression

__all__ = ["Dose", "LinearSolution", "impulse_response", "linear_response"]


@dataclass(frozen=True)
class Dose:
    """One administration.

    Attributes
    ----------
    amount : number, str or sympy.Expr
        Dose (may be a covariate symbol such as ``DOSE``).
    compartment : int
        Receiving compartment (0-based index into the state).
    time : number, str or sympy.Expr
        Administration time τ.
    duration : number, str or sympy.Expr
        Zero-order infusion duration T (0: bolus).
    """

    amount: Any
    compartment: int = 0
    time: Any = 0
    duration: Any = 0


@dataclass(frozen=True)
class LinearSolution:
    """A closed-form response and how it was obtained."""

    expr: sp.Expr
    amounts: sp.ImmutableMatrix
    route: str


def _roots(poly: sp.Poly) -> dict[sp.Expr, int]:
    roots = sp.roots(poly)
    if sum(roots.values()) != poly.degree():
        raise DerivationError(
            f"the characteristic polynomial {poly.as_expr()} has roots SymPy cannot give in "
            "closed form; use the numerical route"
        )
    return roots


def _residue_terms(k: sp.Matrix) -> list[tuple[sp.Matrix, sp.Expr]] | None:
    """``exp(K t) = Σ_r C_r exp(λ_r t)`` with ``C_r = adj(λ_r I − K) / P'(λ_r)``; None for repeated roots."""
    s = sp.Dummy("s")
    n = k.shape[0]
    m = s * sp.eye(n) - k
    poly = sp.Poly(m.det(method="berkowitz"), s)
    roots = _roots(poly)
    if any(mult > 1 for mult in roots.values()):
        return None
    adj, dp = m.adjugate(), poly.diff(s).as_expr()
    return [((adj.subs(s, r) / dp.subs(s, r)).applyfunc(sp.factor_terms), r) for r in roots]


def impulse_response(k: sp.Matrix, t: sp.Symbol) -> tuple[sp.ImmutableMatrix, str]:
    """``exp(K t)`` (n×n) by Laplace residues (simple roots) or SymPy's matrix exponential."""
    terms = _residue_terms(k)
    if terms is None:
        return sp.ImmutableMatrix((k * t).exp()), "closed form (matrix exponential, repeated eigenvalue)"
    return sp.ImmutableMatrix(
        sum((c * sp.exp(r * t) for c, r in terms), sp.zeros(*k.shape))
    ), "closed form (Laplace residues)"


def _bolus(k: sp.Matrix, terms: Any, u: sp.Expr, c: int) -> sp.Matrix:
    if terms is None:
        return (k * u).exp()[:, c]
    return sum((cr[:, c] * sp.exp(r * u) for cr, r in terms), sp.zeros(k.shape[0], 1))


def _infused(k: sp.Matrix, terms: Any, u: sp.Expr, upper: sp.Expr, c: int) -> sp.Matrix:
    """∫_0^upper exp(K(u − s)) e_c ds = Σ_r C_r e_c exp(λ_r u)(1 − exp(−λ_r upper))/λ_r."""
    if terms is None:
        sv = sp.Dummy("s", real=True)
        return (k * (u - sv)).exp()[:, c].applyfunc(lambda e: sp.integrate(e, (sv, 0, upper)))
    out = sp.zeros(k.shape[0], 1)
    for cr, r in terms:
        out += cr[:, c] * ((sp.exp(r * u) - sp.exp(r * (u - upper))) / r if r != 0 else upper)
    return out


def _sym(v: Any, table: dict[str, sp.Symbol]) -> sp.Expr:
    if isinstance(v, str):
        return parse_expression(v, table)
    if isinstance(v, (int, float, sp.Basic)):
        return sp.sympify(v)
    raise ParseError(f"expected a number, an expression string or a SymPy expression, got {v!r}")


def linear_response(
    rates: Any,
    output: str | sp.Expr,
    doses: Sequence[Dose],
    *,
    compartments: Sequence[str],
    time: str = "t",
    symbols: Mapping[str, sp.Symbol] | None = None,
) -> LinearSolution:
    """Closed-form response of a linear compartment model with superposed doses.

    Parameters
    ----------
    rates : n×n sympy Matrix, or list of lists of str/numbers
        ``K`` in ``dA/dt = K A`` (columns: from, rows: to), in the model's parameters.
    output : str or sympy.Expr
        The observed response in the compartment amounts, e.g. ``"A_central/V"``.
    doses : sequence of Dose
    compartments : sequence of str
        Names of the amounts, in the order of ``K``'s rows.
    time : str
    symbols : mapping, optional
        Symbols to reuse (so that the response shares the model's symbols).

    Returns
    -------
    LinearSolution
        ``expr`` (the response, piecewise in the dose times), ``amounts`` (n×1) and ``route``.

    Examples
    --------
    >>> sol = linear_response([["-KA", 0], ["KA", "-CL/V"]], "A2/V", [Dose("DOSE", 0)],
    ...                       compartments=["A1", "A2"])
    >>> sol.route
    'closed form (Laplace residues)'
    """
    table: dict[str, sp.Symbol] = dict(symbols or {})
    t = table.setdefault(time, sp.Symbol(time, real=True))
    # entries are parsed one by one: sp.Matrix(strings) would eval them
    k = rates if isinstance(rates, sp.MatrixBase) else sp.Matrix([[_sym(e, table) for e in row] for row in rates])
    n = k.shape[0]
    if k.shape != (n, n) or len(compartments) != n:
        raise ParseError(f"rates must be square with one row per compartment {list(compartments)}")
    terms = _residue_terms(k)
    route = (
        "closed form (Laplace residues)"
        if terms is not None
        else "closed form (matrix exponential, repeated eigenvalue)"
    )
    amounts = sp.zeros(n, 1)
    for d in doses:
        if not 0 <= d.compartment < n:
            raise ParseError(f"dose into compartment {d.compartment}: the model has {n} compartments")
        amt, tau, dur = (_sym(v, table) for v in (d.amount, d.time, d.duration))
        u = t - tau
        if dur == 0:
            part = amt * _bolus(k, terms, u, d.compartment)
            amounts += part.applyfunc(lambda e, u=u: sp.Piecewise((0, u < 0), (e, True)))
        else:
            during = _infused(k, terms, u, u, d.compartment) * amt / dur
            after = _infused(k, terms, u, dur, d.compartment) * amt / dur
            amounts += sp.Matrix([sp.Piecewise((0, u < 0), (a, u <= dur), (b, True)) for a, b in zip(during, after)])
    sub = {table.setdefault(c, sp.Symbol(c, real=True)): amounts[i] for i, c in enumerate(compartments)}
    expr = _sym(output, table).xreplace(sub)
    return LinearSolution(expr, sp.ImmutableMatrix(amounts), route)
