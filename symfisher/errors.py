"""Exception hierarchy of symfisher.

Every error names the offending symbol, parameter, entry or array, so a user can
act on it without reading the source.
"""

from __future__ import annotations

import enum
from typing import TypeVar

E = TypeVar("E", bound=enum.Enum)


class SymfisherError(Exception):
    """Base class of every error raised on purpose by symfisher."""


class DerivationError(SymfisherError):
    """No closed form could be established (or a closed form failed its cross-check).

    The message names the entry (e.g. ``I[1, 1]``) and the routes that were tried.
    """


class NonRegularFamilyError(SymfisherError):
    """The family violates a regularity condition of Fisher information.

    Typically the support depends on a parameter (Uniform(0, θ)), so
    differentiation and integration cannot be exchanged.
    """


class ParseError(SymfisherError, ValueError):
    """A user-supplied expression string was rejected by the safe parser."""


class DomainError(SymfisherError, ValueError):
    """A numeric value lies outside a parameter's domain."""


class ShapeError(SymfisherError, ValueError):
    """Arrays whose shapes do not fit together (the message names the arrays)."""


class UnknownNameError(SymfisherError, ValueError):
    """A name that does not exist where it was given: a ``theta`` key that is not a
    parameter, a parameter of a reparametrisation that the family does not have, a
    symbol name used twice with different assumptions. The message names it."""


class OptionError(SymfisherError, ValueError):
    """An option (keyword or command-line value) outside its valid values."""


class NotIdentifiableError(DerivationError):
    """The Fisher matrix is singular: some parameter combinations are not identifiable.

    The message names the null space (the combinations the data cannot inform).
    """


class CacheError(SymfisherError, OSError):
    """The cache directory cannot be used as required; the message names the path."""


def option(enum_cls: type[E], value: object, name: str) -> E:
    """``enum_cls(value)``, or an :class:`OptionError` (a ValueError) naming the option and its valid values.

    Parameters
    ----------
    enum_cls : Enum subclass
    value : object
        A member or its value.
    name : str
        The keyword as the user wrote it (``"method"``, ``"kind"``, ...).

    Examples
    --------
    >>> import enum
    >>> class Kind(str, enum.Enum):
    ...     FIRST = "first"
    >>> option(Kind, "first", "kind").value
    'first'
    >>> option(Kind, "third", "kind")
    Traceback (most recent call last):
    ...
    symfisher.errors.OptionError: kind='third' is not one of ['first']
    """
    try:
        return enum_cls(value)
    except ValueError:
        valid = [m.value for m in enum_cls]
        raise OptionError(f"{name}={value!r} is not one of {valid}") from None
