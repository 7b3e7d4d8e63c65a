"""symfisher: derive Fisher information in closed form, compile it, apply it.

The package is lazy: ``import symfisher`` imports nothing heavy. Each public name
is imported from its module on first use (PEP 562 ``__getattr__``), so that
``import symfisher.numeric`` never pulls in SymPy.

Examples
--------
>>> import symfisher as sf
>>> sf.fisher(sf.family("exponential"))            # doctest: +SKIP
Matrix([[lambda**(-2)]])
"""

from __future__ import annotations

import importlib
from typing import Any

from symfisher._version import __version__

# public name -> (module, attribute); attribute None means "the module itself".
_LAZY: dict[str, tuple[str, str | None]] = {
    # errors
    "SymfisherError": ("symfisher.errors", "SymfisherError"),
    "DerivationError": ("symfisher.errors", "DerivationError"),
    "NonRegularFamilyError": ("symfisher.errors", "NonRegularFamilyError"),
    "ParseError": ("symfisher.errors", "ParseError"),
    "DomainError": ("symfisher.errors", "DomainError"),
    "ShapeError": ("symfisher.errors", "ShapeError"),
    "OptionError": ("symfisher.errors", "OptionError"),
    # options: every keyword that takes one of a fixed set of values
    "option": ("symfisher.options", "option"),
    "clear_caches": ("symfisher._runtime.caches", "clear_caches"),
    "Activation": ("symfisher.options", "Activation"),
    "Backend": ("symfisher.options", "Backend"),
    "ConnectionKind": ("symfisher.options", "ConnectionKind"),
    "Criterion": ("symfisher.options", "Criterion"),
    "CrossTerm": ("symfisher.options", "CrossTerm"),
    "CurvatureKind": ("symfisher.options", "CurvatureKind"),
    "DistanceMethod": ("symfisher.options", "DistanceMethod"),
    "FisherMethod": ("symfisher.options", "FisherMethod"),
    "Integrator": ("symfisher.options", "Integrator"),
    "KfacApprox": ("symfisher.options", "KfacApprox"),
    "KronMethod": ("symfisher.options", "KronMethod"),
    "Likelihood": ("symfisher.options", "Likelihood"),
    "Link": ("symfisher.options", "Link"),
    "LinkApprox": ("symfisher.options", "LinkApprox"),
    "Status": ("symfisher.options", "Status"),
    "Structure": ("symfisher.options", "Structure"),
    "Subset": ("symfisher.options", "Subset"),
    "ResidualError": ("symfisher.options", "ResidualError"),
    "OmegaStructure": ("symfisher.options", "OmegaStructure"),
    "Linearisation": ("symfisher.options", "Linearisation"),
    "FimStructure": ("symfisher.options", "FimStructure"),
    "PopulationCriterion": ("symfisher.options", "PopulationCriterion"),
    # families (issue 2)
    "Family": ("symfisher.families.base", "Family"),
    "Simplex": ("symfisher.families.sets", "Simplex"),
    "family": ("symfisher.families.registry", "family"),
    "family_names": ("symfisher.families.registry", "family_names"),
    "iid": ("symfisher.families.iid", "iid"),
    # derivations (issue 2)
    "score": ("symfisher.derive.score", "score"),
    "hessian": ("symfisher.derive.score", "hessian"),
    "observed_information": ("symfisher.derive.score", "observed_information"),
    "fisher": ("symfisher.derive.fisher.api", "fisher"),
    "jeffreys_prior": ("symfisher.derive.priors", "jeffreys_prior"),
    "cramer_rao": ("symfisher.derive.priors", "cramer_rao"),
    "parse_expression": ("symfisher.parse", "parse_expression"),
    "to_latex": ("symfisher.report.latex", "to_latex"),
    # code generation (issue 3)
    "compile": ("symfisher.codegen.api", "compile"),
    "export": ("symfisher.codegen.api", "export"),
    "Kernel": ("symfisher.numeric.kernel", "Kernel"),
    # regression models and design (issue 4)
    "Regression": ("symfisher.models.regression", "Regression"),
    "model": ("symfisher.models.catalog", "model"),
    "model_names": ("symfisher.models.catalog", "model_names"),
    "Design": ("symfisher.numeric.design.core", "Design"),
    "optimal_design": ("symfisher.design.optimal", "optimal_design"),
    "efficiency": ("symfisher.design.optimal", "efficiency"),
    "dose_models": ("symfisher.design.dosefinding", "dose_models"),
    "dose_design": ("symfisher.design.dosefinding", "dose_design"),
    "target_dose": ("symfisher.design.dosefinding", "target_dose"),
    # symbolic design (issue 7)
    "SymbolicDesign": ("symfisher.design.symbolic", "SymbolicDesign"),
    "information_matrix": ("symfisher.design.symbolic", "information_matrix"),
    "criterion": ("symfisher.design.symbolic", "criterion"),
    "sensitivity": ("symfisher.design.symbolic", "sensitivity"),
    "solve_design": ("symfisher.design.solve", "solve_design"),
    # K-FAC / Laplace (issue 5)
    "kfac": ("symfisher.kfac", None),
    "torch": ("symfisher.torch", None),
    "nn": ("symfisher.numeric.nn", None),
    "laplace": ("symfisher.kfac.laplace", "laplace"),
    # geometry and verification (issue 6)
    "christoffel": ("symfisher.geometry.tensors", "christoffel"),
    "skewness_tensor": ("symfisher.geometry.tensors", "skewness_tensor"),
    "alpha_connection": ("symfisher.geometry.tensors", "alpha_connection"),
    "riemann": ("symfisher.geometry.tensors", "riemann"),
    "ricci": ("symfisher.geometry.tensors", "ricci"),
    "scalar_curvature": ("symfisher.geometry.tensors", "scalar_curvature"),
    "gaussian_curvature": ("symfisher.geometry.tensors", "gaussian_curvature"),
    "kl_divergence": ("symfisher.derive.divergence", "kl_divergence"),
    "geodesic": ("symfisher.geometry.geodesic", "geodesic"),
    "fisher_rao_distance": ("symfisher.geometry.geodesic", "fisher_rao_distance"),
    # population (nonlinear mixed-effects) designs (issue 13)
    "PopulationModel": ("symfisher.population.model", "PopulationModel"),
    "population_fim": ("symfisher.population.fim", "population_fim"),
    "optimal_population_design": ("symfisher.population.optimize", "optimal_population_design"),
    "approximate_population_design": ("symfisher.population.approximate", "approximate_population_design"),
    "population_power": ("symfisher.population.power", "population_power"),
    "verify": ("symfisher.verification", "verify"),
    # scale-out on Dask (issue 14; optional extra "dask")
    "dask": ("symfisher.dask", None),
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    """Import the public object ``name`` on first access (PEP 562)."""
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'symfisher' has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value  # cache: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
