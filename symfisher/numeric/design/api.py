"""One entry point choosing the algorithm for a design problem.

* E-optimality → cutting-plane LP with the general equivalence theorem;
* c-optimality for one rank-one model at one parameter value without forced points →
  Elfving's LP (exact also for singular optimal designs);
* everything else (D, A, L, I, Ds, c otherwise, Bayesian, compound, model-robust) →
  multiplicative weights + continuous refinement + certificate.
"""

from __future__ import annotations

import numpy as np

from symfisher.errors import InputError
from symfisher.numeric.design.criteria import ECriterion, LCriterion
from symfisher.numeric.design.cutting_plane import e_optimal
from symfisher.numeric.design.elfving import c_optimal
from symfisher.numeric.design.optimize import Settings, optimise
from symfisher.numeric.design.problem import Problem
from symfisher.numeric.design.result import DesignResult


def solve(problem: Problem, settings: Settings = Settings()) -> DesignResult:
    """Optimal design for ``problem`` with its equivalence-theorem certificate.

    Examples
    --------
    >>> import numpy as np
    >>> from symfisher.numeric.design.core import Space
    >>> from symfisher.numeric.design.model import PointInfo
    >>> from symfisher.numeric.design.criteria import DCriterion
    >>> from symfisher.numeric.design.problem import Component, Problem
    >>> f = lambda X: np.stack([np.ones(len(X)), X[:, 0]], -1)
    >>> df = lambda X: np.stack([np.zeros(len(X)), np.ones(len(X))], -1)[:, None, :]
    >>> res = solve(Problem((Component(PointInfo.rank_one(f, df, n_params=2), DCriterion()),), Space.box((-1, 1))))
    >>> np.round(res.points, 8).tolist(), np.round(res.weights, 8).tolist()
    ([-1.0, 1.0], [0.5, 0.5])
    """
    comps = problem.components
    single = len(comps) == 1 and comps[0].alphas.size == 1
    if any(isinstance(c.criterion, ECriterion) for c in comps):
        if not single:
            raise InputError("E-optimality is supported for one model at one parameter value only")
        return e_optimal(problem, settings)
    crit = comps[0].criterion
    if (
        single
        and isinstance(crit, LCriterion)
        and crit.name == "c"
        and comps[0].model.is_rank_one
        and problem.forced.shape[0] == 0
    ):
        lam, vec = np.linalg.eigh(crit.L)
        return c_optimal(problem, vec[:, -1] * np.sqrt(max(lam[-1], 0.0)), settings)
    return optimise(problem, settings)
