"""Discovery of sub-commands and tour steps (see :mod:`symfisher.commands`)."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TextIO


@dataclass(frozen=True)
class Command:
    """One ``symfisher`` sub-command.

    Parameters
    ----------
    name : str
        The sub-command's name on the command line (``symfisher NAME``).
    help : str
        One line shown by ``symfisher --help``.
    configure : callable
        ``configure(parser)`` adds the sub-command's arguments to an
        :class:`argparse.ArgumentParser`.
    run : callable
        ``run(args) -> int`` executes it and returns the process exit code.
    description : str
        Longer text for ``symfisher NAME --help`` (defaults to ``help``).
    """

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    description: str = ""


@dataclass(frozen=True)
class TourStep:
    """One step of ``symfisher tour``.

    Parameters
    ----------
    order : int
        Steps run in increasing order (core 10, codegen 20, design 30, K-FAC 40,
        geometry 50, ...).
    title : str
        Heading printed before the step.
    run : callable
        ``run(out)`` writes the step's demonstration to the text stream ``out``.
    """

    order: int
    title: str
    run: Callable[[TextIO], None]


def _feature_modules() -> list[ModuleType]:
    import symfisher.commands as pkg

    mods = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name == "registry" or info.name.startswith("_"):
            continue
        mods.append(importlib.import_module(f"{pkg.__name__}.{info.name}"))
    return mods


def commands() -> list[Command]:
    """All sub-commands contributed by modules of :mod:`symfisher.commands`, by name."""
    found = [m.COMMAND for m in _feature_modules() if hasattr(m, "COMMAND")]
    names = [c.name for c in found]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise RuntimeError(f"duplicate symfisher sub-command names: {sorted(dup)}")
    return sorted(found, key=lambda c: c.name)


def tour_steps() -> list[TourStep]:
    """All tour steps contributed by modules of :mod:`symfisher.commands`, in order."""
    steps = [m.TOUR for m in _feature_modules() if hasattr(m, "TOUR")]
    return sorted(steps, key=lambda s: (s.order, s.title))
