"""The numeric layer: NumPy and Numba only, never SymPy (a test enforces it). Running
generated kernels (:mod:`~.kernel`, :mod:`~.kernel_runtime`), special functions
(:mod:`~.special`), networks (:mod:`~.nn`), and the numeric engines of the applications:
:mod:`~.design`, :mod:`~.kfac`, :mod:`~.laplace`, :mod:`~.geodesic`.
"""
