"""Regression models: a predictor, a response family (noise) and a link.

The per-point Fisher information is exact: ``I(x, θ) = J(x, θ)ᵀ I_noise(φ) J(x, θ)``,
where ``φ(x, θ)`` is the noise family's whole parameter vector (mean parameter through
the link, nuisance parameters fixed, estimated or modelled) and ``J = ∂φ/∂θ``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from symfisher._runtime.caches import memo
from symfisher.errors import InputTypeError, SymfisherError
from symfisher.families.base import Family
from symfisher.models.likelihood import likelihood, link_inverse
from symfisher.options import Link, option


def _symbols(obj: Any, what: str) -> tuple[sp.Symbol, ...]:
    items = (obj,) if isinstance(obj, sp.Symbol) else tuple(obj)
    for s in items:
        if not isinstance(s, sp.Symbol):
            raise InputTypeError(f"{what} must be SymPy Symbols, got {s!r}")
    return items


def _catalog_names() -> set[str]:
    from symfisher.models.likelihood import MEAN_FORMS

    return {lk.family for lk in MEAN_FORMS.values()}


def _resolve_noise(
    noise: str | Family, link: str | Link | None, mu: sp.Expr, kw: dict[str, Any]
) -> tuple[Family, Link, tuple[sp.Expr, ...]]:
    """The noise family, the link and the family's parameters as expressions (φ)."""
    if isinstance(noise, Family):
        lk = option(Link, link or "identity", "link")
        missing = [s.name for s in noise.params[1:] if s.name not in kw]
        if missing:
            raise SymfisherError(f"noise family {noise.name}: give a value or expression for {missing}")
        values = {
            noise.params[0].name: link_inverse(lk, mu),
            **{s.name: sp.sympify(kw.pop(s.name)) for s in noise.params[1:]},
        }
        return noise, lk, tuple(values[s.name] for s in noise.params)
    spec = likelihood(noise)
    lk = option(Link, link or spec.default_link, "link")
    absent = [c for c in spec.constants if c not in kw]
    if absent:
        raise SymfisherError(f"noise {noise!r} needs the constant(s) {absent} as numbers (e.g. {absent[0]}=10)")
    consts = {c: kw.pop(c) for c in spec.constants}
    for c, v in consts.items():
        if not isinstance(sp.sympify(v), sp.Number):
            raise SymfisherError(f"noise {noise!r}: the constant {c} must be a number, got {v!r}")
    missing = [n for n in spec.nuisance if n not in kw]
    if missing:
        raise SymfisherError(
            f"noise {noise!r} needs {missing}: a number fixes it (sigma=1), a symbol "
            "listed in params estimates it, an expression in θ and x models it"
        )
    nuis = {n: sp.sympify(kw.pop(n)) for n in spec.nuisance}
    fam = __import__("symfisher.families.registry", fromlist=["family"]).family(spec.family, **consts)
    values = spec.params_of(link_inverse(lk, mu), nuis, {c: sp.sympify(v) for c, v in consts.items()})
    return fam, lk, tuple(values[s.name] for s in fam.params)


