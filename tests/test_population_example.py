"""examples/warfarin_population_design.py run in-process at CI size."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "warfarin_population_design.py"


@pytest.fixture(scope="module")
def example():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("_example_warfarin_population", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_example_runs_and_reproduces_the_reduced_table(example) -> None:  # type: ignore[no-untyped-def]
    r = example.run(draws=20, starts=1, ks=(4, 8))
    # published reduced-FIM RSEs (PopED tests/testthat/test_evaluate.fim.R, Nyberg et al. 2014);
    # 0.05 = their printed precision
    assert np.allclose(list(r.rse["reduced"].values()), example.PUBLISHED["reduced"], atol=0.05)
    assert 0 < r.optimised.efficiency < 1
    assert r.optimised.subjects_ratio == pytest.approx(1 / r.optimised.efficiency)
    assert r.windows.efficiencies.shape == (20,) and r.samples.ks == (4, 8)
    assert r.power.subjects_needed > 0 and 0 < r.power.power < 1
