"""Exception hierarchy of symfisher.

Every error names the offending symbol, parameter, entry or array, so a user can
act on it without reading the source.
"""

from __future__ import annotations


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


class NotIdentifiableError(DerivationError):
    """The Fisher matrix is singular: some parameter combinations are not identifiable.

    The message names the null space (the combinations the data cannot inform).
    """


class CacheError(SymfisherError, OSError):
    """The cache directory cannot be used as required; the message names the path."""


class OptionError(SymfisherError, ValueError):
    """An option (``structure=``, ``method=``, ...) got a value it does not accept.

    The message names the keyword and lists the valid values.
    """


class UnknownFamilyError(SymfisherError, ValueError):
    """No catalog entry has this name (the message suggests close names)."""


class CodegenError(SymfisherError, ValueError):
    """An expression cannot be turned into a kernel (unmapped function, free symbol, ...)."""


class KernelFileError(CacheError):
    """A kernel file is missing or fails its content check."""


class SingularDesignError(SymfisherError, ValueError):
    """The information matrix is singular for every candidate design (non-identifiable model)."""


class InputError(SymfisherError, ValueError):
    """An argument has a value symfisher cannot use (the message names the argument)."""


class InputTypeError(SymfisherError, TypeError):
    """An argument has a type symfisher cannot use (the message names the argument and type)."""


class BudgetExceeded(SymfisherError, TimeoutError):
    """A budgeted call did not finish in time (the child and all it started were killed)."""


class Deadline(SymfisherError, TimeoutError):
    """A bounded step of the verifier ran out of time (its caller takes a numeric route)."""


class StepBudgetExceeded(SymfisherError, TimeoutError):
    """A trial integration exceeded its number of right-hand-side evaluations."""


class UnknownParameterError(SymfisherError, ValueError):
    """A parameter, covariate or response name that the model does not have (the message names it)."""


class DesignSpaceError(SymfisherError, ValueError):
    """A design that leaves its design space (a time outside its window, spacing too small, ...)."""


class SingularInformationError(SymfisherError, ValueError):
    """A singular Fisher information matrix; ``directions`` holds its null space.

    Attributes
    ----------
    directions : tuple of dict
        One unit null vector per unidentifiable direction, as {parameter name: coefficient}
        (coefficients below 1e-8 in magnitude left out).
    """

    def __init__(self, message: str, directions: tuple[dict[str, float], ...] = ()) -> None:
        super().__init__(message)
        self.directions = directions


class MemoryBudgetError(SymfisherError, MemoryError):
    """A computation would need more memory (or scratch disk) than its budget allows
    (the message names the layer and the bytes it needs)."""
