"""Categorical (one-hot) likelihoods in the network outputs, and small symbolic helpers.

Split from :mod:`symfisher.kfac.curvature`, which builds :class:`OutputCurvature` from
these pieces. A finite one-hot support ``{0, e_1, ..., e_n}`` (the catalog's categorical
family in corner coordinates) makes every expectation a sum over the classes; see
:func:`one_hot_curvature`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sympy as sp

from symfisher.errors import DerivationError
from symfisher.families.protocol import FamilyLike

__all__ = [
    "class_probabilities",
    "log_ratios",
    "natural_key",
    "one_hot",
    "one_hot_curvature",
    "output_symbols",
    "softmax_link",
    "tidy",
]


def one_hot(family: FamilyLike) -> bool:
    """Whether the support is ``{0, e_1, ..., e_n}`` for ``n >= 2`` data variables (categorical).

    One 0/1 variable (Bernoulli-like) keeps the scalar single-variable path.
    """
    n = len(family.variables)
    if n < 2 or not isinstance(family.support, sp.FiniteSet) or len(family.support) != n + 1:
        return False
    corners = {tuple(int(i == j) for i in range(n)) for j in range(n + 1)}
    points = {tuple(pt) if isinstance(pt, sp.Tuple) else (pt,) for pt in family.support}
    return points == corners


def output_symbols(k: int) -> list[sp.Symbol]:
    """The network outputs ``f0..f{k-1}`` (real), as the text links name them."""
    return [sp.Symbol(f"f{i}", real=True) for i in range(k)]


def softmax_link(family: FamilyLike) -> dict[sp.Symbol, sp.Expr]:
    """``p_j = e^{f_j} / sum_i e^{f_i}`` (j = 1..n) with ``n + 1`` outputs; class 0 implied."""
    fs = output_symbols(len(family.params) + 1)
    z = sp.Add(*[sp.exp(f) for f in fs])
    return {p: sp.exp(fs[j + 1]) / z for j, p in enumerate(family.params)}


def class_probabilities(family: FamilyLike, link_map: Mapping[sp.Symbol, sp.Expr]) -> sp.ImmutableMatrix:
    """``(P(c = 0), ..., P(c = n))`` in ``f``, from the log-density at the corner points, (n + 1, 1)."""
    xs = family.variables
    rows = []
    for c in range(len(xs) + 1):
        point = {x: int(i + 1 == c) for i, x in enumerate(xs)}
        rows.append(tidy(sp.exp(family.logpdf.subs(point).subs(link_map))))
    return sp.ImmutableMatrix(rows)


def natural_key(sym: sp.Symbol) -> tuple[Any, ...]:
    """Sort ``f2`` before ``f10``."""
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", sym.name))


def log_ratios(nll: sp.Expr, outputs: tuple[sp.Symbol, ...], data: tuple[sp.Symbol, ...]) -> sp.Expr:
    """Split ``log(e^{f_j} / z)`` into ``f_j - log z`` (no cancellation in ``1 - sum p``).

    Applied only when ``nll`` depends on nothing but ``f`` and the one-hot data; the rewrite
    is checked against the original for every class at a fixed ``f`` to 25 digits, and a
    mismatch is a :class:`DerivationError`.
    """
    if not nll.free_symbols <= set(outputs) | set(data):
        return nll
    new = sp.expand(sp.expand_log(nll.replace(sp.log, lambda arg: sp.log(sp.together(arg))), force=True))
    at_f = {f: sp.Rational(3 * i + 1, 10) - 1 for i, f in enumerate(outputs)}
    for c in range(len(data) + 1):
        point = {**at_f, **{x: int(i + 1 == c) for i, x in enumerate(data)}}
        before, after = (sp.N(e.subs(point), 30) for e in (nll, new))
        if abs(before - after) > sp.Float("1e-25", 30) * (1 + abs(before)):
            raise DerivationError(
                f"splitting the logarithms of the nll changed its value for class {c}: {before} vs {after}"
            )
    return new


def tidy(expr: sp.Expr) -> sp.Expr:
    """Rational simplification in the exponentials (much cheaper than ``simplify``)."""
    return sp.factor(sp.cancel(sp.powsimp(sp.together(expr))))


# entries are simplified up to this many outputs (the cost of ``factor`` grows fast with k)
_TIDY_MAX_OUTPUTS = 5


def one_hot_curvature(
    fam: FamilyLike, link_map: Mapping[sp.Symbol, sp.Expr], outputs: tuple[sp.Symbol, ...]
) -> tuple[sp.Expr, sp.ImmutableMatrix, sp.ImmutableMatrix, sp.ImmutableMatrix, sp.ImmutableMatrix]:
    """Finite support ``{0, e_1, ..., e_n}``: every expectation is a sum over the classes.

    ``Lambda = sum_c P_c g_c g_c^T`` (``g_c`` the gradient of the nll at class ``c``) by
    definition; when the Hessian of the nll is free of ``y`` and ``sum_c P_c = 1`` it is
    that Hessian (information identity on a finite support), which avoids deriving the
    family's (k-1)-parameter Fisher and pulling it back through the softmax Jacobian
    (5.7 s for 11 classes, growing with k). Either way the result is checked numerically
    against the sum.

    Returns
    -------
    tuple
        ``(nll, grad (k, 1), Lambda (k, k), GGN (k, k), class probabilities (n + 1, 1))``.
    """
    data = tuple(fam.variables)
    nll = log_ratios(-fam.logpdf.subs(link_map), outputs, data)
    probs = class_probabilities(fam, link_map)
    grad = sp.ImmutableMatrix([sp.diff(nll, f) for f in outputs])
    hess = sp.hessian(nll, outputs)
    y_free = not (hess.free_symbols & set(data))
    if len(outputs) <= _TIDY_MAX_OUTPUTS or not y_free:
        hess = hess.applyfunc(tidy)
    ggn = sp.ImmutableMatrix(hess)
    per_class = [grad.subs({x: int(i + 1 == c) for i, x in enumerate(data)}) for c in range(len(data) + 1)]
    if y_free and tidy(sum(probs) - 1) == 0:
        lam = ggn
    else:
        total = sp.zeros(len(outputs), len(outputs))
        for p_c, g_c in zip(probs, per_class):
            total += p_c * g_c * g_c.T
        lam = sp.ImmutableMatrix(total.applyfunc(tidy))
    _check_class_sum(lam, probs, per_class, outputs)
    return nll, grad, lam, ggn, probs


def _check_class_sum(
    lam: sp.ImmutableMatrix,
    probs: sp.ImmutableMatrix,
    per_class: list[sp.ImmutableMatrix],
    outputs: tuple[sp.Symbol, ...],
) -> None:
    """``Lambda`` vs ``sum_c P_c g_c g_c^T`` at a fixed ``f`` to 25 digits (skipped if other
    symbols remain); a mismatch is a :class:`DerivationError`."""
    at = {f: sp.Rational(3 * i + 1, 10) - 1 for i, f in enumerate(outputs)}
    if (lam.free_symbols | probs.free_symbols) - set(outputs):
        return
    direct = sp.zeros(lam.rows, lam.cols)
    for p_c, g_c in zip(probs, per_class):
        g = g_c.subs(at).evalf(40)
        direct += p_c.subs(at).evalf(40) * g * g.T
    diff = max(abs(sp.N(e, 40)) for e in (lam.subs(at) - direct))
    scale = max(abs(e) for e in direct)
    if diff > sp.Float("1e-25", 40) * (1 + scale):
        raise DerivationError(
            f"Lambda of {lam.rows} outputs differs from sum_c P_c g_c g_c^T "
            f"by {sp.N(diff, 5)} at f = {tuple(at.values())}"
        )
