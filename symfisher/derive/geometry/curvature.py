"""Curvature of the Fisher (or a given) metric: Riemann, Ricci, scalar, Gaussian.

Index and sign conventions (those of Misner–Thorne–Wheeler and do Carmo):

* ``R^i_jkl = ∂_k Γ^i_lj − ∂_l Γ^i_kj + Γ^i_km Γ^m_lj − Γ^i_lm Γ^m_kj``, which is the
  component form of ``R(X, Y)Z = ∇_X∇_Y Z − ∇_Y∇_X Z − ∇_[X,Y] Z`` with
  ``R(∂_k, ∂_l)∂_j = R^i_jkl ∂_i``; array index order (i, j, k, l).
* Lowered: ``R_ijkl = g_im R^m_jkl``.
* Ricci: ``R_jl = R^i_jil``; scalar curvature ``R = g^{jl} R_jl``.
* Gaussian curvature of a surface: ``K = R_1212 / det g`` (sectional curvature).

With these conventions the round sphere of radius r has K = 1/r² > 0 and scalar
curvature 2/r²; the hyperbolic plane has K < 0.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from symfisher._runtime.caches import memo
from symfisher.derive.geometry.connections import _second_kind, inverse_metric
from symfisher.derive.geometry.metric import metric_data, tidy
from symfisher.errors import InputError

__all__ = ["riemann", "ricci", "scalar_curvature", "gaussian_curvature", "brioschi_curvature"]


@memo(maxsize=64)
def _riemann_up(g: sp.ImmutableMatrix, coords: tuple[sp.Symbol, ...]) -> sp.ImmutableDenseNDimArray:
    G = _second_kind(g, coords)  # G[k, i, j] = Γ^k_ij
    p = len(coords)
    R = sp.MutableDenseNDimArray.zeros(p, p, p, p)
    for i in range(p):
        for j in range(p):
            for k in range(p):
                for l in range(k + 1, p):
                    val = (
                        sp.diff(G[i, l, j], coords[k])
                        - sp.diff(G[i, k, j], coords[l])
                        + sum(G[i, k, m] * G[m, l, j] - G[i, l, m] * G[m, k, j] for m in range(p))
                    )
                    val = tidy(val)
                    R[i, j, k, l] = val
                    R[i, j, l, k] = -val
    return sp.ImmutableDenseNDimArray(R)


def _lower(R: sp.NDimArray, g: sp.ImmutableMatrix) -> sp.ImmutableDenseNDimArray:
    p = g.rows
    comps = [
        [[[tidy(sum(g[i, m] * R[m, j, k, l] for m in range(p))) for l in range(p)] for k in range(p)] for j in range(p)]
        for i in range(p)
    ]
    return sp.ImmutableDenseNDimArray(comps)


def riemann(fam_or_metric: Any, coords: Any = None, *, lower: bool = False) -> sp.ImmutableDenseNDimArray:
    """Riemann curvature tensor of the Fisher (or a given) metric.

    Parameters
    ----------
    fam_or_metric : Family or sympy.Matrix
        A family or a symmetric p × p metric.
    coords : sequence of sympy.Symbol, optional
        Coordinates of a plain metric.
    lower : bool
        False: ``R^i_jkl`` (index order (i, j, k, l)); True: ``R_ijkl = g_im R^m_jkl``.

    Returns
    -------
    sympy.ImmutableDenseNDimArray
        Shape (p, p, p, p); antisymmetric in (k, l).

    Examples
    --------
    >>> import sympy as sp
    >>> th, ph = sp.symbols("theta phi", positive=True)
    >>> riemann(sp.diag(1, sp.sin(th)**2), [th, ph], lower=True)[0, 1, 0, 1]
    sin(theta)**2
    """
    md = metric_data(fam_or_metric, coords)
    R = _riemann_up(md.g, md.coords)
    return _lower(R, md.g) if lower else R


def ricci(fam_or_metric: Any, coords: Any = None) -> sp.ImmutableMatrix:
    """Ricci tensor ``R_jl = R^i_jil`` (contraction of the first and third indices).

    Parameters
    ----------
    fam_or_metric : Family or sympy.Matrix
        A family or a symmetric p × p metric.
    coords : sequence of sympy.Symbol, optional
        Coordinates of a plain metric.

    Returns
    -------
    sympy.ImmutableMatrix
        Shape (p, p), symmetric.

    Examples
    --------
    >>> import sympy as sp
    >>> th, ph = sp.symbols("theta phi", positive=True)
    >>> list(ricci(sp.diag(1, sp.sin(th)**2), [th, ph]))      # unit sphere: Ric = g
    [1, 0, 0, sin(theta)**2]
    """
    md = metric_data(fam_or_metric, coords)
    R = _riemann_up(md.g, md.coords)
    p = md.dim
    return sp.ImmutableMatrix(p, p, lambda j, l: tidy(sum(R[i, j, i, l] for i in range(p))))


def scalar_curvature(fam_or_metric: Any, coords: Any = None) -> sp.Expr:
    """Scalar curvature ``R = g^{jl} R_jl`` (sphere of radius r: 2/r²).

    Parameters
    ----------
    fam_or_metric : Family or sympy.Matrix
        A family or a symmetric p × p metric.
    coords : sequence of sympy.Symbol, optional
        Coordinates of a plain metric.

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> import sympy as sp
    >>> mu = sp.Symbol("mu", real=True); s = sp.Symbol("sigma", positive=True)
    >>> scalar_curvature(sp.diag(1 / s**2, 2 / s**2), [mu, s])     # normal family
    -1
    """
    md = metric_data(fam_or_metric, coords)
    ric = ricci(md.g, md.coords)
    ginv = inverse_metric(md.g, tuple(md.coords))
    p = md.dim
    return tidy(sum(ginv[j, l] * ric[j, l] for j in range(p) for l in range(p)))


def gaussian_curvature(fam_or_metric: Any, coords: Any = None) -> sp.Expr:
    """Gaussian curvature ``K = R_1212 / det g`` of a 2-parameter family or metric.

    Positive on a sphere (radius r: 1/r²), −1/2 for the normal family, −2 for the
    Cauchy location–scale family.

    Parameters
    ----------
    fam_or_metric : Family or sympy.Matrix
        A 2-parameter family or a symmetric 2 × 2 metric.
    coords : sequence of sympy.Symbol, optional
        Coordinates of a plain metric.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ValueError
        If there are not exactly two coordinates.

    Examples
    --------
    >>> import sympy as sp
    >>> mu = sp.Symbol("mu", real=True); s = sp.Symbol("sigma", positive=True)
    >>> gaussian_curvature(sp.diag(1 / s**2, 2 / s**2), [mu, s])
    -1/2
    """
    md = metric_data(fam_or_metric, coords)
    if md.dim != 2:
        raise InputError(
            f"gaussian_curvature needs exactly 2 parameters, got {md.dim}: {md.coords}; use scalar_curvature or riemann"
        )
    R = _riemann_up(md.g, md.coords)
    r1212 = sum(md.g[0, m] * R[m, 1, 0, 1] for m in range(2))
    return tidy(r1212 / md.g.det())


def brioschi_curvature(g: sp.MatrixBase, coords: Any) -> sp.Expr:
    """Gaussian curvature of a 2 × 2 metric by Brioschi's formula, unsimplified.

    With E = g₁₁, F = g₁₂, G = g₂₂ in coordinates (u, v)::

        K = (det M₁ − det M₂) / (EG − F²)²,
        M₁ = [[−½E_vv + F_uv − ½G_uu, ½E_u, F_u − ½E_v], [F_v − ½G_u, E, F], [½G_v, F, G]],
        M₂ = [[0, ½E_v, ½G_u], [½E_v, E, F], [½G_u, F, G]].

    Only derivatives and products, no simplification: the expression is meant to be
    evaluated numerically when :func:`gaussian_curvature` (which simplifies every
    Christoffel symbol and Riemann component) takes too long. Same sign convention
    (a sphere has K > 0).

    Parameters
    ----------
    g : sympy.Matrix
        Symmetric 2 × 2 metric.
    coords : sequence of sympy.Symbol
        (u, v).

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> import sympy as sp
    >>> t, p = sp.symbols("theta phi", positive=True)
    >>> sp.simplify(brioschi_curvature(sp.diag(1, sp.sin(t) ** 2), [t, p]))
    1
    """
    u, v = coords
    E, F, G = g[0, 0], g[0, 1], g[1, 1]
    half = sp.Rational(1, 2)
    m1 = sp.Matrix(
        [
            [-half * E.diff(v, 2) + F.diff(u, v) - half * G.diff(u, 2), half * E.diff(u), F.diff(u) - half * E.diff(v)],
            [F.diff(v) - half * G.diff(u), E, F],
            [half * G.diff(v), F, G],
        ]
    )
    m2 = sp.Matrix([[0, half * E.diff(v), half * G.diff(u)], [half * E.diff(v), E, F], [half * G.diff(u), F, G]])
    return (m1.det(method="berkowitz") - m2.det(method="berkowitz")) / (E * G - F**2) ** 2
