"""JSON rendering of derivation results, readable back without ``eval``.

Every expression is stored as its SymPy ``str`` form, which the safe parser
(:func:`symfisher.parse.parse_expression`) reads back; the ``symbols`` table records
each symbol's sign/integer assumptions so that :func:`read_json` restores the very
same symbols. LaTeX and provenance (routes, numeric check, notes) ride along.

Examples
--------
>>> import sympy as sp
>>> s = sp.Symbol("sigma", positive=True)
>>> data = read_json(to_json(sp.ImmutableMatrix([[2 / s**2]])))
>>> data["matrix"] == sp.ImmutableMatrix([[2 / s**2]])
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sympy as sp

from symfisher.errors import InputError
from symfisher.report.derivation import Derivation, params_of
from symfisher.report.latex import to_latex

__all__ = ["FORMAT", "read_json", "to_dict", "to_json"]

FORMAT = "symfisher-derivation-1"
_ASSUMPTIONS = ("integer", "positive", "nonnegative", "negative", "nonpositive", "real")


def _symbol_entry(sym: sp.Symbol) -> dict[str, bool]:
    return {k: True for k in _ASSUMPTIONS if sym.assumptions0.get(k) is True}


def _symbols(exprs: Iterable[Any]) -> dict[str, dict[str, bool]]:
    found: dict[str, sp.Symbol] = {}
    for e in exprs:
        for s in getattr(e, "free_symbols", ()):
            if isinstance(s, sp.Symbol) and not isinstance(s, sp.Dummy):
                if s.name in found and found[s.name] != s:
                    raise InputError(f"to_json: two different symbols are both named {s.name!r}")
                found[s.name] = s
    return {name: _symbol_entry(found[name]) for name in sorted(found)}


def _cells(m: Any) -> list[list[str]]:
    m = sp.ImmutableMatrix(m)
    return [[str(m[i, j]) for j in range(m.cols)] for i in range(m.rows)]


def _check(report: Any) -> dict[str, Any] | None:
    if report is None:
        return None
    return {
        "method": report.method,
        "points": list(report.points),
        "residual": report.residual,
        "tolerance": report.tolerance,
        "dps": report.dps,
        "hessian_checked": report.hessian_checked,
        "summary": str(report),
    }


def _fisher_dict(result: Any) -> tuple[dict[str, Any], list[Any]]:
    """The Fisher part of the JSON and the expressions it contains."""
    if getattr(result, "is_numeric", False):
        p = len(result.family.params)
        closed = {f"{i},{j}": str(e) for (i, j), e in sorted(result.closed.items())}
        return (
            {
                "numeric": True,
                "shape": [p, p],
                "closed": closed,
                "numeric_entries": [list(ij) for ij in result.numeric],
                "notes": list(result.notes),
            },
            list(result.closed.values()),
        )
    out = {
        "numeric": False,
        "matrix": _cells(result.matrix),
        "latex": to_latex(result.matrix),
        "provenance": {
            "routes": [list(r) for r in result.routes],
            "method": result.method,
            "route": result.route,
            "seconds": result.seconds,
            "check": _check(result.check),
            "notes": list(result.notes),
        },
    }
    return out, [result.matrix]


def to_dict(obj: Any) -> dict[str, Any]:
    """A JSON-ready dict of a Derivation, a FisherResult/NumericFisher, a matrix or an expression.

    Returns
    -------
    dict
        Keys: ``format``, ``symbols`` (name → assumptions), ``params`` (names, the row
        order), and depending on ``obj``: ``family`` and ``logpdf``, ``fisher`` (with
        ``matrix`` as nested lists of strings, ``latex`` and ``provenance``),
        ``score``, ``hessian``, ``jeffreys``; a bare matrix gives ``matrix`` and
        ``latex``, a bare expression ``expr`` and ``latex``.
    """
    params = params_of(obj)
    out: dict[str, Any] = {"format": FORMAT, "params": [str(p) for p in params] if params else None}
    exprs: list[Any] = list(params or ())
    if isinstance(obj, Derivation):
        fam = obj.family
        out["family"] = getattr(fam, "name", "custom")
        out["variables"] = [str(v) for v in fam.variables]
        out["logpdf"] = str(fam.logpdf)
        out["fisher"], more = _fisher_dict(obj.fisher)
        exprs += [fam.logpdf, *fam.variables, *more]
        for key in ("score", "hessian", "jeffreys"):
            value = getattr(obj, key)
            if value is not None:
                text = _cells(value) if isinstance(value, sp.MatrixBase) else str(value)
                out[key] = {"value": text, "latex": to_latex(value)}
                exprs.append(value)
    elif getattr(obj, "is_numeric", False) or hasattr(obj, "matrix") and hasattr(obj, "routes"):
        out["fisher"], more = _fisher_dict(obj)
        exprs += more
    elif isinstance(obj, sp.MatrixBase):
        out["matrix"], out["latex"] = _cells(obj), to_latex(obj)
        exprs.append(obj)
    else:
        expr = sp.sympify(obj)
        out["expr"], out["latex"] = str(expr), to_latex(expr)
        exprs.append(expr)
    out["symbols"] = _symbols(exprs)
    return out


def to_json(obj: Any, indent: int | None = 2) -> str:
    """:func:`to_dict` serialised with :func:`json.dumps` (sorted keys)."""
    return json.dumps(to_dict(obj), indent=indent, sort_keys=True)


def _matrix_back(rows: list[list[str]], table: dict[str, sp.Symbol]) -> sp.ImmutableMatrix:
    from symfisher.parse import parse_expression

    return sp.ImmutableMatrix([[parse_expression(c, table, allow_new_symbols=False) for c in row] for row in rows])


def read_json(text: str) -> dict[str, Any]:
    """Read :func:`to_json` output back into SymPy objects, with the safe parser.

    Returns
    -------
    dict
        ``symbols`` (name → Symbol), ``params`` (tuple of Symbol) and whichever of
        ``matrix`` (the Fisher matrix, or a bare matrix), ``expr``, ``logpdf``,
        ``score``, ``hessian``, ``jeffreys`` the document holds.
    """
    from symfisher.parse import parse_expression

    data = json.loads(text)
    if data.get("format") != FORMAT:
        raise InputError(f"read_json: not a {FORMAT} document (format={data.get('format')!r})")
    table = {name: sp.Symbol(name, **assumptions) for name, assumptions in data["symbols"].items()}
    out: dict[str, Any] = {"symbols": table, "params": tuple(table[p] for p in data.get("params") or ())}
    fisher = data.get("fisher")
    if fisher and not fisher.get("numeric"):
        out["matrix"] = _matrix_back(fisher["matrix"], table)
    if "matrix" in data:
        out["matrix"] = _matrix_back(data["matrix"], table)
    for key in ("expr", "logpdf"):
        if key in data:
            out[key] = parse_expression(data[key], table, allow_new_symbols=False)
    for key in ("score", "hessian", "jeffreys"):
        if key in data:
            value = data[key]["value"]
            out[key] = (
                _matrix_back(value, table)
                if isinstance(value, list)
                else parse_expression(value, table, allow_new_symbols=False)
            )
    return out
