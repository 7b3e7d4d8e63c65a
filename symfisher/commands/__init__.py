"""Sub-commands and tour steps of the ``symfisher`` command line.

Every module in this package may define

``COMMAND``
    a :class:`symfisher.commands.registry.Command` (one sub-command), and/or
``TOUR``
    a :class:`symfisher.commands.registry.TourStep` (one step of ``symfisher tour``).

Adding a feature to the command line means adding one module here; no central
file is edited. Modules are imported only when the command line starts, and each
keeps its heavy imports inside its ``run`` functions so ``symfisher --help`` is fast.
"""
