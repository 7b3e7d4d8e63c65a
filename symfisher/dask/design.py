"""Per-draw information of Bayesian and expected designs, computed on a Dask cluster.

``sf.optimal_design(..., client=client)`` passes :func:`draw_evaluator` down to
:func:`symfisher.models.kernels.point_info`: the prior draws are split into chunks that
are scattered to the workers once; every time the solver asks for the information at
a set of points ``X`` with at least :data:`MIN_EVALUATIONS` (draw, point) pairs (the
candidate grid, the certificate; smaller refinement calls stay local), one task per chunk
evaluates the compiled kernel (shipped by content) on its draws, and the
client concatenates the chunks in draw order. Each draw's matrices are computed by the
same kernel loop as on one machine, so the design is the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symfisher.dask.cluster import RETRIES, gather, n_workers, resolve
from symfisher.errors import InputError
from symfisher.numeric.kernel import Kernel

__all__ = ["draw_evaluator", "TASKS_PER_WORKER", "MIN_EVALUATIONS"]

Array = NDArray[np.float64]
DrawCall = Callable[[Kernel, Array], Array]

TASKS_PER_WORKER = 2
"""Default chunks of draws per connected worker (two, so a slow worker is not the tail)."""

MIN_EVALUATIONS = 100_000
"""Below this many (draw, point) evaluations a call runs in this process: the solver's
refinement asks for the information at a handful of points hundreds of times, where a
round trip to the cluster (milliseconds) costs more than the kernel (the same kernel
loop either way, so the values are identical)."""


def _evaluate(kernel: Kernel, th: Array, X: Array) -> Array:
    """``kernel(th, X)`` for a chunk of draws ``th`` (s, 1, p) and points ``X`` (1, N, q)."""
    return np.asarray(kernel(th, X, check=False, parallel=False))


def draw_evaluator(
    client: Any = None, *, tasks: int | None = None, progress: bool | None = None
) -> Callable[[Array], DrawCall]:
    """The ``on_draws`` of :func:`symfisher.models.kernels.point_info` for a Dask cluster.

    Parameters
    ----------
    client : distributed.Client, optional
        Default: the current client.
    tasks : int, optional
        Chunks of draws (default ``TASKS_PER_WORKER`` per connected worker, at most S).
    progress : bool, optional
        Progress lines on stderr (default: for long runs).

    Returns
    -------
    callable
        ``on_draws(th (S, 1, p)) -> call(kernel, X (1, N, q)) -> (S, N) + kernel.shape``.

    Examples
    --------
    >>> sf.optimal_design(model, space=(0, 150), prior=draws, client=client)   # doctest: +SKIP
    """
    cl = resolve(client)
    if tasks is not None and tasks < 1:
        raise InputError(f"tasks must be at least 1, got tasks={tasks}")

    def on_draws(th: Array) -> DrawCall:
        count = min(th.shape[0], tasks or TASKS_PER_WORKER * n_workers(cl))
        parts = cl.scatter([np.ascontiguousarray(c) for c in np.array_split(th, count)])

        def call(kernel: Kernel, X: Array) -> Array:
            if th.shape[0] * X.shape[1] < MIN_EVALUATIONS:
                return _evaluate(kernel, th, X)
            futures = [cl.submit(_evaluate, kernel, part, X, retries=RETRIES) for part in parts]
            return np.concatenate(gather(cl, futures, "design draws", progress), axis=0)

        return call

    return on_draws
