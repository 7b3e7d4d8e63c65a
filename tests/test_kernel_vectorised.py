"""Kernels compiled with the vecmath option: vectorised point loop (LLVM IR), same numbers.

The IR test accepts any vector width >= 2 (``<2 x double>`` with SSE2 only, ``<4 x ...>``
with AVX2, ``<8 x ...>`` when LLVM prefers 512-bit vectors), so it holds on any x86-64.
"""

from __future__ import annotations

import importlib.util
import re
import sys

import numpy as np
import pytest
import sympy as sp

import symfisher as sf
from symfisher.codegen.cache import kernel_key
from symfisher.codegen.spec import Options, make_spec

b, c, d, e, x, sigma, k, lam = sp.symbols("b c d e x sigma k lambda", positive=True)
VECTOR_OP = re.compile(r"= f(?:add|sub|mul|div|neg)\b[^\n]*<(\d+) x double>")
SCALAR_CALL = re.compile(r"call[^\n]*@(?:llvm\.)?(?:exp|log|pow)(?:\.f64)?\(")


def four_pl() -> sp.ImmutableMatrix:
    """4PL Fisher information f fᵀ/σ² (16 entries: direct flat stores)."""
    mean = c + (d - c) / (1 + sp.exp(b * (sp.log(x) - sp.log(e))))
    f = sp.Matrix([mean.diff(t) for t in (b, c, d, e)])
    return sp.ImmutableMatrix(f * f.T / sigma**2)


def weibull() -> sp.ImmutableMatrix:
    """Observed information of Weibull(k, λ) at x (uses exp(k log(x/λ)))."""
    logpdf = sp.log(k) - sp.log(lam) + (k - 1) * (sp.log(x) - sp.log(lam)) - (x / lam) ** k
    return sp.ImmutableMatrix(-sp.hessian(logpdf, (k, lam)))


def outer5() -> sp.ImmutableMatrix:
    """A 5×5 matrix (25 entries: the staged structure-of-arrays path)."""
    v = sp.Matrix(
        [
            sp.exp(-b * x),
            sp.log(1 + c * x),
            x**k,
            1 / (1 + sp.exp(-b * (x - c))),
            sp.log(x) * k,
        ]
    )
    return sp.ImmutableMatrix(v * v.T)


def logistic_rewrites() -> sp.ImmutableMatrix:
    """Softplus, logistic density and logistic complement (stable rewrites: exp(-|u|),
    log1p, max and a select)."""
    t = sp.exp(b - x)
    return sp.ImmutableMatrix([[sp.log(1 + t), t / (1 + t) ** 2, 1 - 1 / (1 + t)]])


CASES = {
    "4pl": (four_pl, (b, c, d, e, x, sigma)),
    "weibull": (weibull, (k, lam, x)),
    "outer5": (outer5, (b, c, k, x)),
    "logistic": (logistic_rewrites, (b, x)),
}


