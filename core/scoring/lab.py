"""The scoring lab's preview: a pure function from (fitted scorer, draft spec, published tiers) to what
would change: tier counts, transition matrix, movers and why, workload per advisor, backtest.

Nothing here touches the database or mutates its inputs; the page calls it on every slider move, so the
hot path is numpy on arrays prepared once (see ``LabData``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from core.scoring.scheme import Scored, Scorer
from core.scoring.tier_shares import tier_shares

# follow-up cadence in days per tier label (DOMAIN.md's grades for leads; value tiers by service playbook)
DEFAULT_CADENCE_DAYS = {
    "H": 3, "A": 7, "B": 15, "C": 30, "D": 30, "E": 30,
    "高价值": 7, "普通": 30, "流失风险": 14,
    "优质": 14, "潜力": 14, "一般": 30,
    "钻石": 7, "白金": 14, "黄金": 21, "白银": 30,
}  # fmt: skip
FALLBACK_CADENCE_DAYS = 30


@dataclass
class Published:
    """The published assignment aligned with a scorer's customers.

    ``tier``: index into ``labels`` per customer (-1 = no published tier); ``weights``: the published
    spec's weights in percent per dimension (for explaining movers); ``spec``: the published spec.
    """

    tier: np.ndarray
    labels: list[str]
    spec: dict[str, Any] | None

    @cached_property
    def row_codes(self) -> np.ndarray:
        """int64 row of the transition matrix per customer (no published tier = the last row); the same for
        every weight change, so computed once."""
        return np.where(self.tier < 0, len(self.labels), self.tier).astype(np.int64)

    @cached_property
    def counts(self) -> dict[str, int]:
        counts = np.bincount(self.row_codes, minlength=len(self.labels) + 1)
        return {label: int(counts[i]) for i, label in enumerate(self.labels)}

    @classmethod
    def none(cls, n: int) -> Published:
        return cls(np.full(n, -1, dtype=np.int8), [], None)

    @classmethod
    def align(cls, customer_id: np.ndarray, assigned: pd.DataFrame, spec: dict[str, Any] | None) -> Published:
        """From a frame of (customer_id, tier label) to an array aligned with ``customer_id``."""
        labels = list(spec["labels"]) if spec else sorted(assigned["tier"].unique().tolist())
        pos = pd.Index(customer_id).get_indexer(assigned["customer_id"].to_numpy())
        tier = np.full(len(customer_id), -1, dtype=np.int8)
        codes = pd.Categorical(assigned["tier"], categories=labels).codes.astype(np.int8)
        ok = pos >= 0
        tier[pos[ok]] = codes[ok]
        return cls(tier, labels, spec)


@dataclass
class Preview:
    scored: Scored
    counts: pd.DataFrame  # tier, customers, share, published, change
    transition: pd.DataFrame  # rows: published tier (incl. "—" for none), columns: draft tier
    moved_up: np.ndarray  # positions
    moved_down: np.ndarray
    unchanged: int
    shares: pd.DataFrame | None = None  # core.scoring.tier_shares: target and actual share, by trigger, ties


def _relative(tier: np.ndarray, k: int) -> np.ndarray:
    # position of a tier on a 0 (top) … 1 (bottom) scale, so systems with different tier counts compare
    return tier.astype(np.float32) / np.float32(max(k - 1, 1))


def preview(scorer: Scorer, spec: dict[str, Any], published: Published) -> Preview:
    """Score with the draft ``spec`` and compare with the published tiers.

    Examples
    --------
    >>> f = pd.DataFrame({"a": [1.0, 2, 3, 4, 5]}, index=[1, 2, 3, 4, 5])
    >>> spec = {"population": "owners", "labels": ["高", "中", "低"], "triggers": [],
    ...         "tiering": {"method": "percentile", "cutoffs": [20, 60, 20]}, "dimensions": {"a": {"weight": 100}}}
    >>> s = Scorer(spec).fit(f)
    >>> pub = Published(np.array([0, 0, 1, 1, 2], dtype=np.int8), ["高", "中", "低"], spec)
    >>> p = preview(s, spec, pub)
    >>> p.transition.to_numpy().tolist()
    [[0, 1, 1], [0, 2, 0], [1, 0, 0]]
    >>> len(p.moved_up), len(p.moved_down), p.unchanged
    (1, 2, 2)
    """
    scored = scorer.score(spec)
    k_new = len(scored.labels)
    n = len(scored.tier)
    counts_new = np.bincount(scored.tier, minlength=k_new)
    old = published.tier
    k_old = len(published.labels)
    # transition matrix in one bincount: row = published tier (last row = none), column = draft tier
    matrix = np.bincount(published.row_codes * k_new + scored.tier, minlength=(k_old + 1) * k_new)
    matrix = matrix.reshape(k_old + 1, k_new)
    rows = list(published.labels) + ["—"]
    transition = pd.DataFrame(matrix, index=rows, columns=scored.labels)
    if not matrix[-1].any():
        transition = transition.iloc[:-1]
    has_old = old >= 0
    if published.labels == scored.labels:
        up = has_old & (scored.tier < old)
        down = has_old & (scored.tier > old)
    else:
        r_old, r_new = _relative(old, k_old), _relative(scored.tier, k_new)
        up = has_old & (r_new < r_old)
        down = has_old & (r_new > r_old)
    published_counts = [published.counts.get(x, 0) for x in scored.labels]
    counts = pd.DataFrame(
        {
            "tier": scored.labels,
            "customers": counts_new.astype(np.int64),
            "share": counts_new / n if n else np.zeros(k_new),
            "published": np.array(published_counts, dtype=np.int64),
        }
    )
    counts["change"] = counts["customers"] - counts["published"]
    return Preview(
        scored,
        counts,
        transition,
        np.flatnonzero(up),
        np.flatnonzero(down),
        int((has_old & ~up & ~down).sum()),
        tier_shares(scored.tier, scored.rule >= 0, scored.labels, spec["tiering"], scored.score_tier),
    )


def explain_movers(
    scorer: Scorer,
    scored: Scored,
    spec: dict[str, Any],
    published: Published,
    positions: np.ndarray,
    *,
    top: int = 2,
) -> pd.DataFrame:
    """Why each customer at ``positions`` moved: the dimensions whose contribution changed most between the
    published weights and the draft's (same normalised values), or the trigger rule that fired.

    Returns columns customer_id, score, reasons (list of (dimension, change in points)), rule.
    """
    if len(positions) == 0:
        return pd.DataFrame({"customer_id": [], "score": [], "reasons": [], "rule": []})
    new_w = scorer.weights(spec) * 100.0
    old_w = scorer.weights(published.spec) * 100.0 if published.spec else np.zeros_like(new_w)
    values = scorer.matrix_[:, positions]
    delta = (new_w - old_w)[:, None].astype(np.float32) * values  # points gained per dimension
    order = np.argsort(-np.abs(delta), axis=0)[:top]
    names = np.array(scorer.dimensions_, dtype=object)
    reasons = [
        [(names[order[j, i]], float(round(delta[order[j, i], i], 1))) for j in range(min(top, len(names)))
         if abs(delta[order[j, i], i]) >= 0.05]
        for i in range(len(positions))
    ]  # fmt: skip
    triggers = spec.get("triggers") or []
    rules = [triggers[r]["rule"] if r >= 0 else None for r in scored.rule[positions].tolist()]
    return pd.DataFrame(
        {
            "customer_id": scorer.customer_id_[positions],
            "score": scored.score[positions],
            "reasons": reasons,
            "rule": pd.Series(rules, dtype=object),  # None where no rule fired (pandas 3 would make it NaN)
        }
    )


def workload(
    tier: np.ndarray,
    labels: list[str],
    advisor_id: np.ndarray,
    cadence_days: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Follow-ups per advisor per week the tiers imply: Σ customers of a tier × 7 / cadence days of the tier.

    Examples
    --------
    >>> workload(np.array([0, 0, 1], dtype=np.int8), ["H", "C"], np.array([7, 7, 8])).to_dict("records")
    [{'advisor_id': 7, 'customers': 2, 'per_week': 4.67}, {'advisor_id': 8, 'customers': 1, 'per_week': 0.23}]
    """
    cadence = {**DEFAULT_CADENCE_DAYS, **(cadence_days or {})}
    per_customer = np.array([7.0 / cadence.get(label, FALLBACK_CADENCE_DAYS) for label in labels])[tier]
    codes, advisors = pd.factorize(advisor_id, sort=True)
    per_week = np.bincount(codes, weights=per_customer, minlength=len(advisors))
    customers = np.bincount(codes, minlength=len(advisors))
    return pd.DataFrame(
        {
            "advisor_id": np.asarray(advisors),
            "customers": customers.astype(np.int64),
            "per_week": np.round(per_week, 2),
        }
    )


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


