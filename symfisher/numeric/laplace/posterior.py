"""The Laplace posterior of an MLP: fit, evidence, prior optimisation, K-FAC errors, predictive.

Posterior precision = the likelihood's GGN / Fisher in the parameters (its scale, e.g.
``1 / sigma^2``, included) + a diagonal prior precision over all parameters, biases
included (``tau`` scalar, or one ``tau_l`` per layer). Parameter order:
``[W0 row-major, b0, W1 row-major, b1, ...]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symfisher.errors import DomainError
from symfisher.numeric.kfac.checks import ShapeError, positive, same_rows
from symfisher.numeric.laplace.base import Array, Precision
from symfisher.numeric.laplace.diag import diag_precision
from symfisher.numeric.laplace.full import full_precision
from symfisher.numeric.laplace.kron import kron_precision
from symfisher.numeric.laplace.lastlayer import last_layer_precision
from symfisher.numeric.laplace.likelihoods import OutputLikelihood
from symfisher.numeric.laplace.marglik import log_marginal_likelihood, optimize_prior
from symfisher.numeric.laplace.predictive import Predictive, function_covariance, predictive
from symfisher.numeric.nn import MLP, backprop_factors, jacobian
from symfisher.options import Likelihood, LinkApprox, Structure, option


def layer_of_parameter(net: MLP) -> NDArray[np.intp]:
    """Layer index of every parameter, shape (P,).

    Examples
    --------
    >>> layer_of_parameter(MLP([np.ones((1, 1)), np.ones((1, 1))], [np.ones(1), np.ones(1)]))
    array([0, 0, 1, 1])
    """
    return np.concatenate(
        [np.full(w.size + b.size, l, dtype=np.intp) for l, (w, b) in enumerate(zip(net.weights, net.biases))]
    )


def prior_per_layer(net: MLP, prior_precision: ArrayLike) -> Array:
    """Prior precision as (L,) from a scalar or a per-layer sequence (checked > 0)."""
    tau = positive("prior_precision", prior_precision).astype(np.float64)
    L = len(net.weights)
    if tau.ndim == 0:
        return np.full(L, float(tau))
    if tau.shape != (L,):
        raise ShapeError(f"prior_precision must be a scalar or have one entry per layer ({L}), got shape {tau.shape}")
    return tau.copy()


def build_precision(
    net: MLP, X: Array, lik: OutputLikelihood, structure: Structure, prior: Array, joint_bias: bool
) -> Precision:
    """The posterior precision of ``structure`` at the network's parameters."""
    tr = net.trace(X)
    S = lik.factor(tr.output)
    if structure is Structure.FULL:
        return full_precision(jacobian(net, X), S, prior)
    if structure is Structure.LAST_LAYER:
        sw, sb = net.layer_slices()[-1]
        return last_layer_precision(tr.inputs[-1], S, sw, sb, prior)
    Bs = backprop_factors(net, tr, S)
    inputs, slices = list(tr.inputs), net.layer_slices()
    if structure in (Structure.LAST_LAYER_KRON, Structure.LAST_LAYER_DIAG):
        inputs, Bs, slices = inputs[-1:], Bs[-1:], slices[-1:]
    if structure in (Structure.DIAG, Structure.LAST_LAYER_DIAG):
        return diag_precision(inputs, Bs, prior, slices)
    return kron_precision(inputs, Bs, slices, prior, joint_bias)


