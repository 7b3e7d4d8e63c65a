"""LaTeX rendering of Fisher matrices, expressions, families and derivation results.

Examples
--------
>>> import sympy as sp
>>> print(to_latex(sp.ImmutableMatrix([[1, 0], [0, 2]])))
\\begin{pmatrix}1 & 0\\\\0 & 2\\end{pmatrix}
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from symfisher.errors import InputTypeError
from symfisher.families.protocol import FamilyLike
from symfisher.report.derivation import Derivation, params_of

__all__ = ["to_latex"]


def _theta(params: tuple[sp.Symbol, ...] | None) -> str:
    return "" if not params else r"\left(" + ", ".join(sp.latex(s) for s in params) + r"\right)"


def _matrix(m: Any) -> str:
    return sp.latex(sp.ImmutableMatrix(m), mat_str="pmatrix", mat_delim="")


def _expr(e: Any) -> str:
    if isinstance(e, sp.MatrixBase):
        return _matrix(e)
    return sp.latex(e)


def _numeric_fisher(nf: Any) -> str:
    p = len(nf.family.params)
    rows = []
    for i in range(p):
        cells = []
        for j in range(p):
            key = (min(i, j), max(i, j))
            cells.append(sp.latex(nf.closed[key]) if key in nf.closed else r"\text{numeric}")
        rows.append(" & ".join(cells))
    return r"\begin{pmatrix}" + r"\\".join(rows) + r"\end{pmatrix}"


def _fisher_line(result: Any, params: tuple[sp.Symbol, ...] | None) -> str:
    body = _numeric_fisher(result) if getattr(result, "is_numeric", False) else _matrix(result.matrix)
    return r"\mathcal{I}" + _theta(params) + " = " + body


def _variables(fam: FamilyLike) -> str:
    return ", ".join(sp.latex(v) for v in fam.variables)


def _family(fam: FamilyLike) -> str:
    theta = ", ".join(sp.latex(s) for s in fam.params)
    return rf"\log p\left({_variables(fam)}; {theta}\right) = {sp.latex(fam.logpdf)}"


def _derivation(d: Derivation) -> str:
    theta = _theta(d.params)
    lines = [_family(d.family), _fisher_line(d.fisher, d.params)]
    if d.score is not None:
        lines.append(r"\nabla_\theta \log p = " + _matrix(d.score))
    if d.hessian is not None:
        lines.append(r"\nabla^2_\theta \log p = " + _matrix(d.hessian))
    if d.jeffreys is not None:
        lines.append(r"\pi_J" + theta + r" \propto " + sp.latex(d.jeffreys))
    return (
        r"\begin{aligned}"
        + r" \\ ".join(line.replace(" = ", " &= ", 1).replace(r" \propto ", r" &\propto ", 1) for line in lines)
        + r"\end{aligned}"
    )


def to_latex(obj: Any) -> str:
    """LaTeX source for a matrix, an expression, a family or a derivation result.

    Parameters
    ----------
    obj : sympy Matrix, sympy Expr, FisherResult, NumericFisher, Derivation or Family
        A matrix (any shape) renders as a ``pmatrix``; a Fisher result as
        ``\\mathcal{I}(θ) = (...)`` with θ in the order of the rows; a
        :class:`~symfisher.report.derivation.Derivation` as an ``aligned`` block with
        the log-density, the Fisher matrix and whatever else was derived (score,
        Hessian, Jeffreys prior); a family as its log-density. Entries of a
        :class:`NumericFisher` without a closed form show as ``\\text{numeric}``.

    Returns
    -------
    str
        LaTeX for math mode (no surrounding ``$``).

    Examples
    --------
    >>> import sympy as sp
    >>> s = sp.Symbol("sigma", positive=True)
    >>> print(to_latex(2 / s**2))
    \\frac{2}{\\sigma^{2}}
    """
    if isinstance(obj, Derivation):
        return _derivation(obj)
    if getattr(obj, "is_numeric", False) or hasattr(obj, "matrix") and hasattr(obj, "routes"):
        return _fisher_line(obj, params_of(obj))
    if hasattr(obj, "logpdf") and hasattr(obj, "variables"):
        return _family(obj)
    if isinstance(obj, (sp.Basic, sp.MatrixBase, int, float)):
        return _expr(sp.sympify(obj))
    raise InputTypeError(f"to_latex: cannot render an object of type {type(obj).__name__}")
