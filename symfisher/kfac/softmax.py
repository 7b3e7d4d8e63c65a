"""The softmax-categorical output curvature in closed form, for any number of classes.

Deriving it symbolically from the categorical family (``one_hot_curvature``) expands a
k × k Hessian of ``log sum exp`` and takes seconds for 12 classes and minutes beyond 30.
The result is known exactly: with ``p = softmax(f)``, ``-log p(y) = logsumexp(f) - f_c``,
its gradient is ``p - e_c`` and its Hessian, free of ``y``, is ``Lambda = diag(p) - p pᵀ``
(Bishop 2006, §4.3.4; the GGN equals the Fisher), factored as
``S = diag(√p) - p √pᵀ`` (``S Sᵀ = Lambda`` because ``Σ p = 1``).

The data use the catalog family's corner coordinates (``x1..x{k-1}``; class 0 is all
zero), as :func:`symfisher.kfac.curvature.output_curvature` does for small k.
"""

from __future__ import annotations

import sympy as sp

from symfisher.errors import OptionError
from symfisher.kfac.onehot import output_symbols

__all__ = ["MAX_SYMBOLIC_CLASSES", "softmax_pieces"]

MAX_SYMBOLIC_CLASSES = 64
"""Most classes of a symbolic softmax curvature: its k × k matrix has k² entries, each a
ratio of exponentials; beyond this, use the numeric likelihood ``"categorical"`` of
:mod:`symfisher.numeric.laplace.likelihoods` (the same ``diag(p) - p pᵀ`` in NumPy)."""


def softmax_pieces(k: int) -> dict[str, object]:
    """Outputs, data, nll, gradient, Lambda (= GGN), class probabilities and factor for k classes.

    Examples
    --------
    >>> pieces = softmax_pieces(3)
    >>> pieces["fisher"].shape, sp.simplify(sum(pieces["probs"]))
    ((3, 3), 1)
    """
    if k > MAX_SYMBOLIC_CLASSES:
        raise OptionError(
            f"categorical_{k}: a symbolic softmax curvature is limited to {MAX_SYMBOLIC_CLASSES} "
            f"classes ({k}x{k} = {k * k} symbolic entries); use the numeric likelihood "
            "'categorical' (symfisher.numeric.laplace.likelihoods), which computes "
            "diag(p) - p p^T in NumPy for any k"
        )
    fs = output_symbols(k)
    xs = sp.symbols(f"x1:{k}", integer=True, nonnegative=True)
    z = sp.Add(*[sp.exp(f) for f in fs])
    p = [sp.exp(f) / z for f in fs]
    y = [1 - sp.Add(*xs), *xs]  # one-hot class indicator, class 0 in corner coordinates
    nll = sp.log(z) - sp.Add(*[yi * f for yi, f in zip(y, fs)])
    lam = sp.ImmutableMatrix(k, k, lambda i, j: p[i] * (int(i == j) - p[j]))
    root = [sp.sqrt(pi) for pi in p]
    factor = sp.ImmutableMatrix(k, k, lambda i, j: (root[i] if i == j else 0) - p[i] * root[j])
    return {
        "outputs": tuple(fs),
        "data": tuple(xs),
        "nll": nll,
        "grad": sp.ImmutableMatrix([pi - yi for pi, yi in zip(p, y)]),
        "fisher": lam,
        "probs": sp.ImmutableMatrix(p),
        "factor": factor,
    }
