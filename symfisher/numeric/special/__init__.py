"""Special functions as Numba scalar kernels (log-gamma family, beta, erf, Bessel I).

Every public function is ``@numba.njit(cache=True)``, takes and returns float64 scalars
(orders ``n`` and ``s`` are integers), is callable from Python and from other ``@njit``
code, allocates nothing and raises nothing: poles give ``inf`` or ``nan`` as documented.
Each module imports only ``math``, ``numpy``, ``numba`` and its siblings, so that
``sf.export`` can concatenate the sources (:data:`MODULES`, in dependency order) into a
standalone module.

Accuracy is stated as the mixed error ``|f - f_ref| / max(1, |f_ref|)`` against mpmath at
50 digits (``tests/test_special.py`` asserts every bound quoted in a docstring).
No function relies on NaN tests or on the order of floating-point operations, so the
accuracy is unchanged when the bodies are compiled with ``fastmath`` flags (the tests
recompile this file with ``fastmath=True``); only the values returned at poles and
infinities are undefined under the ``nnan``/``ninf`` flags.

Coefficient provenance: Bernoulli numbers and Taylor coefficients are exact rationals; the
two large-x Bessel tables are least-squares Chebyshev fits (``mpmath.chebyfit``, 40
digits) and the digamma table a Pade approximant (``mpmath.pade``); the recipes stand
beside each table and ``tests/test_special.py::test_tables_reproduce_recipes`` reruns them.
"""

from __future__ import annotations

from symfisher.numeric.special.bessel import besseli, besseli0, besseli1, besseli_e, besseli_ratio, log_besseli
from symfisher.numeric.special.erf_beta import beta, erf, erfc, logbeta
from symfisher.numeric.special.gamma_family import digamma, gamma, hurwitz_zeta, loggamma, polygamma, trigamma, zeta

MODULES = ("_common", "gamma_family", "erf_beta", "bessel")
"""The package's modules in dependency order (each imports only from earlier ones)."""

__all__ = [
    "loggamma",
    "gamma",
    "digamma",
    "trigamma",
    "polygamma",
    "hurwitz_zeta",
    "zeta",
    "erf",
    "erfc",
    "logbeta",
    "beta",
    "besseli0",
    "besseli1",
    "besseli",
    "besseli_e",
    "log_besseli",
    "besseli_ratio",
]


def standalone_source() -> str:
    """The package as ONE module's source (what ``sf.export`` copies into a standalone file).

    The modules of :data:`MODULES` are concatenated in dependency order without their
    ``__future__`` imports and without the imports between them (every name is then in
    one namespace). The result imports only ``math``, ``numpy`` and ``numba``.
    """
    from pathlib import Path

    here = Path(__file__).parent
    lines: list[str] = []
    for name in MODULES:
        for line in (here / f"{name}.py").read_text(encoding="utf-8").splitlines():
            if line.startswith(("from __future__ import", "from symfisher.numeric.special")):
                continue
            lines.append(line)
        lines.append("")
    return "\n".join(lines)
