"""Recovery from damaged Numba cache files of generated kernels.

Numba stores compiled machine code of a kernel ``k_<key>.py`` as
``__pycache__/k_<key>.*.nbi`` (index) and ``.nbc`` (code) files next to it and unpickles
them on the first call in a process. A truncated or overwritten file makes that call
fail inside Numba (``UnpicklingError``, ``EOFError``, ``ValueError``, ...). The kernel then
removes only that kernel's Numba files, warns naming them, and calls again: Numba
recompiles and writes fresh files. Other kernels' files are never touched.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from symfisher.errors import CacheError

__all__ = ["drop_numba_cache", "from_numba_cache"]


def from_numba_cache(exc: BaseException) -> bool:
    """True when ``exc`` was raised while Numba loaded its on-disk cache."""
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename.replace("\\", "/")
        if name.endswith("numba/core/caching.py"):
            return True
        tb = tb.tb_next
    return False


def drop_numba_cache(kernel_path: Path, exc: BaseException) -> list[Path]:
    """Remove Numba's cache files of one kernel file; warn naming them."""
    cache_dir = Path(kernel_path).parent / "__pycache__"
    files = sorted(cache_dir.glob(f"{Path(kernel_path).stem}.*.nb[ic]")) if cache_dir.is_dir() else []
    for f in files:
        try:
            f.unlink()
        except FileNotFoundError:
            pass
        except OSError as err:
            raise CacheError(
                f"Numba's cache file {str(f)!r} is damaged ({type(exc).__name__}: {exc}) "
                f"and cannot be removed: {err.strerror}"
            ) from None
    warnings.warn(
        f"Numba's cache of kernel {Path(kernel_path).name} was damaged ({type(exc).__name__}: {exc}); "
        f"removed {[f.name for f in files]} and recompiled",
        RuntimeWarning,
        stacklevel=3,
    )
    return files
