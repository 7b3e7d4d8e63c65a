"""Numeric optimal-design engine: NumPy arrays and plain callables only (no SymPy).

Modules: :mod:`core` (Design, Space), :mod:`model` (per-point information callables),
:mod:`criteria` (D, A, c, L, I, Ds, E), :mod:`problem` (components: local, Bayesian,
compound, model-robust), :mod:`weights`, :mod:`refine`, :mod:`certificate`,
:mod:`optimize` (smooth criteria), :mod:`newton` (second-order weights on finite sets)
with :mod:`stacked` (all components in one batch), :mod:`cutting_plane` (E-optimality),
:mod:`elfving` (c-optimality), :mod:`maximin`, :mod:`exact` (rounding, efficiency),
:mod:`result` (DesignResult) and :mod:`api` (``solve``: picks the algorithm).
"""
