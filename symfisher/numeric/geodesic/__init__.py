"""Geodesics numerically: a compiled DOP853 integrator (:mod:`~.ode`), batched integration
(:mod:`~.batch`) and shooting / distances (:mod:`~.solve`). No SymPy.
"""
