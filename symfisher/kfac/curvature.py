"""Output curvature of any likelihood, derived in SymPy (symbolic side of K-FAC / Laplace).

For a family ``p(y | theta)`` and a link ``theta = theta(f)`` from the network output
``f`` (k symbols), the Fisher in ``f`` is ``Lambda(f) = J^T I(theta(f)) J`` with
``J = d theta / d f`` and ``I`` the family's Fisher matrix derived by :func:`symfisher.fisher`
(restricted to the linked parameters; the others are held fixed). The GGN curvature is
the Hessian of ``-log p`` in ``f``; both agree for canonical links (Poisson with log
link, Bernoulli with logit, Gaussian mean) and differ when the Hessian depends on ``y``
(Student-t, a variance head, negative binomial with log link) — then the Hessian can be
indefinite and the Fisher is the curvature to use. A factor ``S`` (``S S^T = Lambda``) is
the elementwise square root of a diagonal ``Lambda``; for a multinomial covariance
``Lambda = diag(p) - p p^T`` (verified symbolically against the derived class
probabilities ``p``, with ``sum p = 1``) it is ``diag(sqrt p) - p sqrt(p)^T``, which exists
although ``Lambda`` is singular; otherwise the Cholesky factor.

Categorical (softmax) likelihood: ``"categorical"`` (3 classes, the catalog default) or
``"categorical_<k>"`` uses the family's corner coordinates (data ``x_1..x_{k-1}``,
parameters ``p_1..p_{k-1}``, outcome 0 implied) with ``k`` outputs and the softmax link
``p_j = e^{f_j} / sum_i e^{f_i}``, so class index ``c`` goes with output ``f_c``
(``c >= 1``: ``x_c = 1``; ``c = 0``: every ``x`` zero). Then ``Lambda = diag(p) - p p^T``
equals the GGN (Bishop 2006, PRML eq. 4.110). For such finite (one-hot) supports the
Fisher is the class sum ``sum_c P_c g_c g_c^T`` (or the ``y``-free Hessian it equals),
checked numerically, so any number of classes works without integrating the family's
Fisher; the nll is written as ``logsumexp(f) - f_c`` (no cancellation in ``1 - sum p``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import sympy as sp

from symfisher.codegen.api import compile as compile_kernel
from symfisher.derive.fisher.api import fisher
from symfisher.errors import DerivationError
from symfisher.families.protocol import FamilyLike
from symfisher.families.registry import family as family_by_name
from symfisher.kfac.onehot import natural_key, one_hot, one_hot_curvature, output_symbols, softmax_link, tidy
from symfisher.options import Likelihood

_CATEGORICAL = re.compile(r"categorical(?:_(\d+))?$")

# name -> (family, {parameter: link in the outputs f0, f1, ...}, E[y] in f); sigma, nu, r stay symbolic
LINKS: dict[str, tuple[str, dict[str, str], str]] = {
    "gaussian": ("normal", {"mu": "f0"}, "f0"),
    "bernoulli": ("bernoulli", {"p": "1/(1 + exp(-f0))"}, "1/(1 + exp(-f0))"),
    "poisson": ("poisson", {"lambda": "exp(f0)"}, "exp(f0)"),
    "student_t": ("student_t", {"mu": "f0"}, "f0"),
    "negative_binomial": ("negative_binomial", {"p": "r/(r + exp(f0))"}, "exp(f0)"),
    "heteroscedastic_gaussian": ("normal", {"mu": "f0", "sigma": "exp(f1/2)"}, "f0"),
}


@dataclass(frozen=True)
class OutputCurvature:
    """Derived output curvature of a likelihood.

    Attributes
    ----------
    name : str
    outputs : tuple of Symbol
        The network outputs ``f`` (length k).
    data : tuple of Symbol
        The observation ``y`` (several symbols for vector data, e.g. one-hot counts).
    nll : sympy.Expr
        ``-log p(y | theta(f))``.
    grad : ImmutableMatrix, shape (k, 1)
    fisher : ImmutableMatrix, shape (k, k)
        ``Lambda(f)``, free of ``y``.
    ggn : ImmutableMatrix, shape (k, k)
        Hessian of ``nll`` in ``f`` (may depend on ``y``).
    factor : ImmutableMatrix, shape (k, k)
        ``S`` with ``S S^T = Lambda`` (computed on first access).
    mean : sympy.Expr, ImmutableMatrix of shape (k, 1), or None
        ``E[y]`` as a function of ``f`` for the named likelihoods; for one-hot data the
        class probabilities ``(P(c = 0), ..., P(c = k - 1))``; else None.
    one_hot : bool
        The observation is one of ``len(data) + 1`` classes in the family's corner
        coordinates (class ``c >= 1``: ``x_c = 1``; class 0: all zero), so numeric
        labels are class indices.
    """

    name: str
    outputs: tuple[sp.Symbol, ...]
    data: tuple[sp.Symbol, ...]
    nll: sp.Expr
    grad: sp.ImmutableMatrix
    fisher: sp.ImmutableMatrix
    ggn: sp.ImmutableMatrix
    mean: sp.Expr | sp.ImmutableMatrix | None
    one_hot: bool = False

    @cached_property
    def factor(self) -> sp.ImmutableMatrix:
        """``S`` with ``S S^T = Lambda`` (diagonal sqrt, multinomial form, or Cholesky)."""
        return _factor(self.fisher, self.mean)

    @property
    def ggn_equals_fisher(self) -> bool:
        """Whether the Hessian of the nll in ``f`` is free of ``y``.

        For a regular family ``Lambda = E_y[Hessian]``, so a ``y``-free Hessian equals
        the Fisher, and one that depends on ``y`` differs from it as a function of ``y``.
        """
        return not (set(self.data) & self.ggn.free_symbols)

    @property
    def constant(self) -> bool:
        """Whether ``Lambda`` does not depend on ``f`` (K-FAC exact for the output layer)."""
        return not (self.fisher.free_symbols & set(self.outputs))


def _canonical(name: str) -> str:
    """The shared spelling of a likelihood name (``"normal"`` -> ``"gaussian"``); other
    catalog family names (used with an explicit ``link=``) pass through."""
    try:
        return Likelihood(name).value
    except ValueError:
        return name


def _resolve(
    family: str | FamilyLike, link: Mapping[Any, Any] | None
) -> tuple[FamilyLike, dict[sp.Symbol, sp.Expr], str, Any]:
    """Family object, ``{parameter: link expression}``, a label and the mean (text or SymPy)."""

    label = family if isinstance(family, str) else getattr(family, "name", "custom")
    mean = None
    if isinstance(family, str):
        cat = _CATEGORICAL.match(family)
        if cat:
            family = family_by_name("categorical", k=int(cat.group(1) or 3))
        else:
            family = _canonical(family)
            if link is None:
                if family not in LINKS:
                    raise DerivationError(
                        f"no default link for {family!r}; pass link= "
                        f"(defaults exist for {sorted(LINKS)} and "
                        "'categorical' / 'categorical_<k>')"
                    )
                family, link, mean = LINKS[family]
            family = family_by_name(family)
    if link is None and one_hot(family):
        link = softmax_link(family)
    if link is None:
        raise DerivationError(f"family {label!r}: pass link={{parameter: expression in f0, f1, ...}}")
    by_name = {str(p): p for p in family.params}
    out: dict[sp.Symbol, sp.Expr] = {}
    for key, expr in link.items():
        sym = by_name.get(str(key))
        if sym is None:
            raise DerivationError(f"link names {key!r}, not a parameter of {label!r} ({sorted(by_name)})")
        out[sym] = _link_expr(expr, family)
    return family, out, label, mean


def _link_expr(expr: Any, family: FamilyLike) -> sp.Expr:
    """A link given as SymPy or as text in ``f0, f1, ...`` and the family's symbols."""
    if isinstance(expr, sp.Basic):
        return expr
    from symfisher.parse import parse_expression

    local = {str(s): s for s in family.logpdf.free_symbols}
    top = max([7, *(int(i) for i in re.findall(r"\bf(\d+)\b", str(expr)))])
    names = {str(f): f for f in output_symbols(top + 1)}
    parsed = parse_expression(str(expr), symbols={**names, **local})
    return parsed


