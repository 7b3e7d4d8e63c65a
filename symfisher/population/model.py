"""``PopulationModel``: a nonlinear mixed-effects (population PK/PD) model, declared.

A model has structural responses ``f_k(φ, t, c)`` (``t`` the sampling time, ``c`` design
constants and covariates such as the dose), individual parameters
``φ = g(β, η, c)`` with random effects ``η ~ N(0, Ω)``, and a residual error model per
response. Parameter names (the order of every matrix):

* fixed effects ``β`` by name (``"CL"``); for the standard forms the fixed effect carries
  the individual parameter's name and its random effect is ``eta_<name>``;
* ``omega2_<name>`` for the variance of ``eta_<name>``; with ``omega="full"`` also
  ``omega_<a>_<b>`` for the covariance of ``eta_a`` and ``eta_b`` (a before b);
* ``sigma2_add``, ``sigma2_prop``, ``sigma2_exp`` residual variances (suffixed
  ``_<response>`` when the model has several responses).

Residual error (variance of one observation given ``f``): additive ``σ²_add``,
proportional ``σ²_prop f²``, combined ``σ²_add + σ²_prop f²`` (``y = f(1 + ε₁) + ε₂``, as
PopED's ``feps.add.prop``), exponential: the response is modelled on the log scale,
``log y = log f + ε``, with additive variance ``σ²_exp``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from symfisher.errors import ParseError, UnknownParameterError
from symfisher.options import OmegaStructure, option
from symfisher.options import ResidualError as ErrorModel
from symfisher.parse import parse_expression

__all__ = ["FORMS", "ErrorModel", "OmegaStructure", "PopulationModel"]


def _lognormal(b: sp.Symbol, e: sp.Symbol) -> sp.Expr:
    return b * sp.exp(e)


def _logitnormal(b: sp.Symbol, e: sp.Symbol) -> sp.Expr:
    return 1 / (1 + sp.exp(-(sp.log(b / (1 - b)) + e)))


FORMS: Mapping[str, Any] = {
    "lognormal": _lognormal,
    "normal": lambda b, e: b + e,
    "logitnormal": _logitnormal,
    "fixed": None,
}
"""Standard individual-parameter forms ``g(β, η)``; ``"fixed"`` means no random effect."""

_ERROR_SIGMAS: Mapping[ErrorModel, tuple[str, ...]] = {
    ErrorModel.ADDITIVE: ("add",),
    ErrorModel.PROPORTIONAL: ("prop",),
    ErrorModel.COMBINED: ("add", "prop"),
    ErrorModel.EXPONENTIAL: ("exp",),
}


def _sym(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


ODE_F0 = sp.Symbol("ode_F0", real=True)
"""Placeholder of a numerically integrated response (see :func:`ode_expansion`)."""


def ode_placeholders(
    ode: Any,
) -> tuple[list[sp.Symbol], list[list[sp.Symbol]], list[sp.Symbol]]:
    """Symbols of ∂f/∂φ (p), ∂²f/∂φ² (p×p) and the expansion point φ₀ (p) of an ODE response."""
    names = [p.name for p in ode.params]
    g = [sp.Symbol(f"ode_G_{a}", real=True) for a in names]
    h = [[sp.Symbol(f"ode_H_{a}_{b}", real=True) for b in names] for a in names]
    return g, h, [sp.Symbol(f"ode_phi0_{a}", real=True) for a in names]


def ode_expansion(ode: Any, individual: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
    """``F0 + Σ G_i (g_i − φ0_i) + ½ Σ H_ij (g_i − φ0_i)(g_j − φ0_j)``.

    Its first and second derivatives in β and η at ``φ0 = g(β, η)`` are exactly the chain rule
    applied to the numerically computed ``f``, ``∂f/∂φ`` and ``∂²f/∂φ²``; the kernel
    substitutes ``φ0 → g`` after differentiating.
    """
    g, h, phi0 = ode_placeholders(ode)
    d = [individual[p] - q for p, q in zip(ode.params, phi0)]
    lin = sum((gi * di for gi, di in zip(g, d)), sp.Integer(0))
    quad = sum(
        (h[i][j] * d[i] * d[j] for i in range(len(d)) for j in range(len(d))),
        sp.Integer(0),
    )
    return ODE_F0 + lin + quad / 2


def _is_ode(obj: Any) -> bool:
    return type(obj).__name__ == "NonlinearOde" and hasattr(obj, "rhs")


def _check_ode(ode: Any, phis: set[sp.Symbol], covariates: set[sp.Symbol]) -> None:
    names = {p.name for p in phis}
    bad = [p.name for p in ode.params if p.name not in names]
    if bad:
        raise UnknownParameterError(f"ODE parameter(s) {bad} are not individual parameters {sorted(names)}")
    cov_names = {c.name for c in covariates}
    bad = [c.name for c in ode.covariates if c.name not in cov_names]
    if bad:
        raise UnknownParameterError(f"ODE constant(s) {bad} are not covariates of the model {sorted(cov_names)}")


def _responses(obj: Any, table: dict[str, sp.Symbol]) -> tuple[tuple[str, sp.Expr], ...]:
    items = obj.items() if isinstance(obj, Mapping) else [("y", obj)]
    out = []
    for name, expr in items:
        e = parse_expression(expr, table) if isinstance(expr, str) else sp.sympify(expr)
        out.append((str(name), e))
    if not out:
        raise ParseError("a population model needs at least one response")
    return tuple(out)


def _individual(obj: Mapping[str, Any], table: dict[str, sp.Symbol]) -> tuple[tuple[sp.Symbol, sp.Expr], ...]:
    out = []
    for name, form in obj.items():
        phi = table.setdefault(name, _sym(name))
        key = form.strip().lower().replace("-", "").replace("_", "") if isinstance(form, str) else None
        if key is not None and key in FORMS:
            make = FORMS[key]
            g = phi if make is None else make(phi, _sym(f"eta_{name}"))
        elif isinstance(form, str):
            g = parse_expression(form, table)
        else:
            g = sp.sympify(form)
        out.append((phi, g))
    return tuple(out)


@dataclass(frozen=True)
class PopulationModel:
    """A nonlinear mixed-effects model (see the module docstring for names and forms).

    Parameters
    ----------
    responses : str, sympy.Expr or mapping of str to those
        Structural model(s) ``f_k`` in the individual parameters, the time and the
        covariates (K responses; a single one is named ``"y"``).
    individual : mapping of str to str or sympy.Expr
        Individual parameter → form: ``"lognormal"`` (``β·exp(η)``), ``"normal"``
        (``β + η``), ``"logitnormal"``, ``"fixed"`` (``β``, no random effect), or an
        expression in fixed effects, ``eta_*`` random effects and covariates.
    error : str or mapping of response name to str
        ``"additive"``, ``"proportional"``, ``"combined"`` or ``"exponential"``.
    time : str
        Name of the sampling-time variable.
    covariates : sequence of str
        Design constants and covariates (dose, weight, ...), given per group.
    omega : {"diagonal", "full"}
    fixed : sequence of str
        Parameters (fixed effects, Ω entries, σ²) known rather than estimated.
    name : str

    Examples
    --------
    >>> m = PopulationModel(
    ...     "DOSE*F*KA/(V*(KA - CL/V))*(exp(-CL/V*t) - exp(-KA*t))",
    ...     {"CL": "lognormal", "V": "lognormal", "KA": "lognormal", "F": "fixed"},
    ...     error="proportional", covariates=["DOSE"], fixed=["F"])
    >>> m.parameters
    ('CL', 'V', 'KA', 'omega2_CL', 'omega2_V', 'omega2_KA', 'sigma2_prop')
    """

    responses: Any
    individual: Any
    error: Any = "proportional"
    time: Any = "t"
    covariates: Any = ()
    omega: Any = "diagonal"
    fixed: Any = ()
    name: str = "population model"
    ode: Any = None
    _table: dict[str, sp.Symbol] = field(default_factory=dict, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        table = self._table
        t = table.setdefault(str(self.time), _sym(str(self.time)))
        covs = tuple(table.setdefault(str(c), _sym(str(c))) for c in self.covariates)
        ind = _individual(dict(self.individual), table)
        if _is_ode(self.responses):
            object.__setattr__(self, "ode", self.responses)
            resp: tuple[tuple[str, sp.Expr], ...] = (("y", ODE_F0),)
        else:
            resp = _responses(self.responses, table)
        errs = self.error if isinstance(self.error, Mapping) else {n: self.error for n, _ in resp}
        unknown = set(errs) - {n for n, _ in resp}
        if unknown:
            raise UnknownParameterError(f"error model given for unknown response(s) {sorted(unknown)}")
        errors = tuple(option(ErrorModel, errs.get(n, "proportional"), f"error[{n!r}]") for n, _ in resp)
        for k, v in (
            ("time", t),
            ("covariates", covs),
            ("individual", ind),
            ("responses", resp),
            ("error", errors),
            ("omega", option(OmegaStructure, self.omega, "omega")),
            ("fixed", tuple(str(f) for f in self.fixed)),
        ):
            object.__setattr__(self, k, v)
        self._check_symbols()
        bad = set(self.fixed) - set(self.all_parameters)
        if bad:
            raise UnknownParameterError(
                f"fixed parameter(s) {sorted(bad)} not in the model; its parameters are {list(self.all_parameters)}"
            )

    def _check_symbols(self) -> None:
        phis = {p for p, _ in self.individual}
        if self.ode is not None:
            _check_ode(self.ode, phis, set(self.covariates))
            return
        allowed = phis | {self.time} | set(self.covariates)
        for name, f in self.responses:
            extra = f.free_symbols - allowed
            if extra:
                raise UnknownParameterError(
                    f"response {name!r} uses {sorted(s.name for s in extra)}, which are neither individual "
                    f"parameters {sorted(p.name for p in phis)}, covariates nor the time {self.time.name!r}"
                )
        for phi, g in self.individual:
            if self.time in g.free_symbols:
                raise ParseError(f"individual parameter {phi.name!r} depends on the time {self.time.name!r}")

    # -- symbols ----------------------------------------------------------------------
    @functools.cached_property
    def beta(self) -> tuple[sp.Symbol, ...]:
        """All fixed effects (estimated or not), in order of appearance."""
        seen: list[sp.Symbol] = []
        skip = set(self.eta) | set(self.covariates)
        for _, g in self.individual:
            for s in sorted(g.free_symbols - skip, key=lambda s: s.name):
                if s not in seen:
                    seen.append(s)
        return tuple(seen)

    @functools.cached_property
    def eta(self) -> tuple[sp.Symbol, ...]:
        """Random effects (symbols named ``eta_*``), in order of appearance."""
        seen: list[sp.Symbol] = []
        for _, g in self.individual:
            for s in sorted(g.free_symbols, key=lambda s: s.name):
                if s.name.startswith("eta_") and s not in seen:
                    seen.append(s)
        return tuple(seen)

    @functools.cached_property
    def omega_entries(self) -> tuple[tuple[str, int, int], ...]:
        """(name, i, j) of every Ω entry: the variances, then (full Ω) the covariances i < j."""
        sfx = [e.name[4:] for e in self.eta]
        out = [(f"omega2_{s}", i, i) for i, s in enumerate(sfx)]
        if self.omega is OmegaStructure.FULL:
            out += [(f"omega_{sfx[i]}_{sfx[j]}", i, j) for i in range(len(sfx)) for j in range(i + 1, len(sfx))]
        return tuple(out)

    @functools.cached_property
    def sigma_entries(self) -> tuple[tuple[str, int, str], ...]:
        """(name, response index, kind) of every residual variance; kind in add/prop/exp."""
        many = len(self.responses) > 1
        return tuple(
            (f"sigma2_{kind}" + (f"_{name}" if many else ""), k, kind)
            for k, ((name, _), err) in enumerate(zip(self.responses, self.error))
            for kind in _ERROR_SIGMAS[err]
        )

    @functools.cached_property
    def sigma(self) -> tuple[sp.Symbol, ...]:
        """Symbols of the residual variances (order of :attr:`sigma_entries`)."""
        return tuple(sp.Symbol(n, nonnegative=True) for n, _, _ in self.sigma_entries)

    @functools.cached_property
    def all_parameters(self) -> tuple[str, ...]:
        """Every parameter name: fixed effects, Ω entries, σ² (fixed ones included)."""
        return (
            tuple(b.name for b in self.beta)
            + tuple(n for n, _, _ in self.omega_entries)
            + tuple(n for n, _, _ in self.sigma_entries)
        )

    @property
    def parameters(self) -> tuple[str, ...]:
        """Estimated parameters, in matrix order: fixed effects, then Ω entries, then σ²."""
        return tuple(n for n in self.all_parameters if n not in self.fixed)

    def estimated_mask(self, names: Sequence[str]) -> list[bool]:
        """``[name not in fixed for name in names]``."""
        return [n not in self.fixed for n in names]

    # -- symbolic pieces ------------------------------------------------------------------
    @functools.cached_property
    def predictions(self) -> tuple[sp.Expr, ...]:
        """``f_k(g(β, η, c), t, c)`` per response (log f for exponential error)."""
        sub = dict(self.individual)
        out = []
        for (_, f), err in zip(self.responses, self.error):
            e = ode_expansion(self.ode, sub) if self.ode is not None else f.xreplace(sub)
            out.append(sp.log(e) if err is ErrorModel.EXPONENTIAL else e)
        return tuple(out)

    def residual_variance(self, k: int, pred: sp.Expr) -> sp.Expr:
        """Residual variance of response ``k`` given its (η-dependent) prediction."""
        terms = []
        for sym, (_, kk, kind) in zip(self.sigma, self.sigma_entries):
            if kk == k:
                terms.append(sym * pred**2 if kind == "prop" else sym)
        return sp.Add(*terms)

    def symbol(self, name: str) -> sp.Symbol:
        """The symbol of a time, covariate, individual parameter or fixed effect named ``name``."""
        for s in (self.time, *self.covariates, *self.beta, *self.eta):
            if s.name == name:
                return s
        raise UnknownParameterError(f"{name!r} is not a symbol of the model")
