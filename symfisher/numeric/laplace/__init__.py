"""Laplace posteriors for MLPs (NumPy only; never imports SymPy).

One module per curvature structure (:mod:`~.full`, :mod:`~.kron`, :mod:`~.diag`,
:mod:`~.lastlayer`) behind one interface (:mod:`~.base`: ``log_det``, ``solve``,
``to_dense``, ``inverse_diagonal``, ``updated``); :mod:`~.marglik` writes the log
marginal likelihood and the prior-precision optimisation once against it;
:mod:`~.predictive` holds the GLM predictive, :mod:`~.metrics` NLL and ECE;
:mod:`~.likelihoods` / :mod:`~.noncanonical` the hand-written output curvatures and
:mod:`~.compiled` the adapter for curvatures derived and compiled by symfisher;
:mod:`~.posterior` ties them together (used by :func:`symfisher.laplace`).
"""
