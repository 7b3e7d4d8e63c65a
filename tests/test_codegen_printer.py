"""The Numba printer, the translation table, stable rewrites and the source writer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

import symfisher as sf
from symfisher.codegen.printer import NumbaPrinter, function_table, import_lines
from symfisher.codegen.rewrite import besseli_ratio, stable_rewrite
from symfisher.codegen.spec import Options, make_spec
from symfisher.codegen.writer import generate_source, unique_targets
from symfisher.errors import CodegenError

x = sp.Symbol("x", positive=True)
y = sp.Symbol("y", positive=True)
u = sp.Symbol("u", real=True)


def test_strict_printer_names_unmapped_function() -> None:
    with pytest.raises(CodegenError, match="'zeta'"):
        NumbaPrinter({x: "v_x"}).doprint(sp.zeta(x) + 1)
    with pytest.raises(CodegenError, match="'zeta'"):
        sf.compile(sp.Matrix([[sp.zeta(x)]]), args=[x])


def test_unknown_symbol_and_free_symbols_are_named() -> None:
    with pytest.raises(CodegenError, match="symbol y"):
        NumbaPrinter({x: "v_x"}).doprint(x + y)
    with pytest.raises(CodegenError, match=r"\['nu', 'y'\]"):
        sf.compile(x + y * sp.Symbol("nu"), args=[x])


def test_constants_fill_free_symbols() -> None:
    nu = sp.Symbol("nu", positive=True)
    k = sf.compile((nu + 1) / (nu + 3) / x**2, args=[x], constants={nu: 4.5})
    # exact special case: (nu+1)/((nu+3) x^2) at nu = 4.5, x = 2 is 5.5/7.5/4
    assert k(2.0) == pytest.approx(5.5 / 7.5 / 4, rel=1e-15)


def test_function_table_is_chained_and_user_extensible() -> None:
    table = function_table({"zeta": "mypkg.kernels.zeta", "exp": "mypkg.kernels.fast_exp"})
    assert table["zeta"] == "mypkg.kernels.zeta"
    assert table["exp"] == "mypkg.kernels.fast_exp"
    assert table["log"] == "math.log"
    p = NumbaPrinter({x: "v_x"}, table)
    assert p.doprint(sp.zeta(x)) == "_sf_zeta(v_x)"
    assert import_lines(p.used) == ["from mypkg.kernels import zeta as _sf_zeta"]


def test_polygamma_orders_print_as_dedicated_functions() -> None:
    p = NumbaPrinter({x: "v_x"})
    assert p.doprint(sp.polygamma(0, x)) == "_sf_digamma(v_x)"
    assert p.doprint(sp.polygamma(1, x)) == "_sf_trigamma(v_x)"
    assert p.doprint(sp.polygamma(3, x)) == "_sf_polygamma(3, v_x)"
    with pytest.raises(CodegenError, match="integer order"):
        p.doprint(sp.besseli(sp.Rational(1, 2), x))


def test_power_printing_keeps_precedence() -> None:
    # 2/b**2 once printed as 2/b*b; evaluate printed forms against exact values.
    k = sf.compile(
        sp.Matrix(
            [2 / x**2, x**2 * y, -(x**-3), 3 / (x * y) ** 2, x ** sp.Rational(3, 2), 1 / sp.sqrt(x * y + 1), x**y]
        ),
        [x, y],
    )
    xv, yv = 1.7, 0.6
    want = [2 / xv**2, xv**2 * yv, -(xv**-3), 3 / (xv * yv) ** 2, xv**1.5, 1 / math.sqrt(xv * yv + 1), xv**yv]
    np.testing.assert_allclose(k(xv, yv), want, rtol=4e-16 * 8)


def _as_plain(e: sp.Expr) -> sp.Expr:
    """Undo the kernel-only heads so SymPy can evaluate the rewritten form."""
    return (
        e.replace(besseli_ratio, lambda n, z: sp.besseli(n + 1, z) / sp.besseli(n, z))
        .replace(log1p, lambda a: sp.log(1 + a))
        .replace(expm1, lambda a: sp.exp(a) - 1)
    )


@pytest.mark.parametrize(
    "expr",
    [
        sp.log(1 + x),
        sp.exp(u) - 1,
        1 - sp.exp(u),
        sp.log(1 + sp.exp(u)),
        sp.exp(u) / (1 + sp.exp(u)) ** 2,
        1 / (1 + sp.exp(-u)),
        sp.exp(2 * u) / (1 + sp.exp(u)) ** 3,
        sp.log(sp.gamma(x)),
        sp.besseli(2, x) / sp.besseli(0, x),
        1 - 1 / (1 + sp.exp(u)),
        x**u / (x**u + y**u) ** 2 + x ** (2 * u) + x ** (u + 1) + (x / y) ** u * sp.log(x / y),
    ],
)
def test_stable_rewrites_are_identities(expr: sp.Expr) -> None:
    new = stable_rewrite(expr)
    assert new != expr
    plain = _as_plain(new)
    for uv in (-3.7, -0.2, 0.4, 5.1):  # independent route: 40-digit evaluation
        point = {x: abs(uv), u: uv, y: 0.7}
        want = expr.evalf(40, subs=point)
        got = plain.evalf(40, subs=point)
        assert abs(got - want) <= 1e-30 * max(1, abs(want)), (expr, new, uv)


def test_bessel_ratio_rewrite_structure() -> None:
    assert stable_rewrite(sp.besseli(1, x) / sp.besseli(0, x)) == besseli_ratio(0, x)
    assert stable_rewrite(sp.besseli(2, x) / sp.besseli(0, x)) == besseli_ratio(0, x) * besseli_ratio(1, x)


def test_stable_kernels_at_extreme_inputs() -> None:
    k = sf.compile(
        [sp.log(1 + sp.exp(u)), sp.exp(u) / (1 + sp.exp(u)) ** 2, sp.log(1 + u**2), 1 - 1 / (1 + sp.exp(u))], [u]
    )
    vals = k(np.array([-800.0, 800.0, 1e-20]))
    # 1 - 1/(1 + e^u) = e^u/(1 + e^u): no cancellation at u = -800 (e^-800 underflows to 0
    # either way) and u = -30, where the naive form keeps only ~3 digits.
    np.testing.assert_allclose(vals[3], [0.0, 1.0, 0.5], rtol=1e-15, atol=0)
    assert k(-30.0)[3] == pytest.approx(math.exp(-30) / (1 + math.exp(-30)), rel=1e-15)
    # exact: softplus(-800) = log1p(e^-800) = e^-800 underflows to 0; softplus(800) = 800
    np.testing.assert_allclose(vals[0], [0.0, 800.0, math.log(2.0)], rtol=1e-15, atol=0)
    # logistic density at +-800 is e^-800 (0 in float64), never NaN
    np.testing.assert_array_equal(vals[1][:2], [0.0, 0.0])
    assert vals[2][2] == pytest.approx(1e-40, rel=1e-15)  # log1p(1e-40) = 1e-40


def test_symmetric_matrix_upper_triangle_only() -> None:
    m = sp.Matrix([[x**2, sp.exp(x * y), x + y], [sp.exp(x * y), y, 1 / y], [x + y, 1 / y, x * y]])
    spec = make_spec(m, [x, y])
    targets = unique_targets(spec)
    assert len(targets) == 6  # p (p + 1) / 2 entries computed
    assert [pos for _, pos in targets][1] == [(0, 1), (0, 3)]
    src = generate_source(make_spec(m, [x, y], options=Options(vecmath=False)), key="test")
    assert src.count("math.exp(") == 4  # once in each of the four loops
    # with vecmath only the dense loop computes (the others call it on blocks)
    assert generate_source(spec, key="test").count("_sf_exp(") == 1
    k = sf.compile(m, [x, y])
    got = k(1.3, 0.4)
    want = np.array(m.subs({x: 1.3, y: 0.4}).evalf(20), dtype=float)
    np.testing.assert_allclose(got, want, rtol=1e-15)
    np.testing.assert_array_equal(got, got.T)


def test_source_is_deterministic_and_readable() -> None:
    m = sp.Matrix([[sp.polygamma(1, x), 1 / y], [1 / y, x / y**2]])
    s1 = generate_source(make_spec(m, [x, y]), key="k")
    s2 = generate_source(make_spec(m, [x, y]), key="k")
    assert s1 == s2
    assert "# arguments: (x, y)" in s1
    assert "# out0[0, 1], out0[1, 0]" in s1
    assert "v_x = in_0[i]" in s1  # vecmath: one dense loop, broadcasting by blocks
    classic = generate_source(make_spec(m, [x, y], options=Options(vecmath=False)), key="k")
    assert "v_x = in_0[i * s_0]" in classic


def test_user_function_table_entry_compiles() -> None:
    """A user maps SymPy's zeta to an @njit function; the kernel imports and calls it."""
    s = sp.Symbol("s", positive=True)
    k = sf.compile(sp.zeta(s), [s], functions={"zeta": "symfisher.numeric.special.zeta"})
    assert "from symfisher.numeric.special import zeta as _sf_zeta" in k.source
    # zeta(2) = pi^2/6, zeta(4) = pi^4/90 (exact)
    np.testing.assert_allclose(k(np.array([2.0, 4.0])), [math.pi**2 / 6, math.pi**4 / 90], rtol=1e-14)