@dataclass(frozen=True, eq=False)
class LaplacePosterior:
    """Gaussian posterior at the MAP; build it with :func:`symfisher.laplace`.

    Attributes
    ----------
    net : MLP
    X : ndarray, shape (N, d_0)
    y : ndarray
        Validated targets.
    likelihood : OutputLikelihood
    structure : Structure
    prior_precision : ndarray, shape (L,)
    precision : Precision
    log_likelihood : float
        ``log p(y | theta_MAP)`` with normalising constants.
    """

    net: MLP
    X: Array = field(repr=False)
    y: Array = field(repr=False)
    likelihood: OutputLikelihood
    structure: Structure
    prior_precision: Array
    precision: Precision = field(repr=False)
    log_likelihood: float
    joint_bias: bool = False

    @property
    def sigma(self) -> float:
        """Observation noise of a Gaussian likelihood (1.0 otherwise)."""
        return float(getattr(self.likelihood, "sigma", 1.0))

    @property
    def log_det_posterior_precision(self) -> float:
        """``log det`` of the posterior precision over the covered parameters."""
        return self.precision.log_det()

    def _prior_vector(self, tau: Array) -> Array:
        return tau[layer_of_parameter(self.net)[self.precision.index]]

    def _scaled(self, sigma: float | None) -> tuple[float, float]:
        """``(log-likelihood, curvature scale)`` at observation noise ``sigma``."""
        if sigma is None:
            return self.log_likelihood, 1.0
        if self.likelihood.name not in (Likelihood.GAUSSIAN, Likelihood.STUDENT_T):
            raise DomainError(
                f"sigma applies to the gaussian and student_t likelihoods only, not {self.likelihood.name.value}"
            )
        s = float(positive("sigma", sigma))
        # OutputLikelihood is a Protocol; the gaussian and student_t likelihoods are dataclasses with sigma.
        lik = replace(self.likelihood, sigma=s)  # type: ignore[type-var]
        f = self.net.forward(self.X)
        return -float(np.sum(lik.nll(f, self.y))), (self.sigma / s) ** 2

    def log_marginal_likelihood(self, prior_precision: ArrayLike | None = None, sigma: float | None = None) -> float:
        """Laplace log evidence; ``None`` means the fitted value.

        Examples
        --------
        >>> import symfisher as sf
        >>> rng = np.random.default_rng(0)
        >>> net = sf.nn.MLP.random([2, 3, 1], rng)
        >>> X, y = rng.standard_normal((20, 2)), rng.standard_normal(20)
        >>> lap = sf.laplace(net, X, y, structure="full")
        >>> bool(np.isfinite(lap.log_marginal_likelihood(prior_precision=2.0)))
        True
        """
        tau = self.prior_precision if prior_precision is None else prior_per_layer(self.net, prior_precision)
        log_lik, scale = self._scaled(sigma)
        prior = self._prior_vector(tau)
        post = self.precision.updated(prior, scale)
        theta = self.net.parameters()[self.precision.index]
        return log_marginal_likelihood(log_lik, post, theta, prior)

    def optimize_prior_precision(self, per_layer: bool = False) -> LaplacePosterior:
        """A posterior whose prior precision maximises the log marginal likelihood.

        ``per_layer=False`` fits one scalar ``tau``; ``True`` one ``tau_l`` per layer.
        """
        layers = layer_of_parameter(self.net)[self.precision.index]
        groups = layers if per_layer else np.zeros_like(layers)
        tau0 = self.prior_precision if per_layer else self.prior_precision[layers[:1]]
        theta = self.net.parameters()[self.precision.index]
        tau = optimize_prior(self.log_likelihood, self.precision, theta, groups, tau0.copy())
        tau_l = tau if per_layer else np.full(len(self.net.weights), tau[0])
        return replace(self, prior_precision=tau_l, precision=self.precision.updated(self._prior_vector(tau_l), 1.0))

    def kfac_errors(self) -> dict[int, float]:
        """Relative Frobenius error of each K-FAC weight block vs the exact GGN block."""
        from symfisher.numeric.kfac.compute import kron_error

        tr = self.net.trace(self.X)
        Bs = backprop_factors(self.net, tr, self.likelihood.factor(tr.output))
        return {
            l: kron_error(a, B=B, nearest=False, ekfac=False).relative_frobenius
            for l, (a, B) in enumerate(zip(tr.inputs, Bs))
        }

    def predict(
        self, X_test: ArrayLike, link_approx: LinkApprox | str = LinkApprox.AUTO, n_samples: int = 1000, seed: int = 0
    ) -> Predictive:
        """Linearised (GLM) predictive at ``X_test`` (N*, d_0)."""
        J = jacobian(self.net, X_test)[:, :, self.precision.index]
        f = self.net.forward(X_test)
        cov = function_covariance(J, self.precision)
        return predictive(self.likelihood, f, cov, link_approx, n_samples, seed)

    def summary(self) -> str:
        """Structure, likelihood, parameters covered, prior and evidence, as text."""
        return "\n".join(
            [
                f"Laplace posterior ({self.structure.value}) of an MLP {self.net.shapes}, "
                f"likelihood {self.likelihood.name.value}, N = {self.X.shape[0]}",
                f"  parameters covered: {self.precision.index.size}; prior precision "
                f"{np.array2string(self.prior_precision, precision=4)}",
                f"  log p(y | MAP) = {self.log_likelihood:.6f}; log marginal likelihood = "
                f"{self.log_marginal_likelihood():.6f}",
            ]
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict of the scalar results."""
        return {
            "structure": self.structure.value,
            "likelihood": self.likelihood.name.value,
            "shapes": [list(s) for s in self.net.shapes],
            "n": int(self.X.shape[0]),
            "prior_precision": self.prior_precision.tolist(),
            "log_likelihood": self.log_likelihood,
            "log_marginal_likelihood": self.log_marginal_likelihood(),
            "log_det_posterior_precision": self.log_det_posterior_precision,
        }


def fit_laplace(
    net: MLP,
    X: ArrayLike,
    y: ArrayLike,
    lik: OutputLikelihood,
    prior_precision: ArrayLike,
    structure: Structure | str,
    joint_bias: bool = False,
) -> LaplacePosterior:
    """Build the Laplace posterior (see :func:`symfisher.laplace`)."""
    kind = option(Structure, structure, "structure")
    X_arr = net._check_inputs(X)
    f = net.forward(X_arr)
    y_arr = lik.targets(y, f.shape[1])
    same_rows(("X", "y"), X_arr, y_arr)
    tau = prior_per_layer(net, prior_precision)
    prior = tau[layer_of_parameter(net)]
    precision = build_precision(net, X_arr, lik, kind, prior, joint_bias)
    log_lik = -float(np.sum(lik.nll(f, y_arr)))
    return LaplacePosterior(net, X_arr, y_arr, lik, kind, tau, precision, log_lik, joint_bias)
