"""The Numba printer: one printer class and ONE table of SymPy heads → kernel functions.

The table :data:`FUNCTIONS` maps the name of a SymPy function class (``"exp"``,
``"polygamma"``, ``"besseli"``, ...) to the *fully qualified* name of a scalar
function callable from Numba-compiled code (``"math.exp"``,
``"symfisher.numeric.special.trigamma"``); a name without a dot is a Python builtin
(``"abs"``). Users extend or override it with a chained mapping
(:func:`function_table`), e.g. ``{"my_f": "mypkg.kernels.my_f"}`` where ``my_f`` is an
``@njit`` function.

The printer is strict: a function that is neither in the table nor structural
(``Piecewise``, ``Max``, ``Min``, or a head defining ``_numbacode(printer)`` such as
:class:`symfisher.codegen.rewrite.exp_neg_abs`) raises :class:`CodegenError` naming it at
code-generation time, never silently at run time.

Examples
--------
>>> import sympy as sp
>>> from symfisher.codegen.printer import NumbaPrinter
>>> x = sp.Symbol("x", positive=True)
>>> NumbaPrinter({x: "v_x"}).doprint(sp.exp(-x**2) + sp.polygamma(1, x))
'_sf_trigamma(v_x) + math.exp(-(v_x*v_x))'
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import sympy as sp
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pycode import PythonCodePrinter

from symfisher.errors import CodegenError

__all__ = ["CodegenError", "FUNCTIONS", "VECMATH", "NumbaPrinter", "function_table", "import_lines"]

_SPECIAL = "symfisher.numeric.special"
_VEC = "symfisher.numeric.vecmath"


#: SymPy function head → fully qualified kernel function (the one translation table).
FUNCTIONS: Mapping[str, str] = MappingProxyType(
    {
        "exp": "math.exp",
        "log": "math.log",
        "log1p": "math.log1p",
        "expm1": "math.expm1",
        "sin": "math.sin",
        "cos": "math.cos",
        "tan": "math.tan",
        "asin": "math.asin",
        "acos": "math.acos",
        "atan": "math.atan",
        "atan2": "math.atan2",
        "sinh": "math.sinh",
        "cosh": "math.cosh",
        "tanh": "math.tanh",
        "asinh": "math.asinh",
        "acosh": "math.acosh",
        "atanh": "math.atanh",
        "hypot": "math.hypot",
        "Abs": "abs",
        "erf": "math.erf",
        "erfc": "math.erfc",
        "gamma": "math.gamma",
        "loggamma": "math.lgamma",
        "digamma": f"{_SPECIAL}.digamma",
        "trigamma": f"{_SPECIAL}.trigamma",
        "polygamma": f"{_SPECIAL}.polygamma",
        "beta": f"{_SPECIAL}.beta",
        "logbeta": f"{_SPECIAL}.logbeta",
        "besseli": f"{_SPECIAL}.besseli",
        "log_besseli": f"{_SPECIAL}.log_besseli",
        "besseli_ratio": f"{_SPECIAL}.besseli_ratio",
    }
)


#: Entries put in front of :data:`FUNCTIONS` by the ``vecmath`` option: branch-free,
#: inlined implementations that let LLVM vectorise the point loop. ``"power"`` is used
#: for ``b**e`` with a non-integer exponent (and by :class:`~symfisher.codegen.rewrite.powr`).
VECMATH: Mapping[str, str] = MappingProxyType(
    {
        "exp": f"{_VEC}.exp",
        "log": f"{_VEC}.log",
        "log1p": f"{_VEC}.log1p",
        "expm1": f"{_VEC}.expm1",
        "power": f"{_VEC}.power",
        "logistic": f"{_VEC}.logistic",
        "softplus": f"{_VEC}.softplus",
    }
)


def function_table(extra: Mapping[str, str] | None = None, vecmath: bool = False) -> ChainMap[str, str]:
    """The effective translation table: ``extra`` (user entries) first, then :data:`FUNCTIONS`.

    Parameters
    ----------
    extra : mapping of str to str, optional
        SymPy function name → fully qualified ``@njit`` function (``"pkg.mod.f"``).
    vecmath : bool
        Put :data:`VECMATH` between ``extra`` and :data:`FUNCTIONS`.

    Returns
    -------
    collections.ChainMap
        Lookups try ``extra`` first.

    Examples
    --------
    >>> from symfisher.codegen.printer import function_table
    >>> function_table({"exp": "mypkg.fast_exp"})["exp"]
    'mypkg.fast_exp'
    """
    layers = [dict(extra or {})] + ([dict(VECMATH)] if vecmath else []) + [dict(FUNCTIONS)]
    return ChainMap(*layers)


def alias(qualified: str) -> str:
    """The identifier under which a qualified kernel function is called in generated code."""
    module, _, attr = qualified.rpartition(".")
    if not module or module == "math":
        return qualified
    return f"_sf_{attr}"


def import_lines(qualified_names: set[str]) -> list[str]:
    """``import`` statements for the kernel functions used (sorted, deterministic)."""
    lines = set()
    for q in qualified_names:
        module, _, attr = q.rpartition(".")
        if module == "math":
            lines.add("import math")
        elif module:
            lines.add(f"from {module} import {attr} as {alias(q)}")
    return sorted(lines)


class NumbaPrinter(PythonCodePrinter):
    """Print scalar SymPy expressions as Numba-compatible Python source.

    Parameters
    ----------
    names : mapping of sympy.Symbol to str
        The identifier of every symbol that may appear; any other symbol is an error.
    functions : mapping of str to str, optional
        The translation table (default :func:`function_table`).

    Attributes
    ----------
    used : set of str
        Qualified kernel functions used so far (to write the imports).
    """

    printmethod = "_numbacode"

    def __init__(self, names: Mapping[sp.Symbol, str], functions: Mapping[str, str] | None = None) -> None:
        super().__init__({"strict": True, "fully_qualified_modules": True})
        self._names = dict(names)
        self._functions = function_table() if functions is None else functions
        self.used: set[str] = set()

    def _print(self, expr: Any, **kwargs: Any) -> str:
        if isinstance(expr, sp.Function) and not isinstance(expr, sp.Piecewise) and not hasattr(expr, self.printmethod):
            return self._print_mapped(expr)
        return super()._print(expr, **kwargs)

    def function(self, head: str, default: str = "") -> str:
        """The identifier to call for ``head`` (recorded as used); ``default`` if unmapped."""
        if head not in self._functions:
            return default or f"math.{head}"
        qualified = self._functions[head]
        self.used.add(qualified)
        return alias(qualified)

    def _call(self, head: str, args: tuple[Any, ...]) -> str:
        return f"{self.function(head)}({', '.join(self._print(a) for a in args)})"

    def _print_mapped(self, expr: sp.Function) -> str:
        head = type(expr).__name__
        if head not in self._functions:
            raise CodegenError(
                f"function {head!r} (in {expr}) has no kernel implementation; map it with "
                f"functions={{{head!r}: 'package.module.njit_function'}}"
            )
        if head == "polygamma" and expr.args[0] in (0, 1):
            short = "digamma" if expr.args[0] == 0 else "trigamma"
            if short in self._functions:
                return self._call(short, expr.args[1:])
        if head in ("polygamma", "besseli", "log_besseli", "besseli_ratio"):
            order = expr.args[0]
            if not (order.is_Integer and order >= 0):
                raise CodegenError(f"{head} needs a literal non-negative integer order, got {order}")
        return self._call(head, expr.args)

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        try:
            return self._names[expr]
        except KeyError:
            raise CodegenError(f"symbol {expr} is neither an argument nor a constant") from None

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        base, e = expr.args
        b = self.parenthesize(base, PRECEDENCE["Pow"], strict=False)
        if e == sp.S.Half:
            return f"math.sqrt({self._print(base)})"
        if e == -sp.S.Half:
            return f"(1.0/math.sqrt({self._print(base)}))"
        if e.is_Integer and 1 <= abs(int(e)) <= 4:
            prod = "*".join([b] * abs(int(e)))
            return f"({prod})" if e > 0 else f"(1.0/({prod}))"
        if e.is_Integer:
            return f"{b}**{int(e)}"
        if "power" in self._functions:
            return self._call("power", (base, e))
        return f"{b}**{self.parenthesize(e, PRECEDENCE['Pow'], strict=False)}"

    def _print_Rational(self, expr: sp.Rational) -> str:
        return f"({expr.p}/{expr.q})"

    def _print_Integer(self, expr: sp.Integer) -> str:
        return str(int(expr))

    def _print_Float(self, expr: sp.Float) -> str:
        return repr(float(expr))

    def _print_NumberSymbol(self, expr: sp.NumberSymbol) -> str:
        return repr(float(expr.evalf(20)))

    _print_Pi = _print_NumberSymbol
    _print_Exp1 = _print_NumberSymbol
    _print_EulerGamma = _print_NumberSymbol
    _print_Catalan = _print_NumberSymbol
    _print_GoldenRatio = _print_NumberSymbol

    def _print_Infinity(self, expr: Any) -> str:
        return "math.inf"

    def _print_NegativeInfinity(self, expr: Any) -> str:
        return "(-math.inf)"

    def _print_NaN(self, expr: Any) -> str:
        return "math.nan"

    def _print_ImaginaryUnit(self, expr: Any) -> str:
        raise CodegenError("complex values (I) cannot be compiled into a float64 kernel")
