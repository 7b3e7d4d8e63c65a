"""The compiled DOP853 geodesic integrator (symfisher.numeric.geodesic.ode) against independent routes."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_bvp

import symfisher as sf
from symfisher.derive.geometry.connections import christoffel_of
from symfisher.derive.geometry.metric import metric_data
from symfisher.errors import DomainError
from symfisher.geometry.geodesic import _christoffel_kernel, _metric_kernel, fisher_rao_distance, geodesic
from symfisher.numeric.geodesic.batch import integrate_batch
from symfisher.numeric.geodesic.ode import Box, LoopKernel, _compiled
from symfisher.numeric.geodesic.solve import integrate_geodesic, shooting_distance

k, beta = sp.symbols("k beta", positive=True)
mu = sp.Symbol("mu", real=True)
sigma = sp.Symbol("sigma", positive=True)
p1, p2 = sp.symbols("p1 p2", positive=True)
GAMMA = sp.Matrix([[sp.polygamma(1, k), -1 / beta], [-1 / beta, k / beta**2]])
NORMAL = sp.diag(1 / sigma**2, 2 / sigma**2)


@numba.njit(cache=False)
def _flat2(n, x, s, out):  # noqa: ANN001, ANN202  (a dense kernel loop: Γ ≡ 0, p = 2)
    for i in range(n):
        for j in range(8):
            out[i, j] = 0.0


FLAT2 = LoopKernel(_flat2, 2, (2, 2, 2))


def _bvp_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Collocation (scipy.integrate.solve_bvp) with a lambdify/SciPy-special Christoffel."""
    md = metric_data(GAMMA, [k, beta])
    G = sp.lambdify(md.coords, sp.flatten(christoffel_of(md, "second").tolist()), ["scipy", "numpy"])
    g = sp.lambdify(md.coords, GAMMA, ["scipy", "numpy"])

    def f(_x: np.ndarray, y: np.ndarray) -> np.ndarray:
        vals = G(y[0], y[1])
        Gam = np.stack([np.broadcast_to(np.asarray(v, float), y[0].shape) for v in vals])
        Gam = Gam.reshape(2, 2, 2, -1)
        acc = -np.einsum("kijn,in,jn->kn", Gam, y[2:], y[2:])
        return np.vstack([y[2:], acc])

    x = np.linspace(0, 1, 21)
    y0 = np.vstack([a[:, None] + (b - a)[:, None] * x, np.repeat((b - a)[:, None], x.size, 1)])
    sol = solve_bvp(f, lambda ya, yb: np.concatenate([ya[:2] - a, yb[:2] - b]), x, y0, tol=1e-10, max_nodes=100_000)
    assert sol.status == 0
    v = sol.y[2:, 0]
    return float(np.sqrt(v @ np.array(g(*a), dtype=float) @ v))


@pytest.mark.parametrize(("a", "b"), [((2.0, 1.0), (5.0, 3.0)), ((0.7, 2.0), (1.6, 0.5))])
def test_gamma_distance_matches_collocation(a, b) -> None:
    # Independent route: SciPy's collocation BVP solver with SciPy's polygamma in a
    # lambdified Christoffel function, against shooting with the compiled integrator.
    a, b = np.array(a), np.array(b)
    want = _bvp_distance(a, b)
    got = sf.fisher_rao_distance(sf.family("gamma"), a, b)
    assert got == pytest.approx(want, rel=1e-8)
    assert got == pytest.approx(sf.fisher_rao_distance(sf.family("gamma"), a, b, integrator="scipy"), rel=1e-10)


def test_compiled_and_scipy_paths_agree_on_output_times() -> None:
    # Same method (DOP853) in both backends; outputs land exactly on the requested times.
    x0, v0 = [2.0, 1.0], [0.5, 0.7]
    _sol = geodesic(GAMMA, x0, v0, t=1.0, steps=10, coords=[k, beta])
    tc = _sol.t
    pc = _sol.path
    vc = _sol.vel
    _sol = geodesic(GAMMA, x0, v0, t=1.0, steps=10, coords=[k, beta], integrator="scipy")
    ps = _sol.path
    vs = _sol.vel
    np.testing.assert_array_equal(tc, np.linspace(0.0, 1.0, 11))
    np.testing.assert_allclose(pc, ps, rtol=1e-10)
    np.testing.assert_allclose(vc, vs, rtol=1e-9)


def test_zero_time_returns_the_start_at_every_requested_time() -> None:
    _sol = geodesic(NORMAL, [0.0, 1.0], [1.0, 0.5], t=0.0, steps=3, coords=[mu, sigma])
    t = _sol.t
    path = _sol.path
    vel = _sol.vel
    assert t.tolist() == [0.0] * 4
    np.testing.assert_array_equal(path, [[0.0, 1.0]] * 4)
    np.testing.assert_array_equal(vel, [[1.0, 0.5]] * 4)


