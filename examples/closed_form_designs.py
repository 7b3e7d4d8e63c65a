"""Optimal designs derived in closed form by symfisher, then verified numerically.

Each design below is *rediscovered* by ``sf.solve_design`` from the model and a design
template with unknowns — no formula is typed in — printed as LaTeX, and checked against
the numeric design engine (``sf.optimal_design``) and the equivalence theorem.

Run: ``python examples/closed_form_designs.py``
"""

from __future__ import annotations

import sympy as sp

import symfisher as sf


def cases() -> list[tuple[str, object, dict, tuple]]:
    """(title, solution, values for the check, design space) for each classical design."""
    x = sp.Symbol("x", nonnegative=True)
    xr = sp.Symbol("x", real=True)
    out = []

    e0, emax = sp.symbols("e0 emax", real=True)
    ed50, d, D = sp.symbols("ed50 d D", positive=True)
    emax_model = sf.Regression(e0 + emax * x / (ed50 + x), x, [e0, emax, ed50], noise="normal", sigma=1)
    sol = sf.solve_design(emax_model, sf.SymbolicDesign([0, d, D]), criterion="D", unknowns=[d], assumptions=[d < D])
    out.append(("Emax model on [0, D], weights 1/3", sol, {e0: 0, emax: 1, ed50: 25, D: 150}, (0, 150)))

    V, K, B = sp.symbols("V K B", positive=True)
    mm = sf.Regression(V * x / (K + x), x, [V, K], noise="normal", sigma=1)
    sol = sf.solve_design(mm, sf.SymbolicDesign([d, B]), criterion="D", unknowns=[d], assumptions=[d < B])
    out.append(("Michaelis-Menten on [0, B], weights 1/2", sol, {V: 1, K: 2, B: 10}, (0, 10)))

    a, b = sp.symbols("a b", positive=True)
    decay = sf.Regression(a * sp.exp(-b * x), x, [a, b], noise="normal", sigma=1)
    sol = sf.solve_design(decay, sf.SymbolicDesign([0, d]), criterion="D", unknowns=[d])
    out.append(("exponential decay a exp(-b x) on [0, 5]", sol, {a: 1, b: 0.7}, (0, 5)))

    b0, b1, b2 = sp.symbols("b0 b1 b2", real=True)
    u, c = sp.symbols("u c", real=True)
    line = sf.Regression(b0 + b1 * xr, xr, [b0, b1], noise="normal", sigma=1)
    sol = sf.solve_design(line, sf.SymbolicDesign([-1, u]), criterion="D", unknowns=[u], space=(-1, 1))
    out.append(("simple linear regression on [-1, 1]", sol, {b0: 0, b1: 1}, (-1, 1)))

    quad = sf.Regression(b0 + b1 * xr + b2 * xr**2, xr, [b0, b1, b2], noise="normal", sigma=1)
    sol = sf.solve_design(quad, sf.SymbolicDesign([-1, c, 1]), criterion="D", unknowns=[c], assumptions=[c > -1, c < 1])
    out.append(("quadratic regression on [-1, 1]: middle point", sol, {b0: 0, b1: 0, b2: 1}, (-1, 1)))
    w1, w2 = sp.symbols("w1 w2", positive=True)
    for crit in ("D", "A"):
        sol = sf.solve_design(
            quad, sf.SymbolicDesign([-1, 0, 1], [w1, w2, 1 - w1 - w2]), criterion=crit, unknowns=[w1, w2]
        )
        out.append((f"quadratic regression on [-1, 1]: {crit}-optimal weights", sol, {b0: 0, b1: 0, b2: 1}, (-1, 1)))

    al, be = sp.symbols("alpha beta", real=True)
    t = sp.Symbol("t", positive=True)
    logit = sf.Regression(al + be * xr, xr, [al, be], noise="bernoulli", link="logit")
    sol = sf.solve_design(logit, sf.SymbolicDesign([(-al - t) / be, (-al + t) / be]), criterion="D", unknowns=[t])
    out.append(("2-parameter logistic, points -alpha/beta -+ t/beta", sol, {al: 0.5, be: 2.0}, (-6, 6)))
    return out


def main() -> list[tuple[str, object, object]]:
    """Derive, print and verify every design; returns (title, solution, check) triples."""
    results = []
    for title, sol, values, space in cases():
        print(f"== {title}")
        if sol.elementary:
            for u, e in sol.formula.items():
                print(f"   {sp.latex(u)} = {sp.latex(e)}")
        else:
            for eq in sol.equations:
                print(f"   {sp.latex(eq)}   (root {', '.join(f'{k} = {v:.12f}' for k, v in sol.roots.items())})")
        print(f"   {sol.note}; depends on {[s.name for s in sol.depends_on] or 'no parameter'}")
        chk = sol.check(values, space=space)
        print(
            f"   check: points {chk.points.round(6).tolist()} weights {chk.weights.round(6).tolist()}; "
            f"numeric optimum agrees to {chk.max_point_error:.1e} (points) / {chk.max_weight_error:.1e} "
            f"(weights); max sensitivity {chk.max_sensitivity:.9f} <= {chk.bound:g}: {'OK' if chk.ok else 'FAIL'}"
        )
        results.append((title, sol, chk))
    return results


if __name__ == "__main__":
    res = main()
    raise SystemExit(0 if all(chk.ok for _, _, chk in res) else 1)
