"""The version of symfisher (one place; the lazy top level and the caches read it)."""

__version__ = "0.1.0"
