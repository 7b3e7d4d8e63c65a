"""Local optimality criteria on information matrices, batched over draws.

Every criterion is written as the logarithm ``φ = log Φ`` of a concave function Φ that is
positively homogeneous of degree one (``Φ(cM) = cΦ(M)``), so that

* the efficiency of ξ relative to ξ' is ``exp(φ(ξ) - φ(ξ'))`` — for D this is
  ``(det M/det M')^(1/p)``;
* with ``G`` the gradient in conventional units and ``b = tr(G M)`` the bound, the
  sensitivity ``d(x) = tr(G I(x))`` satisfies ``max_x d(x) = b`` at the optimum
  (Kiefer–Wolfowitz equivalence theorem) and ``eff ≥ b / max_x d(x)`` for any design
  (Atwood 1969; Pukelsheim 1993, §5.15), because ``Φ(M') ≤ tr(∇Φ(M) M')``.

Batch letters: ``S`` matrices of size ``p × p``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symfisher.errors import InputError

Array = NDArray[np.float64]
RANK_TOL = 1e-10


@dataclass(frozen=True)
class Evaluation:
    """A criterion evaluated at ``S`` information matrices.

    Attributes
    ----------
    phi : ndarray, shape (S,)
        Standardised log-criterion ``log Φ(M)`` (``-inf`` when ``M`` is unusable).
    value : ndarray, shape (S,)
        Conventional value: D ``log det M``, A ``tr M⁻¹``, c/L/I ``tr(L M⁻)``,
        Ds ``log det`` of the interest block's information, E ``λ_min``.
    grad : ndarray, shape (S, p, p)
        ``G`` with sensitivity ``d(x) = tr(G I(x))``.
    bound : ndarray, shape (S,)
        ``tr(G M)``: D ``p``, Ds ``s``, A ``tr M⁻¹``, c ``cᵀM⁻c``, E ``λ_min``.
    """

    phi: Array
    value: Array
    grad: Array
    bound: Array


def _sym(M: Array) -> Array:
    return 0.5 * (M + np.swapaxes(M, -1, -2))


def logdet_inv(M: Array) -> tuple[Array, Array]:
    """``log det M`` (``-inf`` if not positive definite) and ``M⁻¹`` via Cholesky, batched."""
    S, p = M.shape[0], M.shape[-1]
    logdet, inv = np.full(S, -np.inf), np.zeros_like(M)
    try:
        L = np.linalg.cholesky(M)
        ok = np.ones(S, dtype=bool)
    except np.linalg.LinAlgError:
        lam = np.linalg.eigvalsh(M)
        ok = lam[:, 0] > RANK_TOL * np.maximum(lam[:, -1], 1e-300)
        L = np.zeros_like(M)
        if ok.any():
            L[ok] = np.linalg.cholesky(M[ok])
    piv = np.diagonal(L, axis1=-2, axis2=-1) ** 2
    ok &= piv.min(axis=-1) > RANK_TOL * 1e-3 * np.diagonal(M, axis1=-2, axis2=-1).max(axis=-1)
    if ok.any():
        diag = np.diagonal(L[ok], axis1=-2, axis2=-1)
        logdet[ok] = 2.0 * np.log(diag).sum(axis=-1)
        Linv = np.linalg.solve(L[ok], np.broadcast_to(np.eye(p), L[ok].shape))
        inv[ok] = np.swapaxes(Linv, -1, -2) @ Linv
    return logdet, inv


def pinv_psd(M: Array) -> tuple[Array, Array]:
    """Moore–Penrose inverse of PSD matrices and the projector on their range, batched."""
    lam, vec = np.linalg.eigh(_sym(M))
    keep = lam > RANK_TOL * np.maximum(lam[:, -1:], 1e-300)
    inv_l = np.where(keep, 1.0 / np.where(keep, lam, 1.0), 0.0)
    pinv = (vec * inv_l[:, None, :]) @ np.swapaxes(vec, -1, -2)
    proj = (vec * keep[:, None, :]) @ np.swapaxes(vec, -1, -2)
    return pinv, proj


@dataclass(frozen=True)
class DCriterion:
    """D-optimality: maximise ``log det M``; ``d(x) = tr(M⁻¹ I(x))``, bound ``p``."""

    name: str = "D"

    def evaluate(self, M: Array) -> Evaluation:
        """Evaluate at ``M`` of shape ``(S, p, p)``."""
        p = M.shape[-1]
        logdet, inv = logdet_inv(M)
        return Evaluation(logdet / p, logdet, inv, np.where(np.isfinite(logdet), float(p), np.nan))


@dataclass(frozen=True)
class ACriterion:
    """A-optimality: minimise ``tr M⁻¹``; ``d(x) = tr(M⁻² I(x))``, bound ``tr M⁻¹``."""

    name: str = "A"

    def evaluate(self, M: Array) -> Evaluation:
        """Evaluate at ``M`` of shape ``(S, p, p)``."""
        logdet, inv = logdet_inv(M)
        tr = np.where(np.isfinite(logdet), np.trace(inv, axis1=-2, axis2=-1), np.inf)
        return Evaluation(-np.log(tr), tr, inv @ inv, tr)


@dataclass(frozen=True)
class LCriterion:
    """L-optimality: minimise ``tr(L M⁻)`` for a PSD ``L`` (c: ``L = c cᵀ``; I: ``L = ∫ f fᵀ``).

    Singular ``M`` is allowed when the range of ``L`` lies in the range of ``M`` (the
    estimability condition); the Moore–Penrose inverse is used. ``d(x) = tr(M⁻LM⁻ I(x))``,
    bound ``tr(L M⁻)``.
    """

    L: Array = field(default_factory=lambda: np.eye(1))
    name: str = "L"

    @staticmethod
    def from_c(c: ArrayLike, name: str = "c") -> LCriterion:
        """c-optimality for the linear combination ``cᵀθ`` (``c`` of shape ``(p,)``)."""
        v = np.asarray(c, dtype=float).ravel()
        if not np.all(np.isfinite(v)) or not np.any(v):
            raise InputError(f"c must be a finite non-zero vector, got {v}")
        return LCriterion(np.outer(v, v), name)

    @staticmethod
    def from_matrix(L: ArrayLike, p: int, name: str = "L") -> LCriterion:
        """L-optimality for ``tr(L M⁻¹)``; ``L`` PSD of shape ``(p, p)`` or ``K`` of shape ``(p, m)`` (``L = K Kᵀ``)."""
        A = np.atleast_2d(np.asarray(L, dtype=float))
        if A.shape[0] != p:
            raise InputError(f"L must have {p} rows (one per parameter), got shape {A.shape}")
        if A.shape != (p, p) or not np.allclose(A, A.T):
            A = A @ A.T
        if np.linalg.eigvalsh(A)[0] < -1e-10 * max(1.0, abs(A).max()):
            raise InputError("L must be positive semi-definite")
        return LCriterion(A, name)

    def evaluate(self, M: Array) -> Evaluation:
        """Evaluate at ``M`` of shape ``(S, p, p)``."""
        pinv, proj = pinv_psd(M)
        resid = np.abs(self.L - proj @ self.L @ proj).max(axis=(-2, -1))
        ok = resid <= 1e-7 * max(abs(self.L).max(), 1e-300)
        val = np.einsum("ij,sji->s", self.L, pinv)
        val = np.where(ok & (val > 0), val, np.inf)
        return Evaluation(-np.log(val), val, pinv @ self.L @ pinv, val)


@dataclass(frozen=True)
class DsCriterion:
    """Ds-optimality for the parameters ``interest`` (indices), the others being nuisance.

    Maximises ``log det M - log det M₂₂`` (the log det of the interest block's
    information); ``d(x) = tr(M⁻¹ I(x)) - tr(M₂₂⁻¹ I₂₂(x))``, bound ``s``.
    """

    interest: tuple[int, ...] = (0,)
    name: str = "Ds"

    def evaluate(self, M: Array) -> Evaluation:
        """Evaluate at ``M`` of shape ``(S, p, p)``."""
        p, s = M.shape[-1], len(self.interest)
        nuis = [i for i in range(p) if i not in self.interest]
        logdet, inv = logdet_inv(M)
        grad = inv.copy()
        val = logdet.copy()
        if nuis:
            ld22, inv22 = logdet_inv(M[:, nuis][:, :, nuis])
            val = logdet - ld22
            grad[:, np.ix_(nuis, nuis)[0], np.ix_(nuis, nuis)[1]] -= inv22
        return Evaluation(val / s, val, grad, np.where(np.isfinite(val), float(s), np.nan))


@dataclass(frozen=True)
class ECriterion:
    """E-optimality: maximise ``λ_min(M)``.

    The smooth form (``G = v vᵀ``, bound ``λ_min``) is only valid for a simple smallest
    eigenvalue; the optimiser uses the general equivalence theorem (see ``cutting_plane``).
    """

    name: str = "E"

    def evaluate(self, M: Array) -> Evaluation:
        """Evaluate at ``M`` of shape ``(S, p, p)``."""
        lam, vec = np.linalg.eigh(_sym(M))
        lmin = lam[:, 0]
        v = vec[:, :, 0]
        phi = np.where(lmin > 0, np.log(np.where(lmin > 0, lmin, 1.0)), -np.inf)
        return Evaluation(phi, lmin, v[:, :, None] * v[:, None, :], lmin)


LocalCriterion = DCriterion | ACriterion | LCriterion | DsCriterion | ECriterion
