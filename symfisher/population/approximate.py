"""Approximate (continuous) population designs over sampling schedules, with a certificate.

An approximate design puts weights ``w_i`` (fractions of the subjects) on elementary
designs — schedules ``x_i`` of ``k`` sampling times — so that the information per subject
is ``M(ξ) = Σ w_i M(x_i)``. For D-optimality the equivalence theorem (Kiefer–Wolfowitz;
for population designs Mentré, Mallet & Baccar 1997) says ξ is optimal iff

    d(x, ξ) = tr(M(ξ)⁻¹ M(x)) ≤ P   for every schedule x in the design space,

with equality on the support; and for any ξ, ``eff_D(ξ) ≥ P / max_x d(x, ξ)`` (Atwood
1969). Here the weights come from the multiplicative algorithm on a finite candidate set
(all ``k``-subsets of a time grid, or given schedules), and the certificate maximises
``d`` over the *continuous* schedule space (windows, minimum spacing) by local
optimisation started from the best candidates.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from symfisher.errors import DesignSpaceError
from symfisher.population.design import layout
from symfisher.population.fim import design_of, evaluator, theta_matrix
from symfisher.population.model import PopulationModel

__all__ = ["MAX_CANDIDATES", "ApproximateDesign", "approximate_population_design"]

Array = NDArray[np.float64]
MAX_CANDIDATES = 200_000


@dataclass(frozen=True)
class ApproximateDesign:
    """A D-optimal approximate population design with its equivalence-theorem certificate.

    Attributes
    ----------
    schedules : ndarray (S, k)
        Support schedules (sorted times).
    weights : ndarray (S,)
        Fractions of subjects, summing to 1.
    information : ndarray (P, P)
        ``M(ξ)`` per subject.
    max_sensitivity : float
        ``max_x d(x, ξ)`` over the continuous schedule space (≥ the candidates' maximum).
    bound : int
        ``P``, the number of estimated parameters.
    efficiency_bound : float
        ``P / max_sensitivity``: a lower bound on the D-efficiency of ξ.
    iterations : int
    """

    schedules: Array
    weights: Array
    information: Array
    max_sensitivity: float
    bound: int
    efficiency_bound: float
    iterations: int

    def summary(self) -> str:
        """Text: support, weights and certificate."""
        lines = ["D-optimal approximate population design (weights = fractions of subjects):"]
        for s, w in zip(self.schedules, self.weights):
            lines.append(f"  times {', '.join(f'{v:.4g}' for v in s)}  weight {w:.4f}")
        lines.append(
            f"certificate: max d(x) = {self.max_sensitivity:.6f} vs P = {self.bound}; "
            f"D-efficiency >= {self.efficiency_bound:.6f}"
        )
        return "\n".join(lines)


def _candidates(grid: Any, k: int, candidates: Any) -> Array:
    if candidates is not None:
        c = np.sort(np.atleast_2d(np.asarray(candidates, float)), axis=1)
        if c.shape[1] != k:
            raise DesignSpaceError(f"candidate schedules have {c.shape[1]} times; samples={k}")
        return c
    g = np.unique(np.asarray(grid, float))
    count = np.prod(np.arange(len(g) - k + 1, len(g) + 1)) / np.prod(np.arange(1, k + 1))
    if count > MAX_CANDIDATES:
        raise DesignSpaceError(
            f"{int(count)} candidate schedules ({k} of {len(g)} grid times) exceed "
            f"{MAX_CANDIDATES}; use a coarser grid or give candidates"
        )
    return np.array(list(itertools.combinations(g, k)), float)


def _multiplicative(
    flat: Array, w: Array, p: int, tol: float, iters: int, prune: bool
) -> tuple[Array, NDArray[np.intp], int]:
    """Multiplicative algorithm for D, w ← w · d / P (Titterington 1976; Silvey et al. 1978), with the
    deletion rule of Harman & Pronzato (2007) when ``prune``: a candidate with
    d < P(1 + ε/2 − sqrt(ε(4 + ε − 4/P))/2), ε = max d / P − 1, has no weight at the optimum.

    Returns the weights, the indices of the candidates still alive and the iterations used."""
    alive = np.arange(len(flat))
    f, wa = flat, w.copy()
    it = 0
    for it in range(1, iters + 1):
        minv = np.linalg.inv((wa @ f).reshape(p, p))
        d = f @ minv.ravel()
        eps = d.max() / p - 1
        if eps <= tol:
            break
        wa = wa * d / p
        if prune and it % 10 == 0:
            keep = d >= p * (1 + eps / 2 - np.sqrt(eps * (4 + eps - 4 / p)) / 2)
            alive, f, wa = alive[keep], f[keep], wa[keep]
        wa /= wa.sum()
    out = np.zeros(len(flat))
    out[alive] = wa
    return out, alive, it


def _weights(mats: Array, tol: float, max_iter: int) -> tuple[Array, int]:
    """D-optimal weights on the candidates: a pruned multiplicative phase, then the multiplicative
    algorithm on the active set, enlarged by the most violating candidates until max d ≤ P(1 + tol)."""
    p = mats.shape[-1]
    flat = mats.reshape(len(mats), p * p)
    w, _, total = _multiplicative(flat, np.full(len(mats), 1.0 / len(mats)), p, 1e-3, max_iter, True)
    for _ in range(20):
        d = flat @ np.linalg.inv((w @ flat).reshape(p, p)).ravel()
        if d.max() <= p * (1 + tol):
            break
        active = np.union1d(np.flatnonzero(w > 1e-9), np.argsort(-d)[:10])
        wa, _, it = _multiplicative(flat[active], w[active] + 1e-6, p, tol, 20 * max_iter, False)
        w = np.zeros(len(mats))
        w[active] = wa
        total += it
    return w, total


def approximate_population_design(
    model: PopulationModel,
    theta: Any,
    *,
    samples: int,
    grid: Any = None,
    candidates: Any = None,
    group: Any = None,
    windows: Any = None,
    min_spacing: float = 0.0,
    structure: str = "full",
    tol: float = 1e-5,
    max_iter: int = 5000,
    polish_starts: int = 5,
    rounds: int = 12,
) -> ApproximateDesign:
    """D-optimal approximate design over schedules of ``samples`` times, certified.

    Parameters
    ----------
    model : PopulationModel (one response)
    theta : mapping
    samples : int
        Times per subject (k).
    grid : array_like, optional
        Candidate times; candidates are all k-subsets (duplicates excluded).
    candidates : array_like (C, k), optional
        Explicit candidate schedules (instead of ``grid``).
    group : mapping, optional
        Covariate values ``{"DOSE": 70}`` of the subjects.
    windows : (lo, hi), optional
        The continuous design space of each time (default: the grid's range).
    min_spacing : float
    structure : {"full", "reduced"}
    tol, max_iter : multiplicative-algorithm stopping rule (max d ≤ P(1 + tol)).
    polish_starts : int
        Candidates (largest d) from which d is maximised continuously.
    rounds : int
        Column-generation rounds: the continuous maximiser of d is added to the candidates
        and the weights recomputed, until max d ≤ P(1 + 10·tol).

    Returns
    -------
    ApproximateDesign
    """
    cand = _candidates(grid, samples, candidates)
    lo, hi = (float(cand.min()), float(cand.max())) if windows is None else map(float, windows)
    template = design_of(model, {"times": cand[0].tolist(), "n": 1.0, **dict(group or {})})
    lay = layout(template, [c.name for c in model.covariates])
    ev = evaluator(model, structure)
    mat = theta_matrix(model, theta)

    def info(times: Array) -> Array:
        return ev.per_group(lay, mat, times=np.atleast_2d(times))[0]

    mats = np.concatenate([info(cand[i : i + 4096]) for i in range(0, len(cand), 4096)])
    iters, d_max = 0, np.inf
    for _ in range(rounds):
        w, it = _weights(mats, tol, max_iter)
        iters += it
        minv = np.linalg.inv(np.einsum("c,cij->ij", w, mats))
        d_cand = np.einsum("ij,cji->c", minv, mats)
        found = [_max_d(info, minv, s, lo, hi, min_spacing) for s in cand[np.argsort(-d_cand)[:polish_starts]]]
        d_max, x_new = max(found, key=lambda v: v[0])
        d_max = max(d_max, float(d_cand.max()))
        p = mats.shape[-1]
        if d_max <= p * (1 + 10 * tol):
            break
        # column generation: the continuous maximiser of d joins the candidates (Fedorov-Wynn step)
        cand = np.vstack([cand, x_new[None, :]])
        mats = np.concatenate([mats, info(x_new)])
    keep = w > 1e-4
    ws = w[keep] / w[keep].sum()
    m_xi = np.einsum("c,cij->ij", w, mats)
    return ApproximateDesign(cand[keep], ws, m_xi, d_max, mats.shape[-1], mats.shape[-1] / d_max, iters)


def _max_d(info: Any, minv: Array, start: Array, lo: float, hi: float, spacing: float) -> tuple[float, Array]:
    """Local maximum of d(x) = tr(M⁻¹ M(x)) over schedules near ``start`` (SLSQP, FD gradient)."""
    k = len(start)

    def neg(x: Array) -> float:
        m = info(np.sort(x))[0]
        return -float(np.einsum("ij,ji->", minv, m)) if np.all(np.isfinite(m)) else 0.0

    cons = [{"type": "ineq", "fun": (lambda x, i=i: x[i + 1] - x[i] - spacing)} for i in range(k - 1)]
    res = minimize(
        neg,
        start,
        method="SLSQP",
        bounds=[(lo, hi)] * k,
        constraints=cons,
        options={"maxiter": 100, "ftol": 1e-12},
    )
    x = np.sort(np.clip(res.x, lo, hi))
    return (-neg(x), x) if -neg(x) >= -neg(start) else (-neg(start), np.asarray(start, float))
