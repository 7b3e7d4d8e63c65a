"""Geodesics and geodesic distances of a Riemannian metric, numerically (no SymPy).

The symbolic side hands over two vectorised callables (usually compiled kernels):

* ``christoffel(theta) -> G`` with ``theta`` shape (N, p) and ``G`` shape (N, p, p, p),
  ``G[n, k, i, j] = Γ^k_ij(theta[n])`` (second kind, index order (k, i, j));
* ``metric(theta) -> g`` with ``g`` shape (N, p, p).

When ``christoffel`` is a :class:`~symfisher.numeric.geodesic.ode.LoopKernel` (a generated kernel
loop), geodesics are integrated by the compiled DOP853 of :mod:`symfisher.numeric.geodesic.ode`
(no Python per step); any other callable goes through :func:`scipy.integrate.solve_ivp`
(also available on request with ``integrator="scipy"``, the reference path).

Dimension letters: N points evaluated at once, p coordinates, T output times.

The geodesic equation ``θ̈^k = −Γ^k_ij θ̇^i θ̇^j`` is integrated with the explicit
Runge–Kutta method DOP853 (same coefficients and step control in both backends); the
distance between
two points is found by shooting: Newton's method on the initial velocity v so that the
geodesic γ with γ(0) = θ₁, γ̇(0) = v reaches γ(1) = θ₂, with a Jacobian from central
differences (all 2p + 1 trajectories integrated together as one system) and a
backtracking line search. Then d(θ₁, θ₂) = √(vᵀ g(θ₁) v).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from symfisher.errors import DomainError, InputError, SymfisherError
from symfisher.numeric.geodesic.batch import integrate_batch, resolve_integrator
from symfisher.options import Integrator

__all__ = ["GeodesicSolution", "ShootingResult", "integrate_geodesic", "shooting_distance"]

ChristoffelFn = Callable[[np.ndarray], np.ndarray]
MetricFn = Callable[[np.ndarray], np.ndarray]
InsideFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class GeodesicSolution:
    """A sampled geodesic.

    Attributes
    ----------
    t : numpy.ndarray
        Times, shape (T,).
    path : numpy.ndarray
        Points γ(t), shape (T, p).
    vel : numpy.ndarray
        Velocities γ̇(t), shape (T, p).
    """

    t: np.ndarray
    path: np.ndarray
    vel: np.ndarray

    def summary(self) -> str:
        """Start, end and length in time, as text."""
        return (
            f"geodesic from {np.array2string(self.path[0], precision=6)} to "
            f"{np.array2string(self.path[-1], precision=6)} over t in [{self.t[0]:g}, {self.t[-1]:g}] "
            f"({self.t.size} samples)"
        )

    def to_dict(self) -> dict[str, list]:
        """JSON-ready dict of the samples."""
        return {"t": self.t.tolist(), "path": self.path.tolist(), "vel": self.vel.tolist()}


@dataclass(frozen=True)
class ShootingResult:
    """Outcome of :func:`shooting_distance`.

    Attributes
    ----------
    distance : float
        Geodesic distance √(vᵀ g(θ₁) v).
    velocity : numpy.ndarray
        Initial velocity v, shape (p,), of the geodesic γ(0) = θ₁, γ(1) = θ₂.
    residual : float
        Metric length √(rᵀ g(θ₂) r) of the miss r = γ(1) − θ₂ at the solution.
    iterations : int
        Newton iterations used.
    """

    distance: float
    velocity: np.ndarray
    residual: float
    iterations: int


def integrate_geodesic(
    christoffel: ChristoffelFn,
    theta0: np.ndarray,
    velocity: np.ndarray,
    t_end: float = 1.0,
    steps: int | None = None,
    inside: InsideFn | None = None,
    rtol: float = 1e-11,
    atol: float = 1e-12,
    integrator: str | Integrator = Integrator.AUTO,
) -> GeodesicSolution:
    """Integrate the geodesic ``θ̈^k = −Γ^k_ij θ̇^i θ̇^j`` from (θ₀, v).

    Parameters
    ----------
    christoffel : callable
        ``theta (N, p) -> (N, p, p, p)``, Γ^k_ij in index order (k, i, j).
    theta0, velocity : array_like
        Start point and initial velocity, shape (p,).
    t_end : float
        Final time (may be negative: the geodesic is traced backwards).
    steps : int, optional
        Return ``steps + 1`` equally spaced times; default: the solver's own steps.
    inside : callable, optional
        ``theta (T, p) -> bool (T,)``, membership of the parameter domain.
    rtol, atol : float
        Tolerances of the DOP853 integrator.
    integrator : {"auto", "compiled", "scipy"}
        ``"auto"``: compiled when ``christoffel`` is a LoopKernel, else SciPy.

    Returns
    -------
    GeodesicSolution
        ``t`` (T,), ``path`` (T, p), ``vel`` (T, p).

    Raises
    ------
    DomainError
        If the geodesic leaves the domain (or the Christoffel symbols stop being finite).

    Examples
    --------
    >>> import numpy as np
    >>> flat = lambda th: np.zeros((th.shape[0], 2, 2, 2))
    >>> integrate_geodesic(flat, [0.0, 0.0], [1.0, 2.0], steps=2).path[-1]
    array([1., 2.])
    """
    th0 = np.asarray(theta0, dtype=float).reshape(1, -1)
    v0 = np.asarray(velocity, dtype=float).reshape(1, -1)
    if th0.shape != v0.shape:
        raise InputError(f"theta0 has shape {th0.shape[1:]} but velocity {v0.shape[1:]}")
    if steps is not None and int(steps) < 1:
        raise InputError(f"steps must be a positive integer, got {steps!r}")
    t_eval = None if steps is None else np.linspace(0.0, float(t_end), int(steps) + 1)
    b = integrate_batch(christoffel, th0, v0, float(t_end), rtol, atol, t_eval, inside, integrator=integrator)
    if not b.ok:
        raise DomainError(
            f"the geodesic from {th0[0].tolist()} with velocity {v0[0].tolist()} stops at "
            f"t = {b.t_stop:.6g} of {float(t_end):.6g}: it leaves the parameter domain or "
            "its coordinates blow up; use a smaller t or velocity"
        )
    return GeodesicSolution(t=b.t, path=b.theta[:, 0].copy(), vel=b.v[:, 0].copy())


@dataclass(frozen=True)
class _Shooter:
    """Geodesics from the fixed start ``theta1`` (p,) with integrator settings."""

    christoffel: ChristoffelFn
    metric: MetricFn
    theta1: np.ndarray
    inside: InsideFn | None
    rtol: float
    atol: float
    g1: np.ndarray
    max_evals: int = 6000
    integrator: Integrator = Integrator.SCIPY

    def ends(self, V: np.ndarray, rtol: float | None = None) -> np.ndarray:
        """End points γ(1) for initial velocities V (N, p); NaN rows when a geodesic fails."""
        starts = np.broadcast_to(self.theta1, V.shape).copy()
        b = integrate_batch(
            self.christoffel,
            starts,
            V,
            1.0,
            rtol or self.rtol,
            self.atol,
            np.array([1.0]),
            self.inside,
            self.max_evals,
            self.integrator,
        )
        return b.theta[-1] if b.ok else np.full(V.shape, np.nan)

    def jacobian(self, v: np.ndarray, rtol: float) -> tuple[np.ndarray, np.ndarray]:
        """End point (p,) and its Jacobian (p, p) in v, by central differences."""
        p = v.size
        h = 1e-6 * max(1.0, float(np.linalg.norm(v)))
        E = self.ends(np.vstack([v, v + h * np.eye(p), v - h * np.eye(p)]), rtol)
        return E[0], (E[1 : p + 1] - E[p + 1 :]).T / (2 * h)


@dataclass(frozen=True)
class _Newton:
    v: np.ndarray
    residual: float
    converged: bool
    iterations: int


def _gnorm(g: np.ndarray, r: np.ndarray) -> float:
    """Metric length √(rᵀ g r) of a small displacement r (NaN stays NaN)."""
    q = float(r @ g @ r)
    return float(np.sqrt(q)) if q >= 0 else float(np.linalg.norm(r))


def _line_search(
    sh: _Shooter, target: np.ndarray, g2: np.ndarray, v: np.ndarray, step: np.ndarray, res: float, rtol: float
) -> np.ndarray | None:
    """Backtracking from λ = 1/2 (the full step was already rejected)."""
    lam = 0.5
    while lam > 1e-4:
        vn = v + lam * step
        rn = _gnorm(g2, sh.ends(vn[None], rtol)[0] - target)
        if np.isfinite(rn) and rn < res:
            return vn
        lam /= 2
    return None


def _trust(g1: np.ndarray, v: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Limit the Newton step's metric length to max(1, |v|_g / 2) (trust region)."""
    ng = float(np.sqrt(max(step @ g1 @ step, 0.0)))
    cap = max(1.0, 0.5 * float(np.sqrt(max(v @ g1 @ v, 0.0))))
    return step * (cap / ng) if ng > cap else step


