"""One budget mechanism: a timeout ends the budgeted child and every descendant.

Exact cases: a grandchild under a nested budget (10 s) inside a 1 s outer budget must be
dead after the outer budget fires, both through :func:`run_with_budget` directly and
through :func:`symfisher.derive.fisher.api.derive_fisher` with an expectation engine that
hangs in a nested budget.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import sympy as sp

from symfisher._runtime.budget import run_with_budget
from symfisher.errors import BudgetExceeded

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="budgets need fork (POSIX)")


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "zombie" not in status and "(dead)" not in status


def _wait_dead(pid: int, seconds: float = 10.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def _sleeper(pidfile: str, seconds: float = 10.0) -> int:
    Path(pidfile).write_text(str(os.getpid()))
    time.sleep(seconds)
    return 1


def _nested(pidfile: str) -> object:
    return run_with_budget(_sleeper, pidfile, seconds=20)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_nested_budget_kills_the_grandchild(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    with pytest.raises(BudgetExceeded):
        run_with_budget(_nested, str(pidfile), seconds=1.0)
    grandchild = int(pidfile.read_text())
    assert _wait_dead(grandchild), f"grandchild {grandchild} outlived the outer budget"


def test_budget_returns_values_and_errors() -> None:
    assert run_with_budget(sum, [1, 2, 3], seconds=5).value == 6
    out = run_with_budget(int, "x", seconds=5)
    assert out.value is None and out.error.startswith("ValueError")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_fisher_route_timeout_leaves_no_descendant(tmp_path: Path) -> None:
    from symfisher.derive.fisher.api import derive_fisher
    from symfisher.families.base import Family

    pidfile = tmp_path / "pid"

    def hanging_expect(expr: sp.Expr, fam: object, *, budget: float) -> sp.Expr:
        run_with_budget(_sleeper, str(pidfile), 120.0, seconds=600)  # a nested budget that hangs
        raise AssertionError("unreachable: the route's budget fires first")

    x = sp.Symbol("x", real=True)
    s = sp.Symbol("s", positive=True)
    fam = Family(-(x**4) / s - sp.log(s), x, [s], sp.Interval(-sp.oo, sp.oo))
    with pytest.raises(Exception):  # every route fails: no closed form
        derive_fisher(fam, "score", expect=hanging_expect, budget=0.1, check=False, cache=False)
    grandchild = int(pidfile.read_text())
    assert _wait_dead(grandchild), f"the engine's nested child {grandchild} outlived sf.fisher"
