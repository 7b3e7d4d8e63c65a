"""Scale of the PyTorch bridge (issue 16, item 3): a >= 1 M-parameter ResNet on >= 10^4 images.

Run from the repository root with the project's venv (torch CPU; no laplace-torch needed)::

    PYTHONPATH=. /work/venv/bin/python benchmarks/bench_torch_scale.py          # full
    PYTHONPATH=. /work/venv/bin/python benchmarks/bench_torch_scale.py --quick  # smoke

Data (nothing is downloaded): scikit-learn's digits (8 x 8) upsampled to 32 x 32, each copy
shifted by up to 2 pixels and with Gaussian pixel noise, so the 1797 digits become as many
images as asked (different copies of the same digit are different images).

1. A ResNet without batch norm (basic blocks, widths 32 / 64 / 128 with 2 / 2 / 4 blocks, stem stride 2, global
   average pooling, Linear head; every layer is Conv2d or Linear, so ``kron`` covers all
   parameters), trained two epochs with Adam (not timed). Timed steps: kron Laplace fit
   (GGN of the categorical likelihood, k' = 10 output columns), log marginal likelihood,
   prior-precision optimisation, GLM predictive (probit) on a test set, and the exact
   per-layer K-FAC errors (streamed, :mod:`symfisher.torch.stream_errors`).
2. A ResNet-18 (CIFAR layout: 3 x 3 stem, widths 64-512, BatchNorm in eval mode — listed as
   unsupported and kept fixed), random convolutional weights, its Linear head trained on the
   features (LBFGS; not timed); timed, for the head's ``kron`` and ``full`` posteriors:
   last-layer Laplace fit, log marginal likelihood + prior optimisation, GLM predictive.

Memory: each step runs in this process after ``/proc/self/clear_refs`` (value 5) resets the
peak resident set size; the step's peak is ``VmHWM`` from ``/proc/self/status`` afterwards
(all memory of the process: NumPy, torch, Python), reported with its increment over the
resident size at the step's start. CPU time is the process's (all threads).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _threads import threading_line  # noqa: E402

import symfisher.torch as sft  # noqa: E402
from symfisher.torch.api import kfac_errors  # noqa: E402


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


@dataclass(frozen=True)
class Step:
    """One timed step: wall and CPU seconds, peak RSS and its increment (MB)."""

    name: str
    wall: float
    cpu: float
    peak_mb: float
    delta_mb: float
    note: str = ""


def measure(name: str, fn: Callable[[], Any], note: Callable[[Any], str] | None = None) -> tuple[Any, Step]:
    """Run ``fn`` with the peak RSS reset before it (see the module docstring)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
    rss0 = _status_kb("VmRSS")
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = _status_kb("VmHWM")
    return out, Step(name, wall, cpu, peak / 1024, (peak - rss0) / 1024, note(out) if note else "")


# ----------------------------------------------------------------------------- models


class Block(nn.Module):
    """Basic residual block without batch norm (the residual branch's last conv starts at 0)."""

    def __init__(self, c_in: int, c_out: int, stride: int, norm: bool = False) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=not norm)
        self.c2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=not norm)
        self.n1: nn.Module = nn.BatchNorm2d(c_out) if norm else nn.Identity()
        self.n2: nn.Module = nn.BatchNorm2d(c_out) if norm else nn.Identity()
        self.short: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.short = nn.Conv2d(c_in, c_out, 1, stride, bias=not norm)
        if not norm:
            nn.init.zeros_(self.c2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.n1(self.c1(x)))
        return F.relu(self.n2(self.c2(h)) + self.short(x))


class ResNet(nn.Module):
    """Stem, stages of basic blocks, global average pooling, Linear head."""

    def __init__(
        self, widths: tuple[int, ...], blocks: tuple[int, ...], c_in: int, stem_stride: int, norm: bool, k: int = 10
    ) -> None:
        super().__init__()
        self.stem = nn.Conv2d(c_in, widths[0], 3, stem_stride, 1, bias=not norm)
        self.stem_norm: nn.Module = nn.BatchNorm2d(widths[0]) if norm else nn.Identity()
        layers, c = [], widths[0]
        for i, (w, b) in enumerate(zip(widths, blocks)):
            for j in range(b):
                layers.append(Block(c, w, 2 if (j == 0 and i > 0) else 1, norm))
                c = w
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(c, k)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(F.relu(self.stem_norm(self.stem(x)))).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def small_resnet(quick: bool) -> ResNet:
    """>= 1 M parameters (full) or a tiny twin (quick); 1 input channel, stem stride 2."""
    if quick:
        return ResNet((4, 8), (1, 1), 1, 2, False)
    return ResNet((32, 64, 128), (2, 2, 4), 1, 2, False)


def resnet18(quick: bool) -> ResNet:
    """ResNet-18 (CIFAR layout, 11.2 M parameters) or a narrow twin (quick)."""
    widths = (4, 8, 8, 16) if quick else (64, 128, 256, 512)
    return ResNet(widths, (2, 2, 2, 2), 3, 1, True)


# ----------------------------------------------------------------------------- data


