"""D-optimality: log det I orders the MLE's entropy and its confidence-ellipsoid volume.

For n observations the MLE is asymptotically N(θ, (nI)⁻¹). With M = nI (p × p):

- entropy   h = (p/2)(1 + log 2π) − ½ log det M,
- volume    vol{d : dᵀ M d ≤ χ²_{p,0.95}} = V_p (χ²_{p,0.95})^{p/2} det(M)^{−1/2},
  V_p = π^{p/2} / Γ(p/2 + 1),

so maximising log det I (D-optimality) minimises both. Both sides are computed
independently: the entropy by quadrature (−∫φ log φ with a numerically integrated
normaliser; for p ≥ 2 by the chain rule h = Σ_k h(d_k | d_<k), the conditional
variances by Gaussian elimination of M, each term a 1-D quadrature), the volume by
quadrature of r(u)^p / p over the unit sphere (p ≤ 3, polar/spherical coordinates) or
Monte Carlo on the sphere with a 5-standard-error bound (p ≥ 4); the closed forms use
log det I from the symbolic Fisher matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from symfisher.options import Status
from symfisher.verification.context import Ctx
from symfisher.verification.report import Outcome

__all__ = ["EllipsoidCheck", "ellipsoid_check", "d_optimality_entropy"]

N_OBS = 20
"""Sample size n of the asymptotic MLE distribution N(θ, (nI)⁻¹)."""
LEVEL = 0.95
"""Confidence level of the ellipsoid."""
QUAD_TOL = 1e-10
"""Relative tolerance of the quadrature routes."""
MC_SAMPLES = 200_000


@dataclass(frozen=True)
class EllipsoidCheck:
    """Entropy and ellipsoid volume of N(0, M⁻¹), numerically and in closed form.

    Attributes
    ----------
    logdet : float
        log det M (from the caller's closed form).
    entropy, entropy_formula : float
        Numeric and closed-form entropy.
    volume, volume_formula : float
        Numeric and closed-form volume of {d : dᵀMd ≤ χ²_{p,level}}.
    volume_tol : float
        Relative tolerance of the numeric volume (quadrature or 5 Monte Carlo SE).
    method : str
        How the numeric sides were computed.
    """

    logdet: float
    entropy: float
    entropy_formula: float
    volume: float
    volume_formula: float
    volume_tol: float
    method: str

    @property
    def residual(self) -> float:
        """Largest relative discrepancy of the two numeric sides."""
        return max(
            abs(self.entropy - self.entropy_formula) / max(1.0, abs(self.entropy_formula)),
            abs(self.volume - self.volume_formula) / self.volume_formula,
        )


def _chi2_quantile(p: int, level: float) -> Any:
    return mpmath.findroot(lambda c: mpmath.gammainc(mpmath.mpf(p) / 2, 0, c / 2, regularized=True) - level, p + 1.0)


def _entropy_1d(prec: Any) -> Any:
    """−∫φ log φ for N(0, 1/prec): h = log Z + E[q]/2 with Z = ∫e^(−q/2), q = prec·d²."""
    z = mpmath.quad(lambda d: mpmath.exp(-prec * d * d / 2), [-mpmath.inf, 0, mpmath.inf])
    m = mpmath.quad(lambda d: prec * d * d / 2 * mpmath.exp(-prec * d * d / 2), [-mpmath.inf, 0, mpmath.inf])
    return mpmath.log(z) + m / z


def _pivots(M: Any) -> list[Any]:
    """Conditional precisions: pivots of Gaussian elimination of M from the last coordinate
    (precision of d_k given d_1..d_(k-1) after the later coordinates are integrated out)."""
    A = M.copy()
    out = []
    for k in range(A.rows - 1, -1, -1):
        piv = A[k, k]
        out.append(piv)
        for i in range(k):
            for j in range(k):
                A[i, j] -= A[i, k] * A[k, j] / piv
    return out


def _volume(M: Any, c: Any, seed: int) -> tuple[Any, float, str]:
    p = M.rows
    if p == 1:
        return 2 * mpmath.sqrt(c / M[0, 0]), QUAD_TOL, "interval"
    if p == 2:

        def r2(f: Any) -> Any:
            u = (mpmath.cos(f), mpmath.sin(f))
            return c / sum(u[i] * M[i, j] * u[j] for i in range(2) for j in range(2)) / 2

        return mpmath.quad(r2, mpmath.linspace(0, 2 * mpmath.pi, 5)), QUAD_TOL, "polar quadrature"
    if p == 3:

        def r3(a: Any, b: Any) -> Any:
            u = (mpmath.sin(a) * mpmath.cos(b), mpmath.sin(a) * mpmath.sin(b), mpmath.cos(a))
            q = sum(u[i] * M[i, j] * u[j] for i in range(3) for j in range(3))
            return (c / q) ** mpmath.mpf(1.5) / 3 * mpmath.sin(a)

        with mpmath.workdps(15):
            v = mpmath.quad(r3, [0, mpmath.pi], [0, 2 * mpmath.pi])
        return v, QUAD_TOL, "spherical quadrature"
    Mf = np.array(M.tolist(), dtype=float)
    s = 1 / np.sqrt(np.diag(Mf))
    C = Mf * s[:, None] * s[None, :]
    u = np.random.default_rng(seed).standard_normal((MC_SAMPLES, p))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    g = np.einsum("ni,ij,nj->n", u, C, u) ** (-p / 2)
    area = 2 * np.pi ** (p / 2) / float(mpmath.gamma(p / 2))
    scale = area * float(c) ** (p / 2) / p * float(np.prod(s))
    mean, se = g.mean(), g.std(ddof=1) / np.sqrt(MC_SAMPLES)
    return mpmath.mpf(scale * mean), float(5 * se / mean), f"Monte Carlo on the sphere ({MC_SAMPLES})"


def ellipsoid_check(M: Any, logdet: Any, dps: int = 20, level: float = LEVEL, seed: int = 0) -> EllipsoidCheck:
    """Entropy of N(0, M⁻¹) and volume of {dᵀMd ≤ χ²_{p,level}}: numeric vs closed form.

    Parameters
    ----------
    M : array-like, shape (p, p)
        A symmetric positive definite precision matrix (n·I, or a design's M(ξ)).
    logdet : number
        log det M computed by the caller (the closed-form side).
    dps : int
        mpmath precision of the quadratures.
    level : float
        Confidence level.
    seed : int
        Seed of the Monte Carlo volume (p ≥ 4).

    Returns
    -------
    EllipsoidCheck

    Examples
    --------
    >>> chk = ellipsoid_check([[2.0, 0.0], [0.0, 8.0]], float(np.log(16.0)))
    >>> chk.residual < 1e-10
    True
    """
    with mpmath.workdps(dps):
        Mm = mpmath.matrix([[mpmath.mpf(str(v)) for v in row] for row in np.asarray(M, dtype=object)])
        p = Mm.rows
        ld = mpmath.mpf(str(logdet))
        h = sum(_entropy_1d(piv) for piv in _pivots(Mm))
        h_formula = mpmath.mpf(p) / 2 * (1 + mpmath.log(2 * mpmath.pi)) - ld / 2
        c = _chi2_quantile(p, level)
        vol, tol, how = _volume(Mm, c, seed)
        vp = mpmath.pi ** (mpmath.mpf(p) / 2) / mpmath.gamma(mpmath.mpf(p) / 2 + 1)
        v_formula = vp * c ** (mpmath.mpf(p) / 2) * mpmath.exp(-ld / 2)
    ent_how = "1-D quadrature" if p == 1 else "chain rule of 1-D quadratures"
    return EllipsoidCheck(
        float(ld),
        float(h),
        float(h_formula),
        float(vol),
        float(v_formula),
        tol,
        f"entropy by {ent_how}, volume by {how}",
    )


def d_optimality_entropy(ctx: Ctx) -> Outcome:
    """h(N(θ, (nI)⁻¹)) = (p/2)(1 + log 2π) − ½ log det(nI) and vol = V_p χ^p det(nI)^(−½).

    At every check point (n = 20, 95 % ellipsoid) both sides are computed independently
    (see the module docstring); the points are then ranked by log det I, and that
    ranking must be the reverse ranking by numeric entropy and by numeric volume —
    maximising log det I minimises both (D-optimality).

    Fails when a relative residual exceeds the tolerance (1e-10 for quadrature, five
    Monte Carlo standard errors for p ≥ 4) or the rankings disagree; not applicable
    when I is singular at a check point; a non-regular family fails on regularity.
    """
    from symfisher.derive.fisher.api import fisher

    fam = ctx.fam
    if not fam.regular:
        return Outcome(Status.FAILS, None, "regularity check", f"non-regular: {fam.irregularity}")
    I = sp.Matrix(fisher(fam))
    p = I.rows
    checks = []
    for k, pt in enumerate(ctx.points):
        Ipt = I.subs(pt)
        det = sp.N(Ipt.det(), 30)
        if not det > 0:
            return Outcome(Status.NOT_APPLICABLE, None, "", f"I is singular at {pt} (det = {det})")
        logdet = p * sp.log(N_OBS) + sp.log(det)
        M = [[sp.N(N_OBS * Ipt[i, j], 30) for j in range(p)] for i in range(p)]
        checks.append(ellipsoid_check(M, sp.N(logdet, 30), seed=k))
    worst = max(ch.residual for ch in checks)
    tol = max(max(ch.volume_tol for ch in checks), QUAD_TOL)
    method = f"n = {N_OBS}, 95 % ellipsoid, {checks[0].method}, at {len(checks)} points"
    order = sorted(range(len(checks)), key=lambda i: checks[i].logdet)
    ent = [checks[i].entropy for i in order]
    vol = [checks[i].volume for i in order]
    ranked = all(a >= b for a, b in zip(ent, ent[1:])) and all(a >= b for a, b in zip(vol, vol[1:]))
    note = (
        "points by increasing log det I: "
        + ", ".join(f"{checks[i].logdet:.4g}" for i in order)
        + "; entropies "
        + ", ".join(f"{e:.6g}" for e in ent)
        + "; volumes "
        + ", ".join(f"{v:.4g}" for v in vol)
    )
    if worst > tol:
        return Outcome(Status.FAILS, worst, method, "numeric ≠ closed form; " + note)
    if not ranked:
        return Outcome(
            Status.FAILS,
            worst,
            method,
            "ranking by log det I is not the reverse ranking by entropy and volume; " + note,
        )
    return Outcome(Status.NUMERIC, worst, method, "larger log det I, smaller entropy and volume; " + note)
