"""Second-order weight optimisation on a finite candidate set: active-set Newton on the simplex.

For the smooth criteria D, Ds, A and L/c (non-singular ``M``) the Hessian of the
standardised log-criterion ``φ(η)`` in the free weights is available in closed form from the
per-point factors ``Iᵢ = FᵢᵀFᵢ`` (``free = 1 - m_tot``, ``B = M⁻¹``):

* D: ``∂²φ/∂ηᵢ∂ηⱼ = -free² tr(B Iᵢ B Iⱼ) / p = -free² ‖Fᵢ B Fⱼᵀ‖²_F / p``;
* Ds: the same for ``M`` minus the same for the nuisance block, divided by ``s``;
* L (``v = tr(L B)``, ``N = B L B``, A: ``L = 1``):
  ``∂²φ = -free² (T + Tᵀ) / v + free² g gᵀ / v²`` with ``Tᵢⱼ = tr(N Iᵢ B Iⱼ)``, ``gᵢ = tr(N Iᵢ)``.

The method keeps a support set ``S``; on it, it takes the equality-constrained Newton step
(KKT system with the constraint ``Σ dᵢ = 0``), truncated so weights stay non-negative
(a weight reaching zero leaves ``S``), with backtracking on ``φ``. When the step is small,
the candidate with the largest ``∂φ/∂ηᵢ`` outside ``S`` enters if it beats the multiplier.
It converges quadratically near the optimum (Boyd & Vandenberghe 2004, §10.2) and returns
``None`` when a criterion has no closed-form Hessian here (E, singular ``M``) or when it
fails to make progress, so that the caller falls back to a first-order method.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
from numpy.typing import NDArray

from symfisher.numeric.design import stacked
from symfisher.numeric.design.criteria import ACriterion, DCriterion, DsCriterion, LCriterion, logdet_inv
from symfisher.numeric.design.problem import Problem, moment

Array = NDArray[np.float64]

STEP_TOL = 1e-15
"""Largest Newton step component below which the weights on the support set count as converged."""
SPREAD_TOL = 1e-13
"""Relative spread of ``∂φ/∂ηᵢ`` over the support below which it counts as converged."""
ROUNDING_SPREAD = 1e-9
"""If the line search stalls with a spread below this, the weights are returned (rounding-limited)."""
KKT_TOL = 1e-10
"""Relative excess of ``∂φ/∂ηᵢ`` over the multiplier that lets a candidate enter the support."""
ARMIJO = 1e-4
PHI_ROUNDING = 1e-13
"""Relative slack of the line search: near the optimum the gain (~ spread²) is below φ's rounding."""
MAX_ITER = 200
COND_MAX = 1e12
"""``M`` with a larger condition number is treated as singular (no Newton step)."""


def _pair(F: Array, A: Array) -> Array:
    """``(S, N, r, N, r)`` blocks ``Fᵢ A Fⱼᵀ`` for ``F`` (S, N, r, p) and ``A`` (S, p, p)."""
    S, N, r, p = F.shape
    Ff = F.reshape(S, N * r, p)
    return (Ff @ A @ np.swapaxes(Ff, -1, -2)).reshape(S, N, r, N, r)


Prepared = tuple[Array, Array, Array, Array, Array, Array]


def _prepare(F: Array, M: Array) -> Prepared | None:
    """Rescaled ``F``, ``M``, the scales ``dg``, ``log det M``, ``B = M'⁻¹`` and ``F' B F'ᵀ`` blocks.

    The parameters are rescaled so that ``M`` has unit diagonal (``M' = DMD``, ``F' = FD``,
    ``L' = DLD``): the criteria change by a constant only, and the rounding error of the
    gradient no longer grows with the spread of the parameter scales. Shared by all the
    criteria of one model (compound criteria evaluate it once).
    """
    dg = np.sqrt(np.clip(np.diagonal(M, axis1=-2, axis2=-1), 1e-300, None))
    F, M = F / dg[:, None, None, :], M / (dg[:, :, None] * dg[:, None, :])
    logdet, B = logdet_inv(M)
    if not np.all(np.isfinite(logdet)) or np.any(np.linalg.cond(M) > COND_MAX):
        return None
    return F, M, dg, logdet + 2.0 * np.log(dg).sum(axis=-1), B, _pair(F, B)


