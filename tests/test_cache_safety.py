"""Issue 12: the cache directory under faults and foreign content.

``symfisher cache clear`` removes only what symfisher wrote; kernel compilation falls back
to a private temporary directory (with a warning naming the cause) when the kernels
directory cannot be used; damaged Numba cache files are dropped and rebuilt.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import symfisher as sf
from symfisher._runtime.cachedir import write_verified
from symfisher.cli import main

ROOT = Path(__file__).resolve().parents[1]
KEY = "0123456789abcdef" * 4  # 64 hex digits: the shape of symfisher's content keys


def _populate(cache: Path, outside: Path) -> dict[str, Path]:
    """A cache root shared with foreign files, directories and symbolic links."""
    (cache / "kernels" / "__pycache__").mkdir(parents=True)
    (cache / "derivations").mkdir()
    (cache / "photos").mkdir()
    outside.mkdir()
    (outside / "precious.txt").write_text("not symfisher's")
    foreign = {
        "root_file": cache / "notes.txt",
        "foreign_dir_file": cache / "photos" / "cat.jpg",
        "in_kernels": cache / "kernels" / "my_script.py",
        "outside_target": outside / "precious.txt",
    }
    for p in foreign.values():
        if not p.exists():
            p.write_text("keep me")
    (cache / "linkdir").symlink_to(outside, target_is_directory=True)
    (cache / "kernels" / f"k_{KEY[::-1]}.py").symlink_to(outside / "precious.txt")
    write_verified(cache / "kernels" / f"k_{KEY}.py", "x = 1\n")
    (cache / "kernels" / "__pycache__" / f"k_{KEY}._serial-1.py311.nbi").write_bytes(b"\x80")
    write_verified(cache / "derivations" / f"{KEY}.json", "{}\n")
    return foreign


def test_cache_clear_removes_only_symfisher_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "shared"
    foreign = _populate(cache, tmp_path / "outside")
    monkeypatch.setenv("SYMFISHER_CACHE", str(cache))
    assert main(["cache", "list"]) == 0
    listing = capsys.readouterr().out
    assert "foreign" in listing and f"kernels/k_{KEY}.py" in listing
    assert main(["cache", "clear"]) == 0
    out = capsys.readouterr().out
    assert "removed 3 entries" in out and "left" in out
    for name, p in foreign.items():
        assert p.read_text() == "keep me" or name == "outside_target", name
    assert (tmp_path / "outside" / "precious.txt").read_text() == "not symfisher's"
    assert (cache / "linkdir").is_symlink() and (cache / "kernels" / f"k_{KEY[::-1]}.py").is_symlink()
    assert not (cache / "kernels" / f"k_{KEY}.py").exists()  # base b6723fa deleted photos/ as well


def test_cache_cli_with_symlinked_subdir_has_no_traceback(tmp_path: Path) -> None:
    cache = tmp_path / "c"
    cache.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / f"k_{KEY}.py").write_text("keep")
    (cache / "kernels").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    env = dict(os.environ, SYMFISHER_CACHE=str(cache))
    for action in ("list", "info", "clear"):
        res = subprocess.run(
            [sys.executable, "-m", "symfisher", "cache", action],
            check=False,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    assert (tmp_path / "elsewhere" / f"k_{KEY}.py").read_text() == "keep"


A = sp.Symbol("a", positive=True)


def _compile_value(n: int) -> np.ndarray:
    return sf.compile(1 / A**3 + n, [A])(np.array([1.0, 2.0]))


def test_kernels_dir_unwritable_falls_back_with_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import symfisher.codegen.cache as kc

    monkeypatch.setenv("SYMFISHER_CACHE", str(tmp_path / "ro"))

    def denied(path: Path, body: str) -> Path:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(
        kc,
        "write_verified",
        lambda p, b: denied(p, b) if "ro" in str(p) else write_verified(p, b),
    )
    with pytest.warns(RuntimeWarning, match="Permission denied"):
        np.testing.assert_allclose(_compile_value(11), [12.0, 11.125], rtol=1e-15)


def test_disk_full_falls_back_with_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import symfisher._runtime.cachedir as cd

    monkeypatch.setenv("SYMFISHER_CACHE", str(tmp_path / "full"))
    real = cd._write_temp

    def enospc(directory: Path, name: str, text: str) -> Path:
        if "full" in str(directory):
            raise OSError(errno.ENOSPC, "No space left on device", str(directory))
        return real(directory, name, text)

    monkeypatch.setattr(cd, "_write_temp", enospc)
    with pytest.warns(RuntimeWarning, match="No space left"):
        np.testing.assert_allclose(_compile_value(12), [13.0, 12.125], rtol=1e-15)
    assert not any((tmp_path / "full" / "kernels").glob("*.tmp"))


def test_kernel_path_replaced_by_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from symfisher.codegen.cache import kernel_key
    from symfisher.codegen.spec import make_spec

    monkeypatch.setenv("SYMFISHER_CACHE", str(tmp_path / "dircache"))
    key = kernel_key(make_spec(1 / A**3 + 13, [A]))
    blocker = tmp_path / "dircache" / "kernels" / f"k_{key}.py"
    blocker.mkdir(parents=True)
    with pytest.warns(RuntimeWarning, match="kernel"):
        np.testing.assert_allclose(_compile_value(13), [14.0, 13.125], rtol=1e-15)
    assert blocker.is_dir()  # left alone


def test_symlinked_kernels_dir_is_not_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "target").mkdir()
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "kernels").symlink_to(tmp_path / "target", target_is_directory=True)
    monkeypatch.setenv("SYMFISHER_CACHE", str(tmp_path / "root"))
    with pytest.warns(RuntimeWarning, match="symbolic link"):
        np.testing.assert_allclose(_compile_value(14), [15.0, 14.125], rtol=1e-15)
    assert not any((tmp_path / "target").iterdir())


CHILD = """
import sys, numpy as np, sympy as sp, symfisher as sf
a = sp.Symbol("a", positive=True)
print(sf.compile(1/a**3 + 15, [a])(np.array([1.0, 2.0])).tolist())
"""


@pytest.mark.slow
def test_damaged_numba_cache_is_rebuilt(tmp_path: Path) -> None:
    env = dict(os.environ, SYMFISHER_CACHE=str(tmp_path / "nb"), PYTHONPATH=str(ROOT))

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", CHILD],
            check=False,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert run().stdout.strip() == "[16.0, 15.125]"
    files = list((tmp_path / "nb" / "kernels" / "__pycache__").glob("*.nb[ic]"))
    assert files
    for f in files:
        f.write_bytes(f.read_bytes()[:40])  # truncated: UnpicklingError / EOFError inside Numba
    res = run()
    assert res.returncode == 0 and res.stdout.strip() == "[16.0, 15.125]", res.stderr
    assert "damaged" in res.stderr and "Traceback" not in res.stderr
