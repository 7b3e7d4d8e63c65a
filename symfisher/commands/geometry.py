"""``symfisher geometry FAMILY``: metric, Christoffel symbols, curvature and KL divergence."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from symfisher.commands.registry import Command

if TYPE_CHECKING:
    from symfisher.families.protocol import FamilyLike


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("family", metavar="FAMILY", help="catalog family name")
    p.add_argument("--latex", action="store_true", help="print LaTeX instead of text")


def _fmt(expr: Any, latex: bool) -> str:
    import sympy as sp

    return sp.latex(expr) if latex else sp.sstr(expr)


def _sections(fam: FamilyLike) -> list[tuple[str, Any]]:
    import sympy as sp

    import symfisher as sf
    from symfisher.errors import SymfisherError

    out: list[tuple[str, Any]] = [("Fisher metric g_ij", sf.fisher(fam))]
    G = sf.christoffel(fam)
    th = fam.params
    p = len(th)
    for k in range(p):
        for i in range(p):
            for j in range(i, p):
                if G[k, i, j] != 0:
                    out.append((f"Gamma^{th[k]}_{th[i]}{th[j]}", G[k, i, j]))
    if p == 2:
        out.append(("Gaussian curvature K", sf.gaussian_curvature(fam)))
    elif p > 2:
        out.append(("scalar curvature R", sf.scalar_curvature(fam)))
    try:
        kl, t1, t2 = sf.kl_divergence(fam)
        out.append((f"KL(p[{', '.join(map(str, t1))}] || p[{', '.join(map(str, t2))}])", kl))
    except SymfisherError as exc:
        out.append(("KL divergence", sp.Symbol(f"not in closed form: {str(exc)[:120]}")))
    return out


def _run(args: argparse.Namespace) -> int:
    import symfisher as sf
    from symfisher.errors import SymfisherError

    try:
        fam = sf.family(args.family)
        sections = _sections(fam)
    except (SymfisherError, ValueError, KeyError) as exc:
        print(f"symfisher geometry: {exc}", file=sys.stderr)
        return 2
    print(f"{fam.name} in coordinates {', '.join(map(str, fam.params))}")
    for title, expr in sections:
        print(f"{title}:\n  {_fmt(expr, args.latex)}")
    return 0


COMMAND = Command(
    name="geometry",
    help="Fisher metric, Christoffel symbols, curvature and KL divergence of a family",
    configure=_configure,
    run=_run,
)
