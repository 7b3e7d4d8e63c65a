"""``symfisher kfac-error``: K-FAC error report for saved activations; tour step 40."""

from __future__ import annotations

import argparse
from typing import TextIO

from symfisher.commands.registry import Command, TourStep


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="an .npz file with arrays 'a' (N, d_in) and 'g' "
                                     "(N, d_out) or 'B' (N, d_out, k)")
    parser.add_argument("--method", default="auto",
                        choices=["auto", "gram", "dense", "sampled"])
    parser.add_argument("--pairs", type=int, default=200_000,
                        help="sampled pairs for --method sampled")
    parser.add_argument("--no-nearest", action="store_true",
                        help="skip the nearest-Kronecker power iteration")


def _run(args: argparse.Namespace) -> int:
    import numpy as np

    from symfisher.numeric.kfac.checks import ShapeError
    from symfisher.numeric.kfac.compute import kron_error

    with np.load(args.path) as data:
        names = set(data.files)
        if "a" not in names or not names & {"g", "B"}:
            raise ShapeError(f"{args.path}: needs an array 'a' and one of 'g' or 'B'; "
                             f"found {sorted(names)}")
        g = data["g"] if "g" in names else None
        B = data["B"] if g is None else None
        rep = kron_error(data["a"], g, B=B, method=args.method, num_pairs=args.pairs,
                         nearest=not args.no_nearest)
    print(rep.summary())
    return 0


def _tour(out: TextIO) -> None:
    import numpy as np

    from symfisher.numeric.kfac.compute import kron_error

    rng = np.random.default_rng(0)
    a = np.tanh(rng.standard_normal((2000, 64)) @ rng.standard_normal((64, 64)) / 8)
    g = rng.standard_normal((2000, 32)) * (1 + a[:, :1] ** 2)
    rep = kron_error(a, g)
    out.write("Exact error of K-FAC's kron(G, A) for a 32 x 64 layer, 2000 examples,\n"
              "without forming the 2048 x 2048 block (Gram identities):\n")
    out.write(rep.summary() + "\n")


COMMAND = Command("kfac-error", "exact K-FAC approximation error of saved layer activations",
                  _configure, _run)
TOUR = TourStep(40, "K-FAC: how wrong is the Kronecker approximation?", _tour)
