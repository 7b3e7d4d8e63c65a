"""Compiled per-point information of a regression model, handed to the numeric engine.

The symbolic side (SymPy) builds ``f(x, θ)`` and ``∂f/∂x`` for rank-one models, or
``I(x, θ)`` and ``∂I/∂x`` otherwise, compiles them once (content-addressed kernels) and
wraps them as plain callables in a :class:`~symfisher.numeric.design.model.PointInfo`.
Boundary points of the design space get exact one-sided limits (face kernels).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import NDArray

from symfisher._runtime.caches import memo
from symfisher.errors import DerivationError
from symfisher.models.boundary import BoundaryEvaluator, Face, face_expression
from symfisher.models.regression import Regression
from symfisher.numeric.design.model import PointInfo

Array = NDArray[np.float64]


@dataclass(frozen=True)
class CompiledModel:
    """Kernels of one model: ``value``/``deriv`` of ``f`` (rank one) or of ``I``, and ``∂μ/∂θ``."""

    rank_one: bool
    value: Any
    deriv: Any
    mean_grad: Any
    n_params: int


def _quantities(model: Regression) -> tuple[bool, Any, Any, Any]:
    """``(rank_one, value, x-derivative, ∂μ/∂θ)`` as SymPy matrices / arrays."""
    f = model.factor()
    if f is not None:
        val = sp.Matrix(f).T
        der = sp.Matrix([[sp.diff(fj, xa) for fj in f] for xa in model.x])
    else:
        val = sp.Matrix(model.fisher_information())
        der = sp.Array([[[sp.diff(val[i, j], xa) for j in range(val.cols)] for i in range(val.rows)] for xa in model.x])
    grad = sp.Matrix([model.mean]).jacobian(list(model.params)).T
    return f is not None, val, der, grad


@memo(maxsize=64)
def compiled(model: Regression) -> CompiledModel:
    """Compile (or load from the kernel cache) the kernels of ``model``."""
    from symfisher.codegen.api import compile as sf_compile

    args = [list(model.params), list(model.x)]
    rank_one, val, der, grad = _quantities(model)
    return CompiledModel(
        rank_one, sf_compile(val, args), sf_compile(der, args), sf_compile(grad, args), len(model.params)
    )


@memo(maxsize=256)
def face_kernel(model: Regression, which: int, face: Face) -> Any:
    """The kernel of quantity ``which`` (0 value, 1 x-derivative, 2 ``∂μ/∂θ``) with every
    entry replaced by its exact one-sided limit on ``face`` (see :mod:`symfisher.models.boundary`)."""
    from symfisher.codegen.api import compile as sf_compile

    expr = _quantities(model)[1 + which]
    return sf_compile(face_expression(expr, model.x, face), [list(model.params), list(model.x)])


DrawCall = Callable[[Any, Array], Array]
"""``call(kernel, X (1, N, q)) -> kernel(th, X)`` for the draws ``th`` (S, 1, p) it was made for."""


def local_draws(th: Array) -> DrawCall:
    """Evaluate kernels on the draws ``th`` (S, 1, p) in this process."""
    return lambda kernel, X: kernel(th, X, check=False)


def point_info(
    model: Regression, thetas: Array, bounds: Array, *, on_draws: Callable[[Array], DrawCall] | None = None
) -> PointInfo:
    """A :class:`PointInfo` for ``thetas`` (S, p) on a space with ``bounds`` (q, 2).

    ``on_draws(th)`` makes the function that evaluates a kernel on the draws ``th``
    (S, 1, p) at points (1, N, q); default :func:`local_draws` (``sf.dask`` passes one
    that splits the draws over a cluster). Points on the boundary of the box are evaluated
    exactly: where the plain kernel fails there (``x**h*log(x)`` at ``x = 0``), the
    one-sided limit derived by SymPy is used.
    """
    cm = compiled(model)
    th = np.ascontiguousarray(thetas, dtype=float)[:, None, :]
    call = (on_draws or local_draws)(th)

    def run(kernel: Any) -> Any:
        return lambda X: np.asarray(call(kernel, np.ascontiguousarray(X)[None]))

    width = bounds[:, 1] - bounds[:, 0]

    v = BoundaryEvaluator(run(cm.value), lambda face: run(face_kernel(model, 0, face)), bounds)

    def inside_slope(X: Array) -> Array:
        """Secant slope from the exact boundary value to the point 1e-9 of the width inside:
        a search direction for the optimiser where the slope's limit is infinite, never a
        reported value."""
        here = v(X)
        cols = []
        for a in range(X.shape[1]):
            step = np.where(X[:, a] >= bounds[a, 1], -1e-9, 1e-9) * width[a]
            Y = X.copy()
            Y[:, a] += step
            cols.append((v(Y) - here) / step.reshape((1, -1) + (1,) * (here.ndim - 2)))
        return np.stack(cols, axis=2)

    def slope_face(face: Face) -> Any:
        try:
            return run(face_kernel(model, 1, face))
        except DerivationError:  # the slope's limit depends on θ (d/dx x**d1 at 0): search direction only
            return inside_slope

    dv = BoundaryEvaluator(run(cm.deriv), slope_face, bounds, slope_fallback=inside_slope)
    if cm.rank_one:
        return PointInfo.rank_one(v, dv, n_params=cm.n_params)
    return PointInfo(n_params=cm.n_params, info=v, dinfo=dv)


def mean_gradient(model: Regression, theta: Array, X: Array) -> Array:
    """``∂μ/∂θ`` at ``X`` (N, q) for one ``theta`` (p,); shape (N, p)."""
    th = np.asarray(theta, float)[None, None]
    bounds = np.column_stack([X.min(axis=0), X.max(axis=0)]) if X.size else np.zeros((X.shape[1], 2))

    def run(kernel: Any) -> Any:
        return lambda Z: np.asarray(kernel(th, np.ascontiguousarray(Z)[None], check=False))

    ev = BoundaryEvaluator(run(compiled(model).mean_grad), lambda face: run(face_kernel(model, 2, face)), bounds)
    return ev(np.ascontiguousarray(X, dtype=float))[0]