def test_backward_time_is_reversed_velocity() -> None:
    # Exact: γ_v(−t) = γ_{−v}(t).
    x0, v0 = [2.0, 1.0], np.array([0.4, -0.3])
    _sol = geodesic(GAMMA, x0, v0, t=-0.8, steps=4, coords=[k, beta])
    back = _sol.path
    _sol = geodesic(GAMMA, x0, -v0, t=0.8, steps=4, coords=[k, beta])
    fwd = _sol.path
    np.testing.assert_allclose(back, fwd, rtol=1e-10)


def test_normal_sigma_axis_without_python_steps() -> None:
    # Exact: σ(t) = σ0 exp(t v/σ0) on μ = const for 2 dσ²/σ² (numeric layer, compiled).
    md = metric_data(NORMAL, [mu, sigma])
    sol = integrate_geodesic(_christoffel_kernel(md), [0.0, 2.0], [0.0, 1.0], t_end=3.0, steps=3, integrator="compiled")
    np.testing.assert_allclose(sol.path[:, 1], 2.0 * np.exp(sol.t / 2.0), rtol=1e-10)


def test_loop_kernel_equals_checked_kernel_call() -> None:
    # The raw loop and Kernel.__call__ run the same generated code: identical numbers.
    md = metric_data(GAMMA, [k, beta])
    kern = sf.compile(christoffel_of(md, "second"), args=[[k, beta]])
    th = np.array([[2.0, 1.0], [0.3, 4.0], [7.5, 0.2]])
    np.testing.assert_array_equal(_christoffel_kernel(md)(th), kern(th))


def test_constraint_exit_is_detected() -> None:
    # Straight line (0.2, 0.2) + t(1, 1) leaves {x + y < 1} at t = 0.3 (exact).
    box = Box((0.0, 0.0), (1.0, 1.0), (False, False), (False, False), constraints=lambda th: th.sum(axis=1) < 1)
    b = integrate_batch(FLAT2, np.array([[0.2, 0.2]]), np.array([[1.0, 1.0]]), 1.0, 1e-10, 1e-12, inside=box)
    assert not b.ok and 0.0 <= b.t_stop < 0.3
    with pytest.raises(DomainError, match="leaves the parameter domain"):
        integrate_geodesic(FLAT2, [0.2, 0.2], [1.0, 1.0], inside=box)
    # Inside all the way: the exact end point.
    sol = integrate_geodesic(FLAT2, [0.2, 0.2], [0.1, 0.2], t_end=1.5, inside=box)
    np.testing.assert_allclose(sol.path[-1], [0.35, 0.5], rtol=1e-12)


def test_step_budget_fails_softly() -> None:
    md = metric_data(GAMMA, [k, beta])
    b = integrate_batch(
        _christoffel_kernel(md), np.array([[2.0, 1.0]]), np.array([[3.0, 2.0]]), 1.0, 1e-12, 1e-13, max_evals=24
    )
    assert not b.ok and math.isnan(b.t_stop)


def test_shooting_with_both_integrators_on_the_simplex() -> None:
    # Categorical on 3 outcomes: 2 arccos Σ √(p_i q_i) (Amari 1985), joint constraint p1 + p2 < 1.
    a, b = (0.2, 0.3), (0.6, 0.1)
    pa, pb = [*a, 1 - sum(a)], [*b, 1 - sum(b)]
    want = 2 * math.acos(sum(math.sqrt(x * y) for x, y in zip(pa, pb)))
    fam = sf.family("categorical")
    for how in ("compiled", "scipy"):
        got = fisher_rao_distance(fam, a, b, method="numeric", integrator=how)
        assert got == pytest.approx(want, rel=1e-8)


def test_integrator_option_errors() -> None:
    flat = lambda th: np.zeros((th.shape[0], 2, 2, 2))  # noqa: E731
    eye = lambda th: np.broadcast_to(np.eye(2), (th.shape[0], 2, 2))  # noqa: E731
    with pytest.raises(ValueError, match="LoopKernel"):
        shooting_distance(flat, eye, [0.0, 0.0], [3.0, 4.0], integrator="compiled")
    with pytest.raises(ValueError, match=r"\['auto', 'compiled', 'scipy'\]"):
        geodesic(NORMAL, [0.0, 1.0], [1.0, 0.0], coords=[mu, sigma], integrator="rk4")
    md = metric_data(NORMAL, [mu, sigma])
    res = shooting_distance(FLAT2, _metric_kernel(md), [0.0, 1.0], [0.0, 2.0])
    assert res.distance == pytest.approx(math.sqrt(2.0), rel=1e-12)  # |v|_g at σ = 1, v = (0, 1)


def test_integrator_is_cached_on_disk(tmp_path: Path) -> None:
    # Compiled here (or loaded); a fresh process importing the SAME copy of the package
    # (an installed one in CI, where the checkout in the working directory would shadow
    # it for `python -c`) must load it from Numba's cache.
    _compiled()
    root = str(Path(sf.__file__).resolve().parents[1])
    code = "from symfisher.numeric.geodesic.ode import _compiled; print(sum(_compiled().stats.cache_hits.values()))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": root},
    )
    assert int(out.stdout.strip()) >= 1
