"""The on-disk cache directory shared by kernels and derivations.

Every cached artefact is a *content-addressed*, *self-verifying* text file: its name
is a hash of what it was made from (see :func:`content_key`), and its first line
holds the SHA-256 of the rest of the file, so a truncated or damaged file is
detected before it is used (:func:`read_verified`) and rebuilt.

Writes are atomic and write-if-absent (:func:`write_verified`): the body goes to a
temporary file in the same directory, which is then hard-linked into place; the
link fails if a file already exists, so a valid file is never replaced (Numba's own
cache index is keyed on the source file's modification time and size; replacing a
file would force every process to recompile). Several processes may write the same
entry at once: all succeed and exactly one valid file remains.

Threat model
------------
Generated kernels are Python code that is imported and executed. The cache
directory must therefore be trusted exactly like any other directory on the
user's module path: it is created private to the user (mode 0700), but anyone who
can write to it can run code as the user. The content hash protects against
accidental damage (truncation, disk errors), not against a malicious writer.

This module imports neither SymPy nor Numba.

Examples
--------
>>> from symfisher._runtime.cachedir import cache_subdir, content_key, write_verified, read_verified
>>> d = cache_subdir("doctest")                       # doctest: +SKIP
>>> p = write_verified(d / content_key("x**2", "v1"), "body\\n")   # doctest: +SKIP
>>> read_verified(p)                                  # doctest: +SKIP
'body\\n'
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import warnings
from pathlib import Path

from symfisher._runtime.caches import memo
from symfisher.errors import InputError

__all__ = ["cache_root", "cache_subdir", "content_key", "write_verified", "read_verified", "verified_body"]

_HEADER_PREFIX = "# symfisher-sha256: "
MARKER = ".symfisher-cache"
"""Marker file in every cache sub-directory symfisher creates (see ``symfisher cache clear``)."""
_ENV = "SYMFISHER_CACHE"


def _platform_cache_dir() -> Path:
    """The platform's per-user cache directory for symfisher (not created)."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "symfisher"
    if sys.platform.startswith("win"):
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "symfisher" / "Cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "symfisher"


