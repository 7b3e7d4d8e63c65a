"""Regression models on top of families: the likelihood mean forms and links
(:mod:`~.likelihood`), ``sf.Regression`` (:mod:`~.regression`), the dose-response catalog
(:mod:`~.catalog`) and their compiled per-point information (:mod:`~.kernels`).
"""