def _component(crit: object, prep: Prepared, free: float) -> tuple[Array, Array, Array] | None:
    """``φ_s`` (S,), gradient (S, N) and Hessian (S, N, N) of one component, or None."""
    F, M, dg, logdet, B, KB = prep
    p = F.shape[-1]
    if isinstance(crit, DCriterion) or (isinstance(crit, DsCriterion) and len(crit.interest) == p):
        grad = free * np.einsum("sirir->si", KB) / p
        hess = -(free**2) * np.einsum("siajb,siajb->sij", KB, KB) / p
        return logdet / p, grad, hess
    if isinstance(crit, DsCriterion):
        s, nuis = len(crit.interest), [i for i in range(p) if i not in crit.interest]
        ld2, B2 = logdet_inv(M[:, nuis][:, :, nuis])
        ld2 = ld2 + 2.0 * np.log(dg[:, nuis]).sum(axis=-1)
        K2 = _pair(F[..., nuis], B2)
        grad = free * (np.einsum("sirir->si", KB) - np.einsum("sirir->si", K2)) / s
        hess = -(free**2) * (np.einsum("siajb,siajb->sij", KB, KB) - np.einsum("siajb,siajb->sij", K2, K2)) / s
        return (logdet - ld2) / s, grad, hess
    if isinstance(crit, (LCriterion, ACriterion)):
        L0 = crit.L if isinstance(crit, LCriterion) else np.eye(p)
        L = L0[None] / (dg[:, :, None] * dg[:, None, :])
        v = np.einsum("sij,sji->s", L, B)
        KN = _pair(F, B @ L @ B)
        g = np.einsum("sirir->si", KN)
        T = np.einsum("sjaib,sibja->sij", KN, KB)
        hess = free**2 * (
            -(T + np.swapaxes(T, -1, -2)) / v[:, None, None] + g[:, :, None] * g[:, None, :] / v[:, None, None] ** 2
        )
        return -np.log(v), free * g / v[:, None], hess
    return None


def derivatives(
    problem: Problem, parts: tuple[Array, ...], eta: Array, fixed: tuple[Array, ...]
) -> tuple[float, Array, Array] | None:
    """``φ``, ``∂φ/∂η`` (N,) and ``∂²φ/∂η²`` (N, N) at ``eta`` (N,), or None (no Hessian)."""
    free = 1.0 - problem.fixed_mass
    phi, grad, hess = 0.0, np.zeros(eta.size), np.zeros((eta.size, eta.size))
    shared: dict[int, Prepared | None] = {}
    for i, (comp, F) in enumerate(zip(problem.components, parts)):
        if id(comp.model) not in shared:
            M = free * moment(F, eta)
            if fixed[i].shape[1]:
                M = M + moment(fixed[i], np.full(fixed[i].shape[1], problem.min_weight))
            shared[id(comp.model)] = _prepare(F, M)
        prep = shared[id(comp.model)]
        out = None if prep is None else _component(comp.criterion, prep, free)
        if out is None:
            return None
        ph, g, h = out
        phi += float(comp.alphas @ ph)
        grad += comp.alphas @ g
        hess += np.einsum("s,sij->ij", comp.alphas, h)
    return phi, grad, hess


def _kkt_step(g: Array, H: Array) -> Array:
    """Newton direction ``d`` maximising ``gᵀd + ½dᵀHd`` subject to ``Σ d = 0`` (H made negative definite)."""
    n = g.size
    shift = max(0.0, float(np.linalg.eigvalsh(H)[-1])) * 1.01 + 1e-14 * max(1.0, abs(H).max())
    K = np.zeros((n + 1, n + 1))
    K[:n, :n] = H - shift * np.eye(n)
    K[:n, n] = K[n, :n] = 1.0
    return np.linalg.solve(K, np.concatenate([-g, [0.0]]))[:n]


