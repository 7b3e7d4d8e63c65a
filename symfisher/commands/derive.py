"""``symfisher derive``: the Fisher matrix of a catalog or user-written family.

Examples
--------
::

    symfisher derive gamma
    symfisher derive student_t --param nu=4 --latex
    symfisher derive binomial --json --score --jeffreys
    symfisher derive --logpdf "-(x - mu)**2/(2*sigma**2) - log(sigma) - log(2*pi)/2" \\
        --var x --param "mu:real" --param "sigma:positive" --support "(-oo, oo)"
    symfisher derive --pdf "p**x*(1 - p)**(1 - x)" --var x --param "p:(0, 1)" --support "{0, 1}"

Expression strings are read by the safe parser (:mod:`symfisher.parse`), never
evaluated; a rejected string is an error with exit code 2 and nothing runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from symfisher.commands.registry import Command, TourStep

_EPILOG = """\
A catalog family: FAMILY [--param NAME=VALUE ...] (fixed constants or sizes, e.g. nu=4, k=3).
A user-written family: --logpdf EXPR (or --pdf EXPR) --var x --param mu:real
  --param sigma:positive --support "(-oo, oo)"; domains: real, positive, negative,
  nonnegative, nonpositive, integer, positive_integer, nonnegative_integer, or an
  interval like "(0, 1)"; supports: "(a, b)", "[a, b)", ..., "0..oo", "0..n", "{0, 1}",
  "{(0, 1), (1, 0)}" or "simplex" for vector data.
Expressions use SymPy's syntax (exp, log, sqrt, gamma, polygamma, besseli, ...) and
are parsed without eval. An expression that starts with '-' and has no spaces must
be attached with '=': --logpdf="-x**2/2-log(2*pi)/2".
"""


def _configure(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = _EPILOG
    p.add_argument("family", nargs="?", metavar="FAMILY", help="catalog name (see 'symfisher families')")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--logpdf", metavar="EXPR", help="log-density of a user-written family")
    src.add_argument("--pdf", metavar="EXPR", help="density of a user-written family")
    p.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME[:KIND]",
        help="data variable, KIND real or integer (default: from its support; repeatable)",
    )
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="SPEC",
        help="NAME[:DOMAIN] parameter, or NAME=VALUE fixed constant (repeatable)",
    )
    p.add_argument(
        "--params", action="extend", nargs="+", dest="param", metavar="SPEC", help="several --param SPECs at once"
    )
    p.add_argument(
        "--const",
        action="append",
        default=[],
        metavar="NAME[:DOMAIN]",
        help="symbolic fixed constant with a domain (repeatable; others are real)",
    )
    p.add_argument(
        "--support", action="append", default=[], metavar="SET", help="support of each variable (repeatable)"
    )
    p.add_argument(
        "--constraint",
        action="append",
        default=[],
        metavar="REL",
        help="joint constraint on the parameters, e.g. 'p1 + p2 < 1' (repeatable)",
    )
    p.add_argument("--name", default="custom", help="name of a user-written family")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--latex", action="store_true", help="print LaTeX")
    fmt.add_argument("--json", action="store_true", help="print JSON (expressions readable by the safe parser)")
    p.add_argument("--score", action="store_true", help="also print the score vector")
    p.add_argument("--hessian", action="store_true", help="also print the Hessian of the log-density")
    p.add_argument("--jeffreys", action="store_true", help="also print the Jeffreys prior")
    p.add_argument("--method", default="auto", choices=["auto", "expfam", "hessian", "score"])
    p.add_argument(
        "--allow-numeric", action="store_true", help="accept a numeric evaluation when no closed form exists"
    )


def family_from_args(args: argparse.Namespace) -> Any:
    """The Family selected by parsed ``derive`` arguments (ParseError on bad input)."""
    from symfisher.commands._userfamily import UserSpec, build_user_family, catalog_options
    from symfisher.errors import ParseError, SymfisherError

    density = args.logpdf if args.logpdf is not None else args.pdf
    if args.family and density is not None:
        raise ParseError("give either a catalog FAMILY or --logpdf/--pdf, not both")
    if args.family:
        import symfisher as sf

        if args.var or args.support or args.const or args.constraint:
            raise ParseError(
                "--var/--support/--const/--constraint describe a user-written family; not allowed with FAMILY"
            )
        options = catalog_options(args.param)
        try:
            return sf.family(args.family, **options)
        except SymfisherError:
            raise
        except (TypeError, ValueError) as exc:
            raise SymfisherError(f"{args.family} with {options}: {exc}") from None
    if density is None:
        raise ParseError("nothing to derive: give a catalog FAMILY or --logpdf EXPR (see --help)")
    spec = UserSpec(
        density=density,
        is_pdf=args.pdf is not None,
        variables=tuple(args.var),
        params=tuple(args.param),
        supports=tuple(args.support),
        constants=tuple(args.const),
        name=args.name,
        constraints=tuple(args.constraint),
    )
    return build_user_family(spec)


def _run(args: argparse.Namespace) -> int:
    from symfisher.report.derivation import derive_report

    fam = family_from_args(args)
    result = derive_report(
        fam,
        method=args.method,
        allow_numeric=args.allow_numeric,
        score=args.score,
        hessian=args.hessian,
        jeffreys=args.jeffreys,
    )
    if args.latex:
        from symfisher.report.latex import to_latex

        text = to_latex(result)
    elif args.json:
        from symfisher.report.jsonout import to_json

        text = to_json(result)
    else:
        from symfisher.report.text import format_result

        text = format_result(result)
    sys.stdout.write(text + "\n")
    return 0


COMMAND = Command(
    name="derive",
    help="derive the Fisher information of a catalog or user-written family",
    configure=_configure,
    run=_run,
    description="Derive the Fisher information (and optionally score, Hessian, Jeffreys prior) "
    "of a catalog or user-written family, verified numerically.",
)


def _tour(out: Any) -> None:
    from symfisher.commands._tour_core import core_tour

    core_tour(out)


TOUR = TourStep(order=10, title="Core: closed-form Fisher information, verified", run=_tour)
