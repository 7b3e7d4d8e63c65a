"""Compiled per-point information of a regression model, handed to the numeric engine.

The symbolic side (SymPy) builds ``f(x, θ)`` and ``∂f/∂x`` for rank-one models, or
``I(x, θ)`` and ``∂I/∂x`` otherwise, compiles them once (content-addressed kernels) and
wraps them as plain callables in a :class:`~symfisher.numeric.design.model.PointInfo`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import NDArray

from symfisher._runtime.caches import memo
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


@memo(maxsize=64)
def compiled(model: Regression) -> CompiledModel:
    """Compile (or load from the kernel cache) the kernels of ``model``."""
    from symfisher.codegen.api import compile as sf_compile

    args = [list(model.params), list(model.x)]
    f = model.factor()
    if f is not None:
        val = sp.Matrix(f).T
        der = sp.Matrix([[sp.diff(fj, xa) for fj in f] for xa in model.x])
    else:
        val = sp.Matrix(model.fisher_information())
        der = sp.Array([[[sp.diff(val[i, j], xa) for j in range(val.cols)] for i in range(val.rows)]
                        for xa in model.x])
    grad = sp.Matrix([model.mean]).jacobian(list(model.params)).T
    return CompiledModel(f is not None, sf_compile(val, args), sf_compile(der, args),
                         sf_compile(grad, args), len(model.params))


def _limit_safe(fn: Any, bounds: Array) -> Any:
    """Evaluate ``fn(X)``; where the result is not finite or divides by zero (``x^h log x``
    at ``x = 0``), use its limit, taken as the value at the point moved 1e-9 of the width
    into the space."""
    width = bounds[:, 1] - bounds[:, 0]

    def nudged(X: Array) -> Array:
        return np.clip(X, bounds[:, 0] + 1e-9 * width, bounds[:, 1] - 1e-9 * width)

    def call(X: Array) -> Array:
        try:
            out = np.asarray(fn(X))
        except ZeroDivisionError:
            edge = np.any((X <= bounds[:, 0]) | (X >= bounds[:, 1]), axis=1)
            out = np.asarray(fn(np.where(edge[:, None], nudged(X), X)))
        if X.shape[0] == 0:
            return out
        bad = ~np.isfinite(out.reshape(out.shape[0], out.shape[1], -1)).all(axis=(0, 2))
        if bad.any():
            out[:, bad] = fn(nudged(X[bad]))
            if not np.isfinite(out).all():
                raise FloatingPointError(f"information is not finite at design point(s) {X[bad].tolist()}")
        return out

    return call


def point_info(model: Regression, thetas: Array, bounds: Array) -> PointInfo:
    """A :class:`PointInfo` for ``thetas`` (S, p) on a space with ``bounds`` (q, 2)."""
    cm = compiled(model)
    th = np.ascontiguousarray(thetas, dtype=float)[:, None, :]

    def value(X: Array) -> Array:
        return cm.value(th, np.ascontiguousarray(X)[None], check=False)

    def deriv(X: Array) -> Array:
        d = cm.deriv(th, np.ascontiguousarray(X)[None], check=False)
        return d

    v, dv = _limit_safe(value, bounds), _limit_safe(deriv, bounds)
    if cm.rank_one:
        return PointInfo.rank_one(v, dv, n_params=cm.n_params)
    return PointInfo(n_params=cm.n_params, info=v, dinfo=dv)


def mean_gradient(model: Regression, theta: Array, X: Array) -> Array:
    """``∂μ/∂θ`` at ``X`` (N, q) for one ``theta`` (p,); shape (N, p)."""
    return np.asarray(compiled(model).mean_grad(np.asarray(theta, float)[None], np.ascontiguousarray(X), check=False))
