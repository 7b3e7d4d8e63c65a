"""c-optimal designs for rank-one models by Elfving's theorem (a linear programme).

Elfving (1952): ξ is c-optimal iff ``c/h`` lies on the boundary of the convex hull of
``{±f(x)}``. In LP form (Harman & Jurík 2008): minimise ``Σ|uᵢ|`` subject to
``Σ uᵢ f(xᵢ) = c``; then ``wᵢ = |uᵢ| / Σ|u|`` and ``cᵀM⁻c = (Σ|u|)²``, also when ``M`` is
singular. The dual vector ``y`` (max ``cᵀy`` s.t. ``|yᵀf(x)| ≤ 1``) is the certificate:
for any design ξ' under which ``cᵀθ`` is estimable,
``cᵀM(ξ')⁻c ≥ (cᵀy)² / max_x (yᵀf(x))²``, hence ``eff_c(ξ) ≥ 1 / max_x (yᵀf(x))²``.
Points are refined by column generation: the LP is solved once on the candidate grid, then
on its support plus the continuous maximisers of ``|yᵀf(x)|`` (a small LP per round). For one
factor, the optimality system itself is then solved by Newton's method (:func:`_newton`):
``Σⱼ uⱼ f(xⱼ) = c``, ``yᵀf(xⱼ) = sign uⱼ``, ``yᵀf'(xⱼ) = 0`` at interior support points — a
square system in the points, the signed weights and ``y``; near-duplicate support points
(the LP's way of approximating a point between two candidates) are merged before it, so the
returned design has no two points closer than ``MERGE_REL`` of the width.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog

from symfisher.errors import InputError
from symfisher.numeric.design.certificate import SensFn, maximise
from symfisher.numeric.design.core import Space
from symfisher.numeric.design.criteria import Evaluation
from symfisher.numeric.design.model import PointInfo
from symfisher.numeric.design.optimize import Settings, assemble
from symfisher.numeric.design.problem import Problem, State
from symfisher.numeric.design.result import DesignResult

Array = NDArray[np.float64]
ELFVING_FORMULA = "eff_c >= 1 / max_x (y^T f(x))^2 with the Elfving LP dual y (Elfving 1952)"
MERGE_REL = 2e-3
"""Support points of equal sign closer than this share of the width are merged before Newton."""
NEWTON_TOL = 1e-13
"""Relative residual of the Elfving system at which Newton's method has converged."""
NEWTON_MAX_ITER = 30
KEEP_REL = 1e-10
"""Support points whose |u| is below this share of the largest are dropped from the returned design."""
CURVATURE_STEP = 1e-6
"""Step (share of the width) of the central difference of the exact f' giving yᵀf'' (Jacobian only)."""


def _lp(Fm: Array, c: Array) -> tuple[Array, Array]:
    """Solve ``min Σ|u| s.t. Fmᵀ u = c`` for ``Fm`` (N, p); returns ``u`` (N,) and the dual ``y`` (p,)."""
    N = Fm.shape[0]
    A_eq = np.hstack([Fm.T, -Fm.T])
    res = linprog(
        np.ones(2 * N),
        A_eq=A_eq,
        b_eq=c,
        bounds=[(0, None)] * (2 * N),
        method="highs",
        options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10},
    )
    if res.status != 0:
        raise InputError("c is not estimable on this design space (c lies outside the span of f(x))")
    return res.x[:N] - res.x[N:], np.asarray(res.eqlin.marginals)


def _dual_sensitivity(model: PointInfo, y: Array) -> tuple[SensFn, SensFn]:
    """``(yᵀf(x))²`` and its x-gradient ``2 (yᵀf) (∂f/∂x) y``; X (N, q) → (N,), (N, q)."""

    def fn(Z: Array) -> Array:
        return (model.features_at(Z)[0] @ y) ** 2

    def grad(Z: Array) -> Array:
        df = model.dinfo_at(Z)[0]  # (N, q, p, p) = df fᵀ + f dfᵀ
        return np.einsum("i,nqij,j->nq", y, df, y)

    return fn, grad


def _merge(X: Array, u: Array, width: float) -> tuple[Array, Array]:
    """Support points (k, 1) of equal sign closer than ``MERGE_REL`` of the width merged (|u|-weighted)."""
    order = np.argsort(X[:, 0])
    xs, us = X[order, 0], u[order]
    out_x: list[float] = []
    out_u: list[float] = []
    for x, v in zip(xs, us):
        if out_x and abs(x - out_x[-1]) < MERGE_REL * width and np.sign(v) == np.sign(out_u[-1]):
            tot = abs(out_u[-1]) + abs(v)
            out_x[-1] = (out_x[-1] * abs(out_u[-1]) + x * abs(v)) / tot
            out_u[-1] += v
        else:
            out_x.append(float(x))
            out_u.append(float(v))
    return np.array(out_x)[:, None], np.array(out_u)


