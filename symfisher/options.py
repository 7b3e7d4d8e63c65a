"""Every option of symfisher as a ``str`` Enum, and the one parser :func:`option`.

Users pass plain strings (``structure="kron"``); the code sees members
(``Structure.KRON``). :func:`option` converts, and on a bad value raises
:class:`~symfisher.errors.OptionError` listing the valid values. Aliases (``"normal"``
for ``"gaussian"``, ``"t"`` for ``"student_t"``) are resolved by each enum's
``_missing_`` so that every entry point accepts the same spellings. This module is the
lowest layer: no SymPy, no NumPy.

Examples
--------
>>> option(Structure, "kron", "structure")
<Structure.KRON: 'kron'>
>>> option(Likelihood, "t", "likelihood")
<Likelihood.STUDENT_T: 'student_t'>
>>> option(Structure, "dense", "structure")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
symfisher.errors.OptionError: structure='dense' is not one of ['full', 'kron', 'diag', 'last_layer', ...]
"""

from __future__ import annotations

import enum
from enum import Enum
from typing import TypeVar

from symfisher.errors import OptionError

E = TypeVar("E", bound=enum.Enum)


def option(enum_cls: type[E], value: object, name: str) -> E:
    """``enum_cls(value)``, or an :class:`OptionError` naming the option and its valid values.

    Parameters
    ----------
    enum_cls : Enum subclass
    value : object
        A member, its value, or an alias the enum accepts.
    name : str
        The keyword as the user wrote it (``"method"``, ``"kind"``, ...).
    """
    try:
        return enum_cls(value)
    except ValueError:
        valid = [m.value for m in enum_cls]
        raise OptionError(f"{name}={value!r} is not one of {valid}") from None


def _member(cls: type[E], value: object, aliases: dict[str, str]) -> E | None:
    """The member whose value is ``value`` after normalising case and ``-``/``_`` and resolving
    ``aliases`` (``Enum._missing_`` of the enums that accept other spellings)."""
    key = _normalise(value)
    if isinstance(key, str):  # an unhashable non-string must reach option()'s OptionError
        key = aliases.get(key, key)
    return next((m for m in cls if m.value == key), None)


def _normalise(value: object) -> object:
    return value.strip().lower().replace("-", "_") if isinstance(value, str) else value


class FisherMethod(str, Enum):
    """How :func:`symfisher.fisher` derives the matrix (``"auto"`` tries them in order)."""

    AUTO = "auto"
    EXPFAM = "expfam"
    HESSIAN = "hessian"
    SCORE = "score"


class KronMethod(str, Enum):
    """How :func:`symfisher.kfac.kron_error` obtains ``||F||^2``.

    ``"auto"`` picks dense for tiny blocks, else Gram; a report records the method used
    (``gram``: blocked Gram identities, exact up to rounding; ``dense``: F formed
    explicitly; ``sampled``: unbiased estimate from sampled examples).
    """

    AUTO = "auto"
    GRAM = "gram"
    DENSE = "dense"
    SAMPLED = "sampled"


class CrossTerm(str, Enum):
    """How to obtain ``<F, G kron A>`` with ``method="sampled"``.

    ``"exact"``: ``sum_n tr(B_n^T G B_n) a_n^T A a_n``, O(N d^2) like the factors;
    ``"sampled"``: unbiased estimate from the same sampled triples as ``||F||^2``.
    """

    EXACT = "exact"
    SAMPLED = "sampled"


class Link(str, Enum):
    """Link functions ``g`` with ``g(μ) = η`` (users may pass the plain string)."""

    IDENTITY = "identity"
    LOGIT = "logit"
    PROBIT = "probit"
    CLOGLOG = "cloglog"
    LOG = "log"


class Backend(str, Enum):
    """Where compiled expressions are evaluated."""

    NUMBA = "numba"
    MPMATH = "mpmath"


class Criterion(str, Enum):
    """Names of the design criteria (users may pass the plain string)."""

    D = "D"
    A = "A"
    E = "E"
    C = "c"
    L = "L"
    DS = "Ds"
    I = "I"  # noqa: E741
    TD = "TD"
    DOPT_TD = "Dopt&TD"

    @classmethod
    def _missing_(cls, value: object) -> Criterion | None:
        """The dose-finding names in any case; ``"MED"`` is DoseFinding's older name of TD."""
        return _member(cls, value, {"td": "TD", "med": "TD", "dopt&td": "Dopt&TD"})


class Structure(str, Enum):
    """Curvature structure of the posterior precision."""

    FULL = "full"
    KRON = "kron"
    DIAG = "diag"
    LAST_LAYER = "last_layer"
    LAST_LAYER_KRON = "last_layer_kron"
    LAST_LAYER_DIAG = "last_layer_diag"

    @classmethod
    def _missing_(cls, value: object) -> Structure | None:
        return _member(cls, value, {"lastlayer": "last_layer"})


class LinkApprox(str, Enum):
    """How the predictive integrates the inverse link over ``f``."""

    AUTO = "auto"
    PROBIT = "probit"
    LOGNORMAL = "lognormal"
    MC = "mc"


