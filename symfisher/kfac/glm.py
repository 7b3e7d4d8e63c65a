"""The exact Fisher of a single GLM layer with Gaussian inputs, derived in SymPy.

Layer ``f = W x`` with ``W`` of shape (d_out, d_in), inputs ``x ~ N(mu, Sigma)`` and a
likelihood whose output curvature is a scalar ``lam(f)`` per output (one network output
per row of ``W``: ``Lambda(W x) = diag(lam(w_i^T x))``). The exact per-example block is
``F = E[Lambda(W x) kron x x^T]`` (``kron(G, A)`` order, output index first, as in
:mod:`symfisher.kfac`) and K-FAC's is ``K = E[Lambda(W x)] kron E[x x^T]``. Both reduce to
three 1-D Gaussian moments per row, ``e_j = E[lam(u) t^j]`` with
``u = nu + sqrt(s) t``, ``t ~ N(0, 1)`` (see :mod:`symfisher.numeric.kfac.glm` for the
derivation):

* ``lam`` is the Fisher in the output from :func:`symfisher.kfac.curvature.output_curvature`
  (for Student-t it is not the GGN, whose value depends on ``y``);
* the moments are asked of symfisher's expectation engine
  (:func:`symfisher.derive.expectation.engine.expectation`, Gaussian route: Isserlis plus
  exponential tilting) under a time budget, and every closed form it returns is checked
  against mpmath quadrature at 30 digits before it is accepted;
* a closed form (Poisson with log link: ``e^{nu + s/2} (1, sqrt(s), 1 + s)``; any constant
  ``lam``) is compiled with :func:`symfisher.compile` into a kernel of ``(nu, s)``;
  otherwise (Bernoulli with logit, negative binomial, ...) ``lam(u)`` itself is compiled
  and integrated numerically by Gauss-Hermite quadrature
  (:func:`symfisher.numeric.kfac.glm.gauss_hermite_moments`).

Examples
--------
>>> import numpy as np
>>> glm = glm_layer_fisher("poisson")
>>> glm.moments[0], glm.closed_form, glm.exact
(exp(nu + s/2), True, False)
>>> W, mean, cov = np.ones((1, 2)), np.zeros(2), np.eye(2)
>>> rel, norm = glm.error(W, mean, cov)
>>> from symfisher.numeric.kfac.glm import poisson_glm_kfac_error
>>> bool(abs(rel - poisson_glm_kfac_error(W, mean, cov)[0]) < 1e-12)
True
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp

from symfisher._runtime.caches import memo
from symfisher.codegen.api import compile as compile_kernel
from symfisher.errors import DerivationError
from symfisher.kfac.curvature import OutputCurvature, output_curvature

__all__ = ["BlockFormulas", "GLMLayerFisher", "block_formulas", "glm_layer_fisher"]


@dataclass(frozen=True)
class BlockFormulas:
    """The per-row block and its norms in terms of moments and scalar invariants.

    Attributes
    ----------
    e0, e1, e2 : Symbol
        The moments ``E[lam(u) t^j]``.
    mm, md, dd, dMmu, dMd, MM : Symbol
        ``||mu||^2``, ``mu.d``, ``||d||^2``, ``d^T M mu``, ``d^T M d`` and ``||M||_F^2``
        with ``d = Sigma w_i / sqrt(s)`` and ``M = Sigma + mu mu^T``.
    mu, d, M : MatrixSymbol
        Shapes (n, 1), (n, 1), (n, n), ``n = d_in``.
    F_ii, K_ii : MatrixExpr, shape (n, n)
        Exact and K-FAC diagonal blocks of output ``i`` (off-diagonal blocks are 0).
    err_sq, f_sq, k_sq : Expr
        ``||F_ii - K_ii||_F^2``, ``||F_ii||_F^2`` and ``||K_ii||_F^2``.
    """

    e0: sp.Symbol
    e1: sp.Symbol
    e2: sp.Symbol
    mm: sp.Symbol
    md: sp.Symbol
    dd: sp.Symbol
    dMmu: sp.Symbol
    dMd: sp.Symbol
    MM: sp.Symbol
    mu: sp.MatrixSymbol
    d: sp.MatrixSymbol
    M: sp.MatrixSymbol
    F_ii: sp.MatrixExpr
    K_ii: sp.MatrixExpr
    err_sq: sp.Expr
    f_sq: sp.Expr
    k_sq: sp.Expr


@memo(maxsize=1)
def block_formulas() -> BlockFormulas:
    """The block formulas (the same expressions the numeric side evaluates).

    Examples
    --------
    >>> bf = block_formulas()
    >>> bf.err_sq.subs({bf.e1: 0, bf.e2: bf.e0})          # constant lam: K-FAC exact
    0
    """
    e0, e1, e2 = sp.symbols("e0 e1 e2", real=True)
    mm, dd, MM = sp.symbols("mm dd MM", nonnegative=True)
    md, dMmu, dMd = sp.symbols("md dMmu dMd", real=True)
    n = sp.Symbol("n", integer=True, positive=True)
    mu, d, M = sp.MatrixSymbol("mu", n, 1), sp.MatrixSymbol("d", n, 1), sp.MatrixSymbol("M", n, n)
    c = e2 - e0
    K_ii = e0 * M
    F_ii = K_ii + e1 * (mu * d.T + d * mu.T) + c * d * d.T
    err_sq = e1**2 * (2 * mm * dd + 2 * md**2) + c**2 * dd**2 + 4 * e1 * c * md * dd
    f_sq = e0**2 * MM + 2 * e0 * (2 * e1 * dMmu + c * dMd) + err_sq
    return BlockFormulas(e0, e1, e2, mm, md, dd, dMmu, dMd, MM, mu, d, M, F_ii, K_ii, err_sq, f_sq, e0**2 * MM)


@dataclass(frozen=True)
class GLMLayerFisher:
    """Derived exact Fisher of one GLM layer with Gaussian inputs.

    Attributes
    ----------
    name : str
        The likelihood's label.
    curvature : OutputCurvature
    u, nu, s : Symbol
        Pre-activation, its mean and its variance (``s`` positive).
    lam : sympy.Expr
        ``lam(u)``, the curvature of one output.
    moments : tuple of three Expr, or None
        ``(e0, e1, e2)`` in ``nu`` and ``s``; None when the engine found no closed form.
    closed_form : bool
    note : str
        How the moments were obtained, or why they were not.
    exact : bool
        ``lam`` does not depend on ``u``: K-FAC's block is exact.
    reason : str
        One sentence saying why (or why not) K-FAC is exact here.
    formulas : BlockFormulas
    """

    name: str
    curvature: OutputCurvature
    u: sp.Symbol
    nu: sp.Symbol
    s: sp.Symbol
    lam: sp.Expr
    moments: tuple[sp.Expr, sp.Expr, sp.Expr] | None
    closed_form: bool
    note: str
    exact: bool
    reason: str
    formulas: BlockFormulas

    def _in_moments(self, expr: sp.Expr) -> sp.Expr | None:
        if self.moments is None:
            return None
        bf = self.formulas
        return expr.xreplace(dict(zip((bf.e0, bf.e1, bf.e2), self.moments)))

    @property
    def err_sq(self) -> sp.Expr | None:
        """``||F_ii - K_ii||^2`` in the invariants, ``nu`` and ``s`` (None without closed form)."""
        return self._in_moments(self.formulas.err_sq)

    @property
    def f_sq(self) -> sp.Expr | None:
        """``||F_ii||^2`` in the invariants, ``nu`` and ``s`` (None without closed form)."""
        return self._in_moments(self.formulas.f_sq)

    def moment_function(self, constants: Mapping[Any, float] | None = None, nodes: int | None = None) -> Any:
        """Numeric ``moments(nu, s) -> (e0, e1, e2)`` backed by a compiled kernel.

        Parameters
        ----------
        constants : dict, optional
            Values of the likelihood's fixed symbols, by name or Symbol
            (``{"sigma": 0.5}``, ``{"r": 3.0}``).
        nodes : int, optional
            Gauss-Hermite nodes when there is no closed form; by default the rule is
            refined until the moments settle to 1e-13 relative
            (:func:`~symfisher.numeric.kfac.glm.adaptive_normal_moments`).
        """
        from symfisher.numeric.kfac.glm import adaptive_normal_moments, gauss_hermite_moments

        consts = self._constants(constants)
        if self.moments is not None:  # == self.closed_form
            kern = _compiled(sp.ImmutableMatrix(list(self.moments)), (self.nu, self.s), consts)

            def closed(nu: Any, s: Any) -> tuple[Any, Any, Any]:
                out = kern(nu, s)
                return out[..., 0], out[..., 1], out[..., 2]

            return closed
        lam_k = _compiled(self.lam, (self.u,), consts)
        if nodes is None:
            return lambda nu, s: adaptive_normal_moments(lam_k, nu, s)
        return lambda nu, s: gauss_hermite_moments(lam_k, nu, s, nodes)

    def error(
        self, W: Any, mean: Any, cov: Any, constants: Mapping[Any, float] | None = None, nodes: int | None = None
    ) -> tuple[float, float]:
        """``(||F - K||_F / ||F||_F, ||F||_F)`` per example for ``x ~ N(mean, cov)``.

        Parameters
        ----------
        W : array_like, shape (d_out, d_in)
        mean : array_like, shape (d_in,)
        cov : array_like, shape (d_in, d_in)
        constants : dict, optional
            Values of the likelihood's fixed symbols (see :meth:`moment_function`).
        nodes : int, optional
            Gauss-Hermite nodes when the moments have no closed form (default: adaptive).
        """
        from symfisher.numeric.kfac.glm import glm_error_from_moments

        return glm_error_from_moments(W, mean, cov, self.moment_function(constants, nodes))

    def blocks(
        self, W: Any, mean: Any, cov: Any, constants: Mapping[Any, float] | None = None, nodes: int | None = None
    ) -> tuple[Any, Any]:
        """Dense diagonal blocks ``(F_ii, K_ii)``, each of shape (d_out, d_in, d_in)."""
        from symfisher.numeric.kfac.glm import fisher_blocks

        return fisher_blocks(W, mean, cov, self.moment_function(constants, nodes))

    def _constants(self, constants: Mapping[Any, float] | None) -> tuple[tuple[sp.Symbol, float], ...]:
        exprs = (self.lam, *(self.moments or ()))
        free = set().union(*[e.free_symbols for e in exprs]) - {self.u, self.nu, self.s}
        by_name = {str(v): v for v in free}
        given = {str(k): float(v) for k, v in (constants or {}).items()}
        unknown = sorted(set(given) - set(by_name))
        missing = sorted(set(by_name) - set(given))
        if unknown or missing:
            raise DerivationError(
                f"likelihood {self.name!r}: lam(u) = {self.lam} needs constants= for "
                f"{missing or 'nothing'}; unknown names {unknown or 'none'}"
            )
        return tuple(sorted(((by_name[k], v) for k, v in given.items()), key=lambda kv: kv[0].name))


@memo(maxsize=64)
def _compiled(expr: sp.Basic, args: tuple[sp.Symbol, ...], consts: tuple[tuple[sp.Symbol, float], ...]) -> Any:
    """A compiled kernel (in-memory cache over symfisher's content-addressed disk cache)."""

    domains = {a: sp.Interval(0, sp.oo) for a in args if a.is_positive}  # s = 0 is allowed
    return compile_kernel(expr, args=list(args), constants=dict(consts), domains=domains or None)


def _fresh(name: str, taken: set[str], **assumptions: Any) -> sp.Symbol:
    """``Symbol(name)``, or ``name_u`` when the likelihood already uses that name."""
    return sp.Symbol(name if name not in taken else f"{name}_u", **assumptions)


def _verify(lam: sp.Expr, mom: tuple[sp.Expr, ...], u: sp.Symbol, nu: sp.Symbol, s: sp.Symbol, label: str) -> None:
    """Check closed-form moments against mpmath quadrature (30 digits) at two points."""
    others = sorted((lam.free_symbols | set().union(*[m.free_symbols for m in mom])) - {u, nu, s}, key=lambda v: v.name)
    vals = {
        v: (sp.Integer(3) if v.is_integer else sp.Rational(17, 10) if v.is_positive else sp.Rational(3, 5))
        for v in others
    }
    for point in ({nu: sp.Rational(3, 10), s: sp.Rational(7, 10)}, {nu: -sp.Rational(2, 5), s: sp.Rational(19, 10)}):
        sub = {**vals, **point}
        f = sp.lambdify(u, lam.xreplace(sub), "mpmath")
        with mpmath.workdps(30):
            m_ = mpmath.mpf(point[nu].p) / point[nu].q
            r_ = mpmath.sqrt(mpmath.mpf(point[s].p) / point[s].q)
            for j, e in enumerate(mom):
                ref = mpmath.quad(
                    lambda t, f=f, m_=m_, r_=r_, j=j: f(m_ + r_ * t) * t**j * mpmath.npdf(t),
                    [-mpmath.inf, 0, mpmath.inf],
                )
                got = mpmath.mpmathify(str(sp.N(e.xreplace(sub), 30)))
                if not abs(got - ref) <= 1e-18 * (1 + abs(ref)):  # NaN fails too
                    raise DerivationError(f"{label}: closed form e{j} = {e} gives {got} at {point}, quadrature {ref}")


def _moments(
    lam: sp.Expr, u: sp.Symbol, nu: sp.Symbol, s: sp.Symbol, budget: float
) -> tuple[tuple[sp.Expr, sp.Expr, sp.Expr] | None, str]:
    """The engine's closed forms of ``E[lam(u) t^j]``, or None and the engine's message."""
    from symfisher.derive.expectation.engine import closed_expectation
    from symfisher.families.base import Family

    law = Family(-((u - nu) ** 2) / (2 * s) - sp.log(2 * sp.pi * s) / 2, u, [nu, s], sp.Reals, name="pre_activation")
    t = (u - nu) / sp.sqrt(s)
    out = []
    for j in range(3):
        try:
            out.append(closed_expectation(lam * t**j, law, budget=budget))
        except DerivationError as exc:
            return None, f"no closed form for e{j} = E[lam(u) t^{j}]: {exc}"
    return (
        out[0],
        out[1],
        out[2],
    ), "closed form from the Gaussian expectation engine, checked against mpmath quadrature (30 digits)"


def glm_layer_fisher(likelihood: Any, link: Mapping[Any, Any] | None = None, *, budget: float = 2.0) -> GLMLayerFisher:
    """Derive the exact Fisher of a GLM layer with Gaussian inputs and its K-FAC error.

    Parameters
    ----------
    likelihood : str, Family or OutputCurvature
        Anything :func:`symfisher.kfac.curvature.output_curvature` accepts, or its result.
        Its curvature must be a scalar ``lam(f0)`` (one network output per row of ``W``).
    link : dict, optional
        Passed to :func:`~symfisher.kfac.curvature.output_curvature`.
    budget : float
        Seconds allowed to each SymPy integration fallback of the expectation engine.

    Returns
    -------
    GLMLayerFisher

    Raises
    ------
    DerivationError
        The curvature is not 1 x 1 (the message names the likelihood and ``Lambda``), or
        a closed form fails its numerical cross-check.

    Examples
    --------
    >>> glm = glm_layer_fisher("gaussian")
    >>> glm.exact, glm.moments
    (True, (sigma**(-2), 0, sigma**(-2)))
    """
    oc = likelihood if isinstance(likelihood, OutputCurvature) else output_curvature(likelihood, link)
    try:
        hash((oc, budget))
    except TypeError:  # an unhashable part: derive without the cache
        return inspect.unwrap(_derive)(oc, budget)
    return _derive(oc, budget)


@memo(maxsize=32)
def _derive(oc: OutputCurvature, budget: float) -> GLMLayerFisher:
    if oc.fisher.shape != (1, 1) or len(oc.outputs) != 1:
        raise DerivationError(
            f"likelihood {oc.name!r} has a {oc.fisher.rows} x {oc.fisher.cols} output curvature "
            f"Lambda = {oc.fisher.tolist()} in outputs {list(oc.outputs)}: the GLM-layer Fisher "
            "needs one output per row of W with a scalar curvature lam(f0)"
        )
    taken = {v.name for v in oc.fisher.free_symbols}
    u, nu = _fresh("u", taken, real=True), _fresh("nu", taken, real=True)
    s = _fresh("s", taken, positive=True)
    lam = oc.fisher[0, 0].xreplace({oc.outputs[0]: u})
    mom, note = _moments(lam, u, nu, s, budget)
    if mom is not None:
        _verify(lam, mom, u, nu, s, oc.name)
    exact = u not in lam.free_symbols
    if exact:
        reason = (
            f"lam = {lam} does not depend on the pre-activation, so "
            "E[lam x x^T] = E[lam] E[x x^T]: K-FAC's block is exact for every W, mean and cov"
        )
    else:
        reason = (
            f"lam(u) = {lam} varies with u: F_ii - K_ii = e1 (mu d^T + d mu^T) + (e2 - e0) d d^T "
            "with d = Sigma w_i / sqrt(s), which vanishes only when Sigma w_i = 0 for every row"
        )
    return GLMLayerFisher(oc.name, oc, u, nu, s, lam, mom, mom is not None, note, exact, reason, block_formulas())