def _slopes(model: PointInfo, x: Array, lo: float, hi: float, h: float) -> tuple[Array, Array, Array]:
    """``f`` (k, p), ``f'`` (k, p) and a central difference of the exact ``f'`` (k, p) at ``x`` (k,)."""
    f = model.features_at(x[:, None])[0]
    d = lambda z: np.asarray(model.dfeatures(z[:, None]), float).reshape(z.size, -1)  # type: ignore[misc]  # noqa: E731
    a, b = np.clip(x - h, lo, hi), np.clip(x + h, lo, hi)
    return f, d(x), (d(b) - d(a)) / np.where(b > a, b - a, 1.0)[:, None]


def _residual(
    f: Array, df: Array, x_u_y: tuple[Array, Array, Array], c: Array, s: Array, inner: NDArray[np.bool_]
) -> Array:
    _, u, y = x_u_y
    return np.concatenate([f.T @ u - c, f @ y - s, df[inner] @ y])


Support = tuple[Array, Array, Array]
"""Points (k, 1), signed weights u (k,), dual vector y (p,)."""


def _newton(model: PointInfo, space: Space, X: Array, u: Array, y: Array, c: Array) -> Support | None:
    """Solve the Elfving optimality system from ``(X (k, 1), u (k,), y (p,))``; None if it fails.

    Boundary points stay on the boundary (no stationarity equation there); the Jacobian is
    exact except ``yᵀf''``, a central difference of the exact ``f'`` (it only sets the step).
    """
    lo, hi = (float(b) for b in space.bounds[0])
    width, tol = hi - lo, NEWTON_TOL * max(1.0, float(np.abs(c).max()))
    x, s = X[:, 0].copy(), np.sign(u)
    inner = (x > lo + 1e-9 * width) & (x < hi - 1e-9 * width)
    k, p, ki = x.size, c.size, int(inner.sum())
    for _ in range(NEWTON_MAX_ITER):
        f, df, d2 = _slopes(model, x, lo, hi, CURVATURE_STEP * width)
        R = _residual(f, df, (x, u, y), c, s, inner)
        if not np.all(np.isfinite(R)):
            return None
        if np.abs(R).max() <= tol:
            ok = np.all(np.sign(u) == s) and np.all((x >= lo) & (x <= hi))
            return (x[:, None], u, y) if ok else None
        J = np.zeros((p + k + ki, ki + k + p))
        J[:p, :ki] = df[inner].T * u[inner]
        J[:p, ki : ki + k] = f.T
        J[p : p + k, :ki] = np.eye(k)[:, inner] * (df @ y)[:, None]
        J[p : p + k, ki + k :] = f
        J[p + k :, :ki] = np.diag(d2[inner] @ y)
        J[p + k :, ki + k :] = df[inner]
        step = np.linalg.lstsq(J, -R, rcond=None)[0]
        x[inner] = np.clip(x[inner] + step[:ki], lo, hi)
        u, y = u + step[ki : ki + k], y + step[ki + k :]
    return None


def _support(X: Array, u: Array, rel: float = 1e-12) -> tuple[Array, Array]:
    keep = np.abs(u) > rel * np.abs(u).max()
    return X[keep], u[keep]


def c_optimal(problem: Problem, c: Array, settings: Settings = Settings(), rounds: int = 20) -> DesignResult:
    """c-optimal design (one rank-one component, one draw, no forced points) with its certificate.

    Examples
    --------
    >>> res = c_optimal(Problem((Component(model, LCriterion.from_c(c)),), space), c)  # doctest: +SKIP
    """
    model, space = problem.components[0].model, problem.space
    c = np.asarray(c, dtype=float)
    smooth = model.dfeatures is not None and not space.is_finite
    one = smooth and space.dim == 1
    u, y = _lp(model.features_at(X := space.grid(settings.grid_size(space.dim)))[0], c)
    X, u = _support(X, u)
    polished, r = False, 0
    for r in range(rounds):  # noqa: B007 (the count is reported)
        fn, grad = _dual_sensitivity(model, y)
        top = maximise(fn, grad if smooth else None, space, n_grid=settings.cert_size(space.dim), extra=X)
        closed = top.value <= 1.0 + settings.tol
        if space.is_finite or (closed and (polished or not one)):
            break
        if one and not polished:
            polished = True
            sol = _newton(model, space, *_merge(X, u, float(space.width[0])), y, c)
            if sol is not None:
                X, u, y = sol
                continue  # certify the polished design
            if closed:
                break  # Newton did not converge: keep the certified LP design
        polished = False
        cand = np.vstack([X, top.point[None]])
        u, y = _lp(model.features_at(cand)[0], c)
        X, u = _support(cand, u)
    return _result(problem, settings, X, u, c, y, r + 1)


def _result(problem: Problem, settings: Settings, X: Array, u: Array, c: Array, y: Array, rounds: int) -> DesignResult:
    X, u = _support(X, u, KEEP_REL)
    h = float(np.abs(u).sum())
    cy = float(c @ y)
    G = np.outer(y, y) * cy**2
    ev = Evaluation(np.array([-2.0 * np.log(h)]), np.array([h**2]), G[None], np.array([cy**2]))
    st = State(float(-2.0 * np.log(h)), (ev,), np.zeros(0), cy**2)
    res = assemble(problem, settings, X, np.abs(u) / h, st, {"column_generation_rounds": rounds})
    return replace(res, efficiency_formula=ELFVING_FORMULA)
