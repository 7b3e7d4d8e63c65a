"""Expected Fisher information in closed form: the orchestration of the engine.

``method="auto"`` (the default) avoids integration wherever it can and verifies
everything:

1. a full-rank exponential family → the log-partition identity, no integral;
2. otherwise, unless the log-density has non-smooth terms in the data and the
   parameters, −E[∇²ℓ] entry by entry through the expectation engine (each entry
   falling back to its score form E[s_i s_j]);
3. otherwise (or when 2 fails its check) the score route E[s sᵀ].

Every candidate is simplified to a canonical form and cross-checked numerically
(:mod:`symfisher.derive.check.core`) before it is returned; a candidate that fails its
check is discarded with a note and the next route is tried (with an explicit
``method`` a failure raises). Results are cached in memory and on disk
(:mod:`symfisher.derive.fisher.cache`).
"""

from __future__ import annotations

import time
from typing import Any

import sympy as sp

from symfisher._runtime.budget import run_with_budget
from symfisher.derive.check.core import CheckReport, cross_check
from symfisher.derive.fisher.canonical import canonical_matrix
from symfisher.derive.fisher.numeric import NumericFisher
from symfisher.derive.fisher.result import FisherResult
from symfisher.derive.fisher.routes import Candidate, ExpectFn, default_expect, expfam_route, hessian_route, score_route
from symfisher.derive.smooth import hessian_route_problem
from symfisher.errors import BudgetExceeded, DerivationError, NonRegularFamilyError, SymfisherError
from symfisher.families.iid import IID
from symfisher.families.protocol import FamilyLike
from symfisher.options import FisherMethod, option

__all__ = ["FisherMethod", "FisherResult", "derive_fisher", "fisher"]


def _is_family(obj: Any) -> bool:
    return hasattr(obj, "logpdf") and hasattr(obj, "params") and hasattr(obj, "variables")


def _routes_table(cand: Candidate, p: int) -> tuple[tuple[str, ...], ...]:
    table = [[""] * p for _ in range(p)]
    for (i, j), r in cand.routes.items():
        table[i][j] = table[j][i] = r
    return tuple(tuple(row) for row in table)


def _candidates(fam: FamilyLike, method: FisherMethod, expect: ExpectFn, budget: float, problem: str | None):
    """Yield (name, candidate-or-None, note) in the order the method prescribes."""
    if method in (FisherMethod.AUTO, FisherMethod.EXPFAM):
        yield "expfam", expfam_route(fam, expect, budget), "not a full-rank exponential family"
    if method in (FisherMethod.AUTO, FisherMethod.HESSIAN) and problem is None:
        yield "hessian", _budgeted(hessian_route, fam, expect, budget), ""
    if method == FisherMethod.HESSIAN and problem is not None:
        raise DerivationError(f"{problem.replace('; score route E[s s^T] used', '')}; use method='score'")
    if method in (FisherMethod.AUTO, FisherMethod.SCORE):
        yield "score", _budgeted(score_route, fam, expect, budget), ""


def _budgeted(route: Any, fam: FamilyLike, expect: ExpectFn, budget: float) -> Candidate:
    """Run a route in a child process with a total deadline (the engine may hang)."""
    p = len(fam.params)
    pairs = tuple((i, j) for i in range(p) for j in range(i, p))
    total = 2.0 * budget * len(pairs) + 10.0
    try:
        out = run_with_budget(route, fam, expect, budget, seconds=total)
    except BudgetExceeded:
        return Candidate({}, {}, pairs, (f"{route.__name__} exceeded its total budget of {total:g} s",))
    if out.error is not None:
        return Candidate({}, {}, pairs, (f"{route.__name__} failed: {out.error}",))
    return out.value


def _verify(fam: FamilyLike, mat: sp.ImmutableMatrix, check: bool, hessian_ok: bool) -> CheckReport | None:
    return cross_check(fam, mat, hessian_valid=hessian_ok) if check else None


def _derive(
    fam: FamilyLike,
    method: FisherMethod,
    *,
    allow_numeric: bool,
    check: bool,
    expect: ExpectFn,
    budget: float,
    simplify_budget: float,
) -> FisherResult | NumericFisher:
    start = time.monotonic()
    problem = hessian_route_problem(fam)
    notes: list[str] = [problem] if problem else []
    failures: list[str] = []
    partial: Candidate | None = None
    p = len(fam.params)
    for name, cand, why_not in _candidates(fam, method, expect, budget, problem):
        if cand is None:
            notes.append(f"{name} route not applicable: {why_not}")
            continue
        notes.extend(cand.notes)
        if cand.missing:
            partial = partial or cand
            failures.append(f"{name}: entries {list(cand.missing)} without closed form")
            continue
        mat = canonical_matrix(cand.matrix(p), simplify_budget)
        try:
            report = _verify(fam, mat, check, problem is None)
        except DerivationError as exc:
            if method != FisherMethod.AUTO:
                raise
            notes.append(f"{name} route rejected by the numeric check: {exc}")
            failures.append(f"{name}: failed the numeric check")
            continue
        return FisherResult(
            mat, tuple(fam.params), _routes_table(cand, p), report, tuple(notes), method.value, time.monotonic() - start
        )
    return _give_up(fam, partial, notes, failures, allow_numeric)


