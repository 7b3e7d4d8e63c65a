"""Affine connections of a statistical manifold: Levi-Civita and Amari's α-family.

Conventions (used throughout symfisher)
--------------------------------------
* Coordinates θ¹..θᵖ are ``family.params`` (or the ``coords`` of a plain metric).
* First kind: ``Γ_ij,k = ½ (∂_i g_jk + ∂_j g_ik − ∂_k g_ij)``, array index order (i, j, k).
* Second kind: ``Γ^k_ij = g^{kl} Γ_ij,l``, array index order (k, i, j).
* Skewness (Amari–Chentsov) tensor: ``T_ijk = E[∂_iℓ ∂_jℓ ∂_kℓ]``.
* α-connection: ``Γ^(α)_ij,k = Γ^(0)_ij,k − (α/2) T_ijk``; α = 1 is the exponential
  (e-) connection, α = −1 the mixture (m-) connection, α = 0 Levi-Civita.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from symfisher._runtime.caches import memo
from symfisher.derive.geometry.metric import MetricData, is_family, metric_data, tidy
from symfisher.derive.identifiability import require_invertible
from symfisher.errors import DerivationError, InputError, InputTypeError
from symfisher.families.protocol import FamilyLike
from symfisher.options import ConnectionKind, option

__all__ = ["ConnectionKind", "christoffel", "skewness_tensor", "alpha_connection"]


def _kind(kind: str | ConnectionKind) -> ConnectionKind:
    return option(ConnectionKind, kind, "kind")


@memo(maxsize=128)
def _first_kind(g: sp.ImmutableMatrix, coords: tuple[sp.Symbol, ...]) -> sp.ImmutableDenseNDimArray:
    p = len(coords)
    dg = [g.diff(c) for c in coords]  # dg[k][i, j] = ∂_k g_ij
    comps = [
        [[tidy((dg[i][j, k] + dg[j][i, k] - dg[k][i, j]) / 2) for k in range(p)] for j in range(p)] for i in range(p)
    ]
    return sp.ImmutableDenseNDimArray(comps)


@memo(maxsize=128)
def inverse_metric(g: sp.ImmutableMatrix, coords: tuple[sp.Symbol, ...] | None = None) -> sp.ImmutableMatrix:
    """Inverse metric g^{ij} with simplified entries, shape (p, p) (cached by content).

    Raises :class:`~symfisher.errors.NotIdentifiableError` naming the null space when
    ``g`` is singular (coordinates named by ``coords``, default θ0, θ1, ...).
    """
    names = coords or tuple(sp.Symbol(f"theta{i}") for i in range(g.rows))
    try:
        inv = g.inv(method="LU") if g.rows > 2 else g.inv()
    except (ValueError, ZeroDivisionError):  # SymPy: "Matrix det == 0; not invertible"
        require_invertible(g, names, "inverse metric")
        raise
    if any(e.has(sp.nan, sp.zoo) for e in inv):  # LU divided by an identically zero pivot
        require_invertible(g, names, "inverse metric")
    return sp.ImmutableMatrix(g.rows, g.cols, [tidy(e) for e in inv])


def raise_first(
    gamma1: sp.NDimArray, g: sp.ImmutableMatrix, coords: tuple[sp.Symbol, ...] | None = None
) -> sp.ImmutableDenseNDimArray:
    """Raise the last index of a first-kind array: ``A^k_ij = g^{kl} A_ij,l`` → order (k, i, j).

    Parameters
    ----------
    gamma1 : sympy.NDimArray
        First-kind coefficients, shape (p, p, p), index order (i, j, l).
    g : sympy.ImmutableMatrix
        Metric, shape (p, p).

    Returns
    -------
    sympy.ImmutableDenseNDimArray
        Shape (p, p, p), index order (k, i, j).
    """
    ginv = inverse_metric(g, coords)
    p = g.rows
    comps = [
        [[tidy(sum(ginv[k, m] * gamma1[i, j, m] for m in range(p))) for j in range(p)] for i in range(p)]
        for k in range(p)
    ]
    return sp.ImmutableDenseNDimArray(comps)


@memo(maxsize=128)
def _second_kind(g: sp.ImmutableMatrix, coords: tuple[sp.Symbol, ...]) -> sp.ImmutableDenseNDimArray:
    return raise_first(_first_kind(g, coords), g, tuple(coords))


def christoffel_of(md: MetricData, kind: str | ConnectionKind = "second") -> sp.ImmutableDenseNDimArray:
    """Christoffel symbols of a normalised :class:`MetricData` (see :func:`christoffel`)."""
    if _kind(kind) is ConnectionKind.FIRST:
        return _first_kind(md.g, md.coords)
    return _second_kind(md.g, md.coords)


def christoffel(
    fam_or_metric: Any, coords: Any = None, *, kind: str | ConnectionKind = "second"
) -> sp.ImmutableDenseNDimArray:
    """Levi-Civita connection coefficients of the Fisher (or a given) metric.

    Parameters
    ----------
    fam_or_metric : Family or sympy.Matrix
        A family (metric = ``sf.fisher(family)``, coordinates = ``family.params``) or a
        symmetric p × p metric.
    coords : sequence of sympy.Symbol, optional
        Coordinates of a plain metric (required for a matrix).
    kind : {"second", "first"} or ConnectionKind
        ``"second"``: Γ^k_ij with array index order (k, i, j);
        ``"first"``: Γ_ij,k = ½(∂_i g_jk + ∂_j g_ik − ∂_k g_ij), order (i, j, k).

    Returns
    -------
    sympy.ImmutableDenseNDimArray
        Shape (p, p, p), simplified components.

    Examples
    --------
    >>> import sympy as sp
    >>> mu = sp.Symbol("mu", real=True); s = sp.Symbol("sigma", positive=True)
    >>> G = christoffel(sp.diag(1 / s**2, 2 / s**2), [mu, s])
    >>> G[1, 0, 0]                     # Γ^σ_μμ
    1/(2*sigma)
    """
    return christoffel_of(metric_data(fam_or_metric, coords), kind)


def _sorted_triples(p: int) -> list[tuple[int, int, int]]:
    return [(i, j, k) for i in range(p) for j in range(i, p) for k in range(j, p)]


def _ordered(i: int, j: int, k: int) -> tuple[int, int, int]:
    """The triple sorted ascending: the key of the stored entry T_ijk (i ≤ j ≤ k)."""
    a, b, c = sorted((i, j, k))
    return a, b, c


def _skewness_expfam(fam: FamilyLike) -> dict[tuple[int, int, int], sp.Expr] | None:
    """T_ijk of a full-rank exponential family from second moments only, or None.

    With ℓ = η(θ)·t(x) − A(θ) + h(x) the score is s = Jᵀ(t − E t), J = ∂η/∂θ, so
    T_ijk = J_ai J_bj J_ck κ_abc with the third cumulant κ_abc = ∂C_ab/∂η_c of t
    (C = Cov t; cumulants are derivatives of the log-partition in η). By the chain
    rule Σ_c J_ck ∂/∂η_c = ∂/∂θ_k, hence T_ijk = J_ai J_bj ∂_k C_ab(θ): k(k+1)/2
    expectations of t_a t_b replace p(p+1)(p+2)/6 expectations of score triples
    (used for p ≥ 3; the bivariate normal: 15 instead of 35 expectations).
    """
    from symfisher.derive.expectation.engine import closed_expectation as expect
    from symfisher.derive.expfam import detect_expfam

    th = tuple(fam.params)
    if len(th) < 3:
        return None  # ≤ 4 triples: the direct route is as cheap (and avoids the Jacobian)
    form = detect_expfam(fam)
    if form is None or not form.full_rank:
        return None
    if tuple(form.params) != th:
        return None
    J = sp.Matrix(form.natural).jacobian(th)
    if J.det() == 0:
        return None
    t = form.statistics
    k = len(t)
    mean = [expect(sp.expand(ta), fam) for ta in t]
    C = sp.Matrix(k, k, lambda a, b: expect(sp.expand(t[a] * t[b]), fam) - mean[a] * mean[b])
    dC = [C.diff(v) for v in th]
    return {(i, j, m): tidy((J[:, i].T * dC[m] * J[:, j])[0, 0]) for (i, j, m) in _sorted_triples(len(th))}


def _check_skewness(fam: Any, vals: dict[tuple[int, int, int], sp.Expr]) -> None:
    """Cross-check every T_ijk (i ≤ j ≤ k) against E[s_i s_j s_k] by quadrature/summation."""
    from symfisher.derive.check.expectations_check import check_expectations
    from symfisher.derive.score import score

    s = list(score(fam))
    labels = {ix: f"T{list(ix)}" for ix in vals}
    check_expectations(
        fam, {labels[ix]: s[ix[0]] * s[ix[1]] * s[ix[2]] for ix in vals}, {labels[ix]: v for ix, v in vals.items()}
    )


def skewness_tensor(fam: Any, *, check: bool = True) -> sp.ImmutableDenseNDimArray:
    """Amari–Chentsov skewness tensor ``T_ijk = E_θ[∂_iℓ ∂_jℓ ∂_kℓ]`` of a family.

    Computed with the expectation engine (:func:`symfisher.derive.expectation.engine.expectation`)
    for the components i ≤ j ≤ k and filled in by symmetry; for a full-rank
    exponential family from the covariance of the sufficient statistic instead
    (T_ijk = J_ai J_bj ∂_k Cov(t)_ab, J = ∂η/∂θ: no third moments needed). Every
    component is then cross-checked against E[s_i s_j s_k] by mpmath quadrature or
    summation at deterministic parameter points (30 digits).

    Parameters
    ----------
    fam : Family
        A regular family with p parameters.
    check : bool
        Run the numeric cross-check (default True; off is for experiments).

    Returns
    -------
    sympy.ImmutableDenseNDimArray
        Shape (p, p, p), fully symmetric, index order (i, j, k) as in ``family.params``.

    Raises
    ------
    DerivationError
        When an expectation has no closed form, or a component fails the numeric check
        (the message names the entry).

    Examples
    --------
    >>> import symfisher as sf
    >>> sf.skewness_tensor(sf.family("poisson"))[0, 0, 0]      # doctest: +SKIP
    lambda**(-2)
    """
    if not is_family(fam):
        raise InputTypeError(f"skewness_tensor needs a Family, got {type(fam).__name__}")
    return _skewness(fam, bool(check))


def _sorted3(i: int, j: int, k: int) -> tuple[int, int, int]:
    a, b, c = sorted((i, j, k))
    return (a, b, c)


@memo(maxsize=64)
def _skewness(fam: Any, check: bool) -> sp.ImmutableDenseNDimArray:
    """:func:`skewness_tensor`, cached by the family's content and the check flag."""
    vals = _skewness_expfam(fam)
    if vals is None:
        from symfisher.derive.expectation.engine import closed_expectation
        from symfisher.derive.score import score

        s = list(score(fam))
        vals = {
            ix: tidy(closed_expectation(sp.expand(s[ix[0]] * s[ix[1]] * s[ix[2]]), fam))
            for ix in _sorted_triples(len(s))
        }
    for idx, val in vals.items():
        if val.has(sp.Integral, sp.Sum):
            raise DerivationError(f"skewness tensor entry T{list(idx)} has no closed form: {val}")
    if check:
        _check_skewness(fam, vals)
    p = len(fam.params)
    comps = [[[vals[_sorted3(i, j, k)] for k in range(p)] for j in range(p)] for i in range(p)]
    return sp.ImmutableDenseNDimArray(comps)


