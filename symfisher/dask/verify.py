"""Verification of family × identity cells on a Dask cluster.

The unit of work is the local runner's (:func:`symfisher.verification.runner.verify`)
restricted to one identity: each cell runs ``verify(family, identities=[identity])`` on
a worker (its shared derivations come from the disk cache when the worker shares it)
and returns that identity's row. Cells are submitted longest family first
(``priority=`` from :func:`~symfisher.verification.parallel.expected_cost`) with
``retries=`` (a cell whose worker died is rerun elsewhere); the rows are gathered in
request order and every requested cell must come back with exactly its row, so a
report never silently lacks one.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, TextIO

import distributed

from symfisher.dask.cluster import RETRIES, resolve
from symfisher.errors import InputError, SymfisherError
from symfisher.verification.parallel import VerifyOptions, expected_cost
from symfisher.verification.registry import select
from symfisher.verification.report import Row, VerifyReport

__all__ = ["verify_many", "verify_cell", "verify_on"]


def verify_cell(name: str, identity: str, opts: VerifyOptions) -> Row:
    """The row of one family × identity cell (the local runner on one identity)."""
    from symfisher.verification.runner import verify

    rep = verify(name, identities=[identity], points=opts.points, dps=opts.dps, budget=opts.budget)
    rows = [r for r in rep.rows if r.identity == identity]
    if len(rows) != 1:
        raise SymfisherError(f"verify({name!r}, [{identity!r}]) returned {len(rows)} rows for it")
    return rows[0]


def _line(k: int, n: int, row: Row) -> str:
    return f"[{k}/{n}] {row.family}: {row.identity} {row.status.value} ({row.seconds:.1f} s)"


def _identities(opts: VerifyOptions) -> list[str]:
    return [i.name for i in select(list(opts.identities) if opts.identities else None)]


def verify_many(
    names: Sequence[str],
    opts: VerifyOptions | None = None,
    *,
    client: Any = None,
    retries: int = RETRIES,
    progress: bool = True,
    stream: TextIO | None = None,
) -> list[VerifyReport]:
    """Verify catalog families with one Dask task per family × identity cell.

    Parameters
    ----------
    names : sequence of str
        Catalog family names, length F.
    opts : VerifyOptions, optional
        Identities (default all), points, digits and budget per identity.
    client : distributed.Client, optional
        Default: the current client.
    retries : int
        Times Dask reruns a cell whose worker failed.
    progress : bool
        One line per finished cell on ``stream`` (default ``sys.stderr``), as the local runner.
    stream : text stream, optional

    Returns
    -------
    list of VerifyReport
        Length F, in the order of ``names``, each with one row per requested identity in
        the order of the local runner (``seconds``: the sum of its cells' times).

    Raises
    ------
    SymfisherError
        A cell came back without its row (never a silently missing row).

    Examples
    --------
    >>> reps = verify_many(["poisson"], VerifyOptions(("fisher_spd",)), client=client)  # doctest: +SKIP
    """
    if retries < 0:
        raise InputError(f"retries must be >= 0, got retries={retries}")
    cl = resolve(client)
    opts = opts if opts is not None else VerifyOptions()
    idents = _identities(opts)
    cells = [(name, ident) for name in names for ident in idents]
    cost = {name: expected_cost(name) for name in dict.fromkeys(names)}
    futures = [
        cl.submit(verify_cell, name, ident, opts, retries=retries, priority=int(cost[name] * 10))
        for name, ident in cells
    ]
    if progress:
        out = stream if stream is not None else sys.stderr
        for k, fut in enumerate(distributed.as_completed(futures), 1):
            if fut.status == "finished":
                print(_line(k, len(cells), fut.result()), file=out, flush=True)
    rows = cl.gather(futures)
    return _reports(list(names), idents, rows)


def verify_on(address: str, names: Sequence[str], opts: VerifyOptions | None = None) -> list[VerifyReport]:
    """:func:`verify_many` on the cluster whose scheduler listens at ``address``
    (``symfisher verify --scheduler ADDRESS``); the connection is closed afterwards."""
    with distributed.Client(address) as client:
        return verify_many(names, opts, client=client)


def _reports(names: list[str], idents: list[str], rows: list[Row]) -> list[VerifyReport]:
    """One report per name from the rows of its cells, checking every cell has its row."""
    if len(rows) != len(names) * len(idents):
        raise SymfisherError(f"{len(names) * len(idents)} cells submitted, {len(rows)} rows gathered")
    reports = []
    for i, name in enumerate(names):
        own = rows[i * len(idents) : (i + 1) * len(idents)]
        for ident, row in zip(idents, own):
            if row.identity != ident:
                raise SymfisherError(f"cell {name} × {ident} returned the row of {row.identity!r}")
        family = own[0].family if own else name
        reports.append(VerifyReport(family, tuple(own), sum(r.seconds for r in own)))
    return reports
