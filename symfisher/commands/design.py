"""``symfisher design``: optimal designs from the command line, and the tour's design step."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from symfisher.commands.registry import Command, TourStep


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "model",
        help="catalog model name (see symfisher.model_names()) or an expression "
        "such as 'e0 + emax*x/(ed50 + x)' (safe parser)",
    )
    p.add_argument("--x", default="x", help="design variable(s) of an expression model (comma-separated)")
    p.add_argument("--params", default=None, help="parameters of an expression model (default: all other names)")
    p.add_argument("--noise", default="normal", help="noise of an expression model (default normal, sigma=1)")
    p.add_argument("--link", default=None, help="link of an expression model")
    p.add_argument("--space", required=True, help="lo:hi (one factor) or lo:hi,lo:hi")
    p.add_argument("--theta", required=True, help="name=value,... for every parameter")
    p.add_argument("--criterion", default="D", help="D, A, E, c, Ds (default D)")
    p.add_argument("--interest", default=None, help="comma-separated parameters for Ds")
    p.add_argument("--n", type=int, default=None, help="exact allocation for n subjects")
    p.add_argument("--compare", default=None, help="comma-separated doses of a design to compare (equal weights)")
    p.add_argument(
        "--plot",
        metavar="FILE",
        default=None,
        help="save the sensitivity function with its bound (needs the 'plot' extra: matplotlib)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _parse_space(text: str) -> Any:
    boxes = [tuple(float(v) for v in part.split(":")) for part in text.split(",")]
    return boxes[0] if len(boxes) == 1 else boxes


def _model(args: argparse.Namespace) -> Any:
    """A catalog model, or a Regression parsed from an expression string (no eval)."""
    import sympy as sp

    import symfisher as sf

    if args.model.strip().lower().replace("-", "_") in sf.model_names() or args.model.isidentifier():
        return sf.model(args.model)
    xs = [sp.Symbol(n.strip(), real=True) for n in args.x.split(",")]
    expr = sf.parse_expression(args.model, {s.name: s for s in xs})
    names = args.params.split(",") if args.params else sorted(s.name for s in expr.free_symbols - set(xs))
    by_name = {s.name: s for s in expr.free_symbols}
    params = [by_name.get(n.strip(), sp.Symbol(n.strip(), real=True)) for n in names]
    extra = {"sigma": 1} if args.noise in ("normal", "gaussian") else {}
    return sf.Regression(
        expr, xs if len(xs) > 1 else xs[0], params, noise=args.noise, link=args.link, name="user model", **extra
    )


def _assignments(text: str, option: str) -> dict[str, float]:
    """``"a=1,b=2"`` as ``{"a": 1.0, "b": 2.0}``; an OptionError naming the bad item."""
    from symfisher.errors import OptionError

    out: dict[str, float] = {}
    for item in text.split(","):
        key, eq, value = item.partition("=")
        if key.strip() in out:
            raise OptionError(f"{option}: {key.strip()!r} is given twice")
        try:
            if not eq or not key.strip():
                raise ValueError
            out[key.strip()] = float(value)
        except ValueError:
            raise OptionError(f"{option}: {item.strip()!r} is not NAME=NUMBER") from None
    return out


def _summary(args: argparse.Namespace) -> dict[str, Any]:
    import symfisher as sf

    model = _model(args)
    theta = _assignments(args.theta, "--theta")
    interest = args.interest.split(",") if args.interest else None
    d = sf.optimal_design(
        model, theta=theta, space=_parse_space(args.space), criterion=args.criterion, interest=interest
    )
    out: dict[str, Any] = {
        "model": args.model,
        "criterion": args.criterion,
        "points": d.points.tolist(),
        "weights": d.weights.tolist(),
        "criterion_value": d.criterion_value,
        "max_sensitivity": d.max_sensitivity,
        "sensitivity_bound": d.sensitivity_bound,
        "efficiency_bound": d.efficiency_bound,
        "efficiency_formula": d.efficiency_formula,
    }
    if args.n:
        ex = d.round(args.n)
        out["exact"] = {"n": args.n, "counts": ex.counts.tolist(), "efficiency": ex.efficiency}
    if args.compare:
        pts = [float(v) for v in args.compare.split(",")]
        eff = sf.efficiency(sf.Design(pts), d)
        out["compare"] = {"points": pts, "efficiency": eff, "sample_size_ratio": 1.0 / eff}
    if getattr(args, "plot", None):
        from symfisher.report.plots import plot_sensitivity

        plot_sensitivity(d, args.plot, title=f"{args.criterion}-optimal design for {args.model}")
        out["plot"] = args.plot
    return out


def _print(s: dict[str, Any], out: TextIO) -> None:
    print(f"{s['criterion']}-optimal design for {s['model']}:", file=out)
    for p, w in zip(s["points"], s["weights"]):
        print(f"  x = {p}  weight {w:.4f}", file=out)
    print(
        f"criterion value {s['criterion_value']:.6g}; certificate: max sensitivity "
        f"{s['max_sensitivity']:.8g} vs bound {s['sensitivity_bound']:.8g}",
        file=out,
    )
    print(f"efficiency >= {s['efficiency_bound']:.8f}  [{s['efficiency_formula']}]", file=out)
    if "exact" in s:
        e = s["exact"]
        print(f"exact allocation for n = {e['n']}: {e['counts']} (efficiency {e['efficiency']:.4f})", file=out)
    if "compare" in s:
        c = s["compare"]
        print(
            f"the {len(c['points'])}-point comparison design has efficiency {c['efficiency']:.3f}: it needs "
            f"{c['sample_size_ratio']:.2f}x the subjects of the optimal design",
            file=out,
        )


def _run(args: argparse.Namespace) -> int:
    from symfisher.errors import SymfisherError

    try:
        s = _summary(args)
    except (ValueError, KeyError, SymfisherError) as exc:
        print(f"symfisher design: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(s, indent=2))
    else:
        _print(s, sys.stdout)
    return 0


def _tour(out: TextIO) -> None:
    ns = argparse.Namespace(
        model="emax",
        x="x",
        params=None,
        noise="normal",
        link=None,
        space="0:150",
        theta="e0=0,emax=1,ed50=25",
        criterion="D",
        interest=None,
        n=120,
        compare="0,37.5,75,112.5,150",
        json=False,
        plot=None,
    )
    _print(_summary(ns), out)


COMMAND = Command(
    name="design",
    help="optimal experimental designs with certificates",
    configure=_configure,
    run=_run,
    description="Compute a locally optimal design for a catalog model, its "
    "equivalence-theorem certificate, an exact allocation and comparisons.",
)
TOUR = TourStep(order=30, title="Optimal design: a D-optimal dose-finding design with its certificate", run=_tour)
