"""Suggest weights: a non-negative logistic regression of past outcomes on the normalised dimensions.

Time-based hold-out: the model is fitted on features as of ``as_of − 2 × horizon`` against what happened in
the following horizon, and judged on features as of ``as_of − horizon`` against the next horizon (data it
never saw). Weights are the coefficients rescaled to whole percentages summing to 100. The result is only
offered; a person decides whether to load it into the draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize

from core.scoring.backtest import auc
from core.scoring.scheme import Scorer

MAX_TRAIN_ROWS = 200_000


@dataclass
class Suggestion:
    weights: dict[str, int]  # percent, summing to 100
    auc_train: float | None
    auc_holdout: float | None
    auc_holdout_current: float | None  # the draft's weights on the same hold-out


def _whole_percent(raw: np.ndarray) -> np.ndarray:
    """Largest-remainder rounding of non-negative weights to integers summing to 100.

    Examples
    --------
    >>> _whole_percent(np.array([1.0, 1.0, 1.0])).tolist()
    [34, 33, 33]
    >>> _whole_percent(np.array([0.0, 0.0])).tolist()
    [50, 50]
    """
    if raw.sum() <= 0:
        raw = np.ones_like(raw)
    share = raw / raw.sum() * 100.0
    out = np.floor(share).astype(int)
    rest = 100 - out.sum()
    out[np.argsort(-(share - out), kind="stable")[:rest]] += 1
    return out


def fit_nonnegative_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 1e-3) -> tuple[np.ndarray, float]:
    """Coefficients ≥ 0 (and a free intercept) minimising the mean logistic loss plus a small L2 penalty.

    ``x`` has shape (n_samples, n_features), values in 0..1.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.random((4000, 2))
    >>> y = (rng.random(4000) < 1 / (1 + np.exp(-(4 * x[:, 0] - 2)))).astype(float)
    >>> w, b = fit_nonnegative_logistic(x, y)
    >>> bool(w[0] > 2.5 and w[1] < 0.5)
    True
    """
    n, d = x.shape
    x = x.astype(np.float64)
    y = y.astype(np.float64)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:d], theta[d]
        z = x @ w + b
        p = 1.0 / (1.0 + np.exp(-z))
        value = np.mean(np.logaddexp(0.0, z) - y * z) + l2 * float(w @ w)
        g = (p - y) / n
        return value, np.concatenate([x.T @ g + 2 * l2 * w, [g.sum()]])

    theta0 = np.zeros(d + 1)
    bounds = [(0.0, None)] * d + [(None, None)]
    res = minimize(loss, theta0, jac=True, method="L-BFGS-B", bounds=bounds)
    return res.x[:d], float(res.x[d])


def suggest_weights(
    train: Scorer,
    train_outcome: np.ndarray,
    holdout: Scorer,
    holdout_outcome: np.ndarray,
    draft: dict[str, Any],
    *,
    seed: int = 0,
) -> Suggestion:
    """Fit on ``train`` (fitted scorer: its normalised matrix), judge on ``holdout``; compare with ``draft``."""
    x = train.matrix_.T
    y = np.asarray(train_outcome, dtype=np.float64)
    if len(y) > MAX_TRAIN_ROWS:
        pick = np.random.default_rng(seed).choice(len(y), MAX_TRAIN_ROWS, replace=False)
        x, y = x[pick], y[pick]
    coef, _ = fit_nonnegative_logistic(x, y)
    pct = _whole_percent(coef)
    weights = {d: int(p) for d, p in zip(train.dimensions_, pct, strict=True)}
    suggested = {
        **draft,
        "dimensions": {d: {**draft["dimensions"].get(d, {}), "weight": w} for d, w in weights.items()},
    }
    return Suggestion(
        weights=weights,
        auc_train=auc(train.score(suggested).score, train_outcome),
        auc_holdout=auc(holdout.score(suggested).score, holdout_outcome),
        auc_holdout_current=auc(holdout.score(draft).score, holdout_outcome),
    )
