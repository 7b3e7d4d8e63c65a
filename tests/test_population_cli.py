"""``symfisher popdesign`` and the model-file reader (no code execution)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from symfisher.cli import main
from symfisher.errors import ParseError
from symfisher.population.spec import parse_model_text

MODEL_FILE = Path(__file__).resolve().parent.parent / "examples" / "models" / "warfarin.py"
# PopED tests/testthat/test_evaluate.fim.R (Nyberg et al. 2014), reduced FIM, one decimal
PUBLISHED_REDUCED = {
    "CL": 4.7,
    "V": 2.8,
    "KA": 13.9,
    "omega2_CL": 25.6,
    "omega2_V": 30.3,
    "omega2_KA": 25.8,
    "sigma2_prop": 11.2,
}


def test_evaluate_json_reproduces_the_published_reduced_rse(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["popdesign", str(MODEL_FILE), "--structure", "reduced", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for name, value in PUBLISHED_REDUCED.items():
        assert abs(out["fim"]["rse_percent"][name] - value) <= 0.05, name


def test_optimize_text_and_power(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "popdesign",
                str(MODEL_FILE),
                "--optimize",
                "--starts",
                "0",
                "--power",
                "CL",
                "--effect",
                "0.015",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "D-optimised population design" in text and "Wald test of CL" in text


def test_inline_model_latex(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "popdesign",
                "--model",
                "A*exp(-K*t)",
                "--individual",
                "A=lognormal,K=lognormal",
                "--error",
                "additive",
                "--theta",
                "A=10,K=0.2,omega2_A=0.1,omega2_K=0.1,sigma2_add=0.5",
                "--times",
                "1,2,4,8",
                "--n",
                "20",
                "--latex",
            ]
        )
        == 0
    )
    assert r"omega2\_K" in capsys.readouterr().out


def test_bad_input_exits_2_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["popdesign", str(MODEL_FILE), "--optimize", "--windows", "1:120"]) == 2
    assert "outside its window" in capsys.readouterr().err


def test_model_file_is_never_executed() -> None:
    with pytest.raises(ParseError, match="only 'NAME = literal'"):
        parse_model_text("import os\nresponses = 'A'\n")
    with pytest.raises(ParseError, match="not a literal"):
        parse_model_text("responses = __import__('os').getcwd()\n")
    with pytest.raises(ParseError, match="__import__"):
        parse_model_text(
            "responses = \"__import__('os')\"\nindividual = {'A': 'lognormal'}\ntheta = {}\ndesign = {'times': [1]}\n"
        )
    with pytest.raises(ParseError, match="missing key"):
        parse_model_text("responses = 'A*t'\n")
