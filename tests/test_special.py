"""Accuracy and behaviour of the Numba special functions in symfisher.numeric.special.

Reference values come from mpmath at 50 digits (an independent implementation);
the error measure is the mixed one of the module docstring, |f - ref| / max(1, |ref|),
or the relative one where a docstring states a relative bound. Every bound asserted
here is the one written in the function's docstring.
"""

from __future__ import annotations

import ast
import doctest
import importlib.util
import math
from collections.abc import Callable
from pathlib import Path

import mpmath as mp
import numba
import numpy as np
import pytest

from symfisher.numeric import special as S
from symfisher.numeric.special import bessel as BS
from symfisher.numeric.special import gamma_family as GF

SOURCE_TEXT = S.standalone_source()  # the package as one module (what sf.export copies)


def _worst(
    f: Callable[..., float], ref: Callable[..., object], points: list[tuple], relative: bool = False
) -> tuple[float, tuple]:
    """Largest mixed (or relative) error of ``f`` against the mpmath ``ref`` at 50 digits."""
    worst, where = 0.0, ()
    with mp.workdps(50):
        for p in points:
            r = ref(*[mp.mpf(v) if isinstance(v, float) else v for v in p])
            scale = abs(r) if relative else max(mp.mpf(1), abs(r))
            err = float(abs(mp.mpf(f(*p)) - r) / scale)
            if err > worst:
                worst, where = err, p
    return worst, where


def _gamma_points(seed: int, n: int = 300) -> list[tuple[float]]:
    rng = np.random.default_rng(seed)
    xs = np.concatenate(
        [10.0 ** rng.uniform(-6, 6, n), rng.uniform(0.2, 12.0, n), [1.4616321449683622, 1.0, 2.0, 10.0, 1e-6, 1e6]]
    )
    return [(float(x),) for x in xs]


GAMMA_CASES = {  # name: (function, mpmath reference, documented bound, relative?)
    "loggamma": (S.loggamma, mp.loggamma, 1e-15, False),
    "digamma": (S.digamma, mp.digamma, 1e-15, False),
    "trigamma": (S.trigamma, lambda x: mp.polygamma(1, x), 1e-15, True),
    "polygamma2": (lambda x: S.polygamma(2, x), lambda x: mp.polygamma(2, x), 1e-15, True),
    "polygamma3": (lambda x: S.polygamma(3, x), lambda x: mp.polygamma(3, x), 1e-15, True),
    "polygamma6": (lambda x: S.polygamma(6, x), lambda x: mp.polygamma(6, x), 1e-15, True),
    "polygamma12": (lambda x: S.polygamma(12, x), lambda x: mp.polygamma(12, x), 1e-15, True),
}


@pytest.mark.parametrize("name", sorted(GAMMA_CASES))
def test_gamma_family_vs_mpmath(name: str) -> None:
    f, ref, bound, relative = GAMMA_CASES[name]
    worst, where = _worst(f, ref, _gamma_points(seed=11), relative)
    assert worst <= bound, f"{name}: error {worst:.3g} at {where}"


def test_gamma_vs_mpmath() -> None:
    rng = np.random.default_rng(12)
    pts = [(float(x),) for x in 10.0 ** rng.uniform(-6, math.log10(171.0), 400)]
    worst, where = _worst(S.gamma, mp.gamma, pts, relative=True)
    assert worst <= 1e-15, f"gamma: {worst:.3g} at {where}"


def test_polygamma_orders_zero_and_one_dispatch() -> None:
    for x in (1e-3, 0.7, 3.3, 50.0):
        assert S.polygamma(0, x) == S.digamma(x)
        assert S.polygamma(1, x) == S.trigamma(x)


def test_negative_arguments() -> None:
    """Reflection (digamma, trigamma) and recurrence (n >= 2) at negative non-integers."""
    rng = np.random.default_rng(13)
    pts = [(float(x),) for x in -rng.uniform(0.01, 20.0, 200) if x != round(x)]
    # digamma: error relative to the size of the reflection terms
    with mp.workdps(50):
        for (x,) in pts:
            scale = abs(mp.digamma(1 - x)) + abs(mp.pi * mp.cot(mp.pi * x))
            assert abs(S.digamma(x) - mp.digamma(x)) <= 2e-15 * max(1, scale)
    worst, where = _worst(S.trigamma, lambda x: mp.polygamma(1, x), pts, relative=True)
    assert worst <= 2e-15, where
    worst, where = _worst(lambda x: S.polygamma(2, x), lambda x: mp.polygamma(2, x), pts)
    assert worst <= 4e-15, where


