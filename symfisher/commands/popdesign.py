"""``symfisher popdesign``: evaluate or optimise population (mixed-effects) designs.

The model comes from a model file of literal assignments (never executed; see
:mod:`symfisher.population.spec`) or from ``--model`` and its companion options, parsed
by the safe expression parser.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from symfisher.commands.registry import Command


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "file",
        nargs="?",
        default=None,
        help="model file (literal assignments; see symfisher.population.spec)",
    )
    p.add_argument("--model", default=None, help="structural model expression (instead of a file)")
    p.add_argument(
        "--individual",
        default=None,
        help="NAME=FORM,... (lognormal, normal, logitnormal, fixed)",
    )
    p.add_argument(
        "--error",
        default="proportional",
        help="additive, proportional, combined, exponential",
    )
    p.add_argument("--covariates", default="", help="comma-separated design constants (e.g. DOSE)")
    p.add_argument("--fixed", default="", help="comma-separated parameters that are not estimated")
    p.add_argument("--theta", default=None, help="NAME=VALUE,... for every parameter")
    p.add_argument("--times", default=None, help="comma-separated sampling times (one group)")
    p.add_argument("--n", type=float, default=None, help="subjects of the group")
    p.add_argument("--set", default="", help="covariate values of the group, NAME=VALUE,...")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--evaluate", action="store_true", help="evaluate the design (default)")
    mode.add_argument("--optimize", action="store_true", help="optimise the sampling times")
    p.add_argument("--structure", default="full", help="full or reduced FIM (default full)")
    p.add_argument("--approximation", default="FO", help="FO or FOCE (FOCE-type, see docs)")
    p.add_argument("--criterion", default="D", help="D, lnD, Ds, A, c, E (optimisation)")
    p.add_argument(
        "--interest",
        default=None,
        help="parameters of interest for Ds (comma-separated)",
    )
    p.add_argument("--windows", default=None, help="lo:hi for every sampling time")
    p.add_argument("--min-spacing", type=float, default=None, help="minimum time between samples")
    p.add_argument("--starts", type=int, default=2, help="extra random starts of the optimiser")
    p.add_argument("--power", default=None, metavar="PARAM", help="Wald-test power for PARAM")
    p.add_argument(
        "--effect",
        type=float,
        default=None,
        help="true difference for --power (default: its value)",
    )
    p.add_argument("--target", type=float, default=0.8, help="target power for the subjects needed")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="machine-readable output")
    out.add_argument("--latex", action="store_true", help="LaTeX table of the RSEs")


def _pairs(text: str) -> dict[str, str]:
    from symfisher.errors import ParseError

    out = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, eq, value = item.partition("=")
        if not eq:
            raise ParseError(f"expected NAME=VALUE, got {item!r}")
        out[name.strip()] = value.strip()
    return out


def _inline(args: argparse.Namespace) -> Any:
    from symfisher.errors import ParseError
    from symfisher.population.model import PopulationModel
    from symfisher.population.spec import ModelFile

    if not (args.individual and args.theta and args.times):
        raise ParseError("--model needs --individual, --theta and --times (or give a model file)")
    covs = [c.strip() for c in args.covariates.split(",") if c.strip()]
    model = PopulationModel(
        args.model,
        _pairs(args.individual),
        error=args.error,
        covariates=covs,
        fixed=[f.strip() for f in args.fixed.split(",") if f.strip()],
    )
    theta = {k: float(v) for k, v in _pairs(args.theta).items()}
    group = {
        "times": [float(v) for v in args.times.split(",")],
        "n": args.n or 1.0,
        **{k: float(v) for k, v in _pairs(args.set).items()},
    }
    return ModelFile(model, theta, group)


def _load(args: argparse.Namespace) -> Any:
    from symfisher.errors import ParseError
    from symfisher.population.spec import read_model_file

    if args.file and args.model:
        raise ParseError("give a model file or --model, not both")
    if args.file:
        return read_model_file(args.file)
    if args.model:
        return _inline(args)
    raise ParseError("give a model file or --model EXPR")


def _summary(args: argparse.Namespace) -> dict[str, Any]:
    import symfisher as sf

    spec = _load(args)
    out: dict[str, Any] = {"model": spec.model.name}
    if args.optimize:
        windows = tuple(float(v) for v in args.windows.split(":")) if args.windows else spec.windows
        spacing = spec.min_spacing if args.min_spacing is None else args.min_spacing
        res = sf.optimal_population_design(
            spec.model,
            spec.design,
            spec.theta,
            criterion=args.criterion,
            windows=windows,
            min_spacing=spacing,
            interest=args.interest.split(",") if args.interest else None,
            structure=args.structure,
            starts=args.starts,
        )
        fim = res.fim
        out["optimization"] = {
            "criterion": res.criterion,
            "value": res.value,
            "initial_value": res.initial_value,
            "efficiency_of_initial": res.efficiency,
            "subjects_ratio": res.subjects_ratio,
            "seconds": res.seconds,
            "converged": res.converged,
            "text": res.summary(),
        }
    else:
        fim = sf.population_fim(
            spec.model,
            spec.design,
            spec.theta,
            structure=args.structure,
            approximation=args.approximation,
        )
    out["fim"] = fim.to_dict()
    out["summary"] = fim.summary()
    if args.power:
        pw = sf.population_power(
            spec.model,
            fim.design,
            spec.theta,
            args.power,
            effect=args.effect,
            power=args.target,
            structure=args.structure,
        )
        out["power"] = {**pw.to_dict(), "text": pw.summary()}
    return out


def _latex(s: dict[str, Any]) -> str:
    f = s["fim"]
    rows = [r"\begin{tabular}{lrrr}", r"parameter & value & SE & RSE (\%) \\ \hline"]
    for n, v in zip(f["parameters"], f["values"]):
        name = n.replace("_", r"\_")
        rows.append(rf"{name} & {v:.4g} & {f['se'][n]:.4g} & {f['rse_percent'][n]:.2f} \\")
    rows.append(r"\end{tabular}")
    return "\n".join(rows)


def _print(s: dict[str, Any], out: TextIO) -> None:
    if "optimization" in s:
        print(s["optimization"]["text"], file=out)
        print(file=out)
    print(s["summary"], file=out)
    if "power" in s:
        print(s["power"]["text"], file=out)


def _run(args: argparse.Namespace) -> int:
    from symfisher.errors import SymfisherError

    try:
        s = _summary(args)
    except (ValueError, KeyError, SymfisherError) as exc:
        print(f"symfisher popdesign: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(s, indent=2))
    elif args.latex:
        print(_latex(s))
    else:
        _print(s, sys.stdout)
    return 0


COMMAND = Command(
    name="popdesign",
    help="population (mixed-effects) designs: FIM, RSE, optimal sampling times",
    configure=_configure,
    run=_run,
    description="Evaluate (FO/FOCE-type, full or reduced FIM) or optimise the sampling times of a "
    "population PK/PD design given as a model file of literal assignments or by --model.",
)
