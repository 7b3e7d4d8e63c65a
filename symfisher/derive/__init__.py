"""Symbolic derivations (SymPy in, SymPy out): score and Hessian (:mod:`~.score`), the
Fisher engine (:mod:`~.fisher`: routes, cache, canonical form), the expectation engine
(:mod:`~.expectation`: reductions to standard kernels, Mellin transforms, Gaussian and
discrete moments, budgeted fallbacks), the numeric cross-check every closed form passes
(:mod:`~.check`), exponential families (:mod:`~.expfam`), priors and bounds
(:mod:`~.priors`), KL divergences (:mod:`~.divergence`) and the tensors of information
geometry (:mod:`~.geometry`).
"""