def _newton(sh: _Shooter, target: np.ndarray, v: np.ndarray, tol: float, max_iter: int, rtol: float) -> _Newton:
    """Damped Newton on F(v) = γ_v(1) − target, residual measured in the metric at target.

    A full step is tried together with the Jacobian at the new velocity (one batched
    integration); only when it does not reduce the residual does a line search run.
    """
    g2 = np.asarray(sh.metric(target[None]), dtype=float).reshape(v.size, v.size)
    end, J = sh.jacobian(v, rtol)
    res = _gnorm(g2, end - target)
    for it in range(max_iter):
        if not (np.isfinite(res) and np.all(np.isfinite(J))):
            return _Newton(v, np.inf, False, it)
        if res <= tol:
            return _Newton(v, res, True, it)
        step = _trust(sh.g1, v, np.linalg.lstsq(J, target - end, rcond=None)[0])
        end_n, J_n = sh.jacobian(v + step, rtol)
        res_n = _gnorm(g2, end_n - target)
        if np.isfinite(res_n) and res_n < res and np.all(np.isfinite(J_n)):
            v, end, J, res = v + step, end_n, J_n, res_n
            continue
        vn = _line_search(sh, target, g2, v, step, res, rtol)
        if vn is None:
            return _Newton(v, res, res <= 100 * tol, it)
        v = vn
        end, J = sh.jacobian(v, rtol)
        res = _gnorm(g2, end - target)
    return _Newton(v, res, res <= tol, max_iter)