def _is_multinomial(lam: sp.ImmutableMatrix, mean: Any) -> bool:
    """Whether ``Lambda = diag(p) - p p^T`` with ``sum p = 1`` for ``p = mean`` (k, 1)."""
    if not isinstance(mean, sp.MatrixBase) or mean.shape != (lam.rows, 1):
        return False
    if tidy(sum(mean) - 1) != 0:
        return False
    diff = sp.Matrix(lam) - (sp.diag(*mean) - mean * mean.T)
    return all(tidy(e) == 0 for e in diff)


def _factor(lam: sp.ImmutableMatrix, mean: Any = None) -> sp.ImmutableMatrix:
    """``S`` with ``S S^T = Lambda``.

    Elementwise sqrt if ``Lambda`` is diagonal; ``diag(sqrt p) - p sqrt(p)^T`` if it is a
    multinomial covariance ``diag(p) - p p^T`` of the class probabilities ``p`` (then
    ``S S^T = diag(p) - 2 p p^T + p (sum p) p^T = Lambda``, singular yet factored);
    otherwise the Cholesky factor.
    """
    if lam.is_diagonal():
        return sp.ImmutableMatrix(sp.diag(*[sp.sqrt(lam[i, i]) for i in range(lam.rows)]))
    if _is_multinomial(lam, mean):
        root = sp.Matrix(mean).applyfunc(sp.sqrt)
        return sp.ImmutableMatrix(sp.diag(*root) - sp.Matrix(mean) * root.T)
    return sp.ImmutableMatrix(sp.Matrix(lam).cholesky(hermitian=False).applyfunc(tidy))