@dataclass(frozen=True, init=False)
class Regression:
    """A regression model ``y ~ noise(g⁻¹(η(x, θ)), nuisance)``.

    Parameters
    ----------
    predictor_expr : sympy.Expr
        The linear predictor ``η(x, θ)`` (the mean itself for the identity link).
    x : Symbol or sequence of Symbol
        Design variables (``q`` factors).
    params : sequence of Symbol
        Unknown parameters ``θ`` (their order is the order of every matrix).
    noise : str or Family
        ``"normal"`` (alias ``"gaussian"``), ``"bernoulli"``, ``"binomial"``, ``"poisson"``,
        ``"gamma"``, ``"negative_binomial"``, ``"student_t"``, or a Family whose first
        parameter is the mean.
    link : {"identity", "logit", "probit", "cloglog", "log"}, optional
        Default: the noise's customary link.
    **noise_kwargs
        Nuisance parameters (``sigma``, ``alpha``): a number fixes one, a symbol in
        ``params`` estimates it, an expression in θ and x models it; constants
        (``n``, ``nu``, ``r``) are numbers.

    Examples
    --------
    >>> x = sp.Symbol("x", nonnegative=True); e0, emax = sp.symbols("e0 emax", real=True)
    >>> ed50 = sp.Symbol("ed50", positive=True)
    >>> m = Regression(e0 + emax * x / (ed50 + x), x, [e0, emax, ed50], noise="normal", sigma=1)
    >>> m.fisher_information().shape
    (3, 3)
    """

    predictor: sp.Expr
    x: tuple[sp.Symbol, ...]
    params: tuple[sp.Symbol, ...]
    noise: Family
    link: Link
    family_params: tuple[sp.Expr, ...]
    name: str
    # How the noise was given (catalog name or Family, and its keywords): kept to re-resolve
    # the mean in a dummy predictor; not part of equality, hash or repr.
    _noise_name: str | Family = field(repr=False, compare=False)
    _noise_kwargs: tuple[tuple[str, sp.Expr], ...] = field(repr=False, compare=False)

    def __init__(
        self,
        predictor_expr: Any,
        x: sp.Symbol | Sequence[sp.Symbol],
        params: Sequence[sp.Symbol],
        noise: str | Family = "normal",
        link: str | Link | None = None,
        *,
        name: str = "regression",
        **noise_kwargs: Any,
    ) -> None:
        eta = sp.sympify(predictor_expr)
        xs, ps = _symbols(x, "x"), _symbols(params, "params")
        if not ps:
            raise SymfisherError("a regression needs at least one parameter")
        kw = dict(noise_kwargs)
        fam, lk, phi = _resolve_noise(noise, link, eta, kw)
        if kw:
            raise SymfisherError(f"unknown keyword(s) {sorted(kw)} for noise {getattr(noise, 'name', noise)!r}")
        extra = set().union(*(e.free_symbols for e in phi)) - set(xs) - set(ps)
        if extra:
            raise SymfisherError(f"symbols {sorted(map(str, extra))} are neither design variables nor parameters")
        unused = [p for p in ps if not any(e.has(p) for e in phi)]
        if unused:
            raise SymfisherError(f"parameters {unused} do not appear in the model")
        object.__setattr__(self, "_noise_name", noise)
        object.__setattr__(self, "_noise_kwargs", tuple(sorted((k, sp.sympify(v)) for k, v in noise_kwargs.items())))
        for k, v in (
            ("predictor", eta),
            ("x", xs),
            ("params", ps),
            ("noise", fam),
            ("link", lk),
            ("family_params", phi),
            ("name", name),
        ):
            object.__setattr__(self, k, v)

    @property
    def mean(self) -> sp.Expr:
        """The mean response parameter ``g⁻¹(η)`` (the noise family's mean parameter)."""
        return link_inverse(self.link, self.predictor)

    def jacobian(self) -> sp.Matrix:
        """``J = ∂φ/∂θ``, shape (len(noise.params), p)."""
        return sp.Matrix(self.family_params).jacobian(list(self.params))

    def noise_information(self) -> sp.Matrix:
        """The noise family's Fisher matrix with its parameters replaced by ``φ(x, θ)``."""
        from symfisher.derive.fisher.api import fisher

        sub = dict(zip(self.noise.params, self.family_params))
        return sp.Matrix(fisher(self.noise)).subs(sub)

    def factor(self) -> sp.Matrix | None:
        """``f`` (1 × p) with ``I = fᵀ f`` when only one noise parameter depends on θ, else None."""
        return _factor(self)

    def _factor_uncached(self) -> sp.Matrix | None:
        J = self.jacobian()
        rows = [i for i in range(J.rows) if any(e != 0 for e in J.row(i))]
        if len(rows) != 1:
            return None
        k = rows[0]
        In = self.noise_information()
        w = self._mean_weight(k)
        if w is not None:
            return w * sp.Matrix([self.predictor]).jacobian(list(self.params))
        return sp.sqrt(In[k, k]) * J.row(k)

    def _mean_weight(self, k: int) -> sp.Expr | None:
        """``sqrt(I_kk) ∂φ_k/∂η`` simplified in a dummy ``η`` when φ_k depends on θ only via η."""
        eta = sp.Dummy("eta", real=True)
        noise = self.noise if self.noise.name not in _catalog_names() else self._noise_name
        _, _, phi_eta = _resolve_noise(noise, self.link, eta, dict(self._noise_kwargs))
        if phi_eta[k].free_symbols & set(self.params) or not phi_eta[k].has(eta):
            return None
        from symfisher.derive.fisher.api import fisher

        sub = dict(zip(self.noise.params, phi_eta))
        ikk = sp.Matrix(fisher(self.noise))[k, k].subs(sub)
        w = sp.simplify(sp.sqrt(sp.simplify(ikk * sp.diff(phi_eta[k], eta) ** 2)))
        return w.subs(eta, self.predictor)

    def fisher_information(self, method: str = "auto", **options: Any) -> sp.ImmutableMatrix:
        """Per-observation Fisher information ``I(x, θ)`` at design point x, shape (p, p).

        ``sf.fisher(model)`` dispatches here. ``method``/``options`` are accepted for
        symmetry with families; the noise family's matrix comes from ``sf.fisher``.
        """
        f = self.factor()
        if f is not None:
            return sp.ImmutableMatrix(f.T * f)
        J = self.jacobian()
        return sp.ImmutableMatrix(J.T * self.noise_information() * J)

    def __repr__(self) -> str:  # noqa: D105
        return (
            f"Regression({self.name}: {self.predictor}, x={list(self.x)}, params={list(self.params)}, "
            f"noise={self.noise.name}, link={self.link.value})"
        )


@memo(maxsize=128)
def _factor(model: Regression) -> sp.Matrix | None:
    """Cache of :meth:`Regression.factor`, keyed by the (hashable, immutable) model."""
    f = model._factor_uncached()
    return None if f is None else sp.ImmutableMatrix(f)
