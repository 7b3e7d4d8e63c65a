"""A design problem: models, criteria and their weights, the space and forced points.

A problem is a list of *components* ``(model, criterion, α)``; each model may carry ``S``
parameter draws, each draw with its own weight ``α_s``. The standardised log-criterion
of a design is ``φ(ξ) = Σ_j Σ_s α_js φ_j(M_js(ξ))`` (weights summing to one). This one
form covers locally optimal designs (one component, ``S = 1``), Bayesian designs
(one component, ``S`` prior draws), compound criteria (one model, several criteria) and
model-robust designs (several models). ``exp φ`` is concave and homogeneous of degree
one, so ``∂φ/∂w(x) = d̃(x)`` with ``Σ wᵢ d̃(xᵢ) = 1`` and ``eff ≥ 1 / max_x d̃(x)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from symfisher.errors import InputError
from symfisher.numeric.design.core import Space
from symfisher.numeric.design.criteria import Evaluation, LocalCriterion
from symfisher.numeric.design.model import PointInfo

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Component:
    """One model (with ``S`` draws) judged by one criterion, with draw weights ``alphas`` (S,)."""

    model: PointInfo
    criterion: LocalCriterion
    alphas: Array = field(default_factory=lambda: np.ones(1))


@dataclass(frozen=True)
class Problem:
    """A design problem.

    Parameters
    ----------
    components : tuple of Component
        Their ``alphas`` together sum to one.
    space : Space
        Box or finite candidate set.
    forced : ndarray, shape (m, q)
        Points that must be in the support, each with weight at least ``min_weight``.
    min_weight : float
        Minimum weight of each forced point.
    """

    components: tuple[Component, ...]
    space: Space
    forced: Array = field(default_factory=lambda: np.zeros((0, 1)))
    min_weight: float = 0.0

    def __post_init__(self) -> None:
        forced = np.asarray(self.forced, dtype=float).reshape(-1, self.space.dim)
        object.__setattr__(self, "forced", forced)
        if not 0.0 <= self.min_weight * forced.shape[0] < 1.0:
            raise InputError(
                f"min_weight = {self.min_weight} for {forced.shape[0]} forced point(s) must be >= 0 with total < 1"
            )
        if forced.shape[0] and not self.space.contains(forced).all():
            raise InputError(f"forced points {forced.tolist()} are not all in the design space")

    @property
    def fixed_mass(self) -> float:
        """Total weight reserved for the forced points."""
        return self.min_weight * self.forced.shape[0]


@dataclass(frozen=True)
class State:
    """Criterion of ``ξ = Σ_f m δ_f + (1 - m_tot) Σ ηᵢ δ_{xᵢ}`` and its sensitivity ``d̃`` on the points."""

    phi: float
    evals: tuple[Evaluation, ...]
    dtilde: Array
    scale: float


def factors(problem: Problem, X: Array) -> tuple[Array, ...]:
    """Factors ``F`` (``I = FᵀF``) of every component's model at ``X`` (N, q); each (S, N, r, p).

    Components sharing one model object (compound criteria) share one array.
    """
    done: dict[int, Array] = {}
    for c in problem.components:
        if id(c.model) not in done:
            done[id(c.model)] = c.model.factors_at(X)
    return tuple(done[id(c.model)] for c in problem.components)


def _weighted_gradients(problem: Problem, evals: tuple[Evaluation, ...]) -> list[tuple[PointInfo, Array]]:
    """``Σ_c (α_cs / b_cs) G_cs`` (S, p, p) per distinct model, so each model is evaluated once."""
    out: dict[int, tuple[PointInfo, Array]] = {}
    for comp, ev in zip(problem.components, evals):
        G = (comp.alphas / ev.bound)[:, None, None] * ev.grad
        key = id(comp.model)
        out[key] = (comp.model, out[key][1] + G) if key in out else (comp.model, G)
    return list(out.values())


def moment(F: Array, w: Array) -> Array:
    """``M = Σᵢ wᵢ FᵢᵀFᵢ`` for ``F`` (S, N, r, p) and ``w`` (N,); shape (S, p, p)."""
    S, N, r, p = F.shape
    Fw = (F * w[None, :, None, None]).reshape(S, N * r, p)
    return np.swapaxes(Fw, -1, -2) @ F.reshape(S, N * r, p)


def quad_form(F: Array, G: Array) -> Array:
    """``tr(G_s F_sᵢᵀ F_sᵢ)`` for ``F`` (S, N, r, p), ``G`` (S, p, p); shape (S, N)."""
    S, N, r, p = F.shape
    FG = (F.reshape(S, N * r, p) @ G).reshape(S, N, r, p)
    return np.einsum("snrp,snrp->sn", FG, F)


def state(problem: Problem, parts: tuple[Array, ...], eta: Array, fixed: tuple[Array, ...] | None = None) -> State:
    """Evaluate the design with free weights ``eta`` on the points behind ``parts``.

    ``fixed`` are the factors at the forced points (each (S, m, r, p)); their weight is
    ``min_weight`` each and the free part carries ``1 - m_tot``.
    """
    free = 1.0 - problem.fixed_mass
    phi, evals, bounds = 0.0, [], []
    moments: dict[int, Array] = {}
    for i, (comp, F) in enumerate(zip(problem.components, parts)):
        if id(F) not in moments:  # components sharing a model share F (see factors) and M
            M = free * moment(F, eta)
            if fixed is not None and fixed[i].shape[1]:
                M = M + moment(fixed[i], np.full(fixed[i].shape[1], problem.min_weight))
            moments[id(F)] = M
        ev = comp.criterion.evaluate(moments[id(F)])
        evals.append(ev)
        phi += float(np.dot(comp.alphas, ev.phi)) if np.all(np.isfinite(ev.phi)) else -np.inf
        if np.isfinite(phi):
            bounds.append(ev.bound)
    dt = np.zeros(parts[0].shape[1])
    if np.isfinite(phi):
        grads: dict[int, tuple[Array, Array]] = {}
        for comp, F, ev in zip(problem.components, parts, evals):
            G = (comp.alphas / ev.bound)[:, None, None] * ev.grad
            grads[id(F)] = (F, grads[id(F)][1] + G) if id(F) in grads else (F, G)
        for F, G in grads.values():
            dt += quad_form(F, G).sum(axis=0)
    allb = np.concatenate(bounds) if bounds else np.ones(1)
    scale = float(allb[0]) if np.allclose(allb, allb[0], rtol=1e-9) else 1.0
    return State(phi, tuple(evals), dt, scale)


def certificate_sensitivity(problem: Problem, evals: tuple[Evaluation, ...], X: Array) -> Array:
    """``d̃(X)`` for fixed criterion gradients ``evals`` at new points ``X`` (N, q); shape (N,)."""
    out = np.zeros(X.shape[0])
    for model, G in _weighted_gradients(problem, evals):
        out += quad_form(model.factors_at(X), G).sum(axis=0)
    return out


def certificate_gradient(problem: Problem, evals: tuple[Evaluation, ...], X: Array) -> Array:
    """``∂d̃/∂x`` at ``X`` (N, q); shape (N, q). Needs every model's x-derivative.

    Rank-one models use ``∂ tr(G f fᵀ)/∂x = 2 (∂f/∂x)ᵀ G f`` (G symmetric) without forming ``∂I/∂x``.
    """
    out = np.zeros(X.shape)
    for model, G in _weighted_gradients(problem, evals):
        if model.is_rank_one and model.dfeatures is not None:
            f = model.features_at(X)
            df = np.asarray(model.dfeatures(X), dtype=float).reshape(f.shape[0], X.shape[0], X.shape[1], -1)
            out += 2.0 * np.einsum("snqi,sij,snj->nq", df, G, f)
        else:
            out += np.einsum("snqij,sji->nq", model.dinfo_at(X), G)
    return out
