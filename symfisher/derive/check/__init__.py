"""The numeric cross-check of closed forms: parameter points (:mod:`~.points`), mpmath
quadrature and summation (:mod:`~.integrate`), Monte Carlo on the simplex (:mod:`~.mc`)
and the comparison itself (:mod:`~.core`).
"""
