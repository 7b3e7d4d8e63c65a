"""The frozen result of a K-FAC error computation.

Conventions (shared by every module of :mod:`symfisher.numeric.kfac`): a layer's
weights are ``(d_out, d_in)``, vectorised row-major, so the weight block of the
curvature is ``kron(G, A)`` with ``G`` (d_out x d_out) first. For layer inputs
``a_n`` (d_in) and per-example output factors ``B_n`` (d_out x k) the exact block is
``F = sum_n (B_n B_n^T) kron (a_n a_n^T)``; K-FAC uses ``G = sum_n B_n B_n^T`` (a sum)
and ``A = (1/N) sum_n a_n a_n^T`` (a mean).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from symfisher.options import KronMethod


@dataclass(frozen=True)
class KronErrorReport:
    """How far K-FAC's ``kron(G, A)`` is from the exact block ``F``.

    Attributes
    ----------
    frobenius : float
        ``||F - G kron A||_F``.
    relative_frobenius : float
        ``frobenius / ||F||_F``.
    nearest_relative_frobenius : float or None
        Relative error of the best Kronecker product ``X kron Y`` (Van Loan-Pitsianis);
        ``None`` if not computed.
    ekfac_relative_frobenius : float or None
        Relative error of eigenvalue-corrected K-FAC (George et al. 2018).
    A : ndarray, shape (d_in, d_in)
        Mean of ``a_n a_n^T``.
    G : ndarray, shape (d_out, d_out)
        Sum of ``B_n B_n^T``.
    exact_norm : float
        ``||F||_F``.
    kfac_norm : float
        ``||G kron A||_F = ||G||_F ||A||_F``.
    n, k : int
        Number of examples and columns of each factor ``B_n`` (1 for gradients).
    method : KronMethod
        How ``||F||^2`` was obtained.
    confidence_interval : tuple of float or None
        For ``method == "sampled"``: a delta-method interval for ``relative_frobenius``.
    num_pairs : int or None
        For ``method == "sampled"``: number of sampled off-diagonal pairs (of sampled
        triples ``(n, m, l)`` when the cross term is sampled too).
    cross : float or None
        ``<F, G kron A>`` as used: exact, or the unbiased estimate when
        ``cross="sampled"``.
    cross_std_error : float or None
        Standard error of ``cross`` when it was estimated, else ``None`` (exact).
    norm_sq_std_error : float or None
        For ``method == "sampled"``: standard error of the estimated ``||F||^2``.
    relative_std_error : float or None
        For ``method == "sampled"``: delta-method standard error of
        ``relative_frobenius`` (including the covariance of ``||F||^2`` and ``cross``
        when both come from the same sampled triples).
    """

    frobenius: float
    relative_frobenius: float
    nearest_relative_frobenius: float | None
    ekfac_relative_frobenius: float | None
    A: NDArray[np.float64] = field(repr=False)
    G: NDArray[np.float64] = field(repr=False)
    exact_norm: float
    kfac_norm: float
    n: int
    k: int
    method: KronMethod = KronMethod.GRAM
    confidence_interval: tuple[float, float] | None = None
    num_pairs: int | None = None
    cross: float | None = None  # set by kron_error on every route
    cross_std_error: float | None = None
    norm_sq_std_error: float | None = None
    relative_std_error: float | None = None

    @property
    def d_in(self) -> int:
        """Input dimension of the layer."""
        return int(self.A.shape[0])

    @property
    def d_out(self) -> int:
        """Output dimension of the layer."""
        return int(self.G.shape[0])

    def summary(self) -> str:
        """A few lines of text describing the report.

        Examples
        --------
        >>> import numpy as np
        >>> from symfisher.kfac import kron_error
        >>> print(kron_error(np.ones((1, 2)), np.ones((1, 3))).summary().splitlines()[0])
        K-FAC error for a 3 x 2 weight block (N = 1, k = 1, method dense)
        """
        rows = [
            ("||F||_F", f"{self.exact_norm:.6e}"),
            ("||F - G (x) A||_F", f"{self.frobenius:.6e}"),
            ("relative error, K-FAC", f"{self.relative_frobenius:.6f}"),
        ]
        if self.confidence_interval is not None:
            lo, hi = self.confidence_interval
            what = "triples" if self.cross_std_error is not None else "pairs"
            rows.append((f"95% interval ({self.num_pairs} {what})", f"[{lo:.6f}, {hi:.6f}]"))
        if self.cross_std_error is not None:
            rows.append(("<F, G (x) A> (sampled)", f"{self.cross:.6e} +- {self.cross_std_error:.2e}"))
        if self.nearest_relative_frobenius is not None:
            rows.append(("relative error, nearest Kron", f"{self.nearest_relative_frobenius:.6f}"))
        if self.ekfac_relative_frobenius is not None:
            rows.append(("relative error, EKFAC", f"{self.ekfac_relative_frobenius:.6f}"))
        lines = [
            f"K-FAC error for a {self.d_out} x {self.d_in} weight block "
            f"(N = {self.n}, k = {self.k}, method {self.method.value})"
        ]
        lines += [f"  {label:<32}{value}" for label, value in rows]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict (the factors as nested lists are left out: they can be large)."""
        return {
            "d_out": self.d_out,
            "d_in": int(self.A.shape[0]),
            "n": self.n,
            "k": self.k,
            "method": self.method.value,
            "frobenius": self.frobenius,
            "relative_frobenius": self.relative_frobenius,
            "exact_norm": self.exact_norm,
            "kfac_norm": self.kfac_norm,
            "nearest_relative_frobenius": self.nearest_relative_frobenius,
            "ekfac_relative_frobenius": self.ekfac_relative_frobenius,
            "confidence_interval": self.confidence_interval,
            "num_pairs": self.num_pairs,
        }


def relative_from_squares(f_sq: float, cross: float, k_sq: float) -> tuple[float, float]:
    """``(||F - K||, ||F - K|| / ||F||)`` from ``||F||^2``, ``<F, K>`` and ``||K||^2``.

    The difference of squares loses about half the digits: the absolute error is
    about ``sqrt(eps) ||F||``, so a tiny negative value is clamped to zero.

    Examples
    --------
    >>> relative_from_squares(4.0, 2.0, 1.0)
    (1.0, 0.5)
    """
    err_sq = max(f_sq - 2.0 * cross + k_sq, 0.0)
    err = math.sqrt(err_sq)
    return err, (err / math.sqrt(f_sq) if f_sq > 0 else 0.0)
