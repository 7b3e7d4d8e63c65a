"""Design criteria of information matrices, batched (NumPy only; no SymPy).

Every function takes matrices ``M`` of shape (..., P, P) and returns the criterion with
the leading shape; the *utility* (:func:`utility`) is the value to maximise (``-inf`` for
a singular matrix). Log-determinants come from Cholesky factors.

=========  =================================================  ===========
name       value                                              utility
=========  =================================================  ===========
``D``      ``det(M)^(1/P)``                                   ``log det M``
``lnD``    ``log det M``                                      ``log det M``
``Ds``     ``log det M − log det M_22`` (M_22: nuisance)      same
``A``      ``tr(M⁻¹)``                                        ``−tr(M⁻¹)``
``c``      ``cᵀ M⁻¹ c``                                       ``−cᵀ M⁻¹ c``
``E``      ``λ_min(M)``                                       same
=========  =================================================  ===========
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from symfisher.errors import SingularInformationError, UnknownParameterError
from symfisher.options import PopulationCriterion as Criterion
from symfisher.options import option

Array = NDArray[np.float64]

__all__ = [
    "Criterion",
    "check_regular",
    "logdet",
    "null_directions",
    "utility",
    "value",
]


def logdet(m: Array) -> Array:
    """``log det M`` by Cholesky; ``-inf`` where ``M`` is not positive definite."""
    m = np.asarray(m, float)
    out = np.full(m.shape[:-2], -np.inf)
    ok = np.all(np.isfinite(m), axis=(-2, -1))
    if m.shape[-1] == 0:
        return np.zeros(m.shape[:-2])
    try:
        c = np.linalg.cholesky(np.where(ok[..., None, None], m, np.eye(m.shape[-1])))
        out = np.where(ok, 2.0 * np.log(np.diagonal(c, axis1=-2, axis2=-1)).sum(-1), -np.inf)
    except np.linalg.LinAlgError:
        flat = m.reshape(-1, *m.shape[-2:])
        res = np.array([_one_logdet(x) for x in flat])
        out = res.reshape(m.shape[:-2])
    return out


def _one_logdet(m: Array) -> float:
    try:
        c = np.linalg.cholesky(m)
    except np.linalg.LinAlgError:
        return -np.inf
    return float(2.0 * np.log(np.diag(c)).sum())


def _indices(params: Sequence[str], names: Sequence[str]) -> list[int]:
    bad = [n for n in names if n not in params]
    if bad:
        raise UnknownParameterError(f"parameter(s) {bad} not estimated; estimated are {list(params)}")
    return [list(params).index(n) for n in names]


def utility(
    m: Array,
    criterion: str,
    params: Sequence[str],
    interest: Sequence[str] | None = None,
    c: Array | None = None,
) -> Array:
    """The value to maximise (see the module table); ``-inf`` for singular matrices."""
    crit = option(Criterion, criterion, "criterion")
    if crit in (Criterion.D, Criterion.LND):
        return logdet(m)
    if crit is Criterion.DS:
        if not interest:
            raise UnknownParameterError("criterion 'Ds' needs the parameters of interest (interest=[...])")
        idx = _indices(params, interest)
        rest = [i for i in range(len(params)) if i not in idx]
        return logdet(m) - logdet(m[..., rest, :][..., :, rest])
    if crit is Criterion.E:
        return np.asarray(np.linalg.eigvalsh(m)[..., 0], float)
    ld = logdet(m)
    safe = np.where(np.isfinite(ld)[..., None, None], m, np.eye(m.shape[-1]))
    inv = np.linalg.inv(safe)
    if crit is Criterion.A:
        val = -np.trace(inv, axis1=-2, axis2=-1)
    else:
        if c is None:
            raise UnknownParameterError("criterion 'c' needs the vector c (c=[...], one entry per parameter)")
        cv = np.asarray(c, float)
        val = -np.einsum("i,...ij,j->...", cv, inv, cv)
    return np.where(np.isfinite(ld), val, -np.inf)


def value(
    m: Array,
    criterion: str,
    params: Sequence[str],
    interest: Sequence[str] | None = None,
    c: Array | None = None,
) -> Array:
    """The criterion as usually reported (see the module table)."""
    crit = option(Criterion, criterion, "criterion")
    u = utility(m, crit, params, interest, c)
    if crit is Criterion.D:
        return np.exp(u / m.shape[-1])
    if crit in (Criterion.A, Criterion.C):
        return -u
    return u


def null_directions(m: Array, params: Sequence[str], rtol: float = 1e-10) -> tuple[dict[str, float], ...]:
    """Unit null vectors of a (P, P) matrix as {name: coefficient} (small entries dropped)."""
    scale = np.sqrt(np.abs(np.diag(m))) + 1e-300
    w, u = np.linalg.eigh(m / np.outer(scale, scale))
    dirs = []
    for j in np.flatnonzero(w <= rtol * max(w.max(), 1e-300)):
        vec = u[:, j] / scale
        vec = vec / np.linalg.norm(vec)
        dirs.append({n: round(float(v), 6) for n, v in zip(params, vec) if abs(v) > 1e-8})
    return tuple(dirs)


def check_regular(m: Array, params: Sequence[str]) -> None:
    """Raise :class:`SingularInformationError` naming the null space when ``m`` is singular."""
    dirs = null_directions(m, params)
    if dirs or not np.isfinite(logdet(m)):
        dirs = dirs or null_directions(m, params, rtol=1e-6)
        text = "; ".join(" + ".join(f"{v:+.3g}*{n}" for n, v in d.items()) for d in dirs) or "(numerically)"
        raise SingularInformationError(
            f"the population Fisher information is singular: unidentifiable direction(s) {text}",
            dirs,
        )