def digits_images(n: int, channels: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` 32 x 32 images from the digits set: upsampled, shifted by <= 2 px, noisy."""
    from sklearn.datasets import load_digits

    d = load_digits()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(d.target), n)
    base = torch.as_tensor(d.images[idx] / 16.0, dtype=torch.float32)[:, None]
    up = F.interpolate(base, size=(36, 36), mode="bilinear", align_corners=False)
    sx, sy = rng.integers(0, 5, n), rng.integers(0, 5, n)
    X = torch.stack([up[i, :, sy[i] : sy[i] + 32, sx[i] : sx[i] + 32] for i in range(n)])
    X = X.repeat(1, channels, 1, 1) + 0.1 * torch.as_tensor(
        rng.standard_normal((n, channels, 32, 32)), dtype=torch.float32
    )
    return (X - 0.3) / 0.4, torch.as_tensor(d.target[idx])


def train(net: nn.Module, X: torch.Tensor, y: torch.Tensor, epochs: int, seed: int) -> None:
    """Adam, batch 128 (setup, not timed)."""
    torch.manual_seed(seed)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    net.train()
    for _ in range(epochs):
        perm = torch.randperm(len(X))
        for s in range(0, len(X), 128):
            b = perm[s : s + 128]
            opt.zero_grad()
            F.cross_entropy(net(X[b]), y[b]).backward()
            opt.step()
    net.eval()


def train_head(net: ResNet, X: torch.Tensor, y: torch.Tensor, prior: float) -> None:
    """MAP of the Linear head on fixed features (LBFGS, setup, not timed)."""
    with torch.no_grad():
        feats = torch.cat([net.features(X[s : s + 256]) for s in range(0, len(X), 256)])
    opt = torch.optim.LBFGS(net.head.parameters(), max_iter=200, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        w = torch.cat([p.reshape(-1) for p in net.head.parameters()])
        loss = F.cross_entropy(net.head(feats), y, reduction="sum") + 0.5 * prior * (w @ w)
        loss.backward()
        return loss

    opt.step(closure)


def n_params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def nll_acc(probs: np.ndarray, y: torch.Tensor) -> str:
    yt = y.numpy()
    p = np.clip(probs[np.arange(len(yt)), yt], 1e-12, 1.0)
    return f"test NLL {-np.mean(np.log(p)):.4f}, accuracy {np.mean(probs.argmax(1) == yt):.3f}"


# ----------------------------------------------------------------------------- runs


def setup_small(
    quick: bool, n: int, n_test: int
) -> tuple[ResNet, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The trained small ResNet and its training / test images (deterministic)."""
    torch.manual_seed(0)
    net = small_resnet(quick)
    X, y = digits_images(n + n_test, 1, seed=1)
    Xtr, ytr, Xte, yte = X[:n], y[:n], X[n:], y[n:]
    train(net, Xtr, ytr, 0 if quick else 2, seed=2)
    return net, Xtr, ytr, Xte, yte


def run_all_errors(quick: bool, n: int, batch: int, max_memory: float, max_disk: float) -> tuple[list[Step], str]:
    """Exact errors on all ``n`` training images, ``on_budget="skip"``: the layers whose
    exact route fits the budgets are computed, the others say what they would need."""
    net, Xtr, ytr, _, _ = setup_small(quick, n, 8)
    table, s = measure(
        f"exact per-layer K-FAC errors (GGN, k' = 10), all {n} images, on_budget='skip'",
        lambda: kfac_errors(
            net, (Xtr, ytr), likelihood="categorical", nearest=False, ekfac=True, batch_size=min(batch, 32),
            max_memory=max_memory, max_disk=max_disk, on_budget="skip",
        ),
        lambda t: "routes: " + ", ".join(f"{r} x{sum(e.route == r for e in t.layers)}" for r in (*ROUTES, "skipped")),
    )  # fmt: skip
    return [s], table.summary()


def run_small(
    quick: bool, n: int, n_test: int, n_err: int, batch: int, max_memory: float, max_disk: float
) -> tuple[list[Step], str, str]:
    """The >= 1 M-parameter ResNet: timed steps, the error table and a description."""
    net, Xtr, ytr, Xte, yte = setup_small(quick, n, n_test)
    with torch.no_grad():
        map_probs = torch.softmax(torch.cat([net(Xte[s : s + 256]) for s in range(0, n_test, 256)]), 1).numpy()
    steps: list[Step] = []
    post, s = measure(
        "kron fit (GGN, k' = 10)",
        lambda: sft.laplace(net, (Xtr, ytr), likelihood="categorical", structure="kron", batch_size=batch),
    )
    steps.append(s)
    lml, s = measure("log marginal likelihood", post.log_marginal_likelihood, lambda v: f"log Z = {v:.1f} (tau = 1)")
    steps.append(s)
    post2, s = measure(
        "prior precision optimisation (scalar)",
        post.optimize_prior_precision,
        lambda p: f"tau = {p.prior_precision[0]:.4g}, log Z = {p.log_marginal_likelihood():.1f}",
    )
    steps.append(s)
    pred, s = measure(
        f"GLM predictive (probit), {n_test} test images",
        lambda: post2.predict(Xte, link_approx="probit"),
        lambda p: nll_acc(p.mean, yte) + f" (MAP: {nll_acc(map_probs, yte)})",
    )
    steps.append(s)
    table, s = measure(
        f"exact per-layer K-FAC errors (GGN, k' = 10), {n_err} images",
        lambda: kfac_errors(
            net, (Xtr[:n_err], ytr[:n_err]), likelihood="categorical", nearest=False, ekfac=True,
            batch_size=min(batch, 32), max_memory=max_memory, max_disk=max_disk,
        ),
        lambda t: "routes: " + ", ".join(f"{r} x{sum(e.route == r for e in t.layers)}" for r in ROUTES),
    )  # fmt: skip
    steps.append(s)
    desc = (
        f"ResNet without BN, widths {'4/8' if quick else '32/64/128'}, blocks {'1/1' if quick else '2/2/4'}, "
        f"{n_params(net):,} parameters "
        f"({len(post.layers)} layers covered by kron), {n} training images 1 x 32 x 32, float32, batch {batch}"
    )
    return steps, table.summary(), desc


ROUTES = ("dense", "gram", "rows")


def run_resnet18(quick: bool, n: int, n_test: int, batch: int) -> tuple[list[Step], str]:
    """Last-layer Laplace of a ResNet-18-sized network."""
    torch.manual_seed(3)
    net = resnet18(quick).eval()
    X, y = digits_images(n + n_test, 3, seed=4)
    Xtr, ytr, Xte, yte = X[:n], y[:n], X[n:], y[n:]
    train_head(net, Xtr, ytr, prior=1.0)
    steps: list[Step] = []
    for structure in ("kron", "full"):
        post, s = measure(
            f"last-layer {structure} fit (GGN)",
            lambda st=structure: sft.laplace(  # type: ignore[misc]
                net, (Xtr, ytr), likelihood="categorical", subset="last_layer", structure=st, batch_size=batch
            ),
        )
        steps.append(s)
        post2, s = measure(
            f"last-layer {structure}: log marginal likelihood + prior optimisation",
            lambda p=post: (p.log_marginal_likelihood(), p.optimize_prior_precision()),  # type: ignore[misc]
            lambda r: (
                f"log Z(tau=1) = {r[0]:.1f}; tau = {r[1].prior_precision[0]:.4g}, "
                f"log Z = {r[1].log_marginal_likelihood():.1f}"
            ),
        )
        steps.append(s)
        _, s = measure(
            f"last-layer {structure}: GLM predictive (probit), {n_test} test images",
            lambda p=post2[1]: p.predict(Xte, link_approx="probit"),  # type: ignore[misc]
            lambda p: nll_acc(p.mean, yte),
        )
        steps.append(s)
    desc = (
        f"ResNet-18 (CIFAR layout, BatchNorm in eval mode: unsupported, kept fixed), {n_params(net):,} parameters, "
        f"head {post.n_params} parameters, {n} training images 3 x 32 x 32, random conv weights, head at its MAP"
    )
    return steps, desc


def table(steps: list[Step]) -> list[str]:
    rows = ["| step | wall s | CPU s | peak RSS MB | increment MB | result |", "|---|---:|---:|---:|---:|---|"]
    rows += [
        f"| {s.name} | {s.wall:.2f} | {s.cpu:.2f} | {s.peak_mb:.0f} | {s.delta_mb:.0f} | {s.note} |" for s in steps
    ]
    return rows


def main(argv: list[str] | None = None) -> list[str]:
    p = argparse.ArgumentParser(description="sf.torch at scale")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--n-test", type=int, default=1000)
    p.add_argument("--n-err", type=int, default=200, help="images for the exact errors (k' = 10 rows each)")
    p.add_argument("--n18", type=int, default=3000)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--max-memory-gb", type=float, default=4.0)
    p.add_argument("--max-disk-gb", type=float, default=6.0)
    p.add_argument("--only-all-errors", action="store_true", help="only the errors on all --n images (skip budget)")
    a = p.parse_args(argv)
    if a.quick:
        a.n, a.n_test, a.n_err, a.n18, a.batch = 64, 16, 16, 32, 16
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    out = [
        f"torch {torch.__version__}, {torch.get_num_threads()} torch threads; "
        + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    ]
    if a.only_all_errors:
        steps, summary = run_all_errors(a.quick, a.n, a.batch, a.max_memory_gb * 1e9, a.max_disk_gb * 1e9)
        out += [""] + table(steps) + ["", "```", summary, "```", "", threading_line()]
        print("\n".join(out), flush=True)
        return out
    steps, summary, desc = run_small(
        a.quick, a.n, a.n_test, a.n_err, a.batch, a.max_memory_gb * 1e9, a.max_disk_gb * 1e9
    )
    out += ["", f"### {desc}", ""] + table(steps) + ["", "```", summary, "```"]
    steps18, desc18 = run_resnet18(a.quick, a.n18, max(8, a.n_test // 2), a.batch)
    out += ["", f"### {desc18}", ""] + table(steps18)
    out += ["", threading_line()]
    print("\n".join(out), flush=True)
    return out


if __name__ == "__main__":
    main()
