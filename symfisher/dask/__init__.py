"""Scale-out on Dask (optional extra ``dask``): kernels evaluated over chunked arrays
(:mod:`~.kernels`), the exact K-FAC error from chunk-pair Gram tasks (:mod:`~.kfac`),
per-draw information of Bayesian designs on a cluster (:mod:`~.design`), verification
of family × identity cells (:mod:`~.verify`), with progress on stderr and retried tasks
(:mod:`~.cluster`). Nothing outside this package imports Dask.

Examples
--------
>>> import symfisher as sf                                        # doctest: +SKIP
>>> from distributed import Client, LocalCluster                  # doctest: +SKIP
>>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))  # doctest: +SKIP
>>> rep = sf.dask.kron_error(a, g, client=client)                 # doctest: +SKIP
"""

from __future__ import annotations

from symfisher._runtime.lazy import lazy_attributes

_LAZY: dict[str, tuple[str, str]] = {
    "evaluate": ("symfisher.dask.kernels", "evaluate"),
    "kron_error": ("symfisher.dask.kfac", "kron_error"),
    "draw_evaluator": ("symfisher.dask.design", "draw_evaluator"),
    "verify_many": ("symfisher.dask.verify", "verify_many"),
    "verify_on": ("symfisher.dask.verify", "verify_on"),
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_attributes("symfisher.dask", _LAZY, globals())
