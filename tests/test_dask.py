"""Scale-out on Dask (issue 14): every distributed path equals the local path.

One real ``distributed.LocalCluster`` (2 worker processes, 1 thread each) serves the
module and is closed at its end. Data are tiny: these tests check equality with the
single-machine routes, not speed (benchmarks/bench_dask.py measures that).
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import symfisher as sf
from symfisher.errors import KernelFileError, SymfisherError

da = pytest.importorskip("dask.array")  # the "test" extra installs dask[distributed]
distributed = pytest.importorskip("distributed")

from symfisher.dask.cluster import RETRIES, gather  # noqa: E402
from symfisher.dask.verify import _reports, verify_many  # noqa: E402
from symfisher.numeric.kfac.error import plain_numpy_norm_sq  # noqa: E402
from symfisher.verification.parallel import VerifyOptions  # noqa: E402
from symfisher.verification.parallel import verify_many as local_verify_many  # noqa: E402

A_, B_ = sp.symbols("a b", positive=True)
T_ = sp.symbols("t0 t1", positive=True)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    cl = distributed.Client(cluster)
    yield cl
    cl.close()
    cluster.close()


@pytest.fixture(scope="module")
def kernel():
    return sf.compile(sp.Matrix([[sp.polygamma(1, A_), 1 / B_], [1 / B_, A_ / B_**2]]), args=[A_, B_])


# -- 1. kernels travel by content -----------------------------------------------------

_FRESH = textwrap.dedent("""
    import pickle, sys, numpy as np
    from pathlib import Path
    blob = Path(sys.argv[1]).read_bytes()
    k1 = pickle.loads(blob)
    x = np.linspace(1.0, 2.0, 12)
    parts = [pickle.loads(blob)(c, 3.0) for c in np.array_split(x, 4)]   # one unpickle per chunk
    k2 = pickle.loads(blob)
    np.save(sys.argv[2], np.concatenate(parts))
    print({"same_module": k1._module is k2._module,
           "signatures": [len(f.signatures) for f in k1.loops],
           "in_cache": str(k1.path).startswith(sys.argv[3]),
           "sympy": "sympy" in sys.modules})
