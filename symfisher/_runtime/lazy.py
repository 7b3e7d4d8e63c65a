"""PEP 562 lazy attributes for a package facade: ONE implementation of ``__getattr__``/``__dir__``.

Examples
--------
>>> __getattr__, __dir__ = lazy_attributes("pkg", {"sqrt": ("math", "sqrt")}, {})
>>> __getattr__("sqrt")(9.0)
3.0
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    package: str, table: Mapping[str, tuple[str, str]], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` importing ``table[name] = (module, attribute)`` on first use.

    The imported object is stored in ``namespace`` (the package's ``globals()``), so later
    lookups skip ``__getattr__``.
    """

    def getattr_(name: str) -> Any:
        try:
            module_name, attr = table[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module_name), attr)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted(set(namespace) | set(table))

    return getattr_, dir_