LIKELIHOOD_ALIASES: dict[str, str] = {
    "normal": "gaussian",
    "logistic": "bernoulli",
    "t": "student_t",
    "negbin": "negative_binomial",
    "nb": "negative_binomial",
    "multinomial": "categorical",
    "softmax": "categorical",
}
"""Alternative spellings of likelihood names, accepted everywhere (regression noise,
output curvature, Laplace)."""


class Likelihood(str, Enum):
    """THE vocabulary of response likelihoods, shared by regression models
    (``Regression(noise=...)``), derived output curvatures (``sf.kfac.output_curvature``)
    and Laplace posteriors (``sf.laplace(likelihood=...)``).

    Each user supports a subset and says which when given another; all accept the same
    spellings (:data:`LIKELIHOOD_ALIASES`, case and ``-``/``_`` insensitive).
    ``custom`` marks a likelihood compiled from a user's family.
    """

    GAUSSIAN = "gaussian"
    BERNOULLI = "bernoulli"
    BINOMIAL = "binomial"
    CATEGORICAL = "categorical"
    POISSON = "poisson"
    GAMMA = "gamma"
    NEGATIVE_BINOMIAL = "negative_binomial"
    STUDENT_T = "student_t"
    HETEROSCEDASTIC_GAUSSIAN = "heteroscedastic_gaussian"
    CUSTOM = "custom"

    @classmethod
    def _missing_(cls, value: object) -> Likelihood | None:
        return _member(cls, value, LIKELIHOOD_ALIASES)


class Activation(str, Enum):
    """Hidden-layer nonlinearity."""

    TANH = "tanh"
    RELU = "relu"
    IDENTITY = "identity"
    SIGMOID = "sigmoid"
    SOFTPLUS = "softplus"


class Status(str, Enum):
    """Outcome of one identity check.

    ``proved``: the residual simplifies to 0 symbolically; ``verified numerically``:
    the residual is below the tolerance at every test point (mpmath, ``dps`` digits);
    ``fails``: it is not (or the family violates a regularity condition the identity
    needs — the reason says which); ``not applicable``: the identity's hypotheses are
    not met (e.g. an exponential-family identity for a non-exponential family);
    ``inconclusive``: the check ran out of its time budget or a derivation failed.
    """

    PROVED = "proved"
    NUMERIC = "verified numerically"
    FAILS = "fails"
    NOT_APPLICABLE = "not applicable"
    INCONCLUSIVE = "inconclusive"


class DistanceMethod(str, Enum):
    """How :func:`fisher_rao_distance` computes: ``"auto"``, ``"closed"`` or ``"numeric"``."""

    AUTO = "auto"
    CLOSED = "closed"
    NUMERIC = "numeric"


class Integrator(str, Enum):
    """Which integrator runs geodesics: ``"auto"``, ``"compiled"`` or ``"scipy"``.

    ``"compiled"`` needs the Christoffel symbols as a :class:`LoopKernel`; ``"scipy"``
    is :func:`scipy.integrate.solve_ivp` (DOP853) with any Python callable (the
    reference path); ``"auto"`` takes the compiled one when it can.
    """

    AUTO = "auto"
    COMPILED = "compiled"
    SCIPY = "scipy"


class ConnectionKind(str, Enum):
    """Index position of connection coefficients (``"first"`` or ``"second"``)."""

    FIRST = "first"
    SECOND = "second"


class KfacApprox(str, Enum):
    """K-FAC for weight-sharing layers (convolutions): ``"expand"`` (KFC, Grosse & Martens
    2016: positions as extra examples) or ``"reduce"`` (Eschenhagen et al. 2023)."""

    EXPAND = "expand"
    REDUCE = "reduce"


class CurvatureKind(str, Enum):
    """Which output factors the PyTorch bridge pulls back: ``"ggn"`` (``S S^T = Lambda``),
    ``"empirical"`` (gradients at the labels) or ``"jacobian"`` (``S = I``)."""

    GGN = "ggn"
    EMPIRICAL = "empirical"
    JACOBIAN = "jacobian"


class Subset(str, Enum):
    """Which layers a PyTorch Laplace posterior covers: ``"all"`` or ``"last_layer"``."""

    ALL = "all"
    LAST_LAYER = "last_layer"

    @classmethod
    def _missing_(cls, value: object) -> Subset | None:
        return _member(cls, value, {"lastlayer": "last_layer"})


# -- population (nonlinear mixed-effects) designs, issue 13 --------------------------------------
class ResidualError(str, Enum):
    """Residual error model of one response of a population model."""

    ADDITIVE = "additive"
    PROPORTIONAL = "proportional"
    COMBINED = "combined"
    EXPONENTIAL = "exponential"


class OmegaStructure(str, Enum):
    """Covariance structure of the random effects of a population model."""

    DIAGONAL = "diagonal"
    FULL = "full"


class Linearisation(str, Enum):
    """Linearisation of the mixed-effects likelihood (FOCE is FOCE-type: FO around drawn η)."""

    FO = "FO"
    FOCE = "FOCE"


class FimStructure(str, Enum):
    """Population FIM: full (V depends on β) or reduced (block-diagonal)."""

    FULL = "full"
    REDUCED = "reduced"


class PopulationCriterion(str, Enum):
    """Criteria of population designs at one parameter value (ED/ELD are prior aggregates)."""

    D = "D"
    LND = "lnD"
    DS = "Ds"
    A = "A"
    C = "c"
    E = "E"
