"""Pictures (optional ``plot`` extra: matplotlib).

Every function imports matplotlib on call, selects the non-interactive ``Agg`` backend
when no backend was chosen, and raises a clear error naming the extra when matplotlib
is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from symfisher.errors import SymfisherError


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise SymfisherError("plotting needs matplotlib: pip install 'symfisher[plot]'") from None
    if "matplotlib.pyplot" not in __import__("sys").modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_sensitivity(
    result: Any, path: str | Path | None = None, *, n: int = 1001, ax: Any = None, title: str | None = None
) -> Any:
    """Plot a design's sensitivity function with its bound and the support points marked.

    Parameters
    ----------
    result : DesignResult
        A design from ``sf.optimal_design`` on a one-factor space.
    path : str or Path, optional
        Where to save the picture (PNG, PDF, SVG by suffix); nothing is saved when None.
    n : int
        Number of points on which the sensitivity is drawn.
    ax : matplotlib Axes, optional
        Draw into these axes instead of a new figure.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (its sensitivity curve stays below the bound for an optimal design).

    Examples
    --------
    >>> fig = plot_sensitivity(d, "sensitivity.png")   # doctest: +SKIP
    """
    space = result.problem.space
    if space.dim != 1:
        raise SymfisherError(f"plot_sensitivity draws one-factor designs; this space has {space.dim} factors")
    plt = _pyplot()
    lo, hi = (float(v) for v in space.bounds[0])
    xs = np.linspace(lo, hi, n)
    fig = ax.figure if ax is not None else plt.figure(figsize=(6.4, 3.8))
    ax = ax if ax is not None else fig.add_subplot(111)
    ax.plot(xs, result.sensitivity(xs), color="C0", label="sensitivity d(x, ξ)")
    ax.axhline(result.sensitivity_bound, color="C3", ls="--", label=f"bound {result.sensitivity_bound:g}")
    pts = np.asarray(result.points, float).ravel()
    ax.plot(pts, result.sensitivity(pts), "o", color="C1", label="support points")
    for x, w in zip(pts, result.weights):
        ax.annotate(
            f"{w:.3f}",
            (x, result.sensitivity_bound),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=8,
        )
    ax.set_xlabel("design point x")
    ax.set_ylabel("d(x, ξ)")
    ax.set_title(title or f"equivalence theorem: max d = {result.max_sensitivity:.6g}")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
