"""The client, retries and progress shared by the distributed paths.

Progress goes to ``stderr`` through Dask's own futures (``distributed.as_completed``):
one line per completed tenth of the tasks (every task when there are few), so a long
run shows it is alive without flooding a log. Every task is submitted with
``retries=`` (a worker that dies has its tasks rerun elsewhere), and results are
gathered in submission order, so a failed task raises instead of leaving a hole.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

import distributed

from symfisher.errors import InputError

__all__ = ["RETRIES", "PROGRESS_MIN_TASKS", "resolve", "n_workers", "gather"]

RETRIES = 2
"""Times a task is rerun after its worker died or it raised (Dask's ``retries=``)."""

PROGRESS_MIN_TASKS = 64
"""With ``progress=None`` progress lines are written from this many tasks on."""


def resolve(client: Any) -> distributed.Client:
    """``client`` itself, or the current Dask client (``distributed.get_client``)."""
    if client is not None:
        if not isinstance(client, distributed.Client):
            raise InputError(f"client must be a distributed.Client, got {type(client).__name__}")
        return client
    try:
        return distributed.get_client()
    except ValueError:
        raise InputError("no Dask client: pass client=distributed.Client(...) or create one before the call") from None


def n_workers(client: distributed.Client) -> int:
    """Number of workers currently connected (at least 1, for chunking decisions)."""
    return max(1, len(client.scheduler_info().get("workers", {})))


def _line(label: str, done: int, total: int, start: float) -> str:
    return f"[{label}] {done}/{total} tasks done ({time.perf_counter() - start:.1f} s)"


def gather(
    client: distributed.Client,
    futures: Sequence[distributed.Future],
    label: str,
    progress: bool | None = None,
    stream: TextIO | None = None,
) -> list[Any]:
    """Results of ``futures`` in their order, with progress lines on ``stream``.

    Parameters
    ----------
    client : distributed.Client
    futures : sequence of Future, length T
    label : str
        Name shown in the progress lines.
    progress : bool, optional
        Write progress lines (default: from :data:`PROGRESS_MIN_TASKS` tasks on).
    stream : text stream, optional
        Default ``sys.stderr``.

    Returns
    -------
    list, length T
        Raises the task's exception if a task failed after its retries.
    """
    total = len(futures)
    show = total >= PROGRESS_MIN_TASKS if progress is None else progress
    if show and total:
        out = stream if stream is not None else sys.stderr
        step, start = max(1, total // 10), time.perf_counter()
        for done, _ in enumerate(distributed.as_completed(futures), 1):
            if done % step == 0 or done == total:
                print(_line(label, done, total, start), file=out, flush=True)
    results = client.gather(list(futures))
    if len(results) != total:  # never a silently missing result
        raise RuntimeError(f"{label}: {total} tasks submitted, {len(results)} results gathered")
    return list(results)
