"""The declarative Family: domains, supports, fixed constants, regularity, keys."""

from __future__ import annotations

import pytest
import sympy as sp

import symfisher as sf
from symfisher.errors import SymfisherError
from symfisher.families.sets import Simplex

x = sp.Symbol("x")
k = sp.Symbol("k", integer=True, nonnegative=True)
mu = sp.Symbol("mu", real=True)
sigma = sp.Symbol("sigma", positive=True)
lam = sp.Symbol("lam", positive=True)
p = sp.Symbol("p")
n = sp.Symbol("n", integer=True, positive=True)


def test_domains_from_assumptions_and_dict() -> None:
    fam = sf.Family(-((x - mu) ** 2) / (2 * sigma**2) - sp.log(sigma), x, [mu, sigma], sp.Reals)
    assert fam.domains[mu] == sp.Reals
    assert fam.domains[sigma] == sp.Interval.open(0, sp.oo)
    fam2 = sf.Family(k * sp.log(p) + sp.log(1 - p), k, {p: sp.Interval.open(0, 1)}, sp.Range(0, sp.oo))
    assert fam2.domains[p] == sp.Interval.open(0, 1)
    with pytest.raises(TypeError):
        fam2.domains[p] = sp.Reals  # read-only mapping


def test_fixed_constants_and_discreteness() -> None:
    fam = sf.Family(
        sp.log(sp.binomial(n, k)) + k * sp.log(p) + (n - k) * sp.log(1 - p),
        k,
        {p: sp.Interval.open(0, 1)},
        sp.Range(0, n + 1),
    )
    assert fam.fixed == (n,)
    assert fam.is_discrete and fam.regular and fam.dim == 1
    assert fam.with_fixed(n=5).fixed == ()
    with pytest.raises(SymfisherError, match="not fixed constants"):
        fam.with_fixed(m=3)


def test_support_checks_name_the_problem() -> None:
    with pytest.raises(SymfisherError, match="declared integer .* interval"):
        sf.Family(k * sp.log(lam) - lam, k, [lam], sp.Interval(0, sp.oo))
    with pytest.raises(SymfisherError, match="need a tuple of sets"):
        sf.Family(-x - sp.Symbol("y") * lam, [x, sp.Symbol("y")], [lam], sp.Interval(0, sp.oo))
    with pytest.raises(SymfisherError, match="does not appear"):
        sf.Family(-x, x, [lam], sp.Interval(0, sp.oo))
    with pytest.raises(ValueError, match="both data variables and parameters"):
        sf.Family(-lam, lam, [lam], sp.Interval(0, sp.oo))


def test_regularity_of_parameter_dependent_support() -> None:
    th = sp.Symbol("theta", positive=True)
    fam = sf.Family(-sp.log(th), x, [th], sp.Interval(0, th))
    assert not fam.regular
    assert "theta" in fam.irregularity


def test_key_is_deterministic_and_content_based() -> None:
    a = sf.Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo))
    b = sf.Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo), name="other name")
    c = sf.Family(sp.log(lam) - lam * x, x, {lam: sp.Interval.open(1, sp.oo)}, sp.Interval(0, sp.oo))
    assert a.key == b.key and a == b and hash(a) == hash(b)
    assert a.key != c.key


def test_from_pdf_expands_the_logarithm() -> None:
    fam = sf.Family.from_pdf(lam * sp.exp(-lam * x), x, [lam], sp.Interval(0, sp.oo))
    assert sp.expand(fam.logpdf - (sp.log(lam) - lam * x)) == 0
    assert sp.simplify(fam.pdf - lam * sp.exp(-lam * x)) == 0


def test_reparametrize_substitutes_and_checks_mapping() -> None:
    beta = sp.Symbol("beta", positive=True)
    fam = sf.Family(sp.log(lam) - lam * x, x, [lam], sp.Interval(0, sp.oo))
    new = fam.reparametrize({lam: 1 / beta}, [beta])
    assert new.params == (beta,) and new.logpdf.has(beta)
    with pytest.raises(SymfisherError, match="no expression given"):
        fam.reparametrize({}, [beta])


def test_simplex_support() -> None:
    s = Simplex(2)
    assert s.contains((0.2, 0.3)) and not s.contains((0.7, 0.4))
    with pytest.raises(ValueError):
        Simplex(0)
    y = sp.Symbol("y")
    a1, a2, a3 = sp.symbols("a1 a2 a3", positive=True)
    logpdf = (
        sp.loggamma(a1 + a2 + a3)
        - sp.loggamma(a1)
        - sp.loggamma(a2)
        - sp.loggamma(a3)
        + (a1 - 1) * sp.log(x)
        + (a2 - 1) * sp.log(y)
        + (a3 - 1) * sp.log(1 - x - y)
    )
    fam = sf.Family(logpdf, [x, y], [a1, a2, a3], Simplex(2))
    assert not fam.is_discrete and fam.regular
    with pytest.raises(SymfisherError, match="coordinates"):
        sf.Family(logpdf, [x, y], [a1, a2, a3], Simplex(3))


def test_repr_mentions_parametrization_and_fixed() -> None:
    fam = sf.Family(
        sp.log(sp.binomial(n, k)) + k * sp.log(p) + (n - k) * sp.log(1 - p),
        k,
        {p: sp.Interval.open(0, 1)},
        sp.Range(0, n + 1),
        name="binomial",
        parametrization="success probability p",
    )
    assert "binomial" in repr(fam) and "success probability" in repr(fam) and "n" in repr(fam)


def test_unknown_family_suggestions_are_close_names_only() -> None:
    """A typo gets the near name; an unrelated word gets no guess (difflib ratio cutoff 0.6)."""
    from symfisher.families.registry import UnknownFamilyError

    with pytest.raises(UnknownFamilyError, match="did you mean 'gamma'"):
        sf.family("gama")
    with pytest.raises(UnknownFamilyError) as info:
        sf.family("nosuch")  # shares "uch" with cauchy: ratio 0.5 was suggested before
    assert "did you mean" not in str(info.value)
