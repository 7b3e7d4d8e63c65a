"""Input validation shared by the K-FAC, network and Laplace code.

Every check names the offending array (or parameter) and the problem, so that a
user can act on the message without reading the source.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from symfisher.errors import DomainError, ShapeError  # noqa: F401  (ShapeError re-exported)


def as_finite(name: str, x: ArrayLike, ndim: int | tuple[int, ...]) -> NDArray[np.float64]:
    """Return ``x`` as a C-contiguous float64 array after checking rank and finiteness.

    Parameters
    ----------
    name : str
        The array's name, used in error messages.
    x : array_like
        The values.
    ndim : int or tuple of int
        Allowed number(s) of dimensions.

    Returns
    -------
    ndarray of float64
        The validated array.

    Raises
    ------
    ShapeError
        If the rank is not allowed.
    DomainError
        If ``x`` contains NaN or infinite values, or is not real (complex, object,
        string dtypes).

    Examples
    --------
    >>> as_finite("a", [[1.0, 2.0]], 2).shape
    (1, 2)
    """
    raw = np.asarray(x)
    if raw.dtype.kind not in "biuf":
        kind = {"c": "complex", "O": "object", "U": "string", "S": "bytes", "M": "datetime", "m": "timedelta"}
        raise DomainError(
            f"array {name!r} has dtype {raw.dtype} ({kind.get(raw.dtype.kind, raw.dtype.kind)}); "
            "real numbers are required (complex values would silently lose their imaginary part)"
        )
    arr = np.ascontiguousarray(raw, dtype=np.float64)
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in allowed:
        raise ShapeError(f"array {name!r} must have {' or '.join(map(str, allowed))} dimensions, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise DomainError(f"array {name!r} contains {bad} NaN or infinite value(s)")
    return arr


def same_rows(names: tuple[str, ...], *arrays: NDArray[np.float64]) -> int:
    """Check that all arrays have the same leading dimension ``N`` and return it.

    Examples
    --------
    >>> same_rows(("a", "g"), np.zeros((3, 2)), np.zeros((3, 4)))
    3
    """
    sizes = [arr.shape[0] for arr in arrays]
    if len(set(sizes)) != 1:
        desc = ", ".join(f"{n!r} has {s}" for n, s in zip(names, sizes))
        raise ShapeError(f"arrays must have the same number of rows N: {desc}")
    if sizes[0] == 0:
        raise ShapeError(f"arrays {', '.join(map(repr, names))} have no rows (N = 0)")
    return sizes[0]


def positive(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """Check that a scalar or array parameter is finite and strictly positive.

    Examples
    --------
    >>> float(positive("sigma", 0.5))
    0.5
    """
    arr = np.asarray(value, dtype=np.float64)
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise DomainError(f"{name} must be finite and > 0, got {value!r}")
    return arr
