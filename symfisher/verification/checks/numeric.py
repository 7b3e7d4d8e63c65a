"""Identities checked by high-precision numerics: limits (f-divergences, Fisher–Rao distance)
and the Gaussian entropy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp

from symfisher.families.base import Family
from symfisher.options import Status
from symfisher.verification.context import Ctx, judge
from symfisher.verification.numeric.quadrature import param_scales
from symfisher.verification.report import Outcome

__all__ = [
    "f_divergence_second_order",
    "f_divergence_applies",
    "fisher_rao_consistency",
    "gaussian_entropy",
    "FDivergence",
    "F_DIVERGENCES",
]


def _fisher_quadratic(fam: Family, pt: dict, v: list[sp.Expr], dps: int) -> mpmath.mpf:
    from symfisher.derive.fisher.api import fisher

    I = sp.Matrix(fisher(fam)).subs(pt)
    vv = sp.Matrix(v)
    return mpmath.mpf(str(sp.N((vv.T * I * vv)[0, 0], dps)))


@dataclass(frozen=True)
class FDivergence:
    """A convex generator f with f(1) = 0, D_f(P‖Q) = ∫ q f(p/q) (Csiszár).

    Attributes
    ----------
    name : str
        Display name.
    f : callable
        u ↦ f(u) on mpmath numbers.
    f1, f2 : str
        f'(1) and f''(1) as exact rationals (strings); the second-order coefficient of
        D_f(p_θ‖p_{θ+εv}) is ½ f''(1) vᵀIv.
    """

    name: str
    f: Callable[[Any], Any]
    f1: str
    f2: str


def _amari(alpha: Any) -> Callable[[Any], Any]:
    a = mpmath.mpf(alpha)
    return lambda u: 4 / (1 - a**2) * (1 - u ** ((1 + a) / 2))


F_DIVERGENCES: tuple[FDivergence, ...] = (
    FDivergence("KL", lambda u: u * mpmath.log(u), "1", "1"),
    FDivergence("reverse KL", lambda u: -mpmath.log(u), "-1", "1"),
    FDivergence("Pearson χ²", lambda u: (u - 1) ** 2, "0", "2"),
    FDivergence("Neyman χ²", lambda u: (1 - u) ** 2 / u, "0", "2"),
    FDivergence("squared Hellinger", lambda u: (mpmath.sqrt(u) - 1) ** 2, "0", "1/2"),
    FDivergence("Jensen–Shannon", lambda u: (u * mpmath.log(u) - (1 + u) * mpmath.log((1 + u) / 2)) / 2, "0", "1/4"),
    FDivergence("Amari α=1/2", _amari("0.5"), "-4", "1"),
    FDivergence("Amari α=-1/2", _amari("-0.5"), "-4/3", "1"),
)
"""The f-divergences checked; f'(1) only normalises the generator (it does not change D_f)."""

_STEPS = ("1e-4", "5e-5", "2.5e-5")
_CLAMP = 10**4
F_TOL = 1e-8
"""Relative tolerance of the extrapolated ε² coefficient (the extrapolation error is O(ε³))."""


def _divergences(fam: Family, pt: dict, v: list[sp.Expr], dps: int) -> list[list[Any]]:
    """D_f(p_θ‖p_{θ+εv}) for every f of :data:`F_DIVERGENCES` and ε of ``_STEPS``.

    One quadrature/summation pass: the integrands are E_θ[f̃(u)/u] with u = p_θ/p_{θ+εv}
    = exp(−Δ_ε), Δ_ε = ℓ(x; θ+εv) − ℓ(x; θ), f̃(u) = f(u) − f'(1)(u − 1).
    """
    from symfisher.derive.check.integrate import numeric_expectations

    ell = sp.sympify(fam.logpdf)
    deltas = []
    for e in _STEPS:
        eps = sp.Rational(e)
        moved = ell.subs({s: s + eps * vi for s, vi in zip(fam.params, v)}, simultaneous=True)
        deltas.append(moved - ell)
    f1 = [mpmath.mpf(sp.Rational(d.f1).p) / sp.Rational(d.f1).q for d in F_DIVERGENCES]

    def combine(vals: Any) -> list[Any]:
        out = []
        for dv in vals:
            # far tails (|Δ| > 10⁴, where p_θ underflows anyway): clamp, so that exp(−Δ)
            # never has to produce a number with millions of digits (Gumbel: Δ ~ ε e^(−z))
            u = mpmath.exp(-min(max(mpmath.re(dv), -_CLAMP), _CLAMP))
            out += [(d.f(u) - c * (u - 1)) / u for d, c in zip(F_DIVERGENCES, f1)]
        return out

    res = numeric_expectations(fam, deltas, pt, dps=dps, combine=combine).values[1:]
    k = len(F_DIVERGENCES)
    return [[res[i * k + j] for i in range(len(_STEPS))] for j in range(k)]


def _extrapolate(values: list[Any]) -> Any:
    """The ε → 0 limit of D(ε)/ε² from ε, ε/2, ε/4 (two Richardson steps, error O(ε³))."""
    r = [d / mpmath.mpf(e) ** 2 for d, e in zip(values, _STEPS)]
    r1 = [2 * r[1] - r[0], 2 * r[2] - r[1]]
    return (4 * r1[1] - r1[0]) / 3


def _directions(fam: Family, pt: dict) -> list[list[sp.Expr]]:
    v = param_scales(fam, pt)
    if len(v) < 2:
        return [v]
    return [v, [c if i % 2 == 0 else -c for i, c in enumerate(v)]]


