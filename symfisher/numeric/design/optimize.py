"""Optimal designs for smooth criteria: grid weights, continuous refinement, certificate.

1. multiplicative weights on a candidate grid (:mod:`weights`);
2. for a box and models with an x-derivative: clustering of the grid weights, then joint
   refinement of points and weights with exact gradients (:mod:`refine`); otherwise an
   exchange loop polishing the weights of the active candidates;
3. the sensitivity maximised over the whole space (:mod:`certificate`); the violating
   local maxima (one factor: all of them, up to ``EXCHANGE_ADD``; else the largest) are added
   to the support and step 2 repeated until the certificate holds. Step 2 is *rough*
   (:data:`refine.ROUGH_FTOL`, :data:`refine.ROUGH_GTOL`) while the support is still
   being found and *precise* once the certificate is within ``ROUGH_TOL`` of the bound or
   every violation sits at a support point; the last certificate is the returned one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
from numpy.typing import NDArray
from scipy.cluster.hierarchy import fclusterdata

from symfisher.errors import SingularDesignError
from symfisher.numeric.design.certificate import Maximum, maximise
from symfisher.numeric.design.core import Design
from symfisher.numeric.design.newton import newton
from symfisher.numeric.design.problem import (
    Problem,
    State,
    certificate_gradient,
    certificate_sensitivity,
    factors,
    state,
)
from symfisher.numeric.design.refine import final_state, merge, refine
from symfisher.numeric.design.result import DesignResult
from symfisher.numeric.design.weights import multiplicative, polish

Array = NDArray[np.float64]
ATWOOD = "eff >= b / max_x d(x) (homogeneous concave criterion; Atwood 1969, Pukelsheim 1993 §5.15)"

# Thresholds of the algorithm (relative to the largest weight unless stated otherwise).
CLUSTER_MIN_WEIGHT = 1e-4
"""Grid points below this share of the largest weight do not seed support points."""
CLUSTER_MAX_POINTS = 2000
"""At most this many heaviest grid points are clustered (single linkage is O(n²))."""
CLUSTER_RADIUS_STEPS = 1.5
"""Grid points closer than 1.5 grid steps (Chebyshev distance) form one support point."""
COARSE_TOL = 1e-2
"""Multiplicative-algorithm tolerance before continuous refinement (refinement sharpens it)."""
FINE_TOL = 1e-4
"""Multiplicative-algorithm tolerance on a fixed candidate set (polished by Newton after)."""
ACTIVE_MIN_WEIGHT = 1e-5
"""Candidates above this share of the largest weight enter the exchange loop's active set."""
NEW_POINT_WEIGHT = 0.05
"""Weight given to the points of maximal sensitivity added when the certificate fails."""
ROUGH_TOL = 1e-5
"""A roughly refined design whose certificate is within this of the bound is refined precisely."""
DUPLICATE_REL = 1e-3
"""Free support points closer than this share of the width are merged (weights summed) and
re-refined, so a returned continuous design has no two points closer than that."""
EXCHANGE_ADD = 5
"""Most violating candidates added per exchange round."""
DROP_WEIGHT = 1e-12
"""Active candidates at or below this weight leave the active set."""
KEEP_WEIGHT = 1e-10
"""Support points at or below this weight are dropped from the returned design."""
NEWTON_MAX_POINTS = 300
"""Finite candidate sets up to this size are solved by the active-set Newton method directly."""
CHEAP_CERTIFICATE_DRAWS = 64
"""Above this many prior draws the certificate grid is capped at CAPPED_CERTIFICATE_GRID points."""
CAPPED_CERTIFICATE_GRID = 2001


@dataclass(frozen=True)
class Settings:
    """Numerical settings: grid sizes per factor, certificate tolerance, iteration limits."""

    grid: int = 0
    cert_grid: int = 0
    tol: float = 1e-7
    rounds: int = 8

    def grid_size(self, q: int) -> int:
        """Candidate grid points per factor."""
        return self.grid or {1: 1001, 2: 101}.get(q, 21)

    def cert_size(self, q: int) -> int:
        """Certificate grid points per factor."""
        return self.cert_grid or {1: 10001, 2: 201}.get(q, 31)


def start(problem: Problem, X: Array) -> tuple[tuple[Array, ...], tuple[Array, ...], Array]:
    """Factors on the grid and at the forced points, and a uniform non-singular start."""
    parts = factors(problem, X)
    fixed = factors(problem, problem.forced)
    eta = np.full(X.shape[0], 1.0 / X.shape[0])
    if not np.isfinite(state(problem, parts, eta, fixed).phi):
        raise SingularDesignError(
            "the information matrix is singular for every candidate design (even all "
            f"{X.shape[0]} candidate points together): the model is not identifiable on this space"
        )
    return parts, fixed, eta


