"""Optimal experimental design (application): numeric optimal designs with certificates and
efficiencies (:mod:`~.optimal`: ``sf.optimal_design``, ``sf.efficiency``), criteria and
information matrices in closed form (:mod:`~.symbolic`), closed-form optimal designs
(:mod:`~.solve`) and their numeric checks (:mod:`~.check`).
"""
