"""D-optimality, the Fisher–Rao volume element, Jeffreys' prior and geodesic balls.

1. Design (logistic regression ``logit p = a + b x``, ``a = 0, b = 1``, ``x`` in [-5, 5]):
   with ``n`` observations the asymptotic 95 % confidence region of the MLE is the ellipse
   ``n (t - theta)^T M (t - theta) <= chi2_p(0.95)``, of volume
   ``V = pi^{p/2} / Gamma(p/2 + 1) (chi2 / n)^{p/2} det(M)^{-1/2}``, and the Gaussian
   entropy of the estimator is ``h = (p/2)(1 + log 2 pi) - 1/2 log det(n M)``. Both fall
   as ``log det M`` rises, so the D-optimal design (``sf.optimal_design``) minimises both.
2. Volume element (normal family ``N(mu, sigma)``): ``sqrt(det I)`` is Jeffreys' prior
   density (``sf.jeffreys_prior``) and the Riemannian volume element of the Fisher–Rao
   metric, so the Jeffreys mass of a region is its Fisher–Rao area.
3. Confidence regions as geodesic balls: the region ``{theta: d_FR(theta, theta0) <= r}``
   with ``r = sqrt(chi2_2(0.95) / n)`` is traced by shooting ``sf.geodesic`` in many
   unit directions. Its coordinate area divided by the area of the local quadratic
   ellipse ``pi r^2 / sqrt(det g)`` tends to 1 as ``r -> 0`` (error ``O(r^2)``); its
   Fisher–Rao area (Jeffreys mass) equals the hyperbolic disc area
   ``4 pi (cosh(r / sqrt 2) - 1)`` because the normal family has curvature ``-1/2``.

Run: ``python examples/design_geometry.py [--plot ball.png] [--directions 64]``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy as sp
from scipy.special import gammaln
from scipy.stats import chi2

import symfisher as sf

LEVEL = 0.95
THETA = (0.0, 1.0)  # logistic (a, b); normal (mu, sigma) centre
SAMPLE_SIZES = (10, 30, 100, 300, 1000, 3000)


@dataclass(frozen=True)
class DesignRow:
    """A design and the quantities that D-optimality ties together.

    Attributes
    ----------
    name : str
    points, weights : tuple of float
    log_det_m : float
        ``log det M(xi)`` (per-observation information).
    volume : float
        Area of the asymptotic 95 % confidence ellipse with ``n`` observations.
    entropy : float
        Gaussian entropy of the asymptotic estimator distribution ``N(theta, (n M)^{-1})``.
    d_efficiency : float
        ``(det M / det M*)^{1/p}`` against the D-optimal design.
    """

    name: str
    points: tuple[float, ...]
    weights: tuple[float, ...]
    log_det_m: float
    volume: float
    entropy: float
    d_efficiency: float


@dataclass(frozen=True)
class BallRow:
    """Geodesic ball of radius ``r = sqrt(chi2 / n)`` around the normal family's centre.

    Attributes
    ----------
    n : int
    radius : float
    area : float
        Coordinate (mu, sigma) area of the geodesic ball.
    ellipse_area : float
        ``pi r^2 / sqrt(det g(theta0))``.
    ratio : float
        ``area / ellipse_area``.
    fisher_rao_area : float
        Integral of ``sqrt(det I)`` (Jeffreys' density) over the ball.
    hyperbolic_area : float
        ``4 pi (cosh(r / sqrt 2) - 1)``.
    """

    n: int
    radius: float
    area: float
    ellipse_area: float
    ratio: float
    fisher_rao_area: float
    hyperbolic_area: float


@dataclass(frozen=True)
class GeometryReport:
    """Everything the example prints (and the curves it plots).

    Attributes
    ----------
    n_design : int
    designs : tuple of DesignRow
    jeffreys : str
        Jeffreys' prior of the normal family as derived.
    jeffreys_is_sqrt_det : bool
        ``jeffreys_prior - sqrt(det fisher)`` simplifies to 0.
    balls : tuple of BallRow
    boundary : ndarray, shape (K, 2)
        Geodesic ball of the smallest ``n`` (largest radius), for the plot.
    """

    n_design: int
    designs: tuple[DesignRow, ...]
    jeffreys: str
    jeffreys_is_sqrt_det: bool
    balls: tuple[BallRow, ...]
    boundary: np.ndarray


def point_information(model: sf.Regression, theta: tuple[float, ...], x: float) -> np.ndarray:
    """Information matrix of one observation at ``x`` derived by symfisher, shape (p, p)."""
    sub = dict(zip(model.params, theta))
    sub[model.x[0]] = x
    return np.array(model.fisher_information().subs(sub).evalf(), dtype=np.float64)


def design_row(
    name: str, model: sf.Regression, points: np.ndarray, weights: np.ndarray, n: int, log_det_opt: float
) -> DesignRow:
    """Volume, entropy and D-efficiency of the design ``(points (K,), weights (K,))``."""
    M = sum(w * point_information(model, THETA, float(x)) for x, w in zip(points, weights))
    p = M.shape[0]
    logdet = float(np.linalg.slogdet(M)[1])
    c = chi2.ppf(LEVEL, p)
    volume = float(np.exp(p / 2 * np.log(np.pi) - gammaln(p / 2 + 1) + p / 2 * np.log(c / n) - 0.5 * logdet))
    entropy = p / 2 * (1 + np.log(2 * np.pi)) - 0.5 * (p * np.log(n) + logdet)
    return DesignRow(
        name,
        tuple(map(float, points)),
        tuple(map(float, weights)),
        logdet,
        volume,
        float(entropy),
        float(np.exp((logdet - log_det_opt) / p)),
    )


def compare_designs(n: int) -> tuple[DesignRow, ...]:
    """The D-optimal logistic design against a few common alternatives."""
    model = sf.model("logistic")
    opt = sf.optimal_design(model, dict(zip(model.params, THETA)), space=(-5, 5))
    pts, wts = np.asarray(opt.points).ravel(), np.asarray(opt.weights)
    M = sum(w * point_information(model, THETA, float(x)) for x, w in zip(pts, wts))
    ref = float(np.linalg.slogdet(M)[1])
    others = {
        "two points +-0.5": ([-0.5, 0.5], [0.5, 0.5]),
        "two points +-3": ([-3.0, 3.0], [0.5, 0.5]),
        "uniform 5 on [-3, 3]": (np.linspace(-3, 3, 5), np.full(5, 0.2)),
        "uniform 11 on [-5, 5]": (np.linspace(-5, 5, 11), np.full(11, 1 / 11)),
    }
    rows = [design_row("D-optimal", model, pts, wts, n, ref)]
    rows += [design_row(k, model, np.asarray(x, float), np.asarray(w, float), n, ref) for k, (x, w) in others.items()]
    return tuple(rows)


def jeffreys_check(family: sf.Family) -> tuple[sp.Expr, bool]:
    """Jeffreys' prior of ``family`` and whether it equals ``sqrt(det I)``."""
    prior = sf.jeffreys_prior(family)
    vol = sp.sqrt(sp.Matrix(sf.fisher(family)).det())
    return prior, sp.simplify(prior - vol) == 0


def geodesic_circle(family: sf.Family, theta0: tuple[float, float], r: float, directions: int) -> np.ndarray:
    """End points of unit-speed geodesics shot to length ``r``, shape (K, 2), angle order."""
    g0 = np.array(sp.Matrix(sf.fisher(family)).subs(dict(zip(family.params, theta0))), dtype=np.float64)
    L = np.linalg.cholesky(g0)  # g0 = L L^T; v = L^{-T} u has |v|_g = |u|
    ends = []
    for phi in 2 * np.pi * np.arange(directions) / directions:
        v = np.linalg.solve(L.T, np.array([np.cos(phi), np.sin(phi)]))
        path = sf.geodesic(family, list(theta0), v, t=r).path
        ends.append(path[-1])
    return np.array(ends)


def spectral_derivative(z: np.ndarray) -> np.ndarray:
    """d/dphi of samples (K,) of a smooth 2 pi-periodic function at ``2 pi j / K``."""
    k = np.fft.fftfreq(z.size, d=1.0 / z.size)
    if z.size % 2 == 0:
        k[z.size // 2] = 0.0
    return np.real(np.fft.ifft(1j * k * np.fft.fft(z)))


def ball_areas(curve: np.ndarray) -> tuple[float, float]:
    """Coordinate area and Fisher–Rao area of the normal family inside ``curve`` (K, 2).

    Green's theorem on the periodic, counter-clockwise boundary ``(mu(phi), sigma(phi))``:
    area ``= 1/2 oint (mu dsigma - sigma dmu)``; Fisher–Rao area
    ``= oint (sqrt 2 / sigma) dmu`` since ``d/dsigma (-sqrt 2 / sigma) = sqrt 2 / sigma^2``.
    """
    mu, s = curve[:, 0], curve[:, 1]
    dmu, ds = spectral_derivative(mu), spectral_derivative(s)
    h = 2 * np.pi / curve.shape[0]
    area = 0.5 * h * float(np.sum(mu * ds - s * dmu))
    fr = h * float(np.sum(np.sqrt(2.0) / s * dmu))
    return abs(area), abs(fr)


def geodesic_balls(directions: int, sizes: tuple[int, ...] = SAMPLE_SIZES) -> tuple[tuple[BallRow, ...], np.ndarray]:
    """Geodesic balls of the 95 % radii for the sample sizes ``sizes``."""
    family = sf.family("normal")
    c = chi2.ppf(LEVEL, 2)
    det_g0 = 2.0 / THETA[1] ** 4  # det diag(1/sigma^2, 2/sigma^2)
    rows, first = [], None
    for n in sizes:
        r = float(np.sqrt(c / n))
        curve = geodesic_circle(family, THETA, r, directions)
        first = curve if first is None else first
        area, fr = ball_areas(curve)
        ell = np.pi * r**2 / np.sqrt(det_g0)
        rows.append(BallRow(n, r, area, ell, area / ell, fr, 4 * np.pi * (np.cosh(r / np.sqrt(2)) - 1)))
    return tuple(rows), first


def plot_ball(rep: GeometryReport, path: str | Path) -> Path:
    """Draw the geodesic ball of the smallest ``n`` and its quadratic ellipse to ``path``."""
    from matplotlib.figure import Figure

    ball = rep.balls[0]
    phi = np.linspace(0, 2 * np.pi, 400)
    ell = np.stack(
        [ball.radius * THETA[1] * np.cos(phi), THETA[1] + ball.radius * THETA[1] / np.sqrt(2) * np.sin(phi)], axis=1
    )
    fig = Figure(figsize=(5, 4.5))
    ax = fig.add_subplot()
    closed = np.vstack([rep.boundary, rep.boundary[:1]])
    ax.plot(closed[:, 0], closed[:, 1], "o-", ms=2, label="geodesic ball (sf.geodesic)")
    ax.plot(ell[:, 0], ell[:, 1], "--", label="quadratic ellipse")
    ax.plot(*THETA, "k+")
    ax.set_xlabel("mu")
    ax.set_ylabel("sigma")
    ax.set_title(f"95% region, n = {ball.n}: Fisher-Rao radius {ball.radius:.3f}")
    ax.legend(loc="upper right", fontsize=8)
    out = Path(path)
    fig.savefig(out, dpi=110)
    return out


def run(n_design: int = 100, directions: int = 64, sizes: tuple[int, ...] = SAMPLE_SIZES) -> GeometryReport:
    """Compute the design table, the Jeffreys check and the geodesic balls."""
    designs = compare_designs(n_design)
    prior, equal = jeffreys_check(sf.family("normal"))
    balls, boundary = geodesic_balls(directions, sizes)
    return GeometryReport(n_design, designs, str(prior), equal, balls, boundary)


def print_report(rep: GeometryReport) -> None:
    """Text report."""
    print(f"1. logistic regression a=0, b=1, x in [-5, 5], n = {rep.n_design}, 95 % regions")
    print(f"{'design':<24}{'log det M':>11}{'ellipse area':>14}{'entropy h':>11}{'D-eff':>8}")
    for d in rep.designs:
        print(f"{d.name:<24}{d.log_det_m:>11.4f}{d.volume:>14.5f}{d.entropy:>11.4f}{d.d_efficiency:>8.4f}")
    print(
        f"   D-optimal support {np.round(rep.designs[0].points, 4).tolist()}: largest log det M, "
        "smallest ellipse and entropy"
    )
    print(
        f"\n2. normal family: Jeffreys' prior = {rep.jeffreys}; equals sqrt(det I) "
        f"(the Fisher-Rao volume element): {rep.jeffreys_is_sqrt_det}"
    )
    print("\n3. geodesic balls r = sqrt(chi2_2(0.95)/n) around (mu, sigma) = (0, 1)")
    print(
        f"{'n':>6}{'r':>9}{'ball area':>12}{'ellipse':>12}{'ratio':>10}{'(ratio-1)/r^2':>15}"
        f"{'FR area':>12}{'4pi(cosh(r/v2)-1)':>19}"
    )
    for b in rep.balls:
        print(
            f"{b.n:>6}{b.radius:>9.4f}{b.area:>12.6f}{b.ellipse_area:>12.6f}{b.ratio:>10.6f}"
            f"{(b.ratio - 1) / b.radius**2:>15.5f}{b.fisher_rao_area:>12.6f}{b.hyperbolic_area:>19.6f}"
        )


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", metavar="FILE", help="draw the geodesic ball (needs matplotlib)")
    parser.add_argument("--directions", type=int, default=64)
    parser.add_argument("--n-design", type=int, default=100)
    args = parser.parse_args()
    rep = run(args.n_design, args.directions)
    print_report(rep)
    if args.plot:
        print(f"\nplot written to {plot_ball(rep, args.plot)}")


if __name__ == "__main__":
    main()
