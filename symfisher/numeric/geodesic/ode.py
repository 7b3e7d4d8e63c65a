"""A compiled DOP853 integrator for batches of geodesics (Numba; no SymPy, no SciPy stepping).

The geodesic equation ``θ̈^k = −Γ^k_ij θ̇^i θ̇^j`` of N trajectories at once (one system,
common adaptive steps) is integrated by the Dormand–Prince 8(5,3) method with the
coefficients, error estimate and step-size control of :class:`scipy.integrate.DOP853`
(Hairer, Nørsett & Wanner, *Solving ODEs I*, §II.10), but entirely inside one Numba
function: the right-hand side calls a generated kernel loop through a first-class
function pointer, so no Python runs per step.

The Christoffel symbols come as the *serial dense loop* of a kernel written by
``sf.compile`` (:attr:`symfisher.numeric.kernel.Kernel.loops` ``[2]``), with the fixed
signature ``loop(n, x (n, p), 1, out (n, p³))`` (float64, C-contiguous), wrapped in a
:class:`LoopKernel`. The integrator is compiled on first use and cached on disk
(``cache=True``); its type depends only on that signature, so one compiled integrator
serves every kernel.

Dimension letters: N trajectories, p coordinates, M recorded steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numba import types
from scipy.integrate import DOP853

from symfisher._runtime.caches import memo

__all__ = ["LoopKernel", "Box", "Trajectories", "dop853_geodesics"]


@dataclass(frozen=True)
class LoopKernel:
    """A generated serial dense loop with its result shape, callable on points.

    Parameters
    ----------
    loop : numba dispatcher
        ``loop(n, x, 1, out)`` with ``x`` (n, p) and ``out`` (n, P) float64 C-contiguous,
        ``P = prod(shape)`` (the ``_serial_dense`` loop of a generated kernel).
    p : int
        Number of coordinates.
    shape : tuple of int
        Shape of one result, e.g. ``(p, p, p)`` for Christoffel symbols.

    Examples
    --------
    >>> import numba, numpy as np
    >>> @numba.njit
    ... def twice(n, x, s, out):
    ...     for i in range(n):
    ...         out[i, 0] = 2.0 * x[i, 0]
    >>> LoopKernel(twice, 1, (1,))(np.array([[1.5], [2.0]]))[:, 0].tolist()
    [3.0, 4.0]
    """

    loop: Any
    p: int
    shape: tuple[int, ...]

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        """Evaluate at points ``theta`` (N, p); returns (N, *shape)."""
        th = np.ascontiguousarray(np.asarray(theta, dtype=np.float64).reshape(-1, self.p))
        out = np.empty((th.shape[0], max(1, math.prod(self.shape))))
        if th.shape[0]:
            self.loop(th.shape[0], th, 1, out)
        return out.reshape((th.shape[0], *self.shape))


@dataclass(frozen=True)
class Box:
    """A parameter domain: a box of intervals, optionally cut by joint constraints.

    Parameters
    ----------
    lo, hi : tuple of float
        Interval ends per coordinate (``±inf`` allowed), length p.
    lo_closed, hi_closed : tuple of bool
        Whether each end belongs to the interval.
    constraints : callable, optional
        ``theta (N, p) -> bool (N,)``, the joint constraints (e.g. ``p1 + p2 < 1``).

    Examples
    --------
    >>> import numpy as np
    >>> box = Box((0.0,), (1.0,), (False,), (False,))
    >>> box(np.array([[0.5], [1.0], [np.nan]])).tolist()
    [True, False, False]
    """

    lo: tuple[float, ...]
    hi: tuple[float, ...]
    lo_closed: tuple[bool, ...]
    hi_closed: tuple[bool, ...]
    constraints: Callable[[np.ndarray], np.ndarray] | None = None

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        """Membership of points ``theta`` (N, p): bool (N,) (NaN and ±inf are outside)."""
        th = np.asarray(theta, dtype=float).reshape(-1, len(self.lo))
        lo, hi = np.array(self.lo), np.array(self.hi)
        with np.errstate(invalid="ignore"):
            ok = np.all(
                np.where(self.lo_closed, th >= lo, th > lo)
                & np.where(self.hi_closed, th <= hi, th < hi)
                & np.isfinite(th),
                axis=1,
            )
        if self.constraints is not None and th.shape[0]:
            ok &= np.asarray(self.constraints(th), dtype=bool)
        return ok


@dataclass(frozen=True)
class Trajectories:
    """Output of :func:`dop853_geodesics`.

    Attributes
    ----------
    status : int
        0 reached ``t_end``; 1 stopped: a point left the box or the state blew up or
        stopped being finite; 2 the step size underflowed; 3 the step budget ran out.
    t : numpy.ndarray
        Times of the recorded steps, shape (M,), from 0 to the last accepted step.
    theta, v : numpy.ndarray
        Points and velocities, shape (M, N, p).
    """

    status: int
    t: np.ndarray
    theta: np.ndarray
    v: np.ndarray


_A = np.ascontiguousarray(DOP853.A, dtype=np.float64)
_B = np.ascontiguousarray(DOP853.B, dtype=np.float64)
_C = np.ascontiguousarray(DOP853.C, dtype=np.float64)
_E3 = np.ascontiguousarray(DOP853.E3, dtype=np.float64)
_E5 = np.ascontiguousarray(DOP853.E5, dtype=np.float64)
_STAGES = int(DOP853.n_stages)
_EXPONENT = -1.0 / (int(DOP853.error_estimator_order) + 1)
_SAFETY, _MIN_FACTOR, _MAX_FACTOR = 0.9, 0.2, 10.0
_EPS, _TINY = float(np.finfo(np.float64).eps), 5e-324

#: Numba type of a generated dense loop ``loop(n, x, 1, out)``.
LOOP_TYPE = types.FunctionType(types.none(types.int64, types.float64[:, ::1], types.int64, types.float64[:, ::1]))


@numba.njit(cache=True, nogil=True)
def _rhs(loop: Any, y: np.ndarray, n: int, p: int, x: np.ndarray, G: np.ndarray, f: np.ndarray) -> None:
    """f = (v, −Γ(θ)[v, v]) for the state y = (θ (n, p), v (n, p)) flattened."""
    off = n * p
    for a in range(n):
        for k in range(p):
            x[a, k] = y[a * p + k]
    loop(n, x, 1, G)
    for a in range(n):
        for k in range(p):
            f[a * p + k] = y[off + a * p + k]
            acc = 0.0
            for i in range(p):
                vi = y[off + a * p + i]
                for j in range(p):
                    acc += G[a, (k * p + i) * p + j] * vi * y[off + a * p + j]
            f[off + a * p + k] = -acc


@numba.njit(cache=True, nogil=True)
def _rms(x: np.ndarray, scale: np.ndarray) -> float:
    s = 0.0
    for i in range(x.size):
        s += (x[i] / scale[i]) ** 2
    return math.sqrt(s / x.size)


@numba.njit(cache=True, nogil=True)
def _error_norm(K: np.ndarray, h: float, scale: np.ndarray) -> float:
    """scipy's DOP853 error norm: |h| e5² / √((e5² + e3²/100) m), e = Kᵀ E / scale."""
    e5, e3 = 0.0, 0.0
    for i in range(K.shape[1]):
        a, b = 0.0, 0.0
        for s in range(K.shape[0]):
            a += K[s, i] * _E5[s]
            b += K[s, i] * _E3[s]
        e5 += (a / scale[i]) ** 2
        e3 += (b / scale[i]) ** 2
    if e5 == 0.0 and e3 == 0.0:
        return 0.0
    return abs(h) * e5 / math.sqrt((e5 + 0.01 * e3) * K.shape[1])


