"""The registry of textbook identities that :func:`symfisher.verification` checks.

Every entry states the identity precisely, the conditions under which it fails, and
when it does not apply. "Regular" means: the support does not depend on θ, ℓ is
differentiable in θ and differentiation and integration can be exchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from symfisher.errors import InputError
from symfisher.verification.checks import design as des
from symfisher.verification.checks import expfam as ef
from symfisher.verification.checks import geometry as geo
from symfisher.verification.checks import info
from symfisher.verification.checks import numeric as num
from symfisher.verification.checks import score as sc
from symfisher.verification.context import Ctx
from symfisher.verification.report import Outcome

if TYPE_CHECKING:
    from symfisher.families.base import Family

__all__ = ["Identity", "IDENTITIES", "identity_names", "select"]


@dataclass(frozen=True)
class Identity:
    """One identity.

    Attributes
    ----------
    name : str
        Registry name (used on the command line).
    statement : str
        The precise statement.
    failure : str
        When it fails (or does not apply).
    check : callable
        ``check(ctx) -> Outcome``.
    regular : bool
        Whether the identity needs a regular family (non-regular families fail it).
    applies : callable or None
        ``applies(family) -> reason or None``; a reason makes the row "not applicable".
    """

    name: str
    statement: str
    failure: str
    check: Callable[[Ctx], Outcome]
    regular: bool = True
    applies: Callable[[Any], str | None] | None = None


def _multi(fam: Family) -> str | None:
    return None if len(fam.params) >= 2 else "needs at least 2 parameters"


def _two(fam: Family) -> str | None:
    return None if len(fam.params) == 2 else "Gaussian curvature needs exactly 2 parameters"


_REG = "fails when the support depends on θ (non-regular)"

IDENTITIES: tuple[Identity, ...] = (
    Identity("score_mean_zero", "E_θ[∂_i ℓ(x; θ)] = 0 for all i", _REG, sc.score_mean_zero),
    Identity(
        "information_equality",
        "E[s sᵀ] = −E[∇²ℓ] (the Fisher matrix two ways)",
        _REG + "; with a kink in ℓ (|x − μ|) it holds only with the distributional "
        "second derivative (a Dirac delta at the kink)",
        sc.information_equality,
    ),
    Identity(
        "bartlett_third",
        "E[ℓ_ijk + ℓ_ij ℓ_k + ℓ_ik ℓ_j + ℓ_jk ℓ_i + ℓ_i ℓ_j ℓ_k] = 0",
        _REG + "; needs ℓ three times differentiable in θ",
        sc.bartlett_third,
    ),
    Identity(
        "fisher_spd",
        "I(θ) is symmetric and positive definite",
        _REG + "; semidefinite only for non-identified parameters",
        sc.fisher_spd,
    ),
    Identity(
        "efficient_information",
        "I_ii − I_i,−i I_−i,−i⁻¹ I_−i,i = 1/(I⁻¹)_ii; orthogonal pairs (I_ij = 0) are reported",
        _REG + "; needs p ≥ 2",
        sc.efficient_information,
        applies=_multi,
    ),
    Identity(
        "iid_additivity",
        "I_n(θ) = n I(θ) for n iid observations (cross terms E[s(x₁)] E[s(x₂)]ᵀ vanish)",
        _REG,
        sc.iid_additivity,
    ),
    Identity(
        "reparametrization", "I_η = Jᵀ I_θ J with J = ∂θ/∂η (I_η derived independently)", _REG, geo.reparametrization
    ),
    Identity(
        "jeffreys_transforms",
        "√det I_η = √det I_θ |det J| (Jeffreys' prior is a density)",
        _REG,
        geo.jeffreys_transforms,
    ),
    Identity(
        "curvature_invariance",
        "Gaussian curvature K_η(η) = K_θ(θ(η)), K_η of the metric "
        "in η (I_η, or Jᵀ I_θ J, whose equality with I_η is the reparametrization row)",
        _REG + "; needs p = 2",
        geo.curvature_invariance,
        applies=_two,
    ),
    Identity(
        "alpha_duality",
        "∂_k g_ij = Γ^(α)_ki,j + Γ^(−α)_kj,i for all α",
        _REG + "; needs the skewness tensor (closed form, or quadrature at the points)",
        geo.alpha_duality,
    ),
    Identity(
        "kl_second_order",
        "KL(p_θ‖p_{θ+d}) = ½ g_ij dⁱdʲ + O(|d|³)",
        _REG + "; needs KL in closed form, or quadrature of KL(p_θ‖p_{θ+εv}) at several ε (Richardson)",
        geo.kl_second_order,
    ),
    Identity(
        "kl_third_order",
        "third-order KL term = (¼ ∂_k g_ij − (1/12) T_ijk) dⁱdʲdᵏ (Poisson: −d³/(3λ²))",
        _REG + "; needs KL and T (closed form, or quadrature at several "
        "ε); not applicable when ℓ is not three times differentiable (Laplace: a |d|³ "
        "term)",
        geo.kl_third_order,
    ),
    Identity(
        "f_divergence_second_order",
        "D_f(p_θ‖p_{θ+εv}) = ½ f''(1) ε² vᵀIv + O(ε³), "
        "D_f(P‖Q) = ∫ q f(p/q), for KL (f''(1) = 1), reverse KL (1), Pearson χ² (2), "
        "Neyman χ² (2), squared Hellinger (½), Jensen–Shannon (¼), Amari α = ±½ (1); "
        "ε² coefficient extrapolated from ε = 1e-4, 5e-5, 2.5e-5",
        _REG + "; fails when an extrapolated coefficient differs from ½ f''(1) vᵀIv by "
        "more than 1e-8 (relative); not applicable to continuous vector data",
        num.f_divergence_second_order,
        applies=num.f_divergence_applies,
    ),
    Identity("fisher_rao_consistency", "d_FR(θ, θ + εv)/ε → √(vᵀ I v) as ε → 0", _REG, num.fisher_rao_consistency),
    Identity(
        "location_invariance",
        "for a location parameter μ, ∂I/∂μ = 0",
        _REG + "; not applicable without a location parameter",
        geo.location_invariance,
    ),
    Identity(
        "location_scale_scaling",
        "location–scale (μ, σ): σ² I_(μ,σ) is constant in (μ, σ) and the curvature is constant",
        _REG + "; not applicable to other families",
        geo.location_scale_scaling,
    ),
    Identity(
        "expfam_fisher_cov",
        "exponential family: I = Jᵀ Cov(T) J, E[T] = J⁻ᵀ ∇_θ A",
        "not applicable to non- or curved exponential families",
        ef.expfam_fisher_cov,
        applies=ef.expfam_reason,
    ),
    Identity(
        "expfam_log_partition",
        "exponential family: Cov(T) = ∇²_η A(η)",
        "not applicable to non- or curved exponential families",
        ef.expfam_log_partition,
        applies=ef.expfam_reason,
    ),
    Identity(
        "expfam_observed_expected",
        "natural parameters: −∇²_η ℓ = ∇²_η A = I_η (no x)",
        "not applicable to non- or curved exponential families",
        ef.expfam_observed_expected,
        applies=ef.expfam_reason,
    ),
    Identity(
        "e_flat_natural",
        "the e-connection (α = 1) vanishes in natural parameters",
        "not applicable to non- or curved exponential families",
        ef.e_flat_natural,
        applies=ef.expfam_reason,
    ),
    Identity(
        "m_flat_mean",
        "the m-connection (α = −1) vanishes in mean parameters E[T]",
        "not applicable to non- or curved exponential families",
        ef.m_flat_mean,
        applies=ef.expfam_reason,
    ),
    Identity(
        "legendre_duality",
        "A*(μ) = η·μ − A: ∇_μ A* = η and ∇_η A = μ",
        "not applicable to non- or curved exponential families",
        ef.legendre_duality,
        applies=ef.expfam_reason,
    ),
    Identity(
        "cramer_rao_attained",
        "Cov(T) = K I⁻¹ Kᵀ, K = ∂E[T]/∂θ: T̄ attains the Cramér–Rao bound for E[T]; strict for non-affine T₁²",
        "not applicable to non- or curved exponential families",
        ef.cramer_rao_attained,
        applies=ef.expfam_reason,
    ),
    Identity(
        "score_factorisation",
        "the score factors through the sufficient statistic: "
        "s(x; θ) = Jᵀ (T(x) − E_θ[T]), so I_T = Jᵀ Cov(T) J = I_X (Fisher–Neyman; "
        "proves the sufficiency identity below symbolically for exponential families)",
        "not applicable to non- or curved exponential families",
        ef.score_factorisation,
        applies=ef.expfam_reason,
    ),
    Identity(
        "sufficiency",
        "for each θ_j with a scalar sufficient statistic T_j (the others "
        "known): I_{T_j(X₁)+…+T_j(X_n)}(θ_j) = n I_jj(θ), the left side from the law of "
        "the sum (closed form, else mpmath sums / quadrature of the convolution); n = 3 "
        "(integer data) or 2 (continuous)",
        _REG + "; fails when the information of the sum differs from n I_jj; not applicable "
        "when no single parameter has a scalar sufficient statistic (Cauchy, logistic)",
        info.sufficiency,
        applies=info.sufficiency_reason,
    ),
    Identity(
        "gaussian_entropy",
        "h = (d/2)(1 + log 2π) + ½ log det Σ; log det of the location information Σ⁻¹ (D-optimality) is −2h + const",
        "not applicable to non-Gaussian data",
        num.gaussian_entropy,
        regular=False,
    ),
    Identity(
        "d_optimality_entropy",
        "MLE law N(θ, (nI)⁻¹), n = 20: entropy h = (p/2)(1 + log 2π) "
        "− ½ log det(nI) and 95 % ellipsoid volume V_p χ^p det(nI)^(−½), both computed "
        "independently (quadrature / Monte Carlo), so ranking by log det I (D-optimality) "
        "is the reverse ranking by entropy and volume",
        _REG + "; fails when a numeric side misses its closed form or the rankings "
        "disagree; not applicable where I is singular",
        des.d_optimality_entropy,
    ),
)


def identity_names() -> list[str]:
    """Names of all registered identities, in registry order."""
    return [i.name for i in IDENTITIES]


def select(names: Any = None) -> tuple[Identity, ...]:
    """The identities named (all by default); unknown names raise, listing the valid ones."""
    if names is None:
        return IDENTITIES
    names = [names] if isinstance(names, str) else list(names)
    by_name = {i.name: i for i in IDENTITIES}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise InputError(f"unknown identities {unknown}; valid names: {', '.join(by_name)}")
    return tuple(by_name[n] for n in names)
