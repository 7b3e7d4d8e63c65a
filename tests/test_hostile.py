"""Hostile inputs (issue 12): the table of ``tests/hostile_cases.py`` and property-based
fuzzing of the expression parser and of ``Family.from_pdf``.

Every outcome is a result or a :class:`symfisher.SymfisherError` (on the command line:
exit code 2 and one line on stderr) — never another exception, never a hang. The time
bounds are generous (a loaded 2-core machine); they detect hangs, they do not measure speed.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symfisher as sf

sys.path.insert(0, str(Path(__file__).parent))
from hostile_cases import CASES, Case, markdown_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CASE_SECONDS = 120  # a hang, not a slow answer
FUZZ_SECONDS = 20


class Hang(Exception):
    """Raised by the alarm: the call did not return within its bound."""


@contextlib.contextmanager
def time_bound(seconds: int) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (SIGALRM; Python-level code only)."""

    def handler(signum: int, frame: object) -> None:
        raise Hang(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_table_has_at_least_120_rows_with_unique_ids() -> None:
    assert len(CASES) >= 120
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_gets_a_clear_error(case: Case) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with time_bound(CASE_SECONDS), pytest.raises(case.error) as info:
            case.call()
    assert case.word in str(info.value), str(info.value)
    if case.error is not Hang and issubclass(case.error, Exception) and case.area != "cli":
        assert isinstance(info.value, sf.SymfisherError)


def test_reliability_doc_holds_the_table() -> None:
    doc = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    assert markdown_table() in doc, "regenerate the table: python tests/hostile_cases.py"


# ---------------------------------------------------------------- fuzzing
TOKENS = [
    "x",
    "mu",
    "a",
    "0",
    "1",
    "2",
    "9",
    "10",
    "(",
    ")",
    "+",
    "-",
    "*",
    "/",
    "**",
    ",",
    " ",
    ".",
    "e5",
    "exp(",
    "log(",
    "sqrt(",
    "gamma(",
    "factorial(",
    "binomial(",
    "Max(",
    "Abs(",
    "Piecewise(",
    "oo",
    "pi",
    "E",
    "I",
    "nan",
    "zoo",
    "[",
    "]",
    "'",
    "__",
    "lambda",
    "import",
    "x.y",
    "0x1f",
    "1e308",
    "<",
    "==",
]


def _outcome(fn: object) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with time_bound(FUZZ_SECONDS):
                fn()  # type: ignore[operator]
        except sf.SymfisherError:
            pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14).map("".join))
def test_fuzz_parser(text: str) -> None:
    _outcome(lambda: sf.parse_expression(text))


X = sp.Symbol("x", real=True)
THETA = sp.Symbol("theta", positive=True)
LEAVES = st.sampled_from([X, THETA, sp.Integer(1), sp.Integer(2), sp.Integer(-1), sp.Rational(1, 2), sp.pi])


def _expressions() -> st.SearchStrategy[sp.Expr]:
    def extend(children: st.SearchStrategy[sp.Expr]) -> st.SearchStrategy[sp.Expr]:
        binary = st.tuples(st.sampled_from(["+", "*", "/", "**"]), children, children).map(
            lambda t: {"+": t[1] + t[2], "*": t[1] * t[2], "/": t[1] / t[2], "**": t[1] ** t[2]}[t[0]]
        )
        unary = st.tuples(st.sampled_from([sp.exp, sp.log, sp.sqrt, sp.Abs]), children).map(lambda t: t[0](t[1]))
        return binary | unary

    return st.recursive(LEAVES, extend, max_leaves=5)


SUPPORTS = st.sampled_from(
    [
        sp.Interval(0, sp.oo),
        sp.Interval(-sp.oo, sp.oo),
        sp.Interval(0, 1),
        sp.Range(0, sp.oo),
        sp.Range(0, 6),
        sp.FiniteSet(0, 1),
        sp.EmptySet,
        sp.Interval(1, 2),
        sp.Range(-sp.oo, sp.oo),
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_expressions(), SUPPORTS)
def test_fuzz_family_from_pdf(pdf: sp.Expr, support: sp.Set) -> None:
    def run() -> None:
        fam = sf.Family.from_pdf(pdf, X, [THETA], support)
        sf.score(fam)

    try:
        _outcome(run)
    except (sp.SympifyError, TypeError) as exc:  # pragma: no cover - reported with the density
        raise AssertionError(f"pdf={pdf}, support={support}: {type(exc).__name__}: {exc}") from exc


def test_unusual_but_valid_arrays_give_the_same_result() -> None:
    """Zero-length, integer, float32 and strided arguments are converted, not refused."""
    import numpy as np
    from hostile_cases import kernel

    k = kernel()
    ref = k(np.array([1.0, 2.0, 4.0]), np.array([3.0, 3.0, 3.0]))
    np.testing.assert_array_equal(k(np.array([1, 2, 4]), 3), ref)  # integers
    np.testing.assert_array_equal(k(np.array([1, 2, 4], np.float32), np.float32(3)), ref)  # exact in float32
    strided = np.array([1.0, 9.0, 2.0, 9.0, 4.0, 9.0])[::2]
    np.testing.assert_array_equal(k(strided, 3.0), ref)
    empty = k(np.zeros(0), 1.0)
    assert empty.shape == (0, 2, 2)
