"""Population (nonlinear mixed-effects) designs: model, FO Fisher information, optimisation.

Public entry points (also at top level, ``sf.PopulationModel`` ...):
:class:`~symfisher.population.model.PopulationModel`,
:func:`~symfisher.population.fim.population_fim`,
:func:`~symfisher.population.optimize.optimal_population_design`,
:func:`~symfisher.population.power.population_power`.
"""
