"""A standard reparametrisation θ = θ(η) of a family, for the invariance identities.

Positive parameters θ = e^η, parameters in (0, 1) θ = 1/(1 + e^{−η}), real ones
θ = sinh η (η declared on (−2, 2)); a family with joint constraints gets the linear map θ = η/2 instead (which
keeps the constraints linear). The reparametrised family is derived from scratch by
the core engine, so comparing its Fisher matrix with Jᵀ I J is an independent check.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symfisher._runtime.caches import memo
from symfisher.errors import InputError
from symfisher.families.base import Family

__all__ = ["Reparam", "standard_reparam", "eta_points"]

# The new family is declared on η ∈ (−2, 2): the core's numeric cross-check of its
# Fisher matrix samples points of that domain, and e^η for |η| large gives shapes
# (e.g. Beta(e⁵, ·)) where quadrature is needlessly hard. The identities are algebraic,
# so the test points (images of the θ points) may lie outside this interval.
_ETA_DOMAIN = sp.Interval.open(-2, 2)


@dataclass(frozen=True)
class Reparam:
    """θ = θ(η).

    Attributes
    ----------
    new_family : Family
        The family in the parameters η.
    mapping : dict
        θ_i → expression in η (length p).
    jacobian : sympy.ImmutableMatrix
        J_ij = ∂θ_i/∂η_j, shape (p, p).
    """

    new_family: Family
    mapping: dict
    jacobian: sp.ImmutableMatrix


def _map_one(s: sp.Symbol, dom: sp.Set, linear: bool) -> tuple[sp.Symbol, sp.Expr, sp.Set]:
    if linear:
        eta = sp.Symbol(f"eta_{s.name}", real=True)
        lo, hi = (dom.start * 2, dom.end * 2) if isinstance(dom, sp.Interval) else (-sp.oo, sp.oo)
        return eta, eta / 2, sp.Interval.open(lo, hi)
    eta = sp.Symbol(f"eta_{s.name}", real=True)
    if dom == sp.Interval.open(0, sp.oo):
        return eta, sp.exp(eta), _ETA_DOMAIN
    if dom == sp.Interval.open(0, 1):
        return eta, 1 / (1 + sp.exp(-eta)), _ETA_DOMAIN
    return eta, sp.sinh(eta), _ETA_DOMAIN


@memo(maxsize=64)
def standard_reparam(fam: Family) -> Reparam:
    """The standard reparametrisation of ``fam`` (see the module docstring).

    Parameters
    ----------
    fam : Family

    Returns
    -------
    Reparam
    """
    linear = bool(fam.constraints)
    triples = [_map_one(s, fam.domains[s], linear) for s in fam.params]
    mapping = {s: t[1] for s, t in zip(fam.params, triples)}
    new_params = {t[0]: t[2] for t in triples}
    new = fam.reparametrize(mapping, new_params)
    etas = [t[0] for t in triples]
    J = sp.ImmutableMatrix(len(etas), len(etas), lambda i, j: sp.diff(mapping[fam.params[i]], etas[j]))
    return Reparam(new, mapping, J)


def eta_points(fam: Family, points: tuple[dict, ...]) -> tuple[dict, ...]:
    """The test points in the new coordinates η (images of the θ points).

    Parameters
    ----------
    fam : Family
    points : tuple of dict
        {parameter or fixed constant: exact value}, length P.

    Returns
    -------
    tuple of dict
        Length P; fixed constants are kept.

    Raises
    ------
    ValueError
        When θ(η) = value has no real solution.
    """
    rp = standard_reparam(fam)
    out = []
    for pt in points:
        new = {k: v for k, v in pt.items() if k not in fam.params}
        for th, eta in zip(fam.params, rp.new_family.params):
            sol = sp.solve(sp.Eq(rp.mapping[th], pt[th]), eta)
            real = [s for s in sol if s.is_real]
            if not real:
                raise InputError(f"cannot invert the reparametrisation at {th} = {pt[th]}")
            new[eta] = real[0]
        out.append(new)
    return tuple(out)
