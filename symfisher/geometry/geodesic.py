"""Geodesics and Fisher–Rao distances of a family (or of a plain metric).

The front end derives what the numeric solvers need — the Christoffel symbols and the
metric — compiles them into vectorised kernels, and hands those to
:mod:`symfisher.numeric.geodesic.solve` (which never sees SymPy). Closed-form distances are
recognised from the metric by :mod:`symfisher.derive.geometry.fisher_rao`.

Parameter points are dicts ``{parameter symbol (or its name): value}`` or sequences in
the order of ``family.params`` (or of ``coords`` for a plain metric).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from symfisher._runtime.caches import memo
from symfisher.derive.geometry.connections import christoffel_of
from symfisher.derive.geometry.fisher_rao import closed_form_distance
from symfisher.derive.geometry.metric import MetricData, metric_data
from symfisher.errors import DomainError, InputError
from symfisher.families.domains import float_interval
from symfisher.families.protocol import FamilyLike
from symfisher.families.values import parameter_vector
from symfisher.numeric.geodesic.ode import Box, LoopKernel
from symfisher.numeric.geodesic.solve import GeodesicSolution, integrate_geodesic, shooting_distance
from symfisher.options import DistanceMethod, Integrator, option

__all__ = ["DistanceMethod", "geodesic", "fisher_rao_distance"]


# ----------------------------------------------------------------------------- domains
def _domains(md: MetricData) -> list[sp.Set]:
    return list(md.domains)


def _interval(dom: sp.Set, name: sp.Symbol) -> sp.Interval:
    if dom == sp.Reals:
        return sp.Interval(-sp.oo, sp.oo)
    if isinstance(dom, sp.Interval):
        return dom
    raise DomainError(f"parameter {name} has domain {dom}, which is not an interval")


def _constraints(md: MetricData) -> list[Callable[..., Any]]:
    return [sp.lambdify(md.coords, c, "numpy") for c in md.constraints]


@memo(maxsize=64)
def _inside_fn(md: MetricData) -> Box:
    """Vectorised domain membership: theta (N, p) -> bool (N,), as a :class:`Box`.

    The interval box is checked inside the compiled integrator; the joint constraints
    (lambdified) are checked on the returned points.
    """
    ivs = [_interval(d, c) for d, c in zip(_domains(md), md.coords)]
    cons = _constraints(md)

    def constraints(th: np.ndarray) -> np.ndarray:
        ok = np.ones(th.shape[0], dtype=bool)
        for c in cons:
            ok &= np.broadcast_to(np.asarray(c(*th.T), dtype=bool), ok.shape)
        return ok

    lo, hi, lo_closed, hi_closed = zip(*(float_interval(iv) for iv in ivs))
    return Box(lo=lo, hi=hi, lo_closed=lo_closed, hi_closed=hi_closed, constraints=constraints if cons else None)


@memo(maxsize=64)
def _samples(md: MetricData) -> tuple[tuple[float, ...], ...]:
    """Three interior points of each coordinate's domain (for numeric verification)."""
    out = []
    for dom, c in zip(_domains(md), md.coords):
        iv = _interval(dom, c)
        lo, hi = float(iv.start), float(iv.end)
        if np.isfinite(lo) and np.isfinite(hi):
            out.append(tuple(lo + f * (hi - lo) for f in (0.13, 0.29, 0.41)))
        elif np.isfinite(lo):
            out.append(tuple(lo + f for f in (0.7, 1.3, 2.9)))
        elif np.isfinite(hi):
            out.append(tuple(hi - f for f in (0.7, 1.3, 2.9)))
        else:
            out.append((-1.1, 0.4, 2.3))
    return tuple(out)


def as_point(md: MetricData, theta: Any, name: str = "theta") -> np.ndarray:
    """A parameter point as a float array (p,), checked against the domain.

    Parameters
    ----------
    md : MetricData
        The metric and its coordinates.
    theta : dict or sequence
        ``{symbol or symbol name: value}`` or values in coordinate order.
    name : str
        The argument's name, for error messages.

    Returns
    -------
    numpy.ndarray
        Shape (p,).

    Raises
    ------
    DomainError
        A value outside the parameter's domain or a violated joint constraint.
    ValueError
        Missing, unknown or extra coordinates.
    """
    x = parameter_vector(md.coords, theta, name, domains=dict(zip(md.coords, _domains(md))))
    if not _inside_fn(md)(x[None])[0]:
        _explain_outside(md, x, name)
    g = _metric_kernel(md)(x[None])[0]
    if not (np.all(np.isfinite(g)) and np.all(np.linalg.eigvalsh(g) > 0)):
        raise DomainError(
            f"{name} = {x.tolist()}: the metric is not finite and positive definite there (g = {g.tolist()})"
        )
    return x


