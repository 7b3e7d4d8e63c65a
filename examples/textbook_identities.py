"""Textbook identities of Fisher information, checked for several families.

Run:  python examples/textbook_identities.py

For each family the verifier proves the identity symbolically where it can, checks
it with 30-digit mpmath arithmetic where it cannot, and explains failures:

* Poisson and normal: every applicable identity holds (most are *proved*);
* Laplace: the information equality holds only with the distributional second
  derivative of |x − μ| (a Dirac delta at the kink) — the report says so;
* Uniform(0, θ): the support depends on θ, so every regularity-dependent identity
  *fails*, with the reason, and E[score] = −1/θ is shown as the residual.

It ends with the geometry behind the identities: curvatures, a KL divergence and a
Fisher–Rao distance computed by the general boundary-value solver.
"""

from __future__ import annotations

import symfisher as sf

IDENTITIES = [
    "score_mean_zero",
    "information_equality",
    "bartlett_third",
    "fisher_spd",
    "reparametrization",
    "kl_second_order",
    "kl_third_order",
    "alpha_duality",
    "location_scale_scaling",
    "e_flat_natural",
    "m_flat_mean",
    "cramer_rao_attained",
]


def main() -> None:
    for name in ("poisson", "normal", "laplace", "uniform"):
        rep = sf.verify(name, identities=IDENTITIES, budget=60)
        print(rep.table(), end="\n\n")

    print("Gaussian curvature (a sphere would be positive):")
    for name in ("normal", "cauchy", "categorical", "gamma", "student_t"):
        print(f"  {name:<12} K = {sf.gaussian_curvature(sf.family(name))}")

    kl, t1, t2 = sf.kl_divergence(sf.family("gamma"))
    print(f"\nKL(Gamma{t1} || Gamma{t2}) = {kl}")

    normal = sf.family("normal")
    closed = sf.fisher_rao_distance(normal, [0.0, 1.0], [1.0, 2.0], method="closed")
    numeric = sf.fisher_rao_distance(normal, [0.0, 1.0], [1.0, 2.0], method="numeric")
    print(f"\nFisher–Rao distance N(0,1) → N(1,4): closed {closed:.15f}, shooting {numeric:.15f}")
    gamma = sf.family("gamma")
    print(
        f"Fisher–Rao distance Gamma(2,1) → Gamma(5,3) (no closed form): "
        f"{sf.fisher_rao_distance(gamma, [2.0, 1.0], [5.0, 3.0]):.12f}"
    )


if __name__ == "__main__":
    main()
