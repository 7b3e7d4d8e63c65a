"""The hand-written numeric likelihoods by name: :func:`make_likelihood`."""

from __future__ import annotations

from collections.abc import Callable

from symfisher.errors import OptionError
from symfisher.numeric.laplace import noncanonical as nc
from symfisher.numeric.laplace.likelihoods import Bernoulli, Categorical, Gaussian, OutputLikelihood, Poisson
from symfisher.options import Likelihood, option

__all__ = ["make_likelihood"]

_TABLE: dict[Likelihood, Callable[[float, float, float], OutputLikelihood]] = {
    Likelihood.GAUSSIAN: lambda sigma, df, r: Gaussian(sigma),
    Likelihood.BERNOULLI: lambda sigma, df, r: Bernoulli(),
    Likelihood.CATEGORICAL: lambda sigma, df, r: Categorical(),
    Likelihood.POISSON: lambda sigma, df, r: Poisson(),
    Likelihood.NEGATIVE_BINOMIAL: lambda sigma, df, r: nc.NegativeBinomial(r),
    Likelihood.STUDENT_T: lambda sigma, df, r: nc.StudentT(df, sigma),
    Likelihood.HETEROSCEDASTIC_GAUSSIAN: lambda sigma, df, r: nc.HeteroscedasticGaussian(),
}


def make_likelihood(
    name: Likelihood | str, sigma: float = 1.0, *, df: float = 4.0, dispersion: float = 1.0
) -> OutputLikelihood:
    """The numeric likelihood called ``name``.

    Parameters
    ----------
    name : str
        ``"gaussian"`` (alias ``"normal"``), ``"bernoulli"``, ``"categorical"``,
        ``"poisson"``, ``"negative_binomial"``, ``"student_t"`` or
        ``"heteroscedastic_gaussian"``.
    sigma : float
        Scale of ``gaussian`` and ``student_t``.
    df : float
        Degrees of freedom of ``student_t``.
    dispersion : float
        ``r`` of ``negative_binomial`` (``Var y = mu + mu^2 / r``).

    Examples
    --------
    >>> import numpy as np
    >>> make_likelihood("normal", sigma=2.0).curvature(np.zeros((1, 1)))
    array([[[0.25]]])
    """
    kind = option(Likelihood, name, "likelihood")
    if kind not in _TABLE:
        raise OptionError(
            f"likelihood={name!r} has no hand-written numeric curvature; choose one of "
            f"{[k.value for k in _TABLE]}, or derive it with sf.kfac.compile_likelihood"
        )
    return _TABLE[kind](float(sigma), float(df), float(dispersion))
