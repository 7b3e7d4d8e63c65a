"""Sensitivity pictures (optional ``plot`` extra; matplotlib is part of the test extra)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib  # noqa: F401  (the test extra installs it: these tests always run)
import numpy as np
import pytest
import sympy as sp

import symfisher as sf
from symfisher.errors import SymfisherError


@pytest.fixture(scope="module")
def linear_design() -> object:
    x = sp.Symbol("x", real=True)
    a, b = sp.symbols("a b", real=True)
    return sf.optimal_design(sf.Regression(a + b * x, x, [a, b], sigma=1), {a: 0, b: 1}, space=(-1, 1))


def test_plot_draws_the_sensitivity_and_bound(linear_design: object, tmp_path: Path) -> None:
    from symfisher.report.plots import plot_sensitivity

    out = tmp_path / "sens.png"
    fig = plot_sensitivity(linear_design, out, n=201)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    curve, bound, support = fig.axes[0].lines[:3]
    xs, ys = curve.get_data()
    np.testing.assert_allclose(ys, 1 + np.asarray(xs) ** 2, atol=1e-12)  # exact: d(x) = 1 + x² for ±1, ½ each
    assert bound.get_ydata()[0] == pytest.approx(2.0)
    np.testing.assert_allclose(sorted(support.get_xdata()), [-1.0, 1.0], atol=1e-9)


def test_plot_rejects_two_factor_designs() -> None:
    from types import SimpleNamespace

    from symfisher.report.plots import plot_sensitivity

    two_factor = SimpleNamespace(problem=SimpleNamespace(space=SimpleNamespace(dim=2)))
    with pytest.raises(SymfisherError, match="one-factor"):
        plot_sensitivity(two_factor)


def test_cli_writes_plot(tmp_path: Path) -> None:
    out = tmp_path / "cli.png"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "symfisher",
            "design",
            "linear",
            "--space=-1:1",
            "--theta",
            "b0=0,b1=1",
            "--plot",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 1000