def output_curvature(family: str | FamilyLike, link: Mapping[Any, Any] | None = None) -> OutputCurvature:
    """Derive ``Lambda(f)``, the GGN, a factor, the nll and its gradient in the outputs.

    Parameters
    ----------
    family : str or Family
        A likelihood name with a default link (``"gaussian"``, ``"bernoulli"``,
        ``"poisson"``, ``"student_t"``, ``"negative_binomial"``,
        ``"heteroscedastic_gaussian"``, ``"categorical"`` = ``"categorical_3"``,
        ``"categorical_<k>"`` with k softmax outputs), a catalog family name, or a Family
        (one with one-hot categorical support defaults to the softmax link).
    link : dict, optional
        ``{parameter (name or Symbol): expression in f0, f1, ...}``; parameters not
        linked stay fixed symbols.

    Examples
    --------
    >>> oc = output_curvature("poisson")
    >>> oc.fisher, oc.ggn_equals_fisher
    (Matrix([[exp(f0)]]), True)
    >>> cat = output_curvature("categorical")          # softmax, 3 outputs
    >>> cat.fisher.shape, cat.ggn_equals_fisher, cat.one_hot
    ((3, 3), True, True)
    """

    cat = _CATEGORICAL.match(family) if isinstance(family, str) and link is None else None
    if cat and int(cat.group(1) or 3) > _CLOSED_FORM_FROM:
        return _softmax_closed_form(str(family), int(cat.group(1)))
    fam, link_map, label, mean_text = _resolve(family, link)
    outputs = tuple(
        sorted(
            set().union(*[e.free_symbols for e in link_map.values()]) - set(fam.logpdf.free_symbols), key=natural_key
        )
    )
    if one_hot(fam):
        nll, grad, lam, ggn, probs = one_hot_curvature(fam, link_map, outputs)
        return OutputCurvature(label, outputs, tuple(fam.variables), nll, grad, lam, ggn, probs, True)
    params = [p for p in fam.params if p in link_map]
    info = sp.ImmutableMatrix(fisher(fam))
    idx = [fam.params.index(p) for p in params]
    sub_info = info.extract(idx, idx).subs(link_map)
    J = sp.Matrix([[sp.diff(link_map[p], f) for f in outputs] for p in params])
    lam = sp.ImmutableMatrix((J.T * sub_info * J).applyfunc(tidy))
    nll = -fam.logpdf.subs(link_map)  # not simplified: keeps loggamma printable
    grad = sp.ImmutableMatrix([sp.diff(nll, f) for f in outputs])
    ggn = sp.ImmutableMatrix(sp.hessian(nll, outputs).applyfunc(tidy))
    mean = None if mean_text is None else _link_expr(mean_text, fam)
    return OutputCurvature(label, outputs, tuple(fam.variables), nll, grad, lam, ggn, mean)


_CLOSED_FORM_FROM = 12
"""Softmax curvatures with more classes than this use the closed form (:mod:`symfisher.kfac.softmax`)."""


