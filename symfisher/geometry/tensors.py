"""Information geometry of a family: the public face of connections and curvature.

Everything here accepts a :class:`~symfisher.families.base.Family` (metric =
``sf.fisher(family)``, coordinates = ``family.params``) or a plain symmetric SymPy
metric with its coordinates. Conventions are stated in
:mod:`symfisher.derive.geometry.connections` (Christoffel symbols, α-connections) and
:mod:`symfisher.derive.geometry.curvature` (Riemann tensor signs: a sphere has positive
curvature).

Examples
--------
>>> import sympy as sp
>>> from symfisher.geometry.tensors import gaussian_curvature
>>> mu = sp.Symbol("mu", real=True); s = sp.Symbol("sigma", positive=True)
>>> gaussian_curvature(sp.diag(1 / s**2, 2 / s**2), [mu, s])
-1/2
"""

from __future__ import annotations

from symfisher.derive.geometry.connections import alpha_connection, christoffel, skewness_tensor
from symfisher.derive.geometry.curvature import gaussian_curvature, ricci, riemann, scalar_curvature
from symfisher.options import ConnectionKind

__all__ = [
    "ConnectionKind",
    "christoffel",
    "skewness_tensor",
    "alpha_connection",
    "riemann",
    "ricci",
    "scalar_curvature",
    "gaussian_curvature",
]
