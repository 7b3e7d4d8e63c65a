"""Approximate population designs over sampling schedules and their equivalence-theorem certificate."""

from __future__ import annotations

import numpy as np
import pytest

import symfisher as sf
from symfisher.errors import DesignSpaceError
from symfisher.testing import warfarin as warfarin_oracle

THETA = {**warfarin_oracle.THETA, "sigma2_add": warfarin_oracle.SIGMA2_ADD}
GRID = [0.25, 0.5, 1, 2, 3, 5, 7, 10, 24, 48, 72, 96, 120]


def test_one_parameter_decay_puts_all_weight_at_one_over_k() -> None:
    """Exact special case: I(t) ∝ t² exp(-2Kt) has its unique maximum at t = 1/K = 2."""
    m = sf.PopulationModel("exp(-K*t)", {"K": "fixed"}, error="additive", fixed=["sigma2_add"])
    res = sf.approximate_population_design(
        m,
        {"K": 0.5, "sigma2_add": 0.01},
        samples=1,
        grid=np.linspace(0.1, 10, 100),
        windows=(0, 10),
    )
    assert res.schedules.tolist() == [[2.0]] and res.weights.tolist() == [1.0]
    assert res.max_sensitivity == pytest.approx(1.0, abs=1e-9)


def test_warfarin_certificate() -> None:
    m = warfarin_oracle.model("combined")
    res = sf.approximate_population_design(m, THETA, samples=2, grid=GRID, group={"DOSE": 70}, windows=(0.25, 120))
    p = len(m.parameters)
    assert res.bound == p and res.weights.sum() == pytest.approx(1.0, abs=1e-12)
    # the information of the design, recomputed independently with population_fim, group by group
    groups = [{"times": s.tolist(), "n": w, "DOSE": 70} for s, w in zip(res.schedules, res.weights)]
    m_xi = sf.population_fim(m, groups, THETA).matrix
    assert np.allclose(m_xi, res.information, rtol=1e-3)  # dropped weights < 1e-4 change it a little
    minv = np.linalg.inv(res.information)
    d_support = [
        np.trace(minv @ sf.population_fim(m, {"times": s.tolist(), "n": 1, "DOSE": 70}, THETA).matrix)
        for s in res.schedules
    ]
    # near equality on the support (equivalence theorem; the weights are optimal to the tolerance only)
    assert np.all(np.abs(np.array(d_support) - p) <= 5e-3 * p)
    assert p - 1e-9 <= res.max_sensitivity <= p * 1.001  # certified: D-efficiency >= 0.999
    assert res.efficiency_bound == pytest.approx(p / res.max_sensitivity)
    # random schedules never exceed the certified maximum
    rng = np.random.default_rng(0)
    for _ in range(20):
        s = np.sort(rng.uniform(0.25, 120, 2))
        d = np.trace(minv @ sf.population_fim(m, {"times": s.tolist(), "n": 1, "DOSE": 70}, THETA).matrix)
        assert d <= res.max_sensitivity + 1e-9


def test_too_many_candidates_is_refused() -> None:
    m = sf.PopulationModel("exp(-K*t)", {"K": "lognormal"}, error="additive")
    with pytest.raises(DesignSpaceError, match="candidate schedules"):
        sf.approximate_population_design(
            m,
            {"K": 0.5, "omega2_K": 0.1, "sigma2_add": 0.01},
            samples=6,
            grid=np.linspace(0, 10, 200),
        )
