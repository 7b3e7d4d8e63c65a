"""Kernel: broadcasting, grouped arguments, out=, domain checks, serial vs parallel, fastmath."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
import sympy as sp

import symfisher as sf
from symfisher.errors import KernelFileError
from symfisher.numeric.kernel import Kernel

a, b = sp.symbols("a b", positive=True)
mu = sp.Symbol("mu", real=True)
p = sp.Symbol("p")
# Fisher information of Normal(mu, sigma=b) in (mu, b): diag(1/b^2, 2/b^2) — plus a
# non-trivial off-diagonal so that mirroring is exercised.
M = sp.Matrix([[1 / b**2, a / b], [a / b, 2 / b**2 + sp.exp(-a)]])


def _direct(av: np.ndarray, bv: np.ndarray) -> np.ndarray:
    """Independent route: the same matrix written by hand in NumPy."""
    av, bv = np.broadcast_arrays(av, bv)
    out = np.empty(av.shape + (2, 2))
    out[..., 0, 0] = 1 / bv**2
    out[..., 0, 1] = out[..., 1, 0] = av / bv
    out[..., 1, 1] = 2 / bv**2 + np.exp(-av)
    return out


@pytest.fixture(scope="module")
def kern() -> Kernel:
    return sf.compile(M, args=[a, b])


def test_attributes(kern: Kernel) -> None:
    assert kern.args == ("a", "b")
    assert kern.shape == (2, 2)
    assert kern.symbols == ((a,), (b,))
    assert kern.path.is_file() and kern.path.name == f"k_{kern.key}.py"
    assert kern.source == kern.path.read_text()
    with pytest.raises(AttributeError):
        kern.foo = 1  # type: ignore[attr-defined]


def test_broadcasting_and_scalars(kern: Kernel) -> None:
    rng = np.random.default_rng(1)
    av = rng.uniform(0.1, 3, size=(4, 1))
    bv = rng.uniform(0.1, 3, size=(1, 5))
    got = kern(av, bv)
    assert got.shape == (4, 5, 2, 2) and got.dtype == np.float64
    np.testing.assert_allclose(got, _direct(av, bv), rtol=1e-14)
    single = kern(0.7, 1.9)
    assert single.shape == (2, 2)
    np.testing.assert_allclose(single, _direct(np.array(0.7), np.array(1.9)), rtol=1e-14)
    assert isinstance(sf.compile(a / b, [a, b])(1.0, 4.0), float)
    assert sf.compile(a / b, [a, b])(1.0, 4.0) == 0.25


def test_grouped_arguments_broadcast() -> None:
    th = sp.symbols("t0:3", real=True)
    xs = sp.Symbol("xs", real=True)
    f = sp.Matrix([th[0] + th[1] * xs, th[2] * xs**2])
    k = sf.compile(f * f.T, args=[th, xs])
    assert k.args == (("t0", "t1", "t2"), "xs")
    rng = np.random.default_rng(2)
    draws = rng.normal(size=(6, 1, 3))  # (S, 1, p)
    grid = np.linspace(-1, 1, 4)[None, :]  # (1, G)
    got = k(draws, grid)
    assert got.shape == (6, 4, 2, 2)
    fx = np.stack([draws[..., 0] + draws[..., 1] * grid, draws[..., 2] * grid**2], axis=-1)
    np.testing.assert_allclose(got, fx[..., :, None] * fx[..., None, :], rtol=1e-13, atol=1e-15)
    with pytest.raises(ValueError, match=r"last axis has length 3"):
        k(np.ones((5, 2)), 1.0)


def test_out_is_written_in_place_without_allocation(kern: Kernel) -> None:
    n = 200_000
    av, bv = np.full(n, 0.5), np.linspace(0.5, 2, n)
    out = np.zeros((n, 2, 2))
    kern(av, bv, out=out, check=False)  # warm-up (compilation)
    tracemalloc.start()
    res = kern(av, bv, out=out, check=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert res is out
    assert peak < 100_000, f"{peak} bytes allocated for an out= call (output is {out.nbytes})"
    np.testing.assert_allclose(out, _direct(av, bv), rtol=1e-14)
    with pytest.raises(ValueError, match=r"out has shape \(3, 2\), expected \(3, 2, 2\)"):
        kern(np.ones(3), 1.0, out=np.empty((3, 2)))
    with pytest.raises(ValueError, match="C-contiguous"):
        kern(np.ones(3), 1.0, out=np.empty((2, 2, 3)).transpose(2, 0, 1))


def test_domain_checks_name_parameter_and_index(kern: Kernel) -> None:
    bv = np.ones((2, 3))
    bv[1, 2] = -1.0
    with pytest.raises(ValueError, match=r"'b' = -1.0 at index \(1, 2\).*\(0, inf\)"):
        kern(1.0, bv)
    bv[1, 2] = np.nan  # NaN fails every comparison: it is outside every domain
    with pytest.raises(ValueError, match=r"'b' = nan at index \(1, 2\)"):
        kern(1.0, bv)
    assert np.isnan(kern(1.0, bv, check=False)[1, 2]).all()  # NaN propagates when unchecked
    with pytest.raises(ValueError, match="'mu' = inf"):
        sf.compile(mu**2, [mu])(np.array([0.0, np.inf]))


def test_explicit_interval_domain() -> None:
    k = sf.compile(1 / (p * (1 - p)), args=[p], domains={p: sp.Interval.open(0, 1)})
    assert k(0.5) == pytest.approx(4.0, rel=1e-15)  # exact: 1/(1/2 * 1/2)
    with pytest.raises(ValueError, match=r"'p' = 1.0 at index \(2,\).*\(0, 1\)"):
        k(np.array([0.2, 0.3, 1.0]))
    with pytest.raises(ValueError, match=r"domains given for \['a'\]"):
        sf.compile(p, args=[p], domains={a: sp.Interval(0, 1)})
    k2 = sf.compile(p, args=[p], domains={p: sp.Interval(0, 1)})
    np.testing.assert_array_equal(k2(np.array([0.0, 1.0])), [0.0, 1.0])


def test_serial_and_parallel_agree(kern: Kernel) -> None:
    rng = np.random.default_rng(3)
    av, bv = rng.uniform(0.1, 3, 5000), rng.uniform(0.1, 3, 5000)
    s = kern(av, bv, parallel=False)
    q = kern(av, bv, parallel=True)
    np.testing.assert_array_equal(s, q)


def test_multiple_outputs_share_one_kernel() -> None:
    fisher = sp.Matrix([[1 / a**2, 0], [0, 2 / b**2]])
    logdet = sp.log(fisher.det())
    grad = sp.Matrix([logdet.diff(a), logdet.diff(b)])
    k = sf.compile({"fisher": fisher, "logdet": logdet, "grad": grad}, args=[a, b])
    res = k(np.array([1.0, 2.0]), 1.0)
    assert set(res) == {"fisher", "logdet", "grad"}
    assert k.shape == ((2, 2), (), (2,))
    # exact: log det = log 2 - 2 log a - 2 log b; gradient (-2/a, -2/b)
    np.testing.assert_allclose(res["logdet"], [math.log(2), math.log(2) - 2 * math.log(2)], rtol=1e-15)
    np.testing.assert_allclose(res["grad"], [[-2, -2], [-1, -2]], rtol=1e-15)
    bufs = {"fisher": np.empty((2, 2, 2)), "logdet": np.empty(2), "grad": np.empty((2, 2))}
    res2 = k(np.array([1.0, 2.0]), 1.0, out=bufs)
    assert res2["logdet"] is bufs["logdet"]


def test_fastmath_accuracy_through_kernel() -> None:
    """The default flags change results by rounding only: compare with strict IEEE and mpmath."""
    x, c, d, e = sp.symbols("x c d e", positive=True)
    mean = c + (d - c) / (1 + sp.exp(b * (sp.log(x) - sp.log(e))))
    f = sp.Matrix([mean.diff(t) for t in (b, c, d, e)])
    info = f * f.T  # 4PL Fisher information per unit noise variance
    fast = sf.compile(info, [b, c, d, e, x])
    strict = sf.compile(info, [b, c, d, e, x], fastmath=set())
    assert fast.key != strict.key and "FASTMATH = {'afn', 'arcp', 'contract', 'nsz'}" in fast.source
    rng = np.random.default_rng(4)
    pts = [
        rng.uniform(0.5, 2, 40),
        rng.uniform(0, 1, 40),
        rng.uniform(2, 3, 40),
        rng.uniform(0.5, 2, 40),
        rng.uniform(0.05, 5, 40),
    ]
    got, ieee = fast(*pts), strict(*pts)
    ref = sf.compile(info, [b, c, d, e, x], backend="mpmath", dps=30)
    want = ref.to_float(ref(*[v[:10] for v in pts]))
    rel = np.linalg.norm(got[:10] - want, axis=(1, 2)) / np.linalg.norm(want, axis=(1, 2))
    assert rel.max() < 1e-13
    np.testing.assert_allclose(got, ieee, rtol=1e-13, atol=1e-300)


def test_nan_comparisons_keep_ieee_semantics() -> None:
    """Without 'nnan', a NaN reaching a comparison in generated code is not 'assumed away'."""
    k = sf.compile(sp.Piecewise((1.0, mu > 0), (2.0, mu < 1), (3.0, True)), [mu])
    np.testing.assert_array_equal(k(np.array([1.0, -1.0, np.nan]), check=False), [1, 2, 3])


def test_damaged_kernel_file_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "k_bad.py"
    bad.write_text("# symfisher-sha256: 00\nKEY = 'x'\n")
    with pytest.raises(KernelFileError, match="damaged"):
        Kernel(bad)
    with pytest.raises(KernelFileError, match="does not exist"):
        Kernel(tmp_path / "missing.py")


def test_automatic_choice_keeps_small_calls_serial() -> None:
    """Small N never starts Numba's thread pool (its start-up costs milliseconds)."""
    k = sf.compile(sp.exp(-a) * b**3 + 7, args=[a, b])
    k(np.linspace(0.1, 1, 1000), 2.0)  # broadcasting loop
    k(np.linspace(0.1, 1, 1000), np.ones(1000))  # dense loop
    serial, parallel, serial_dense, parallel_dense = k.loops
    assert serial.signatures and serial_dense.signatures
    assert not parallel.signatures and not parallel_dense.signatures
