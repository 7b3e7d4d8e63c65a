"""``population_fim``: the FO (or FOCE-type) Fisher information of a population design.

The per-sample derivatives come from the model's one compiled kernel
(:mod:`symfisher.population.kernel`, derived by SymPy); the Gaussian information of the
linearised model is assembled in :mod:`symfisher.population.assemble`. The design's
information is ``Σ_g n_g · I_g`` plus an optional prior information matrix.

Approximations
--------------
``"FO"``: linearisation around ``η = 0`` (PopED's and PFIM's default).
``"FOCE"``: FOCE-*type* — the FO formula linearised around ``η*`` drawn from
``N(0, Ω)`` (``foce_draws`` draws, fixed seed), ``μ = f(β, η*) − Z η*``, residual variance at
``f(β, η*)``, the information averaged over the draws (as PopED's FOCE option does); it is
*not* the FOCE likelihood used by estimation software.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symfisher.errors import DomainError, UnknownParameterError
from symfisher.options import FimStructure as Structure
from symfisher.options import Linearisation as Approximation
from symfisher.options import option
from symfisher.population.assemble import Selection, group_information, pick_response
from symfisher.population.design import Layout, PopulationDesign, as_design, layout
from symfisher.population.kernel import population_kernel
from symfisher.population.model import PopulationModel
from symfisher.population.report import PopulationFIM

__all__ = [
    "Approximation",
    "Evaluator",
    "Structure",
    "evaluator",
    "population_fim",
    "theta_matrix",
]

Array = NDArray[np.float64]


def theta_matrix(model: PopulationModel, theta: Any) -> Array:
    """Parameter values in ``model.all_parameters`` order, shape (M, A), checked.

    ``theta`` is a mapping name → value (scalars or arrays of M draws) or an array
    (A,) or (M, A).
    """
    names = model.all_parameters
    if isinstance(theta, Mapping):
        unknown = sorted(set(theta) - set(names))
        if unknown:
            raise UnknownParameterError(f"parameter(s) {unknown} not in the model; its parameters are {list(names)}")
        missing = [n for n in names if n not in theta]
        if missing:
            raise UnknownParameterError(f"no value given for parameter(s) {missing}")
        cols = np.broadcast_arrays(*[np.atleast_1d(np.asarray(theta[n], float)) for n in names])
        mat = np.stack(cols, axis=-1)
    else:
        mat = np.atleast_2d(np.asarray(theta, float))
        if mat.shape[-1] != len(names):
            raise DomainError(f"theta has {mat.shape[-1]} values; the model has {len(names)} parameters {list(names)}")
    _check(model, mat)
    return mat


def _check(model: PopulationModel, mat: Array) -> None:
    names = model.all_parameters
    bad = [names[j] for j in range(len(names)) if not np.all(np.isfinite(mat[:, j]))]
    if bad:
        raise DomainError(f"parameter(s) {bad} are not finite")
    nb = len(model.beta)
    for j, (name, i, jj) in enumerate(model.omega_entries):
        if i == jj and np.any(mat[:, nb + j] < 0):
            raise DomainError(f"variance {name} = {mat[:, nb + j].min():g} is negative")
    off = nb + len(model.omega_entries)
    for j, (name, _, _) in enumerate(model.sigma_entries):
        if np.any(mat[:, off + j] < 0):
            raise DomainError(f"residual variance {name} = {mat[:, off + j].min():g} is negative")
    if model.omega is model.omega.FULL and len(model.eta) > 1:
        om = _omega(model, mat)
        if np.any(np.linalg.eigvalsh(om)[:, 0] < -1e-12 * np.abs(om).max()):
            raise DomainError("Omega (the random-effect covariance) is not positive semi-definite")


def _omega(model: PopulationModel, mat: Array) -> Array:
    q, nb = len(model.eta), len(model.beta)
    om = np.zeros((mat.shape[0], q, q))
    for j, (_, a, b) in enumerate(model.omega_entries):
        om[:, a, b] = om[:, b, a] = mat[:, nb + j]
    return om


def _shaped(out: dict[str, Array], model: PopulationModel, m: int, n: int) -> dict[str, Array]:
    """Kernel outputs with explicit axes (a (K, 1) output comes back as (K,))."""
    k, b, q, s = len(model.responses), len(model.beta), len(model.eta), len(model.sigma)
    dims = {
        "F": (k,),
        "FB": (k, b),
        "Z": (k, q),
        "ZB": (k, q, b),
        "R": (k,),
        "RB": (k, b),
        "RS": (k, s),
    }
    return {name: np.broadcast_to(v, (m, n) + v.shape[2:]).reshape((m, n) + dims[name]) for name, v in out.items()}


@dataclass(frozen=True)
class Evaluator:
    """A fast evaluator of the information for one model, structure and selection."""

    model: PopulationModel
    kernel: Any
    selection: Selection
    full: bool

    def per_group(
        self,
        lay: Layout,
        mat: Array,
        eta: Array | None = None,
        times: Array | None = None,
        cov: Array | None = None,
    ) -> list[Array]:
        """Information of one subject of each group: list of (D·M, P, P).

        ``times`` (D, N) evaluates D variants of the layout's sampling times at once
        (result index ``d·M + m``); by default D = 1 with the layout's own times.
        ``cov`` (D, N, c) likewise replaces the covariates (not for ODE responses).
        """
        m = self.model
        nb, ne = len(m.beta), len(m.omega_entries)
        tt = lay.t[None, :] if times is None else np.atleast_2d(times)
        d, mm = tt.shape[0], mat.shape[0]
        args: list[Any] = [tt[:, None, :]]
        if m.covariates:
            args.append(lay.cov[None, None, :, :] if cov is None else cov[:, None, :, :])
        args.append(mat[None, :, None, :nb])
        eta_arr = np.zeros((mm, len(m.eta))) if eta is None else eta
        if m.eta:
            args.append(eta_arr[None, :, None, :])
        args.append(mat[None, :, None, nb + ne :])
        if m.ode is not None:
            from symfisher.population.ode_inputs import ode_inputs

            if cov is not None:
                raise DomainError("covariate optimisation is not available for ODE responses")
            args += ode_inputs(m, lay, mat, eta_arr, tt)
        raw = self.kernel(*args, check=False)
        out = _shaped(
            {
                k: v.reshape((d * mm,) + v.shape[2:]) if v.ndim > 2 else v
                for k, v in ((k, np.broadcast_to(v, (d, mm) + v.shape[2:])) for k, v in raw.items())
            },
            m,
            d * mm,
            tt.shape[1],
        )
        om = np.tile(_omega(m, mat), (d, 1, 1))
        eta_all = np.tile(eta_arr, (d, 1))
        return [
            group_information(pick_response(out, lay.k, sl), om, eta_all, self.selection, self.full)
            for sl in lay.slices
        ]

    def information(
        self,
        lay: Layout,
        mat: Array,
        eta: Array | None = None,
        times: Array | None = None,
        sizes: Array | None = None,
        cov: Array | None = None,
    ) -> Array:
        """``Σ_g n_g I_g``: (D·M, P, P) (see :meth:`per_group`); ``sizes`` overrides ``n_g``."""
        n = lay.n if sizes is None else sizes
        groups = self.per_group(lay, mat, eta, times, cov)
        return sum(w * i for w, i in zip(n, groups))


def evaluator(model: PopulationModel, structure: Structure | str = "full") -> Evaluator:
    """The :class:`Evaluator` of ``model`` (compiles its kernel on first use)."""
    st = option(Structure, structure, "structure")
    b_names = [b.name for b in model.beta]
    est = set(model.parameters)
    sel = Selection(
        beta=np.array([i for i, n in enumerate(b_names) if n in est], np.intp),
        omega_i=np.array([i for n, i, _ in model.omega_entries if n in est], np.intp),
        omega_j=np.array([j for n, _, j in model.omega_entries if n in est], np.intp),
        sigma=np.array([k for k, (n, _, _) in enumerate(model.sigma_entries) if n in est], np.intp),
    )
    return Evaluator(model, population_kernel(model), sel, st is Structure.FULL)


def _foce(ev: Evaluator, lay: Layout, mat: Array, draws: int, seed: int) -> Array:
    rng = np.random.default_rng(seed)
    om = _omega(ev.model, mat)[0]
    w, u = np.linalg.eigh(om)
    eta = rng.standard_normal((draws, len(w))) @ (u * np.sqrt(np.clip(w, 0, None))).T
    return ev.information(lay, np.repeat(mat, draws, axis=0), eta).mean(axis=0)


def population_fim(
    model: PopulationModel,
    design: Any,
    theta: Any,
    *,
    approximation: str = "FO",
    structure: str = "full",
    prior: Any = None,
    foce_draws: int = 200,
    seed: int = 0,
) -> PopulationFIM:
    """The population Fisher information of ``design`` at ``theta``.

    Parameters
    ----------
    model : PopulationModel
    design : PopulationDesign, mapping or list of mappings
        Groups ``{"times": [...], "n": 32, "DOSE": 70}`` (times a mapping per response
        when the model has several).
    theta : mapping of str to float
        A value for every parameter in ``model.all_parameters`` (fixed ones included).
    approximation : {"FO", "FOCE"}
        See the module docstring (FOCE is FOCE-type: FO around drawn η).
    structure : {"full", "reduced"}
    prior : ndarray (P, P), optional
        Prior information added to the design's (estimated-parameter order).
    foce_draws, seed : int
        Draws of η for ``"FOCE"``.

    Returns
    -------
    PopulationFIM
        ``.matrix`` (P, P), ``.parameters``, ``.rse()``, ``.se()``, ``.criterion()``.
    """
    approx = option(Approximation, approximation, "approximation")
    st = option(Structure, structure, "structure")
    des = as_design(design, [n for n, _ in model.responses], [c.name for c in model.covariates])
    mat = theta_matrix(model, theta)
    if mat.shape[0] != 1:
        raise DomainError("population_fim takes one parameter value per name (use the optimiser for prior draws)")
    ev = evaluator(model, st)
    lay = layout(des, [c.name for c in model.covariates])
    info = ev.information(lay, mat)[0] if approx is Approximation.FO else _foce(ev, lay, mat, foce_draws, seed)
    if prior is not None:
        info = info + _prior(prior, model)
    values = dict(zip(model.all_parameters, mat[0]))
    return PopulationFIM(
        matrix=info,
        parameters=model.parameters,
        values=tuple(float(values[n]) for n in model.parameters),
        structure=st.value,
        approximation=approx.value,
        design=des,
        responses=tuple(n for n, _ in model.responses),
    )


def _prior(prior: Any, model: PopulationModel) -> Array:
    m = np.asarray(prior.matrix if hasattr(prior, "matrix") else prior, float)
    p = len(model.parameters)
    if m.shape != (p, p):
        raise DomainError(f"prior information has shape {m.shape}; expected ({p}, {p}) for {list(model.parameters)}")
    return m


def design_of(model: PopulationModel, design: Any) -> PopulationDesign:
    """``as_design`` with the model's response and covariate names."""
    return as_design(design, [n for n, _ in model.responses], [c.name for c in model.covariates])
