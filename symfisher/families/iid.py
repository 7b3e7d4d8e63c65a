"""n independent copies of a family.

``sf.iid(fam, n)`` is family-like: it has the family's parameters, domains and
constraints, and ``sf.fisher`` returns n·I(θ) (the information of n independent
observations adds up). ``n`` is a positive integer or a positive SymPy symbol.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

from symfisher.errors import SymfisherError
from symfisher.families.protocol import FamilyLike

__all__ = ["IID", "iid"]


@dataclass(frozen=True)
class IID:
    """n independent copies of ``family``.

    Attributes
    ----------
    family : Family
        The distribution of one observation (p parameters).
    n : sympy.Expr
        Number of copies (positive integer or positive symbol).
    """

    family: FamilyLike
    n: sp.Expr

    @property
    def params(self) -> tuple[sp.Symbol, ...]:
        """The parameters θ of the underlying family (length p)."""
        return tuple(self.family.params)

    @property
    def domains(self) -> Mapping[sp.Symbol, sp.Set]:
        """Parameter domains of the underlying family."""
        return self.family.domains

    @property
    def constraints(self) -> tuple[sp.Basic, ...]:
        """Joint parameter constraints of the underlying family."""
        return tuple(self.family.constraints)

    @property
    def dim(self) -> int:
        """Number of parameters p."""
        return len(self.family.params)

    @property
    def regular(self) -> bool:
        """Whether the underlying family is regular."""
        return bool(self.family.regular)

    @property
    def key(self) -> str:
        """Content key: the family's key and n."""
        return f"iid({self.family.key},{sp.srepr(self.n)})"

    def __repr__(self) -> str:
        return f"iid({self.family!r}, n={self.n})"


def iid(fam: FamilyLike, n: int | sp.Expr) -> IID:
    """n independent copies of a family.

    Parameters
    ----------
    fam : Family
        One observation's family.
    n : int or sympy.Symbol
        A positive integer or a symbol declared positive.

    Returns
    -------
    IID
        Family-like; ``sf.fisher(iid(fam, n)) == n * sf.fisher(fam)``, shape (p, p).

    Raises
    ------
    SymfisherError
        If n is not a positive integer or positive symbol.

    Examples
    --------
    >>> import symfisher as sf
    >>> x = sp.Symbol("x"); lam = sp.Symbol("lam", positive=True)
    >>> sf.fisher(sf.iid(sf.Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo)), 5))
    Matrix([[5/lam**2]])
    """
    n_expr = sp.sympify(n)
    if n_expr.is_number:
        if not (n_expr.is_integer and n_expr.is_positive):
            raise SymfisherError(f"iid: n must be a positive integer, got {n}")
    elif not (isinstance(n_expr, sp.Symbol) and n_expr.is_positive):
        raise SymfisherError(f"iid: a symbolic n must be a Symbol declared positive, got {n} ({n_expr.assumptions0})")
    if not hasattr(fam, "logpdf"):
        raise SymfisherError(f"iid: expected a Family, got {type(fam).__name__}")
    return IID(fam, n_expr)