def _softmax_closed_form(label: str, k: int) -> OutputCurvature:
    from symfisher.kfac.softmax import softmax_pieces

    pc: dict[str, Any] = dict(softmax_pieces(k))
    oc = OutputCurvature(
        label, pc["outputs"], pc["data"], pc["nll"], pc["grad"], pc["fisher"], pc["fisher"], pc["probs"], True
    )
    oc.__dict__["factor"] = pc["factor"]  # known exactly: skip the generic test of the multinomial form
    return oc


@dataclass(frozen=True)
class Exactness:
    """When is K-FAC's ``kron(G, A)`` exact for this likelihood?

    Attributes
    ----------
    curvature : OutputCurvature
    output_layer : bool
        ``Lambda`` is constant in ``f``: the output layer's block is exact for any N
        (with ``G`` a sum and ``A`` a mean).
    statements : tuple of str
        The exact cases in words.
    """

    curvature: OutputCurvature
    output_layer: bool
    statements: tuple[str, ...]


def exactness(family: str | FamilyLike, link: Mapping[Any, Any] | None = None) -> Exactness:
    """Analyse ``Lambda(f)`` symbolically: which K-FAC blocks are exact.

    Examples
    --------
    >>> exactness("gaussian").output_layer, exactness("poisson").output_layer
    (True, False)
    """
    oc = output_curvature(family, link)
    notes = [
        "one example: F = (B B^T) kron (a a^T) = G kron A, exact for every layer",
        "identical layer inputs a_n = a: exact for that layer",
    ]
    if oc.constant:
        notes.append(
            f"Lambda = {oc.fisher} does not depend on f: B_n B_n^T is the same for "
            "every example in the output layer, so its block is exact for any N"
        )
    else:
        notes.append(
            f"Lambda = {oc.fisher} depends on f: the output-layer block is exact "
            "only when Lambda(f_n) is the same for all examples"
        )
    if not oc.ggn_equals_fisher:
        notes.append("the Hessian of -log p in f depends on y: the Fisher is used as curvature")
    return Exactness(oc, oc.constant, tuple(notes))


def compile_likelihood(
    curv: OutputCurvature | str | Any,
    constants: Mapping[Any, float] | None = None,
    link: Mapping[Any, Any] | None = None,
) -> Any:
    """Compile a derived output curvature into a numeric likelihood for K-FAC / Laplace.

    Parameters
    ----------
    curv : OutputCurvature, or anything :func:`output_curvature` accepts
    constants : dict, optional
        Values of the fixed symbols by name or Symbol (``{"sigma": 0.5, "nu": 4}``).
    link : dict, optional
        Passed to :func:`output_curvature` when ``curv`` is not derived yet.

    Several observation variables become one kernel argument of shape (N, n_data);
    for one-hot (categorical) data the likelihood takes class indices (N,) and encodes
    them (class ``c >= 1``: ``x_c = 1``, class 0: all zero).

    Returns
    -------
    symfisher.numeric.laplace.compiled.CompiledLikelihood

    Examples
    --------
    >>> import numpy as np
    >>> lik = compile_likelihood("poisson")
    >>> lik.curvature(np.zeros((2, 1)))[:, 0, 0].tolist()
    [1.0, 1.0]
    >>> cat = compile_likelihood("categorical")          # labels: class indices (N,)
    >>> cat.nll(np.zeros((1, 3)), cat.targets([2], 3)).round(6).tolist()
    [1.098612]
    """
    from symfisher.numeric.laplace.compiled import CompiledLikelihood

    oc = curv if isinstance(curv, OutputCurvature) else output_curvature(curv, link)
    names = {str(s): s for e in (oc.nll, oc.fisher) for s in e.free_symbols}
    consts = {names.get(str(k), k): float(v) for k, v in (constants or {}).items()}
    fs = list(oc.outputs)
    y_arg: Any = oc.data[0] if len(oc.data) == 1 else list(oc.data)

    def kern(expr: Any, with_y: bool) -> Any:
        return compile_kernel(expr, args=[fs, y_arg] if with_y else [fs], constants=consts)

    mean = kern(oc.mean, False) if oc.mean is not None else None
    return CompiledLikelihood(
        oc.name,
        len(fs),
        kern(oc.nll, True),
        kern(oc.grad, True),
        kern(oc.fisher, False),
        kern(oc.factor, False),
        mean,
        data_dim=len(oc.data),
        one_hot=oc.one_hot,
    )
