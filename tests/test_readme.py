"""The README's API tour runs as written.

Every fenced ``python`` block with ``>>>`` prompts is a doctest; the blocks of one ``###``
section share their names (and start from ``import numpy as np, sympy as sp, symfisher as
sf``, as the tour says), so a section cannot lean on an earlier one. Outputs are compared
as printed (``NORMALIZE_WHITESPACE`` and ``ELLIPSIS``); a block whose output is
deliberately not shown has no expected-output lines.
"""

from __future__ import annotations

import doctest
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _sections() -> dict[str, list[tuple[int, str]]]:
    """``{section title: [(first line number, block text), ...]}`` for the blocks with prompts."""
    text = README.read_text(encoding="utf-8")
    out: dict[str, list[tuple[int, str]]] = {}
    for m in FENCE.finditer(text):
        block = m.group(1)
        if ">>>" not in block:
            continue
        head = [h for h in re.findall(r"^#{2,3} (.+)$", text[: m.start()], re.M)][-1]
        out.setdefault(head, []).append((text.count("\n", 0, m.start()) + 2, block))
    return out


SECTIONS = _sections()


def test_the_tour_has_doctest_blocks() -> None:
    assert {"Derive", "Compile", "Design experiments", "K-FAC and Laplace"} <= set(SECTIONS)


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_readme_section_runs_as_written(section: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    globs: dict[str, object] = {}
    exec("import numpy as np, sympy as sp, symfisher as sf", globs)  # the tour's stated preamble
    parser = doctest.DocTestParser()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=flags)
    for lineno, block in SECTIONS[section]:
        test = parser.get_doctest(block, globs, f"README.md line {lineno}", str(README), lineno)
        runner.run(test, out=report.append, clear_globs=False)
        globs = test.globs  # DocTest copies the names it is given: carry them to the next block
    assert runner.failures == 0, "".join(report)


def test_scale_out_script_runs_as_written(tmp_path: Path) -> None:
    """The Scale-out section is a script (a Dask cluster needs ``if __name__ == "__main__"``): run it."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Scale-out") :]
    script = FENCE.search(section)
    assert script is not None and "LocalCluster" in script.group(1)
    (tmp_path / "scale_out.py").write_text(script.group(1), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "scale_out.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 0, run.stderr[-3000:]
    # the kernel mean is a 2x2 matrix, the K-FAC report names its block, the Bayesian design ends at the top dose
    assert "K-FAC error for a 32 x 64 weight block" in run.stdout
    assert run.stdout.rstrip().endswith("150.        ]"), run.stdout[-500:]
