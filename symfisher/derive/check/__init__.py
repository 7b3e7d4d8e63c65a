"""The numeric cross-check of closed forms: parameter points (:mod:`~.points`), numeric
expectations (:mod:`~.integrate`: mpmath quadrature and summation, exact sums, exact
Gauss–Hermite rules for Gaussian vectors in :mod:`~.hermite`, exact stick-breaking
quadrature on the simplex in :mod:`~.simplex`, labelled Monte Carlo as the last resort in
:mod:`~.mc`), the Fisher-matrix comparison (:mod:`~.core`) and the comparison of any set
of closed-form expectations (:mod:`~.expectations_check`).
"""