def _continuation(sh: _Shooter, b: np.ndarray, tol: float, max_iter: int) -> tuple[np.ndarray, int]:
    """Solve with loose tolerances along θ₁ + s(θ₂ − θ₁), s ↑ 1; returns (v, iterations)."""
    a = sh.theta1
    s_done, ds, v, iters = 0.0, 1.0, np.zeros_like(a), 0
    while s_done < 1.0:
        s = min(1.0, s_done + ds)
        guess = v * (s / s_done) if s_done > 0 else (b - a) * s
        out = _newton(sh, a + s * (b - a), guess, max(tol, 1e-6), max_iter, max(sh.rtol, 1e-8))
        iters += out.iterations
        if out.converged:
            s_done, v, ds = s, out.v, 2 * ds
        elif ds < 1e-3:
            raise SymfisherError(
                f"shooting from {a.tolist()} to {b.tolist()} did not converge "
                f"(reached s = {s_done:.3g} of the way, residual {out.residual:.3g})"
            )
        else:
            ds /= 4
    return v, iters


def shooting_distance(
    christoffel: ChristoffelFn,
    metric: MetricFn,
    theta1: np.ndarray,
    theta2: np.ndarray,
    inside: InsideFn | None = None,
    tol: float = 1e-10,
    max_iter: int = 30,
    rtol: float = 1e-12,
    atol: float = 1e-13,
    integrator: str | Integrator = Integrator.AUTO,
) -> ShootingResult:
    """Geodesic distance between two points by shooting with Newton's method.

    Newton's method with loose tolerances starts from the straight-line velocity
    θ₂ − θ₁; if that fails, a continuation along the coordinate segment
    θ₁ + s(θ₂ − θ₁), s ↑ 1, takes over. A final Newton solve at full tolerance
    polishes the velocity (inexact Newton).

    Parameters
    ----------
    christoffel : callable
        ``theta (N, p) -> (N, p, p, p)``, Γ^k_ij in index order (k, i, j).
    metric : callable
        ``theta (N, p) -> (N, p, p)``.
    theta1, theta2 : array_like
        End points, shape (p,).
    inside : callable, optional
        ``theta (N, p) -> bool (N,)``; trial geodesics that leave the domain are rejected.
    tol : float
        Tolerance on the metric length √(rᵀ g(θ₂) r) of the miss r = γ(1) − θ₂, which
        bounds the error of the distance.
    max_iter : int
        Newton iterations per stage.
    rtol, atol : float
        Integrator tolerances.
    integrator : {"auto", "compiled", "scipy"}
        ``"auto"``: compiled when ``christoffel`` is a LoopKernel, else SciPy.

    Returns
    -------
    ShootingResult

    Raises
    ------
    SymfisherError
        If no geodesic joining the points is found (the message gives the residual).

    Examples
    --------
    >>> import numpy as np
    >>> flat = lambda th: np.zeros((th.shape[0], 2, 2, 2))
    >>> eye = lambda th: np.broadcast_to(np.eye(2), (th.shape[0], 2, 2))
    >>> round(shooting_distance(flat, eye, [0, 0], [3, 4]).distance, 12)
    5.0
    """
    a = np.asarray(theta1, dtype=float).ravel()
    b = np.asarray(theta2, dtype=float).ravel()
    if a.shape != b.shape:
        raise InputError(f"theta1 has shape {a.shape} but theta2 {b.shape}")
    g1 = np.asarray(metric(a[None]), dtype=float).reshape(a.size, a.size)
    sh = _Shooter(
        christoffel, metric, a, inside, rtol, atol, g1, integrator=resolve_integrator(integrator, christoffel)
    )
    v, iters = _continuation(sh, b, tol, max_iter)
    out = _newton(sh, b, v, tol, max_iter, rtol)
    iters += out.iterations
    if not out.converged:
        raise SymfisherError(
            f"shooting from {a.tolist()} to {b.tolist()}: final Newton solve stalled at "
            f"residual {out.residual:.3g} (tolerance {tol:.3g})"
        )
    return ShootingResult(
        distance=float(np.sqrt(out.v @ g1 @ out.v)), velocity=out.v, residual=out.residual, iterations=iters
    )
