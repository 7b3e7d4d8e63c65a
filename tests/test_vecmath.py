"""Accuracy of symfisher.numeric.vecmath in ulps, and its special values (C99 Annex F).

Errors are measured in units in the last place of the exact result: ``|got - f(x)| / ulp``
with ``ulp = 2**(E - 52)`` for ``2**E <= |f(x)| < 2**(E+1)`` (``2**-1074`` in the
subnormal range). References:

* mpmath at 170 bits (50 digits) through ``mpmath.libmp`` on 10⁶ arguments per function
  (``@pytest.mark.slow``: about 10-20 s per function) and on 2·10⁴ per function in the
  fast suite;
* x87 extended precision (NumPy ``longdouble``: 64-bit significand, i.e. 2⁻¹¹ ulp of a
  double) on 10⁶ arguments per function in the fast suite; it is itself checked against
  mpmath on the 2·10⁴ points (agreement to 0.05 ulp: ``powl`` loses a few extended ulps
  when ``|y log x|`` is large).

Arguments: log-uniform over the whole double range (subnormals included where the
function is defined there) and dense near the special points: the overflow and underflow
thresholds of exp, the subnormal range, 1 for log, -1 and 0 for log1p, 0 and multiples of
ln2/2 for expm1, ``x`` near 1 with large ``|y|`` and ``|y log x|`` up to 745 for power.
The functions are compiled inside a loop with the kernels' default fast-math flags and
``error_model='numpy'`` (they are inlined, so the caller's flags apply), and again with
no fast-math flags.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from mpmath import libmp

from symfisher.codegen.spec import DEFAULT_FASTMATH
from symfisher.numeric import vecmath as vm

N_FULL = 1_000_000
N_MP_FAST = 20_000
MAX_ULP = 2.0
TINY = 5e-324
BIG = 1.7976931348623157e308
LD = np.longdouble
HAVE_X87 = np.finfo(np.longdouble).nmant >= 63


def _loops(flags: frozenset[str]) -> tuple:
    @numba.njit(fastmath=set(flags), error_model="numpy")
    def apply1(f, x):
        out = np.empty_like(x)
        for i in range(x.size):
            out[i] = f(x[i])
        return out

    @numba.njit(fastmath=set(flags), error_model="numpy")
    def apply2(f, x, y):
        out = np.empty_like(x)
        for i in range(x.size):
            out[i] = f(x[i], y[i])
        return out

    return apply1, apply2


LOOPS = {"kernel flags": _loops(DEFAULT_FASTMATH), "no flags": _loops(frozenset())}
FUNCS = {
    "exp": vm.exp,
    "log": vm.log,
    "log1p": vm.log1p,
    "expm1": vm.expm1,
    "logistic": vm.logistic,
    "softplus": vm.softplus,
    "power": vm.power,
}


def _logu(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    return np.exp(rng.uniform(math.log(lo), math.log(hi), n))


def _signed(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    return x * rng.choice([-1.0, 1.0], x.size)


def arguments(name: str, n: int, seed: int) -> tuple[np.ndarray, ...]:
    """``n`` arguments for ``name``: 1/2 log-uniform over the range, 1/2 special regions."""
    rng = np.random.default_rng(seed)
    q = n // 8
    if name == "exp":
        parts = [
            _signed(rng, _logu(rng, 1e-300, 746, 4 * q)),
            rng.uniform(-746, 710, q),
            rng.uniform(-745.2, -708, q),
            rng.uniform(709, 709.8, q),
            rng.uniform(-1, 1, q),
        ]
    elif name == "log":
        parts = [
            _logu(rng, TINY, BIG, 4 * q),
            _logu(rng, TINY, 2.3e-308, q),
            1 + _signed(rng, _logu(rng, 1e-17, 0.5, q)),
            rng.uniform(0.7, 1.5, 2 * q),
        ]
    elif name == "log1p":
        parts = [
            _signed(rng, _logu(rng, TINY, 1, 2 * q)),
            _logu(rng, 1, BIG, 2 * q),
            -1 + _logu(rng, 1e-16, 0.5, q),
            rng.uniform(-0.3, 0.42, 2 * q),
            _signed(rng, _logu(rng, 1e-20, 1e-5, q)),
        ]
    elif name == "expm1":
        ln2h = math.log(2) / 2
        parts = [
            _signed(rng, _logu(rng, TINY, 709.7, 4 * q)),
            rng.uniform(-40, 709.7, q),
            rng.integers(-8, 9, q) * ln2h + rng.uniform(-1e-3, 1e-3, q),
            rng.uniform(-1.1, 1.1, 2 * q),
        ]
    elif name in ("logistic", "softplus"):
        parts = [
            _signed(rng, _logu(rng, TINY, BIG, 4 * q)),
            rng.uniform(-40, 40, 2 * q),
            _signed(rng, _logu(rng, 30, 800, 2 * q)),
        ]
    else:  # power: x > 0 over the whole range, |y log x| <= 745
        x = np.concatenate(
            [
                _logu(rng, TINY, BIG, 6 * q),
                1 + _signed(rng, _logu(rng, 1e-12, 0.42, 2 * q)),
            ]
        )
        bound = 745 / np.abs(np.log(x))
        y = _signed(
            rng,
            np.minimum(_logu(rng, 1e-6, 1e15, x.size), bound * rng.uniform(0, 1, x.size) ** 0.2),
        )
        y[: q // 2] = np.round(y[: q // 2])  # integer exponents
        return x, y
    x = np.concatenate(parts)
    return (np.concatenate([x, rng.uniform(-1, 1, n - x.size)]),)


def _ulp_from_exponent(e: np.ndarray) -> np.ndarray:
    """``2**(e - 52)`` for leading exponent ``e``, not below the subnormal spacing."""
    return np.ldexp(1.0, np.clip(e - 52, -1074, 971).astype(np.int32))


def ulp_errors(got: np.ndarray, ref: np.ndarray, resid: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """Errors in ulps; ``ref`` is the exact value rounded to double, ``resid`` the rest."""
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs((got - ref) - resid) / _ulp_from_exponent(lead)
    same_special = ~np.isfinite(ref) & ((got == ref) | (np.isnan(got) & np.isnan(ref)))
    err = np.where(same_special, 0.0, err)
    return np.where(np.isnan(err), np.inf, err)


def x87_reference(name: str, args: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """``(ref, resid, lead)`` from extended precision."""
    x = args[0].astype(LD)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        if name == "logistic":
            val = 1 / (1 + np.exp(-x))
        elif name == "softplus":
            val = np.where(x > 0, x + np.log1p(np.exp(-np.abs(x))), np.log1p(np.exp(x)))
        elif name == "power":
            val = np.power(x, args[1].astype(LD))
        else:
            val = getattr(np, name)(x)
        ref = val.astype(np.float64)
        resid = np.where(np.isfinite(ref), (val - ref.astype(LD)).astype(np.float64), 0.0)
    _, e = np.frexp(val)
    return ref, resid, np.where(val == 0, -1074, e.astype(np.int64) - 1)


_PREC = 170
_ONE = libmp.fone


def _mp_value(name: str, x: float, y: float) -> tuple:
    ff = libmp.from_float
    a = ff(x)
    if name == "exp":
        return libmp.mpf_exp(a, _PREC, "n")
    if name == "log":
        return libmp.mpf_log(a, _PREC, "n")
    if name == "power":
        return libmp.mpf_pow(a, ff(y), _PREC, "n")
    if name == "expm1":
        if abs(x) < 2.0**-60:
            half_sq = libmp.mpf_shift(libmp.mpf_mul(a, a), -1)
            return libmp.mpf_add(a, half_sq, _PREC, "n")  # x + x^2/2 (next term 2^-120 x)
        return libmp.mpf_sub(libmp.mpf_exp(a, 2 * _PREC + 64, "n"), _ONE, _PREC, "n")
    if name == "log1p":
        return _mp_log1p(a)
    t = libmp.mpf_exp(libmp.mpf_neg(libmp.mpf_abs(a)), _PREC + 64, "n")  # e^-|x|
    if name == "logistic":
        num = _ONE if x >= 0 else t
        return libmp.mpf_div(num, libmp.mpf_add(_ONE, t, _PREC + 64, "n"), _PREC, "n")
    return libmp.mpf_add(a if x > 0 else libmp.fzero, _mp_log1p(t), _PREC, "n")  # softplus


def _mp_log1p(a: tuple) -> tuple:
    if a == libmp.fzero or libmp.mpf_cmp(libmp.mpf_abs(a), libmp.from_float(2.0**-200)) < 0:
        return libmp.mpf_sub(a, libmp.mpf_shift(libmp.mpf_mul(a, a), -1), _PREC, "n")
    return libmp.mpf_log(libmp.mpf_add(_ONE, a, 4 * _PREC + 2100, "n"), _PREC, "n")


def mpmath_reference(name: str, args: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """``(ref, resid, lead)`` from mpmath at 170 bits (50 digits)."""
    xs = args[0].tolist()
    ys = args[1].tolist() if len(args) > 1 else [0.0] * len(xs)
    ref, resid, lead = np.empty(len(xs)), np.empty(len(xs)), np.empty(len(xs), np.int64)
    for i, (x, y) in enumerate(zip(xs, ys)):
        v = _mp_value(name, x, y)
        sign, man, exp, bc = v
        if not man:
            ref[i], resid[i], lead[i] = 0.0, 0.0, -1074
            continue
        top = exp + bc - 1
        if top < -1100:  # below half the smallest subnormal: the double is 0
            ref[i], resid[i], lead[i] = (-0.0 if sign else 0.0), 0.0, -1074
            continue
        lead[i] = min(top, 2000)
        try:
            d = libmp.to_float(v, rnd="n")
        except OverflowError:
            d = math.inf
        if math.isinf(d) or lead[i] >= 1024:
            ref[i], resid[i] = (-math.inf if sign else math.inf), 0.0
            continue
        ref[i] = d
        resid[i] = libmp.to_float(libmp.mpf_sub(v, libmp.from_float(d), 60, "n"))
    return ref, resid, lead


def evaluate(name: str, args: tuple[np.ndarray, ...], loops: str = "kernel flags") -> np.ndarray:
    apply1, apply2 = LOOPS[loops]
    f = FUNCS[name]
    return apply2(f, *args) if len(args) == 2 else apply1(f, *args)


def _worst(name: str, args: tuple[np.ndarray, ...], err: np.ndarray) -> str:
    i = int(np.argmax(err))
    where = ", ".join(repr(float(a[i])) for a in args)
    return f"{name}: {err[i]:.3f} ulp at ({where})"


@pytest.mark.skipif(not HAVE_X87, reason="needs x87 extended long double")
@pytest.mark.parametrize("loops", list(LOOPS))
@pytest.mark.parametrize("name", list(FUNCS))
def test_within_2_ulp_vs_extended_precision(name: str, loops: str) -> None:
    args = arguments(name, N_FULL, seed=1)
    err = ulp_errors(evaluate(name, args, loops), *x87_reference(name, args))
    assert err.max() <= MAX_ULP, _worst(name, args, err)


@pytest.mark.parametrize("name", list(FUNCS))
def test_within_2_ulp_vs_mpmath_sample(name: str) -> None:
    """2·10⁴ arguments vs mpmath (50 digits); also validates the x87 reference there."""
    args = arguments(name, N_MP_FAST, seed=2)
    ref = mpmath_reference(name, args)
    err = ulp_errors(evaluate(name, args), *ref)
    assert err.max() <= MAX_ULP, _worst(name, args, err)
    if HAVE_X87:  # the extended-precision reference differs from mpmath by < 0.05 ulp
        x87, x87_resid, _ = x87_reference(name, args)
        mp_ref, mp_resid, lead = ref
        finite = np.isfinite(mp_ref)
        with np.errstate(invalid="ignore"):
            gap = np.abs((x87 - mp_ref) + (x87_resid - mp_resid)) / _ulp_from_exponent(lead)
        assert np.array_equal(x87[~finite], mp_ref[~finite])
        assert gap[finite].max() <= 0.05, _worst(name, args, np.where(finite, gap, 0.0))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FUNCS))
def test_within_2_ulp_vs_mpmath_full(name: str) -> None:
    """10⁶ arguments per function vs mpmath at 50 digits (the issue's acceptance test)."""
    args = arguments(name, N_FULL, seed=3)
    err = ulp_errors(evaluate(name, args), *mpmath_reference(name, args))
    assert err.max() <= MAX_ULP, _worst(name, args, err)


INF, NAN = math.inf, math.nan
# (function, argument(s), exact result) from C99 Annex F / IEEE 754 and exact identities.
SPECIAL = [
    ("exp", (0.0,), 1.0),
    ("exp", (-0.0,), 1.0),
    ("exp", (INF,), INF),
    ("exp", (-INF,), 0.0),
    ("exp", (NAN,), NAN),
    ("exp", (709.8,), INF),
    ("exp", (-746.0,), 0.0),
    ("exp", (-745.1332191019411,), 5e-324),  # the smallest subnormal (round to nearest)
    ("exp", (1e-300,), 1.0),
    ("exp", (800.0,), INF),
    ("exp", (-1e308,), 0.0),
    ("log", (1.0,), 0.0),
    ("log", (0.0,), -INF),
    ("log", (-0.0,), -INF),
    ("log", (-1.0,), NAN),
    ("log", (-INF,), NAN),
    ("log", (INF,), INF),
    ("log", (NAN,), NAN),
    ("log", (5e-324,), -744.4400719213812),
    ("log", (2.0,), 0.6931471805599453),
    ("log1p", (0.0,), 0.0),
    ("log1p", (-0.0,), -0.0),
    ("log1p", (-1.0,), -INF),
    ("log1p", (-2.0,), NAN),
    ("log1p", (INF,), INF),
    ("log1p", (-INF,), NAN),
    ("log1p", (NAN,), NAN),
    ("log1p", (5e-324,), 5e-324),
    ("log1p", (-5e-324,), -5e-324),
    ("log1p", (1e-300,), 1e-300),
    ("expm1", (0.0,), 0.0),
    ("expm1", (-0.0,), -0.0),
    ("expm1", (INF,), INF),
    ("expm1", (-INF,), -1.0),
    ("expm1", (NAN,), NAN),
    ("expm1", (5e-324,), 5e-324),
    ("expm1", (-5e-324,), -5e-324),
    ("expm1", (710.0,), INF),
    ("expm1", (-50.0,), -1.0),
    ("logistic", (0.0,), 0.5),
    ("logistic", (-0.0,), 0.5),
    ("logistic", (INF,), 1.0),
    ("logistic", (-INF,), 0.0),
    ("logistic", (NAN,), NAN),
    ("logistic", (800.0,), 1.0),
    ("logistic", (-800.0,), 0.0),
    ("softplus", (0.0,), 0.6931471805599453),
    ("softplus", (INF,), INF),
    ("softplus", (-INF,), 0.0),
    ("softplus", (NAN,), NAN),
    ("softplus", (1e300,), 1e300),
    ("softplus", (-800.0,), 0.0),
    ("power", (2.0, 10.0), 1024.0),
    ("power", (2.0, -1074.0), 5e-324),
    ("power", (2.0, 1024.0), INF),
    ("power", (9.0, 0.5), 3.0),
    ("power", (NAN, 0.0), 1.0),
    ("power", (1.0, NAN), 1.0),
    ("power", (NAN, 1.0), NAN),
    ("power", (2.0, NAN), NAN),
    ("power", (0.0, 3.0), 0.0),
    ("power", (-0.0, 3.0), -0.0),
    ("power", (-0.0, 2.0), 0.0),
    ("power", (0.0, -1.0), INF),
    ("power", (-0.0, -1.0), -INF),
    ("power", (-0.0, -2.0), INF),
    ("power", (-2.0, 3.0), -8.0),
    ("power", (-2.0, 2.0), 4.0),
    ("power", (-2.0, 0.5), NAN),
    ("power", (-INF, 3.0), -INF),
    ("power", (-INF, -3.0), -0.0),
    ("power", (-INF, 2.0), INF),
    ("power", (INF, -1.0), 0.0),
    ("power", (INF, 0.5), INF),
    ("power", (0.5, INF), 0.0),
    ("power", (0.5, -INF), INF),
    ("power", (2.0, INF), INF),
    ("power", (2.0, -INF), 0.0),
    ("power", (-1.0, INF), 1.0),
    ("power", (-1.0, -INF), 1.0),
    ("power", (5e-324, 0.5), 2.2227587494850775e-162),
    ("power", (1e308, 2.0), INF),
    ("power", (-1.0, 1e300), 1.0),
    ("power", (-8.0, 1.0 / 3.0), NAN),
]


@pytest.mark.parametrize("loops", list(LOOPS))
def test_special_values(loops: str) -> None:
    for name, args, want in SPECIAL:
        arrays = tuple(np.array([a]) for a in args)
        got = float(evaluate(name, arrays, loops)[0])
        assert got == want or (math.isnan(want) and math.isnan(got)), (
            name,
            args,
            got,
            want,
        )
        if want == 0.0 and not math.isnan(got):
            assert math.copysign(1.0, got) == math.copysign(1.0, want), (
                name,
                args,
                got,
            )


def test_scalar_calls_from_python_match_the_loops() -> None:
    """The dispatchers are also callable from Python (compiled with vecmath's own flags)."""
    x = np.array([-700.5, -1.5, 0.25, 3.0, 700.25])
    for name in ("exp", "expm1", "logistic", "softplus"):
        np.testing.assert_array_equal([FUNCS[name](float(v)) for v in x], evaluate(name, (x,)))
    assert vm.power(3.0, 2.5) == evaluate("power", (np.array([3.0]), np.array([2.5])))[0]


def test_broadcast_block_repeats_a_row() -> None:
    a = np.array([[1.0, 2.0]])
    block = vm.broadcast_block(a, 0, 10)
    assert block.shape == (10, 2) and np.all(block == a)
    full = np.arange(6.0).reshape(3, 2)
    assert np.shares_memory(vm.broadcast_block(full, 1, 3), full)
    assert vm.broadcast_block(a, 0, 10**6).shape == (vm.CHUNK, 2)