@numba.njit(cache=True, nogil=True)
def _rk_step(
    loop: Any,
    y: np.ndarray,
    h: float,
    K: np.ndarray,
    n: int,
    p: int,
    x: np.ndarray,
    G: np.ndarray,
    y_new: np.ndarray,
    tmp: np.ndarray,
) -> None:
    """One DOP853 step from y (K[0] = f(y) on entry); K[-1] = f(y_new) on exit."""
    m = y.size
    for s in range(1, _STAGES):
        for i in range(m):
            acc = 0.0
            for r in range(s):
                acc += K[r, i] * _A[s, r]
            tmp[i] = y[i] + h * acc
        _rhs(loop, tmp, n, p, x, G, K[s])
    for i in range(m):
        acc = 0.0
        for r in range(_STAGES):
            acc += K[r, i] * _B[r]
        y_new[i] = y[i] + h * acc
    _rhs(loop, y_new, n, p, x, G, K[_STAGES])


@numba.njit(cache=True, nogil=True)
def _first_step(
    loop: Any,
    y0: np.ndarray,
    f0: np.ndarray,
    span: float,
    rtol: float,
    atol: float,
    n: int,
    p: int,
    x: np.ndarray,
    G: np.ndarray,
    tmp: np.ndarray,
    f1: np.ndarray,
) -> float:
    """scipy's ``select_initial_step`` (Hairer, Nørsett & Wanner, §II.4), |h| only."""
    scale = np.empty(y0.size)
    for i in range(y0.size):
        scale[i] = atol + abs(y0[i]) * rtol
    d0, d1 = _rms(y0, scale), _rms(f0, scale)
    h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    h0 = min(h0, abs(span))
    direction = 1.0 if span >= 0 else -1.0
    for i in range(y0.size):
        tmp[i] = y0[i] + h0 * direction * f0[i]
    _rhs(loop, tmp, n, p, x, G, f1)
    for i in range(y0.size):
        f1[i] -= f0[i]
    d2 = _rms(f1, scale) / h0
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** (1.0 / 8.0)
    return min(100 * h0, h1, abs(span))


