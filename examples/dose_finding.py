"""A dose-finding study end to end with symfisher's optimal design tools.

Emax model from a Phase II guess; D-optimal and ED50-targeted (Ds) designs with their
certificates; a Bayesian design under uncertainty about ED50; comparison with the
habitual equally spaced doses and its sample-size consequence; exact allocation of
120 patients. Run: ``python examples/dose_finding.py``.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import symfisher as sf


def main(plot: str | None = None) -> None:
    """Run the study; with ``plot`` (a file name) also save the sensitivity picture."""
    x = sp.Symbol("x", nonnegative=True)
    e0, emax = sp.symbols("e0 emax", real=True)
    ed50 = sp.Symbol("ed50", positive=True)
    model = sf.Regression(e0 + emax * x / (ed50 + x), x, [e0, emax, ed50], noise="normal", sigma=1)
    guess = {e0: 0.0, emax: 1.0, ed50: 25.0}

    d = sf.optimal_design(model, theta=guess, space=(0, 150), criterion="D")
    print("D-optimal doses:", np.round(d.points, 3), "weights", np.round(d.weights, 4))
    print(
        f"  certificate: max sensitivity {d.max_sensitivity:.8f} <= {d.sensitivity_bound} "
        f"-> efficiency >= {d.efficiency_bound:.8f}"
    )

    ds = sf.optimal_design(model, theta=guess, space=(0, 150), criterion="Ds", interest=[ed50])
    print("ED50-targeted (Ds) doses:", np.round(ds.points, 3), "weights", np.round(ds.weights, 4))

    rng = np.random.default_rng(2024)
    draws = np.column_stack([np.zeros(50), np.ones(50), rng.lognormal(np.log(25.0), 0.5, 50)])
    bayes = sf.optimal_design(model, prior=(draws, None), space=(0, 150), criterion="D")
    print(
        "Bayesian D-optimal doses (ED50 lognormal, sd 0.5 on log scale):",
        np.round(bayes.points, 2),
        "weights",
        np.round(bayes.weights, 4),
        f"efficiency >= {bayes.efficiency_bound:.6f}",
    )

    habit = sf.Design([0, 37.5, 75, 112.5, 150])
    eff = sf.efficiency(habit, d)
    print(
        f"equally spaced 5-dose design: D-efficiency {eff:.3f}; it needs {1 / eff:.2f}x the subjects "
        "of the D-optimal design"
    )

    exact = d.round(120)
    print(
        "exact allocation of 120 patients:",
        dict(zip(np.round(exact.points, 2).tolist(), exact.counts.tolist())),
        f"(efficiency {exact.efficiency:.4f})",
    )

    xs = np.linspace(0, 150, 7)
    print("sensitivity tr(M^-1 I(x)) on a few doses:", np.round(d.sensitivity(xs), 4))
    if plot:
        from symfisher.report.plots import plot_sensitivity

        plot_sensitivity(d, plot, title="D-optimal Emax design: sensitivity <= 3 everywhere")
        print(f"sensitivity plot written to {plot}")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="D-optimal dose-finding design for an Emax model")
    parser.add_argument("--plot", metavar="FILE", help="write the sensitivity plot to FILE (needs matplotlib)")
    main(parser.parse_args().plot)
