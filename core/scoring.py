"""Weighted percentile scoring and percentile tiering, in the manner of scikit-learn estimators.

Tie rule (documented, tested): a dimension's percentile rank gives tied values the mean of their ranks;
at a tier cut-off, customers with the same score all go to the higher tier.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

PRESETS: dict[str, dict] = {
    "value_3": {
        "labels": ["高价值", "普通", "流失风险"],
        "cutoffs": [20, 60, 20],
        "weights": {"amount_12m": 40, "purchases_12m": 30, "repurchase_rate": 30},
    },
}


def percentile_rank(values: np.ndarray) -> np.ndarray:
    """Percentile rank in [0, 1]: (average rank − 1) / (n − 1); one value gets 1.0.

    Examples
    --------
    >>> percentile_rank(np.array([10.0, 30.0, 20.0, 20.0]))
    array([0. , 1. , 0.5, 0.5])
    """
    n = len(values)
    if n == 1:
        return np.ones(1)
    ranks = pd.Series(values).rank(method="average").to_numpy()
    return (ranks - 1.0) / (n - 1.0)


class TierScheme:
    """Score = Σ weight × percentile rank of the dimension (weights in %, summing to 100); tiers by
    percentile cut-offs from the top.

    Parameters
    ----------
    weights : mapping of dimension name to weight in percent
    cutoffs : tier sizes in percent, top tier first, summing to 100
    labels : tier labels, top first, as many as cutoffs

    Examples
    --------
    >>> f = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0]}, index=[11, 12, 13, 14, 15])
    >>> s = TierScheme({"a": 100}, [20, 60, 20], ["高", "中", "低"]).fit(f)
    >>> s.predict(f).tolist()
    ['低', '中', '中', '中', '高']
    """

    def __init__(self, weights: Mapping[str, float], cutoffs: Sequence[float], labels: Sequence[str]):
        self.weights = dict(weights)
        self.cutoffs = list(cutoffs)
        self.labels = list(labels)

    def _validate(self, features: pd.DataFrame) -> None:
        w = np.array(list(self.weights.values()), dtype=float)
        if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0 or abs(w.sum() - 100) > 1e-6:
            raise ValueError("weights must be non-negative numbers summing to 100")
        missing = [d for d in self.weights if d not in features.columns]
        if missing:
            raise ValueError(f"unknown dimensions: {missing}")
        c = np.array(self.cutoffs, dtype=float)
        if len(c) != len(self.labels) or (c <= 0).any() or abs(c.sum() - 100) > 1e-6:
            raise ValueError("cut-offs must be positive, one per tier label, and sum to 100")
        if len(set(self.labels)) != len(self.labels) or any(not str(x).strip() for x in self.labels):
            raise ValueError("tier labels must be distinct and non-empty")

    def fit(self, features: pd.DataFrame) -> TierScheme:
        self._validate(features)
        self.feature_ranks_ = pd.DataFrame(
            {d: percentile_rank(features[d].to_numpy(dtype=float)) for d in self.weights},
            index=features.index,
        )
        # element-wise, not a matrix product: BLAS may round a row differently by its position, and
        # customers with equal ranks must get bit-equal scores for the tie rule to hold
        score = np.zeros(len(features))
        for d, weight in self.weights.items():
            score = score + self.feature_ranks_[d].to_numpy() * (weight / 100.0)
        self.scores_ = pd.Series(score * 100.0, index=features.index, name="score")
        s = np.sort(self.scores_.to_numpy())[::-1]
        n = len(s)
        bounds = np.round(np.cumsum(self.cutoffs)[:-1] / 100.0 * n).astype(int)
        # a tier's threshold is the lowest score inside it; ties at the threshold go up
        self.thresholds_ = [float(s[b - 1]) if b > 0 else np.inf for b in bounds]
        return self

    def predict(self, features: pd.DataFrame) -> pd.Series:
        scores = self.scores_.reindex(features.index).to_numpy()
        tier = np.full(len(scores), len(self.labels) - 1)
        for i in reversed(range(len(self.thresholds_))):
            tier = np.where(scores >= self.thresholds_[i], i, tier)
        return pd.Series(np.array(self.labels, dtype=object)[tier], index=features.index, name="tier")
