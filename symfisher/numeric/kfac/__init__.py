"""Numeric K-FAC error kernels (NumPy + Numba; never imports SymPy).

Modules: :mod:`~.error` (matrix-free Gram identities), :mod:`~.dense` (oracle),
:mod:`~.nearest` (Van Loan-Pitsianis), :mod:`~.ekfac`, :mod:`~.sampled`,
:mod:`~.report` and :mod:`~.compute` (``kron_error``).
"""
