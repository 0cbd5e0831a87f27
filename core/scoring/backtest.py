"""How well a tiering would have predicted what happened: per-tier outcome rate and lift, and the AUC of the score.

Pure functions on arrays; the lab's backtest and the weight suggestion both judge a scheme with them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def auc(score: np.ndarray, outcome: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann–Whitney, ties counted half); None without both outcomes.

    Examples
    --------
    >>> auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]))
    0.75
    >>> auc(np.array([1.0, 1.0]), np.array([0, 1]))
    0.5
    """
    y = np.asarray(outcome).astype(bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return None
    ranks = pd.Series(np.asarray(score, dtype=np.float64)).rank(method="average").to_numpy()
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def backtest(
    tier: np.ndarray, score: np.ndarray, labels: list[str], outcome: np.ndarray
) -> tuple[pd.DataFrame, float | None]:
    """Per tier: customers, outcome rate and lift (rate ÷ overall rate); and the AUC of the score.

    Examples
    --------
    >>> t, a = backtest(np.array([0, 0, 1, 1], dtype=np.int8), np.array([4.0, 3, 2, 1]), ["高", "低"], np.array([1, 1, 0, 1]))
    >>> t.to_dict("records")
    [{'tier': '高', 'customers': 2, 'rate': 1.0, 'lift': 1.33}, {'tier': '低', 'customers': 2, 'rate': 0.5, 'lift': 0.67}]
    >>> round(a, 3)
    0.667
    """
    y = np.asarray(outcome, dtype=np.float64)
    k = len(labels)
    n_t = np.bincount(tier, minlength=k)
    hits = np.bincount(tier, weights=y, minlength=k)
    overall = y.mean() if len(y) else 0.0
    rate = np.divide(hits, n_t, out=np.zeros(k), where=n_t > 0)
    lift = np.round(rate / overall, 2) if overall > 0 else np.zeros(k)
    table = pd.DataFrame(
        {"tier": labels, "customers": n_t.astype(np.int64), "rate": np.round(rate, 4), "lift": lift}
    )
    return table, auc(score, y)
