"""Kernel cache: concurrency, corruption, fallback directory, Numba cache reuse, determinism.

Real subprocesses: several interpreters compile the same kernel at once into one fresh
cache directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from symfisher._runtime import cachedir
from symfisher._runtime.cachedir import cache_root, content_key, read_verified, write_verified

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
from pathlib import Path
start = Path(sys.argv[1])
while not start.exists():
    time.sleep(0.005)
import numpy as np, sympy as sp, symfisher as sf
from symfisher.codegen.cache import kernel_key
from symfisher.codegen.spec import make_spec
from symfisher.codegen.writer import generate_source
from symfisher._runtime.cachedir import content_key
a, b = sp.symbols("a b", positive=True)
M = sp.Matrix([[sp.exp(-a) / b**2, a / b], [a / b, sp.log(1 + a * b) + 2 / b**2]])
t0 = time.perf_counter()
k = sf.compile(M, args=[a, b])
r = k(np.array([0.5, 1.5]), 2.0, parallel=False)
st = k.serial.stats
spec = make_spec(M, [a, b])
print(json.dumps({
    "path": str(k.path), "value": r.tolist(), "seconds": time.perf_counter() - t0,
    "hits": sum(st.cache_hits.values()), "misses": sum(st.cache_misses.values()),
    "key": kernel_key(spec), "source_hash": content_key(generate_source(spec, "k")),
}))
"""


def _spawn(cache: Path, start: Path, seed: int) -> subprocess.Popen[str]:
    env = dict(os.environ, SYMFISHER_CACHE=str(cache), PYTHONHASHSEED=str(seed))
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(start)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _results(procs: list[subprocess.Popen[str]]) -> list[dict]:
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def _run(cache: Path, seeds: list[int], tmp: Path) -> list[dict]:
    start = tmp / f"start-{time.monotonic_ns()}"
    procs = [_spawn(cache, start, s) for s in seeds]
    start.touch()  # release all children at once
    return _results(procs)


@pytest.mark.slow
def test_concurrent_compiles_then_cached_reuse_then_repair(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _run(cache, [1, 2], tmp_path)
    # all succeed with identical results and one valid file
    assert len({r["path"] for r in first}) == 1
    assert all(r["value"] == first[0]["value"] for r in first)
    kdir = cache / "kernels"
    files = sorted(p.name for p in kdir.iterdir() if p.is_file() and not p.name.startswith(".symfisher"))
    assert files == [Path(first[0]["path"]).name], files  # no temporaries left behind
    path = Path(first[0]["path"])
    assert read_verified(path) is not None
    assert (cache.stat().st_mode & 0o777) == 0o700 and (kdir.stat().st_mode & 0o777) == 0o700
    # the key and the generated text do not depend on Python's hash randomisation
    assert len({r["key"] for r in first}) == 1 and len({r["source_hash"] for r in first}) == 1

    # a second process neither rewrites the file nor recompiles (Numba cache hit)
    stamp = path.stat().st_mtime_ns
    (again,) = _run(cache, [4], tmp_path)
    assert again["hits"] >= 1 and again["misses"] == 0, again
    assert path.stat().st_mtime_ns == stamp
    assert again["value"] == first[0]["value"]

    # a truncated file is detected and rebuilt
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    assert read_verified(path) is None
    (repaired,) = _run(cache, [5], tmp_path)
    assert read_verified(path) is not None and path.read_text() == text
    assert repaired["value"] == first[0]["value"]


RACER = r"""
import sys, time
from pathlib import Path
from symfisher._runtime.cachedir import write_verified
d, start = Path(sys.argv[1]), Path(sys.argv[2])
while not start.exists():
    time.sleep(0.001)
for i in range(300):
    write_verified(d / f"entry{i}", f"payload {i}\n" * 2000)
"""


def test_write_verified_races_between_processes(tmp_path: Path) -> None:
    """Four processes write the same 300 entries at once: every entry ends up valid."""
    start = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(tmp_path), str(start)], cwd=ROOT, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    time.sleep(0.3)
    start.touch()
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    names = sorted(p.name for p in tmp_path.iterdir() if p.name != "go")
    assert names == sorted(f"entry{i}" for i in range(300))  # no temporary files left
    for i in range(300):
        assert read_verified(tmp_path / f"entry{i}") == f"payload {i}\n" * 2000


