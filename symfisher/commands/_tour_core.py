"""Tour step 10: catalog families, a user-written family, reparametrisation, Jeffreys."""

from __future__ import annotations

from typing import TextIO

__all__ = ["core_tour"]


def _indent(text: str, pad: str = "    ") -> str:
    return "\n".join(pad + line for line in text.splitlines()) + "\n"


def _catalog(out: TextIO) -> None:
    import symfisher as sf
    from symfisher.derive.fisher.api import derive_fisher
    from symfisher.report.text import format_result

    for name in ("normal", "weibull"):
        fam = sf.family(name)
        out.write(f"  sf.family({name!r}) -> {fam!r}\n")
        out.write(_indent(format_result(derive_fisher(fam))))


def _user_family(out: TextIO) -> None:
    import sympy as sp

    from symfisher.derive.fisher.api import derive_fisher
    from symfisher.errors import ParseError
    from symfisher.families.base import Family
    from symfisher.parse import parse_expression, parse_param, parse_support
    from symfisher.report.text import format_result

    text = "log(2) + log(x) - 2*log(s) - x**2/s**2"
    s, dom = parse_param("s:positive")
    x = sp.Symbol("x", real=True)
    fam = Family(parse_expression(text, {"s": s, "x": x}), x, {s: dom}, parse_support("(0, oo)"), name="user")
    out.write(f"  user-written log-density (parsed without eval): {text}\n")
    out.write(_indent(format_result(derive_fisher(fam))))
    for bad in ("__import__('os').system('echo pwned')", "().__class__.__bases__"):
        try:
            parse_expression(bad)
        except ParseError as exc:
            out.write(f"  rejected {bad!r}: {exc}\n")


def _reparam_and_jeffreys(out: TextIO) -> None:
    import sympy as sp

    import symfisher as sf

    fam = sf.family("exponential")
    lam = fam.params[0]
    beta = sp.Symbol("beta", positive=True)
    new = fam.reparametrize({lam: 1 / beta}, [beta])
    i_beta = sf.fisher(new)
    jac = sp.Matrix([[sp.diff(1 / beta, beta)]])
    pulled = sp.simplify(jac.T * sf.fisher(fam).subs(lam, 1 / beta) * jac)
    out.write(
        f"  exponential: I(lambda) = {sf.fisher(fam)[0]}; with lambda = 1/beta: I(beta) = {i_beta[0]}"
        f"  (J^T I J = {pulled[0]}: {'agrees' if sp.simplify(pulled[0] - i_beta[0]) == 0 else 'DIFFERS'})\n"
    )
    normal = sf.family("normal")
    out.write(f"  Jeffreys prior of the normal (mu, sigma): {sf.jeffreys_prior(normal)}\n")


def core_tour(out: TextIO) -> None:
    """Write the core demonstration to ``out``."""
    _catalog(out)
    _user_family(out)
    _reparam_and_jeffreys(out)