def f_divergence_second_order(ctx: Ctx) -> Outcome:
    """D_f(p_θ‖p_{θ+εv}) = ½ f''(1) ε² vᵀI(θ)v + O(ε³) for a set of f-divergences.

    D_f(P‖Q) = ∫ q f(p/q). Checked for KL (f = u log u, f''(1) = 1), reverse KL (−log u, 1),
    Pearson χ² ((u−1)², 2), Neyman χ² ((1−u)²/u, 2), squared Hellinger ((√u−1)², ½),
    Jensen–Shannon (½[u log u − (1+u) log((1+u)/2)], ¼) and Amari's α-divergences for
    α = ±½ (4/(1−α²)(1 − u^((1+α)/2)), 1), at the first check point, along one direction
    v (two for p ≥ 2: v and v with alternating signs, so off-diagonal entries of I
    count): D is computed by mpmath quadrature/summation (dps + 10 digits) at
    ε = 1e-4, 5e-5, 2.5e-5, the ε² coefficient extrapolated (Richardson, error O(ε³))
    and compared with ½ f''(1) vᵀIv from the derived Fisher matrix.

    Fails when a relative residual exceeds 1e-8 (the reason names the divergence);
    a non-regular family fails on regularity (the runner); not applicable to
    continuous vector data.
    """
    fam, pt = ctx.fam, ctx.points[0]
    worst, where = mpmath.mpf(0), ""
    dirs = _directions(fam, pt)
    with mpmath.workdps(ctx.dps + 10):
        for v in dirs:
            quad = _fisher_quadratic(fam, pt, v, ctx.dps + 10)
            for d, vals in zip(F_DIVERGENCES, _divergences(fam, pt, v, ctx.dps + 10)):
                want = quad * mpmath.mpf(sp.Rational(d.f2).p) / sp.Rational(d.f2).q / 2
                rel = abs(_extrapolate(vals) - want) / abs(want)
                if not rel <= worst:
                    worst = rel
                    where = (
                        f"{d.name}: limit {mpmath.nstr(_extrapolate(vals), 12)} ≠ ½f''(1)vᵀIv = {mpmath.nstr(want, 12)}"
                    )
    names = ", ".join(f"{d.name} (f''(1) = {d.f2})" for d in F_DIVERGENCES)
    method = f"mpmath, ε = {', '.join(_STEPS)}, Richardson, {len(dirs)} direction(s): {names}"
    if worst <= F_TOL:
        return Outcome(Status.NUMERIC, float(worst), method)
    return Outcome(Status.FAILS, float(worst) if mpmath.isfinite(worst) else None, method, where)


def f_divergence_applies(fam: Family) -> str | None:
    """None for one data variable or a finite support, else why the check does not apply."""
    sets = fam.support if isinstance(fam.support, tuple) else (fam.support,)
    if len(fam.variables) == 1 or all(isinstance(s, sp.FiniteSet) for s in sets):
        return None
    return "numeric check implemented for one data variable or a finite support"


def fisher_rao_consistency(ctx: Ctx) -> Outcome:
    """d(θ, θ + εv)/ε → √(vᵀ I v) as ε → 0 (Fisher–Rao distance vs the metric)."""
    from symfisher.geometry.geodesic import fisher_rao_distance

    fam, pt = ctx.fam, ctx.points[0]
    if fam.fixed:
        fam = fam.with_fixed(**{s.name: pt[s] for s in fam.fixed})
    v = [float(e) for e in param_scales(fam, pt)]
    x = [float(pt[s]) for s in fam.params]
    eps = 1e-3
    r = [fisher_rao_distance(fam, x, [a + h * b for a, b in zip(x, v)]) / h for h in (eps, eps / 2)]
    limit = 2 * r[1] - r[0]
    want = float(mpmath.sqrt(_fisher_quadratic(ctx.fam, pt, [sp.Float(e) for e in v], 20)))
    rel = abs(limit - want) / want
    method = "Fisher–Rao distance at ε = 1e-3, 5e-4, Richardson"
    if rel <= 1e-5:
        return Outcome(Status.NUMERIC, rel, method)
    return Outcome(Status.FAILS, rel, method, f"limit {limit:.12g} ≠ √(vᵀIv) = {want:.12g}")


def gaussian_entropy(ctx: Ctx) -> Outcome:
    """h = (d/2)(1 + log 2π) + ½ log det Σ for Gaussian data, Σ = (−∇²_x ℓ)⁻¹.

    The D-optimality link: the information about a location shift of the data is
    Σ⁻¹, so maximising log det I minimises h and the confidence-ellipsoid volume
    ∝ det Σ^½.
    """
    from symfisher.derive.expectation.engine import closed_expectation

    fam = ctx.fam
    xs = fam.variables
    ell = sp.sympify(fam.logpdf)
    P = sp.hessian(-ell, xs)
    if P.free_symbols & set(xs) or any(str(s) != "Reals" and s != sp.Reals for s in _supports(fam)):
        return Outcome(Status.NOT_APPLICABLE, None, "", "not a Gaussian family in x")
    d = len(xs)
    h = -closed_expectation(sp.expand(ell), fam)
    rhs = sp.Rational(d, 2) * (1 + sp.log(2 * sp.pi)) - sp.log(P.det()) / 2
    out = judge(ctx, [h - rhs], [h], what="entropy:")
    return Outcome(
        out.status,
        out.residual,
        out.method,
        "h = (d/2)(1+log 2π) − ½ log det Σ⁻¹: maximising log det of the location "
        "information Σ⁻¹ minimises the entropy and the confidence-ellipsoid volume",
    )


def _supports(fam: Family) -> tuple[Any, ...]:
    sup = fam.support
    return sup if isinstance(sup, tuple) else (sup,)
