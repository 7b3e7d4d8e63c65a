"""Information geometry (application): the public tensors (:mod:`~.tensors`: Christoffel
symbols, α-connections, skewness, curvature) and geodesics and Fisher–Rao distances
(:mod:`~.geodesic`), closed forms where recognised, compiled shooting otherwise.
"""
