"""The distribution of a statistic T_n = T(X₁) + … + T(X_n) and the information it carries.

Used by the sufficiency identity: the Fisher information about one parameter θ carried
by T_n is computed from the *distribution of T_n* alone, with no use of the score of X
or of the exponential-family algebra:

- discrete data: the probability mass function of T(X) is tabulated (exact statistic
  values as keys, the tail cut below 10^(−dps−5)), convolved n times, and
  I_T(θ) = Σ_t (∂_θ p_T(t))² / p_T(t) with ∂_θ by :func:`mpmath.diff` (mpmath, ``dps``
  digits);
- continuous data: the density of T(X) by the change of variables x = T⁻¹(t) (every
  monotone branch), the density of T₁ + T₂ by the convolution integral and
  I_T(θ) = ∫ (∂_θ p_T)² / p_T by composite Gauss–Legendre quadrature (float64,
  vectorised, panels graded towards the ends; the error estimate is the change when
  the panels are doubled).

Dimension letters: n is the number of copies, m the number of quadrature nodes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from symfisher.errors import InputError
from symfisher.families.base import Family
from symfisher.families.sets import Simplex

__all__ = ["Branch", "branches", "discrete_sum_information", "continuous_sum_information"]


@dataclass(frozen=True)
class Branch:
    """One monotone branch of x ↦ T(x): on (lo, hi) in t, log p_T gets log p(x(t)) + log|x'(t)|.

    Attributes
    ----------
    logp : sympy.Expr
        log p_X(x(t)) + log|dx/dt|, in the symbol ``t`` (and the parameters).
    lo, hi : sympy.Expr
        The image of the branch's x-interval (may be ±oo).
    """

    logp: sp.Expr
    lo: sp.Expr
    hi: sp.Expr


def _interval(fam: Family) -> sp.Interval:
    sup = fam.support[0] if isinstance(fam.support, tuple) else fam.support
    return sp.Interval(-sp.oo, sp.oo) if sup == sp.Reals else sup


def branches(fam: Family, T: sp.Expr, t: sp.Symbol, point: dict | None = None) -> list[Branch] | None:
    """The density of T(X) for one continuous variable as a sum over monotone branches.

    Parameters
    ----------
    fam : Family
        One continuous data variable x on an interval.
    T : sympy.Expr
        The statistic T(x) (free of the parameter of interest).
    t : Symbol
        The variable of the density of T.
    point : dict, optional
        Values substituted in T and the support first (needed when the turning points
        of T depend on other parameters).

    Returns
    -------
    list of Branch or None
        None when T cannot be inverted on a piece (SymPy's ``solve`` finds no root).

    Examples
    --------
    >>> import symfisher as sf
    >>> fam = sf.family("exponential"); t = sp.Symbol("t")
    >>> [b.logp for b in branches(fam, fam.variables[0], t)]
    [-lambda*t + log(lambda)]
    """
    point = point or {}
    x = fam.variables[0]
    iv = _interval(fam).xreplace(point)
    lo, hi = iv.inf, iv.sup
    xr = sp.Dummy("x", positive=True) if lo.is_nonnegative else sp.Dummy("x", real=True)
    T_sym = sp.sympify(T).xreplace({x: xr})  # solved with symbols, then evaluated at point
    # |u(x)|: cut at the kinks u = 0 and look for turning points of either sign choice
    absolutes = list(T_sym.atoms(sp.Abs))
    kinks = [r for a in absolutes for r in sp.solve(a.args[0], xr)]
    smooth = [
        T_sym.xreplace(dict(zip(absolutes, signs)))
        for signs in itertools.product(*[(a.args[0], -a.args[0]) for a in absolutes])
    ]
    turning = [r for v in smooth for r in sp.solve(sp.diff(v, xr), xr)]
    crit = sorted(
        {c for c in (r.xreplace(point) for r in [*turning, *kinks]) if c.is_real and c.is_number and lo < c < hi},
        key=float,
    )
    cuts = [lo, *crit, hi]
    ell = sp.sympify(fam.logpdf).xreplace({x: xr})
    tt = sp.Dummy("t", real=True)
    out, solved = [], {}
    for a, b in zip(cuts[:-1], cuts[1:]):
        # solve the symbolic T (x**k = t is instant; x**(37/20) = t at the point is not)
        piece = _without_abs(T_sym, xr, _inside(a, b), point)
        if piece not in solved:
            solved[piece] = [r.xreplace(point) for r in sp.solve(piece - tt, xr)]
        br = _branch(piece.xreplace(point), xr, ell, (t, tt), solved[piece], a, b)
        if br is None:
            return None
        out.append(br)
    return out


def _without_abs(Tx: sp.Expr, xr: sp.Symbol, mid: sp.Expr, point: dict) -> sp.Expr:
    """``T`` on the piece around ``mid`` with every ``|u|`` replaced by ``±u`` (its sign
    at ``mid`` and ``point``; the pieces are cut at the kinks ``u = 0``)."""

    def sign_of(e: sp.Abs) -> sp.Expr:
        return e.args[0] if e.args[0].xreplace(point).subs(xr, mid) >= 0 else -e.args[0]

    return Tx.replace(lambda e: isinstance(e, sp.Abs), sign_of)


def _inside(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    if a.is_finite and b.is_finite:
        return (a + b) / 2
    if a.is_finite:
        return a + 1
    if b.is_finite:
        return b - 1
    return sp.S.Zero


def _branch(
    Tx: sp.Expr,
    xr: sp.Symbol,
    ell: sp.Expr,
    ts: tuple[sp.Symbol, sp.Symbol],
    roots: list[sp.Expr],
    a: sp.Expr,
    b: sp.Expr,
) -> Branch | None:
    """The root x(t) of T(x) = t on (a, b) and the image of (a, b)."""
    t, tt = ts
    mid = _inside(a, b)
    t_mid = Tx.subs(xr, mid)
    for root in roots:
        val = sp.N(root.subs(tt, t_mid), 20)
        if not val.is_real or abs(val - mid) > 1e-12 * (1 + abs(mid)):
            continue
        ends = sorted(
            (sp.limit(Tx, xr, a, "+"), sp.limit(Tx, xr, b, "-")),
            key=lambda e: float(e) if e.is_finite else (-1e300 if e == -sp.oo else 1e300),
        )
        jac = sp.log(sp.Abs(sp.diff(root, tt)))
        logp = (ell.subs(xr, root) + jac).subs(tt, t)
        # simplify turns log(1/(2b)) - |u|/b into log((2b)**(2b)) / (2b): keep |u| as is
        tidy = logp.count_ops() < 60 and not logp.has(sp.Abs)
        return Branch(sp.simplify(logp) if tidy else logp, ends[0], ends[1])
    return None


# --------------------------------------------------------------------- discrete route
def _pmf_table(fam: Family, T: sp.Expr, theta: sp.Symbol, point: dict, dps: int) -> Callable[[Any], dict[sp.Expr, Any]]:
    """θ ↦ {T(x): p(x; θ)} over the support (an infinite tail cut below 10^(−dps−5))."""
    x = fam.variables[0]
    sup = fam.support[0] if isinstance(fam.support, tuple) else fam.support
    if isinstance(sup, Simplex):
        raise InputError(f"{fam.name}: a pmf table needs a discrete support, not {sup}")
    rng = sup.xreplace(point)
    others = {k: v for k, v in point.items() if k != theta}
    ell = sp.sympify(fam.logpdf).xreplace(others)
    logp = sp.lambdify([x, theta], ell, modules="mpmath")
    lo = int(rng.inf)
    hi = int(rng.sup) if rng.sup.is_finite else None
    stat = sp.sympify(T).xreplace(others)
    keys: dict[int, sp.Expr] = {}

    def key(k: int) -> sp.Expr:
        if k not in keys:
            keys[k] = sp.nsimplify(stat.subs(x, k))
        return keys[k]

    def table(th: Any) -> dict[sp.Expr, Any]:
        out: dict[sp.Expr, Any] = {}
        cut, quiet, k = mpmath.mpf(10) ** (-dps - 5), 0, lo
        while hi is None or k <= hi:
            p = mpmath.exp(logp(k, th))
            out[key(k)] = out.get(key(k), 0) + p
            quiet = quiet + 1 if p < cut else 0
            if hi is None and quiet >= 5 and k > lo + 5:
                break
            k += 1
        return out

    return table


def _convolve(a: dict, b: dict) -> dict:
    out: dict = {}
    for ka, pa in a.items():
        for kb, pb in b.items():
            out[ka + kb] = out.get(ka + kb, 0) + pa * pb
    return out


def discrete_sum_information(
    fam: Family, T: sp.Expr, theta: sp.Symbol, point: dict, n: int = 3, dps: int = 30
) -> mpmath.mpf:
    """I_{T_n}(θ) = Σ_t (∂_θ P(T_n = t))² / P(T_n = t) for integer data (mpmath).

    Parameters
    ----------
    fam : Family
        One integer data variable.
    T : sympy.Expr
        The statistic T(x).
    theta : Symbol
        The parameter of interest; every other parameter and constant is taken from ``point``.
    point : dict
        Values of every parameter and fixed constant.
    n : int
        Number of copies.
    dps : int
        Working precision.

    Returns
    -------
    mpmath.mpf
        The information about θ carried by T(X₁) + … + T(X_n).

    Examples
    --------
    >>> import symfisher as sf
    >>> fam = sf.family("poisson"); lam = fam.params[0]
    >>> float(discrete_sum_information(fam, fam.variables[0], lam, {lam: 2}, n=3, dps=20))
    1.5
    """
    table = _pmf_table(fam, T, theta, point, dps)
    memo: dict[Any, dict] = {}

    def pmf(th: Any) -> dict:
        if th not in memo:
            one = table(th)
            acc = one
            for _ in range(n - 1):
                acc = _convolve(acc, one)
            memo[th] = acc
        return memo[th]

    with mpmath.workdps(dps + 10):
        th0 = mpmath.mpf(str(sp.N(point[theta], dps + 10)))
        base = pmf(th0)
        total = mpmath.mpf(0)
        for tval, p in base.items():
            if p == 0:
                continue
            d = mpmath.diff(lambda th, tv=tval: pmf(th).get(tv, mpmath.mpf(0)), th0)
            total += d * d / p
    return +total


# -------------------------------------------------------------------- continuous route
def _panels(lo: float, hi: float, k: int, grade_lo: bool, grade_hi: bool) -> np.ndarray:
    """Panel edges on [lo, hi]: k uniform panels, geometrically graded towards a singular end."""
    edges = list(np.linspace(lo, hi, k + 1))
    w = (hi - lo) / k
    if grade_lo:
        edges += [lo + w * 0.15**j for j in range(1, 14)]
    if grade_hi:
        edges += [hi - w * 0.15**j for j in range(1, 14)]
    return np.unique(np.array(edges))


def _rule(edges: np.ndarray, order: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss–Legendre nodes and weights (shape (m,)) on the panels ``edges``."""
    g, w = np.polynomial.legendre.leggauss(order)
    a, b = edges[:-1, None], edges[1:, None]
    nodes = (a + b) / 2 + (b - a) / 2 * g[None, :]
    weights = (b - a) / 2 * w[None, :]
    return nodes.ravel(), weights.ravel()


@dataclass(frozen=True)
class _Dens:
    """log p_T(t) and ∂_θ log p_T(t) per branch, vectorised numpy functions of t."""

    parts: tuple[
        tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray], float, float, float], ...
    ]

    def both(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """p_T(t) and ∂_θ p_T(t), shape of t (0 outside every branch)."""
        p, d = np.zeros_like(t), np.zeros_like(t)
        for logp, score, lo, hi, mid in self.parts:
            inside = (t > lo) & (t < hi)
            tt = np.where(inside, t, mid)
            with np.errstate(all="ignore"):
                pv = np.where(inside, np.exp(logp(tt)), 0.0)
                dv = np.where(inside, pv * score(tt), 0.0)
            # a node rounded onto a singular end (p = inf) or outside (nan) contributes 0
            p = p + np.nan_to_num(pv, nan=0.0, posinf=0.0, neginf=0.0)
            d = d + np.where(np.isfinite(pv), np.nan_to_num(dv, nan=0.0, posinf=0.0, neginf=0.0), 0.0)
        return p, d


def _dens(brs: list[Branch], t: sp.Symbol, theta: sp.Symbol, point: dict) -> _Dens:
    parts = []
    others = {k: v for k, v in point.items() if k != theta}
    th = point[theta]
    for b in brs:
        lp = b.logp.xreplace(others)
        sc = sp.diff(lp, theta)
        f = sp.lambdify([t], lp.subs(theta, th), modules=["scipy", "numpy"])
        g = sp.lambdify([t], sc.subs(theta, th), modules=["scipy", "numpy"])
        lo, hi = (float(sp.N(e.xreplace(others))) for e in (b.lo, b.hi))
        parts.append((_vec(f), _vec(g), lo, hi, float(_inside(sp.Float(lo), sp.Float(hi)))))
    return _Dens(tuple(parts))


def _vec(f: Callable[..., Any]) -> Callable[[np.ndarray], np.ndarray]:
    return lambda t: np.broadcast_to(np.asarray(f(t), dtype=float), np.shape(t))


def _effective(dens: _Dens, lo: float, hi: float) -> tuple[float, float]:
    """Where p_T exceeds 1e-34 × its maximum (a cut of the infinite ends)."""
    lo_s = lo if np.isfinite(lo) else None
    hi_s = hi if np.isfinite(hi) else None
    a = lo_s if lo_s is not None else (-1e4 if hi_s is None else min(-1e4, hi_s - 1e4))
    b = hi_s if hi_s is not None else (1e4 if lo_s is None else max(1e4, lo_s + 1e4))
    u = np.linspace(-1, 1, 200001)
    grid = (a + b) / 2 + (b - a) / 2 * np.sinh(8 * u) / np.sinh(8)
    p, _ = dens.both(grid)
    keep = np.nonzero(p > p.max() * 1e-34)[0]
    left = grid[max(keep[0] - 1, 0)] if lo_s is None else lo_s
    right = grid[min(keep[-1] + 1, grid.size - 1)] if hi_s is None else hi_s
    return float(left), float(right)


def _sum_info(dens: _Dens, a: float, b: float, k: int, sing: tuple[bool, bool]) -> float:
    """∫ (∂_θ p₂)² / p₂ over [2a, 2b] with p₂ = p_T * p_T (convolution), k panels."""
    un, uw = _rule(_panels(2 * a, 2 * b, 2 * k, *sing))
    s01, w01 = _rule(_panels(0.0, 1.0, k, any(sing), any(sing)))
    info = 0.0
    for chunk in np.array_split(np.arange(un.size), max(1, un.size // 64)):
        u = un[chunk][:, None]
        lo_s = np.maximum(a, u - b)
        hi_s = np.minimum(b, u - a)
        s = lo_s + (hi_s - lo_s) * s01[None, :]
        w = (hi_s - lo_s) * w01[None, :]
        p1, d1 = dens.both(s)
        p2, d2 = dens.both(u - s)
        p = (w * p1 * p2).sum(axis=1)
        dp = (w * (d1 * p2 + p1 * d2)).sum(axis=1)
        ok = p > 0
        info += float((uw[chunk][ok] * dp[ok] ** 2 / p[ok]).sum())
    return info


def continuous_sum_information(brs: list[Branch], t: sp.Symbol, theta: sp.Symbol, point: dict) -> tuple[float, float]:
    """I_{T₁+T₂}(θ) for one continuous variable by quadrature of the convolution (float64).

    Parameters
    ----------
    brs : list of Branch
        The density of T(X) (from :func:`branches`).
    t : Symbol
        The variable of the branches' log-densities.
    theta : Symbol
        The parameter of interest.
    point : dict
        Values of every parameter and fixed constant.

    Returns
    -------
    (float, float)
        The information about θ carried by T(X₁) + T(X₂), and its quadrature error
        estimate (change when the panels are doubled).

    Examples
    --------
    >>> import symfisher as sf
    >>> fam = sf.family("exponential"); lam = fam.params[0]; t = sp.Symbol("t")
    >>> info, err = continuous_sum_information(branches(fam, fam.variables[0], t), t, lam, {lam: 2})
    >>> round(info, 10)   # 2 I(λ) = 2/λ²
    0.5
    """
    dens = _dens(brs, t, theta, point)
    lo = min(p[2] for p in dens.parts)
    hi = max(p[3] for p in dens.parts)
    a, b = _effective(dens, lo, hi)
    sing = (bool(np.isfinite(lo)), bool(np.isfinite(hi)))
    coarse = _sum_info(dens, a, b, 24, sing)
    fine = _sum_info(dens, a, b, 48, sing)
    return fine, abs(fine - coarse)
