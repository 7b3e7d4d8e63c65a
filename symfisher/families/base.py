"""The :class:`Family`: a parametric family written down declaratively.

A family is a log-density in SymPy, its data variables, its parameters with their
domains, its support and (optionally) joint constraints on the parameters. It holds
no Fisher code: every derived quantity comes from the generic engine in
:mod:`symfisher.derive`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, TypeAlias

import sympy as sp

from symfisher.errors import InputError, InputTypeError, SymfisherError, UnknownNameError
from symfisher.families.domains import domain_from_assumptions
from symfisher.families.sets import Simplex
from symfisher.families.validate import check_support_sets, check_symbol_names

SupportLike: TypeAlias = sp.Set | Simplex | tuple
ParamsLike: TypeAlias = Sequence[sp.Symbol] | Mapping[sp.Symbol, sp.Set]


def _as_tuple(obj: Any, what: str) -> tuple[sp.Symbol, ...]:
    items = (obj,) if isinstance(obj, sp.Symbol) else tuple(obj)
    for s in items:
        if not isinstance(s, sp.Symbol):
            raise InputTypeError(f"{what} must be SymPy Symbols, got {s!r} of type {type(s).__name__}")
    if len(set(items)) != len(items):
        raise InputError(f"{what} contain a repeated symbol: {items}")
    return items


def _support_sets(support: SupportLike) -> tuple[Any, ...]:
    return tuple(support) if isinstance(support, tuple) else (support,)


def _is_integer_set(s: Any) -> bool:
    if isinstance(s, sp.Range):
        return True
    if isinstance(s, sp.FiniteSet):
        return all(getattr(e, "is_integer", False) for e in s)
    return s in (sp.Integers, sp.Naturals, sp.Naturals0)


def _support_free_symbols(support: SupportLike) -> set[sp.Symbol]:
    out: set[sp.Symbol] = set()
    for s in _support_sets(support):
        out |= set(getattr(s, "free_symbols", set()))
    return out


@dataclass(frozen=True)
class Family:
    """A parametric family of distributions given by its log-density.

    Parameters
    ----------
    logpdf : sympy.Expr
        log p(x; θ), including normalising constants.
    variables : Symbol or sequence of Symbol
        The data variable(s) x (length q).
    params : sequence of Symbol, or dict {Symbol: Set}
        The parameters θ (length p), in the order every derived matrix follows. A dict
        gives each parameter's domain explicitly (e.g. ``sp.Interval.open(0, 1)``);
        otherwise the domain comes from the symbol's assumptions.
    support : Set, Simplex or tuple of Sets
        An ``Interval`` for a continuous variable, a ``Range`` for an integer variable,
        a ``FiniteSet`` of points (tuples for vector data), a tuple of sets for
        independent components, or :class:`~symfisher.families.sets.Simplex`.
    constraints : sequence of sympy relations, optional
        Joint constraints on the parameters that no per-parameter domain can state
        (``p1 + p2 < 1``).
    name : str, optional
        A short name (catalog entries use their registry name).
    parametrization : str, optional
        Human-readable description of the parametrisation (shown in the repr).
    citation : str, optional
        Where the density (and its published Fisher matrix) can be found.

    Attributes
    ----------
    domains : Mapping[Symbol, Set]
        Read-only map parameter → domain.
    fixed : tuple of Symbol
        Free symbols of the density that are neither data nor parameters (a binomial's
        n, a Student-t's ν); they stay symbolic in every result.
    regular : bool
        False when the support depends on a parameter (then ``sf.fisher`` raises
        :class:`~symfisher.errors.NonRegularFamilyError`).

    Examples
    --------
    >>> x = sp.Symbol("x"); lam = sp.Symbol("lam", positive=True)
    >>> fam = Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo))
    >>> fam.params, fam.regular
    ((lam,), True)
    """

    logpdf: sp.Expr
    variables: tuple[sp.Symbol, ...]
    params: tuple[sp.Symbol, ...]
    support: SupportLike
    constraints: tuple[sp.Basic, ...] = ()
    name: str = "custom"
    parametrization: str = ""
    citation: str = ""
    domains: Mapping[sp.Symbol, sp.Set] = field(default_factory=dict)

    def __init__(
        self,
        logpdf: sp.Expr,
        variables: sp.Symbol | Sequence[sp.Symbol],
        params: ParamsLike,
        support: SupportLike,
        constraints: Iterable[sp.Basic] = (),
        name: str = "custom",
        parametrization: str = "",
        citation: str = "",
    ) -> None:
        set_ = object.__setattr__
        set_(self, "logpdf", sp.sympify(logpdf))
        set_(self, "variables", _as_tuple(variables, "variables"))
        if isinstance(params, Mapping):
            doms = {s: sp.sympify(d) for s, d in params.items()}
            params_t = _as_tuple(list(params), "params")
        else:
            params_t = _as_tuple(params, "params")
            doms = {s: domain_from_assumptions(s) for s in params_t}
        set_(self, "params", params_t)
        set_(self, "domains", MappingProxyType(doms))
        set_(self, "support", support)
        set_(self, "constraints", tuple(sp.sympify(c) for c in constraints))
        set_(self, "name", name)
        set_(self, "parametrization", parametrization)
        set_(self, "citation", citation)
        self._validate()

    # ------------------------------------------------------------------ checks
    def _validate(self) -> None:
        symbols = self.logpdf.free_symbols | _support_free_symbols(self.support) | set(self.variables)
        check_symbol_names(symbols.union(self.params, *(c.free_symbols for c in self.constraints)))
        clash = set(self.variables) & set(self.params)
        if clash:
            raise InputError(f"symbols are both data variables and parameters: {sorted(map(str, clash))}")
        free = self.logpdf.free_symbols
        for s in self.params:
            if s not in free:
                raise SymfisherError(
                    f"parameter {s} does not appear in the log-density {self.logpdf}; "
                    "a parameter must enter the density"
                )
            if not isinstance(self.domains[s], sp.Set):
                raise InputTypeError(f"domain of parameter {s} must be a SymPy Set, got {self.domains[s]!r}")
        self._validate_support()

    def _validate_support(self) -> None:
        sets = _support_sets(self.support)
        if isinstance(self.support, Simplex):
            if self.support.n != len(self.variables):
                raise SymfisherError(
                    f"support {self.support} has {self.support.n} coordinates but the family has "
                    f"{len(self.variables)} data variables {self.variables}"
                )
            return
        if len(sets) > 1 and len(sets) != len(self.variables):
            raise SymfisherError(
                f"support is a tuple of {len(sets)} sets but there are {len(self.variables)} data variables"
            )
        if len(sets) == 1 and len(self.variables) > 1 and not isinstance(sets[0], sp.FiniteSet):
            raise SymfisherError(
                f"{len(self.variables)} data variables need a tuple of sets, a FiniteSet of "
                f"tuples or a Simplex as support, got {self.support}"
            )
        if len(self.variables) == 1 or len(sets) > 1:
            check_support_sets(self.variables, sets if len(sets) > 1 else sets * len(self.variables))
        for var, s in zip(self.variables, sets if len(sets) > 1 else sets * len(self.variables)):
            if not isinstance(s, sp.Set):
                raise InputTypeError(f"support of {var} must be a SymPy Set, got {s!r}")
            if var.is_integer and isinstance(s, sp.Interval):
                raise SymfisherError(
                    f"variable {var} is declared integer but its support {s} is an interval; use sp.Range for a count"
                )
            if var.is_integer is False and _is_integer_set(s):
                raise SymfisherError(f"variable {var} is declared non-integer but its support {s} is discrete")

    # -------------------------------------------------------------- properties
    @property
    def pdf(self) -> sp.Expr:
        """The density (or probability mass function) exp(logpdf)."""
        return sp.exp(self.logpdf)

    @property
    def dim(self) -> int:
        """Number of parameters p."""
        return len(self.params)

    @property
    def fixed(self) -> tuple[sp.Symbol, ...]:
        """Free symbols that are neither data nor parameters, sorted by name."""
        free = self.logpdf.free_symbols | _support_free_symbols(self.support)
        for c in self.constraints:
            free |= c.free_symbols
        rest = free - set(self.variables) - set(self.params)
        return tuple(sorted(rest, key=lambda s: s.name))

    @property
    def is_discrete(self) -> bool:
        """True when every data variable takes integer values (sums, not integrals)."""
        if isinstance(self.support, Simplex):
            return False
        sets = _support_sets(self.support)
        return all(_is_integer_set(s) for s in sets)

    @property
    def irregularity(self) -> str | None:
        """Why the family is not regular, or None when it is."""
        dep = _support_free_symbols(self.support) & set(self.params)
        if dep:
            names = ", ".join(sorted(map(str, dep)))
            return (
                f"the support {self.support} depends on the parameter(s) {names}: "
                "differentiation under the integral sign is not allowed, so the score "
                "does not have mean zero and the Fisher information (Cramér–Rao theory) "
                "does not apply"
            )
        return None

    @property
    def regular(self) -> bool:
        """False when the support depends on a parameter."""
        return self.irregularity is None

    @cached_property
    def key(self) -> str:
        """Deterministic content hash of the family (cache key; computed once per object)."""
        parts = [
            sp.srepr(self.logpdf),
            repr([sp.srepr(v) for v in self.variables]),
            repr([(sp.srepr(s), sp.srepr(self.domains[s])) for s in self.params]),
            str(self.support) if isinstance(self.support, Simplex) else sp.srepr(self.support),
            repr([sp.srepr(c) for c in self.constraints]),
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    # ----------------------------------------------------------- constructors
    @classmethod
    def from_pdf(
        cls,
        pdf: sp.Expr,
        variables: sp.Symbol | Sequence[sp.Symbol],
        params: ParamsLike,
        support: SupportLike,
        **kwargs: Any,
    ) -> Family:
        """Build a family from its density instead of its log-density.

        The logarithm is expanded with the data variables treated as real (integer
        for discrete supports), so ``log(exp(-(x - mu)**2 / 2))`` becomes a polynomial.

        Examples
        --------
        >>> x = sp.Symbol("x"); lam = sp.Symbol("lam", positive=True)
        >>> Family.from_pdf(lam * sp.exp(-lam * x), x, [lam], sp.Interval(0, sp.oo)).logpdf
        -lam*x + log(lam)
        """
        var_t = _as_tuple(variables, "variables")
        tmp = Family.__new__(cls)
        object.__setattr__(tmp, "support", support)
        integer = tmp.is_discrete if not isinstance(support, Simplex) else False
        dummies = {v: sp.Dummy(v.name, integer=True) if integer else sp.Dummy(v.name, real=True) for v in var_t}
        logpdf = sp.expand_log(sp.log(sp.sympify(pdf).xreplace(dummies)))
        logpdf = logpdf.xreplace({d: v for v, d in dummies.items()})
        return cls(logpdf, var_t, params, support, **kwargs)

    # ---------------------------------------------------------- transformations
    def reparametrize(self, mapping: Mapping[sp.Symbol, sp.Expr], new_params: ParamsLike, **kwargs: Any) -> Family:
        """The same family in new parameters η, given θ = θ(η).

        Parameters
        ----------
        mapping : dict {old parameter: expression in the new parameters}
            Every old parameter must be mapped (old parameters kept as they are may
            map to themselves).
        new_params : sequence of Symbol or dict {Symbol: Set}
            The new parameters, in the order of the new family's matrices.

        Examples
        --------
        >>> x = sp.Symbol("x"); lam = sp.Symbol("lam", positive=True); b = sp.Symbol("beta", positive=True)
        >>> fam = Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo))
        >>> fam.reparametrize({lam: 1 / b}, [b]).logpdf
        log(1/beta) - x/beta
        """
        names = {s.name: s for s in self.params}
        for key in mapping:
            if key in self.params:
                continue
            name = getattr(key, "name", str(key))
            same = (
                f" (the family's {name} has different assumptions: use fam.params to get it)" if name in names else ""
            )
            raise UnknownNameError(
                f"reparametrize: {name!r} is not a parameter of {self.name}{same}; "
                f"its parameters are {[s.name for s in self.params]}"
            )
        missing = [s for s in self.params if s not in mapping]
        if missing:
            raise UnknownNameError(f"reparametrize: no expression given for parameter(s) {missing}")
        subs = {k: sp.sympify(v) for k, v in mapping.items()}
        support = self.support
        if not isinstance(support, Simplex):
            sets = tuple(s.subs(subs) for s in _support_sets(support))
            support = sets if isinstance(self.support, tuple) else sets[0]
        opts: dict[str, Any] = {
            "constraints": tuple(c.subs(subs) for c in self.constraints),
            "name": f"{self.name} (reparametrized)",
            "citation": self.citation,
        }
        opts.update(kwargs)
        return Family(self.logpdf.subs(subs), self.variables, new_params, support, **opts)

    def with_fixed(self, **values: Any) -> Family:
        """Substitute values for fixed constants by name (``fam.with_fixed(nu=4)``)."""
        by_name = {s.name: s for s in self.fixed}
        unknown = sorted(set(values) - set(by_name))
        if unknown:
            raise SymfisherError(
                f"{self.name}: {unknown} are not fixed constants of this family "
                f"(its constants are {sorted(by_name) or 'none'})"
            )
        subs = {by_name[k]: sp.sympify(v) for k, v in values.items()}
        support = self.support
        if not isinstance(support, Simplex):
            sets = tuple(s.subs(subs) for s in _support_sets(support))
            support = sets if isinstance(self.support, tuple) else sets[0]
        return Family(
            self.logpdf.subs(subs),
            self.variables,
            dict(self.domains),
            support,
            constraints=tuple(c.subs(subs) for c in self.constraints),
            name=self.name,
            parametrization=self.parametrization,
            citation=self.citation,
        )

    def __repr__(self) -> str:
        par = f", {self.parametrization}" if self.parametrization else ""
        fixed = f", fixed={list(self.fixed)}" if self.fixed else ""
        return f"Family({self.name!r}{par}, params={list(self.params)}{fixed})"

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Family) and other.key == self.key
