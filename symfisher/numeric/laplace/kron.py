"""K-FAC posterior precision: per layer ``scale * kron(G, A) + tau I`` plus exact biases.

Weight blocks use the row-major vec of ``(d_out, d_in)`` weights, so the block is
``kron(G, A)`` with ``G = sum_n B_n B_n^T`` (a sum) and ``A = mean_n a_n a_n^T`` (a mean).
With ``G = U_G diag(l) U_G^T`` and ``A = U_A diag(m) U_A^T`` every operation goes through
the eigenvalues ``scale * l_i m_j + tau``: ``log det = sum_ij log(scale l_i m_j + tau)``.

Biases get their own exact block ``G`` (the GGN bias block is exactly ``sum_n B_n B_n^T``)
as in laplace-torch. With ``joint_bias=True`` the Martens-Grosse block over ``[W | b]``
uses inputs augmented by 1: its row-major order visits ``W[i, 0..d_in-1], b[i]`` for each
row ``i``, i.e. parameter positions ``w0 + i d_in + j`` and ``b0 + i`` interleaved.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from symfisher.errors import DomainError
from symfisher.numeric.kfac.error import kfac_factors
from symfisher.numeric.laplace.base import Array, Precision
from symfisher.numeric.laplace.full import DensePrecision


@dataclass(frozen=True, eq=False)
class KronBlock:
    """``scale * kron(G, A) + tau I`` through the eigendecompositions of ``G`` and ``A``.

    Examples
    --------
    >>> blk = KronBlock.from_factors(np.arange(4), np.eye(2), 2 * np.eye(2), np.ones(4))
    >>> round(blk.log_det(), 12)       # four eigenvalues 1 * 2 + 1
    4.394449154672
    """

    index: NDArray[np.intp]
    lam_g: Array = field(repr=False)
    U_g: Array = field(repr=False)
    lam_a: Array = field(repr=False)
    U_a: Array = field(repr=False)
    tau: float = 1.0
    scale: float = 1.0

    @classmethod
    def from_factors(cls, index: NDArray[np.intp], G: Array, A: Array, prior: Array, scale: float = 1.0) -> KronBlock:
        """Block from the factors ``G`` (d_out, d_out) and ``A`` (d_in, d_in)."""
        lam_g, U_g = np.linalg.eigh(G)
        lam_a, U_a = np.linalg.eigh(A)
        blk = cls(index, np.maximum(lam_g, 0.0), U_g, np.maximum(lam_a, 0.0), U_a)
        return blk.updated(prior, scale)

    def _eig(self) -> Array:
        return self.scale * np.outer(self.lam_g, self.lam_a) + self.tau

    def log_det(self) -> float:
        return float(np.sum(np.log(self._eig())))

    def solve(self, v: Array) -> Array:
        d_out, d_in = self.lam_g.size, self.lam_a.size
        V = v.reshape(d_out, d_in, -1)
        R = np.einsum("ia,ijr,jb->abr", self.U_g, V, self.U_a, optimize=True)
        R /= self._eig()[:, :, None]
        out = np.einsum("ai,ijr,bj->abr", self.U_g, R, self.U_a, optimize=True)
        return out.reshape(v.shape)

    def to_dense(self) -> Array:
        U = np.kron(self.U_g, self.U_a)
        return (U * self._eig().ravel()) @ U.T

    def inverse_diagonal(self) -> Array:
        return ((self.U_g**2) @ (1.0 / self._eig()) @ (self.U_a**2).T).ravel()

    def updated(self, prior: Array, scale: float) -> KronBlock:
        if np.ptp(prior) > 1e-12 * abs(prior[0]):
            raise DomainError("a K-FAC weight block needs one prior precision for the whole block")
        return KronBlock(self.index, self.lam_g, self.U_g, self.lam_a, self.U_a, float(prior[0]), scale)


@dataclass(frozen=True, eq=False)
class BlockDiagonal:
    """Block-diagonal precision; local order is the concatenation of the blocks' indices.

    Examples
    --------
    >>> b = DensePrecision(np.arange(1), np.eye(1), np.ones(1))
    >>> BlockDiagonal((b, b)).to_dense()
    array([[2., 0.],
           [0., 2.]])
    """

    blocks: tuple[Precision, ...]

    @property
    def index(self) -> NDArray[np.intp]:
        return np.concatenate([b.index for b in self.blocks])

    def _splits(self) -> list[int]:
        return list(np.cumsum([b.index.size for b in self.blocks])[:-1])

    def log_det(self) -> float:
        return float(sum(b.log_det() for b in self.blocks))

    def solve(self, v: Array) -> Array:
        parts = np.split(v, self._splits(), axis=0)
        return np.concatenate([b.solve(p) for b, p in zip(self.blocks, parts)], axis=0)

    def to_dense(self) -> Array:
        m = self.index.size
        out, start = np.zeros((m, m)), 0
        for b in self.blocks:
            s = b.index.size
            out[start : start + s, start : start + s] = b.to_dense()
            start += s
        return out

    def inverse_diagonal(self) -> Array:
        return np.concatenate([b.inverse_diagonal() for b in self.blocks])

    def updated(self, prior: Array, scale: float) -> BlockDiagonal:
        parts = np.split(prior, self._splits())
        return BlockDiagonal(tuple(b.updated(p, scale) for b, p in zip(self.blocks, parts)))


def joint_index(w_start: int, b_start: int, d_out: int, d_in: int) -> NDArray[np.intp]:
    """Parameter positions of the row-major ``[W | b]`` block (bias after each row).

    Examples
    --------
    >>> joint_index(0, 4, 2, 2)
    array([0, 1, 4, 2, 3, 5])
    """
    w = w_start + np.arange(d_out * d_in).reshape(d_out, d_in)
    b = b_start + np.arange(d_out)[:, None]
    return np.hstack([w, b]).ravel()


def kron_precision(
    inputs: list[Array], factors: list[Array], slices: list[tuple[slice, slice]], prior: Array, joint_bias: bool = False
) -> BlockDiagonal:
    """K-FAC posterior precision of an MLP.

    Parameters
    ----------
    inputs : list of ndarray, shapes (N, d_in_l)
        Layer inputs.
    factors : list of ndarray, shapes (N, d_out_l, k')
        Output factors pulled back to each layer's pre-activations.
    slices : list of (slice, slice)
        Weight and bias positions of each layer in the parameter vector.
    prior : ndarray, shape (P,)
        Prior precision per parameter (constant within a layer).
    joint_bias : bool
        Use the Martens-Grosse ``[W | b]`` block instead of a separate exact bias block.

    Examples
    --------
    >>> P = kron_precision([np.ones((2, 1))], [np.ones((2, 1, 1))],
    ...                    [(slice(0, 1), slice(1, 2))], np.ones(2))
    >>> P.to_dense()
    array([[3., 0.],
           [0., 3.]])
    """
    blocks: list[Precision] = []
    for a, B, (sw, sb) in zip(inputs, factors, slices):
        d_out, d_in = B.shape[1], a.shape[1]
        if joint_bias:
            a_aug = np.hstack([a, np.ones((a.shape[0], 1))])
            A, G = kfac_factors(a_aug, B)
            idx = joint_index(sw.start, sb.start, d_out, d_in)
            blocks.append(KronBlock.from_factors(idx, G, A, prior[idx]))
            continue
        A, G = kfac_factors(a, B)
        w_idx, b_idx = np.arange(sw.start, sw.stop), np.arange(sb.start, sb.stop)
        blocks.append(KronBlock.from_factors(w_idx, G, A, prior[w_idx]))
        blocks.append(DensePrecision(b_idx, G, prior[b_idx]))
    return BlockDiagonal(tuple(blocks))