def test_poles() -> None:
    for x in (0.0, -1.0, -7.0):
        assert math.isnan(S.digamma(x))
        assert S.trigamma(x) == math.inf  # psi' -> +inf from both sides
        assert S.loggamma(x) == math.inf
        assert S.polygamma(3, x) == math.inf
        assert math.isnan(S.polygamma(2, x))
    assert math.isnan(S.gamma(-2.0))
    assert math.isnan(S.hurwitz_zeta(1.0, 2.0)) and math.isnan(S.zeta(0.5))
    assert math.isnan(S.polygamma(-1, 2.0))
    # non-integer orders are rejected, never truncated
    assert math.isnan(S.polygamma(1.5, 2.0)) and math.isnan(S.besseli(0.5, 2.0))
    assert math.isnan(S.besseli_ratio(1.5, 2.0)) and math.isnan(S.log_besseli(2.5, 2.0))
    assert math.isnan(S.besseli_e(0.5, 2.0))


def test_digamma_recurrence_and_root() -> None:
    """psi(x + 1) = psi(x) + 1/x; the positive root keeps relative accuracy."""
    rng = np.random.default_rng(14)
    for x in np.concatenate([10.0 ** rng.uniform(-3, 3, 300), rng.uniform(0.5, 12, 300)]):
        lhs, rhs = S.digamma(x + 1.0), S.digamma(x) + 1.0 / x
        # rounding of x + 1 and of the sum on the right: scale by the largest term
        assert abs(lhs - rhs) <= 4e-15 * max(1.0, abs(lhs), 1.0 / x), x
    root = 1.4616321449683622  # nearest double to the root of psi (mpmath.findroot)
    with mp.workdps(50):
        exact = mp.digamma(root)
    assert abs(S.digamma(root) - exact) <= 1e-17  # exact ~ -9.3e-17


def test_exact_values() -> None:
    # DLMF 5.4.12, 5.15.2, 25.6.1: psi(1) = -gamma, psi'(1) = zeta(2) = pi^2/6
    assert S.digamma(1.0) == pytest.approx(-0.5772156649015329, rel=1e-15)
    assert S.trigamma(1.0) == pytest.approx(math.pi**2 / 6, rel=1e-15)
    assert S.zeta(2.0) == pytest.approx(math.pi**2 / 6, rel=1e-15)
    assert S.zeta(4.0) == pytest.approx(math.pi**4 / 90, rel=1e-15)
    assert S.beta(2.0, 3.0) == pytest.approx(1.0 / 12.0, rel=1e-15)
    assert S.besseli0(0.0) == 1.0 and S.besseli1(0.0) == 0.0


def _zeta_120_digits(s: mp.mpf, q: mp.mpf) -> mp.mpf:
    """mpmath's Hurwitz zeta loses ~30 digits for non-integer s and large q, hence 120."""
    with mp.workdps(120):
        return mp.zeta(s, q)


def test_zeta_functions_vs_mpmath() -> None:
    rng = np.random.default_rng(15)
    pts = [(float(s), float(q)) for s, q in zip(rng.uniform(1.05, 14.0, 250), 10.0 ** rng.uniform(-4, 4, 250))]
    worst, where = _worst(S.hurwitz_zeta, _zeta_120_digits, pts, relative=True)
    assert worst <= 1e-15, where
    worst, where = _worst(S.zeta, mp.zeta, [(float(s),) for s in rng.uniform(1.01, 60, 200)], relative=True)
    assert worst <= 1e-15, where


def test_erf_erfc_vs_mpmath() -> None:
    rng = np.random.default_rng(16)
    worst, _ = _worst(S.erf, mp.erf, [(float(x),) for x in rng.uniform(-7, 7, 300)])
    assert worst <= 1e-15
    worst, _ = _worst(S.erfc, mp.erfc, [(float(x),) for x in rng.uniform(-6, 26, 300)], relative=True)
    assert worst <= 1e-15


def _beta_points(seed: int) -> list[tuple[float, float]]:
    rng = np.random.default_rng(seed)
    ab = np.concatenate(
        [
            10.0 ** rng.uniform(-3, 4, (400, 2)),
            rng.uniform(0.2, 12, (300, 2)),
            [[1e4, 1e4], [1e-3, 1e4], [1e-3, 1e-3], [9.99, 10.01]],
        ]
    )
    return [(float(a), float(b)) for a, b in ab]