def clusters(problem: Problem, X: Array, eta: Array, step: float) -> tuple[Array, Array]:
    """Group grid points carrying weight into initial support points (weighted centres)."""
    mask = eta > CLUSTER_MIN_WEIGHT * eta.max()
    idx = np.flatnonzero(mask)
    if idx.size > CLUSTER_MAX_POINTS:
        idx = idx[np.argsort(eta[idx])[-CLUSTER_MAX_POINTS:]]
    pts, w = X[idx], eta[idx]
    if idx.size == 1:
        return pts, w / w.sum()
    labels = fclusterdata(
        pts / problem.space.width,
        t=CLUSTER_RADIUS_STEPS * step,
        criterion="distance",
        metric="chebyshev",
        method="single",
    )
    cen = np.array([np.average(pts[labels == c], axis=0, weights=w[labels == c]) for c in np.unique(labels)])
    cw = np.array([w[labels == c].sum() for c in np.unique(labels)])
    return cen, cw / cw.sum()


def level(problem: Problem, st: State, fixed: tuple[Array, ...]) -> float:
    """``ν``: the value ``d̃`` takes at free support points of an optimum (1 without forced points)."""
    m = problem.fixed_mass
    if m == 0.0:
        return 1.0
    fsum = float(certificate_sensitivity(problem, st.evals, problem.forced).sum())
    return (1.0 - problem.min_weight * fsum) / (1.0 - m)


