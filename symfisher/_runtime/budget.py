"""Time budgets for SymPy calls, which have no timeout of their own.

A SymPy ``integrate``/``summation``/``simplify`` can run for minutes; interrupting it
with a signal or a thread leaves SymPy's caches and the interpreter in an unknown
state. :func:`run_with_budget` therefore runs the call in a forked child process and
kills the child when the deadline passes: the parent's state is never touched. The
result travels back over a pipe, serialised with :mod:`pickle` — this is transient
inter-process communication between the parent and the child it has just forked
(never a file, never data from elsewhere), so no untrusted bytes are unpickled.

Budgets nest (a Fisher route runs under one, each ``integrate`` inside it under
another), so a timeout must end the child *and everything it started*. Each child
therefore leads a new process group (``setpgid``) and, on Linux, asks the kernel to kill
it when its parent dies (``PR_SET_PDEATHSIG``). When a budget runs out the parent kills
the child's whole group; grandchildren in groups of their own (nested budgets) receive
SIGKILL from the kernel as their parent dies, and so on down the tree. No descendant
outlives the budget that started it (tested in ``tests/test_budget.py``). This is the one
budget mechanism of the package: the verifier and the engine both use it.

Where ``os.fork`` is unavailable (Windows) the call runs in-process without a limit.
The fork overhead is a few milliseconds (measured by ``benchmarks/bench_derive.py``).
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from symfisher.errors import BudgetExceeded

__all__ = ["BudgetExceeded", "Outcome", "run_with_budget"]

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome:
    """What a budgeted call produced.

    Attributes
    ----------
    value : object
        The return value (None when ``error`` is set).
    error : str or None
        ``"TypeName: message"`` of an exception raised by the call.
    seconds : float
        Wall-clock time spent, including the fork.
    """

    value: Any
    error: str | None
    seconds: float


def _die_with_parent(parent: int) -> None:
    """Ask the kernel (Linux) for SIGKILL when the parent dies; exit if it already has."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the process group kill still applies
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def _child(write_fd: int, parent: int, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    _die_with_parent(parent)
    try:
        try:
            payload = ("ok", fn(*args, **kwargs))
        except BaseException as exc:  # report every failure to the parent
            payload = ("err", f"{type(exc).__name__}: {exc}")
        try:
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            data = pickle.dumps(("err", f"unpicklable result: {exc}"))
        with os.fdopen(write_fd, "wb") as fh:
            fh.write(data)
    finally:  # never return into the parent's stack (e.g. on a closed pipe)
        os._exit(0)


def _read_all(read_fd: int, pid: int, deadline: float) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([read_fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(read_fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def run_with_budget(fn: Callable[..., T], *args: Any, seconds: float = 10.0, **kwargs: Any) -> Outcome:
    """Run ``fn(*args, **kwargs)`` with a wall-clock limit of ``seconds``.

    Parameters
    ----------
    fn : callable
        A pure function (its side effects in the child are lost).
    *args, **kwargs
        Passed to ``fn``; the return value must be picklable (SymPy objects are).
    seconds : float
        The budget; the child is killed (SIGKILL) when it is exceeded.

    Returns
    -------
    Outcome
        The value or the error message of the call, and the time spent.

    Raises
    ------
    BudgetExceeded
        When the budget runs out.

    Examples
    --------
    >>> run_with_budget(sum, [1, 2, 3], seconds=5).value
    6
    """
    start = time.monotonic()
    if not hasattr(os, "fork"):
        return _in_process(fn, args, kwargs, start)
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        _child(write_fd, parent, fn, args, kwargs)
    os.close(write_fd)
    try:  # also set from this side, so the group exists whichever process runs first
        os.setpgid(pid, pid)
    except OSError:
        pass
    try:
        data = _read_all(read_fd, pid, start + seconds)
    finally:
        os.close(read_fd)
    if data is None:
        _kill_tree(pid)
    os.waitpid(pid, 0)
    elapsed = time.monotonic() - start
    if data is None:
        raise BudgetExceeded(f"{getattr(fn, '__name__', fn)} exceeded its budget of {seconds:g} s")
    if not data:
        return Outcome(None, "child process died without a result", elapsed)
    kind, value = pickle.loads(data)
    return Outcome(value, None, elapsed) if kind == "ok" else Outcome(None, value, elapsed)


def _kill_tree(pid: int) -> None:
    """SIGKILL the child's process group (its descendants in other groups follow by
    PR_SET_PDEATHSIG)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _in_process(fn: Callable[..., Any], args: tuple, kwargs: dict, start: float) -> Outcome:
    try:
        value = fn(*args, **kwargs)
    except Exception as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}", time.monotonic() - start)
    return Outcome(value, None, time.monotonic() - start)
