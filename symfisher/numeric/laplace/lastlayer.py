"""Last-layer Laplace: a full GGN posterior over the last layer's ``W`` and ``b`` only.

The earlier layers stay at their MAP values; the last layer's Jacobian for example
``n`` is ``[I_k kron a_n^T, I_k]`` (row-major ``(k, d_in)`` weight, then bias), so the
posterior covers parameter positions ``[W_L row-major, b_L]``.
"""

from __future__ import annotations

import numpy as np

from symfisher.numeric.laplace.base import Array
from symfisher.numeric.laplace.full import DensePrecision


def last_layer_jacobian(a: Array, k: int) -> Array:
    """Per-example Jacobian wrt ``[W_L row-major, b_L]``, shape (N, k, k d_in + k).

    Examples
    --------
    >>> last_layer_jacobian(np.array([[2.0]]), 2)[0]
    array([[2., 0., 1., 0.],
           [0., 2., 0., 1.]])
    """
    n, d_in = a.shape
    eye = np.eye(k)
    jw = (eye[None, :, :, None] * a[:, None, None, :]).reshape(n, k, k * d_in)
    return np.concatenate([jw, np.broadcast_to(eye, (n, k, k))], axis=2)


def last_layer_precision(a: Array, S: Array, w_slice: slice, b_slice: slice, prior: Array) -> DensePrecision:
    """Full GGN posterior precision over the last layer.

    Parameters
    ----------
    a : ndarray, shape (N, d_in)
        Inputs of the last layer.
    S : ndarray, shape (N, k, k')
        Output-curvature factors.
    w_slice, b_slice : slice
        Positions of ``W_L`` and ``b_L`` in the full parameter vector.
    prior : ndarray, shape (P,)
        Prior precision of all parameters (only the last layer's entries are used).

    Examples
    --------
    >>> P = last_layer_precision(np.ones((1, 1)), np.ones((1, 1, 1)), slice(0, 1),
    ...                          slice(1, 2), np.ones(2))
    >>> P.to_dense()
    array([[2., 1.],
           [1., 2.]])
    """
    J = last_layer_jacobian(a, S.shape[1])
    JS = np.einsum("nkj,nkp->njp", S, J).reshape(-1, J.shape[2])
    idx = np.concatenate([np.arange(w_slice.start, w_slice.stop), np.arange(b_slice.start, b_slice.stop)])
    return DensePrecision(idx, JS.T @ JS, prior[idx])