def _explain_outside(md: MetricData, x: np.ndarray, name: str) -> None:
    for c, dom, v in zip(md.coords, _domains(md), x):
        if not np.isfinite(v) or not bool(dom.contains(sp.Float(v))):
            raise DomainError(f"{name}: parameter {c} = {v} lies outside its domain {dom}")
    raise DomainError(f"{name} = {x.tolist()} violates the constraints {list(md.constraints)}")


# ----------------------------------------------------------------------------- kernels
def _check_free(md: MetricData) -> None:
    extra = md.g.free_symbols - set(md.coords)
    if extra:
        raise InputError(
            f"the metric depends on symbols {sorted(map(str, extra))} that are not parameters; "
            "fix their values first (family.with_fixed(...) or substitute into the metric)"
        )


def _vector_kernel(exprs: Any, coords: tuple[sp.Symbol, ...]) -> LoopKernel:
    """Compiled evaluator theta (N, p) -> (N, *exprs.shape) (``sf.compile`` Numba kernel).

    The kernel's serial dense loop is called directly (no argument conversion,
    broadcasting or domain checks: the solvers reject trial points outside the domain
    themselves, and the batches are tiny, at most 2p + 1 points); the compiled
    integrator calls the same loop from Numba.
    """
    from symfisher.codegen.api import compile as compile_kernel

    kern = compile_kernel(exprs, args=[list(coords)])
    return LoopKernel(loop=kern.loops[2], p=len(coords), shape=tuple(exprs.shape))


@memo(maxsize=64)
def _metric_kernel(md: MetricData) -> LoopKernel:
    """Compiled metric evaluator theta (N, p) -> (N, p, p)."""
    _check_free(md)
    return _vector_kernel(md.g, md.coords)


@memo(maxsize=64)
def _christoffel_kernel(md: MetricData) -> LoopKernel:
    """Compiled Christoffel evaluator theta (N, p) -> (N, p, p, p), Γ^k_ij order (k, i, j)."""
    _check_free(md)
    return _vector_kernel(christoffel_of(md, "second"), md.coords)


@memo(maxsize=64)
def _family_metric(fam: FamilyLike) -> MetricData:
    """``metric_data(fam)`` once per family (its content hash is computed once per object)."""
    return metric_data(fam)


def _metric_of(fam: FamilyLike | sp.MatrixBase, coords: Any) -> MetricData:
    """``metric_data(fam, coords)``, remembered per family so the kernel caches below hit
    on the very same ``MetricData``; plain metrics and explicit coordinates are not cached."""
    if coords is not None or isinstance(fam, sp.MatrixBase):
        return metric_data(fam, coords)
    return _family_metric(fam)


