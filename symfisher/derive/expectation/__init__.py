"""The expectation engine: closed forms of E_θ[g(x, θ)] without ``integrate`` wherever
mathematics allows (:mod:`~.engine` orchestrates kernels, reductions, Mellin transforms,
Gaussian and discrete moments, PSLQ-recognised constants and budgeted fallbacks).
"""
