"""The Fisher engine: routes (exponential family, Hessian, score) in :mod:`~.routes`, the
orchestration and public :func:`~.api.fisher` in :mod:`~.api`, the result type, the
canonical form, the memory/disk cache and numeric-only matrices.
"""