def test_logbeta_and_beta_vs_mpmath() -> None:
    pts = _beta_points(17)
    worst, where = _worst(S.logbeta, lambda a, b: mp.log(mp.beta(a, b)), pts)
    assert worst <= 2e-15, where
    worst, where = _worst(S.beta, mp.beta, pts)
    assert worst <= 2e-15, where
    assert S.logbeta(3.0, 7.0) == S.logbeta(7.0, 3.0)
    assert S.logbeta(0.0, 2.0) == math.inf and math.isnan(S.logbeta(-1.0, 2.0))


# ---------------------------------------------------------------- Bessel
def _bessel_points(seed: int, top: float) -> list[float]:
    rng = np.random.default_rng(seed)
    return [
        float(x)
        for x in np.concatenate(
            [
                rng.uniform(0, 30, 150),
                10.0 ** rng.uniform(-6, math.log10(top), 150),
                [12.0, 12.000000000000002, 700.0, top],
            ]
        )
    ]


def test_besseli0_besseli1_vs_mpmath() -> None:
    xs = _bessel_points(21, 700.0)
    pts = [(x,) for x in xs] + [(-x,) for x in xs[:50]]
    for f, nu in ((S.besseli0, 0), (S.besseli1, 1)):
        worst, where = _worst(f, lambda x: mp.besseli(nu, x), pts, relative=True)
        assert worst <= 1e-15, (nu, where)


@pytest.mark.parametrize("n", [2, 3, 5, 10])
def test_besseli_integer_order_vs_mpmath(n: int) -> None:
    pts = [(n, x) for x in _bessel_points(22, 700.0) if x > 0]
    worst, where = _worst(S.besseli, mp.besseli, pts, relative=True)
    assert worst <= 2e-15, where


@pytest.mark.parametrize("n", [0, 1, 2, 5, 10])
def test_scaled_ratio_log_vs_mpmath(n: int) -> None:
    pts = [(n, x) for x in _bessel_points(23 + n, 1e5) if x > 0]
    worst, where = _worst(S.besseli_e, lambda m, x: mp.besseli(m, x) * mp.exp(-x), pts, True)
    assert worst <= 2e-15, ("besseli_e", where)
    worst, where = _worst(S.besseli_ratio, lambda m, x: mp.besseli(m + 1, x) / mp.besseli(m, x), pts, True)
    assert worst <= 2e-15, ("besseli_ratio", where)
    worst, where = _worst(S.log_besseli, lambda m, x: mp.log(mp.besseli(m, x)), pts)
    assert worst <= 1e-15, ("log_besseli", where)


@pytest.mark.parametrize("n", [50, 100])
def test_large_orders_vs_mpmath(n: int) -> None:
    """Long ratio products (rescaled by powers of two) keep their relative accuracy."""
    xs = [0.1, 1.0, 5.0, 20.0, 50.0, 100.0, 300.0, 700.0]
    worst, where = _worst(S.besseli, mp.besseli, [(n, x) for x in xs], relative=True)
    assert worst <= 3e-15, where
    worst, where = _worst(S.log_besseli, lambda m, x: mp.log(mp.besseli(m, x)), [(n, x) for x in xs + [2e3, 1e5]])
    assert worst <= 1e-15, where
    worst, where = _worst(
        S.besseli_ratio,
        lambda m, x: mp.besseli(m + 1, x) / mp.besseli(m, x),
        [(n, x) for x in xs + [2e3, 1e5]],
        relative=True,
    )
    assert worst <= 2e-15, where


def test_ratio_near_switch_points() -> None:
    """Backward, upward recurrence and Hankel series meet mpmath at their switch points."""
    pts = []
    for n in range(1, 12):
        for t in (50.0 + 2.0 * (n + 1) ** 2, 4.0 * n * n + 4.0):
            pts += [(n, t * f) for f in (0.7, 0.999999, 1.0, 1.000001, 1.5)]
    worst, where = _worst(S.besseli_ratio, lambda m, x: mp.besseli(m + 1, x) / mp.besseli(m, x), pts, True)
    assert worst <= 2e-15, where


def test_bessel_identities() -> None:
    """I_{n-1} - I_{n+1} = (2n/x) I_n, and the ratio equals I_1/I_0 where both are finite."""
    rng = np.random.default_rng(24)
    for x in np.concatenate([rng.uniform(0.05, 40, 200), 10.0 ** rng.uniform(1.6, 2.8, 50)]):
        for n in range(1, 8):
            lhs = S.besseli(n - 1, x) - S.besseli(n + 1, x)
            rhs = 2.0 * n / x * S.besseli(n, x)
            assert abs(lhs - rhs) <= 1e-14 * abs(S.besseli(n - 1, x)), (n, x)
        assert S.besseli_ratio(0, x) == pytest.approx(S.besseli1(x) / S.besseli0(x), rel=2e-15)
        assert S.besseli_e(3, x) == pytest.approx(S.besseli(3, x) * math.exp(-x), rel=4e-15)