def test_write_verified_keeps_valid_and_replaces_damaged(tmp_path: Path) -> None:
    target = tmp_path / content_key("entry")
    write_verified(target, "body one\n")
    stamp = target.stat().st_mtime_ns
    write_verified(target, "body one\n")
    assert target.stat().st_mtime_ns == stamp  # never replaced while valid
    target.write_text(target.read_text().replace("one", "two"))  # damaged: hash mismatch
    assert read_verified(target) is None
    write_verified(target, "body one\n")
    assert read_verified(target) == "body one\n"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_content_key_is_unambiguous() -> None:
    assert content_key("ab", "c") != content_key("a", "bc")
    assert content_key("x") == content_key("x") and len(content_key("x")) == 64


def test_unusable_cache_dir_falls_back_to_temp_with_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("SYMFISHER_CACHE", str(blocker / "cache"))
    with pytest.warns(RuntimeWarning, match="cannot be created or is not writable"):
        root = cache_root()
    assert root.is_dir() and root != blocker / "cache"
    assert (root.stat().st_mode & 0o777) == 0o700
    assert cachedir.cache_subdir("kernels").parent == root


def test_read_only_cache_dir_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A directory where creating files fails (EACCES) is replaced by a temporary one.

    Root ignores permission bits (CI runs as root), so the refusal is simulated where the
    operating system would report it: creating the probe file in that directory fails.
    """
    import errno
    import tempfile

    ro = tmp_path / "ro"
    ro.mkdir(mode=0o500)
    real_mkstemp = tempfile.mkstemp

    def refusing_mkstemp(*args: object, dir: object = None, **kw: object) -> tuple[int, str]:
        if dir is not None and Path(str(dir)) == ro:
            raise PermissionError(errno.EACCES, "Permission denied", str(ro))
        return real_mkstemp(*args, dir=dir, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(tempfile, "mkstemp", refusing_mkstemp)
    monkeypatch.setenv("SYMFISHER_CACHE", str(ro))
    try:
        with pytest.warns(RuntimeWarning, match="not writable"):
            root = cache_root()
        assert root != ro
    finally:
        ro.chmod(0o700)


def test_compile_in_fallback_dir_still_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np
    import sympy as sp

    import symfisher as sf

    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("SYMFISHER_CACHE", str(blocker / "x"))
    a = sp.Symbol("a", positive=True)
    with pytest.warns(RuntimeWarning):
        k = sf.compile(1 / a**3, [a])
    assert not str(k.path).startswith(str(blocker))
    np.testing.assert_allclose(k(np.array([1.0, 2.0])), [1.0, 0.125], rtol=1e-15)


def test_cli_cache_list_info_clear(tmp_path: Path) -> None:
    cache = tmp_path / "clicache"
    env = dict(os.environ, SYMFISHER_CACHE=str(cache))
    kdir = cache / "kernels"
    kdir.mkdir(parents=True)
    good, bad = f"k_{'a' * 64}.py", f"k_{'b' * 64}.py"  # symfisher's names carry a content key
    write_verified(kdir / good, "x = 1\n")
    (kdir / bad).write_text("# symfisher-sha256: 0\nx = 2\n")

    def cli(*args: str) -> str:
        res = subprocess.run(
            [sys.executable, "-m", "symfisher", "cache", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert res.returncode == 0, res.stderr
        return res.stdout

    listing = cli("list")
    assert f"kernels/{good}" in listing and "valid" in listing
    assert f"kernels/{bad}" in listing and "DAMAGED" in listing
    info = cli("info")
    assert str(cache) in info and "kernels" in info and "2 entries" in info
    assert "removed 2 entries" in cli("clear", "--kind", "kernels")
    assert not any(kdir.glob("k_*"))
