"""Assembly of the first-order population Fisher information (NumPy only; no SymPy).

Per elementary design (one group's samples, ``n`` observations) the linearised model is
``y ~ N(μ, V)`` with ``μ = f(β, η*) − Z η*`` and ``V = Z Ω Zᵀ + diag(r)`` (FO: ``η* = 0``),
and the Gaussian Fisher information is

    I_ab = ∂_a μᵀ V⁻¹ ∂_b μ + ½ tr(V⁻¹ ∂_a V V⁻¹ ∂_b V).

*full*: ``V`` depends on β through ``Z`` and ``r`` (the β–β block gains the trace term,
and the β–variance cross block is non-zero); *reduced*: that dependence is ignored (the
matrix is block diagonal), the two variants PopED and PFIM report.

Dimension letters: M parameter sets (prior draws), n observations, K responses, B fixed
effects (all), q random effects, s residual variances, P estimated parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
IntArray = NDArray[np.intp]

__all__ = ["Blocks", "Selection", "group_information", "pick_response"]


@dataclass(frozen=True)
class Selection:
    """Which parameters are estimated (indices into the model's full lists).

    Attributes
    ----------
    beta : int array (b,)
        Estimated fixed effects (indices into all B fixed effects).
    omega_i, omega_j : int array (e,)
        Row and column of each estimated Ω entry.
    sigma : int array (s_e,)
        Estimated residual variances (indices into all s).
    """

    beta: IntArray
    omega_i: IntArray
    omega_j: IntArray
    sigma: IntArray

    @property
    def size(self) -> int:
        """Number P of estimated parameters."""
        return len(self.beta) + len(self.omega_i) + len(self.sigma)


@dataclass(frozen=True)
class Blocks:
    """Kernel outputs of one group's samples, response picked per sample.

    Shapes: ``F`` (M, n), ``FB`` (M, n, B), ``Z`` (M, n, q), ``ZB`` (M, n, q, B),
    ``R`` (M, n), ``RB`` (M, n, B), ``RS`` (M, n, s).
    """

    F: Array
    FB: Array
    Z: Array
    ZB: Array
    R: Array
    RB: Array
    RS: Array


def pick_response(out: dict[str, Array], k: IntArray, sl: slice) -> Blocks:
    """Kernel outputs (M, N, K, ...) → the samples ``sl`` of one group with response ``k[sl]``."""
    idx = np.arange(sl.start, sl.stop)
    kk = k[sl]
    m = out["F"].shape[0]
    z_default = np.zeros((m, len(idx), 0))
    zb_default = np.zeros((m, len(idx), 0, out["FB"].shape[-1]))
    return Blocks(
        F=out["F"][:, idx, kk],
        FB=out["FB"][:, idx, kk],
        R=out["R"][:, idx, kk],
        RB=out["RB"][:, idx, kk],
        RS=out["RS"][:, idx, kk],
        Z=out["Z"][:, idx, kk] if "Z" in out else z_default,
        ZB=out["ZB"][:, idx, kk] if "ZB" in out else zb_default,
    )


def _diag_embed(d: Array) -> Array:
    """(..., n) → (..., n, n) diagonal matrices."""
    n = d.shape[-1]
    return d[..., :, None] * np.eye(n)


def _variance_derivatives(b: Blocks, omega: Array, sel: Selection, full: bool) -> Array:
    """∂V/∂θ_a for the V-dependent parameters: (M, P_v, n, n), β first when ``full``."""
    parts = []
    zt = b.Z.transpose(0, 2, 1)[:, None]  # (M, 1, q, n)
    if full and len(sel.beta):
        zb = b.ZB[..., sel.beta].transpose(0, 3, 1, 2)  # (M, b, n, q)
        a = (zb @ omega[:, None]) @ zt  # ∂Z/∂β_a Ω Zᵀ
        parts.append(a + a.transpose(0, 1, 3, 2) + _diag_embed(np.moveaxis(b.RB[..., sel.beta], 2, 1)))
    if len(sel.omega_i):
        zi = b.Z[..., sel.omega_i].transpose(0, 2, 1)  # (M, e, n)
        zj = b.Z[..., sel.omega_j].transpose(0, 2, 1)
        s = zi[..., :, None] * zj[..., None, :]
        off = (sel.omega_i != sel.omega_j)[None, :, None, None]
        parts.append(np.where(off, s + s.transpose(0, 1, 3, 2), s))
    if len(sel.sigma):
        parts.append(_diag_embed(np.moveaxis(b.RS[..., sel.sigma], 2, 1)))
    return np.concatenate(parts, axis=1)


def _inverse(v: Array) -> Array:
    """Batched inverse; a singular matrix (e.g. a proportional-error sample where f = 0) gives NaN."""
    try:
        return np.asarray(np.linalg.inv(v), float)
    except np.linalg.LinAlgError:
        out = np.full_like(v, np.nan)
        for i, x in enumerate(v):
            try:
                out[i] = np.linalg.inv(x)
            except np.linalg.LinAlgError:
                pass
        return out


def group_information(b: Blocks, omega: Array, eta: Array, sel: Selection, full: bool) -> Array:
    """The FO Fisher information of one subject of a group.

    Parameters
    ----------
    b : Blocks
        The group's kernel outputs (M parameter sets, n observations).
    omega : ndarray (M, q, q)
        Covariance of the random effects.
    eta : ndarray (M, q)
        Linearisation point (zeros for FO).
    sel : Selection
    full : bool
        Full (True) or reduced (False) information.

    Returns
    -------
    ndarray (M, P, P)
        Parameters ordered: estimated β, Ω entries, σ².
    """
    m, n = b.F.shape
    nb = len(sel.beta)
    v = (b.Z @ omega) @ b.Z.transpose(0, 2, 1) + _diag_embed(b.R)
    vi = _inverse(v)
    jac = b.FB[..., sel.beta]
    if np.any(eta):
        jac = jac - (b.ZB[..., sel.beta].transpose(0, 1, 3, 2) @ eta[:, None, :, None])[..., 0]
    out = np.zeros((m, sel.size, sel.size))
    out[:, :nb, :nb] = jac.transpose(0, 2, 1) @ (vi @ jac)
    if sel.size == nb and not full:
        return out
    dv = _variance_derivatives(b, omega, sel, full)
    w = vi[:, None] @ dv  # (M, P_v, n, n)
    k = w.shape[1]
    t = 0.5 * (w.reshape(m, k, n * n) @ w.transpose(0, 1, 3, 2).reshape(m, k, n * n).transpose(0, 2, 1))
    if full:
        out += t
    else:
        out[:, nb:, nb:] = t
    return out
