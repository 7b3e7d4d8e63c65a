"""Rendering of results: plain text, LaTeX, JSON readable back without ``eval``, plots
(optional ``matplotlib``).
"""
