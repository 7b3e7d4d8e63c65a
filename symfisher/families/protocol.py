"""``FamilyLike``: what the derivation engine reads from a family (a typing Protocol).

:class:`~symfisher.families.base.Family` is the reference implementation; functions in
:mod:`symfisher.derive` annotate their family argument with this Protocol instead of
``Any`` so that the type checker sees which attributes the engine relies on. It is a
static contract only (not ``runtime_checkable``): at run time the engine still accepts
duck-typed objects and checks them where it must (``is_family``).

Every member is read-only, so frozen dataclasses and properties satisfy it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import sympy as sp

from symfisher.families.base import SupportLike

__all__ = ["FamilyLike"]


class FamilyLike(Protocol):
    """A parametric family as the engine sees it (see :class:`~symfisher.families.base.Family`).

    Attributes
    ----------
    logpdf : sympy.Expr
        log p(x; θ).
    variables : tuple of Symbol, length q
        The data variables x.
    params : tuple of Symbol, length p
        The parameters θ, in the order of every derived matrix.
    support : Set, Simplex or tuple of Sets
    domains : Mapping[Symbol, Set]
        Parameter → domain.
    constraints : tuple of sympy relations
        Joint parameter constraints.
    name : str
    key : str
        Content key (cache identity).
    fixed : tuple of Symbol
        Free symbols that are neither data nor parameters.
    is_discrete : bool
    regular : bool
    irregularity : str or None
        Why the family is not regular (None when it is).
    pdf : sympy.Expr
        exp(logpdf).
    """

    @property
    def logpdf(self) -> sp.Expr: ...
    @property
    def variables(self) -> tuple[sp.Symbol, ...]: ...
    @property
    def params(self) -> tuple[sp.Symbol, ...]: ...
    @property
    def support(self) -> SupportLike: ...
    @property
    def domains(self) -> Mapping[sp.Symbol, sp.Set]: ...
    @property
    def constraints(self) -> tuple[sp.Basic, ...]: ...
    @property
    def name(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def fixed(self) -> tuple[sp.Symbol, ...]: ...
    @property
    def is_discrete(self) -> bool: ...
    @property
    def regular(self) -> bool: ...
    @property
    def irregularity(self) -> str | None: ...
    @property
    def pdf(self) -> sp.Expr: ...
