"""Defects the type checker found (issue 11, section 5): each raised a bare TypeError or
AttributeError from deep inside instead of the package's error naming the input."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symfisher as sf
from symfisher.errors import DerivationError, DomainError, InputError, OptionError
from symfisher.numeric.laplace.metrics import predictive_nll
from symfisher.numeric.laplace.predictive import Predictive
from symfisher.options import Likelihood, Structure, option


@pytest.mark.parametrize("enum_cls", [Structure, Likelihood])
def test_unhashable_option_value_is_an_option_error(enum_cls: type) -> None:
    # before: the alias table's dict.get raised "unhashable type: 'list'"
    with pytest.raises(OptionError, match=r"x=\['kron'\] is not one of"):
        option(enum_cls, ["kron"], "x")


def test_aliases_still_resolve() -> None:
    assert option(Structure, " LastLayer ", "structure") is Structure.LAST_LAYER
    assert option(Likelihood, "t", "likelihood") is Likelihood.STUDENT_T
    assert option(Likelihood, "Normal", "likelihood") is Likelihood.GAUSSIAN


def test_predictive_nll_without_variance_names_the_likelihood() -> None:
    # a Predictive from a classification likelihood has no variance; before: None * float TypeError
    pred = Predictive(np.array([[0.5]]), np.zeros((1, 1)), np.zeros((1, 1, 1)))
    with pytest.raises(DomainError, match="predictive_nll for gaussian uses the predictive variance"):
        predictive_nll(Likelihood.GAUSSIAN, pred, np.array([[0.0]]))


def test_predictive_nll_gaussian_value() -> None:
    # exact special case: y = mean, variance 1 -> 0.5 log(2 pi)
    pred = Predictive(np.array([[0.3]]), np.zeros((1, 1)), np.zeros((1, 1, 1)), np.ones((1, 1)))
    assert predictive_nll(Likelihood.GAUSSIAN, pred, np.array([[0.3]])) == pytest.approx(
        0.5 * np.log(2 * np.pi), rel=1e-15
    )


def test_expfam_data_of_a_non_exponential_family_is_a_derivation_error() -> None:
    from symfisher.verification.checks.expfam import expfam_data, expfam_reason

    fam = sf.family("cauchy")
    assert expfam_reason(fam) == "not an exponential family"
    # before: AttributeError 'NoneType' object has no attribute 'params'
    with pytest.raises(DerivationError, match="cauchy: not an exponential family"):
        expfam_data(fam)


def test_pmf_table_refuses_a_simplex_support() -> None:
    from symfisher.verification.numeric.statdist import discrete_sum_information

    fam = sf.family("dirichlet")
    theta = fam.params[0]
    point = {p: sp.Integer(2) for p in fam.params}
    # before: AttributeError 'Simplex' object has no attribute 'xreplace'
    with pytest.raises(InputError, match="needs a discrete support"):
        discrete_sum_information(fam, fam.variables[0], theta, point, n=2, dps=15)
