"""Catalog of univariate continuous families.

Each entry is a few declarative lines: log-density, data variable, parameters with
domains, support and a citation of the density *and* of its published Fisher
information (which the tests use as an oracle; the engine never sees it).

References
----------
Forbes, Evans, Hastings & Peacock (2011), *Statistical Distributions*, 4th ed., Wiley.
Johnson, Kotz & Balakrishnan (1994, 1995), *Continuous Univariate Distributions*,
vols. 1–2, 2nd ed., Wiley (JKB).
Lehmann & Casella (1998), *Theory of Point Estimation*, 2nd ed., Springer.
Mardia & Jupp (2000), *Directional Statistics*, Wiley.
"""

from __future__ import annotations

import sympy as sp

from symfisher.families.base import Family

__all__ = ["CONTINUOUS"]

_R = sp.Reals
_POS = sp.Interval.open(0, sp.oo)
_x = sp.Symbol("x", real=True)
log, pi, oo = sp.log, sp.pi, sp.oo


def _real(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def _pos(name: str) -> sp.Symbol:
    return sp.Symbol(name, positive=True)


def normal() -> Family:
    mu, s = _real("mu"), _pos("sigma")
    return Family(
        -((_x - mu) ** 2) / (2 * s**2) - log(s) - log(2 * pi) / 2,
        _x,
        [mu, s],
        _R,
        name="normal",
        parametrization="mean mu, standard deviation sigma",
        citation="Lehmann & Casella (1998), Table 2.6.1: I = diag(1/sigma^2, 2/sigma^2)",
    )


def normal_mean_variance() -> Family:
    mu, v = _real("mu"), _pos("sigma2")
    return Family(
        -((_x - mu) ** 2) / (2 * v) - log(v) / 2 - log(2 * pi) / 2,
        _x,
        [mu, v],
        _R,
        name="normal_mean_variance",
        parametrization="mean mu, variance sigma2",
        citation="Lehmann & Casella (1998), Example 2.6.3: I = diag(1/sigma2, 1/(2 sigma2^2))",
    )


def normal_natural() -> Family:
    e1, e2 = _real("eta1"), sp.Symbol("eta2", negative=True)
    logpdf = e1 * _x + e2 * _x**2 + e1**2 / (4 * e2) + log(-2 * e2) / 2 - log(2 * pi) / 2
    return Family(
        logpdf,
        _x,
        [e1, e2],
        _R,
        name="normal_natural",
        parametrization="natural parameters eta1 = mu/sigma^2, eta2 = -1/(2 sigma^2)",
        citation="Lehmann & Casella (1998), §1.5: I = Hessian of A(eta) = -eta1^2/(4 eta2) - log(-2 eta2)/2",
    )


def exponential() -> Family:
    lam = _pos("lambda")
    return Family(
        log(lam) - lam * _x,
        _x,
        [lam],
        sp.Interval(0, oo),
        name="exponential",
        parametrization="rate lambda",
        citation="Forbes et al. (2011), ch. 17: I = 1/lambda^2",
    )


def exponential_scale() -> Family:
    b = _pos("beta")
    return Family(
        -log(b) - _x / b,
        _x,
        [b],
        sp.Interval(0, oo),
        name="exponential_scale",
        parametrization="scale beta (mean)",
        citation="Forbes et al. (2011), ch. 17: I = 1/beta^2",
    )


def gamma() -> Family:
    a, b = _pos("alpha"), _pos("beta")
    logpdf = a * log(b) - sp.loggamma(a) + (a - 1) * log(_x) - b * _x
    return Family(
        logpdf,
        _x,
        [a, b],
        sp.Interval(0, oo),
        name="gamma",
        parametrization="shape alpha, rate beta",
        citation="JKB vol. 1 (1994), ch. 17 §7: I = [[trigamma(alpha), -1/beta], [-1/beta, alpha/beta^2]]",
    )


def gamma_shape_scale() -> Family:
    k, th = _pos("k"), _pos("theta")
    logpdf = -k * log(th) - sp.loggamma(k) + (k - 1) * log(_x) - _x / th
    return Family(
        logpdf,
        _x,
        [k, th],
        sp.Interval(0, oo),
        name="gamma_shape_scale",
        parametrization="shape k, scale theta",
        citation="JKB vol. 1 (1994), ch. 17: I = [[trigamma(k), 1/theta], [1/theta, k/theta^2]]",
    )


def gamma_shape_mean() -> Family:
    a, m = _pos("alpha"), _pos("m")
    logpdf = a * log(a / m) - sp.loggamma(a) + (a - 1) * log(_x) - a * _x / m
    return Family(
        logpdf,
        _x,
        [a, m],
        sp.Interval(0, oo),
        name="gamma_shape_mean",
        parametrization="shape alpha, mean m (orthogonal)",
        citation="Cox & Reid (1987), JRSS-B 49, §3: I = diag(trigamma(alpha) - 1/alpha, alpha/m^2)",
    )


def inverse_gamma() -> Family:
    a, b = _pos("alpha"), _pos("beta")
    logpdf = a * log(b) - sp.loggamma(a) - (a + 1) * log(_x) - b / _x
    return Family(
        logpdf,
        _x,
        [a, b],
        sp.Interval(0, oo),
        name="inverse_gamma",
        parametrization="shape alpha, scale beta",
        citation="Forbes et al. (2011), ch. 22: I = [[trigamma(alpha), -1/beta], [-1/beta, alpha/beta^2]]",
    )


def beta() -> Family:
    a, b = _pos("a"), _pos("b")
    logpdf = (a - 1) * log(_x) + (b - 1) * log(1 - _x) - sp.loggamma(a) - sp.loggamma(b) + sp.loggamma(a + b)
    return Family(
        logpdf,
        _x,
        [a, b],
        sp.Interval(0, 1),
        name="beta",
        parametrization="shapes a, b",
        citation="JKB vol. 2 (1995), ch. 25: I_ij = trigamma(a)δ.. - trigamma(a+b)",
    )


def lognormal() -> Family:
    mu, s = _real("mu"), _pos("sigma")
    logpdf = -((log(_x) - mu) ** 2) / (2 * s**2) - log(s) - log(_x) - log(2 * pi) / 2
    return Family(
        logpdf,
        _x,
        [mu, s],
        sp.Interval(0, oo),
        name="lognormal",
        parametrization="log-mean mu, log-sd sigma",
        citation="JKB vol. 1 (1994), ch. 14: I = diag(1/sigma^2, 2/sigma^2)",
    )


def inverse_gaussian() -> Family:
    mu, lam = _pos("mu"), _pos("lambda")
    logpdf = log(lam) / 2 - log(2 * pi) / 2 - 3 * log(_x) / 2 - lam * (_x - mu) ** 2 / (2 * mu**2 * _x)
    return Family(
        logpdf,
        _x,
        [mu, lam],
        sp.Interval(0, oo),
        name="inverse_gaussian",
        parametrization="mean mu, shape lambda",
        citation="Chhikara & Folks (1989), The Inverse Gaussian Distribution, §4: "
        "I = diag(lambda/mu^3, 1/(2 lambda^2))",
    )


def weibull() -> Family:
    k, lam = _pos("k"), _pos("lambda")
    logpdf = log(k) - log(lam) + (k - 1) * (log(_x) - log(lam)) - (_x / lam) ** k
    return Family(
        logpdf,
        _x,
        [k, lam],
        sp.Interval(0, oo),
        name="weibull",
        parametrization="shape k, scale lambda",
        citation="Gupta & Kundu (2006) / JKB vol. 1, ch. 21: I_kk = ((1-γ)^2 + π^2/6)/k^2, "
        "I_kλ = -(1-γ)/λ, I_λλ = k^2/λ^2",
    )


def gumbel() -> Family:
    mu, b = _real("mu"), _pos("beta")
    z = (_x - mu) / b
    return Family(
        -log(b) - z - sp.exp(-z),
        _x,
        [mu, b],
        _R,
        name="gumbel",
        parametrization="location mu, scale beta",
        citation="JKB vol. 2 (1995), ch. 22 eq. (22.35): I = [[1, -(1-γ)], [-(1-γ), (1-γ)^2 + π^2/6]]/beta^2",
    )


def laplace() -> Family:
    mu, b = _real("mu"), _pos("b")
    return Family(
        -log(2 * b) - sp.Abs(_x - mu) / b,
        _x,
        [mu, b],
        _R,
        name="laplace",
        parametrization="location mu, scale b",
        citation="Kotz, Kozubowski & Podgórski (2001), The Laplace Distribution, §2.6: I = diag(1/b^2, 1/b^2)",
    )


def logistic() -> Family:
    mu, s = _real("mu"), _pos("s")
    z = (_x - mu) / s
    return Family(
        -z - log(s) - 2 * log(1 + sp.exp(-z)),
        _x,
        [mu, s],
        _R,
        name="logistic",
        parametrization="location mu, scale s",
        citation="JKB vol. 2 (1995), ch. 23 §4: I = diag(1/(3 s^2), (π^2 + 3)/(9 s^2))",
    )


def cauchy() -> Family:
    x0, g = _real("x0"), _pos("gamma")
    return Family(
        -log(pi * g) - log(1 + ((_x - x0) / g) ** 2),
        _x,
        [x0, g],
        _R,
        name="cauchy",
        parametrization="location x0, scale gamma",
        citation="JKB vol. 1 (1994), ch. 16: I = diag(1/(2 gamma^2), 1/(2 gamma^2))",
    )


def student_t() -> Family:
    mu, s, nu = _real("mu"), _pos("sigma"), _pos("nu")
    logpdf = (
        sp.loggamma((nu + 1) / 2)
        - sp.loggamma(nu / 2)
        - log(nu * pi) / 2
        - log(s)
        - (nu + 1) / 2 * log(1 + ((_x - mu) / s) ** 2 / nu)
    )
    return Family(
        logpdf,
        _x,
        [mu, s],
        _R,
        name="student_t",
        parametrization="location mu, scale sigma; nu fixed",
        citation="Lange, Little & Taylor (1989), JASA 84: I = diag((nu+1)/((nu+3) sigma^2), 2 nu/((nu+3) sigma^2))",
    )


def student_t_df() -> Family:
    fam = student_t()
    nu = fam.fixed[0]
    return Family(
        fam.logpdf,
        fam.variables,
        [*fam.params, nu],
        fam.support,
        name="student_t_df",
        parametrization="location mu, scale sigma, degrees of freedom nu",
        citation="Lange, Little & Taylor (1989), JASA 84: I_nunu = (trigamma(nu/2) - trigamma((nu+1)/2))/4 "
        "- (nu+5)/(2 nu (nu+1)(nu+3)), I_sigmanu = -2/(sigma (nu+1)(nu+3))",
    )


def rayleigh() -> Family:
    s = _pos("sigma")
    return Family(
        log(_x) - 2 * log(s) - _x**2 / (2 * s**2),
        _x,
        [s],
        sp.Interval(0, oo),
        name="rayleigh",
        parametrization="scale sigma",
        citation="Forbes et al. (2011), ch. 39: I = 4/sigma^2",
    )


def half_normal() -> Family:
    s = _pos("sigma")
    return Family(
        log(2) / 2 - log(pi) / 2 - log(s) - _x**2 / (2 * s**2),
        _x,
        [s],
        sp.Interval(0, oo),
        name="half_normal",
        parametrization="scale sigma",
        citation="JKB vol. 1 (1994), ch. 13 §10.3: I = 2/sigma^2",
    )


def maxwell() -> Family:
    a = _pos("a")
    logpdf = log(2 / pi) / 2 + 2 * log(_x) - 3 * log(a) - _x**2 / (2 * a**2)
    return Family(
        logpdf,
        _x,
        [a],
        sp.Interval(0, oo),
        name="maxwell",
        parametrization="scale a",
        citation="Forbes et al. (2011), ch. 30 (E[x^2] = 3a^2): I = 6/a^2",
    )


def nakagami() -> Family:
    m, om = _pos("m"), _pos("Omega")
    logpdf = log(2) + m * log(m / om) - sp.loggamma(m) + (2 * m - 1) * log(_x) - m * _x**2 / om
    return Family(
        logpdf,
        _x,
        [m, om],
        sp.Interval(0, oo),
        name="nakagami",
        parametrization="shape m, spread Omega",
        citation="Nakagami (1960); x^2 ~ Gamma(shape m, mean Omega), "
        "so I = diag(trigamma(m) - 1/m, m/Omega^2) (Cox & Reid 1987)",
    )


def log_logistic() -> Family:
    a, b = _pos("alpha"), _pos("beta")
    logpdf = log(b) - log(a) + (b - 1) * (log(_x) - log(a)) - 2 * log(1 + (_x / a) ** b)
    return Family(
        logpdf,
        _x,
        [a, b],
        sp.Interval(0, oo),
        name="log_logistic",
        parametrization="scale alpha (median), shape beta",
        citation="Shoukri, Mian & Tracy (1988), Can. J. Stat. 16: I = diag(beta^2/(3 alpha^2), (3 + pi^2)/(9 beta^2))",
    )


def shifted_exponential() -> Family:
    lam, th = _pos("lambda"), _real("theta")
    return Family(
        log(lam) - lam * (_x - th),
        _x,
        [lam, th],
        sp.Interval(th, oo),
        name="shifted_exponential",
        parametrization="rate lambda, threshold theta (non-regular: support depends on theta)",
        citation="Lehmann & Casella (1998), Example 2.1.6 (threshold MLE converges at rate n)",
    )


def pareto() -> Family:
    a, xm = _pos("alpha"), _pos("x_m")
    return Family(
        log(a) + a * log(xm) - (a + 1) * log(_x),
        _x,
        [a],
        sp.Interval(xm, oo),
        name="pareto",
        parametrization="shape alpha; scale x_m fixed",
        citation="Arnold (2015), Pareto Distributions, 2nd ed., §5.2: I = 1/alpha^2",
    )


def von_mises() -> Family:
    mu, k = _real("mu"), _pos("kappa")
    logpdf = k * sp.cos(_x - mu) - log(2 * pi) - log(sp.besseli(0, k))
    return Family(
        logpdf,
        _x,
        [mu, k],
        sp.Interval(-pi, pi),
        name="von_mises",
        parametrization="mean direction mu, concentration kappa",
        citation="Mardia & Jupp (2000), §5.3: I = diag(kappa A(kappa), A'(kappa)), A = I1/I0",
    )


def uniform() -> Family:
    th = _pos("theta")
    return Family(
        -log(th),
        _x,
        [th],
        sp.Interval(0, th),
        name="uniform",
        parametrization="upper end theta (non-regular: support depends on theta)",
        citation="Lehmann & Casella (1998), Example 2.1.5 (MLE max x_i; Cramér–Rao does not apply)",
    )


CONTINUOUS = {
    "normal": normal,
    "normal_mean_variance": normal_mean_variance,
    "normal_natural": normal_natural,
    "exponential": exponential,
    "exponential_scale": exponential_scale,
    "gamma": gamma,
    "gamma_shape_scale": gamma_shape_scale,
    "gamma_shape_mean": gamma_shape_mean,
    "inverse_gamma": inverse_gamma,
    "beta": beta,
    "lognormal": lognormal,
    "inverse_gaussian": inverse_gaussian,
    "weibull": weibull,
    "gumbel": gumbel,
    "laplace": laplace,
    "logistic": logistic,
    "cauchy": cauchy,
    "student_t": student_t,
    "student_t_df": student_t_df,
    "rayleigh": rayleigh,
    "half_normal": half_normal,
    "maxwell": maxwell,
    "nakagami": nakagami,
    "log_logistic": log_logistic,
    "shifted_exponential": shifted_exponential,
    "pareto": pareto,
    "von_mises": von_mises,
    "uniform": uniform,
}
