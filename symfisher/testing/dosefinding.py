"""DoseFinding's own design problems, as a test and benchmark oracle.

DoseFinding 1.0-3 (Bornkamp, Pinheiro & Bretz; R package), ``optDesign`` examples: doses
{0, 10, 25, 50, 100, 150}, ``Mods(..., placEff = 0, maxEff = 1, addArgs = list(scal = 200,
off = 1))`` with the guesstimates below and the clinically relevant effect Δ = 0.5. The tests
(reference weights from Rscript) and ``benchmarks/bench_design_speed.py`` share these.

Examples
--------
>>> from symfisher.testing.dosefinding import AVERAGED, DOSES, GUESSES
>>> len(DOSES), len(GUESSES), len(AVERAGED)
(6, 8, 7)
"""

from __future__ import annotations

from typing import Any

DOSES = [0.0, 10.0, 25.0, 50.0, 100.0, 150.0]
GUESSES: dict[str, Any] = {
    "emax": 25,
    "sigEmax": (25, 5),
    "exponential": 85,
    "logistic": (50, 10),
    "betaMod": (0.33, 2.31),
    "quadratic": -0.0035,
    "linear": None,
    "linlog": None,
}
"""Every model's guesstimate (DoseFinding's parametrisation; None: no nonlinear parameter)."""
AVERAGED = {n: g for n, g in GUESSES.items() if n != "quadratic"}
"""The 7-model candidate set of the model-averaged designs (quadratic excluded, as in R)."""
DELTA = 0.5
SCAL, OFF = 200.0, 1.0
