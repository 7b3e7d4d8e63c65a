"""examples/torch_laplace.py at a small size: its numbers against independent facts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "torch_laplace.py"


@pytest.fixture(scope="module")
def example():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("_example_torch_laplace", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_small_run(example) -> None:  # type: ignore[no-untyped-def]
    rep = example.run(n_train=200, epochs=3, seed=0)
    for table in rep.errors.values():
        names = [e.name for e in table.layers]
        assert names == ["0", "2", "5", "7"]
        for e in table.layers:
            # EKFAC is the projection of F onto K-FAC's eigenbasis: never worse than K-FAC
            # (George et al. 2018); the nearest Kronecker product is never worse either.
            assert e.ekfac <= e.kfac + 1e-9 and e.nearest <= e.kfac + 1e-12
    # Linear layers do not depend on the conv variant; conv layers do
    ex, re = ({e.name: e for e in rep.errors[a].layers} for a in ("expand", "reduce"))
    assert ex["7"].kfac == pytest.approx(re["7"].kfac, rel=1e-12)
    assert ex["0"].kfac != pytest.approx(re["0"].kfac, rel=1e-6)
    assert 0 < rep.prior_precision and rep.la_nll > 0 and rep.count_la_nll > 0
