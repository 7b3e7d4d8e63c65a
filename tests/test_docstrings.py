"""Every ``Examples`` section in the package's docstrings runs and prints what it says.

The installed package is walked module by module (so CI checks what users import, not the
checkout) and each module's docstrings run as doctests with ``ELLIPSIS`` and
``NORMALIZE_WHITESPACE``; examples that need files or minutes are marked ``+SKIP`` in
place. ``__main__`` modules are not imported (importing them would run the CLI).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import symfisher

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(symfisher.__path__, prefix="symfisher.") if not m.name.endswith("__main__")
)


def test_the_walk_finds_the_package() -> None:
    assert {"symfisher.derive.score", "symfisher.design.optimal", "symfisher.torch.posterior"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    for test in finder.find(module, name):
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