def _give_up(
    fam: FamilyLike, partial: Candidate | None, notes: list[str], failures: list[str], allow_numeric: bool
) -> NumericFisher:
    if allow_numeric:
        p = len(fam.params)
        closed = dict(partial.entries) if partial else {}
        numeric = tuple((i, j) for i in range(p) for j in range(i, p) if (i, j) not in closed)
        return NumericFisher(fam, closed, numeric, tuple(notes))
    missing = sorted({ij for ij in (partial.missing if partial else ())})
    entries = ", ".join(f"I[{i}, {j}]" for i, j in missing) or "the matrix"
    raise DerivationError(
        f"no verified closed form for {entries} of {getattr(fam, 'name', 'the family')} "
        f"(params {list(fam.params)}); routes tried: {'; '.join(failures) or 'none'}. "
        "Details: " + " | ".join(notes) + ". Pass allow_numeric=True for a numeric evaluation."
    )


def derive_fisher(
    fam: FamilyLike,
    method: str | FisherMethod = "auto",
    *,
    allow_numeric: bool = False,
    check: bool = True,
    expect: ExpectFn | None = None,
    budget: float = 10.0,
    simplify_budget: float = 3.0,
    cache: bool = True,
) -> FisherResult | NumericFisher:
    """Derive the Fisher information of a family, with provenance.

    Parameters
    ----------
    fam : Family or family-like
        Needs ``logpdf``, ``variables``, ``params`` (length p), ``support``, ``domains``.
    method : {"auto", "expfam", "hessian", "score"} or FisherMethod
        Route(s) to use; ``"auto"`` tries expfam → hessian → score.
    allow_numeric : bool
        Return a :class:`NumericFisher` instead of raising when an entry has no closed form.
    check : bool
        Run the numeric cross-check (default True; switching it off is for experiments).
    expect : callable, optional
        The expectation engine ``expect(expr, fam, budget=...)``; the default is
        :func:`symfisher.derive.expectation.engine.expectation`.
    budget : float
        Seconds per expectation call.
    simplify_budget : float
        Seconds per entry for ``simplify``.
    cache : bool
        Use the memory/disk derivation cache (only with the default ``expect``).

    Returns
    -------
    FisherResult or NumericFisher

    Raises
    ------
    NonRegularFamilyError
        The support depends on a parameter.
    DerivationError
        No verified closed form (names the entries and routes tried).

    Examples
    --------
    >>> import sympy as sp, symfisher as sf
    >>> x = sp.Symbol("x"); lam = sp.Symbol("lam", positive=True)
    >>> res = derive_fisher(sf.Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo)))
    >>> res.matrix, res.route
    (Matrix([[lam**(-2)]]), 'expfam')
    """
    method = option(FisherMethod, method, "method")
    reason = getattr(fam, "irregularity", None)
    if reason:
        raise NonRegularFamilyError(f"{getattr(fam, 'name', 'family')} is not regular: {reason}")
    use_cache = cache and expect is None
    if use_cache:
        from symfisher.derive.fisher.cache import default_cache

        hit = default_cache().get(fam, method.value, check)
        if hit is not None:
            return hit
    result = _derive(
        fam,
        method,
        allow_numeric=allow_numeric,
        check=check,
        expect=expect or default_expect,
        budget=budget,
        simplify_budget=simplify_budget,
    )
    if use_cache and isinstance(result, FisherResult):
        default_cache().put(fam, method.value, check, result)
    return result


def fisher(
    obj: Any, method: str | FisherMethod = "auto", *, allow_numeric: bool = False, check: bool = True, **options: Any
) -> sp.ImmutableMatrix | NumericFisher:
    """Expected Fisher information I(θ) in closed form.

    Parameters
    ----------
    obj : Family, family-like, or an object with ``fisher_information``
        A family (the matrix follows ``obj.params``), or e.g. a ``Regression``, whose
        ``obj.fisher_information(method=..., **options)`` is called.
    method : {"auto", "expfam", "hessian", "score"}
        See :func:`derive_fisher`.
    allow_numeric : bool
        Return a clearly marked :class:`NumericFisher` instead of raising when no
        closed form can be established.
    check : bool
        Numeric cross-check (default True).
    **options
        Passed to :func:`derive_fisher` (``budget``, ``expect``, ...).

    Returns
    -------
    sympy.ImmutableMatrix or NumericFisher
        Shape (p, p), rows/columns in the order of ``obj.params``.

    Examples
    --------
    >>> import sympy as sp, symfisher as sf
    >>> x = sp.Symbol("x"); mu = sp.Symbol("mu", real=True); s = sp.Symbol("sigma", positive=True)
    >>> fam = sf.Family(-(x - mu)**2 / (2 * s**2) - sp.log(s) - sp.log(2 * sp.pi) / 2,
    ...                 x, [mu, s], sp.Interval(-sp.oo, sp.oo))
    >>> print(sf.fisher(fam))
    Matrix([[sigma**(-2), 0], [0, 2/sigma**2]])
    """
    if isinstance(obj, IID):
        one = fisher(obj.family, method, allow_numeric=allow_numeric, check=check, **options)
        if isinstance(one, NumericFisher):
            raise SymfisherError("iid: the underlying Fisher matrix is numeric only; evaluate it and scale by n")
        return sp.ImmutableMatrix(obj.n * sp.Matrix(one))
    if not _is_family(obj):
        if hasattr(obj, "fisher_information"):
            extra = {} if not allow_numeric else {"allow_numeric": True}
            extra.update({} if check else {"check": False})
            return obj.fisher_information(method=option(FisherMethod, method, "method").value, **extra, **options)
        raise SymfisherError(
            f"fisher() needs a Family (logpdf, variables, params) or an object with "
            f"fisher_information(), got {type(obj).__name__}"
        )
    result = derive_fisher(obj, method, allow_numeric=allow_numeric, check=check, **options)
    return result if isinstance(result, NumericFisher) else result.matrix
