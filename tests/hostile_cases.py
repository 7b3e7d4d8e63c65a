"""The table of hostile inputs (issue 12): each row, the error class it must raise and a
word its message must contain. ``tests/test_hostile.py`` runs it; ``docs/reliability.md``
holds the rendered table (``python tests/hostile_cases.py`` prints it; a test keeps the
two in sync).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy as sp

import symfisher as sf
from symfisher import errors as E
from symfisher.numeric.kernel_checks import ArgumentCountError, ArrayError


class CliRejected(Exception):
    """The command line refused the input: exit code 2, one line on stderr, no traceback."""


@dataclass(frozen=True)
class Case:
    """One hostile input."""

    id: str
    area: str
    what: str
    call: Callable[[], object]
    error: type[BaseException]
    word: str


def _cli(*argv: str) -> None:
    from symfisher.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(list(argv))
    if code == 2 and "Traceback" not in err.getvalue():
        raise CliRejected(err.getvalue())


def parse(text: str) -> Callable[[], object]:
    return lambda: sf.parse_expression(text)


X = sp.Symbol("x", real=True)
MU = sp.Symbol("mu", real=True)
A = sp.Symbol("a", positive=True)
B = sp.Symbol("b", positive=True)
REALS = sp.Interval(-sp.oo, sp.oo)


def _normal(mean: sp.Expr, params: list[sp.Symbol]) -> sf.Family:
    return sf.Family(-((X - mean) ** 2) / 2 - sp.log(2 * sp.pi) / 2, X, params, REALS)


_KERNEL: dict[str, object] = {}


def kernel() -> object:
    """``1/a + b`` over (a > 0, b > 0), compiled once."""
    if "k" not in _KERNEL:
        _KERNEL["k"] = sf.compile(sp.Matrix([[1 / A, B], [B, A]]), args=[A, B])
    return _KERNEL["k"]


def call_kernel(*arrays: object, **kw: object) -> Callable[[], object]:
    return lambda: kernel()(*arrays, **kw)  # type: ignore[operator]


def _out(shape: tuple[int, ...], **flags: object) -> np.ndarray:
    o = np.empty(shape)
    if flags.get("readonly"):
        o.flags.writeable = False
    return o


_ALIAS = np.ones((3, 2, 2))


def _emax() -> object:
    return sf.model("emax")


TH = {"e0": 0.0, "emax": 1.0, "ed50": 25.0}


def design(**kw: object) -> Callable[[], object]:
    base: dict[str, object] = {"theta": TH, "space": (0, 150)}
    base.update(kw)
    return lambda: sf.optimal_design(_emax(), **base)


def _npz_object(tmp: Path) -> str:
    path = tmp / "obj.npz"
    np.savez(path, a=np.array([[1.0, 2.0]], dtype=object), g=np.ones((1, 2)))
    return str(path)


def _tmp() -> Path:
    import tempfile

    return Path(tempfile.mkdtemp(prefix="hostile-"))


RNG = np.random.default_rng(0)
ACTS, GRADS = RNG.normal(size=(6, 3)), RNG.normal(size=(6, 2))

CASES: list[Case] = [
    # ---- parser: code injection and syntax outside the whitelist
    Case(
        "p-import",
        "parser",
        "`__import__('os').system('true')`",
        parse("__import__('os').system('true')"),
        E.ParseError,
        "dunder",
    ),
    Case("p-attr", "parser", "`x.__class__`", parse("x.__class__"), E.ParseError, "attribute"),
    Case("p-attr2", "parser", "`x.real`", parse("x.real"), E.ParseError, "attribute"),
    Case("p-S", "parser", "`S.Half`", parse("S.Half"), E.ParseError, "attribute"),
    Case("p-subscript", "parser", "`x[0]`", parse("x[0]"), E.ParseError, "subscript"),
    Case("p-lambda", "parser", "`lambda: 1`", parse("lambda: 1"), E.ParseError, "syntax"),
    Case("p-comprehension", "parser", "`[i for i in x]`", parse("[i for i in x]"), E.ParseError, "syntax"),
    Case("p-string", "parser", "a string literal", parse('"abc"'), E.ParseError, "string"),
    Case("p-bytes", "parser", "a bytes literal", parse('b"x"'), E.ParseError, "bytes"),
    Case("p-fstring", "parser", "an f-string", parse('f"{x}"'), E.ParseError, "f-string"),
    Case("p-kwargs", "parser", "`f(x=1)`", parse("f(x=1)"), E.ParseError, "keyword"),
    Case("p-unknown-fn", "parser", "`foo(x)`", parse("foo(x)"), E.ParseError, "unknown function"),
    Case("p-eval", "parser", "`eval('1')`", parse("eval('1')"), E.ParseError, "unknown function"),
    Case("p-open", "parser", "`open(passwd)`", parse("open(passwd)"), E.ParseError, "unknown function"),
    Case("p-getattr", "parser", "`getattr(x, y)`", parse("getattr(x, y)"), E.ParseError, "unknown function"),
    Case("p-private", "parser", "`_private`", parse("_private"), E.ParseError, "private"),
    Case("p-conditional", "parser", "`x if y else z`", parse("x if y else z"), E.ParseError, "syntax"),
    Case("p-import-stmt", "parser", "`import os`", parse("import os"), E.ParseError, "syntax"),
    Case("p-assign", "parser", "`x = 1`", parse("x = 1"), E.ParseError, "syntax"),
    Case("p-two-stmts", "parser", "`x; y`", parse("x; y"), E.ParseError, "syntax"),
    Case("p-walrus", "parser", "`(x := 1)`", parse("(x := 1)"), E.ParseError, "assignment"),
    Case("p-dict", "parser", "`{1: 2}`", parse("{1: 2}"), E.ParseError, "dict"),
    Case("p-set", "parser", "`{1, 2}`", parse("{1, 2}"), E.ParseError, "set"),
    Case("p-list", "parser", "`[1, 2]`", parse("[1, 2]"), E.ParseError, "list"),
    Case("p-star", "parser", "`*x`", parse("*x"), E.ParseError, "syntax"),
    Case("p-empty", "parser", "empty string", parse(""), E.ParseError, "empty"),
    Case("p-blank", "parser", "blanks only", parse("   "), E.ParseError, "empty"),
    Case("p-nul", "parser", "a NUL byte", parse("x\x00"), E.ParseError, "character"),
    Case("p-xor", "parser", "`a ^ b` (not a power)", parse("a ^ b"), E.ParseError, "**"),
    Case("p-matmul", "parser", "`x @ y`", parse("x @ y"), E.ParseError, "MatMult"),
    Case("p-floordiv", "parser", "`x // y`", parse("x // y"), E.ParseError, "FloorDiv"),
    Case("p-mod", "parser", "`x % y`", parse("x % y"), E.ParseError, "Mod"),
    Case("p-shift", "parser", "`x << 2`", parse("x << 2"), E.ParseError, "LShift"),
    Case("p-not", "parser", "`not x`", parse("not x"), E.ParseError, "syntax"),
    Case("p-and", "parser", "`x and y`", parse("x and y"), E.ParseError, "syntax"),
    Case("p-ellipsis", "parser", "`...`", parse("..."), E.ParseError, "Ellipsis"),
    Case("p-none", "parser", "`None`", parse("None"), E.ParseError, "None"),
    Case("p-symbol", "parser", "`Symbol('x')`", parse("Symbol(x)"), E.ParseError, "reserved"),
    Case("p-I", "parser", "`I`", parse("I"), E.ParseError, "imaginary"),
    Case("p-nan", "parser", "`nan`", parse("nan"), E.ParseError, "reserved"),
    Case("p-zoo", "parser", "`zoo`", parse("zoo"), E.ParseError, "reserved"),
    Case("p-ragged", "parser", "`Matrix([[1, 2], [3]])`", parse("Matrix([[1, 2], [3]])"), E.ParseError, "lengths"),
    # ---- parser: undefined values (issue 12 §1)
    Case("p-0/0", "parser", "`0/0`", parse("0/0"), E.ParseError, "0/0"),
    Case("p-1/0", "parser", "`x + 1/0`", parse("x + 1/0"), E.ParseError, "'1/0'"),
    Case("p-x/0", "parser", "`x/0`", parse("x/0"), E.ParseError, "division by zero"),
    Case("p-log0", "parser", "`log(0)*x`", parse("log(0)*x"), E.ParseError, "'log(0)'"),
    Case("p-oo-oo", "parser", "`oo - oo`", parse("oo - oo"), E.ParseError, "NaN"),
    Case("p-0oo", "parser", "`0*oo`", parse("0*oo"), E.ParseError, "NaN"),
    Case("p-oo/oo", "parser", "`oo/oo`", parse("oo/oo"), E.ParseError, "NaN"),
    Case("p-gamma-pole", "parser", "`gamma(-1)`", parse("gamma(-1)"), E.ParseError, "pole"),
    Case("p-factorial-neg", "parser", "`factorial(-1)`", parse("factorial(-1)"), E.ParseError, "pole"),
    Case("p-rational0", "parser", "`Rational(1, 0)`", parse("Rational(1, 0)"), E.ParseError, "infinity"),
    Case("p-pow-1/0", "parser", "`x**(1/0)`", parse("x**(1/0)"), E.ParseError, "'1/0'"),
    Case("p-sqrt-neg", "parser", "`sqrt(-1)`", parse("sqrt(-1)"), E.ParseError, "imaginary"),
    Case("p-cbrt-neg", "parser", "`(-8)**(1/3)*x`", parse("(-8)**(1/3)*x"), E.ParseError, "real_root"),
    Case("p-bool-arith", "parser", "`True + x`", parse("True + x"), E.ParseError, "truth value"),
    # ---- parser: resource limits (issue 12 §3)
    Case("p-999", "parser", "`9**9**9`", parse("9**9**9"), E.ParseError, "too costly"),
    Case("p-sqrt3-pow", "parser", "`sqrt(3)**(10**8)`", parse("sqrt(3)**(10**8)"), E.ParseError, "too costly"),
    Case("p-exp-log", "parser", "`exp(10**9*log(3))`", parse("exp(10**9*log(3))"), E.ParseError, "too costly"),
    Case("p-E-log", "parser", "`E**(10**9*log(2))`", parse("E**(10**9*log(2))"), E.ParseError, "too costly"),
    Case("p-sqrt2-pow", "parser", "`sqrt(2)**(10**7)`", parse("sqrt(2)**(10**7)"), E.ParseError, "too costly"),
    Case("p-2pow", "parser", "`2**100000`", parse("2**100000"), E.ParseError, "digits"),
    Case("p-2negpow", "parser", "`2**-100000`", parse("2**-100000"), E.ParseError, "digits"),
    Case("p-halfpow", "parser", "`(1/2)**100000`", parse("(1/2)**100000"), E.ParseError, "digits"),
    Case("p-10pow", "parser", "`10**5000`", parse("10**5000"), E.ParseError, "digits"),
    Case("p-fact-pow", "parser", "`factorial(1000)**20`", parse("factorial(1000)**20"), E.ParseError, "too costly"),
    Case("p-sin-big", "parser", "`sin(10**100000)`", parse("sin(10**100000)"), E.ParseError, "too costly"),
    Case("p-hex", "parser", "a 6000-digit hex literal", parse("0x" + "f" * 6000), E.ParseError, "literal"),
    Case("p-bin", "parser", "a 20000-digit binary literal", parse("0b" + "1" * 20000), E.ParseError, "literal"),
    Case("p-dec", "parser", "a 5000-digit decimal literal", parse("1" * 5000), E.ParseError, "digits"),
    Case("p-factorial", "parser", "`factorial(10**6)`", parse("factorial(10**6)"), E.ParseError, "too large"),
    Case("p-binomial", "parser", "`binomial(10**6, 3)`", parse("binomial(10**6, 3)"), E.ParseError, "too large"),
    Case("p-zeta", "parser", "`zeta(10**6)`", parse("zeta(10**6)"), E.ParseError, "too large"),
    Case(
        "p-polygamma", "parser", "`polygamma(1000, 1000)`", parse("polygamma(1000, 1000)"), E.ParseError, "too costly"
    ),
    Case(
        "p-lowergamma",
        "parser",
        "`lowergamma(1000, 1000)`",
        parse("lowergamma(1000, 1000)"),
        E.ParseError,
        "too costly",
    ),
    Case(
        "p-max",
        "parser",
        "`Max` of 13 arguments",
        parse("Max(" + ",".join(f"x{i}" for i in range(13)) + ")"),
        E.ParseError,
        "Max",
    ),
    Case("p-long", "parser", "200 000 characters", parse("x" * 200_000), E.ParseError, "too long"),
    Case("p-long-sum", "parser", "a sum of 60 001 terms", parse("x" + "+x" * 60000), E.ParseError, "too long"),
    Case("p-parens", "parser", "320 nested parentheses", parse("(" * 320 + "x" + ")" * 320), E.ParseError, "nested"),
    Case("p-exp-nest", "parser", "150 nested `exp(`", parse("exp(" * 150 + "x" + ")" * 150), E.ParseError, "nested"),
    Case("p-unary", "parser", "5000 unary minus signs", parse("-" * 5000 + "1"), E.ParseError, "nested"),
    # ---- families
    Case(
        "f-dup-name",
        "family",
        "`xm` positive in the density, plain `xm` in the support",
        lambda: sf.Family.from_pdf(
            A * sp.Symbol("xm", positive=True) ** A / X ** (A + 1), X, [A], sp.Interval(sp.Symbol("xm"), sp.oo)
        ),
        E.UnknownNameError,
        "'xm'",
    ),
    Case(
        "f-range-real",
        "family",
        "a continuous density on `Range(-oo, oo)`",
        lambda: sf.Family.from_pdf(sp.exp(-((X - MU) ** 2) / 2) / sp.sqrt(2 * sp.pi), X, [MU], sp.Range(-sp.oo, sp.oo)),
        E.SymfisherError,
        "Interval",
    ),
    Case(
        "f-binomial-neg",
        "family",
        "`binomial` with n = -3",
        lambda: sf.family("binomial", n=-3),
        E.SymfisherError,
        "empty",
    ),
    Case(
        "f-binomial-huge",
        "family",
        "`binomial` with n = 10**6",
        lambda: sf.family("binomial", n=10**6),
        E.SymfisherError,
        "1000001 points",
    ),
    Case(
        "f-reparam-same",
        "family",
        "reparametrize with a same-name symbol of other assumptions",
        lambda: sf.family("exponential").reparametrize({sp.Symbol("lambda"): 1 / B}, [B]),
        E.UnknownNameError,
        "assumptions",
    ),
    Case(
        "f-reparam-typo",
        "family",
        "reparametrize naming an unknown parameter",
        lambda: sf.family("exponential").reparametrize(
            {sf.family("exponential").params[0]: 1 / B, sp.Symbol("typo"): 2}, [B]
        ),
        E.UnknownNameError,
        "'typo'",
    ),
    Case(
        "f-unknown", "family", "`family('gaussiann')`", lambda: sf.family("gaussiann"), E.UnknownFamilyError, "gaussian"
    ),
    Case(
        "f-param-absent",
        "family",
        "a parameter absent from the density",
        lambda: sf.Family(-(X**2) / 2, X, [MU], REALS),
        E.SymfisherError,
        "does not appear",
    ),
    Case(
        "f-var-param",
        "family",
        "a symbol both variable and parameter",
        lambda: sf.Family(-(X**2) / 2, X, [X], REALS),
        E.SymfisherError,
        "both",
    ),
    Case(
        "f-int-interval",
        "family",
        "an integer variable on an Interval",
        lambda: sf.Family(-MU * sp.Symbol("k", integer=True), sp.Symbol("k", integer=True), [MU], sp.Interval(0, 1)),
        E.SymfisherError,
        "Range",
    ),
    Case(
        "f-support-count",
        "family",
        "two variables, one support set",
        lambda: sf.Family(-(X**2) / 2 - MU * sp.Symbol("y"), [X, sp.Symbol("y")], [MU], REALS),
        E.SymfisherError,
        "support",
    ),
    Case(
        "f-unnormalised",
        "family",
        "Fisher of an unnormalised density",
        lambda: sf.fisher(sf.Family(-((X - MU) ** 2) / 2, X, [MU], REALS)),
        E.SymfisherError,
        "normalis",
    ),
    Case(
        "f-uniform",
        "family",
        "Fisher of Uniform(0, θ)",
        lambda: sf.fisher(sf.family("uniform")),
        E.NonRegularFamilyError,
        "support",
    ),
    Case(
        "f-cramer-singular",
        "derive",
        "`cramer_rao` of N(a + b, 1)",
        lambda: sf.cramer_rao(
            _normal(
                sp.Symbol("a", real=True) + sp.Symbol("b", real=True),
                [sp.Symbol("a", real=True), sp.Symbol("b", real=True)],
            )
        ),
        E.NotIdentifiableError,
        "-da + db",
    ),
    Case(
        "f-christoffel-singular",
        "derive",
        "`christoffel` of N(a + b, 1)",
        lambda: sf.christoffel(
            _normal(
                sp.Symbol("a", real=True) + sp.Symbol("b", real=True),
                [sp.Symbol("a", real=True), sp.Symbol("b", real=True)],
            )
        ),
        E.NotIdentifiableError,
        "identif",
    ),
    Case(
        "f-cramer-stray",
        "derive",
        "`cramer_rao` of g using a foreign symbol",
        lambda: sf.cramer_rao(sf.family("exponential"), sp.Symbol("zz")),
        E.SymfisherError,
        "zz",
    ),
    Case(
        "f-softmax-400",
        "derive",
        "`output_curvature('categorical_400')`",
        lambda: sf.kfac.output_curvature("categorical_400"),
        E.OptionError,
        "numeric likelihood",
    ),
    # ---- code generation
    Case(
        "c-functions-injection",
        "codegen",
        "`functions={'exp': 'os.system; x'}`",
        lambda: sf.compile(sp.exp(A), [A], functions={"exp": "os.system; x"}),
        E.CodegenError,
        "qualified",
    ),
    Case(
        "c-functions-key",
        "codegen",
        "`functions={'not a name': 'm.f'}`",
        lambda: sf.compile(A, [A], functions={"not a name": "m.f"}),
        E.CodegenError,
        "key",
    ),
    Case(
        "c-functions-keyword",
        "codegen",
        "`functions={'exp': 'import.f'}`",
        lambda: sf.compile(sp.exp(A), [A], functions={"exp": "import.f"}),
        E.CodegenError,
        "qualified",
    ),
    Case(
        "c-free-symbol", "codegen", "a free symbol not in args", lambda: sf.compile(A + B, [A]), E.CodegenError, "['b']"
    ),
    Case(
        "c-no-impl",
        "codegen",
        "a function without a kernel implementation",
        lambda: sf.compile(sp.Function("foo")(A), [A]),
        E.CodegenError,
        "'foo'",
    ),
    Case("c-complex", "codegen", "a complex constant", lambda: sf.compile(A * sp.I, [A]), E.CodegenError, "complex"),
    # ---- kernel calls
    Case("k-nargs", "kernel", "one argument instead of two", call_kernel(np.ones(3)), ArgumentCountError, "takes 2"),
    Case("k-complex", "kernel", "complex array", call_kernel(np.ones(3) + 1j, np.ones(3)), ArrayError, "complex"),
    Case(
        "k-strings", "kernel", "array of strings", call_kernel(np.array(["a", "b"]), np.ones(2)), ArrayError, "string"
    ),
    Case(
        "k-object",
        "kernel",
        "object array of strings",
        call_kernel(np.array(["a", None], dtype=object), 1.0),
        ArrayError,
        "object",
    ),
    Case(
        "k-datetime",
        "kernel",
        "datetime64 array",
        call_kernel(np.array(["2020-01-01"], dtype="datetime64[D]"), 1.0),
        ArrayError,
        "datetime",
    ),
    Case(
        "k-nan", "kernel", "NaN in a positive argument", call_kernel(np.array([1.0, np.nan]), 1.0), E.DomainError, "'a'"
    ),
    Case(
        "k-neg",
        "kernel",
        "negative value for a positive argument",
        call_kernel(np.array([1.0, -1.0]), 1.0),
        E.DomainError,
        "outside",
    ),
    Case(
        "k-inf", "kernel", "+inf for a positive argument", call_kernel(np.array([np.inf]), 1.0), E.DomainError, "domain"
    ),
    Case(
        "k-broadcast", "kernel", "shapes (3,) and (4,)", call_kernel(np.ones(3), np.ones(4)), E.ShapeError, "broadcast"
    ),
    Case(
        "k-out-shape",
        "kernel",
        "`out=` of the wrong shape",
        call_kernel(np.ones(3), 1.0, out=_out((3, 2))),
        E.ShapeError,
        "shape",
    ),
    Case(
        "k-out-dtype",
        "kernel",
        "`out=` float32",
        call_kernel(np.ones(3), 1.0, out=np.empty((3, 2, 2), np.float32)),
        ArrayError,
        "float64",
    ),
    Case("k-out-list", "kernel", "`out=` a list", call_kernel(np.ones(3), 1.0, out=[[0.0]]), ArrayError, "float64"),
    Case(
        "k-out-readonly",
        "kernel",
        "read-only `out=`",
        call_kernel(np.ones(3), 1.0, out=_out((3, 2, 2), readonly=True)),
        ArrayError,
        "read-only",
    ),
    Case(
        "k-out-strided",
        "kernel",
        "non-contiguous `out=`",
        call_kernel(np.ones(3), 1.0, out=np.empty((3, 2, 4))[:, :, ::2]),
        ArrayError,
        "contiguous",
    ),
    Case(
        "k-out-alias",
        "kernel",
        "`out=` sharing memory with an input",
        lambda: kernel()(_ALIAS[:, 0, 0].copy(), _ALIAS.reshape(-1)[:3], out=_ALIAS),
        ArrayError,
        "shares memory",
    ),  # type: ignore[operator]
    Case(
        "k-huge",
        "kernel",
        "a broadcast of 1e10 points",
        call_kernel(np.broadcast_to(1.0, (10**10,)), 1.0),
        ArrayError,
        "GB",
    ),
    # ---- design
    Case(
        "d-theta-typo",
        "design",
        "theta with an extra key `typo`",
        design(theta={**TH, "typo": 3}),
        E.DomainError,
        "typo",
    ),
    Case(
        "d-theta-missing", "design", "theta without `ed50`", design(theta={"e0": 0, "emax": 1}), E.DomainError, "ed50"
    ),
    Case("d-theta-nan", "design", "theta with NaN", design(theta={**TH, "ed50": float("nan")}), E.DomainError, "ed50"),
    Case("d-theta-domain", "design", "theta with ed50 = -1", design(theta={**TH, "ed50": -1.0}), E.DomainError, "ed50"),
    Case(
        "d-theta-string",
        "design",
        "theta with a string value",
        design(theta={**TH, "ed50": "abc"}),
        E.DomainError,
        "ed50",
    ),
    Case("d-space-reversed", "design", "space (150, 0)", design(space=(150, 0)), E.InputError, "lo < hi"),
    Case("d-space-inf", "design", "space (0, inf)", design(space=(0, float("inf"))), E.InputError, "finite"),
    Case("d-criterion", "design", "criterion 'Z'", design(criterion="Z"), E.SymfisherError, "criterion"),
    Case("d-c-missing", "design", "criterion 'c' without c=", design(criterion="c"), E.SymfisherError, "c="),
    Case(
        "d-ds-missing",
        "design",
        "criterion 'Ds' without interest=",
        design(criterion="Ds"),
        E.SymfisherError,
        "interest",
    ),
    Case("d-no-space", "design", "neither space nor candidates", design(space=None), E.SymfisherError, "space"),
    Case(
        "d-eff-outside",
        "design",
        "efficiency of a dose 200 against a design on [0, 150]",
        lambda: sf.efficiency(sf.Design([0, 75, 200]), sf.Design([0, 18.75, 150]), model=_emax(), theta=TH),
        E.DomainError,
        "space=",
    ),
    Case(
        "d-eff-outside-result",
        "design",
        "efficiency of a dose 200 against a DesignResult on [0, 150]",
        lambda: sf.efficiency(sf.Design([0, 75, 200]), design()()),
        E.InputError,
        "outside",
    ),
    Case(
        "d-weights-sum",
        "design",
        "Design weights summing to 0.9",
        lambda: sf.Design([0, 1], [0.4, 0.5]),
        E.InputError,
        "sum",
    ),
    Case(
        "d-weights-neg",
        "design",
        "negative Design weight",
        lambda: sf.Design([0, 1], [1.5, -0.5]),
        E.InputError,
        ">= 0",
    ),
    Case(
        "d-points-nan", "design", "NaN design point", lambda: sf.Design([0, float("nan")]), E.InputError, "non-finite"
    ),
    # ---- verification
    Case("v-points0", "verify", "`verify(points=0)`", lambda: sf.verify("poisson", points=0), E.DomainError, "points"),
    Case(
        "v-points-neg",
        "verify",
        "`verify(points=-1)`",
        lambda: sf.verify("poisson", points=-1),
        E.DomainError,
        "points",
    ),
    Case(
        "v-points-float",
        "verify",
        "`verify(points=2.5)`",
        lambda: sf.verify("poisson", points=2.5),
        E.DomainError,
        "integer",
    ),
    Case("v-dps0", "verify", "`verify(dps=0)`", lambda: sf.verify("poisson", dps=0), E.DomainError, "dps"),
    Case("v-dps5", "verify", "`verify(dps=5)`", lambda: sf.verify("poisson", dps=5), E.DomainError, "dps"),
    Case("v-budget", "verify", "`verify(budget=0)`", lambda: sf.verify("poisson", budget=0), E.DomainError, "budget"),
    # ---- K-FAC
    Case(
        "q-complex",
        "kfac",
        "complex activations to `kron_error`",
        lambda: sf.kfac.kron_error(ACTS + 1j, GRADS),
        E.DomainError,
        "complex",
    ),
    Case(
        "q-object",
        "kfac",
        "object activations (strings)",
        lambda: sf.kfac.kron_error(np.full((6, 3), "a", dtype=object), GRADS),
        E.DomainError,
        "object",
    ),
    Case(
        "q-nan",
        "kfac",
        "NaN activations",
        lambda: sf.kfac.kron_error(np.full((6, 3), np.nan), GRADS),
        E.DomainError,
        "NaN",
    ),
    Case(
        "q-rows",
        "kfac",
        "6 activation rows, 5 gradient rows",
        lambda: sf.kfac.kron_error(ACTS, GRADS[:5]),
        E.ShapeError,
        "rows",
    ),
    Case("q-empty", "kfac", "zero rows", lambda: sf.kfac.kron_error(ACTS[:0], GRADS[:0]), E.ShapeError, "no rows"),
    Case(
        "q-ndim", "kfac", "3-d activations", lambda: sf.kfac.kron_error(ACTS[None], GRADS), E.ShapeError, "dimensions"
    ),
    # ---- command line (exit code 2, one line, no traceback)
    Case(
        "cli-theta-typo",
        "cli",
        "`design emax --theta ...,typo=3`",
        lambda: _cli("design", "emax", "--space", "0:150", "--theta", "e0=0,emax=1,ed50=25,typo=3"),
        CliRejected,
        "typo",
    ),
    Case(
        "cli-theta-malformed",
        "cli",
        "`design emax --theta e0`",
        lambda: _cli("design", "emax", "--space", "0:150", "--theta", "e0"),
        CliRejected,
        "NAME=NUMBER",
    ),
    Case(
        "cli-theta-twice",
        "cli",
        "`design emax --theta e0=0,e0=1,...`",
        lambda: _cli("design", "emax", "--space", "0:150", "--theta", "e0=0,e0=1,emax=1,ed50=25"),
        CliRejected,
        "twice",
    ),
    Case(
        "cli-verify-points",
        "cli",
        "`verify poisson --points 0`",
        lambda: _cli("verify", "poisson", "--points", "0"),
        CliRejected,
        "points",
    ),
    Case(
        "cli-verify-dps",
        "cli",
        "`verify poisson --dps 0`",
        lambda: _cli("verify", "poisson", "--dps", "0"),
        CliRejected,
        "dps",
    ),
    Case(
        "cli-kfac-missing",
        "cli",
        "`kfac-error /nonexistent.npz`",
        lambda: _cli("kfac-error", "/nonexistent/x.npz"),
        CliRejected,
        "cannot read",
    ),
    Case(
        "cli-kfac-object",
        "cli",
        "`kfac-error` of an .npz with object arrays",
        lambda: _cli("kfac-error", _npz_object(_tmp())),
        CliRejected,
        "object arrays are refused",
    ),
    Case(
        "cli-derive-injection",
        "cli",
        "`derive --logpdf \"__import__('os')\"`",
        lambda: _cli(
            "derive", "--logpdf", "__import__('os')", "--var", "x", "--param", "mu:real", "--support", "(-oo, oo)"
        ),
        CliRejected,
        "dunder",
    ),
    Case(
        "cli-derive-0/0",
        "cli",
        '`derive --logpdf "0/0*x"`',
        lambda: _cli(
            "derive", "--logpdf", "-(x-mu)**2/2 + 0/0", "--var", "x", "--param", "mu:real", "--support", "(-oo, oo)"
        ),
        CliRejected,
        "0/0",
    ),
    Case(
        "cli-unknown-family", "cli", "`derive gaussiann`", lambda: _cli("derive", "gaussiann"), CliRejected, "gaussian"
    ),
]


def markdown_table() -> str:
    """The table as it appears in docs/reliability.md."""
    lines = ["| # | area | hostile input | error class | message contains |", "|---:|---|---|---|---|"]
    for i, c in enumerate(CASES, 1):
        what = c.what.replace("|", "\\|")
        name = "exit code 2 (one line on stderr)" if c.error is CliRejected else f"`{c.error.__name__}`"
        lines.append(f"| {i} | {c.area} | {what} | {name} | `{c.word.replace('|', '/')}` |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
