"""Sampling-window robustness and the prediction plot."""

from __future__ import annotations

import numpy as np
import pytest

import symfisher as sf
from symfisher.errors import DomainError
from symfisher.population.robust import window_efficiency
from symfisher.testing import warfarin as warfarin_oracle

WARFARIN = warfarin_oracle.STRUCTURE
THETA = dict(warfarin_oracle.THETA)
DESIGN = dict(warfarin_oracle.DESIGN)


@pytest.fixture(scope="module")
def warfarin() -> sf.PopulationModel:
    return warfarin_oracle.model("proportional")


def test_zero_window_has_efficiency_one(warfarin: sf.PopulationModel) -> None:
    res = window_efficiency(warfarin, DESIGN, THETA, 0.0, draws=5)
    assert np.allclose(res.efficiencies, 1.0, rtol=0, atol=1e-12)


def test_window_efficiency_equals_recomputed_fims(warfarin: sf.PopulationModel) -> None:
    res = window_efficiency(warfarin, DESIGN, THETA, 0.5, draws=20, seed=2)
    base = sf.population_fim(warfarin, DESIGN, THETA)
    for t, e in zip(res.times[:3], res.efficiencies[:3]):
        other = sf.population_fim(warfarin, {**DESIGN, "times": t.tolist()}, THETA)
        assert e == pytest.approx(other.efficiency(base), rel=1e-10)
    assert np.all(np.abs(res.times - np.array(DESIGN["times"])) <= 0.5 + 1e-12)
    assert "D-efficiency" in res.summary()
    with pytest.raises(DomainError):
        window_efficiency(warfarin, DESIGN, THETA, -1.0)


def test_prediction_plot(warfarin: sf.PopulationModel, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("matplotlib")
    from symfisher.report.population_plots import plot_population_predictions

    out = tmp_path / "pred.png"
    ax = plot_population_predictions(warfarin, DESIGN, THETA, out, individuals=50)
    assert out.stat().st_size > 1000
    assert len(ax.lines) == 2  # the typical curve and the sampling times