def alpha_connection(
    fam_or_metric: Any,
    alpha: Any,
    *,
    coords: Any = None,
    kind: str | ConnectionKind = "second",
    skewness: Any = None,
    check: bool = True,
) -> sp.ImmutableDenseNDimArray:
    """Amari's α-connection ``Γ^(α)_ij,k = Γ^(0)_ij,k − (α/2) T_ijk``.

    Parameters
    ----------
    fam_or_metric : Family or sympy.Matrix
        A family, or a metric (then ``coords`` and ``skewness`` are required).
    alpha : number or sympy.Expr
        α (a symbol is allowed; α = 1 gives the e-, α = −1 the m-connection).
    kind : {"first", "second"} or ConnectionKind
        ``"first"``: order (i, j, k) for Γ_ij,k; ``"second"``: Γ^k_ij = g^{kl} Γ_ij,l,
        order (k, i, j).
    coords : sequence of sympy.Symbol, optional
        Coordinates of a plain metric.
    skewness : array-like, optional
        T_ijk, shape (p, p, p); default :func:`skewness_tensor` of the family.
    check : bool
        Cross-check the derived skewness tensor numerically (see :func:`skewness_tensor`;
        default True). A ``skewness`` given by the caller is used as is.

    Returns
    -------
    sympy.ImmutableDenseNDimArray
        Shape (p, p, p).

    Examples
    --------
    >>> import sympy as sp
    >>> mu = sp.Symbol("mu", real=True); s = sp.Symbol("sigma", positive=True)
    >>> T = sp.MutableDenseNDimArray.zeros(2, 2, 2)
    >>> T[0, 0, 1] = T[0, 1, 0] = T[1, 0, 0] = 2 / s**3; T[1, 1, 1] = 8 / s**3
    >>> alpha_connection(sp.diag(1 / s**2, 2 / s**2), 1, coords=[mu, s], kind="first", skewness=T)[0, 0, 1]
    0
    """
    md = metric_data(fam_or_metric, coords)
    p = md.dim
    if skewness is None:
        if md.family is None:
            raise InputError("alpha_connection of a plain metric needs skewness=T (shape (p, p, p))")
        skewness = skewness_tensor(md.family, check=check)
    T = sp.ImmutableDenseNDimArray(skewness)
    if T.shape != (p, p, p):
        raise InputError(f"skewness has shape {T.shape}, expected {(p, p, p)}")
    a = sp.sympify(alpha)
    g1 = _first_kind(md.g, md.coords)
    comps = [[[tidy(g1[i, j, k] - a / 2 * T[i, j, k]) for k in range(p)] for j in range(p)] for i in range(p)]
    first = sp.ImmutableDenseNDimArray(comps)
    if _kind(kind) is ConnectionKind.FIRST:
        return first
    return raise_first(first, md.g, tuple(md.coords))
