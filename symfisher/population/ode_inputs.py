"""Inputs of the per-sample kernel for a nonlinear ODE response: f, ∂f/∂φ, ∂²f/∂φ² at every sample.

φ = g(β, η, c) is evaluated by a small compiled kernel, the augmented sensitivity system
is integrated per (design variant, parameter draw, group) by
:mod:`symfisher.population.ode_numeric`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import NDArray

from symfisher._runtime.caches import memo
from symfisher.codegen.api import compile as sf_compile
from symfisher.population.design import Layout
from symfisher.population.model import PopulationModel
from symfisher.population.ode_nonlinear import augmented, compiled
from symfisher.population.ode_numeric import response_derivatives

Array = NDArray[np.float64]

__all__ = ["ode_inputs"]


@memo(maxsize=32)
def _phi_kernel(model: PopulationModel) -> Any:
    ind = dict(model.individual)
    exprs = sp.ImmutableMatrix([ind[p] for p in model.ode.params])
    groups = [g for g in (list(model.covariates), list(model.beta), list(model.eta)) if g]
    domains = {s: sp.Reals for g in groups for s in g}
    return sf_compile(exprs, groups, domains=domains, symmetric=False)


@memo(maxsize=256)
def _doses(model: PopulationModel, cov: tuple[float, ...]) -> tuple[tuple[float, int, float], ...]:
    values = {c: v for c, v in zip(model.covariates, cov)}
    table = {c.name: c for c in model.covariates}
    out = []
    for d in model.ode.doses:
        amt = sp.sympify(d.amount, locals=table) if isinstance(d.amount, str) else sp.sympify(d.amount)
        out.append((float(d.time), int(d.compartment), float(amt.xreplace(values))))
    return tuple(out)


@memo(maxsize=32)
def _sizes(model: PopulationModel) -> tuple[int, int]:
    rhs, _ = augmented(model.ode)
    return len(rhs), len(model.ode.params)


def ode_inputs(model: PopulationModel, lay: Layout, mat: Array, eta: Array, tt: Array) -> list[Array]:
    """[F0 (D, M, N, 1), G (D, M, N, p), H (D, M, N, p²)] for the kernel of ``model``."""
    k_rhs, k_out = compiled(model.ode)
    m_aug, p = _sizes(model)
    nb = len(model.beta)
    d, mm, n = tt.shape[0], mat.shape[0], tt.shape[1]
    f0, g, h = (
        np.zeros((d, mm, n, 1)),
        np.zeros((d, mm, n, p)),
        np.zeros((d, mm, n, p * p)),
    )
    ode_cov = [list(model.covariates).index(c) for c in model.ode.covariates]
    for sl in lay.slices:
        cov = lay.cov[sl.start]
        args = [
            a
            for a in (
                cov[None, :] if model.covariates else None,
                mat[:, :nb],
                eta if model.eta else None,
            )
            if a is not None
        ]
        phi = np.asarray(_phi_kernel(model)(*args, check=False)).reshape(mm, p)
        doses = _doses(model, tuple(float(v) for v in cov))
        for i in range(d):
            for j in range(mm):
                fv, gv, hv = response_derivatives(k_rhs, k_out, m_aug, p, phi[j], cov[ode_cov], doses, tt[i, sl])
                f0[i, j, sl, 0], g[i, j, sl], h[i, j, sl] = (
                    fv,
                    gv,
                    hv.reshape(-1, p * p),
                )
    return [f0, g, h]
