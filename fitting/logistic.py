"""Fitting the logistic models that ship in ``rag/`` (see :class:`rag.linear.LinearModel`)."""

from __future__ import annotations

import numpy as np

from rag.linear import LinearModel


def fit_logistic(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], l2: float = 1.0,
                 iterations: int = 50, sample_weight: np.ndarray | None = None) -> LinearModel:
    """L2-regularised logistic regression on standardised features (Newton's method).
    ``sample_weight`` lets each class count equally however many rows it has."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    sw = np.ones(len(x)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0  # the bias is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        gradient = z.T @ (sw * (p - y)) + penalty * w
        hessian = (z * (sw * p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return LinearModel(names, mean, scale, w[:-1], float(w[-1]))
