"""Readable plain-text rendering of Fisher matrices and derivation results.

Rows and columns are labelled with the parameters, so the parameter order (the order
of ``family.params``) is never left implicit.

Examples
--------
>>> import sympy as sp
>>> mu, s = sp.symbols("mu sigma", positive=True)
>>> print(format_matrix(sp.ImmutableMatrix([[1 / s**2, 0], [0, 2 / s**2]]), (mu, s)))
         mu           sigma
mu       sigma**(-2)  0
sigma    0            2/sigma**2
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy as sp

from symfisher.errors import InputError
from symfisher.families.protocol import FamilyLike
from symfisher.report.derivation import Derivation, params_of

__all__ = ["format_matrix", "format_result"]

MAX_WIDTH = 100
"""Widest table line; wider matrices are listed entry by entry."""


def _grid(cells: list[list[str]], rows: Sequence[str], cols: Sequence[str]) -> list[str]:
    first = max(len(r) for r in rows) + 4
    widths = [max(len(c), *(len(row[j]) for row in cells)) + 2 for j, c in enumerate(cols)]
    header = " " * first + "".join(c.ljust(w) for c, w in zip(cols, widths))
    lines = [header.rstrip()]
    for name, row in zip(rows, cells):
        lines.append((name.ljust(first) + "".join(v.ljust(w) for v, w in zip(row, widths))).rstrip())
    return lines


def format_matrix(
    matrix: Any,
    params: Sequence[sp.Symbol] | None = None,
    *,
    name: str = "I",
    columns: Sequence[str] | None = None,
) -> str:
    """A matrix as a labelled table, or entry by entry when it is too wide.

    Parameters
    ----------
    matrix : sympy Matrix or array-like, shape (r, c)
        The entries (strings of SymPy expressions are shown as they are).
    params : sequence of Symbol, optional
        Row labels (length r); also the column labels when the matrix is square.
    name : str
        Name used in the entry-by-entry form (``I[mu, sigma] = ...``).
    columns : sequence of str, optional
        Column labels (length c); default the parameters, or ``0..c-1``.

    Returns
    -------
    str
    """
    m = sp.ImmutableMatrix(matrix)
    rows = [str(p) for p in params] if params is not None else [str(i) for i in range(m.rows)]
    if len(rows) != m.rows:
        raise InputError(f"format_matrix: {len(rows)} labels for a matrix with {m.rows} rows")
    if columns is None:
        columns = rows if m.cols == m.rows else [str(j) for j in range(m.cols)]
    cells = [[str(m[i, j]) for j in range(m.cols)] for i in range(m.rows)]
    lines = _grid(cells, rows, columns)
    if max(len(line) for line in lines) <= MAX_WIDTH and "\n" not in "".join(map("".join, cells)):
        return "\n".join(lines)
    out = []
    for i in range(m.rows):
        for j in range(m.cols):
            if m.rows == m.cols and j < i and m[i, j] == m[j, i]:
                continue
            label = f"{rows[i]}, {columns[j]}" if m.cols > 1 else rows[i]
            out.append(f"{name}[{label}] = {cells[i][j]}")
    return "\n".join(out)


def _provenance(result: Any) -> list[str]:
    if getattr(result, "is_numeric", False):
        out = ["entries without a closed form are evaluated numerically: " + ", ".join(map(str, result.numeric))]
        return out + [f"note: {n}" for n in result.notes]
    out = [f"route: {result.route}", f"method: {result.method}", f"derived in {result.seconds:.2f} s"]
    out.append(f"check: {result.check}" if result.check is not None else "check: none (check=False)")
    return out + [f"note: {n}" for n in result.notes]


def _numeric_cells(result: Any) -> sp.ImmutableMatrix:
    p = len(result.family.params)
    cells = [[result.closed.get((min(i, j), max(i, j)), sp.Symbol("<numeric>")) for j in range(p)] for i in range(p)]
    return sp.ImmutableMatrix(cells)


def _fisher_block(result: Any, params: tuple[sp.Symbol, ...] | None) -> list[str]:
    mat = _numeric_cells(result) if getattr(result, "is_numeric", False) else result.matrix
    order = ", ".join(map(str, params or ()))
    lines = [f"Fisher information I({order})  [rows and columns in the order {order}]"]
    lines += ["  " + line for line in format_matrix(mat, params).splitlines()]
    return lines + ["  " + line for line in _provenance(result)]


def _family_line(fam: FamilyLike) -> list[str]:
    name = getattr(fam, "name", "family")
    variables = ", ".join(map(str, fam.variables))
    theta = ", ".join(map(str, fam.params))
    fixed = getattr(fam, "fixed", ())
    extra = f"  (fixed constants: {', '.join(map(str, fixed))})" if fixed else ""
    return [f"{name}: log p({variables}; {theta}) = {fam.logpdf}{extra}"]


def _derivation(d: Derivation) -> str:
    lines = _family_line(d.family) + [""] + _fisher_block(d.fisher, d.params)
    if d.score is not None:
        lines += ["", "Score (gradient of log p):"]
        lines += ["  " + line for line in format_matrix(d.score, d.params, name="s", columns=["s"]).splitlines()]
    if d.hessian is not None:
        lines += ["", "Hessian of log p:"]
        lines += ["  " + line for line in format_matrix(d.hessian, d.params, name="H").splitlines()]
    if d.jeffreys is not None:
        lines += ["", f"Jeffreys prior (unnormalised): {d.jeffreys}"]
    return "\n".join(lines)


def format_result(obj: Any) -> str:
    """Plain text for a Derivation, a FisherResult/NumericFisher, a matrix or an expression.

    Examples
    --------
    >>> import sympy as sp
    >>> print(format_result(sp.Symbol("x") ** 2))
    x**2
    """
    if isinstance(obj, Derivation):
        return _derivation(obj)
    if getattr(obj, "is_numeric", False) or hasattr(obj, "matrix") and hasattr(obj, "routes"):
        return "\n".join(_fisher_block(obj, params_of(obj)))
    if isinstance(obj, sp.MatrixBase):
        return format_matrix(obj)
    return str(obj)
