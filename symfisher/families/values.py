"""Parameter values given by users, as a vector in parameter order: ONE conversion.

``theta`` may be a mapping (keys are symbols or their names) or a sequence in parameter
order. Unknown keys, missing parameters, a wrong length, non-finite values and values
outside a parameter's domain are errors that name the parameter: a typo in a key must
never be ignored silently.

Examples
--------
>>> import sympy as sp
>>> a, b = sp.symbols("a b", positive=True)
>>> parameter_vector((a, b), {"a": 1, b: 2.5}).tolist()
[1.0, 2.5]
>>> parameter_vector((a, b), {"a": 1, "b": 2, "typo": 3})
Traceback (most recent call last):
...
symfisher.errors.DomainError: theta has an unknown parameter 'typo'; the parameters are ['a', 'b']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

from symfisher.errors import DomainError
from symfisher.families.domains import domain_from_assumptions

__all__ = ["parameter_vector"]


def _by_name(params: Sequence[sp.Symbol], theta: Mapping[Any, Any], what: str) -> list[Any]:
    names = [p.name for p in params]
    given: dict[str, Any] = {}
    for key, value in theta.items():
        name = key.name if isinstance(key, sp.Symbol) else str(key)
        if name not in names:
            raise DomainError(f"{what} has an unknown parameter {name!r}; the parameters are {names}")
        given[name] = value
    missing = [n for n in names if n not in given]
    if missing:
        raise DomainError(f"{what} lacks a value for the parameter(s) {missing}")
    return [given[n] for n in names]


def parameter_vector(
    params: Sequence[sp.Symbol], theta: Any, what: str = "theta", *, domains: Mapping[sp.Symbol, sp.Set] | None = None
) -> np.ndarray:
    """``theta`` as a float vector in ``params`` order, validated.

    Parameters
    ----------
    params : sequence of sympy.Symbol
        The order (length p).
    theta : mapping or sequence
        Symbol or name → value, or p values in order.
    what : str
        The argument's name in error messages.
    domains : mapping, optional
        Domain of each parameter; default: the domain its assumptions state.

    Returns
    -------
    numpy.ndarray
        Shape (p,), float64.

    Raises
    ------
    DomainError
        Unknown, missing or extra values, non-numbers, non-finite values or values
        outside a domain (each message names the parameter).
    """
    if isinstance(theta, Mapping):
        raw = _by_name(params, theta, what)
    else:
        raw = list(np.asarray(theta, dtype=object).ravel())
        if len(raw) != len(params):
            raise DomainError(
                f"{what} has {len(raw)} values but there are {len(params)} parameters {[p.name for p in params]}"
            )
    out = np.empty(len(params))
    for k, (p, v) in enumerate(zip(params, raw)):
        try:
            out[k] = float(v)
        except (TypeError, ValueError):
            raise DomainError(f"{what}: {p.name} = {v!r} is not a real number") from None
        dom = (domains or {}).get(p, None) or domain_from_assumptions(p)
        if not math.isfinite(out[k]) or dom.contains(sp.Float(out[k])) != sp.true:
            raise DomainError(f"{what}: {p.name} = {out[k]} lies outside its domain {dom}")
    return out
