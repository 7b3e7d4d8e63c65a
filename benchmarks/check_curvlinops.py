"""Check sf.torch's K-FAC factors against curvlinops' KFACLinearOperator (benchmark venv only).

Scaling convention (both): the loss is the SUM over data (``reduction="sum"``), ``A`` the
MEAN over data of ``u u^T`` (``expand``: over data and positions, ``reduce``: of the
position-averaged patches) and ``G`` the SUM of ``g g^T`` over data (and positions for
``expand``; of the position-summed gradients for ``reduce``), fisher_type ``"type-2"``
(exact GGN factors). Prints the largest relative difference per factor.

Run: ``PYTHONPATH=. /work/venv-bench/bin/python benchmarks/check_curvlinops.py``.
"""

from __future__ import annotations

import numpy as np
import torch
from curvlinops import KFACLinearOperator
from torch import nn

from symfisher.numeric.kfac.sharing import KfacApprox
from symfisher.numeric.laplace.catalog import make_likelihood
from symfisher.torch.blocks import torch_factors
from symfisher.torch.hooks import capture, factor_function


def main() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1),
        nn.Tanh(),
        nn.Conv2d(4, 3, 3, stride=2),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(12, 5),
        nn.Tanh(),
        nn.Linear(5, 3),
    ).double()
    X, y = torch.randn(40, 2, 6, 6, dtype=torch.float64), torch.randint(0, 3, (40,))
    data = [(X[:25], y[:25]), (X[25:], y[25:])]
    cap = capture(net, data, factor_function(make_likelihood("categorical"), "ggn"))
    for approx in ("expand", "reduce"):
        op = KFACLinearOperator(
            net,
            nn.CrossEntropyLoss(reduction="sum"),
            list(net.parameters()),
            data,
            fisher_type="type-2",
            kfac_approx=approx,
            check_deterministic=False,
        )
        op.compute_kronecker_factors()
        for L in cap.layers:
            A, G, _ = torch_factors(L.u_t, L.g_t, KfacApprox(approx))
            A_c = op._input_covariances[L.spec.name]
            G_c = op._gradient_covariances[L.spec.name]
            da = float((A - A_c).abs().max() / A_c.abs().max())
            dg = float((G - G_c).abs().max() / G_c.abs().max())
            print(f"{approx:<7} layer {L.spec.name:<3} ({L.spec.kind}): max rel. diff A {da:.1e}, G {dg:.1e}")
    assert np.isfinite(da)


if __name__ == "__main__":
    main()