def sample(args: tuple[sp.Symbol, ...], n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.3, 3.0, n) for _ in args]


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    """A new kernel cache: Numba compiles the loops here, so their IR can be inspected."""
    monkeypatch.setenv("SYMFISHER_CACHE", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("name", list(CASES))
def test_hot_loop_is_vectorised(name: str, fresh_cache) -> None:  # type: ignore[no-untyped-def]
    build, args = CASES[name]
    kern = sf.compile(build(), list(args))
    assert "_sf_exp(" in kern.source or "_sf_log(" in kern.source
    kern(*sample(args, 64, 0), check=False, parallel=False)
    dense = kern.loops[2]
    ir = dense.inspect_llvm(dense.signatures[0])
    widths = {int(w) for w in VECTOR_OP.findall(ir)}
    assert widths and min(widths) >= 2, f"no vector floating-point ops in {name}'s loop"
    assert not SCALAR_CALL.findall(ir), "libm exp/log/pow called from the vectorised loop"


def test_powers_share_the_logarithm_of_their_base() -> None:
    """``x**h`` is ``exp(h*L)`` with ``L = log(x)`` a common subexpression: the sigmoid-Emax
    information (x**h, ed50**h, log x, log ed50, exp(-s)) needs exactly 2 logs and 3 exps per point."""
    from symfisher.testing.bench_models import bench_models

    m = bench_models(("emax",))["emax"]
    kern = sf.compile(m.expr, list(m.args))
    body = kern.source[kern.source.index("def _serial_dense") :].split("def ", 2)[1]
    assert body.count("_sf_log(") == 2, body
    assert body.count("_sf_exp(") == 3, body


def test_integer_powers_above_four_vectorise(fresh_cache) -> None:  # type: ignore[no-untyped-def]
    """``x**n`` with |n| > 4 is printed as ``x**n``: Numba expands a literal integer power into
    multiplications, so the loop still vectorises and calls no pow; values match the closed form."""
    expr = sp.Matrix([[b * x**7 + x ** (-9) + (x + b) ** 13]])
    kern = sf.compile(expr, [x, b])
    xs, bs = np.linspace(0.5, 2.0, 64), np.linspace(0.1, 1.0, 64)
    got = np.asarray(kern(xs, bs, check=False, parallel=False)).reshape(64)
    dense = kern.loops[2]
    ir = dense.inspect_llvm(dense.signatures[0])
    widths = {int(w) for w in VECTOR_OP.findall(ir)}
    assert widths and min(widths) >= 2, "no vector floating-point ops in the integer-power loop"
    assert not SCALAR_CALL.findall(ir) and "powi" not in ir
    assert np.allclose(got, bs * xs**7 + xs**-9.0 + (xs + bs) ** 13, rtol=1e-14, atol=0)


@pytest.mark.parametrize("name", list(CASES))
def test_same_numbers_as_libm_kernel(name: str) -> None:
    """vecmath vs libm kernels (≤ 2 ulp per elementary function): agree to 1e-12."""
    build, args = CASES[name]
    expr = build()
    vec, libm = (
        sf.compile(expr, list(args)),
        sf.compile(expr, list(args), vecmath=False),
    )
    assert "error_model='numpy'" in vec.source and "_sf_" not in libm.source.split("KEY")[0]
    pts = sample(args, 5000, 1)
    want = libm(*pts)
    scale = np.linalg.norm(want, axis=(1, 2), keepdims=True)
    for parallel in (False, True):
        got = vec(*pts, parallel=parallel)
        assert np.max(np.abs(got - want) / scale) < 1e-12
    # broadcasting: all but the last argument scalars (blocks of repeated rows)
    scalars = [1.7] * (len(args) - 1)
    for parallel in (False, True):
        np.testing.assert_allclose(
            vec(*scalars, pts[-1], parallel=parallel),
            libm(*scalars, pts[-1]),
            rtol=1e-12,
            atol=1e-300,
        )


def test_option_is_part_of_the_key_and_off_with_unsafe_flags() -> None:
    expr = weibull()
    on, off = Options(), Options(vecmath=False)
    assert on.vectorised and not off.vectorised
    assert kernel_key(make_spec(expr, [k, lam, x], options=on)) != kernel_key(make_spec(expr, [k, lam, x], options=off))
    fast = Options(fastmath=frozenset({"fast"}))
    assert not fast.vectorised
    assert kernel_key(make_spec(expr, [k, lam, x], options=fast)) == kernel_key(
        make_spec(
            expr,
            [k, lam, x],
            options=Options(fastmath=frozenset({"fast"}), vecmath=False),
        )
    )


def test_division_by_zero_gives_ieee_values_not_an_exception() -> None:
    """The vectorised loops use error_model='numpy' (no early exit from the hot loop)."""
    y = sp.Symbol("y", real=True)
    kern = sf.compile(1 / y, [y])
    np.testing.assert_array_equal(kern(np.array([0.0, -0.0, 2.0])), [np.inf, -np.inf, 0.5])


def test_exported_vectorised_kernel_runs_standalone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    kern = sf.compile(weibull(), [k, lam, x])
    path = sf.export({"weib": kern}, tmp_path / "weib_export.py")
    text = path.read_text()
    assert "def broadcast_block(" in text and "def exp(" in text
    spec = importlib.util.spec_from_file_location("weib_export_mod", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["weib_export_mod"] = mod
    spec.loader.exec_module(mod)
    pts = sample((k, lam, x), 50, 2)
    np.testing.assert_array_equal(mod.weib(*pts), kern(*pts))
