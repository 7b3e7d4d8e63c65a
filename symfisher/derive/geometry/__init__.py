"""Symbolic information geometry: metric normalisation (:mod:`~.metric`), connections and
skewness (:mod:`~.connections`), curvature (:mod:`~.curvature`) and closed-form Fisher–Rao
distances (:mod:`~.fisher_rao`).
"""
