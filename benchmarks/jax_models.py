"""The benchmark models written for JAX (autodiff Hessians/Jacobians), for comparison only."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.scipy.special import polygamma


def _fourpl(b, c, d, e, x, sigma):  # noqa: ANN001, ANN202
    def mean(theta):  # noqa: ANN001, ANN202
        bb, cc, dd, ee = theta
        return cc + (dd - cc) / (1 + jnp.exp(bb * (jnp.log(x) - jnp.log(ee))))

    f = jax.grad(mean)(jnp.stack([b, c, d, e]))
    return jnp.outer(f, f) / sigma**2


def _gamma(a, b):  # noqa: ANN001, ANN202
    return jnp.array([[polygamma(1, a), -1 / b], [-1 / b, a / b**2]])


def _weibull(k, lam, x):  # noqa: ANN001, ANN202
    def logpdf(theta):  # noqa: ANN001, ANN202
        kk, ll = theta
        return jnp.log(kk) - jnp.log(ll) + (kk - 1) * (jnp.log(x) - jnp.log(ll)) - (x / ll) ** kk

    return -jax.hessian(logpdf)(jnp.stack([k, lam]))


def _emax(e0, em, ed, h, s, x, y):  # noqa: ANN001, ANN202
    def loglik(theta):  # noqa: ANN001, ANN202
        a, b, c, hh, ss = theta
        mean = a + b * x**hh / (c**hh + x**hh)
        return -ss / 2 - (y - mean) ** 2 / (2 * jnp.exp(ss))

    return -jax.hessian(loglik)(jnp.stack([e0, em, ed, h, s]))


def jax_function(name: str) -> Callable[..., jnp.ndarray]:
    """The per-point JAX function of a benchmark model (to be wrapped in jit(vmap(.)))."""
    return {"4pl": _fourpl, "gamma": _gamma, "weibull": _weibull, "emax": _emax}[name]
