"""Parametric families written down declaratively: the :class:`~.base.Family` (log-density,
variables, parameters with domains, support), the catalog (:mod:`~.continuous`,
:mod:`~.discrete`, :mod:`~.multivariate`, :mod:`~.registry`), supports SymPy cannot
express (:mod:`~.sets`) and iid copies (:mod:`~.iid`). No Fisher code lives here.
"""