def _usable_dir(path: Path) -> bool:
    """Create ``path`` (mode 0700) if needed and check that files can be created in it."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.is_dir():
            return False
        fd, probe = tempfile.mkstemp(dir=path, prefix=".probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError:
        return False
    return True


@memo(maxsize=None)
def _resolve_root(requested: str) -> Path:
    """The usable cache directory for the requested one (cached per requested path).

    The cache makes the temporary fallback stable within one process: every call that
    asks for the same unusable directory gets the same temporary directory.
    """
    path = Path(requested).expanduser()
    if _usable_dir(path):
        return path
    fallback = Path(tempfile.mkdtemp(prefix="symfisher-cache-"))  # mkdtemp: mode 0700
    warnings.warn(
        f"symfisher cache directory {str(path)!r} cannot be created or is not writable; "
        f"using the temporary directory {str(fallback)!r} instead "
        f"(set {_ENV} to choose another location)",
        RuntimeWarning,
        stacklevel=3,
    )
    return fallback


def cache_root() -> Path:
    """The root of symfisher's on-disk cache.

    ``$SYMFISHER_CACHE`` if set, else the platform's user cache directory
    (``$XDG_CACHE_HOME/symfisher`` or ``~/.cache/symfisher`` on Linux,
    ``~/Library/Caches/symfisher`` on macOS, ``%LOCALAPPDATA%\\symfisher\\Cache`` on
    Windows). The directory is created with mode 0700. If it cannot be created or is
    not writable, a private temporary directory is used instead and a
    :class:`RuntimeWarning` is issued (once per process and requested path).

    Returns
    -------
    pathlib.Path
        An existing, writable directory.

    Examples
    --------
    >>> from symfisher._runtime.cachedir import cache_root
    >>> cache_root().is_dir()
    True
    """
    requested = os.environ.get(_ENV) or str(_platform_cache_dir())
    return _resolve_root(requested)


def cache_subdir(name: str) -> Path:
    """A named sub-directory of :func:`cache_root` (created with mode 0700).

    Parameters
    ----------
    name : str
        A plain directory name such as ``"kernels"`` or ``"derivations"``.

    Returns
    -------
    pathlib.Path
        An existing directory.

    Raises
    ------
    ValueError
        If ``name`` is empty or contains a path separator or ``..``.

    Examples
    --------
    >>> from symfisher._runtime.cachedir import cache_subdir
    >>> cache_subdir("kernels").name
    'kernels'
    """
    if not name or name in {".", ".."} or "/" in name or "\\" in name:
        raise InputError(f"cache sub-directory name {name!r} must be a plain directory name")
    root = cache_root()
    sub = root / name
    try:
        if sub.is_symlink():
            raise OSError("it is a symbolic link (symfisher does not follow links in its cache)")
        sub.mkdir(mode=0o700, exist_ok=True)
        marker = sub / MARKER
        if not marker.exists():
            marker.write_text("symfisher cache directory: `symfisher cache clear` removes the entries it wrote here\n")
    except OSError as exc:
        from symfisher.errors import CacheError

        raise CacheError(f"cannot use cache sub-directory {str(sub)!r}: {exc}") from exc
    return sub


def content_key(*parts: str) -> str:
    """SHA-256 hex digest of a sequence of strings, with an unambiguous encoding.

    Each part is prefixed by its length in bytes, so ``("ab", "c")`` and
    ``("a", "bc")`` give different keys.

    Parameters
    ----------
    *parts : str
        The strings that identify the content (canonical expression, options, versions).

    Returns
    -------
    str
        64 lowercase hexadecimal characters.

    Examples
    --------
    >>> from symfisher._runtime.cachedir import content_key
    >>> content_key("ab", "c") != content_key("a", "bc")
    True
    >>> len(content_key("x"))
    64
    """
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8")
        h.update(f"{len(data)}:".encode("ascii"))
        h.update(data)
    return h.hexdigest()


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def read_verified(path: Path) -> str | None:
    """The body of a cache file if it exists and matches its recorded hash.

    Parameters
    ----------
    path : pathlib.Path
        A file written by :func:`write_verified`.

    Returns
    -------
    str or None
        The body (the file without its header line), or ``None`` if the file is
        missing, unreadable, truncated or damaged.

    Examples
    --------
    >>> from pathlib import Path
    >>> from symfisher._runtime.cachedir import read_verified
    >>> read_verified(Path("/nonexistent/file")) is None
    True
    """
    try:
        raw = Path(path).read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return verified_body(text)


def verified_body(text: str) -> str | None:
    """The body of the text of a cache file if it matches its recorded hash, else ``None``.

    Used for files received from elsewhere (a kernel unpickled on a Dask worker) before
    they are written with :func:`write_verified`.

    Examples
    --------
    >>> from symfisher._runtime.cachedir import verified_body
    >>> verified_body("# symfisher-sha256: 0\\nbody") is None
    True
    """
    header, sep, body = text.partition("\n")
    if not sep or not header.startswith(_HEADER_PREFIX):
        return None
    if header[len(_HEADER_PREFIX) :].strip() != _digest(body):
        return None
    return body


def _write_temp(directory: Path, name: str, text: str) -> Path:
    """Write ``text`` to a new private temporary file in ``directory`` and fsync it."""
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _link_into_place(tmp: Path, path: Path) -> None:
    """Move ``tmp`` to ``path`` unless a valid file is already there."""
    try:
        os.link(tmp, path)  # atomic; fails if path exists
        return
    except FileExistsError:
        if read_verified(path) is not None:
            return  # another writer won, or the entry was already valid: keep it
    except OSError:
        # hard links unsupported on this file system: an exclusive rename is not
        # available portably, so only rename when no valid file is present.
        if read_verified(path) is not None:
            return
    os.replace(tmp, path)  # the existing file is damaged (or no links): replace atomically


def write_verified(path: Path, body: str) -> Path:
    """Write a self-verifying cache file, atomically and only if no valid one exists.

    The file is a header line ``# symfisher-sha256: <hex digest of body>`` followed by
    ``body``. A valid existing file is never replaced (even if its body differs: the
    name is a content key, so equal names mean equal content); a damaged one is
    replaced atomically. Safe when several processes write the same path at once.

    Parameters
    ----------
    path : pathlib.Path
        Destination; its directory must exist.
    body : str
        The file's content (text).

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from symfisher._runtime.cachedir import write_verified, read_verified
    >>> p = write_verified(Path(tempfile.mkdtemp()) / "entry.txt", "hello\\n")
    >>> read_verified(p)
    'hello\\n'
    """
    path = Path(path)
    if read_verified(path) is not None:
        return path
    tmp = _write_temp(path.parent, path.name, f"{_HEADER_PREFIX}{_digest(body)}\n{body}")
    try:
        _link_into_place(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
