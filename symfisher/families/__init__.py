"""Parametric families written down declaratively: the :class:`~.base.Family` (log-density,
variables, parameters with domains, support), the catalog (:mod:`~.continuous`,
:mod:`~.discrete`, :mod:`~.multivariate`, :mod:`~.registry`), supports SymPy cannot
express (:mod:`~.sets`), iid copies (:mod:`~.iid`) and the engine's typed view of a
family (:class:`~.protocol.FamilyLike`). No Fisher code lives here.
"""
