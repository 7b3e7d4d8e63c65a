"""Score, Hessian and observed information; non-smooth detection; sampling of check points."""

from __future__ import annotations

import mpmath
import sympy as sp

import symfisher as sf
from symfisher.derive.check.core import cross_check
from symfisher.derive.check.points import sample_points
from symfisher.derive.smooth import hessian_route_problem, non_smooth_terms

x = sp.Symbol("x")
mu = sp.Symbol("mu", real=True)
sigma = sp.Symbol("sigma", positive=True)
b = sp.Symbol("b", positive=True)
REALS = sp.Interval(-sp.oo, sp.oo)


def normal() -> sf.Family:
    return sf.Family(-((x - mu) ** 2) / (2 * sigma**2) - sp.log(sigma) - sp.log(2 * sp.pi) / 2, x, [mu, sigma], REALS)


def test_score_and_hessian_of_normal() -> None:
    s = sf.score(normal())
    assert s.shape == (2, 1) and isinstance(s, sp.ImmutableMatrix)
    assert sp.simplify(s[0] - (x - mu) / sigma**2) == 0
    assert sp.simplify(s[1] - (-1 / sigma + (x - mu) ** 2 / sigma**3)) == 0
    h = sf.hessian(normal())
    assert h.shape == (2, 2) and h == h.T
    assert sp.simplify(h[1, 1] - (1 / sigma**2 - 3 * (x - mu) ** 2 / sigma**4)) == 0
    assert sf.observed_information(normal()) == -h


def test_hessian_is_jacobian_of_score_numerically() -> None:
    # Independent route: finite differences of the score at a point (mpmath, 30 digits).
    fam = normal()
    s, h = sf.score(fam), sf.hessian(fam)
    point = {x: sp.Rational(7, 10), mu: sp.Rational(-1, 3), sigma: sp.Rational(5, 4)}
    f = sp.lambdify([x, mu, sigma], list(s), "mpmath")
    with mpmath.workdps(30):
        for j, name in enumerate([mu, sigma]):

            def comp(t: mpmath.mpf, j: int = j) -> mpmath.mpf:
                args = [point[x], point[mu], point[sigma]]
                args = [mpmath.mpf(sp.N(a, 40)) for a in args]
                args[1 + j] = t
                return f(*args)[0]

            deriv = mpmath.diff(comp, mpmath.mpf(sp.N(point[name], 40)))
            assert abs(deriv - sp.N(h[0, j].xreplace(point), 30)) < 1e-25


def test_laplace_score_uses_real_sign() -> None:
    fam = sf.Family(-sp.log(2 * b) - sp.Abs(x - mu) / b, x, [mu, b], REALS)
    assert sf.score(fam)[0] == sp.sign(x - mu) / b
    (term,) = non_smooth_terms(fam.logpdf, fam.variables, fam.params)
    assert term.params == (mu,)
    assert "Abs" in hessian_route_problem(fam)
    assert hessian_route_problem(normal()) is None


def test_sample_points_are_deterministic_and_inside_constraints() -> None:
    p1, p2 = sp.symbols("p1 p2")
    k1, k2 = sp.symbols("k1 k2", integer=True)
    pts = [(0, 0), (1, 0), (0, 1)]
    logpdf = k1 * sp.log(p1) + k2 * sp.log(p2) + (1 - k1 - k2) * sp.log(1 - p1 - p2)
    fam = sf.Family(
        logpdf,
        [k1, k2],
        {p1: sp.Interval.open(0, 1), p2: sp.Interval.open(0, 1)},
        sp.FiniteSet(*[sp.Tuple(*t) for t in pts]),
        constraints=[p1 + p2 < 1],
    )
    a, b2 = sample_points(fam, 5), sample_points(fam, 5)
    assert a == b2
    assert all(pt[p1] + pt[p2] < 1 and 0 < pt[p1] < 1 for pt in a)
    # categorical k = 3: I = diag(1/p_i) + 1/p_3 (Lehmann & Casella 1998, Ex. 2.6.6)
    info = sp.Matrix([[1 / p1 + 1 / (1 - p1 - p2), 1 / (1 - p1 - p2)], [1 / (1 - p1 - p2), 1 / p2 + 1 / (1 - p1 - p2)]])
    report = cross_check(fam, info)
    assert report.method == "finite-sum" and report.residual < 1e-25


def test_fixed_integer_constants_get_integer_values() -> None:
    n = sp.Symbol("n", integer=True, positive=True)
    k = sp.Symbol("k", integer=True, nonnegative=True)
    p = sp.Symbol("p")
    fam = sf.Family(
        sp.log(sp.binomial(n, k)) + k * sp.log(p) + (n - k) * sp.log(1 - p),
        k,
        {p: sp.Interval.open(0, 1)},
        sp.Range(0, n + 1),
    )
    for pt in sample_points(fam, 4):
        assert pt[n].is_Integer and pt[n] >= 1
    # binomial: I(p) = n/(p(1-p)) (Lehmann & Casella 1998, Table 2.5.1)
    assert cross_check(fam, sp.Matrix([[n / (p * (1 - p))]])).method == "mpmath-sum"
