"""K-FAC error during training, then Laplace posteriors compared (full / K-FAC / diag / last layer).

Trains a small tanh MLP classifier with Adam on scikit-learn's digits if scikit-learn
is installed (``pip install symfisher[examples]``), else on a synthetic 5-class problem.
Every few hundred steps it prints, per layer, the relative Frobenius error of K-FAC's
``kron(G, A)`` against the exact GGN weight block (categorical output curvature pulled
back through the network), of the best Kronecker product and of EKFAC. It then fits
Laplace posteriors with the prior precision chosen by marginal likelihood and compares
log-det, log marginal likelihood and calibration (test NLL, ECE) with the MAP network.
Finally it trains the same network from the same start with the K-FAC natural-gradient
optimiser, Adam and plain gradient descent and prints the training loss side by side.

Run: ``python examples/kfac_error.py [--steps 600] [--hidden 16] [--opt-steps 100]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import symfisher as sf
from symfisher.numeric.kfac.optimizer import KFACConfig, KFACState, kfac_step
from symfisher.numeric.laplace.catalog import make_likelihood
from symfisher.numeric.laplace.metrics import expected_calibration_error, predictive_nll
from symfisher.numeric.nn import MLP, backprop_factors, parameter_gradient


def load_data(seed: int) -> tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(name, X_train, y_train, X_test, y_test)``, standardised inputs, class labels."""
    rng = np.random.default_rng(seed)
    try:
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        name = "digits (scikit-learn)"
    except ImportError:
        teacher = MLP.random([16, 24, 5], rng, activation="tanh")
        X = rng.standard_normal((1500, 16))
        y = np.argmax(teacher.forward(X) + 0.3 * rng.gumbel(size=(1500, 5)), axis=1)
        name = "synthetic 5-class (scikit-learn not installed)"
    X = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-8)
    perm = rng.permutation(X.shape[0])
    cut = int(0.7 * X.shape[0])
    tr, te = perm[:cut], perm[cut:]
    return name, X[tr], y[tr].astype(float), X[te], y[te].astype(float)


def layer_errors(net: MLP, X: np.ndarray) -> list[tuple[float, float, float]]:
    """Per layer: (K-FAC, nearest Kronecker, EKFAC) relative errors vs the exact GGN block."""
    tr = net.trace(X)
    S = make_likelihood("categorical").factor(tr.output)
    out = []
    for a, B in zip(tr.inputs, backprop_factors(net, tr, S)):
        rep = sf.kfac.kron_error(a, B=B, method="gram")
        out.append((rep.relative_frobenius, rep.nearest_relative_frobenius, rep.ekfac_relative_frobenius))
    return out


def train(
    net: MLP, X: np.ndarray, y: np.ndarray, steps: int, report_every: int, weight_decay: float = 1e-3, lr: float = 0.01
) -> MLP:
    """Full-batch Adam on the mean categorical NLL plus weight decay (the MAP objective)."""
    lik = make_likelihood("categorical")
    theta = net.parameters()
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    for step in range(1, steps + 1):
        f = net.forward(X)
        grad = parameter_gradient(net, X, lik.grad(f, y)) / X.shape[0] + weight_decay * theta
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        theta = theta - lr * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
        net = net.with_parameters(theta)
        if step % report_every == 0 or step == 1:
            errs = "  ".join(f"L{l}: {k:.3f}/{n:.3f}/{e:.3f}" for l, (k, n, e) in enumerate(layer_errors(net, X)))
            nll = float(np.mean(lik.nll(net.forward(X), y)))
            print(f"step {step:5d}  train NLL {nll:.4f}  K-FAC/nearest/EKFAC  {errs}")
    return net


def compare_laplace(
    net: MLP, X: np.ndarray, y: np.ndarray, Xt: np.ndarray, yt: np.ndarray, weight_decay: float
) -> None:
    """Fit the structures, optimise the prior, print evidence and calibration."""
    f = net.forward(Xt)
    probs = make_likelihood("categorical").mean(f)
    map_nll = -np.mean(np.log(probs[np.arange(len(yt)), yt.astype(int)]))
    print(f"\n{'structure':<12}{'tau':>9}{'log det P':>12}{'log marglik':>14}{'test NLL':>10}{'ECE':>8}{'seconds':>9}")
    print(f"{'MAP':<12}{'':>9}{'':>12}{'':>14}{map_nll:>10.4f}{expected_calibration_error(probs, yt):>8.4f}")
    tau0 = weight_decay * X.shape[0]  # the prior implied by the weight decay
    for structure in ("full", "kron", "diag", "last_layer"):
        t0 = time.perf_counter()
        lap = sf.laplace(
            net, X, y, likelihood="categorical", prior_precision=tau0, structure=structure
        ).optimize_prior_precision()
        pred = lap.predict(Xt, link_approx="probit")
        nll = predictive_nll(lap.likelihood.name, pred, yt)
        ece = expected_calibration_error(pred.mean, yt)
        print(
            f"{structure:<12}{lap.prior_precision[0]:>9.3f}{lap.log_det_posterior_precision:>12.2f}"
            f"{lap.log_marginal_likelihood():>14.2f}{nll:>10.4f}{ece:>8.4f}"
            f"{time.perf_counter() - t0:>9.2f}"
        )


def compare_optimizers(net0: MLP, X: np.ndarray, y: np.ndarray, steps: int, weight_decay: float = 1e-3) -> None:
    """Training NLL of K-FAC, Adam and gradient descent from the same start."""
    lik = make_likelihood("categorical")
    loss = lambda m: float(np.mean(lik.nll(m.forward(X), y)))  # noqa: E731
    cfg = KFACConfig(lr=0.3, damping=1e-2, decay=0.95, inverse_every=5, weight_decay=weight_decay)
    kfac, state = net0, KFACState()
    adam, m, v = net0, np.zeros(net0.n_params), np.zeros(net0.n_params)
    sgd = net0
    print(f"\n{'step':>6}{'K-FAC':>10}{'Adam':>10}{'GD':>10}   (training NLL, full batch)")
    for step in range(1, steps + 1):
        f = kfac.forward(X)
        kfac, state = kfac_step(kfac, X, lik.grad(f, y), lik.factor(f), state, cfg)
        for name in ("adam", "sgd"):
            cur = adam if name == "adam" else sgd
            g = parameter_gradient(cur, X, lik.grad(cur.forward(X), y)) / X.shape[0] + weight_decay * cur.parameters()
            if name == "sgd":
                sgd = sgd.with_parameters(sgd.parameters() - 0.3 * g)
                continue
            m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g**2
            upd = (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
            adam = adam.with_parameters(adam.parameters() - 0.01 * upd)
        if step % max(1, steps // 5) == 0 or step == 1:
            print(f"{step:>6}{loss(kfac):>10.4f}{loss(adam):>10.4f}{loss(sgd):>10.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--opt-steps", type=int, default=100)
    args = parser.parse_args()
    name, X, y, Xt, yt = load_data(args.seed)
    k = int(max(y.max(), yt.max())) + 1
    print(f"data: {name}; train {X.shape}, test {Xt.shape}, {k} classes")
    net0 = MLP.random([X.shape[1], args.hidden, k], np.random.default_rng(args.seed), "tanh")
    print(f"network {X.shape[1]}-{args.hidden}-{k} (tanh), {net0.n_params} parameters\n")
    net = train(net0, X, y, args.steps, report_every=max(1, args.steps // 3))
    compare_laplace(net, X, y, Xt, yt, weight_decay=1e-3)
    compare_optimizers(net0, X, y, args.opt_steps)


if __name__ == "__main__":
    main()
