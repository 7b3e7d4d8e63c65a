"""One vocabulary per concept (issue 11 §3): options, likelihood names, domains.

Each test is an exact case: a spelling accepted everywhere or refused everywhere with
the same error, a conversion that round-trips, a KL divergence that keeps a parameter's
sign (the normal family in natural parameters against the textbook normal KL).
"""

from __future__ import annotations

import enum
import inspect

import numpy as np
import pytest
import sympy as sp

import symfisher as sf
from symfisher import options
from symfisher.errors import OptionError, SymfisherError
from symfisher.families.domains import assumptions_of, domain_from_assumptions, float_interval


def _option_enums() -> list[type[enum.Enum]]:
    return [
        obj
        for _, obj in inspect.getmembers(options, inspect.isclass)
        if issubclass(obj, enum.Enum) and obj.__module__ == "symfisher.options"
    ]


def test_every_option_enum_is_exported_at_top_level() -> None:
    missing = [e.__name__ for e in _option_enums() if getattr(sf, e.__name__, None) is not e]
    assert not missing


def test_no_str_enum_outside_options() -> None:
    """Every str-Enum of the package lives in symfisher.options (one vocabulary)."""
    import ast
    from pathlib import Path

    root = Path(sf.__file__).parent
    found = []
    for path in root.rglob("*.py"):
        if path.name == "options.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any("Enum" in ast.unparse(b) for b in node.bases):
                found.append(f"{path.relative_to(root)}:{node.name}")
    assert not found


@pytest.mark.parametrize("enum_cls", _option_enums(), ids=lambda e: e.__name__)
def test_option_error_lists_the_valid_values(enum_cls: type[enum.Enum]) -> None:
    with pytest.raises(OptionError) as info:
        sf.option(enum_cls, "no-such-value", "kw")
    msg = str(info.value)
    assert "kw='no-such-value'" in msg and all(repr(m.value) in msg for m in enum_cls)
    assert isinstance(info.value, ValueError) and isinstance(info.value, SymfisherError)


@pytest.mark.parametrize("spelling", ["t", "student_t", "Student-T"])
def test_likelihood_alias_accepted_by_all_three_users(spelling: str) -> None:
    """``Regression(noise=...)``, ``output_curvature`` and ``laplace`` share one table."""
    x, a, b = sp.symbols("x a b", real=True)
    reg = sf.Regression(a + b * x, x, [a, b], noise=spelling, sigma=1, nu=5)
    assert reg.noise.name == "student_t"
    curv = sf.kfac.output_curvature(spelling)
    assert curv.fisher.has(sp.Symbol("nu", positive=True)) or curv.fisher.free_symbols
    rng = np.random.default_rng(0)
    net = sf.nn.MLP.random([2, 3, 1], rng)
    X, y = rng.standard_normal((20, 2)), rng.standard_normal(20)
    post = sf.laplace(net, X, y, likelihood=spelling, structure="diag")
    assert post.likelihood.name is sf.Likelihood.STUDENT_T


def test_unknown_likelihood_is_the_same_error_everywhere() -> None:
    x, a = sp.symbols("x a", real=True)
    rng = np.random.default_rng(1)
    net = sf.nn.MLP.random([2, 3, 1], rng)
    calls = (
        lambda: sf.Regression(a * x, x, [a], noise="gumbel-ish"),
        lambda: sf.laplace(net, np.zeros((2, 2)), np.zeros(2), likelihood="gumbel-ish"),
    )
    for call in calls:
        with pytest.raises(OptionError, match="='gumbel-ish' is not one of"):
            call()


@pytest.mark.parametrize(
    ("domain", "want"),
    [
        (sp.Interval.open(0, sp.oo), {"positive": True}),
        (sp.Interval(0, sp.oo), {"nonnegative": True}),
        (sp.Interval.open(-sp.oo, 0), {"negative": True}),
        (sp.Interval(-sp.oo, 0), {"nonpositive": True}),
        (sp.Interval(-1, 1), {"real": True}),
        (sp.Interval.open(0, 1), {"positive": True}),
    ],
)
def test_domain_assumption_round_trip(domain: sp.Set, want: dict) -> None:
    assert assumptions_of(domain) == want
    sym = sp.Symbol("t", **want)
    back = domain_from_assumptions(sym)
    assert domain.is_subset(back)


def test_float_interval_of_open_and_closed_ends() -> None:
    assert float_interval(sp.Interval.Lopen(0, 1)) == (0.0, 1.0, False, True)
    assert float_interval(sp.Interval(-sp.oo, 2)) == (-np.inf, 2.0, False, True)


def test_kl_of_normal_natural_keeps_the_sign_of_eta2() -> None:
    """η₂ ∈ (−∞, 0): its fresh symbols must be negative; the KL equals the textbook
    normal KL log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) − ½ (exact rational point)."""
    kl, th1, th2 = sf.kl_divergence(sf.family("normal_natural"))
    assert th1[1].is_negative and th2[1].is_negative
    mu1, s1, mu2, s2 = sp.Rational(1, 3), sp.Rational(3, 2), sp.Rational(-1, 2), sp.Rational(2, 3)
    nat = lambda mu, s: (mu / s**2, -1 / (2 * s**2))  # noqa: E731
    val = kl.subs(dict(zip(th1 + th2, nat(mu1, s1) + nat(mu2, s2))))
    want = sp.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - sp.Rational(1, 2)
    assert abs(float(val - want)) < 1e-14


def test_symbol_interval_of_an_integer_symbol_ignores_integrality() -> None:
    from symfisher.families.domains import symbol_interval

    assert symbol_interval(sp.Symbol("y", integer=True, nonnegative=True)) == (0.0, np.inf, True, False)