# ---- everything the lab needs, prepared once per population and data version ------------------------

BACKTEST_HORIZON_DAYS = {"owners": 180, "leads": 90}
# stored as today's value only (no history), so at a past date they would leak the outcome: the backtest
# holds them constant (every customer gets the same normalised value) and the page says so
NO_HISTORY = {
    "owners": (),
    "leads": ("grade_rank", "days_to_expected", "asked_competitor", "flag_asked_competitor"),
}


@dataclass
class LabData:
    """Features of a population now and at a past date (for the backtest), the published tiers aligned
    with them, and who serves each customer. Built once (slow: reads the event tables); every slider move
    then works on these arrays only."""

    population: str
    as_of: Any
    features: pd.DataFrame  # index customer_id
    published: Published
    published_version: Any  # core.scoring.publishing.SchemeVersion | None
    advisor_id: np.ndarray
    store_id: np.ndarray
    region_id: np.ndarray
    backtest_features: pd.DataFrame
    backtest_outcome: np.ndarray
    backtest_as_of: Any
    overrides: np.ndarray  # bool per customer: an active override by a person
    train_features: pd.DataFrame  # a horizon before the backtest: what "suggest weights" learns from
    train_outcome: np.ndarray
    train_as_of: Any

    def __post_init__(self) -> None:
        self._scorers: dict[str, tuple[Scorer, Scorer]] = {}

    @staticmethod
    def _signature(spec: dict[str, Any]) -> str:
        dims = spec["dimensions"]
        return (
            "|".join(
                f"{d}:{v.get('normalisation', 'percentile')}:{v.get('direction', 'higher')}"
                for d, v in dims.items()
            )
            + "|"
            + ",".join(t["rule"] for t in spec.get("triggers") or [])
        )

    def scorers(self, spec: dict[str, Any]) -> tuple[Scorer, Scorer]:
        """(scorer of today's population, scorer of the backtest population) for this spec's dimensions,
        normalisations and triggers; fitted once per such combination, then reused for any weights."""
        key = self._signature(spec)
        if key not in self._scorers:
            if len(self._scorers) > 8:
                self._scorers.clear()
            self._scorers[key] = (Scorer(spec).fit(self.features), Scorer(spec).fit(self.backtest_features))
        return self._scorers[key]

    def train_scorer(self, spec: dict[str, Any]) -> Scorer:
        """Scorer of the training population (features two horizons ago) for "suggest weights"."""
        key = "train|" + self._signature(spec)
        if key not in self._scorers:
            self._scorers[key] = (Scorer(spec).fit(self.train_features), None)  # type: ignore[assignment]
        return self._scorers[key][0]
