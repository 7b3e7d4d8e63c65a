"""K-FAC approximation errors (public facade; imports its implementation lazily).

Conventions: a layer's weights are ``(d_out, d_in)`` (as in PyTorch) and vectorised
row-major, so a weight block is ``kron(G, A)`` with ``G`` first. ``A`` is the MEAN over
examples of ``a_n a_n^T`` (layer inputs) and ``G`` the SUM of ``B_n B_n^T`` (output
curvature pulled back to the pre-activations), so ``kron(G, A)`` approximates the
summed-loss block ``F = sum_n (B_n B_n^T) kron (a_n a_n^T)``.

Numeric (NumPy/Numba): :func:`kron_error` and :class:`KronErrorReport`. Symbolic (imports
SymPy on first use): :func:`output_curvature` derives the Fisher ``Lambda(f)`` of a
likelihood in the network output, the GGN and a factor; :func:`exactness` states when
K-FAC is exact; :func:`compile_likelihood` turns the derivation into kernels that
``sf.laplace(..., likelihood=...)`` accepts; :func:`glm_layer_fisher` derives the exact
Fisher block ``E[Lambda(W x) kron x x^T]`` of one GLM layer with Gaussian inputs against
K-FAC's ``E[Lambda(W x)] kron E[x x^T]`` (closed form where the expectation engine finds
one, e.g. Poisson with log link; a compiled ``lambda`` kernel and quadrature otherwise).

Examples
--------
>>> import numpy as np
>>> import symfisher as sf
>>> rng = np.random.default_rng(0)
>>> a, g = rng.standard_normal((100, 8)), rng.standard_normal((100, 5))
>>> rep = sf.kfac.kron_error(a, g)
>>> 0 < rep.relative_frobenius < 1
True
"""

from __future__ import annotations

from symfisher._runtime.lazy import lazy_attributes

_LAZY: dict[str, tuple[str, str]] = {
    "kron_error": ("symfisher.numeric.kfac.compute", "kron_error"),
    "KronMethod": ("symfisher.options", "KronMethod"),
    "CrossTerm": ("symfisher.options", "CrossTerm"),
    "KronErrorReport": ("symfisher.numeric.kfac.report", "KronErrorReport"),
    "glm_kfac_error": ("symfisher.numeric.kfac.glm", "glm_kfac_error"),
    "poisson_glm_kfac_error": ("symfisher.numeric.kfac.glm", "poisson_glm_kfac_error"),
    "glm_error_from_moments": ("symfisher.numeric.kfac.glm", "glm_error_from_moments"),
    "adaptive_normal_moments": ("symfisher.numeric.kfac.glm", "adaptive_normal_moments"),
    "KFACConfig": ("symfisher.numeric.kfac.optimizer", "KFACConfig"),
    "KFACState": ("symfisher.numeric.kfac.optimizer", "KFACState"),
    "kfac_step": ("symfisher.numeric.kfac.optimizer", "kfac_step"),
    "MLP": ("symfisher.numeric.nn", "MLP"),  # the network type sf.laplace takes
    # symbolic side (imports SymPy on first use)
    "output_curvature": ("symfisher.kfac.curvature", "output_curvature"),
    "OutputCurvature": ("symfisher.kfac.curvature", "OutputCurvature"),
    "exactness": ("symfisher.kfac.curvature", "exactness"),
    "compile_likelihood": ("symfisher.kfac.curvature", "compile_likelihood"),
    "glm_layer_fisher": ("symfisher.kfac.glm", "glm_layer_fisher"),
    "GLMLayerFisher": ("symfisher.kfac.glm", "GLMLayerFisher"),
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_attributes("symfisher.kfac", _LAZY, globals())
