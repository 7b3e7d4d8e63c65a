"""One registry of the package's in-memory memo caches, and :func:`clear_caches`.

Every memoised function in symfisher is decorated with :func:`memo` (a registered
:func:`functools.lru_cache`), so one call empties them all: after upgrading SymPy in a
running session, in tests that must start cold, or to free memory. Keys are the
functions' arguments (families hash by content), so a cache never changes a result.

Examples
--------
>>> @memo(maxsize=8)
... def square(x: int) -> int:
...     return x * x
>>> square(3), square.cache_info().currsize
(9, 1)
>>> clear_caches() >= 1 and square.cache_info().currsize == 0
True
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["clear_caches", "memo", "registered"]

F = TypeVar("F", bound=Callable[..., Any])

_REGISTRY: list[Any] = []  # the memoised functions, in definition order (append-only)


def memo(maxsize: int | None = 128) -> Callable[[F], F]:
    """``functools.lru_cache(maxsize)`` that :func:`clear_caches` can empty."""

    def wrap(fn: F) -> F:
        cached = functools.lru_cache(maxsize=maxsize)(fn)
        _REGISTRY.append(cached)
        # lru_cache keeps fn's call signature; callers should see F, not the wrapper type.
        return cached  # type: ignore[return-value]

    return wrap


def registered() -> tuple[str, ...]:
    """Qualified names of every registered memo cache."""
    return tuple(f"{f.__module__}.{f.__qualname__}" for f in _REGISTRY)


def clear_caches() -> int:
    """Empty every in-memory memo cache of symfisher; returns how many caches there are.

    The on-disk cache (kernels, derivations) is untouched: see ``symfisher cache clear``.
    """
    for fn in _REGISTRY:
        fn.cache_clear()
    return len(_REGISTRY)
