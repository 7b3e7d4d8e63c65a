"""Scale pieces of the PyTorch bridge: batched predictive, the scale benchmark's quick mode
and its peak-memory method."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import symfisher.torch as sft

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def test_predictive_in_batches_equals_one_batch() -> None:
    """``function_covariance`` over test batches of 3 equals one batch of all 10 points."""
    torch.manual_seed(2)
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Tanh(), nn.Flatten(), nn.Linear(18, 3)).double()
    X, y = torch.randn(12, 1, 5, 5, dtype=torch.float64), torch.randint(0, 3, (12,))
    lap = sft.laplace(net, (X, y), likelihood="categorical", structure="kron", batch_size=3)
    f3, c3 = lap.function_covariance(X[:10])
    big = replace(lap, batch_size=100)
    f1, c1 = big.function_covariance(X[:10])
    assert c3.shape == (10, 3, 3)
    np.testing.assert_allclose(f3, f1, rtol=0, atol=1e-14)
    np.testing.assert_allclose(c3, c1, rtol=1e-12, atol=1e-15)


@pytest.fixture(scope="module")
def bench():  # noqa: ANN201
    sys.path.insert(0, str(BENCH))
    try:
        import bench_torch_scale

        yield bench_torch_scale
    finally:
        sys.path.remove(str(BENCH))


def test_measure_sees_an_allocation(bench) -> None:  # noqa: ANN001
    """The per-step peak (VmHWM after clear_refs) sees a 200 MB array made and freed."""
    _, step = bench.measure("alloc", lambda: float(np.ones(25_000_000).sum()))
    if step.peak_mb < 0:
        pytest.skip("no /proc/self/status on this system")
    assert step.delta_mb >= 150  # 25e6 float64 = 200 MB
    _, small = bench.measure("none", lambda: 1)
    assert small.delta_mb < 50


def test_quick_mode_runs_every_step(bench) -> None:  # noqa: ANN001
    out = "\n".join(bench.main(["--quick"]))
    for step in (
        "kron fit",
        "log marginal likelihood",
        "prior precision",
        "GLM predictive",
        "K-FAC errors",
        "last-layer kron fit",
    ):
        assert step in out
    assert "route" in out and "status" in out and "threading layer + BLAS" in out
    assert "skipped" not in out  # the default budget fits the tiny networks


def test_full_size_networks_have_the_stated_sizes(bench) -> None:  # noqa: ANN001
    assert bench.n_params(bench.small_resnet(False)) >= 1_000_000
    assert 11_000_000 <= bench.n_params(bench.resnet18(False)) <= 11_300_000  # ResNet-18 (CIFAR): 11.17 M


def test_eigh_redone_in_float64_when_float32_returns_nan(monkeypatch: pytest.MonkeyPatch) -> None:
    """float32 LAPACK returned NaN silently on a ResNet's bias block: the float64 redo."""
    from symfisher.torch import blocks

    real = torch.linalg.eigh

    def flaky(M: torch.Tensor):  # noqa: ANN202
        lam, U = real(M)
        return (lam * float("nan"), U) if M.dtype == torch.float32 else (lam, U)

    monkeypatch.setattr(torch.linalg, "eigh", flaky)
    M = torch.tensor([[2.0, 1.0], [1.0, 2.0]])
    lam, U = blocks.eigh_clipped(M)
    np.testing.assert_allclose(lam, [1.0, 3.0], rtol=0, atol=1e-12)  # eigenvalues 2 -+ 1
    assert np.all(np.isfinite(U))
