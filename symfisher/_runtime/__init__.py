"""Process-level services every layer may use: time budgets that kill a computation and
everything it started (:mod:`~.budget`), the on-disk cache directory with atomic,
verified writes (:mod:`~.cachedir`) and the registry of in-memory caches (:mod:`~.caches`).
"""
