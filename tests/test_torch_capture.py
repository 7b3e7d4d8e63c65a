"""PyTorch bridge: captured rows and factors vs autograd per-example Jacobians; exact K-FAC errors.

Independent route throughout: ``torch.func.vmap(jacrev(...))`` gives the per-example
Jacobian ``J_n`` of the output wrt a layer's weight; the exact GGN block is then
``sum_n J_n^T Lambda_n J_n`` with the likelihood's curvature ``Lambda`` (not its factor).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch  # the test extra installs torch (CPU wheel): these tests always run in CI
from torch import nn
from torch.func import functional_call, jacrev, vmap

import symfisher.torch as sft
from symfisher.numeric.kfac.dense import rearrange
from symfisher.numeric.kfac.sharing import (
    gradient_matrices,
    sharing_error,
    sharing_factors,
)
from symfisher.numeric.laplace.catalog import make_likelihood
from symfisher.torch.hooks import capture, factor_function

TOL = 1e-12


def _cnn(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1, stride=1),
        nn.Tanh(),
        nn.Conv2d(3, 2, 2, stride=2, bias=False),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(2 * 2 * 2, 4),
        nn.Tanh(),
        nn.Linear(4, 3),
    ).double()


def _data(n: int = 9, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return (
        torch.randn(n, 2, 5, 5, dtype=torch.float64, generator=g),
        torch.randint(0, 3, (n,), generator=g),
    )


def _autograd_block(net: nn.Module, X: torch.Tensor, pname: str, lik: str) -> np.ndarray:
    """``sum_n J_n^T Lambda_n J_n`` for the (d_out, d_in)-matrix view of one parameter."""
    params = {k: v.detach() for k, v in net.named_parameters()}

    def f(p: dict, x: torch.Tensor) -> torch.Tensor:
        return functional_call(net, p, (x[None],))[0]

    J = vmap(jacrev(f), in_dims=(None, 0))(params, X)[pname]
    J = J.reshape(X.shape[0], J.shape[1], -1).numpy()
    Lam = make_likelihood(lik).curvature(net(X).detach().numpy())
    return np.einsum("nkp,nkj,njq->pq", J, Lam, J)


@pytest.mark.parametrize("idx, pname", [(0, "0.weight"), (1, "2.weight"), (2, "5.weight"), (3, "7.weight")])
def test_exact_block_matches_autograd(idx: int, pname: str) -> None:
    net, (X, y) = _cnn(), _data()
    cap = capture(
        net,
        (X, y),
        factor_function(make_likelihood("categorical"), "ggn"),
        batch_size=4,
    )
    L = cap.layers[idx]
    M = gradient_matrices(L.u, L.g)  # rows vec(sum_t g u^T)
    F = _autograd_block(net, X, pname, "categorical")
    assert np.max(np.abs(M.T @ M - F)) <= TOL * np.max(np.abs(F))


def test_discovery_frozen_and_unsupported() -> None:
    net = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.Linear(4, 2), nn.Linear(2, 2))
    net[2].weight.requires_grad_(False)
    net[2].bias.requires_grad_(False)
    found = sft.discover(net)
    assert [s.name for s in found.layers] == ["0", "3"]
    assert found.frozen == ("2",)
    assert found.unsupported == ("1 (LayerNorm)",)
    X = torch.randn(5, 3)
    table = sft.kfac_errors(net, (X, torch.randn(5, 2)), likelihood="gaussian")
    assert "unsupported (kept fixed): 1 (LayerNorm)" in table.summary()
    assert "frozen (skipped): 2" in table.summary()


def test_factors_follow_the_stated_conventions() -> None:
    """expand: A = 1/(N T) sum u u^T, G = sum g g^T; reduce: A from mean patches, G from sums.

    These are curvlinops' KFAC definitions (kfac_approx="expand" / "reduce") with the
    loss summed (loss_average=None), i.e. G a sum over data and A a mean.
    """
    net, (X, y) = _cnn(), _data()
    cap = capture(net, (X, y), factor_function(make_likelihood("categorical"), "ggn"))
    L = cap.layers[0]
    xs = torch.nn.functional.unfold(X, 3, padding=1).transpose(1, 2).numpy()  # (N, T, d_in)
    n, t = xs.shape[:2]
    A_e, G_e = sharing_factors(L.u, L.g, "expand")
    assert np.allclose(A_e, np.einsum("nti,ntj->ij", xs, xs) / (n * t), rtol=0, atol=1e-13)
    assert np.allclose(G_e, np.einsum("ntok,ntpk->op", L.g, L.g), rtol=0, atol=1e-13)
    A_r, G_r = sharing_factors(L.u, L.g, "reduce")
    ub, gs = xs.mean(axis=1), L.g.sum(axis=1)
    assert np.allclose(A_r, ub.T @ ub / n, rtol=0, atol=1e-13)
    assert np.allclose(G_r, np.einsum("nok,npk->op", gs, gs), rtol=0, atol=1e-13)


def test_kfac_exact_for_one_example_linear() -> None:
    """One data point: F = (B B^T) kron (a a^T) = G kron A exactly (GUIDE §3)."""
    torch.manual_seed(3)
    net = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3)).double()
    X, y = torch.randn(1, 4, dtype=torch.float64), torch.randint(0, 3, (1,))
    table = sft.kfac_errors(net, (X, y), likelihood="categorical")
    for e in table.layers:
        assert e.kfac < 1e-6 and e.ekfac < 1e-6  # difference of squares: ~sqrt(eps)


def test_conv_error_against_dense_block() -> None:
    """sharing_error (both routes) vs the dense block from autograd and np.kron."""
    net, (X, y) = _cnn(), _data()
    cap = capture(net, (X, y), factor_function(make_likelihood("categorical"), "ggn"))
    L = cap.layers[0]
    F = _autograd_block(net, X, "0.weight", "categorical")
    for approx in ("expand", "reduce"):
        A, G = sharing_factors(L.u, L.g, approx)
        want = np.linalg.norm(F - np.kron(G, A)) / np.linalg.norm(F)
        dense = sharing_error(L.u, L.g, approx, method="dense")
        gram = sharing_error(L.u, L.g, approx, rows=5, method="gram")
        assert (dense.method, gram.method) == ("dense", "gram")
        assert abs(dense.relative_frobenius - want) < 1e-7
        assert abs(gram.relative_frobenius - want) < 1e-7
    sv = np.linalg.svd(rearrange(F, 3, 18), compute_uv=False)
    near = np.sqrt(np.sum(sv[1:] ** 2)) / np.linalg.norm(F)
    assert abs(sharing_error(L.u, L.g).nearest_relative_frobenius - near) < 1e-6


def test_conv_gram_route_equals_dense_route() -> None:
    """||F||^2 by the blocked Gram of M (N k rows) equals ||sum M^T M||^2."""
    rng = np.random.default_rng(4)
    u, g = rng.standard_normal((3, 6, 40)), rng.standard_normal((3, 6, 5, 2))
    res = sharing_error(u, g, nearest=False, ekfac=False, rows=2)  # D = 200 > N k = 6: gram
    M = gradient_matrices(u, g)
    F = M.T @ M
    assert res.method == "gram"
    assert abs(res.exact_norm - np.linalg.norm(F)) <= 1e-12 * np.linalg.norm(F)


def test_float32_model_is_captured_in_float32() -> None:
    torch.manual_seed(5)
    net32 = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    net64 = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    net64.load_state_dict({k: v.double() for k, v in net32.state_dict().items()})
    X = torch.randn(20, 3)
    e32 = sft.kfac_errors(net32, (X, torch.randn(20, 2)), likelihood="gaussian").layers
    e64 = sft.kfac_errors(net64, (X.double(), torch.randn(20, 2)), likelihood="gaussian").layers
    for a, b in zip(e32, e64):
        assert abs(a.kfac - b.kfac) < 1e-4  # float32 rounding only


def test_core_never_imports_torch() -> None:
    """Only symfisher/torch/ imports torch: a source scan plus a subprocess check."""
    import ast
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "symfisher"
    offenders = []
    for path in root.rglob("*.py"):
        if "torch" in path.relative_to(root).parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n == "torch" or n.startswith("torch.") for n in names):
                offenders.append(str(path))
    assert offenders == []
    code = (
        "import sys, symfisher as sf, symfisher.numeric.kfac.sharing; sf.kfac.kron_error; "
        "import symfisher.numeric.laplace.posterior; print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_dataloader_and_arrays_give_the_same_capture() -> None:
    """Batching is invisible: a DataLoader, a tuple of tensors and NumPy arrays agree."""
    from torch.utils.data import DataLoader, TensorDataset

    net, (X, y) = _cnn(), _data(n=10)
    fac = factor_function(make_likelihood("categorical"), "ggn")
    a = capture(net, DataLoader(TensorDataset(X, y), batch_size=3), fac)
    b = capture(net, (X.numpy(), y.numpy()), fac, batch_size=7)
    for la, lb in zip(a.layers, b.layers):
        assert np.allclose(la.u, lb.u, rtol=0, atol=1e-14)  # batch-size dependent rounding
        assert np.allclose(la.g, lb.g, rtol=0, atol=1e-15)
    assert np.array_equal(a.y, b.y)


def test_public_functions_survive_importing_every_submodule() -> None:
    """``sf.torch.capture`` / ``sf.torch.laplace`` stay the functions: importing a submodule binds
    its name on the package, so no public lazy name may equal a submodule's name (``capture`` and
    ``laplace`` did, and the functions turned into modules once e.g. the docstring test imported them)."""
    import importlib
    import pkgutil

    import symfisher
    import symfisher.torch as sft
    from symfisher.torch.api import capture_layers
    from symfisher.torch.posterior import laplace

    for m in pkgutil.iter_modules(sft.__path__):
        importlib.import_module(f"symfisher.torch.{m.name}")
    assert sft.capture is capture_layers
    assert sft.laplace is laplace
    packages = ["symfisher"] + [
        i.name for i in pkgutil.walk_packages(symfisher.__path__, prefix="symfisher.") if i.ispkg
    ]
    for name in packages:
        pkg = importlib.import_module(name)
        lazy = getattr(pkg, "_LAZY", {})
        subs = {m.name for m in pkgutil.iter_modules(pkg.__path__)}
        clash = {n for n in set(lazy) & subs if lazy[n] != (f"{name}.{n}", None)}
        assert not clash, f"{name}: public names shadowed by submodules {sorted(clash)}"