def thin(
    problem: Problem, parts: tuple[Array, ...], fixed: tuple[Array, ...], max_draws: int = 64
) -> tuple[Problem, tuple[Array, ...], tuple[Array, ...]]:
    """Every k-th prior draw (alphas renormalised) so the grid phase stays cheap; the
    refinement and the certificate always use all draws."""
    steps = [max(1, c.alphas.size // max_draws) for c in problem.components]
    comps = tuple(
        replace(c, alphas=c.alphas[::k] * (c.alphas.sum() / c.alphas[::k].sum()))
        for c, k in zip(problem.components, steps)
    )
    return (
        replace(problem, components=comps),
        tuple(F[::k] for F, k in zip(parts, steps)),
        tuple(F[::k] for F, k in zip(fixed, steps)),
    )


def continuous(problem: Problem, settings: Settings) -> tuple[Array, Array, State, dict[str, object]]:
    """Steps 1–3 for a box and differentiable models."""
    q = problem.space.dim
    X = np.vstack([problem.forced, problem.space.grid(settings.grid_size(q))])
    parts, fixed, eta = start(problem, X)
    eta, st, its = multiplicative(*thin(problem, parts, fixed), eta, tol=COARSE_TOL)
    m = problem.forced.shape[0]
    pts, w = clusters(problem, X[m:], eta[m:], 1.0 / (settings.grid_size(q) - 1))
    w = np.concatenate([eta[:m], w * eta[m:].sum()])
    info: dict[str, object] = {"multiplicative_iterations": its, "rounds": 0}
    precise = False
    for r in range(settings.rounds + 1):
        info["rounds"] = r + 1
        pts, w = refine(problem, fixed, pts, w / w.sum(), precise=precise)
        n_before = pts.shape[0]
        pts, w = merge(problem, pts, w, rel_dist=DUPLICATE_REL)
        if pts.shape[0] < n_before:  # re-polish only when points were merged or dropped
            pts, w = refine(problem, fixed, pts, w, precise=precise)
        st = final_state(problem, fixed, pts, w)
        top = _certificate(problem, st, fixed, settings, np.vstack([problem.forced, pts]))
        bound = level(problem, st, fixed) * (1.0 + settings.tol)
        if top.value <= bound:
            if not precise:  # certified after a rough refinement: refine to full accuracy, re-certify
                precise = True
                continue
            info["certificate"] = top  # reused by assemble (same state, same support)
            break
        new = _violators(top, bound, pts, problem.space.width)
        if not precise and (new is None or top.value <= bound * (1.0 + ROUGH_TOL)):
            precise = True  # the support looks complete: from now on refine to full accuracy
            continue
        new = top.point[None] if new is None else new
        pts = np.vstack([pts, new])
        w = np.concatenate([w * (1.0 - NEW_POINT_WEIGHT), np.full(len(new), NEW_POINT_WEIGHT / len(new))])
    return pts, w, st, info


def discrete(problem: Problem, settings: Settings) -> tuple[Array, Array, State, dict[str, object]]:
    """Steps 1–3 with fixed candidate points (finite space or no x-derivative): exchange loop."""
    q = problem.space.dim
    X = np.vstack([problem.forced, problem.space.grid(settings.grid_size(q))])
    parts, fixed, eta = start(problem, X)
    m = problem.forced.shape[0]
    small = problem.space.is_finite and X.shape[0] <= NEWTON_MAX_POINTS
    direct = newton(problem, parts, fixed, eta) if small else None
    if direct is not None:
        eta = direct[0]
        keep = np.flatnonzero(eta[m:] > KEEP_WEIGHT) + m
        w = np.concatenate([eta[:m], eta[keep]])
        sub = tuple(F[:, np.r_[:m, keep]] for F in parts)
        info_n: dict[str, object] = {"newton_iterations": direct[1], "rounds": 0}
        return X[keep], w / w.sum(), state(problem, sub, w / w.sum(), fixed), info_n
    eta, st, its = multiplicative(problem, parts, fixed, eta, tol=FINE_TOL)
    active = np.union1d(np.arange(m), np.flatnonzero(eta > ACTIVE_MIN_WEIGHT * eta.max()))
    info: dict[str, object] = {"multiplicative_iterations": its, "rounds": 0}
    for r in range(settings.rounds * 3):
        info["rounds"] = r + 1
        sub = tuple(F[:, active] for F in parts)
        e, st = polish(problem, sub, fixed, eta[active] / eta[active].sum())
        eta = np.zeros(X.shape[0])
        eta[active] = e
        full = state(problem, parts, eta, fixed)
        nu = level(problem, full, fixed)
        viol = np.flatnonzero(full.dtilde > nu * (1.0 + settings.tol))
        if viol.size == 0 or (not problem.space.is_finite and r >= settings.rounds):
            break
        worst = viol[np.argsort(full.dtilde[viol])[::-1][:EXCHANGE_ADD]]
        active = np.union1d(active[e > DROP_WEIGHT], worst)
    keep = np.flatnonzero(eta[m:] > KEEP_WEIGHT) + m
    w = np.concatenate([eta[:m], eta[keep]])
    return X[keep], w / w.sum(), state(problem, tuple(F[:, np.r_[:m, keep]] for F in parts), w / w.sum(), fixed), info


def _violators(top: Maximum, bound: float, pts: Array, width: Array) -> Array | None:
    """Points (k, q) to add: every local maximum of the sensitivity above ``bound`` (one factor;
    at most ``EXCHANGE_ADD``, each away from the support and each other); None when every
    violation lies at the support (the weights/points are not yet accurate enough)."""
    if top.peaks is None or top.peak_values is None:
        return top.point[None]
    out: list[Array] = []
    for x, v in zip(top.peaks, top.peak_values):
        near = [np.abs(x - p).max() < 1e-3 * width.max() for p in [*pts, *out]]
        if v > bound and not any(near) and len(out) < EXCHANGE_ADD:
            out.append(x)
    return np.array(out) if out else None


def _certificate(problem: Problem, st: State, fixed: tuple[Array, ...], settings: Settings, support: Array) -> Maximum:
    smooth = all(c.model.has_derivative for c in problem.components)
    fn = partial(certificate_sensitivity, problem, st.evals)
    grad = partial(certificate_gradient, problem, st.evals) if smooth else None
    draws = sum(c.alphas.size for c in problem.components)
    n = settings.cert_size(problem.space.dim)
    n = n if draws <= CHEAP_CERTIFICATE_DRAWS or settings.cert_grid else min(n, CAPPED_CERTIFICATE_GRID)
    return maximise(fn, grad, problem.space, n_grid=n, extra=support)


def _scaled(scale: float, fn: Callable[[Array], Array], X: Array) -> Array:
    return scale * fn(X)


def optimise(problem: Problem, settings: Settings = Settings()) -> DesignResult:
    """Optimal design for a smooth criterion, with its certificate.

    Examples
    --------
    >>> res = optimise(Problem((Component(model, DCriterion()),), Space.box((-1, 1))))  # doctest: +SKIP
    """
    smooth = all(c.model.has_derivative for c in problem.components)
    if smooth and not problem.space.is_finite:
        pts, w, st, info = continuous(problem, settings)
    else:
        pts, w, st, info = discrete(problem, settings)
    return assemble(problem, settings, pts, w, st, info)


def assemble(
    problem: Problem, settings: Settings, pts: Array, w: Array, st: State, info: dict[str, object]
) -> DesignResult:
    """Certificate and result for forced + free points ``pts`` with free weights ``w``."""
    m, mw = problem.forced.shape[0], problem.min_weight
    fixed = factors(problem, problem.forced)
    allpts = np.vstack([problem.forced, pts]) if pts.shape[0] != w.size else pts
    total = (1.0 - problem.fixed_mass) * w
    total[:m] += mw
    cached = info.pop("certificate", None)
    top = cached if isinstance(cached, Maximum) else _certificate(problem, st, fixed, settings, allpts)
    value, where = top.value, top.point
    nu = level(problem, st, fixed)
    fsum = float(certificate_sensitivity(problem, st.evals, problem.forced).sum()) if m else 0.0
    eff = 1.0 / (mw * fsum + (1.0 - problem.fixed_mass) * value)
    formula = ATWOOD if m == 0 else ATWOOD + ", over designs giving each forced point >= min_weight"
    keep = total > 0.0
    pts_out = allpts[keep]
    design = Design(pts_out[:, 0] if allpts.shape[1] == 1 else pts_out, total[keep] / total[keep].sum())
    single = len(problem.components) == 1 and problem.components[0].alphas.size == 1
    crit = float(st.evals[0].value[0]) if single else st.phi
    sens = partial(_scaled, st.scale, partial(certificate_sensitivity, problem, st.evals))
    return DesignResult(
        design,
        crit,
        st.phi,
        st.scale * nu,
        st.scale * value,
        where,
        eff,
        formula,
        bool(eff >= 1.0 - 10 * settings.tol),
        problem,
        sens,
        info,
    )
