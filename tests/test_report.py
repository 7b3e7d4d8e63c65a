"""LaTeX, text and JSON reports of matrices and derivation results."""

from __future__ import annotations

import json

import pytest
import sympy as sp

from symfisher.report.derivation import Derivation, derive_report
from symfisher.report.jsonout import read_json, to_dict, to_json
from symfisher.report.latex import to_latex
from symfisher.report.text import format_matrix, format_result

mu = sp.Symbol("mu", real=True)
sigma = sp.Symbol("sigma", positive=True)
a = sp.Symbol("a", positive=True)
b = sp.Symbol("b", positive=True)
NORMAL_I = sp.ImmutableMatrix([[1 / sigma**2, 0], [0, 2 / sigma**2]])  # N(mu, sigma); only rendered here


def test_latex_of_matrix_and_expression() -> None:
    assert to_latex(NORMAL_I) == r"\begin{pmatrix}\frac{1}{\sigma^{2}} & 0\\0 & \frac{2}{\sigma^{2}}\end{pmatrix}"
    assert to_latex(sp.polygamma(1, a)) == sp.latex(sp.polygamma(1, a))
    assert to_latex(3) == "3"
    with pytest.raises(TypeError, match="cannot render"):
        to_latex(object())


def test_text_matrix_is_labelled_with_the_parameter_order() -> None:
    text = format_matrix(NORMAL_I, (mu, sigma))
    lines = text.splitlines()
    assert lines[0].split() == ["mu", "sigma"]
    assert lines[1].split() == ["mu", "sigma**(-2)", "0"]
    assert lines[2].split() == ["sigma", "0", "2/sigma**2"]
    with pytest.raises(ValueError, match="2 labels for a matrix with 3 rows"):
        format_matrix(sp.eye(3), (mu, sigma))


def test_text_wide_matrix_lists_entries_once() -> None:
    long = sum(sp.polygamma(k, a + b) for k in range(12))
    text = format_matrix(sp.ImmutableMatrix([[long, 1], [1, long]]), (a, b))
    assert text.splitlines() == [f"I[a, a] = {long}", "I[a, b] = 1", f"I[b, b] = {long}"]


def test_json_of_bare_matrix_and_expression_round_trips() -> None:
    data = read_json(to_json(NORMAL_I))
    assert data["matrix"] == NORMAL_I
    assert data["symbols"]["sigma"] == sigma  # assumptions restored: same symbol
    e = sp.polygamma(1, a) - 1 / a
    assert read_json(to_json(e))["expr"] == e
    assert json.loads(to_json(e))["latex"] == to_latex(e)
    with pytest.raises(ValueError, match="not a symfisher-derivation-1 document"):
        read_json(json.dumps({"format": "other"}))


@pytest.fixture(scope="module")
def gamma_report() -> Derivation:
    import symfisher as sf

    return derive_report(sf.family("gamma"), score=True, hessian=True, jeffreys=True)


def test_derivation_reports(gamma_report: Derivation) -> None:
    alpha, beta = gamma_report.params
    # Gamma(shape alpha, rate beta): the Hessian of the log-density does not depend on x, so
    # I = -Hessian = [[trigamma(alpha), -1/beta], [-1/beta, alpha/beta**2]] exactly.
    expected = sp.ImmutableMatrix([[sp.polygamma(1, alpha), -1 / beta], [-1 / beta, alpha / beta**2]])
    assert sp.simplify(gamma_report.fisher.matrix - expected) == sp.zeros(2, 2)

    text = format_result(gamma_report)
    assert "rows and columns in the order alpha, beta" in text
    assert "check:" in text and "route:" in text and "Jeffreys prior" in text

    tex = to_latex(gamma_report)
    assert tex.startswith(r"\begin{aligned}") and r"\mathcal{I}\left(\alpha, \beta\right)" in tex
    assert r"\pi_J" in tex and r"\nabla^2_\theta" in tex

    raw = to_dict(gamma_report)
    assert raw["params"] == ["alpha", "beta"]
    assert raw["fisher"]["provenance"]["check"]["residual"] <= raw["fisher"]["provenance"]["check"]["tolerance"]
    back = read_json(to_json(gamma_report))
    assert back["params"] == (alpha, beta)
    assert back["matrix"] == gamma_report.fisher.matrix
    assert back["score"] == gamma_report.score
    assert back["hessian"] == gamma_report.hessian
    assert back["jeffreys"] == gamma_report.jeffreys
    assert back["logpdf"] == gamma_report.family.logpdf


def test_numeric_fisher_is_marked_in_every_format() -> None:
    import symfisher as sf
    from symfisher.derive.fisher.numeric import NumericFisher

    fam = sf.family("normal")
    nf = NumericFisher(
        family=fam,
        closed={(0, 0): 1 / fam.params[1] ** 2, (0, 1): sp.Integer(0)},
        numeric=((1, 1),),
        notes=("I[1, 1]: no closed form (test)",),
    )
    assert r"\text{numeric}" in to_latex(nf)
    text = format_result(nf)
    assert "<numeric>" in text and "evaluated numerically: (1, 1)" in text
    raw = to_dict(nf)
    assert raw["fisher"]["numeric"] is True and raw["fisher"]["numeric_entries"] == [[1, 1]]
    assert raw["fisher"]["closed"] == {"0,0": "sigma**(-2)", "0,1": "0"}
