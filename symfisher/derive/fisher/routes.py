"""The routes from a family to a candidate Fisher matrix.

- ``expfam``: exponential-family identity, no integral (:mod:`symfisher.derive.expfam`);
- ``hessian``: −E[∂²ℓ/∂θ_i∂θ_j] entry by entry through the expectation engine, each
  entry falling back to the score form E[s_i s_j] when its Hessian form resists;
- ``score``: E[s_i s_j] entry by entry.

A route returns a :class:`Candidate`: the entries it established (upper triangle),
the route of each, notes, and the entries it could not establish. Candidates are
verified by :mod:`symfisher.derive.check.core` before anything is returned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from symfisher.derive.expfam import detect_expfam, expfam_fisher
from symfisher.derive.score import hessian, score
from symfisher.families.protocol import FamilyLike

__all__ = ["Candidate", "ExpectFn", "expfam_route", "hessian_route", "score_route", "default_expect"]

ExpectFn = Callable[..., sp.Expr]


@dataclass(frozen=True)
class Candidate:
    """A candidate Fisher matrix from one route.

    Attributes
    ----------
    entries : dict
        (i, j) with i ≤ j → closed-form entry.
    routes : dict
        (i, j) → route that produced it (``"expfam"``, ``"hessian"``, ``"score"``).
    missing : tuple of (int, int)
        Entries no route established.
    notes : tuple of str
        What was tried and why (for the result's provenance).
    """

    entries: dict[tuple[int, int], sp.Expr]
    routes: dict[tuple[int, int], str]
    missing: tuple[tuple[int, int], ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def matrix(self, p: int) -> sp.ImmutableMatrix:
        """The symmetric (p, p) matrix (requires no missing entries)."""
        cells = [[sp.S.Zero] * p for _ in range(p)]
        for (i, j), e in self.entries.items():
            cells[i][j] = cells[j][i] = e
        return sp.ImmutableMatrix(cells)


def default_expect(expr: sp.Expr, fam: Any, *, budget: float = 10.0) -> sp.Expr:
    """The expectation engine, unchecked (:func:`~symfisher.derive.expectation.engine.closed_expectation`):
    the Fisher matrix built from it is cross-checked as a whole."""
    from symfisher.derive.expectation.engine import closed_expectation

    return closed_expectation(expr, fam, budget=budget)


def _closed(expr: Any) -> bool:
    return isinstance(expr, sp.Expr) and not expr.has(sp.Integral, sp.Sum, sp.Limit)


def _try(expect: ExpectFn, expr: sp.Expr, fam: FamilyLike, budget: float) -> tuple[sp.Expr | None, str]:
    try:
        out = expect(expr, fam, budget=budget)
    except Exception as exc:  # any failure of the engine (incl. BudgetExceeded): try another form
        return None, f"{type(exc).__name__}: {str(exc)[:200]}"
    if not _closed(out):
        return None, f"not a closed form: {str(out)[:200]}"
    return sp.sympify(out), ""


def expfam_route(fam: FamilyLike, expect: ExpectFn | None = None, budget: float = 10.0) -> Candidate | None:
    """The full-rank exponential-family route, or None when it does not apply."""
    form = detect_expfam(fam)
    if form is None:
        return None
    mat = expfam_fisher(fam, form, expect, budget=budget)
    if mat is None:
        return None
    p = mat.rows
    pairs = [(i, j) for i in range(p) for j in range(i, p)]
    stats = ", ".join(map(str, form.statistics))
    note = f"exponential family with sufficient statistics ({stats}): I = d2A - sum_k d2eta_k E[T_k]"
    return Candidate({ij: mat[ij] for ij in pairs}, {ij: "expfam" for ij in pairs}, (), (note,))


def hessian_route(fam: FamilyLike, expect: ExpectFn, budget: float, use_hessian: bool = True) -> Candidate:
    """Entry-wise −E[H_ij], falling back to E[s_i s_j] per entry.

    Parameters
    ----------
    fam : Family or family-like
    expect : callable
        ``expect(expr, fam, budget=...)`` → closed form of E[expr].
    budget : float
        Seconds per expectation.
    use_hessian : bool
        False gives the pure score route.
    """
    s = score(fam)
    h = hessian(fam) if use_hessian else None
    p = s.rows
    entries, routes, missing, notes = {}, {}, [], []
    for i in range(p):
        for j in range(i, p):
            tried = []
            if h is not None:
                val, why = _try(expect, -h[i, j], fam, budget)
                if val is not None:
                    entries[(i, j)], routes[(i, j)] = val, "hessian"
                    continue
                tried.append(f"hessian ({why})")
            val, why = _try(expect, s[i] * s[j], fam, budget)
            if val is not None:
                entries[(i, j)], routes[(i, j)] = val, "score"
                if tried:
                    notes.append(f"I[{i}, {j}]: hessian form failed, score form used")
                continue
            tried.append(f"score ({why})")
            missing.append((i, j))
            notes.append(f"I[{i}, {j}]: no closed form; tried " + "; ".join(tried))
    return Candidate(entries, routes, tuple(missing), tuple(notes))


def score_route(fam: FamilyLike, expect: ExpectFn, budget: float) -> Candidate:
    """Entry-wise E[s_i s_j] (valid for non-smooth log-densities too)."""
    return hessian_route(fam, expect, budget, use_hessian=False)
