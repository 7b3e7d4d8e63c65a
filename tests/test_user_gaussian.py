"""Issue 12, section 2: user-written multivariate normals with mean and covariance parameters.

Reference (independent route): for x ~ N(m(θ), S(θ)) the Fisher matrix is
I_ij = ∂_i mᵀ S⁻¹ ∂_j m + ½ tr(S⁻¹ ∂_i S S⁻¹ ∂_j S) (e.g. Kay, Fundamentals of Statistical
Signal Processing I, 1993, eq. 3.31), computed here with SymPy matrix algebra directly.
"""

from __future__ import annotations

import sympy as sp

import symfisher as sf

X1, X2, X3 = sp.symbols("x1 x2 x3", real=True)
REALS = sp.Interval(-sp.oo, sp.oo)


def _reference(mean: sp.Matrix, cov: sp.Matrix, params: list[sp.Symbol]) -> sp.Matrix:
    inv = cov.inv()
    p = len(params)
    dm = [mean.diff(t) for t in params]
    dS = [cov.diff(t) for t in params]
    return sp.Matrix(
        p,
        p,
        lambda i, j: (dm[i].T * inv * dm[j])[0, 0] + (inv * dS[i] * inv * dS[j]).trace() / 2,
    )


def _assert_equal(got: sp.Matrix, ref: sp.Matrix) -> None:
    diff = (sp.Matrix(got) - ref).applyfunc(lambda e: sp.simplify(sp.cancel(e)))
    assert diff == sp.zeros(*ref.shape), diff


def test_bivariate_normal_written_by_a_user():
    m1, m2, s12 = sp.symbols("m1 m2 s12", real=True)
    s11, s22 = sp.symbols("s11 s22", positive=True)
    # the exact string of issue 12 (base b6723fa: "no verified closed form")
    text = (
        "exp(-(s22*(x1-m1)**2 - 2*s12*(x1-m1)*(x2-m2) + s11*(x2-m2)**2)/(2*(s11*s22-s12**2)))"
        "/(2*pi*sqrt(s11*s22-s12**2))"
    )
    syms = {s.name: s for s in (X1, X2, m1, m2, s11, s12, s22)}
    pdf = sf.parse_expression(text, syms)
    params = [m1, m2, s11, s12, s22]
    fam = sf.Family.from_pdf(pdf, variables=[X1, X2], params=params, support=(REALS, REALS))
    ref = _reference(sp.Matrix([m1, m2]), sp.Matrix([[s11, s12], [s12, s22]]), params)
    _assert_equal(sf.fisher(fam), ref)


def test_trivariate_normal_with_parametrised_mean_and_covariance():
    a, b = sp.symbols("a b", real=True)
    v, w = sp.symbols("v w", positive=True)
    mean = sp.Matrix([a, a + b, 2 * b])
    cov = sp.Matrix([[v, 0, 0], [0, v, 0], [0, 0, w]])
    x = sp.Matrix([X1, X2, X3])
    quad = ((x - mean).T * cov.inv() * (x - mean))[0, 0]
    pdf = sp.exp(-quad / 2) / sp.sqrt((2 * sp.pi) ** 3 * cov.det())
    params = [a, b, v, w]
    fam = sf.Family.from_pdf(pdf, variables=[X1, X2, X3], params=params, support=(REALS,) * 3)
    _assert_equal(sf.fisher(fam), _reference(mean, cov, params))