def newton(
    problem: Problem, parts: tuple[Array, ...], fixed: tuple[Array, ...], eta: Array, *, max_iter: int = MAX_ITER
) -> tuple[Array, int] | None:
    """Maximise ``φ`` over free weights ``eta`` (N,) on the simplex, warm-started at ``eta``.

    Returns
    -------
    (eta, iterations), or None when the criterion has no Hessian here or no progress is made.
    """
    eta = np.clip(np.asarray(eta, dtype=float), 0.0, None)
    eta /= eta.sum()
    deriv = _evaluator(problem, parts, fixed)
    cur = deriv(eta)
    if cur is None:
        return None
    for it in range(1, max_iter + 1):
        phi, g, H = cur
        S = np.flatnonzero(eta > 0.0)
        d = np.zeros(eta.size)
        d[S] = _kkt_step(g[S], H[np.ix_(S, S)])
        gc = g - float(g[S].mean())  # centred: Σ d = 0, so this avoids cancellation in gᵀd
        slope = float(gc @ d)
        spread = float(np.ptp(g[S])) / max(1e-300, abs(float(g[S].mean())))
        if np.abs(d).max() <= STEP_TOL or slope <= 0.0 or spread <= SPREAD_TOL:
            mu = float(g[S].mean())
            out = np.setdiff1d(np.arange(eta.size), S)
            if out.size == 0 or g[out].max() <= mu * (1.0 + KKT_TOL) + KKT_TOL:
                return eta, it
            j = out[np.argmax(g[out])]
            S2 = np.union1d(S, [j])
            d = np.zeros(eta.size)
            d[S2] = _kkt_step(g[S2], H[np.ix_(S2, S2)])
            if d[j] <= 0.0:
                return None
            slope = float(gc @ d)
        neg = d < 0.0
        amax = min(1.0, float(np.min(-eta[neg] / d[neg]))) if neg.any() else 1.0
        step = _line_search(deriv, eta, d, phi, slope, amax)
        if step is None:
            return (eta, it) if spread <= ROUNDING_SPREAD else None
        eta, cur = step
    return None


Derivatives = Callable[[Array], "tuple[float, Array, Array] | None"]


def _evaluator(problem: Problem, parts: tuple[Array, ...], fixed: tuple[Array, ...]) -> Derivatives:
    """``η ↦ (φ, ∂φ/∂η, ∂²φ/∂η²)``: all components in one batched pass (:mod:`stacked`) when
    their criteria allow it, else component by component (:func:`derivatives`)."""
    st = stacked.build(problem, parts, fixed)
    if st is None:
        return partial(_per_component, problem, parts, fixed)
    return partial(stacked.derivatives, st, free=1.0 - problem.fixed_mass, min_weight=problem.min_weight)


def _per_component(
    problem: Problem, parts: tuple[Array, ...], fixed: tuple[Array, ...], eta: Array
) -> tuple[float, Array, Array] | None:
    return derivatives(problem, parts, eta, fixed)


def _line_search(
    deriv: Derivatives, eta: Array, d: Array, phi: float, slope: float, amax: float
) -> tuple[Array, tuple[float, Array, Array]] | None:
    """Backtracking (Armijo) along ``d`` from step ``amax``; weights reaching ~0 are set to 0."""
    a = amax
    for _ in range(40):
        new = eta + a * d
        new[new <= 1e-14 * max(1.0, float(eta.max()))] = 0.0
        new = np.clip(new, 0.0, None)
        new /= new.sum()
        nxt = deriv(new)
        if nxt is not None and np.isfinite(nxt[0]) and nxt[0] >= phi + ARMIJO * a * slope - PHI_ROUNDING * abs(phi):
            return new, nxt
        a *= 0.5
    return None
