"""Laplace posteriors for MLPs (NumPy only; never imports SymPy).

One module per curvature structure (:mod:`~.full`, :mod:`~.kron`, :mod:`~.diag`,
:mod:`~.lastlayer`) behind one interface (``log_det``, ``solve``, ``to_dense``,
``inverse_diagonal``, ``updated``); :mod:`~.marglik` writes the log marginal likelihood
once against it; :mod:`~.predictive` holds the GLM predictive and calibration metrics.
"""