def test_bessel_edge_cases() -> None:
    assert S.besseli(3, 0.0) == 0.0 and S.besseli_e(0, 0.0) == 1.0
    assert S.besseli_ratio(4, 0.0) == 0.0
    assert S.log_besseli(0, 0.0) == 0.0 and S.log_besseli(2, 0.0) == -math.inf
    assert S.besseli0(720.0) == math.inf and S.besseli(2, 750.0) == math.inf
    assert S.besseli0(713.9) < math.inf  # I_0(713.9) ~ 1.65e308 still representable
    # finite where I_0 overflows; the limits are 1 and 0
    assert 0.999 < S.besseli_ratio(0, 1e5) < 1.0 and 0.999 < S.besseli_ratio(3, 1e6) < 1.0
    assert 0.0 < S.besseli_e(1, 1e8) < 1e-4
    # symmetry: I_n(-x) = (-1)^n I_n(x), I_{-n} = I_n, the ratio is odd
    assert S.besseli(3, -2.5) == -S.besseli(3, 2.5) and S.besseli(-2, 1.5) == S.besseli(2, 1.5)
    assert S.besseli_ratio(1, -3.0) == -S.besseli_ratio(1, 3.0)
    # log where I_n underflows: log I_100(1) = -433.0516183940659 (mpmath, 50 digits)
    assert S.log_besseli(100, 1.0) == pytest.approx(-433.0516183940659, rel=1e-15)
    assert S.log_besseli(2, math.inf) == math.inf


# ---------------------------------------------------------------- embedding
@numba.njit(cache=False)
def _kernel_like(x: np.ndarray, out: np.ndarray) -> None:
    for i in range(x.shape[0]):
        out[i] = (
            S.digamma(x[i])
            + S.trigamma(x[i])
            + S.polygamma(3, x[i])
            + S.logbeta(x[i], 2.0)
            + S.besseli_ratio(0, x[i])
            + S.log_besseli(2, x[i])
            + S.besseli(3, x[i])
            + S.erf(x[i])
        )


def test_callable_from_njit() -> None:
    x = np.array([0.3, 1.7, 25.0, 300.0])
    out = np.empty_like(x)
    _kernel_like(x, out)
    expected = [
        S.digamma(v)
        + S.trigamma(v)
        + S.polygamma(3, v)
        + S.logbeta(v, 2.0)
        + S.besseli_ratio(0, v)
        + S.log_besseli(2, v)
        + S.besseli(3, v)
        + S.erf(v)
        for v in x
    ]
    np.testing.assert_allclose(out, expected, rtol=1e-15)


@pytest.mark.parametrize("mode", ["safe", "full"])
def test_fastmath_caller_does_not_change_results(mode: str) -> None:
    """A kernel compiled with fastmath calls the functions as compiled here: same bits."""
    flags = {"safe": {"nsz", "arcp", "contract", "afn", "reassoc"}, "full": True}[mode]
    wrapper = numba.njit(cache=False, fastmath=flags)(_kernel_like.py_func)
    x = np.random.default_rng(25).uniform(0.01, 60.0, 200)
    out, ref = np.empty_like(x), np.empty_like(x)
    wrapper(x, out)
    _kernel_like(x, ref)
    np.testing.assert_allclose(out, ref, rtol=4e-16, atol=0)  # only the 8-term sum may differ


def test_integer_arguments_accepted() -> None:
    assert S.digamma(3) == S.digamma(3.0) and S.besseli(2, 4) == S.besseli(2, 4.0)
    assert S.polygamma(2.0, 1.5) == S.polygamma(2, 1.5)


def test_docstring_examples() -> None:
    """The Examples sections of the public functions (Numba dispatchers escape doctest)."""
    failed = 0
    for name in S.__all__:
        test = doctest.DocTestParser().get_doctest(getattr(S, name).__doc__, vars(S), name, None, 0)
        assert test.examples, f"{name} has no Examples section"
        failed += doctest.DocTestRunner().run(test).failed
    assert failed == 0


def test_module_is_self_contained() -> None:
    """sf.export copies the package as one module: only math, numpy and numba may be imported."""
    tree = ast.parse(SOURCE_TEXT)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "math", "numpy", "numba"}, imported


