"""Refuse singular Fisher matrices with the parameter combinations that cause them.

A Fisher matrix whose determinant vanishes identically (``N(a + b, 1)``: only ``a + b``
is identifiable) has no inverse: Cramér–Rao bounds, the inverse metric and the
Christoffel symbols do not exist. :func:`require_invertible` says so and names the null
space (the directions ``v`` with ``I v = 0``) instead of SymPy's "Matrix det == 0".
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from symfisher.errors import NotIdentifiableError

__all__ = ["null_directions", "require_invertible"]


def null_directions(info: sp.Matrix, params: Sequence[sp.Symbol]) -> list[str]:
    """The null space of ``info`` as readable directions (``-da + db``: raise b, lower a)."""
    out = []
    for v in sp.Matrix(info).nullspace(simplify=True):
        out.append(str(sum(sp.simplify(c) * sp.Symbol(f"d{p}") for c, p in zip(v, params))))
    return out


def require_invertible(info: sp.Matrix, params: Sequence[sp.Symbol], what: str) -> None:
    """Raise :class:`NotIdentifiableError` when ``det info`` vanishes identically.

    Examples
    --------
    >>> a, b = sp.symbols("a b")
    >>> require_invertible(sp.Matrix([[1, 1], [1, 1]]), [a, b], "cramer_rao")
    Traceback (most recent call last):
    ...
    symfisher.errors.NotIdentifiableError: cramer_rao: the Fisher matrix is singular ...
    """
    det = sp.simplify(sp.Matrix(info).det(method="berkowitz"))
    if det != 0:
        return
    dirs = null_directions(info, params)
    raise NotIdentifiableError(
        f"{what}: the Fisher matrix is singular (det = 0 for all parameter values): the data do not "
        f"identify the parameters {[str(p) for p in params]} separately; moving along "
        f"{'; '.join(dirs) or 'a null direction'} leaves the distribution unchanged. "
        "Reparametrise with fewer parameters."
    )
