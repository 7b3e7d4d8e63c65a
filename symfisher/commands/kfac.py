"""``symfisher kfac-error``: K-FAC error report for saved activations; tour step 40."""

from __future__ import annotations

import argparse
from typing import TextIO

from symfisher.commands.registry import Command, TourStep


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="an .npz file with arrays 'a' (N, d_in) and 'g' (N, d_out) or 'B' (N, d_out, k)")
    parser.add_argument("--method", default="auto", choices=["auto", "gram", "dense", "sampled"])
    parser.add_argument("--pairs", type=int, default=200_000, help="sampled pairs (triples) for --method sampled")
    parser.add_argument(
        "--cross",
        default="exact",
        choices=["exact", "sampled"],
        help="<F, G (x) A>: exact (O(N d^2), like the factors) or estimated from "
        "the sampled triples (implies --method sampled)",
    )
    parser.add_argument("--seed", type=int, default=0, help="RNG seed for --method sampled")
    parser.add_argument("--no-nearest", action="store_true", help="skip the nearest-Kronecker power iteration")


def _run(args: argparse.Namespace) -> int:
    import numpy as np

    from symfisher.errors import SymfisherError
    from symfisher.numeric.kfac.checks import ShapeError
    from symfisher.numeric.kfac.compute import kron_error

    try:
        data = np.load(args.path)
    except (OSError, ValueError) as exc:
        raise SymfisherError(f"cannot read {args.path!r} as an .npz archive: {exc}") from None
    with data:
        names = set(data.files)
        if "a" not in names or not names & {"g", "B"}:
            raise ShapeError(f"{args.path}: needs an array 'a' and one of 'g' or 'B'; found {sorted(names)}")
        arrays = {}
        for key in ("a", "g", "B") if "g" not in names else ("a", "g"):
            if key not in names:
                continue
            try:
                arrays[key] = data[key]
            except ValueError as exc:  # object arrays need pickle, which can run code
                raise SymfisherError(
                    f"{args.path}: array {key!r} is an object array ({exc}); object arrays are "
                    "refused because loading them unpickles, which can run arbitrary code. "
                    "Save plain numeric arrays (np.savez(path, a=a.astype(float), ...))"
                ) from None
        g, B = arrays.get("g"), arrays.get("B")
        rep = kron_error(
            arrays["a"],
            g,
            B=B,
            method=args.method,
            num_pairs=args.pairs,
            nearest=not args.no_nearest,
            cross=args.cross,
            seed=args.seed,
        )
    print(rep.summary())
    return 0


def _tour(out: TextIO) -> None:
    import numpy as np

    import symfisher as sf
    from symfisher.numeric.kfac.compute import kron_error

    rng = np.random.default_rng(0)
    a = np.tanh(rng.standard_normal((800, 48)) @ rng.standard_normal((48, 48)) / 7)
    g = rng.standard_normal((800, 24)) * (1 + a[:, :1] ** 2)
    rep = kron_error(a, g, method="gram")
    out.write(
        "Exact error of K-FAC's kron(G, A) for a 24 x 48 layer and 800 examples,\n"
        "without forming the 1152 x 1152 block (Gram identities):\n"
    )
    out.write(rep.summary() + "\n\n")
    net = sf.nn.MLP.random([4, 10, 1], rng, activation="tanh")
    X = rng.standard_normal((200, 4))
    y = net.forward(X)[:, 0] + 0.2 * rng.standard_normal(200)
    out.write("Laplace posterior of a 4-10-1 tanh MLP (Gaussian, sigma = 0.2), prior fitted\nby marginal likelihood:\n")
    for structure in ("full", "kron", "diag"):
        lap = sf.laplace(net, X, y, sigma=0.2, structure=structure).optimize_prior_precision()
        out.write(
            f"  {structure:<5} tau = {lap.prior_precision[0]:7.3f}   log det P = "
            f"{lap.log_det_posterior_precision:9.2f}   log marglik = "
            f"{lap.log_marginal_likelihood():9.2f}\n"
        )


COMMAND = Command("kfac-error", "exact K-FAC approximation error of saved layer activations", _configure, _run)
TOUR = TourStep(40, "K-FAC: how wrong is the Kronecker approximation?", _tour)
