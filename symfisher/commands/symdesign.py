"""Tour step: an optimal design derived in closed form (``sf.solve_design``)."""

from __future__ import annotations

from typing import TextIO

from symfisher.commands.registry import TourStep


def _tour(out: TextIO) -> None:
    import sympy as sp

    import symfisher as sf

    x = sp.Symbol("x", nonnegative=True)
    e0, emax = sp.symbols("e0 emax", real=True)
    ed50, d, D = sp.symbols("ed50 d D", positive=True)
    model = sf.Regression(e0 + emax * x / (ed50 + x), x, [e0, emax, ed50], noise="normal", sigma=1)
    xi = sf.SymbolicDesign([0, d, D])
    print("  Emax model, design {0, d, D} with weights 1/3 each:", file=out)
    print(f"  log det M = {sf.criterion(model, xi, criterion='D')}", file=out)
    sol = sf.solve_design(model, xi, criterion="D", unknowns=[d], assumptions=[d < D])
    print(f"  solve_design -> d* = {sol.formula[d]}   ({sol.note})", file=out)
    print(f"  the design depends only on {[s.name for s in sol.depends_on]} (not on e0, emax)", file=out)


TOUR = TourStep(order=35, title="Symbolic design: an optimal design in closed form", run=_tour)
