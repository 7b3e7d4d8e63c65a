"""Issue 12, section 3: softmax output curvature for many classes without symbolic expansion.

Independent routes: the definition Lambda = sum_c P_c g_c g_c^T evaluated numerically
from the closed form's own nll gradient per class, the derived (symbolic) route for
5 classes, and the NumPy likelihood of :mod:`symfisher.numeric.laplace.likelihoods`.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import sympy as sp

import symfisher as sf
from symfisher.errors import OptionError
from symfisher.kfac.softmax import softmax_pieces


def _at(expr: sp.Matrix, fs, f: np.ndarray, extra=None) -> np.ndarray:
    subs = {s: float(v) for s, v in zip(fs, f)} | (extra or {})
    return np.array(sp.Matrix(expr).subs(subs).evalf(30), dtype=float)


def test_closed_form_matches_the_class_sum_definition():
    k = 13
    oc = sf.kfac.output_curvature(f"categorical_{k}")
    f = np.random.default_rng(3).normal(size=k)
    lam = _at(oc.fisher, oc.outputs, f)
    direct = np.zeros((k, k))
    probs = _at(oc.mean, oc.outputs, f).ravel()
    for c in range(k):
        y = {x: int(i + 1 == c) for i, x in enumerate(oc.data)}
        g = _at(oc.grad, oc.outputs, f, y).ravel()
        direct += probs[c] * np.outer(g, g)
    np.testing.assert_allclose(lam, direct, rtol=1e-12, atol=1e-15)
    S = _at(oc.factor, oc.outputs, f)
    np.testing.assert_allclose(S @ S.T, lam, rtol=1e-12, atol=1e-15)
    assert oc.ggn_equals_fisher and oc.one_hot and not oc.constant


def test_closed_form_agrees_with_the_derived_route_for_five_classes():
    derived = sf.kfac.output_curvature("categorical_5")
    pieces = softmax_pieces(5)
    f = np.linspace(-1, 1.3, 5)
    np.testing.assert_allclose(
        _at(pieces["fisher"], pieces["outputs"], f),
        _at(derived.fisher, derived.outputs, f),
        rtol=1e-12,
        atol=1e-15,
    )


def test_many_classes_are_refused_instantly():
    t0 = time.perf_counter()
    with pytest.raises(OptionError, match="numeric likelihood"):
        sf.kfac.output_curvature("categorical_400")  # base b6723fa: minutes of symbolic expansion
    assert time.perf_counter() - t0 < 5.0  # no hang (generous for a loaded machine)