""")


def test_kernel_unpickles_in_a_fresh_process_without_its_file(kernel, tmp_path):
    blob, out = tmp_path / "k.pkl", tmp_path / "out.npy"
    fn, args = kernel.__reduce__()
    blob.write_bytes(pickle.dumps(kernel))
    blob_moved = tmp_path / "k_moved.pkl"  # as sent from a machine where the file lives elsewhere
    blob_moved.write_bytes(pickle.dumps(_Remote(args)))
    cache = tmp_path / "fresh-cache"
    env = {"SYMFISHER_CACHE": str(cache), "PYTHONPATH": str(Path(sf.__file__).parents[1]), "PATH": "/usr/bin:/bin"}
    res = subprocess.run(
        [sys.executable, "-c", _FRESH, str(blob_moved), str(out), str(cache)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    info = eval(res.stdout.strip().splitlines()[-1])  # a dict literal printed by the script
    assert info["in_cache"] and (cache / "kernels" / kernel.path.name).is_file()
    assert info["same_module"]  # imported once per process
    assert max(info["signatures"]) == 1  # compiled once, not per chunk
    assert not info["sympy"]  # the numeric layer only
    x = np.linspace(1.0, 2.0, 12)
    np.testing.assert_array_equal(np.load(out), kernel(x, 3.0))


class _Remote:
    """Pickles as a kernel whose original path does not exist on the receiving side."""

    def __init__(self, args):
        self.args = args

    def __reduce__(self):
        name, text, _, threshold = self.args
        from symfisher.numeric.kernel import _restore

        return (_restore, (name, text, "/nonexistent/elsewhere/" + name, threshold))


def test_damaged_kernel_source_is_refused(kernel):
    fn, (name, text, _, thr) = kernel.__reduce__()
    with pytest.raises(KernelFileError, match="content check"):
        fn(name, text.replace("import math", "import os"), "/nonexistent/x.py", thr)
    with pytest.raises(KernelFileError, match="content check"):
        fn("k_" + "0" * 64 + ".py", text, "/nonexistent/x.py", thr)  # key not the source's


def test_evaluate_over_chunks_equals_the_local_call(client, kernel):
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.5, 3, (60, 1)), rng.uniform(0.5, 3, (1, 7))
    got = sf.dask.evaluate(kernel, da.from_array(a, chunks=(13, 1)), da.from_array(b, chunks=(1, 3)))
    assert got.shape == (60, 7, 2, 2)
    np.testing.assert_array_equal(client.compute(got).result(), kernel(a, b))
    grouped = sf.compile(sp.Matrix([T_[0] * A_, T_[1] / A_]), args=[list(T_), A_])
    th = rng.uniform(1, 2, (40, 2))
    got = sf.dask.evaluate(grouped, da.from_array(th, chunks=(9, 1)), da.from_array(a[:40, 0], chunks=11))
    np.testing.assert_array_equal(client.compute(got).result(), grouped(th, a[:40, 0]))


def test_workers_compile_each_kernel_once(client, kernel):
    x = da.from_array(np.linspace(1, 2, 200), chunks=10)  # 20 chunks over 2 workers
    client.compute(sf.dask.evaluate(kernel, x, x)).result()
    stem = "symfisher_kernel_" + kernel.path.stem

    def signatures() -> list[int]:
        mod = sys.modules.get(stem)
        return (
            []
            if mod is None
            else [len(f.signatures) for f in (mod._serial, mod._parallel, mod._serial_dense, mod._parallel_dense)]
        )

    per_worker = client.run(signatures)
    assert any(per_worker.values())  # the kernel ran on the workers
    assert all(max(s, default=0) <= 1 for s in per_worker.values())


def test_evaluate_reports_domain_errors_from_the_chunk(client, kernel):
    x = da.from_array(np.array([1.0, 2.0, -1.0, 3.0]), chunks=2)
    with pytest.raises(SymfisherError, match="'a'"):
        client.compute(sf.dask.evaluate(kernel, x, 1.0)).result()


# -- 2. Bayesian design ---------------------------------------------------------------


def _emax():
    x = sp.Symbol("x", nonnegative=True)
    e0, emax = sp.symbols("e0 emax", real=True)
    ed50 = sp.Symbol("ed50", positive=True)
    return sf.Regression(e0 + emax * x / (ed50 + x), x, [e0, emax, ed50], sigma=1)


def test_bayesian_design_on_the_cluster_equals_the_local_design(client, monkeypatch):
    import symfisher.dask.design as dd

    monkeypatch.setattr(dd, "MIN_EVALUATIONS", 0)  # every information call goes to the cluster
    m = _emax()
    rng = np.random.default_rng(1)
    draws = np.column_stack([rng.normal(0, 1, 60), rng.normal(1, 0.1, 60), rng.lognormal(np.log(25), 0.8, 60)])
    local = sf.optimal_design(m, space=(0, 150), prior=draws)
    dist = sf.optimal_design(m, space=(0, 150), prior=draws, client=client)
    np.testing.assert_allclose(dist.points, local.points, rtol=0, atol=1e-12)
    np.testing.assert_allclose(dist.weights, local.weights, rtol=0, atol=1e-12)
    assert abs(dist.criterion_value - local.criterion_value) <= 1e-12


def test_local_design_with_client_keeps_the_published_support(client):
    # Emax D-optimal design on [0, 150] at ed50 = 25: support {0, 150 * 25 / 200, 150}
    # = {0, 18.75, 150}: x* = ed50 xmax / (2 ed50 + xmax) (Dette, Kiss, Bevanda & Bretz 2010,
    # "Optimal designs for the Emax, log-linear and exponential models", Biometrika 97, 513-518).
    m = _emax()
    d = sf.optimal_design(m, {"e0": 0, "emax": 1, "ed50": 25}, space=(0, 150), client=client)
    np.testing.assert_allclose(d.points, [0.0, 18.75, 150.0], atol=1e-6)


# -- 3. K-FAC error ------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2])
def test_kron_error_from_chunk_pairs_equals_the_in_memory_one(client, k):
    rng = np.random.default_rng(2 + k)
    a = rng.standard_normal((230, 5))
    fac = rng.standard_normal((230, 4)) if k == 1 else rng.standard_normal((230, 4, k))
    kw = {"g": da.from_array(fac, chunks=40)} if k == 1 else {"B": da.from_array(fac, chunks=40)}
    dist = sf.dask.kron_error(da.from_array(a, chunks=70), client=client, block=32, **kw)
    local = sf.kfac.kron_error(a, **({"g": fac} if k == 1 else {"B": fac}), method="gram")
    for name in ("exact_norm", "kfac_norm", "frobenius", "relative_frobenius", "cross", "ekfac_relative_frobenius"):
        assert getattr(dist, name) == pytest.approx(getattr(local, name), rel=1e-10), name
    np.testing.assert_allclose(dist.A, local.A, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dist.G, local.G, rtol=1e-12, atol=1e-12)
    assert dist.n == 230 and dist.k == k and dist.nearest_relative_frobenius is None
    if k == 1:  # an independent route: two full N x N Gram matrices
        assert dist.exact_norm**2 == pytest.approx(plain_numpy_norm_sq(a, fac), rel=1e-10)


def test_kron_error_single_example_is_exact_and_progress_goes_to_stderr(client, capsys):
    rng = np.random.default_rng(5)
    a, g = rng.standard_normal((1, 3)), rng.standard_normal((1, 2))  # one example: K-FAC exact
    rep = sf.dask.kron_error(da.from_array(a), da.from_array(g), client=client, progress=True)
    assert rep.relative_frobenius < 1e-7
    err = capsys.readouterr().err
    assert "[kron_error Gram pairs] 1/1 tasks done" in err


def test_kron_error_refuses_misaligned_inputs(client):
    with pytest.raises(SymfisherError, match="same number of rows"):
        sf.dask.kron_error(da.ones((4, 2)), da.ones((5, 3)), client=client)


# -- 4. verification cells -------------------------------------------------------------

_OPTS = VerifyOptions(("fisher_spd", "score_mean_zero", "information_equality"), budget=30)


def _essential(reports):
    return [[(r.family, r.identity, r.status, r.residual, r.method, r.reason) for r in rep.rows] for rep in reports]


def test_verify_cells_on_the_cluster_equal_the_local_run(client, capsys):
    names = ["poisson", "uniform"]
    dist = verify_many(names, _OPTS, client=client)
    local = local_verify_many(names, _OPTS, jobs=1)
    assert _essential(dist) == _essential(local)
    err = capsys.readouterr().err
    assert err.count("[") >= 6 and "uniform: score_mean_zero fails" in err


def test_a_missing_or_foreign_row_is_an_error(client):
    rep = verify_many(["poisson"], VerifyOptions(("fisher_spd", "score_mean_zero")), client=client, progress=False)[0]
    with pytest.raises(SymfisherError, match="2 cells submitted, 1 rows"):
        _reports(["poisson"], ["fisher_spd", "score_mean_zero"], list(rep.rows[:1]))
    with pytest.raises(SymfisherError, match="returned the row of"):
        _reports(["poisson"], ["score_mean_zero", "fisher_spd"], list(rep.rows))


def test_cli_verify_on_a_scheduler(client, capsys):
    from symfisher.cli import main

    code = main(
        ["verify", "exponential", "--identities", "fisher_spd", "--json", "--scheduler", client.scheduler.address]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out[0]["family"] == "exponential"
    assert [r["status"] for r in out[0]["rows"]] == ["proved"]


def _flaky(marker: str) -> str:
    path = Path(marker)
    if not path.exists():
        path.write_text("failed once")
        raise RuntimeError("first attempt fails")
    return "second attempt"


def test_failed_tasks_are_retried(client, tmp_path):
    assert RETRIES >= 1
    fut = client.submit(_flaky, str(tmp_path / "marker"), retries=RETRIES, pure=False)
    assert gather(client, [fut], "flaky", progress=False) == ["second attempt"]


def test_unpickling_rewrites_a_kernel_file_removed_from_the_cache(kernel):
    fn, args = kernel.__reduce__()
    blob = pickle.dumps(_Remote(args))
    first = pickle.loads(blob)
    first.path.unlink()  # e.g. `symfisher cache clear` on a worker between two tasks
    second = pickle.loads(blob)
    assert second.path.is_file() and second.path == first.path
    np.testing.assert_array_equal(second(np.array([1.5]), 2.0), kernel(np.array([1.5]), 2.0))
