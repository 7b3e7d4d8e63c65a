"""Expectations by Mellin transforms of standard kernels.

A *Mellin kernel* is a density on a positive domain together with a short list of
positive *base functions* ``B_0(y), ..., B_{K-1}(y)`` (``B_0 = y`` always) whose joint
Mellin transform is known in closed form::

    M(s_0, ..., s_{K-1}) = E[ B_0^{s_0} ... B_{K-1}^{s_{K-1}} ].

Then every statistic of the form ``c · Π B_j^{e_j} · Π (log B_j)^{m_j}`` has the
expectation ``c · ∂^{m} M / ∂s^{m}`` at ``s = e`` — digamma/trigamma for logarithms,
Gamma ratios for powers. Weibull, gamma, inverse gamma, Rayleigh, half-normal, beta,
Pareto, Student-t, Cauchy, logistic and Gumbel all reduce to one of these kernels
(see :mod:`symfisher.derive.expectation.reduce`).

Kernels (``y`` is the standard variable, ``c`` a constant):

* ``GG``  generalised gamma on (0, ∞): ``c + (a−1) log y − b y^k``;
  ``M(s) = b^{−s/k} Γ((a+s)/k) / Γ(a/k)``.
* ``GIG`` generalised inverse Gaussian on (0, ∞): ``c + (p−1) log y − α y − β/y``;
  ``M(s) = (β/α)^{s/2} K_{p+s}(2√(αβ)) / K_p(2√(αβ))`` (no logarithms).
* ``BETA`` on (0, 1): ``c + (a−1) log y + (b−1) log(1−y)``; bases ``y, 1−y``.
* ``GBP`` generalised beta prime on (0, ∞): ``c + (a−1) log y − r log(1 + b y^k)``;
  bases ``y, 1 + b y^k``.
* ``DIRICHLET`` on the simplex: bases ``x_1, ..., x_n, 1 − Σ x_i``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import mul

import sympy as sp

from symfisher.errors import DerivationError

__all__ = ["MellinKernel", "mellin_expectation", "half_integer_besselk"]


@dataclass(frozen=True)
class MellinKernel:
    """A density with a closed-form joint Mellin transform of its base functions.

    Parameters
    ----------
    name : str
        Kernel name (``"GG"``, ``"BETA"``, ``"GBP"``, ``"GIG"``, ``"DIRICHLET"``).
    variables : tuple of Symbol
        The standard variable(s) (positive Dummies).
    bases : tuple of Expr
        The K base functions ``B_j`` of the variables (all positive on the support).
    mellin : callable
        ``mellin(s)`` with ``s`` a tuple of K expressions returns ``E[Π B_j^{s_j}]``.
    allows_logs : bool
        False when derivatives of ``mellin`` in ``s`` are not wanted (Bessel orders).
    """

    name: str
    variables: tuple[sp.Symbol, ...]
    bases: tuple[sp.Expr, ...]
    mellin: Callable[[tuple[sp.Expr, ...]], sp.Expr]
    allows_logs: bool = True


# ----------------------------------------------------------------- the kernels
def gg_kernel(y: sp.Symbol, a: sp.Expr, b: sp.Expr, k: sp.Expr) -> MellinKernel:
    """Generalised gamma ``y^(a−1) exp(−b y^k)`` on (0, ∞) (``a/k > 0``, ``b > 0``)."""

    def mellin(s: tuple[sp.Expr, ...]) -> sp.Expr:
        return b ** (-s[0] / k) * sp.gamma((a + s[0]) / k) / sp.gamma(a / k)

    return MellinKernel("GG", (y,), (y,), mellin)


def gig_kernel(y: sp.Symbol, p: sp.Expr, alpha: sp.Expr, beta: sp.Expr) -> MellinKernel:
    """Generalised inverse Gaussian ``y^(p−1) exp(−α y − β / y)`` on (0, ∞)."""
    w = 2 * sp.sqrt(alpha * beta)

    def mellin(s: tuple[sp.Expr, ...]) -> sp.Expr:
        num = half_integer_besselk(p + s[0], w)
        den = half_integer_besselk(p, w)
        return (beta / alpha) ** (s[0] / 2) * num / den

    return MellinKernel("GIG", (y,), (y,), mellin, allows_logs=False)


def beta_kernel(y: sp.Symbol, a: sp.Expr, b: sp.Expr) -> MellinKernel:
    """Beta ``y^(a−1) (1−y)^(b−1)`` on (0, 1); bases ``y, 1 − y``."""

    def mellin(s: tuple[sp.Expr, ...]) -> sp.Expr:
        return (
            sp.gamma(a + s[0])
            * sp.gamma(b + s[1])
            * sp.gamma(a + b)
            / (sp.gamma(a) * sp.gamma(b) * sp.gamma(a + b + s[0] + s[1]))
        )

    return MellinKernel("BETA", (y,), (y, 1 - y), mellin)


def gbp_kernel(y: sp.Symbol, a: sp.Expr, r: sp.Expr, b: sp.Expr, k: sp.Expr) -> MellinKernel:
    """Generalised beta prime ``y^(a−1) (1 + b y^k)^(−r)`` on (0, ∞); bases ``y, 1 + b y^k``."""

    def beta_fn(u: sp.Expr, v: sp.Expr) -> sp.Expr:
        return sp.gamma(u) * sp.gamma(v) / sp.gamma(u + v)

    def mellin(s: tuple[sp.Expr, ...]) -> sp.Expr:
        u = (a + s[0]) / k
        num = beta_fn(u, r - s[1] - u)
        return b ** (-s[0] / k) * num / beta_fn(a / k, r - a / k)

    return MellinKernel("GBP", (y,), (y, 1 + b * y**k), mellin)


def dirichlet_kernel(xs: Sequence[sp.Symbol], alphas: Sequence[sp.Expr]) -> MellinKernel:
    """Dirichlet on the corner simplex; bases ``x_1..x_n, 1 − Σ x``; ``len(alphas) = n + 1``."""
    total = sp.Add(*alphas)

    def mellin(s: tuple[sp.Expr, ...]) -> sp.Expr:
        num = reduce(mul, (sp.gamma(al + si) / sp.gamma(al) for al, si in zip(alphas, s)), sp.S.One)
        return num * sp.gamma(total) / sp.gamma(total + sp.Add(*s))

    return MellinKernel("DIRICHLET", tuple(xs), (*xs, 1 - sp.Add(*xs)), mellin)


def half_integer_besselk(nu: sp.Expr, z: sp.Expr) -> sp.Expr:
    """``K_ν(z)`` written with elementary functions when ν is a half-integer.

    ``K_{n+1/2}(z) = √(π/(2z)) e^{−z} Σ_{j=0}^{n} (n+j)! / (j! (n−j)! (2z)^j)`` and
    ``K_{−ν} = K_ν``; other orders stay as ``besselk``.

    Examples
    --------
    >>> z = sp.Symbol("z", positive=True)
    >>> half_integer_besselk(sp.Rational(1, 2), z)
    sqrt(2)*sqrt(pi)*exp(-z)/(2*sqrt(z))
    """
    nu = sp.nsimplify(nu) if nu.is_Number else nu
    twice = 2 * nu
    if not (twice.is_integer and twice.is_odd):
        return sp.besselk(nu, z)
    n = int(abs(nu) - sp.Rational(1, 2))
    terms = sum(sp.factorial(n + j) / (sp.factorial(j) * sp.factorial(n - j) * (2 * z) ** j) for j in range(n + 1))
    return sp.sqrt(sp.pi / (2 * z)) * sp.exp(-z) * terms


# ----------------------------------------------------------- decomposition
@dataclass(frozen=True)
class _Marks:
    """Placeholder symbols: ``P_j`` stands for ``B_j``, ``L_j`` for ``log B_j``."""

    P: tuple[sp.Symbol, ...]
    L: tuple[sp.Symbol, ...]


def _match_base(factor: sp.Expr, kernel: MellinKernel) -> tuple[int, sp.Expr] | None:
    """``factor = const · B_j``: return ``(j, const)`` or None."""
    for j, base in enumerate(kernel.bases):
        ratio = sp.cancel(factor / base)
        if not ratio.free_symbols & set(kernel.variables):
            return j, ratio
    return None


def _split_product(arg: sp.Expr, kernel: MellinKernel) -> list[tuple[int | None, sp.Expr, sp.Expr]]:
    """Factor ``arg`` into ``Π (c_i B_{j_i})^{k_i}``: list of (j or None for const, c, k)."""
    vs = set(kernel.variables)
    out: list[tuple[int | None, sp.Expr, sp.Expr]] = []
    for fac, power in sp.factor(arg).as_powers_dict().items():
        if not fac.free_symbols & vs:
            out.append((None, fac, power))
            continue
        hit = _match_base(fac, kernel)
        if hit is None:
            raise DerivationError(f"factor {fac} is not a power of a base {kernel.bases} of the {kernel.name} kernel")
        out.append((hit[0], hit[1], power))
    return out


def _rewrite(expr: sp.Expr, kernel: MellinKernel, marks: _Marks) -> sp.Expr:
    """Replace every base by its placeholder, every log of a base by its log placeholder."""
    vs = set(kernel.variables)
    if not expr.free_symbols & vs:
        return expr
    if expr in kernel.variables:
        return marks.P[kernel.variables.index(expr)]
    if isinstance(expr, sp.log):
        parts = _split_product(expr.args[0], kernel)
        return sp.Add(*(k * (sp.log(c) + (marks.L[j] if j is not None else 0)) for j, c, k in parts))
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer and expr.base.has(sp.log):
        return _rewrite(expr.base, kernel, marks) ** expr.exp
    if isinstance(expr, sp.Pow) and not expr.exp.free_symbols & vs:
        parts = _split_product(expr.base, kernel)
        return sp.Mul(*((c * (marks.P[j] if j is not None else 1)) ** (k * expr.exp) for j, c, k in parts))
    if isinstance(expr, (sp.Add, sp.Mul)):
        return expr.func(*(_rewrite(a, kernel, marks) for a in expr.args))
    raise DerivationError(f"subexpression {expr} is not a power or logarithm of the {kernel.name} kernel's bases")


def _monomials(expr: sp.Expr, marks: _Marks) -> dict[tuple[tuple[sp.Expr, ...], tuple[int, ...]], sp.Expr]:
    """Group the expanded expression by (powers of P, powers of L)."""
    out: dict[tuple[tuple[sp.Expr, ...], tuple[int, ...]], sp.Expr] = {}
    for term in sp.Add.make_args(sp.expand(expr)):
        powers = term.as_powers_dict()
        exps = tuple(powers.get(p, sp.S.Zero) for p in marks.P)
        logs = tuple(int(powers.get(lg, 0)) for lg in marks.L)
        coef = term / sp.Mul(*(p**e for p, e in zip(marks.P, exps))) / sp.Mul(*(lg**m for lg, m in zip(marks.L, logs)))
        if coef.free_symbols & (set(marks.P) | set(marks.L)):
            raise DerivationError(f"term {term} is not a monomial in the kernel bases and their logarithms")
        key = (exps, logs)
        out[key] = out.get(key, sp.S.Zero) + coef
    return out


def mellin_expectation(expr: sp.Expr, kernel: MellinKernel) -> sp.Expr:
    """E[expr] under a Mellin kernel, by differentiating its Mellin transform.

    Parameters
    ----------
    expr : sympy.Expr
        A function of ``kernel.variables`` built from powers and logarithms of the
        kernel's bases (anything else raises :class:`DerivationError`).
    kernel : MellinKernel

    Returns
    -------
    sympy.Expr
        The expectation (not simplified).

    Examples
    --------
    >>> y = sp.Dummy("y", positive=True)
    >>> mellin_expectation(sp.log(y), gg_kernel(y, sp.S(1), sp.S(1), sp.S(1)))
    -EulerGamma
    """
    K = len(kernel.bases)
    marks = _Marks(
        tuple(sp.Dummy(f"P{j}", positive=True) for j in range(K)), tuple(sp.Dummy(f"L{j}") for j in range(K))
    )
    rewritten = _rewrite(sp.expand(expr), kernel, marks)
    s = tuple(sp.Dummy(f"s{j}") for j in range(K))
    base_m = kernel.mellin(s)
    total = sp.S.Zero
    for (exps, logs), coef in _monomials(rewritten, marks).items():
        if any(logs) and not kernel.allows_logs:
            raise DerivationError(f"logarithms are not supported under the {kernel.name} kernel")
        if not any(logs):
            total += coef * kernel.mellin(exps)
            continue
        value = base_m
        for sj, m in zip(s, logs):
            if m:
                value = sp.diff(value, sj, m)
        total += coef * value.subs(dict(zip(s, exps)))
    return total
