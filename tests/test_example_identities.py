"""examples/textbook_identities.py runs and says what its docstring promises.

Oracles: the Fisher–Rao metric of N(μ, σ) is (dμ² + 2 dσ²)/σ², a hyperbolic plane of
curvature −1/2 (Atkinson & Mitchell 1981); Cauchy location–scale (dμ² + dσ²)/(2σ²), curvature −2;
the categorical simplex with 3 cells is a sphere of radius 2, curvature 1/4 (Amari &
Nagaoka 2000, §2.2). The closed and shooting Fisher–Rao distances are independent routes.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "textbook_identities.py"


@pytest.fixture(scope="module")
def output() -> str:
    spec = importlib.util.spec_from_file_location("_example_textbook_identities", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        module.main()
    return buf.getvalue()


@pytest.mark.parametrize("family", ["poisson", "normal", "laplace"])
def test_regular_families_pass_every_applicable_identity(output: str, family: str) -> None:
    assert re.search(rf"^{family}: ok \(", output, re.M), output


def test_uniform_fails_with_the_reason(output: str) -> None:
    block = output[output.index("uniform:") :].split("\n\n")[0]
    assert block.startswith("uniform: FAILURES (9 fails, 3 not applicable)"), block
    assert "support Interval(0, theta) depends on the parameter" in block


def test_laplace_information_equality_names_the_kink(output: str) -> None:
    line = next(ln for ln in output.splitlines() if "information_equality" in ln and "Dirac" in ln)
    assert "distributional" in line


@pytest.mark.parametrize(("family", "k"), [("normal", "-1/2"), ("cauchy", "-2"), ("categorical", "1/4")])
def test_published_curvatures(output: str, family: str, k: str) -> None:
    assert re.search(rf"^  {family}\s+K = {re.escape(k)}$", output, re.M), output


def test_closed_and_shooting_distances_agree(output: str) -> None:
    m = re.search(r"closed ([0-9.]+), shooting ([0-9.]+)", output)
    assert m is not None
    assert abs(float(m.group(1)) - float(m.group(2))) < 1e-12
