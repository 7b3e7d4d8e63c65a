"""Population model files: literal assignments read without executing anything.

A model file is Python syntax restricted to ``NAME = literal`` statements (strings,
numbers, lists, tuples, dicts; read by :func:`ast.literal_eval`); expressions inside the
strings go through the safe parser (:func:`symfisher.parse.parse_expression`). Keys:

=================  ==========================================================================
``responses``      expression string, or dict response name → expression (required)
``individual``     dict parameter → form or expression (required)
``error``          error model name, or dict response → name (default ``"proportional"``)
``time``           name of the time variable (default ``"t"``)
``covariates``     list of design constants/covariates
``omega``          ``"diagonal"`` or ``"full"``
``fixed``          list of parameters not estimated
``theta``          dict of every parameter value (required)
``design``         a group dict ``{"times": [...], "n": 32, "DOSE": 70}`` or a list of them (required)
``windows``        ``[lo, hi]`` or one ``[lo, hi]`` per sampling time (optimisation)
``min_spacing``    minimum time between consecutive samples (optimisation)
=================  ==========================================================================

Example (``warfarin.py``)::

    responses = "DOSE*F*KA/(V*(KA - CL/V))*(exp(-CL/V*t) - exp(-KA*t))"
    individual = {"CL": "lognormal", "V": "lognormal", "KA": "lognormal", "F": "fixed"}
    error = "proportional"
    covariates = ["DOSE"]
    fixed = ["F"]
    theta = {"CL": 0.15, "V": 8, "KA": 1, "F": 1, "omega2_CL": 0.07, "omega2_V": 0.02,
             "omega2_KA": 0.6, "sigma2_prop": 0.01}
    design = {"times": [0.5, 1, 2, 6, 24, 36, 72, 120], "n": 32, "DOSE": 70}
    windows = [0, 120]
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symfisher.errors import ParseError
from symfisher.population.model import PopulationModel

__all__ = ["MAX_FILE_CHARS", "ModelFile", "parse_model_text", "read_model_file"]

MAX_FILE_CHARS = 200_000
_KEYS = frozenset(
    {
        "responses",
        "individual",
        "error",
        "time",
        "covariates",
        "omega",
        "fixed",
        "theta",
        "design",
        "windows",
        "min_spacing",
        "name",
    }
)
_MODEL_KEYS = (
    "responses",
    "individual",
    "error",
    "time",
    "covariates",
    "omega",
    "fixed",
    "name",
)


@dataclass(frozen=True)
class ModelFile:
    """A parsed model file: the model, parameter values, design and optimisation settings."""

    model: PopulationModel
    theta: dict[str, float]
    design: Any
    windows: Any = None
    min_spacing: float = 0.0


def _literals(text: str, source: str) -> dict[str, Any]:
    if len(text) > MAX_FILE_CHARS:
        raise ParseError(f"{source}: longer than {MAX_FILE_CHARS} characters")
    try:
        tree = ast.parse(text, filename=source)
    except SyntaxError as exc:
        raise ParseError(f"{source}:{exc.lineno}: {exc.msg}") from None
    out: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue  # a docstring
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise ParseError(f"{source}:{node.lineno}: only 'NAME = literal' statements are allowed")
        key = node.targets[0].id
        if key not in _KEYS:
            raise ParseError(f"{source}:{node.lineno}: unknown key {key!r}; keys are {sorted(_KEYS)}")
        try:
            out[key] = ast.literal_eval(node.value)
        except ValueError:
            raise ParseError(
                f"{source}:{node.lineno}: the value of {key!r} is not a literal (write expressions as strings)"
            ) from None
    missing = [k for k in ("responses", "individual", "theta", "design") if k not in out]
    if missing:
        raise ParseError(f"{source}: missing key(s) {missing}")
    return out


def parse_model_text(text: str, source: str = "<model>") -> ModelFile:
    """Parse the text of a model file (see the module docstring)."""
    d = _literals(text, source)
    model = PopulationModel(**{k: d[k] for k in _MODEL_KEYS if k in d})
    theta = d["theta"]
    if not isinstance(theta, dict):
        raise ParseError(f"{source}: theta must be a dict of parameter values")
    return ModelFile(
        model,
        {str(k): float(v) for k, v in theta.items()},
        d["design"],
        d.get("windows"),
        float(d.get("min_spacing", 0.0)),
    )


def read_model_file(path: str | Path) -> ModelFile:
    """Read and parse a model file (never executed)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ParseError(f"cannot read model file {str(p)!r}: {exc.strerror}") from None
    return parse_model_text(text, str(p))
