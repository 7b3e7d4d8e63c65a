"""Benchmark models and test oracles (as in ``numpy.testing``): never imported by production
modules.
"""
