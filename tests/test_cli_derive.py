"""``symfisher derive`` and ``symfisher families``: a few subprocess runs, the rest in-process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from symfisher.cli import main
from symfisher.report.jsonout import read_json

NORMAL = [
    "--logpdf",
    "-(x - mu)**2/(2*sigma**2) - log(sigma) - log(2*pi)/2",
    "--var",
    "x",
    "--param",
    "mu:real",
    "--param",
    "sigma:positive",
    "--support",
    "(-oo, oo)",
]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "symfisher", *args], capture_output=True, text=True, timeout=300)


def test_subprocess_catalog_family_json_round_trip() -> None:
    run = _cli("derive", "gamma", "--json", "--jeffreys")
    assert run.returncode == 0, run.stderr
    data = read_json(run.stdout)
    alpha, beta = data["params"]
    # Gamma(shape, rate): the Hessian of alpha*log(beta) - beta*x + (alpha-1)*log(x) - loggamma(alpha) does
    # not depend on x, so I = -Hessian = [[trigamma(alpha), -1/beta], [-1/beta, alpha/beta^2]] exactly.
    assert data["matrix"] == sp.ImmutableMatrix([[sp.polygamma(1, alpha), -1 / beta], [-1 / beta, alpha / beta**2]])
    assert alpha.is_positive and beta.is_positive
    assert sp.simplify(data["jeffreys"] ** 2 - (alpha * sp.polygamma(1, alpha) - 1) / beta**2) == 0


def test_subprocess_malicious_string_exit_2_and_nothing_runs(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    run = _cli(
        "derive",
        "--logpdf",
        f"__import__('os').system('touch {target}')",
        "--var",
        "x",
        "--param",
        "mu",
        "--support",
        "(-oo, oo)",
    )
    assert run.returncode == 2
    assert "private or dunder name '__import__'" in run.stderr
    assert run.stdout == ""
    assert not target.exists()


def test_user_written_family_latex(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["derive", *NORMAL, "--latex"]) == 0
    out = capsys.readouterr().out
    # N(mu, sigma): -d2/dsigma2 = -1/sigma^2 + 3(x-mu)^2/sigma^4 has mean 2/sigma^2, -d2/dmu2 = 1/sigma^2,
    # the cross term has mean 0: I = diag(1/sigma^2, 2/sigma^2) exactly.
    assert r"\begin{pmatrix}\frac{1}{\sigma^{2}} & 0\\0 & \frac{2}{\sigma^{2}}\end{pmatrix}" in out


def test_user_written_discrete_pdf_with_symbolic_range(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "derive",
        "--json",
        "--pdf",
        "binomial(n, x)*p**x*(1 - p)**(n - x)",
        "--var",
        "x",
        "--param",
        "p:(0, 1)",
        "--support",
        "0..n",
    ]
    assert main(args) == 0
    data = read_json(capsys.readouterr().out)
    (p,) = data["params"]
    n = data["symbols"]["n"]
    assert sp.simplify(data["matrix"][0, 0] - n / (p * (1 - p))) == 0  # binomial: n/(p(1-p)), exact
    assert main(["derive", "--json", *args[2:-1], "0..n", "--param", "n=10"]) == 0
    data = read_json(capsys.readouterr().out)
    assert sp.simplify(data["matrix"][0, 0] - 10 / (p * (1 - p))) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["derive", "gama"], "did you mean 'gamma'"),
        (["derive", "student_t", "--param", "nu=__import__('os')"], "private or dunder"),
        (["derive", "student_t", "--param", "nu:positive"], "NAME=VALUE"),
        (["derive"], "nothing to derive"),
        (["derive", "gamma", *NORMAL], "either a catalog FAMILY"),
        (
            ["derive", "--logpdf", "x.__class__", "--var", "x", "--param", "mu", "--support", "(-oo, oo)"],
            "attribute access",
        ),
        (
            [
                "derive",
                "--logpdf",
                "-x**2/2 + mu",
                "--var",
                "x",
                "--param",
                "mu",
                "--support",
                "0..oo",
                "--param",
                "nu",
            ],
            "parameter nu does not appear",
        ),
        (
            [
                "derive",
                "--logpdf",
                "log(theta) - theta*x",
                "--var",
                "x",
                "--param",
                "theta:positive",
                "--support",
                "(0, bogus",
            ],
            "cannot read support",
        ),
        (["derive", "uniform"], "not regular"),
        (["derive", "categorical", "--param", "k=-1"], "k >= 2"),
        (
            ["derive", "--logpdf", "-(x - mu)**2/2", "--var", "x", "--param", "mu", "--support", "(-oo, oo)"],
            "not normalised",
        ),
        (
            [
                "derive",
                "--logpdf",
                "k*log(lam) - lam - loggamma(k + 1)",
                "--var",
                "k:integer",
                "--params",
                "lam:positive",
                "--support",
                "[0, oo)",
            ],
            "variable is an integer",
        ),
        (
            [
                "derive",
                "--logpdf",
                "log(lam) - lam*x + I",
                "--var",
                "x",
                "--param",
                "lam:positive",
                "--support",
                "(0, oo)",
            ],
            "'I' is reserved",
        ),
    ],
    ids=lambda v: " ".join(v)[:40] if isinstance(v, list) else None,
)
def test_bad_input_exit_2_with_message(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


def test_families_lists_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    import symfisher as sf

    assert main(["families", "--names"]) == 0
    names = capsys.readouterr().out.split()
    assert names == sf.family_names() and len(names) >= 30
    assert main(["families"]) == 0
    assert "student_t" in capsys.readouterr().out


def test_core_tour_step() -> None:
    import io

    from symfisher.commands.derive import TOUR

    assert TOUR.order == 10
    out = io.StringIO()
    TOUR.run(out)
    text = out.getvalue()
    assert "sf.family('weibull')" in text and "check:" in text
    # Hand-written p = 2x/s^2 exp(-x^2/s^2): x^2 ~ Exp(mean s^2), score = -2/s + 2x^2/s^3, so
    # I(s) = 4 Var(x^2)/s^6 = 4/s^2 exactly; the exponential's I(beta) after lambda = 1/beta
    # must agree with J^T I J.
    assert "4/s**2" in text and "agrees" in text
    assert "rejected \"__import__('os').system('echo pwned')\"" in text
    assert "Jeffreys prior of the normal (mu, sigma): sqrt(2)/sigma**2" in text


def test_user_written_vector_family_with_constraint(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "derive",
        "--json",
        "--logpdf",
        "x*log(p1) + y*log(p2) + (1 - x - y)*log(1 - p1 - p2)",
        "--var",
        "x",
        "--var",
        "y",
        "--params",
        "p1:(0,1)",
        "p2:(0,1)",
        "--support",
        "{(1, 0), (0, 1), (0, 0)}",
        "--constraint",
        "p1 + p2 < 1",
    ]
    assert main(args) == 0
    data = read_json(capsys.readouterr().out)
    p1, p2 = data["params"]
    p3 = 1 - p1 - p2
    # categorical with k = 3: -d2/dpi dpj = x_i/p_i^2 [i=j] + x_3/p3^2 with E[x_i] = p_i,
    # so I = diag(1/p1, 1/p2) + (1/p3) 1 1^T exactly.
    expected = sp.Matrix([[1 / p1 + 1 / p3, 1 / p3], [1 / p3, 1 / p2 + 1 / p3]])
    assert sp.simplify(data["matrix"] - expected) == sp.zeros(2, 2)


def test_user_written_family_on_the_simplex(capsys: pytest.CaptureFixture[str]) -> None:
    # Dirichlet(theta, 1, 1): normaliser Gamma(theta + 2)/Gamma(theta) = theta*(theta + 1), so
    # I(theta) = trigamma(theta) - trigamma(theta + 2) = 1/theta^2 + 1/(theta + 1)^2 exactly.
    args = [
        "derive",
        "--json",
        "--logpdf",
        "log(theta) + log(theta + 1) + (theta - 1)*log(x1)",
        "--var",
        "x1",
        "--var",
        "x2",
        "--param",
        "theta:positive",
        "--support",
        "simplex",
    ]
    assert main(args) == 0
    data = read_json(capsys.readouterr().out)
    (theta,) = data["params"]
    assert sp.simplify(data["matrix"][0, 0] - (1 / theta**2 + 1 / (theta + 1) ** 2)) == 0
