"""Numeric routes of the verifier (mpmath quadrature stand-ins, laws of statistics)."""
