"""PyTorch bridge (optional extra ``torch``): K-FAC errors and Laplace for ``nn.Module`` s.

Nothing outside :mod:`symfisher.torch` imports torch; this package imports it on first
use of a public name.

Conventions: a supported layer's weight is the matrix ``(d_out, d_in)`` (Conv2d:
``weight.reshape(C_out, C_in kh kw)``), vectorised row-major, so a curvature block is
``kron(G, A)`` with ``G`` (d_out x d_out) first; ``A`` is a MEAN over data of ``u u^T``
(layer inputs / patches), ``G`` a SUM of ``g g^T`` (the likelihood's output factors pulled
back to the layer output), so ``kron(G, A)`` approximates the summed-loss block.

* :func:`kfac_errors` — exact relative Frobenius error of K-FAC for every layer
  (nearest-Kronecker and EKFAC alongside), ``.summary()`` worst first;
* :func:`laplace` — Laplace posterior (``kron``/``diag``/``full``, ``subset="all"`` or
  ``"last_layer"``) with log marginal likelihood, prior optimisation, GLM predictive and
  sampling, for any likelihood symfisher derives;
* :func:`capture` — the underlying one-pass capture of inputs ``u`` and factors ``g``.

Examples
--------
>>> import torch, symfisher as sf
>>> _ = torch.manual_seed(0)
>>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
>>> X, y = torch.randn(64, 4), torch.randint(0, 3, (64,))
>>> table = sf.torch.kfac_errors(net, (X, y), likelihood="categorical")
>>> [e.name for e in table.layers], all(0 <= e.kfac < 1 for e in table.layers)
(['0', '2'], True)
"""

from __future__ import annotations

from symfisher._runtime.lazy import lazy_attributes

_LAZY: dict[str, tuple[str, str]] = {
    "kfac_errors": ("symfisher.torch.api", "kfac_errors"),
    "capture": ("symfisher.torch.api", "capture_layers"),
    "laplace": ("symfisher.torch.posterior", "laplace"),
    "TorchLaplace": ("symfisher.torch.posterior", "TorchLaplace"),
    "ErrorTable": ("symfisher.torch.errors_table", "ErrorTable"),
    "LayerError": ("symfisher.torch.errors_table", "LayerError"),
    "discover": ("symfisher.torch.layers", "discover"),
}

__all__ = [
    "ErrorTable",
    "LayerError",
    "TorchLaplace",
    "capture",
    "discover",
    "kfac_errors",
    "laplace",
]


__getattr__, __dir__ = lazy_attributes("symfisher.torch", _LAZY, globals())