# ---------------------------------------------------------------- fastmath
FASTMATH = {"safe": {"nsz", "arcp", "contract", "afn", "reassoc"}, "full": True}


def _recompiled(tmp_path: Path, flags: object) -> object:
    """The package's source with every ``@numba.njit(cache=True)`` given ``fastmath=flags``."""
    text = "from __future__ import annotations\n" + SOURCE_TEXT
    assert text.count("@numba.njit(cache=True)") >= 17
    path = tmp_path / "special_fastmath.py"
    path.write_text(text.replace("@numba.njit(cache=True)", f"@numba.njit(cache=False, fastmath={flags!r})"))
    spec = importlib.util.spec_from_file_location("special_fastmath", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("mode", sorted(FASTMATH))
def test_accuracy_survives_fastmath(mode: str, tmp_path: Path) -> None:
    """The bodies compiled with fastmath flags still meet the documented bounds."""
    F = _recompiled(tmp_path, FASTMATH[mode])
    gpts = _gamma_points(seed=31, n=120)
    bpts = [x for x in _bessel_points(32, 1e5) if x > 0][::2]
    checks = [
        (F.digamma, mp.digamma, gpts, 1e-15, False),
        (F.trigamma, lambda x: mp.polygamma(1, x), gpts, 1e-15, True),
        (lambda x: F.polygamma(3, x), lambda x: mp.polygamma(3, x), gpts, 1e-15, True),
        (F.logbeta, lambda a, b: mp.log(mp.beta(a, b)), _beta_points(33)[::3], 2e-15, False),
        (
            lambda x: F.besseli_ratio(0, x),
            lambda x: mp.besseli(1, x) / mp.besseli(0, x),
            [(x,) for x in bpts],
            2e-15,
            True,
        ),
        (
            lambda x: F.besseli_ratio(2, x),
            lambda x: mp.besseli(3, x) / mp.besseli(2, x),
            [(x,) for x in bpts],
            2e-15,
            True,
        ),
        (lambda x: F.log_besseli(2, x), lambda x: mp.log(mp.besseli(2, x)), [(x,) for x in bpts], 1e-15, False),
        (lambda x: F.besseli(3, x), lambda x: mp.besseli(3, x), [(x,) for x in bpts if x < 700], 2e-15, True),
    ]
    for f, ref, pts, bound, relative in checks:
        worst, where = _worst(f, ref, pts, relative)
        assert worst <= bound, (mode, ref, where, worst)


# ---------------------------------------------------------------- coefficient provenance
def test_tables_reproduce_recipes() -> None:
    """Rerun the recipes written beside the fitted tables (mpmath pade / chebyfit)."""
    with mp.workdps(60):
        x0 = mp.findroot(mp.digamma, 1.46)
        assert float(x0) == GF._X0_HI and float(x0 - GF._X0_HI) == GF._X0_LO
        psi = [mp.polygamma(k, mp.mpf(1.5)) / mp.factorial(k) for k in range(20)]
        g = []  # Taylor coefficients of psi(x) / (x - x0) at x = 3/2
        for k in range(20):
            g.append((psi[k] - (g[k - 1] if k else 0)) / (mp.mpf(1.5) - x0))
        p, q = mp.pade(g, 7, 7)
    np.testing.assert_allclose(GF._DIGAMMA_P, [float(c) for c in p[::-1]], rtol=1e-13, atol=0)
    np.testing.assert_allclose(GF._DIGAMMA_Q, [float(c) for c in q[::-1]], rtol=1e-13, atol=0)
    for table, nu in ((BS._I0_LARGE, 0), (BS._I1_LARGE, 1)):
        with mp.workdps(40):

            def scaled(t: mp.mpf, nu: int = nu) -> mp.mpf:
                x = 24 / (t + 1)
                return mp.sqrt(x) * mp.exp(-x) * mp.besseli(nu, x)

            coeffs, err = mp.chebyfit(scaled, [-1, 1], 18, error=True)
        assert err < 2e-18
        np.testing.assert_allclose(table[2:], [float(c) for c in coeffs], rtol=0, atol=1e-16)
        assert table[0] == table[1] == 0.0  # padding for the blocks of four
    # exact Taylor coefficients of I_0 and I_1 in x^2: 1 / (4^k k!^2), 1 / (2 4^k k! (k+1)!)
    assert BS._I0_TAYLOR[-3] == 1 / 64 and BS._I1_TAYLOR[-3] == 1 / 384