@numba.njit(cache=True, nogil=True)
def _bad_state(
    y: np.ndarray,
    n: int,
    p: int,
    lo: np.ndarray,
    hi: np.ndarray,
    lo_closed: np.ndarray,
    hi_closed: np.ndarray,
    limit: float,
) -> bool:
    """A point outside the box, or a non-finite or blown-up state."""
    for i in range(y.size):
        if not (abs(y[i]) <= limit):
            return True
    for a in range(n):
        for k in range(p):
            t = y[a * p + k]
            if not ((t >= lo[k]) if lo_closed[k] else (t > lo[k])):
                return True
            if not ((t <= hi[k]) if hi_closed[k] else (t < hi[k])):
                return True
    return False


@numba.njit(cache=True, nogil=True)
def _record(ts: np.ndarray, ys: np.ndarray, m: int, t: float, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Store row m (doubling the buffers when full)."""
    if m == ts.size:
        ts2, ys2 = np.empty(2 * m), np.empty((2 * m, ys.shape[1]))
        for r in range(m):
            ts2[r] = ts[r]
            for i in range(ys.shape[1]):
                ys2[r, i] = ys[r, i]
        ts, ys = ts2, ys2
    ts[m] = t
    for i in range(y.size):
        ys[m, i] = y[i]
    return ts, ys


def _dop853_impl(
    loop: Any,
    theta0: np.ndarray,
    v0: np.ndarray,
    t_out: np.ndarray,
    rtol: float,
    atol: float,
    lo: np.ndarray,
    hi: np.ndarray,
    lo_closed: np.ndarray,
    hi_closed: np.ndarray,
    max_steps: int,
) -> tuple[int, np.ndarray, np.ndarray]:
    """Compiled body of :func:`dop853_geodesics` (steps land exactly on every t_out)."""
    n, p = theta0.shape
    m = 2 * n * p
    y = np.empty(m)
    big = 0.0
    for a in range(n):
        for k in range(p):
            y[a * p + k] = theta0[a, k]
            y[n * p + a * p + k] = v0[a, k]
    for i in range(m):
        big = max(big, abs(y[i]))
    limit = 1e8 * (1.0 + big)
    x, G = np.empty((n, p)), np.empty((n, p * p * p))
    K, y_new, tmp, scale = np.empty((_STAGES + 1, m)), np.empty(m), np.empty(m), np.empty(m)
    ts, ys = np.empty(64), np.empty((64, m))
    ts, ys = _record(ts, ys, 0, 0.0, y)
    rows = 1
    t_end = t_out[t_out.size - 1]
    direction = 1.0 if t_end >= 0 else -1.0
    _rhs(loop, y, n, p, x, G, K[0])
    h_abs = _first_step(loop, y, K[0], t_end, rtol, atol, n, p, x, G, tmp, y_new)
    t, tries = 0.0, 0
    for target in t_out:
        while direction * (target - t) > 0:
            min_step = 10 * max(abs(t) * _EPS, _TINY)  # 10 × the spacing of floats at t
            h_abs = max(h_abs, min_step)
            rejected = False
            while True:
                tries += 1
                if tries > max_steps:
                    return 3, ts[:rows], ys[:rows]
                if h_abs < min_step:
                    return 2, ts[:rows], ys[:rows]
                t_new = t + h_abs * direction
                if direction * (t_new - target) > 0:
                    t_new = target
                h = t_new - t
                _rk_step(loop, y, h, K, n, p, x, G, y_new, tmp)
                for i in range(m):
                    scale[i] = atol + max(abs(y[i]), abs(y_new[i])) * rtol
                err = _error_norm(K, h, scale)
                if err < 1.0:
                    factor = _MAX_FACTOR if err == 0.0 else min(_MAX_FACTOR, _SAFETY * err**_EXPONENT)
                    h_abs = abs(h) * (min(1.0, factor) if rejected else factor)
                    break
                grow = _SAFETY * err**_EXPONENT if math.isfinite(err) else _MIN_FACTOR
                h_abs = abs(h) * max(_MIN_FACTOR, grow)
                rejected = True
            if _bad_state(y_new, n, p, lo, hi, lo_closed, hi_closed, limit):
                return 1, ts[:rows], ys[:rows]
            t = t_new
            for i in range(m):
                y[i] = y_new[i]
                K[0, i] = K[_STAGES, i]
            ts, ys = _record(ts, ys, rows, t, y)
            rows += 1
    return 0, ts[:rows], ys[:rows]


_SIGNATURE = types.Tuple((types.int64, types.float64[::1], types.float64[:, ::1]))(
    LOOP_TYPE,
    types.float64[:, ::1],
    types.float64[:, ::1],
    types.float64[::1],
    types.float64,
    types.float64,
    types.float64[::1],
    types.float64[::1],
    types.boolean[::1],
    types.boolean[::1],
    types.int64,
)


@memo(maxsize=None)
def _compiled() -> Any:
    """The integrator, compiled (or loaded from Numba's disk cache) on first use."""
    return numba.njit(_SIGNATURE, cache=True, nogil=True)(_dop853_impl)


def dop853_geodesics(
    christoffel: LoopKernel,
    theta0: np.ndarray,
    v0: np.ndarray,
    t_out: np.ndarray,
    rtol: float = 1e-12,
    atol: float = 1e-13,
    box: Box | None = None,
    max_steps: int = 100_000,
) -> Trajectories:
    """Integrate N geodesics from (θ₀, v₀) in one compiled call (DOP853, common steps).

    Parameters
    ----------
    christoffel : LoopKernel
        Γ^k_ij in index order (k, i, j), shape (p, p, p).
    theta0, v0 : numpy.ndarray
        Start points and velocities, shape (N, p).
    t_out : numpy.ndarray
        Increasing (or, backwards, decreasing) times after 0, shape (T,); the last one
        is the end time. Steps are shortened to land exactly on each of them.
    rtol, atol : float
        Tolerances (as in :func:`scipy.integrate.solve_ivp`).
    box : Box, optional
        Steps whose end leaves the box stop the integration (status 1); the joint
        constraints of ``box`` are *not* checked here (the caller checks the returned
        points).
    max_steps : int
        Budget of attempted steps (12 kernel evaluations each).

    Returns
    -------
    Trajectories
        All accepted steps, shape (M, N, p), with ``t`` (M,) containing every ``t_out``
        reached.

    Examples
    --------
    >>> import numba, numpy as np
    >>> @numba.njit
    ... def flat(n, x, s, out):
    ...     out[:] = 0.0
    >>> tr = dop853_geodesics(LoopKernel(flat, 1, (1, 1, 1)), np.array([[1.0]]),
    ...                       np.array([[2.0]]), np.array([0.5, 1.0]))
    >>> tr.status, round(float(tr.theta[-1, 0, 0]), 12), 0.5 in tr.t, tr.t[-1]
    (0, 3.0, True, np.float64(1.0))
    """
    th = np.ascontiguousarray(theta0, dtype=np.float64)
    v = np.ascontiguousarray(v0, dtype=np.float64)
    n, p = th.shape
    if box is None:
        box = Box((-np.inf,) * p, (np.inf,) * p, (True,) * p, (True,) * p)
    status, ts, ys = _compiled()(
        christoffel.loop,
        th,
        v,
        np.ascontiguousarray(t_out, dtype=np.float64),
        float(rtol),
        float(atol),
        np.array(box.lo, dtype=np.float64),
        np.array(box.hi, dtype=np.float64),
        np.array(box.lo_closed, dtype=np.bool_),
        np.array(box.hi_closed, dtype=np.bool_),
        int(max_steps),
    )
    Y = ys.reshape(-1, 2, n, p)
    return Trajectories(int(status), ts, Y[:, 0], Y[:, 1])
