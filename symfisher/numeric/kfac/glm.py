"""Exact K-FAC error of one GLM layer with Gaussian inputs (population version).

Layer ``f = W x`` (``W`` of shape (d_out, d_in)), a likelihood whose output curvature is
diagonal with one output per row, ``Lambda(f) = diag(lam(f_1), ..., lam(f_dout))``
(Poisson with log link: ``lam = e^f``; Bernoulli with logit: ``lam = sigma(f)(1 - sigma(f))``;
negative binomial, ...), and inputs ``x ~ N(mu, Sigma)``. Per example the exact Fisher
block is ``F = E[Lambda(W x) kron x x^T]`` (``kron(G, A)`` order: output index first) and
K-FAC's is ``K = E[Lambda(W x)] kron E[x x^T]``. Both are block diagonal in the outputs.

Reduction to three 1-D moments per row. With ``u = w_i^T x = nu + sqrt(s) t``
(``nu = w_i^T mu``, ``s = w_i^T Sigma w_i``, ``t ~ N(0, 1)``) and ``d = Sigma w_i / sqrt(s)``
(``d = 0`` when ``s = 0``), conditioning ``x`` on ``t`` gives ``x = mu + d t + r`` with
``r`` independent of ``t`` and ``Cov(r) = Sigma - d d^T``. Hence, with
``e_j = E[lam(u) t^j]`` and ``M = Sigma + mu mu^T``,

* ``F_ii = e_0 M + e_1 (mu d^T + d mu^T) + (e_2 - e_0) d d^T``, ``K_ii = e_0 M``;
* ``||F_ii - K_ii||^2 = e_1^2 (2 ||mu||^2 ||d||^2 + 2 (mu.d)^2) + c^2 ||d||^4
  + 4 e_1 c (mu.d) ||d||^2`` with ``c = e_2 - e_0`` (no cancellation: exactly 0 when
  ``e_1 = c = 0``, e.g. a constant ``lam``);
* ``||F_ii||^2 = e_0^2 ||M||^2 + 2 e_0 (2 e_1 d^T M mu + c d^T M d) + ||F_ii - K_ii||^2``.

These formulas live here once (:func:`error_terms`, :func:`fisher_blocks`); the moments
come from a closed form (Poisson: the Gaussian moment-generating function gives
``e^{nu + s/2} (1, sqrt(s), 1 + s)``), from a compiled kernel of a derived closed form
(:func:`symfisher.kfac.glm.glm_layer_fisher`), or from Gauss-Hermite quadrature of
``lam`` (:func:`gauss_hermite_moments`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symfisher.errors import InputError
from symfisher.numeric.kfac.checks import DomainError, ShapeError, as_finite

Array = NDArray[np.float64]
Moments = Callable[[Array, Array], tuple[Array, Array, Array]]

__all__ = [
    "RowInvariants",
    "row_invariants",
    "error_terms",
    "fisher_blocks",
    "glm_error_from_moments",
    "gauss_hermite_moments",
    "adaptive_normal_moments",
    "poisson_moments",
    "poisson_glm_kfac_error",
    "glm_kfac_error",
]


@dataclass(frozen=True)
class RowInvariants:
    """Per-row scalars of a layer ``W`` and an input law ``N(mu, Sigma)``.

    Attributes
    ----------
    nu, s : ndarray, shape (d_out,)
        Mean and variance of the pre-activation ``u_i = w_i^T x``.
    d : ndarray, shape (d_out, d_in)
        Rows ``Sigma w_i / sqrt(s_i)`` (0 where ``s_i = 0``).
    mu : ndarray, shape (d_in,)
    M : ndarray, shape (d_in, d_in)
        ``Sigma + mu mu^T = E[x x^T]``.
    mm, MM : float
        ``||mu||^2`` and ``||M||_F^2``.
    md, dd, dMmu, dMd : ndarray, shape (d_out,)
        ``mu.d``, ``||d||^2``, ``d^T M mu`` and ``d^T M d`` per row.
    """

    nu: Array
    s: Array
    d: Array
    mu: Array
    M: Array
    mm: float
    MM: float
    md: Array
    dd: Array
    dMmu: Array
    dMd: Array


def _check(W: ArrayLike, mean: ArrayLike, cov: ArrayLike) -> tuple[Array, Array, Array]:
    W_arr, mu, S = as_finite("W", W, 2), as_finite("mean", mean, 1), as_finite("cov", cov, 2)
    d_in = W_arr.shape[1]
    if mu.shape != (d_in,) or S.shape != (d_in, d_in):
        raise ShapeError(
            f"W has d_in = {d_in}: 'mean' must have shape ({d_in},) and 'cov' "
            f"({d_in}, {d_in}); got {mu.shape} and {S.shape}"
        )
    if W_arr.shape[0] == 0 or d_in == 0:
        raise ShapeError(f"'W' must have at least one row and one column, got shape {W_arr.shape}")
    return W_arr, mu, S


def row_invariants(W: ArrayLike, mean: ArrayLike, cov: ArrayLike) -> RowInvariants:
    """The scalars the block formulas need, for every row of ``W``.

    Parameters
    ----------
    W : array_like, shape (d_out, d_in)
    mean : array_like, shape (d_in,)
    cov : array_like, shape (d_in, d_in)
        Input covariance (symmetric positive semi-definite).

    Examples
    --------
    >>> inv = row_invariants(np.array([[1.0, 0.0]]), np.zeros(2), np.eye(2))
    >>> inv.s.tolist(), inv.d.tolist()
    ([1.0], [[1.0, 0.0]])
    """
    W_arr, mu, S = _check(W, mean, cov)
    SW = W_arr @ S  # rows Sigma w_i
    s = np.maximum(np.einsum("ij,ij->i", SW, W_arr), 0.0)
    root = np.sqrt(s)
    d = np.divide(SW, root[:, None], out=np.zeros_like(SW), where=root[:, None] > 0)
    M = S + np.outer(mu, mu)
    Md = d @ M  # rows M d_i (M symmetric)
    return RowInvariants(
        nu=W_arr @ mu,
        s=s,
        d=d,
        mu=mu,
        M=M,
        mm=float(mu @ mu),
        MM=float(np.sum(M * M)),
        md=d @ mu,
        dd=np.einsum("ij,ij->i", d, d),
        dMmu=Md @ mu,
        dMd=np.einsum("ij,ij->i", Md, d),
    )


def error_terms(e0: Array, e1: Array, e2: Array, inv: RowInvariants) -> tuple[Array, Array]:
    """``(||F_ii - K_ii||^2, ||F_ii||^2)`` per row from the moments and the invariants.

    Parameters
    ----------
    e0, e1, e2 : ndarray, shape (d_out,)
        ``E[lam(u_i) t^j]``.
    inv : RowInvariants

    Examples
    --------
    >>> inv = row_invariants(np.ones((1, 2)), np.zeros(2), np.eye(2))
    >>> [float(v[0]) for v in error_terms(np.ones(1), np.zeros(1), np.ones(1), inv)]
    [0.0, 2.0]
    """
    c = e2 - e0
    diff = e1**2 * (2.0 * inv.mm * inv.dd + 2.0 * inv.md**2) + c**2 * inv.dd**2 + 4.0 * e1 * c * inv.md * inv.dd
    full = e0**2 * inv.MM + 2.0 * e0 * (2.0 * e1 * inv.dMmu + c * inv.dMd) + diff
    return diff, full


def fisher_blocks(W: ArrayLike, mean: ArrayLike, cov: ArrayLike, moments: Moments) -> tuple[Array, Array]:
    """Diagonal blocks ``F_ii`` and ``K_ii`` (the off-diagonal blocks of both are 0).

    Parameters
    ----------
    W, mean, cov : array_like, shapes (d_out, d_in), (d_in,), (d_in, d_in)
    moments : callable
        ``moments(nu, s) -> (e0, e1, e2)``, arrays of shape (d_out,).

    Returns
    -------
    F, K : ndarray, shape (d_out, d_in, d_in)
        ``kron(G, A)`` order: ``F[i]`` is the block of output ``i``.

    Examples
    --------
    >>> F, K = fisher_blocks(np.zeros((1, 2)), np.zeros(2), np.eye(2), poisson_moments)
    >>> bool(np.allclose(F, K))
    True
    """
    inv = row_invariants(W, mean, cov)
    e0, e1, e2 = _moments(moments, inv)
    mu_d = inv.mu[None, :, None] * inv.d[:, None, :]
    K = e0[:, None, None] * inv.M[None]
    F = (
        K
        + e1[:, None, None] * (mu_d + mu_d.transpose(0, 2, 1))
        + (e2 - e0)[:, None, None] * np.einsum("ij,ik->ijk", inv.d, inv.d)
    )
    return F, K


def _moments(moments: Moments, inv: RowInvariants) -> tuple[Array, Array, Array]:
    raw = moments(inv.nu, inv.s)
    out = tuple(np.broadcast_to(np.asarray(e, dtype=np.float64), inv.nu.shape) for e in raw)
    if len(out) != 3:
        raise ShapeError(f"moments(nu, s) must return (e0, e1, e2), got {len(out)} arrays")
    for j, e in enumerate(out):
        bad = np.flatnonzero(~np.isfinite(e))
        if bad.size:
            i = int(bad[0])
            raise DomainError(
                f"moment e{j} is not finite for row {i} of W (nu = {inv.nu[i]:.6g}, s = {inv.s[i]:.6g}): {e[i]!r}"
            )
    return out[0], out[1], out[2]


def glm_error_from_moments(W: ArrayLike, mean: ArrayLike, cov: ArrayLike, moments: Moments) -> tuple[float, float]:
    """``(||F - G kron A||_F / ||F||_F, ||F||_F)`` per example, given the row moments.

    Parameters
    ----------
    W : array_like, shape (d_out, d_in)
    mean : array_like, shape (d_in,)
    cov : array_like, shape (d_in, d_in)
    moments : callable
        ``moments(nu, s) -> (e0, e1, e2)`` with ``e_j = E[lam(nu + sqrt(s) t) t^j]``,
        vectorised over rows (arrays of shape (d_out,)).

    Raises
    ------
    ShapeError, DomainError
        Shapes that do not fit; non-finite inputs or moments; a zero Fisher block.

    Examples
    --------
    >>> glm_error_from_moments(np.zeros((2, 3)), np.ones(3), np.eye(3), poisson_moments)[0]
    0.0
    """
    inv = row_invariants(W, mean, cov)
    e0, e1, e2 = _moments(moments, inv)
    scale = float(max(np.max(np.abs(e0)), np.max(np.abs(e1)), np.max(np.abs(e2))))
    if scale == 0.0:
        raise DomainError("the exact Fisher block is 0: lam vanishes at every pre-activation")
    diff, full = error_terms(e0 / scale, e1 / scale, e2 / scale, inv)  # scaled: no overflow
    err_sq, f_sq = float(np.sum(diff)), float(np.sum(full))
    if not f_sq > 0.0:
        raise DomainError(
            f"||F||^2 = {f_sq!r} is not positive: lam must be a non-negative curvature and 'cov' positive semi-definite"
        )
    return math.sqrt(max(err_sq, 0.0) / f_sq), scale * math.sqrt(f_sq)


def gauss_hermite_moments(
    lam: Callable[[Array], Array], nu: ArrayLike, s: ArrayLike, nodes: int = 80
) -> tuple[Array, Array, Array]:
    """``e_j = E[lam(nu + sqrt(s) t) t^j]`` (j = 0, 1, 2), ``t ~ N(0, 1)``, by Gauss-Hermite.

    Parameters
    ----------
    lam : callable
        Elementwise curvature ``lam(u)``; called once on an array of shape (R, nodes).
    nu, s : array_like, shape (R,)
        Means and variances (``s >= 0``).
    nodes : int
        Probabilists' Gauss-Hermite nodes (exact for polynomials of degree < 2 nodes).

    Examples
    --------
    >>> e = gauss_hermite_moments(np.exp, np.zeros(1), np.ones(1))
    >>> [round(float(v[0]) / math.exp(0.5), 12) for v in e]      # e^{1/2} (1, 1, 2)
    [1.0, 1.0, 2.0]
    """
    if int(nodes) < 2:
        raise InputError(f"nodes must be >= 2, got {nodes!r}")
    t, w = np.polynomial.hermite_e.hermegauss(int(nodes))
    w = w / w.sum()
    nu_a, s_a = np.atleast_1d(np.asarray(nu, np.float64)), np.atleast_1d(np.asarray(s, np.float64))
    u = nu_a[:, None] + np.sqrt(np.maximum(s_a, 0.0))[:, None] * t[None, :]
    vals = np.asarray(lam(u), dtype=np.float64) * w
    return vals.sum(axis=1), vals @ t, vals @ (t * t)


def adaptive_normal_moments(
    lam: Callable[[Array], Array], nu: ArrayLike, s: ArrayLike, rtol: float = 1e-13, max_points: int = 1 << 15
) -> tuple[Array, Array, Array]:
    """``e_j = E[lam(nu + sqrt(s) t) t^j]`` to about ``rtol``, with the rule refined until it settles.

    Gauss-Hermite (64 against 128 nodes) first. It converges geometrically for analytic
    ``lam``, but at a rate set by the distance of ``lam``'s complex singularities from the
    real ``t`` axis, which shrinks like ``1 / sqrt(s)`` (logistic curvature: poles at
    ``u = +-i pi``; 80 nodes give ~3e-9 at ``s = 5`` and 2048 nodes ~5e-11 at ``s = 100``).
    Rows that have not settled then use the trapezoidal rule on ``t`` in ``[-T, T]``, exponentially
    accurate on the real line for analytic integrands, with the step halved (from 1/4)
    and ``T`` widened until the edges are negligible. A row has settled when it changes by
    at most ``rtol * (|e0| + |e1| + |e2|)`` between two refinements.

    Parameters
    ----------
    lam : callable
        Elementwise curvature ``lam(u)`` (any array shape).
    nu, s : array_like, shape (R,)
        Means and variances (``s >= 0``).
    rtol : float
    max_points : int
        Largest trapezoidal grid (``2 T / h + 1`` points per row).

    Raises
    ------
    DomainError
        No convergence within ``max_points`` (names the worst row and its ``s``).

    Examples
    --------
    >>> e0 = adaptive_normal_moments(np.exp, np.zeros(1), np.ones(1))[0]
    >>> abs(float(e0[0]) - math.exp(0.5)) < 1e-14
    True
    """
    nu_a = np.atleast_1d(np.asarray(nu, np.float64))
    s_a = np.maximum(np.atleast_1d(np.asarray(s, np.float64)), 0.0)
    coarse = np.stack(gauss_hermite_moments(lam, nu_a, s_a, 64))
    out = np.stack(gauss_hermite_moments(lam, nu_a, s_a, 128))
    todo = np.flatnonzero(~(_change(coarse, out) <= rtol))  # NaN: refine too
    if todo.size:
        out[:, todo] = _trapezoid_moments(lam, nu_a[todo], s_a[todo], rtol, max_points)
    return out[0], out[1], out[2]


def _change(old: Array, new: Array) -> Array:
    """Largest change of the three moments per row, relative to their size."""
    return np.max(np.abs(new - old), axis=0) / np.maximum(np.sum(np.abs(new), axis=0), 1e-300)


def _trapezoid_moments(lam: Callable[[Array], Array], nu: Array, s: Array, rtol: float, max_points: int) -> Array:
    """Adaptive trapezoidal rule on the real ``t`` line (see :func:`adaptive_normal_moments`)."""
    h, T, prev = 0.25, 12.0, None
    while True:
        t = np.arange(-math.ceil(T / h), math.ceil(T / h) + 1) * h
        with np.errstate(over="ignore", invalid="ignore"):  # reported below, by row
            vals = np.asarray(lam(nu[:, None] + np.sqrt(s)[:, None] * t[None, :]), dtype=np.float64)
            vals = vals * (h * np.exp(-0.5 * t * t) / math.sqrt(2.0 * math.pi))
        cur = np.stack([vals.sum(axis=1), vals @ t, vals @ (t * t)])
        if not np.all(np.isfinite(cur)):
            i = int(np.flatnonzero(~np.all(np.isfinite(cur), axis=0))[0])
            raise DomainError(
                f"lam(nu + sqrt(s) t) phi(t) is not finite on t in [-{T:g}, {T:g}] "
                f"for row {i} (nu = {nu[i]:.6g}, s = {s[i]:.6g}): overflow"
            )
        edge = np.max(np.abs(vals[:, [0, -1]]) * T * T, axis=1)
        if np.any(edge > 1e-3 * rtol * np.sum(np.abs(cur), axis=0)) and T < 40.0:
            T, prev = 1.5 * T, None  # mass beyond +-T: widen, restart
            continue
        change = _change(prev, cur) if prev is not None else np.full(nu.shape, np.inf)
        if np.all(change <= rtol):
            return cur
        if 2 * t.size > max_points:
            i = int(np.argmax(change))
            raise DomainError(
                f"the moments of row {i} (s = {s[i]:.6g}) did not settle on "
                f"{t.size} quadrature points (relative change {change[i]:.3g}); "
                "raise max_points"
            )
        h, prev = h / 2, cur


def poisson_moments(nu: ArrayLike, s: ArrayLike) -> tuple[Array, Array, Array]:
    """Moments of ``lam = e^u``: ``e^{nu + s/2} (1, sqrt(s), 1 + s)`` (Gaussian MGF).

    Examples
    --------
    >>> [float(v) for v in poisson_moments(0.0, 0.0)]
    [1.0, 0.0, 1.0]
    """
    nu_a, s_a = np.asarray(nu, np.float64), np.asarray(s, np.float64)
    e0 = np.exp(nu_a + 0.5 * s_a)
    return e0, e0 * np.sqrt(s_a), e0 * (1.0 + s_a)


def poisson_glm_kfac_error(W: ArrayLike, mean: ArrayLike, cov: ArrayLike) -> tuple[float, float]:
    """``(||F - G kron A||_F / ||F||_F, ||F||_F)`` per example, Poisson with log link, closed form.

    Tilting the Gaussian by ``e^{w_i^T x}`` gives ``F_ii = e^{c_i} (Sigma + m_i m_i^T)`` with
    ``c_i = nu_i + s_i / 2`` and ``m_i = mu + Sigma w_i``; the error vanishes only when
    ``Sigma w_i = 0`` for every row.

    Parameters
    ----------
    W : array_like, shape (d_out, d_in)
    mean : array_like, shape (d_in,)
    cov : array_like, shape (d_in, d_in)
        Input covariance (symmetric positive semi-definite).

    Examples
    --------
    >>> rel, norm = poisson_glm_kfac_error(np.zeros((2, 3)), np.ones(3), np.eye(3))
    >>> rel                                   # W = 0: Lambda is constant, K-FAC exact
    0.0
    """
    return glm_error_from_moments(W, mean, cov, poisson_moments)


def glm_kfac_error(
    W: ArrayLike, mean: ArrayLike, cov: ArrayLike, lam: Callable[[Array], Array], nodes: int = 80
) -> tuple[float, float]:
    """``(relative K-FAC error, ||F||_F)`` per example for a diagonal output curvature.

    Parameters
    ----------
    W : array_like, shape (d_out, d_in)
    mean : array_like, shape (d_in,)
    cov : array_like, shape (d_in, d_in)
    lam : callable
        ``lam(u)`` -> curvature of one output at pre-activations ``u`` (elementwise, any
        array shape), e.g. ``np.exp`` for Poisson or a compiled kernel.
    nodes : int
        Gauss-Hermite nodes.

    Examples
    --------
    >>> rel, _ = glm_kfac_error(np.ones((1, 2)), np.zeros(2), np.eye(2), np.exp)
    >>> round(rel, 10) == round(poisson_glm_kfac_error(np.ones((1, 2)), np.zeros(2), np.eye(2))[0], 10)
    True
    """
    return glm_error_from_moments(W, mean, cov, lambda nu, s: gauss_hermite_moments(lam, nu, s, nodes))
