"""Code generation: SymPy expressions → readable Numba source in a content-addressed file.

Pipeline (one module per concern): :mod:`~symfisher.codegen.spec` (validate inputs),
:mod:`~symfisher.codegen.rewrite` (numerically stable forms),
:mod:`~symfisher.codegen.writer` (CSE over all outputs, symmetric mirroring, serial and
``prange`` loops), :mod:`~symfisher.codegen.printer` (the one translation table, strict),
:mod:`~symfisher.codegen.cache` (content keys, atomic files),
:mod:`~symfisher.codegen.api` (``sf.compile``, ``sf.export``) and
:mod:`~symfisher.codegen.mpmath_backend` (arbitrary-precision reference). The
:class:`~symfisher.numeric.kernel.Kernel` that runs the code lives on the numeric side.

This package imports nothing heavy at import time.
"""
