"""The one compiled kernel of a population model: per-sample derivatives (symbolic → Numba).

For every response ``k`` (K responses) and one sample (time ``t``, covariates ``c``,
fixed effects ``β`` (all of them, B of them), random effects ``η`` (q) at the
linearisation point, residual variances ``σ²`` (s)), the kernel returns

==========  ===============  ==========================================================
name        shape            value
==========  ===============  ==========================================================
``F``       (K,)             prediction ``f_k(g(β, η, c), t, c)``
``FB``      (K, B)           ``∂f_k/∂β``
``Z``       (K, q)           ``∂f_k/∂η``
``ZB``      (K, q, B)        ``∂²f_k/∂η∂β``
``R``       (K,)             residual variance ``r_k(f_k, σ²)``
``RB``      (K, B)           ``∂r_k/∂β``
``RS``      (K, s)           ``∂r_k/∂σ²``
==========  ===============  ==========================================================

All of it is derived by SymPy and compiled by :func:`symfisher.compile` into one kernel
with seven outputs sharing common subexpressions. Arguments, in order: ``t``, the
covariate group (absent without covariates), the β group, the η group (absent without
random effects) and the σ² group.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from symfisher._runtime.caches import memo
from symfisher.codegen.api import compile as sf_compile
from symfisher.population.model import ODE_F0, PopulationModel, ode_placeholders

__all__ = ["OUTPUTS", "derivative_exprs", "population_kernel"]

OUTPUTS = ("F", "FB", "Z", "ZB", "R", "RB", "RS")


def _matrix(rows: list[list[sp.Expr]]) -> sp.ImmutableMatrix:
    return sp.ImmutableMatrix(rows)


def derivative_exprs(model: PopulationModel) -> dict[str, Any]:
    """The symbolic outputs (see the module table); arrays for the 3-d ``ZB``."""
    beta, eta, sig = model.beta, model.eta, model.sigma
    preds = model.predictions
    f_rows, fb, z, zb, r, rb, rs = [], [], [], [], [], [], []
    for k, f in enumerate(preds):
        dfe = [sp.diff(f, e) for e in eta]
        resid = model.residual_variance(k, f)
        f_rows.append(f)
        fb.append([sp.diff(f, b) for b in beta])
        z.append(dfe)
        zb.append([[sp.diff(d, b) for b in beta] for d in dfe])
        r.append(resid)
        rb.append([sp.diff(resid, b) for b in beta])
        rs.append([sp.diff(resid, s) for s in sig])
    if model.ode is not None:
        _, _, phi0 = ode_placeholders(model.ode)
        back = {q: dict(model.individual)[p] for p, q in zip(model.ode.params, phi0)}
        f_rows, fb, z, zb, r, rb, rs = (_subs(v, back) for v in (f_rows, fb, z, zb, r, rb, rs))
    out: dict[str, Any] = {
        "F": sp.ImmutableMatrix(f_rows),
        "FB": _matrix(fb),
        "R": sp.ImmutableMatrix(r),
        "RB": _matrix(rb),
        "RS": _matrix(rs),
    }
    if eta:
        out["Z"] = _matrix(z)
        out["ZB"] = sp.ImmutableDenseNDimArray(zb)
    return out


def _subs(v: Any, back: dict[sp.Symbol, sp.Expr]) -> Any:
    if isinstance(v, list):
        return [_subs(x, back) for x in v]
    return v.xreplace(back)


def _args(model: PopulationModel) -> list[Any]:
    args: list[Any] = [model.time]
    if model.covariates:
        args.append(list(model.covariates))
    args.append(list(model.beta))
    if model.eta:
        args.append(list(model.eta))
    args.append(list(model.sigma))
    if model.ode is not None:
        g, h, _ = ode_placeholders(model.ode)
        args += [[ODE_F0], g, [x for row in h for x in row]]
    return args


@memo(maxsize=64)
def population_kernel(model: PopulationModel) -> Any:
    """The compiled per-sample kernel of ``model`` (cached per model and on disk).

    Returns
    -------
    symfisher.numeric.kernel.Kernel
        Called as ``k(t, [c], beta, [eta], sigma2)`` on broadcasting arrays; returns a
        dict of the outputs in the module table (``Z``, ``ZB`` absent without random
        effects).
    """
    exprs = derivative_exprs(model)
    # no positivity assumptions at call time: the numeric side checks the values itself
    domains = {s: sp.Reals for group in _args(model) for s in (group if isinstance(group, list) else [group])}
    return sf_compile(exprs, _args(model), symmetric=False, domains=domains)