# ----------------------------------------------------------------------------- public
def geodesic(
    fam: FamilyLike | sp.MatrixBase,
    theta0: Any,
    velocity: Any,
    *,
    t: float = 1.0,
    steps: int | None = None,
    coords: Any = None,
    integrator: str | Integrator = "auto",
) -> GeodesicSolution:
    """The Fisher–Rao geodesic through ``theta0`` with initial velocity ``velocity``.

    Integrates ``θ̈^k = −Γ^k_ij θ̇^i θ̇^j`` (DOP853, rtol 1e-11) with a compiled
    Christoffel kernel, by default in a compiled integrator (:mod:`symfisher.numeric.geodesic.ode`).

    Parameters
    ----------
    fam : Family or sympy.Matrix
        A family, or a plain metric (then pass ``coords``).
    theta0 : dict or sequence
        Start point, ``{parameter: value}`` or values in ``family.params`` order.
    velocity : sequence of float
        Initial velocity, length p, in ``family.params`` order.
    t : float
        End time (the geodesic's metric length is ``t · |velocity|_g``).
    steps : int, optional
        Return ``steps + 1`` equally spaced times; default: the integrator's steps.
    coords : sequence of sympy.Symbol or dict {Symbol: Set}, optional
        Coordinates of a plain metric, optionally with their domains.
    integrator : {"auto", "compiled", "scipy"}
        The compiled DOP853 (``"auto"``) or :func:`scipy.integrate.solve_ivp`'s DOP853.

    Returns
    -------
    GeodesicSolution
        ``.t`` times, shape (T,); ``.path`` points, shape (T, p); ``.vel`` velocities,
        shape (T, p); ``.summary()``, ``.to_dict()``.

    Raises
    ------
    DomainError
        ``theta0`` outside the domain, or the geodesic leaving it before time ``t``.

    Examples
    --------
    >>> import sympy as sp
    >>> mu = sp.Symbol("mu", real=True); s = sp.Symbol("sigma", positive=True)
    >>> g = sp.diag(1 / s**2, 2 / s**2)
    >>> geo = geodesic(g, [0.0, 1.0], [0.0, 1.0], t=1.0, steps=4, coords=[mu, s])
    >>> round(float(geo.path[-1, 1]), 10)       # σ(t) = e^t along the σ-axis
    2.7182818285
    """
    md = _metric_of(fam, coords)
    x0 = as_point(md, theta0, "theta0")
    v0 = np.asarray(velocity, dtype=float).ravel()
    if v0.size != md.dim:
        raise InputError(f"velocity has {v0.size} components but there are {md.dim} parameters {md.coords}")
    return integrate_geodesic(
        _christoffel_kernel(md), x0, v0, float(t), steps, inside=_inside_fn(md), integrator=integrator
    )


def _closed_value(md: MetricData, a: np.ndarray, b: np.ndarray) -> float | None:
    cd = closed_form_distance(md.g, md.coords, _samples(md))
    if cd is None:
        return None
    subs = dict(zip(cd.a + cd.b, [sp.Float(v, 30) for v in (*a, *b)]))
    with mpmath.workdps(30):
        val = complex(cd.expr.evalf(30, subs=subs))
    return float(val.real)


def fisher_rao_distance(
    fam: FamilyLike | sp.MatrixBase,
    theta1: Any,
    theta2: Any,
    *,
    method: str | DistanceMethod = "auto",
    coords: Any = None,
    integrator: str | Integrator = "auto",
) -> float:
    """Fisher–Rao (geodesic) distance between two parameter points.

    Parameters
    ----------
    fam : Family or sympy.Matrix
        A family, or a plain metric (then pass ``coords``).
    theta1, theta2 : dict or sequence
        The points, ``{parameter: value}`` or values in ``family.params`` order.
    method : {"auto", "closed", "numeric"} or DistanceMethod
        ``"closed"``: a formula recognised from the metric (see
        :mod:`symfisher.derive.geometry.fisher_rao`), error if none applies; ``"numeric"``:
        shooting for the geodesic boundary-value problem (≈1e-10 accuracy);
        ``"auto"``: closed form when recognised, else numeric.
    coords : sequence of sympy.Symbol or dict {Symbol: Set}, optional
        Coordinates of a plain metric, optionally with their domains.
    integrator : {"auto", "compiled", "scipy"}
        Integrator of the numeric route: the compiled DOP853 (default; a few
        milliseconds for the gamma family once compiled) or
        :func:`scipy.integrate.solve_ivp` (the reference path).

    Returns
    -------
    float

    Raises
    ------
    DomainError
        A point outside the parameter domain.
    ValueError
        ``method="closed"`` for a metric without a recognised closed form.

    Examples
    --------
    >>> import sympy as sp
    >>> lam = sp.Symbol("lam", positive=True)
    >>> fisher_rao_distance(sp.Matrix([[1 / lam]]), [1.0], [4.0], coords=[lam])  # 2|√λ₁ − √λ₂|
    2.0
    """
    md = _metric_of(fam, coords)
    how = option(DistanceMethod, method, "method")
    a, b = as_point(md, theta1, "theta1"), as_point(md, theta2, "theta2")
    if how is not DistanceMethod.NUMERIC:
        val = _closed_value(md, a, b)
        if val is not None:
            return val
        if how is DistanceMethod.CLOSED:
            raise InputError(
                f"no closed-form Fisher–Rao distance is recognised for the metric {md.g.tolist()} "
                f"in {md.coords}; use method='numeric'"
            )
    if np.array_equal(a, b):
        return 0.0
    return shooting_distance(
        _christoffel_kernel(md), _metric_kernel(md), a, b, inside=_inside_fn(md), integrator=integrator
    ).distance
