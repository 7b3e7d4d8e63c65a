"""The identity checks of the verifier, one module per theme (score, exponential families,
geometry, information and sufficiency, high-precision numerics, design).
"""
