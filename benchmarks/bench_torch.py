"""Benchmark: the PyTorch bridge (sf.torch) vs laplace-torch on the same models and data.

Runs in a separate environment that has laplace-torch (never a symfisher dependency):

    python -m venv /work/venv-bench && /work/venv-bench/bin/pip install torch==2.13.0 numpy scipy \
        numba sympy mpmath threadpoolctl && /work/venv-bench/bin/pip install --no-deps laplace-torch \
        curvlinops-for-pytorch backpack-for-pytorch opt_einsum einops unfoldNd torchmetrics \
        lightning-utilities linear-operator tqdm
    PYTHONPATH=. /work/venv-bench/bin/python benchmarks/bench_torch.py [--quick]

Rows (medians of ``--repeats`` runs after one warm-up, float32 models, random weights and
MNIST-shaped Gaussian inputs with random labels — timing only; nothing is downloaded):

* kron fit + log marginal likelihood, MLP 784-512-512-10, N = 2000;
* GLM predictive (probit), kron and last-layer full, MLP 784-128-10, ``--n-test`` points;
* exact K-FAC error of a 512 x 512 layer, N = 10^4 (k = 1), vs plain torch and NumPy Gram
  products, with the floor = flops of the two Gram matrices / the measured GEMM rate.

Each row states the load average next to it (the machine is shared).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from _threads import threading_line
from laplace import Laplace
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import symfisher.torch as sft
from symfisher.kfac import kron_error
from symfisher.numeric.kfac.error import plain_numpy_norm_sq


@dataclass(frozen=True)
class Timing:
    """Median wall and CPU (all threads of the process) seconds."""

    wall: float
    cpu: float


def timed(fn: Callable[[], object], repeats: int) -> Timing:
    """Median wall and CPU time of ``repeats`` runs after one warm-up."""
    return timed_value(fn, repeats)[0]


def timed_value(fn: Callable[[], object], repeats: int) -> tuple[Timing, object]:
    """Median times of ``repeats`` runs after one warm-up, and the warm-up's value.

    CPU time is much less sensitive than wall time to other jobs on the shared cores.
    """
    value = fn()
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return Timing(statistics.median(wall), statistics.median(cpu)), value


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def mlp(sizes: list[int], seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    mods: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        mods += [nn.Linear(a, b)] + ([nn.ReLU()] if i < len(sizes) - 2 else [])
    return nn.Sequential(*mods).eval()


def data(n: int, d: int, k: int, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g), torch.randint(0, k, (n,), generator=g)


def row(name: str, ours: Timing, theirs: Timing, note: str = "") -> str:
    return (
        f"| {name} | {ours.wall:.3f} | {theirs.wall:.3f} | {ours.wall / theirs.wall:.2f} | {ours.cpu:.3f} "
        f"| {theirs.cpu:.3f} | {ours.cpu / theirs.cpu:.2f} | {load()} | {note} |"
    )


def kron_fit_row(n: int, repeats: int) -> str:
    net = mlp([784, 512, 512, 10])
    X, y = data(n, 784, 10)
    loader = DataLoader(TensorDataset(X, y), batch_size=500)

    def ours() -> float:
        return sft.laplace(
            net, (X, y), likelihood="categorical", structure="kron", batch_size=500
        ).log_marginal_likelihood()

    def theirs() -> float:
        la = Laplace(net, "classification", subset_of_weights="all", hessian_structure="kron")
        la.fit(loader, progress_bar=False)
        return float(la.log_marginal_likelihood())

    (t_a, a), (t_b, b) = timed_value(ours, repeats), timed_value(theirs, repeats)
    return row(
        f"kron fit + log marglik, 784-512-512-10, N = {n}",
        t_a,
        t_b,
        f"log Z {a:.6g} vs {b:.6g} (rel. diff {abs(a / b - 1):.1e})",
    )


def predictive_rows(n: int, n_test: int, repeats: int) -> list[str]:
    net = mlp([784, 128, 10])
    X, y = data(n, 784, 10)
    Xs, _ = data(n_test, 784, 10, seed=2)
    loader = DataLoader(TensorDataset(X, y), batch_size=500)
    out = []
    for subset, struct, label in (
        ("all", "kron", "kron"),
        ("last_layer", "full", "last-layer"),
    ):
        ours_post = sft.laplace(net, (X, y), likelihood="categorical", subset=subset, structure=struct)
        la = Laplace(net, "classification", subset_of_weights=subset, hessian_structure=struct)
        la.fit(loader, progress_bar=False)
        t_a, p_ours = timed_value(lambda p=ours_post: p.predict(Xs, "probit").mean, repeats)
        t_b, p_theirs = timed_value(
            lambda la=la: la(Xs, pred_type="glm", link_approx="probit").detach().numpy(),
            repeats,
        )
        diff = float(np.max(np.abs(p_ours - p_theirs)))  # type: ignore[operator]
        out.append(
            row(
                f"GLM predictive (probit), {label}, 784-128-10, {n_test} test points",
                t_a,
                t_b,
                f"max abs diff of probabilities {diff:.1e}",
            )
        )
        print(out[-1], flush=True)
    return out


def gemm_rate() -> float:
    """Measured float64 GEMM rate (flop/s) of a 2048 x 512 x 2048 product, best of 5."""
    x = np.random.default_rng(0).standard_normal((2048, 512))
    y = np.random.default_rng(1).standard_normal((2048, 512))
    c = np.empty((2048, 2048))
    best = min(timed(lambda: np.matmul(x, y.T, out=c), 1).wall for _ in range(5))
    return 2 * 2048 * 2048 * 512 / best


def error_rows(n: int, d: int, repeats: int) -> list[str]:
    rng = np.random.default_rng(0)
    a, g = np.tanh(rng.standard_normal((n, d))), rng.standard_normal((n, d))
    at, gt = torch.from_numpy(a), torch.from_numpy(g)

    def torch_plain() -> float:
        return float((((at @ at.T) * (gt @ gt.T)) ** 2).sum())

    ours = timed(lambda: kron_error(a, g, nearest=False, ekfac=False), repeats)
    t_torch = timed(torch_plain, repeats)
    t_np = timed(lambda: plain_numpy_norm_sq(a, g), repeats)
    rate = gemm_rate()
    floor_sym, floor_full = 2 * n * n * d / rate, 4 * n * n * d / rate
    return [
        row(
            f"exact K-FAC error {d} x {d}, N = {n} (vs plain torch Grams)",
            ours,
            t_torch,
            f"plain NumPy {t_np.wall:.2f} s (CPU {t_np.cpu:.2f} s); floor {floor_sym:.2f} s symmetric / "
            f"{floor_full:.2f} s full Grams at {rate / 1e9:.0f} GFLOP/s; "
            f"ours / symmetric floor {ours.wall / floor_sym:.2f}",
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description="sf.torch vs laplace-torch")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--n-test",
        type=int,
        default=200,
        help="test points of the predictive rows (laplace-torch's kron GLM "
        "predictive forms (n_test, 10, 101770) Jacobians: 0.8 GB at 200)",
    )
    args = parser.parse_args()
    torch.set_grad_enabled(True)
    n_fit, n_err = (500, 2000) if args.quick else (2000, 10_000)
    head = (
        f"torch {torch.__version__}, {torch.get_num_threads()} torch threads; medians of {args.repeats} after warm-up."
    )
    lines = [
        "## PyTorch bridge: sf.torch vs laplace-torch 0.3 (same run)",
        "",
        head,
        "",
        "| work | sf.torch s | other s | ratio | sf.torch CPU s | other CPU s | CPU ratio | load | check |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    print("\n".join(lines), flush=True)
    lines.append(kron_fit_row(n_fit, args.repeats))
    print(lines[-1], flush=True)
    lines += predictive_rows(n_fit, args.n_test, args.repeats)
    lines += error_rows(n_err, 512, args.repeats)
    print(lines[-1], flush=True)
    lines += ["", threading_line()]
    print("\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
