"""``symfisher.kfac.laplace``: Laplace posteriors for MLPs (NumPy front end).

Conventions (comparable with laplace-torch): weights ``(d_out, d_in)``, parameter
vector ``[W0 row-major, b0, W1 row-major, b1, ...]``, K-FAC weight blocks
``kron(G, A)`` with ``G = sum_n B_n B_n^T`` and ``A = mean_n a_n a_n^T``; biases get
exact blocks unless ``joint_bias=True``. The curvature is the Fisher of the likelihood
in the network output, which for the canonical links offered here equals the GGN.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from numpy.typing import ArrayLike

from symfisher.numeric.laplace.catalog import make_likelihood
from symfisher.numeric.laplace.likelihoods import OutputLikelihood
from symfisher.numeric.laplace.posterior import LaplacePosterior, fit_laplace
from symfisher.numeric.nn import MLP
from symfisher.options import Likelihood, Structure

__all__ = ["laplace", "LaplacePosterior", "Structure", "Likelihood"]


def laplace(
    net: MLP,
    X: ArrayLike,
    y: ArrayLike,
    *,
    likelihood: Likelihood | str | OutputLikelihood = "gaussian",
    sigma: float = 1.0,
    prior_precision: ArrayLike = 1.0,
    structure: Structure | str = "kron",
    joint_bias: bool = False,
    df: float = 4.0,
    dispersion: float = 1.0,
    link: Mapping[Any, Any] | None = None,
    constants: Mapping[Any, float] | None = None,
) -> LaplacePosterior:
    """Laplace approximation of an MLP's posterior at its (MAP) parameters.

    Parameters
    ----------
    net : symfisher.nn.MLP
        The trained network (its parameters are taken as the MAP).
    X : array_like, shape (N, d_0)
    y : array_like
        Targets: (N, k) or (N,) values for ``gaussian``/``poisson``, (N,) 0/1 labels for
        ``bernoulli``, (N,) class indices for ``categorical``.
    likelihood : str
        ``"gaussian"`` (alias ``"normal"``), ``"bernoulli"``, ``"categorical"``, ``"poisson"``,
        ``"negative_binomial"``, ``"student_t"`` or ``"heteroscedastic_gaussian"`` (outputs:
        means, then log-variances); a symfisher ``Family`` (with ``link``), whose output
        curvature is derived in SymPy and compiled; or a likelihood object such as
        ``sf.kfac.compile_likelihood(...)``. The
        curvature is the Fisher in the output, which for
        the first four (canonical links) equals the GGN; for the others the Hessian in
        ``f`` depends on ``y`` and may be indefinite, so the Fisher is used.
    sigma : float
        Scale of the Gaussian (curvature ``I / sigma^2``) and Student-t likelihoods.
    prior_precision : float or array_like of shape (L,)
        Isotropic Gaussian prior precision, scalar or one per layer (biases included).
    structure : {"full", "kron", "diag", "last_layer", "last_layer_kron", "last_layer_diag"}
        ``last_layer*`` keep the earlier layers at the MAP (full, K-FAC or diagonal
        curvature over the last layer's ``W`` and ``b``).
    joint_bias : bool
        K-FAC only: Martens-Grosse ``[W | b]`` blocks instead of exact bias blocks.
    df : float
        Degrees of freedom of ``student_t``.
    dispersion : float
        ``r`` of ``negative_binomial`` (``Var y = mu + mu^2 / r``).
    link, constants : dict, optional
        For a ``Family``: ``{parameter: expression in f0, f1, ...}`` and values of its
        fixed symbols (see :func:`symfisher.kfac.compile_likelihood`).

    Returns
    -------
    LaplacePosterior

    Examples
    --------
    >>> import numpy as np
    >>> import symfisher as sf
    >>> rng = np.random.default_rng(0)
    >>> net = sf.nn.MLP.random([3, 8, 1], rng, activation="tanh")
    >>> X = rng.standard_normal((50, 3)); y = net.forward(X)[:, 0] + 0.1 * rng.standard_normal(50)
    >>> lap = sf.laplace(net, X, y, likelihood="gaussian", sigma=0.1, prior_precision=1.0)
    >>> bool(np.isfinite(lap.log_det_posterior_precision))
    True
    """
    if isinstance(likelihood, str):
        lik = make_likelihood(likelihood, sigma, df=df, dispersion=dispersion)
    elif hasattr(likelihood, "logpdf"):  # a Family: derive and compile
        from symfisher.kfac.curvature import compile_likelihood

        lik = compile_likelihood(likelihood, constants, link=link)
    else:
        lik = likelihood
    return fit_laplace(net, X, y, lik, prior_precision, structure, joint_bias)
