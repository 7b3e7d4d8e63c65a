"""Shared test configuration.

The derivation and kernel caches go to one temporary directory per test run
(unless ``SYMFISHER_CACHE`` is set, as CI does), so tests never touch the user's cache
while compiled kernels are still shared between tests of the same run. Under pytest-xdist the
controller process loads this file first, so every worker inherits the same directory (the
cache writes are atomic: temporary file + ``os.replace``).
"""

from __future__ import annotations

import os
import tempfile

if "SYMFISHER_CACHE" not in os.environ:
    os.environ["SYMFISHER_CACHE"] = tempfile.mkdtemp(prefix="symfisher-test-cache-")
