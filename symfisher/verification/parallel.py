"""Verify several families, in parallel worker processes, with progress on stderr."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TextIO

from symfisher.errors import InputError
from symfisher.verification.report import Row, VerifyReport

__all__ = ["VerifyOptions", "verify_many", "default_jobs", "expected_cost"]


@dataclass(frozen=True)
class VerifyOptions:
    """Options of :func:`symfisher.verification.runner.verify` shared by every family.

    Attributes
    ----------
    identities : tuple of str or None
        Identity names (None: all).
    points : int
        Random parameter points of the numeric checks.
    dps : int
        mpmath digits.
    budget : float
        Seconds per identity (and per shared derivation) before it is inconclusive.
    """

    identities: tuple[str, ...] | None = None
    points: int = 3
    dps: int = 30
    budget: float = 60.0


def default_jobs() -> int:
    """Number of CPUs this process may use (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def expected_cost(name: str) -> float:
    """A rough relative cost of verifying a catalog family (for longest-first order).

    Non-regular families fail their identities at once (cost 0.1). Otherwise the
    tensors grow like p² (p parameters) and the expectations with the number of data
    variables d; special functions (Bessel, Γ, ψ) in ℓ and the numeric routes of a
    family that is not an exponential family each double it. Only the order matters.

    Parameters
    ----------
    name : str
        A catalog family name.

    Returns
    -------
    float

    Examples
    --------
    >>> expected_cost("multivariate_normal") > expected_cost("poisson")
    True
    """
    import sympy as sp

    from symfisher.derive.expfam import detect_expfam
    from symfisher.families.registry import family

    fam = family(name)
    if not fam.regular:
        return 0.1
    cost = float(len(fam.params) ** 2 * len(fam.variables))
    ell = sp.sympify(fam.logpdf)
    if ell.has(sp.besseli, sp.besselk, sp.gamma, sp.loggamma, sp.polygamma, sp.beta):
        cost *= 2
    if detect_expfam(fam) is None:
        cost *= 2
    return cost


def _progress_line(k: int, n: int, row: Row) -> str:
    return f"[{k}/{n}] {row.family}: {row.identity} {row.status.value} ({row.seconds:.1f} s)"


def _one(name: str, k: int, n: int, opts: VerifyOptions, stream: TextIO | None) -> VerifyReport:
    """Verify one family, writing a progress line per identity to ``stream``."""
    from symfisher.verification.runner import verify

    out = stream if stream is not None else sys.stderr

    def progress(row: Row) -> None:
        print(_progress_line(k, n, row), file=out, flush=True)

    return verify(
        name, identities=opts.identities, points=opts.points, dps=opts.dps, budget=opts.budget, progress=progress
    )


def _worker(name: str, k: int, n: int, opts: VerifyOptions) -> VerifyReport:
    return _one(name, k, n, opts, None)


def verify_many(
    names: Sequence[str], opts: VerifyOptions = VerifyOptions(), jobs: int | None = None, stream: TextIO | None = None
) -> list[VerifyReport]:
    """Verify catalog families, ``jobs`` families at a time in separate processes.

    Every family runs in its own worker process (forked; each check inside it still
    runs under its own time budget), so the table is the same as a serial run. The
    families are handed to the workers longest first (:func:`expected_cost`), so the
    workers finish at about the same time; the result keeps the order of ``names``. A
    progress line per identity goes to ``stream`` (default ``sys.stderr``) as soon as
    it is done; with ``jobs > 1`` lines of different families interleave.

    Parameters
    ----------
    names : sequence of str
        Catalog family names, length F.
    opts : VerifyOptions
        Identities, points, digits and budget.
    jobs : int, optional
        Worker processes (default: :func:`default_jobs`); 1 runs in this process.
    stream : text stream, optional
        Where progress goes for ``jobs == 1`` (workers write to ``sys.stderr``).

    Returns
    -------
    list of VerifyReport
        Length F, in the order of ``names``.

    Raises
    ------
    ValueError
        ``jobs`` < 1.

    Examples
    --------
    >>> from symfisher.verification.parallel import VerifyOptions, verify_many
    >>> reps = verify_many(["poisson", "exponential"], VerifyOptions(("fisher_spd",)),
    ...                    jobs=2)                                      # doctest: +SKIP
    >>> [r.rows[0].status.value for r in reps]                          # doctest: +SKIP
    ['proved', 'proved']
    """
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise InputError(f"jobs must be at least 1, got jobs={jobs}")
    n = len(names)
    if jobs == 1 or n <= 1:
        return [_one(name, k, n, opts, stream) for k, name in enumerate(names, 1)]
    import multiprocessing

    sys.stdout.flush()
    sys.stderr.flush()
    ctx = multiprocessing.get_context("fork")
    out: dict[int, VerifyReport] = {}
    order = sorted(enumerate(names, 1), key=lambda kn: -expected_cost(kn[1]))
    with ProcessPoolExecutor(max_workers=min(jobs, n), mp_context=ctx) as pool:
        futs = {pool.submit(_worker, name, k, n, opts): k for k, name in order}
        for fut in as_completed(futs):
            out[futs[fut]] = fut.result()
    return [out[k] for k in range(1, n + 1)]
