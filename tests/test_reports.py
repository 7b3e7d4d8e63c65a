"""One report protocol (issue 11 §3): every result has ``summary()`` and ``to_dict()``
(JSON-serialisable), and ``_repr_latex_`` where there is mathematics."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

import symfisher as sf


def _results() -> dict[str, object]:
    rng = np.random.default_rng(0)
    net = sf.nn.MLP.random([2, 3, 1], rng)
    X, y = rng.standard_normal((15, 2)), rng.standard_normal(15)
    emax = sf.model("emax")
    e0, em, ed = emax.params
    return {
        "fisher": sf.derive.fisher.api.derive_fisher(sf.family("poisson")),
        "design": sf.optimal_design(emax, theta={e0: 0, em: 1, ed: 25}, space=(0, 150)),
        "kron": sf.kfac.kron_error(rng.standard_normal((20, 3)), rng.standard_normal((20, 2))),
        "laplace": sf.laplace(net, X, y, structure="diag"),
        "verify": sf.verify("poisson", identities=["score_mean_zero"]),
    }


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    import symfisher.derive.fisher.api  # noqa: F401  (derive_fisher gives the FisherResult)

    return _results()


@pytest.mark.parametrize("kind", ["fisher", "design", "kron", "laplace", "verify"])
def test_summary_and_to_dict(results: dict[str, object], kind: str) -> None:
    res = results[kind]
    text = res.summary()  # type: ignore[attr-defined]
    assert isinstance(text, str) and text.strip()
    json.dumps(res.to_dict())  # type: ignore[attr-defined]


def test_fisher_result_latex_and_content(results: dict[str, object]) -> None:
    res = results["fisher"]
    assert res._repr_latex_().startswith("$")  # type: ignore[attr-defined]
    d = res.to_dict()  # type: ignore[attr-defined]
    lam = sp.Symbol("lambda", positive=True)
    entry = sf.parse_expression(d["matrix"][0][0], {"lambda": lam})
    assert entry == 1 / lam  # Poisson: I = 1/λ (exact)
    assert d["checked"] is True


def test_geodesic_returns_a_report() -> None:
    """σ(t) = e^t along the σ-axis of the normal family's metric (exact)."""
    mu, s = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
    geo = sf.geodesic(sp.diag(1 / s**2, 2 / s**2), [0.0, 1.0], [0.0, 1.0], t=1.0, steps=4, coords=[mu, s])
    assert geo.path[-1, 1] == pytest.approx(np.e, rel=1e-10)
    assert "geodesic from" in geo.summary()
    json.dumps(geo.to_dict())


def test_kl_divergence_returns_a_report() -> None:
    """Poisson: KL = λ₁ log(λ₁/λ₂) − λ₁ + λ₂ (exact); the report unpacks as before."""
    rep = sf.kl_divergence(sf.family("poisson"))
    kl, (l1,), (l2,) = rep
    assert sp.simplify(kl - (l1 * sp.log(l1 / l2) - l1 + l2)) == 0
    assert rep.checked and "cross-checked" in rep.summary()
    json.dumps(rep.to_dict())
    assert rep._repr_latex_().startswith("$")
