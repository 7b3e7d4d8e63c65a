"""Streamed exact K-FAC errors (bounded memory) vs the in-memory implementation and autograd.

Independent routes: ``kfac_errors(..., in_memory=True)`` keeps every captured row and uses
``kron_error`` / ``sharing_error``; the autograd block is ``sum_n J_n^T Lambda_n J_n`` from
``torch.func.vmap(jacrev(...))`` per-example Jacobians, its K-FAC error by ``np.kron``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.func import functional_call, jacrev, vmap

import symfisher.torch as sft
from symfisher.errors import MemoryBudgetError
from symfisher.numeric.kfac.dense import rearrange
from symfisher.numeric.kfac.gradrows import DenseSums, RowStore, gram_block_rows, gram_peak_bytes, gram_terms
from symfisher.numeric.kfac.sharing import gradient_matrices, sharing_error, sharing_factors
from symfisher.numeric.laplace.catalog import make_likelihood
from symfisher.torch.api import capture_layers
from symfisher.torch.hooks import factor_function, select
from symfisher.torch.stream_errors import group_passes, plan_layer, streamed_error_table

TOL = 1e-10


def _cnn(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1),
        nn.Tanh(),
        nn.Conv2d(3, 2, 2, stride=2, bias=False),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(8, 4),
        nn.Tanh(),
        nn.Linear(4, 3),
    ).double()


def _data(n: int = 9, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 2, 5, 5, dtype=torch.float64, generator=g), torch.randint(0, 3, (n,), generator=g)


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= TOL * max(1.0, abs(b))


def _same_tables(t1: sft.ErrorTable, t2: sft.ErrorTable) -> None:
    for e1, e2 in zip(t1.layers, t2.layers):
        assert e1.name == e2.name and e1.shape == e2.shape and e1.positions == e2.positions
        assert _close(e1.kfac, e2.kfac) and _close(e1.ekfac, e2.ekfac), (e1, e2)
        assert _close(e1.nearest, e2.nearest) and _close(e1.exact_norm, e2.exact_norm), (e1, e2)


@pytest.mark.parametrize("approx", ["expand", "reduce"])
@pytest.mark.parametrize("joint_bias", [False, True])
@pytest.mark.parametrize("max_memory, conv0", [(None, "dense"), (65_000, "gram")])
def test_streamed_equals_in_memory(approx: str, joint_bias: bool, max_memory: float | None, conv0: str) -> None:
    # N = 24 > d_in + 1: the reduce factor A has full rank, so its eigenbasis (EKFAC) is
    # unique; N k' = 72 rows >= D = 54 (57 with the bias): conv 0 takes the dense route
    # unless 16 D^2 bytes exceed the budget, then the Gram route (scratch file, blocks of
    # ~16 rows); conv 1 (D = 24) dense; the Linear layers the row-space identities
    net, data = _cnn(), _data(24)
    kw = dict(likelihood="categorical", approx=approx, joint_bias=joint_bias, batch_size=4)
    ref = sft.kfac_errors(net, data, in_memory=True, **kw)
    got = sft.kfac_errors(net, data, max_memory=max_memory, max_disk=1e9, **kw)
    assert [e.route for e in got.layers] == [conv0, "dense", "rows", "rows"]
    assert all(e.route == "in-memory" for e in ref.layers)
    _same_tables(got, ref)


def test_forced_routes_and_several_passes_agree() -> None:
    """No scratch disk forces conv 0 onto the dense route; a tiny memory budget forces the
    Gram route with 1-row blocks and one pass per layer: same numbers every time."""
    net, data = _cnn(), _data()
    ref = sft.kfac_errors(net, data, likelihood="categorical", in_memory=True)
    dense = sft.kfac_errors(net, data, likelihood="categorical", max_disk=0)
    assert [e.route for e in dense.layers][:2] == ["dense", "dense"]
    _same_tables(dense, ref)
    fac = factor_function(make_likelihood("categorical"), "ggn")
    found = select(net, None)
    plans = [plan_layer(s, 9, 3, t, False, 4, 30_000, 1e9) for s, t in zip(found.layers, (25, 4, 1, 1))]
    assert [p.route for p in plans] == ["gram", "dense", "rows", "rows"] and plans[0].block < 27
    assert len(group_passes(plans, 30_000, 1e9)) > 1
    logs: list[str] = []
    small = streamed_error_table(net, data, fac, found, batch_size=4, max_memory=30_000, max_disk=1e9, log=logs.append)
    assert len(logs) == 4
    _same_tables(small, ref)


def _autograd_block(net: nn.Module, X: torch.Tensor, pname: str) -> np.ndarray:
    params = {k: v.detach() for k, v in net.named_parameters()}

    def f(p: dict, x: torch.Tensor) -> torch.Tensor:
        return functional_call(net, p, (x[None],))[0]

    J = vmap(jacrev(f), in_dims=(None, 0))(params, X)[pname]
    J = J.reshape(X.shape[0], J.shape[1], -1).numpy()
    Lam = make_likelihood("categorical").curvature(net(X).detach().numpy())
    return np.einsum("nkp,nkj,njq->pq", J, Lam, J)


@pytest.mark.parametrize("max_disk", [1e9, 0.0])  # gram route, then dense route
def test_conv_error_against_autograd_block(max_disk: float) -> None:
    net, (X, y) = _cnn(), _data()
    F = _autograd_block(net, X, "0.weight")
    got = sft.kfac_errors(net, (X, y), likelihood="categorical", max_disk=max_disk, batch_size=4).layers[0]
    L = capture_layers(net, (X, y), likelihood="categorical").layers[0]
    A, G = sharing_factors(L.u, L.g, "expand")
    M = gradient_matrices(L.u, L.g)
    assert np.max(np.abs(M.T @ M - F)) <= 1e-12 * np.max(np.abs(F))  # the captured rows are right
    want = np.linalg.norm(F - np.kron(G, A)) / np.linalg.norm(F)
    assert abs(got.kfac - want) <= TOL
    assert abs(got.exact_norm - np.linalg.norm(F)) <= TOL * np.linalg.norm(F)
    sv = np.linalg.svd(rearrange(F, 3, 18), compute_uv=False)
    assert abs(got.nearest - np.sqrt(np.sum(sv[1:] ** 2)) / np.linalg.norm(F)) <= 1e-8  # power iteration
    W = np.kron(np.linalg.eigh(G)[1], np.linalg.eigh(A)[1])
    s = np.diag(W.T @ F @ W)
    assert abs(got.ekfac - np.sqrt(np.sum(F * F) - np.sum(s * s)) / np.linalg.norm(F)) <= 1e-8


def test_budget_error_names_the_layer_and_skip_row() -> None:
    net, data = _cnn(), _data()
    with pytest.raises(MemoryBudgetError, match=r"layer '0' \(3 x 18, T = 25, N = 9, k' = 3\) needs .* GB"):
        sft.kfac_errors(net, data, likelihood="categorical", max_memory=1000, max_disk=0)
    table = sft.kfac_errors(net, data, likelihood="categorical", max_memory=20_000, max_disk=0, on_budget="skip")
    first = table.layers[0]
    assert first.route == "skipped" and first.status.startswith("skipped: needs") and math.isnan(first.kfac)
    assert first.name == table.worst_first()[-1].name  # skipped rows last
    assert "skipped: needs" in table.summary()
    assert table.layers[1].status == "exact" and table.layers[1].route == "dense"


def test_row_store_and_both_numeric_routes() -> None:
    rng = np.random.default_rng(3)
    u, g = rng.standard_normal((11, 4, 5)), rng.standard_normal((11, 4, 3, 2))
    ref = sharing_error(u, g, method="dense")
    A, G = sharing_factors(u, g)
    M = gradient_matrices(u, g)
    store, acc = RowStore(15), DenseSums(3, 5)
    try:
        for s in range(0, 22, 5):
            store.append(M[s : s + 5])
            acc.add(M[s : s + 5])
        assert store.rows == 22 and store.nbytes == 22 * 15 * 8
        np.testing.assert_array_equal(store.read(3, 9, np.empty(200)), M[3:9])
        for terms in (gram_terms(store, A, G, block=4, nearest=True), acc.terms(A, G, nearest=True)):
            rel, near, ek = terms.relative()
            assert abs(rel - ref.relative_frobenius) <= TOL
            assert abs(near - ref.nearest_relative_frobenius) <= 1e-8
            assert abs(ek - ref.ekfac_relative_frobenius) <= TOL
    finally:
        store.close()
    b = gram_block_rows(1000, 10**8, 10**6)
    assert gram_peak_bytes(1000, b) <= 10**8 < gram_peak_bytes(1000, b + 1)
