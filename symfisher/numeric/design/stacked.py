"""All components of a design problem evaluated in one batched pass (for the Newton weights).

A model-averaged compound criterion (e.g. DoseFinding's Dopt&TD over 7 models) has many
components; evaluating them one by one costs about ten small NumPy calls each, so the
Newton method on a handful of candidate doses is dominated by call overhead. Here every
distinct model's factors are stacked along the draw axis, zero-padded to the largest
parameter count ``P`` and rank ``r``; the information matrices get the identity on the padded
coordinates (``log det`` and the inverse of the real block are unchanged, the factors are zero
there, so every ``Fᵢ B Fⱼᵀ`` is unchanged). One Cholesky batch, one ``F B Fᵀ`` batch and one
pass per criterion kind (D, L/A) then give ``φ``, ``∂φ/∂η`` and ``∂²φ/∂η²`` with the formulas
of :mod:`newton`.

Dimension letters: ``T`` stacked rows (all draws of all distinct models), ``N`` candidates,
``r`` rank, ``P`` padded parameter count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symfisher.numeric.design.criteria import ACriterion, DCriterion, DsCriterion, LCriterion, logdet_inv
from symfisher.numeric.design.problem import Problem, moment

Array = NDArray[np.float64]
COND_MAX = 1e12
"""``M`` (unit diagonal) with a larger condition number is treated as singular (as in :mod:`newton`)."""


@dataclass(frozen=True)
class Stack:
    """Stacked, padded factors and the rows each criterion kind reads.

    Attributes
    ----------
    F, fixed : ndarray, shapes (T, N, r, P) and (T, m, r, P)
    pad : ndarray, shape (T, P, P)
        Identity on the padded coordinates of each row.
    d_rows, d_alpha, d_p : ndarray, shape (nD,)
        D components: stacked row, weight, parameter count.
    l_rows, l_alpha : ndarray, shape (nL,)
    l_L : ndarray, shape (nL, P, P)
        L components (A: ``L = I``): stacked row, weight, padded ``L``.
    """

    F: Array
    fixed: Array
    pad: Array
    d_rows: Array
    d_alpha: Array
    d_p: Array
    l_rows: Array
    l_alpha: Array
    l_L: Array


def _padded(F: Array, r: int, P: int) -> Array:
    S, N, rr, p = F.shape
    out = np.zeros((S, N, r, P))
    out[:, :, :rr, :p] = F
    return out


def build(problem: Problem, parts: tuple[Array, ...], fixed: tuple[Array, ...]) -> Stack | None:
    """The stack for ``problem`` with factors ``parts`` (each (S, N, r, p)); None for criteria
    other than D, A, L and Ds of all parameters (those use the per-component route)."""
    first: dict[int, int] = {}
    for i, c in enumerate(problem.components):
        first.setdefault(id(c.model), i)
    models = list(first.values())
    P = max(parts[i].shape[-1] for i in models)
    r = max(parts[i].shape[-2] for i in models)
    start, rows = {}, 0
    for i in models:
        start[id(problem.components[i].model)] = rows
        rows += parts[i].shape[0]
    pad = np.zeros((rows, P, P))
    for i in models:
        s0, S, p = start[id(problem.components[i].model)], parts[i].shape[0], parts[i].shape[-1]
        pad[s0 : s0 + S, range(p, P), range(p, P)] = 1.0
    d: list[tuple[Any, Array, Array]] = []
    lcomp: list[tuple[Any, Array, Array]] = []
    for c, F in zip(problem.components, parts):
        S, p = F.shape[0], F.shape[-1]
        idx = start[id(c.model)] + np.arange(S)
        crit = c.criterion
        if isinstance(crit, DCriterion) or (isinstance(crit, DsCriterion) and len(crit.interest) == p):
            d.append((idx, c.alphas, np.full(S, float(p))))
        elif isinstance(crit, (LCriterion, ACriterion)):
            L = np.zeros((S, P, P))
            L[:, :p, :p] = crit.L if isinstance(crit, LCriterion) else np.eye(p)
            lcomp.append((idx, c.alphas, L))
        else:
            return None
    cat = lambda parts_, k, shape: np.concatenate([t[k] for t in parts_]) if parts_ else np.zeros(shape)  # noqa: E731
    return Stack(
        np.concatenate([_padded(parts[i], r, P) for i in models]),
        np.concatenate([_padded(fixed[i], r, P) for i in models]),
        pad,
        cat(d, 0, (0,)).astype(int),
        cat(d, 1, (0,)),
        cat(d, 2, (0,)),
        cat(lcomp, 0, (0,)).astype(int),
        cat(lcomp, 1, (0,)),
        cat(lcomp, 2, (0, P, P)),
    )


def _pair(F: Array, A: Array) -> Array:
    """``(T, N, r, N, r)`` blocks ``Fᵢ A Fⱼᵀ`` for ``F`` (T, N, r, P) and ``A`` (T, P, P)."""
    T, N, r, P = F.shape
    Ff = F.reshape(T, N * r, P)
    return (Ff @ A @ np.swapaxes(Ff, -1, -2)).reshape(T, N, r, N, r)


def derivatives(st: Stack, eta: Array, free: float, min_weight: float) -> tuple[float, Array, Array] | None:
    """``φ``, ``∂φ/∂η`` (N,) and ``∂²φ/∂η²`` (N, N) at free weights ``eta`` (N,); None if singular."""
    M = free * moment(st.F, eta) + st.pad
    if st.fixed.shape[1]:
        M = M + moment(st.fixed, np.full(st.fixed.shape[1], min_weight))
    dg = np.sqrt(np.clip(np.diagonal(M, axis1=-2, axis2=-1), 1e-300, None))
    F, M = st.F / dg[:, None, None, :], M / (dg[:, :, None] * dg[:, None, :])
    logdet, B = logdet_inv(M)
    if not np.all(np.isfinite(logdet)) or np.any(np.linalg.cond(M) > COND_MAX):
        return None
    logdet = logdet + 2.0 * np.log(dg).sum(axis=-1)
    KB = _pair(F, B)
    N = eta.size
    phi, grad, hess = 0.0, np.zeros(N), np.zeros((N, N))
    if st.d_rows.size:
        K = KB[st.d_rows]
        a = st.d_alpha / st.d_p
        phi += float(a @ logdet[st.d_rows])
        grad += free * (a @ np.einsum("sirir->si", K))
        hess -= free**2 * np.einsum("s,siajb,siajb->ij", a, K, K)
    if st.l_rows.size:
        rows, dl = st.l_rows, dg[st.l_rows]
        L, Bl = st.l_L / (dl[:, :, None] * dl[:, None, :]), B[rows]
        v = np.einsum("sij,sji->s", L, Bl)
        KN = _pair(F[rows], Bl @ L @ Bl)
        g = np.einsum("sirir->si", KN)
        T = np.einsum("sjaib,sibja->sij", KN, KB[rows])
        a = st.l_alpha
        phi -= float(a @ np.log(v))
        grad += free * ((a / v) @ g)
        hess += free**2 * (
            -np.einsum("s,sij->ij", a / v, T + np.swapaxes(T, -1, -2)) + np.einsum("s,si,sj->ij", a / v**2, g, g)
        )
    return phi, grad, hess
