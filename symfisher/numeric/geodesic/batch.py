"""Integrate a batch of geodesics as one system: compiled DOP853 or SciPy's ``solve_ivp``.

Both backends solve ``θ̈^k = −Γ^k_ij θ̇^i θ̇^j`` for N trajectories with common adaptive
steps (DOP853) and return a :class:`Batch`. The compiled backend
(:func:`symfisher.numeric.geodesic.ode.dop853_geodesics`) needs the Christoffel symbols as a
:class:`~symfisher.numeric.geodesic.ode.LoopKernel`; the SciPy backend takes any callable
``theta (N, p) -> (N, p, p, p)`` and is kept as the reference path.

Dimension letters: N trajectories, p coordinates, T recorded times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from symfisher.errors import InputError, StepBudgetExceeded
from symfisher.numeric.geodesic.ode import Box, LoopKernel, dop853_geodesics
from symfisher.options import Integrator, option

__all__ = ["Integrator", "Batch", "resolve_integrator", "integrate_batch"]

ChristoffelFn = Callable[[np.ndarray], np.ndarray]
InsideFn = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Batch:
    """t (T,), theta (T, N, p), v (T, N, p); ``ok`` when t_end was reached finitely.

    ``t_stop`` is the last time reached (NaN when a step budget ran out).
    """

    t: np.ndarray
    theta: np.ndarray
    v: np.ndarray
    ok: bool
    t_stop: float


def resolve_integrator(integrator: str | Integrator, christoffel: ChristoffelFn) -> Integrator:
    """The concrete integrator for ``integrator`` and a Christoffel callable.

    Parameters
    ----------
    integrator : {"auto", "compiled", "scipy"} or Integrator
    christoffel : callable or LoopKernel

    Returns
    -------
    Integrator
        ``COMPILED`` or ``SCIPY``.

    Raises
    ------
    ValueError
        An unknown name, or ``"compiled"`` for a plain Python callable.

    Examples
    --------
    >>> resolve_integrator("auto", lambda th: th).value
    'scipy'
    """
    how = option(Integrator, integrator, "integrator")
    compiled = isinstance(christoffel, LoopKernel)
    if how is Integrator.COMPILED and not compiled:
        raise InputError(
            "integrator='compiled' needs the Christoffel symbols as a LoopKernel "
            f"(a generated kernel loop), got {type(christoffel).__name__}; "
            "use integrator='scipy' for a Python callable"
        )
    if how is Integrator.AUTO:
        return Integrator.COMPILED if compiled else Integrator.SCIPY
    return how


def _rhs(
    christoffel: ChristoffelFn, n: int, p: int, max_evals: int | None = None
) -> Callable[[float, np.ndarray], np.ndarray]:
    count = [0]

    def f(_t: float, y: np.ndarray) -> np.ndarray:
        count[0] += 1
        if max_evals is not None and count[0] > max_evals:
            raise StepBudgetExceeded
        y2 = y.reshape(2, n, p)
        theta, v = y2[0], y2[1]
        G = np.asarray(christoffel(theta), dtype=float).reshape(n, p, p, p)
        outer = (v[:, :, None] * v[:, None, :]).reshape(n, p * p, 1)
        acc = -np.matmul(G.reshape(n, p, p * p), outer)[..., 0]
        return np.concatenate((v.ravel(), acc.ravel()))

    return f


def _events(n: int, p: int, y0: np.ndarray, inside: InsideFn | None) -> list[Callable[..., float]]:
    """Terminal events: the state blows up, or a point leaves the domain."""
    limit = 1e8 * (1.0 + float(np.max(np.abs(y0))))

    def blowup(_t: float, y: np.ndarray) -> float:
        m = float(np.max(np.abs(y)))
        return limit - m if np.isfinite(m) else -1.0

    # solve_ivp reads an event's ``terminal`` attribute, which plain functions do not declare.
    blowup.terminal = True  # type: ignore[attr-defined]
    if inside is None:
        return [blowup]

    def leaves(_t: float, y: np.ndarray) -> float:
        theta = y.reshape(2, n, p)[0]
        return 1.0 if bool(np.all(inside(theta))) else -1.0

    leaves.terminal = True  # type: ignore[attr-defined]  # as for blowup
    return [blowup, leaves]


def _failed(n: int, p: int, t_stop: float) -> Batch:
    nan = np.full((1, n, p), np.nan)
    return Batch(np.array([np.nan]), nan, nan, False, t_stop)


def _scipy_batch(
    christoffel: ChristoffelFn,
    theta0: np.ndarray,
    v0: np.ndarray,
    t_end: float,
    rtol: float,
    atol: float,
    t_eval: np.ndarray | None,
    inside: InsideFn | None,
    max_evals: int | None,
) -> Batch:
    n, p = theta0.shape
    y0 = np.concatenate((theta0.ravel(), v0.ravel()))
    try:
        with np.errstate(all="ignore"):
            sol = solve_ivp(
                _rhs(christoffel, n, p, max_evals),
                (0.0, t_end),
                y0,
                method="DOP853",
                rtol=rtol,
                atol=atol,
                t_eval=t_eval,
                events=_events(n, p, y0, inside),
            )
    except StepBudgetExceeded:
        return _failed(n, p, np.nan)
    t_stop = float(sol.t[-1]) if len(sol.t) else 0.0
    if sol.status != 0 or len(sol.t) == 0:
        return _failed(n, p, t_stop)
    Y = np.asarray(sol.y).T.reshape(-1, 2, n, p)
    return Batch(sol.t, Y[:, 0], Y[:, 1], bool(np.all(np.isfinite(Y))), t_stop)


def _outside_rows(inside: InsideFn | None, theta: np.ndarray) -> np.ndarray:
    """Rows (T,) with a point outside the domain; the box part was checked while stepping."""
    if inside is None:
        return np.zeros(theta.shape[0], dtype=bool)
    check = inside.constraints if isinstance(inside, Box) else inside
    if check is None:
        return np.zeros(theta.shape[0], dtype=bool)
    T, n, p = theta.shape
    with np.errstate(all="ignore"):
        ok = np.asarray(check(theta.reshape(T * n, p)), dtype=bool).reshape(T, n)
    return ~np.all(ok, axis=1)


def _compiled_batch(
    christoffel: LoopKernel,
    theta0: np.ndarray,
    v0: np.ndarray,
    t_end: float,
    rtol: float,
    atol: float,
    t_eval: np.ndarray | None,
    inside: InsideFn | None,
    max_evals: int | None,
) -> Batch:
    n, p = theta0.shape
    times = np.array([0.0, t_end]) if t_eval is None else np.asarray(t_eval, dtype=float)
    if t_end == 0.0:  # nothing to integrate: every requested time is the start
        times = times[:1] if t_eval is None else times
        return Batch(times, np.repeat(theta0[None], times.size, 0), np.repeat(v0[None], times.size, 0), True, 0.0)
    t_out = times[times != 0.0]
    steps = 100_000 if max_evals is None else max(1, max_evals // 12)
    with np.errstate(all="ignore"):
        tr = dop853_geodesics(
            christoffel, theta0, v0, t_out, rtol, atol, inside if isinstance(inside, Box) else None, steps
        )
    bad = np.flatnonzero(_outside_rows(inside, tr.theta))
    if bad.size:
        return _failed(n, p, float(tr.t[max(bad[0] - 1, 0)]))
    if tr.status != 0:
        return _failed(n, p, np.nan if tr.status == 3 else float(tr.t[-1]))
    keep = slice(None) if t_eval is None else np.isin(tr.t, np.asarray(t_eval, dtype=float))
    return Batch(tr.t[keep], tr.theta[keep], tr.v[keep], True, float(tr.t[-1]))


def integrate_batch(
    christoffel: ChristoffelFn,
    theta0: np.ndarray,
    v0: np.ndarray,
    t_end: float,
    rtol: float,
    atol: float,
    t_eval: np.ndarray | None = None,
    inside: InsideFn | None = None,
    max_evals: int | None = None,
    integrator: str | Integrator = Integrator.AUTO,
) -> Batch:
    """Integrate N geodesics (theta0, v0 shape (N, p)) at once as one system.

    Parameters
    ----------
    christoffel : callable or LoopKernel
        ``theta (N, p) -> (N, p, p, p)``, Γ^k_ij in index order (k, i, j).
    theta0, v0 : numpy.ndarray
        Start points and velocities, shape (N, p).
    t_end : float
        End time (negative: backwards).
    rtol, atol : float
        DOP853 tolerances.
    t_eval : numpy.ndarray, optional
        Times to return, shape (T,), from 0 to ``t_end``; default: every step.
    inside : callable or Box, optional
        Domain membership ``theta (N, p) -> bool (N,)``; leaving it stops the
        integration (checked at the step ends).
    max_evals : int, optional
        Budget of right-hand-side evaluations; exceeding it fails with ``t_stop`` NaN.
    integrator : {"auto", "compiled", "scipy"}

    Returns
    -------
    Batch

    Examples
    --------
    >>> import numpy as np
    >>> flat = lambda th: np.zeros((th.shape[0], 1, 1, 1))
    >>> b = integrate_batch(flat, np.array([[0.0]]), np.array([[2.0]]), 1.0, 1e-10, 1e-12)
    >>> b.ok, round(float(b.theta[-1, 0, 0]), 12)
    (True, 2.0)
    """
    theta0 = np.asarray(theta0, dtype=float)
    v0 = np.asarray(v0, dtype=float)
    n, p = theta0.shape
    if not (np.all(np.isfinite(theta0)) and np.all(np.isfinite(v0))):
        return _failed(n, p, 0.0)
    how = resolve_integrator(integrator, christoffel)
    if how is Integrator.COMPILED and isinstance(christoffel, LoopKernel):  # COMPILED implies a LoopKernel
        return _compiled_batch(christoffel, theta0, v0, float(t_end), rtol, atol, t_eval, inside, max_evals)
    return _scipy_batch(christoffel, theta0, v0, float(t_end), rtol, atol, t_eval, inside, max_evals)
