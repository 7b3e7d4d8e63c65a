"""sf.export: a standalone module that imports with only numpy + numba and gives the same numbers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import symfisher as sf

CHILD = r"""
import importlib.util, json, sys
sys.modules["sympy"] = None        # any import of these now fails
sys.modules["symfisher"] = None
import numpy as np
spec = importlib.util.spec_from_file_location("exported_kernels", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
sys.modules["exported_kernels"] = mod
spec.loader.exec_module(mod)
a = np.array([0.5, 1.5, 4.0])
fisher = mod.fisher(a, 2.0)
out = np.empty((3, 2, 2))
same = mod.fisher(a, 2.0, out=out) is out
multi = mod.multi(a, 2.0)
try:
    mod.fisher(np.array([1.0, -1.0]), 2.0)
    err = ""
except ValueError as exc:
    err = str(exc)
print(json.dumps({"fisher": fisher.tolist(), "same": same, "err": err,
                  "logdet": multi["logdet"].tolist(), "all": mod.__all__}))
"""


@pytest.mark.slow
def test_exported_module_runs_without_sympy_or_symfisher(tmp_path: Path) -> None:
    a, b = sp.symbols("a b", positive=True)
    gamma_fisher = sp.Matrix([[sp.polygamma(1, a), -1 / b], [-1 / b, a / b**2]])
    k = sf.compile(gamma_fisher, args=[a, b])
    k2 = sf.compile({"fisher": gamma_fisher, "logdet": sp.log(gamma_fisher.det())}, args=[a, b])
    path = sf.export({"fisher": k, "multi": k2}, tmp_path / "gamma_kernels.py")
    text = path.read_text()
    assert "import sympy" not in text and "from symfisher" not in text
    res = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout.strip().splitlines()[-1])
    av = np.array([0.5, 1.5, 4.0])
    np.testing.assert_array_equal(np.array(got["fisher"]), k(av, 2.0))
    np.testing.assert_array_equal(np.array(got["logdet"]), k2(av, 2.0)["logdet"])
    assert got["same"] is True
    assert "'a' = -1.0 at index (1,)" in got["err"]
    assert got["all"] == ["fisher", "multi"]


def test_export_rejects_bad_names(tmp_path: Path) -> None:
    a = sp.Symbol("a", positive=True)
    k = sf.compile(1 / a, [a])
    with pytest.raises(ValueError, match="not a public identifier"):
        sf.export({"1bad": k}, tmp_path / "m.py")
    with pytest.raises(TypeError, match="not a compiled Kernel"):
        sf.export({"f": 1 / a}, tmp_path / "m.py")


def test_export_family_compiles_its_fisher_matrix(tmp_path: Path) -> None:
    fam = sf.family("gamma")
    path = sf.export(fam, tmp_path / "gamma_family.py")
    text = path.read_text()
    assert "def fisher(*arrays, out=None, check=True, parallel=None):" in text
    assert "def trigamma(" in text  # special functions copied verbatim
