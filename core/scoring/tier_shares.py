"""Tier shares: each tier's target share (its cut-off) against its actual share, and how many customers are in
it because a trigger rule forced them. One implementation for 分级结果 (the stored assignments) and the lab's
preview (a draft's scoring).

Definitions (also in the pages' help):

- *target* = the scheme's cut-off for the tier (percentile tiering; NaN for threshold tiering);
- *customers*, *share* = the tier's customers ÷ all tiered customers of the population (shares add up to 1);
- *by trigger* = customers whose assignment records the trigger rule that forced it; *by score* = the others
  (by trigger + by score = customers);
- *share by score* (lab only: needs the tiers before the triggers) = the tier's share when trigger rules are
  left out; *ties_off* = it is more than ``TIE_TOLERANCE`` (2 percentage points) away from the cut-off.
  Percentile tiers hold their cut-off to one customer unless customers tie on score at a boundary (all of them
  go to the higher tier), so a gap larger than that is the ties' doing; the scheme's ``tie_break`` closes it
  (``core.scoring.scheme``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

TIE_TOLERANCE = 0.02  # a tier's share by score more than 2 percentage points off its cut-off: ties moved it


def shares_table(
    customers: np.ndarray,
    by_trigger: np.ndarray,
    labels: list[str],
    tiering: dict[str, Any],
    by_score_tier: np.ndarray | None = None,
) -> pd.DataFrame:
    """The table from counts per tier (aligned with ``labels``): tier, target, customers, share, by_trigger,
    by_score, and with ``by_score_tier`` (customers per tier before triggers) score_share and ties_off.

    Examples
    --------
    >>> shares_table(np.array([1, 3, 1]), np.array([0, 0, 1]), ["高", "中", "低"],
    ...              {"method": "threshold", "thresholds": [70, 40]}).to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'tier': ['高', '中', '低'], 'target': [nan, nan, nan], 'customers': [1, 3, 1], 'share': [0.2, 0.6, 0.2],
     'by_trigger': [0, 0, 1], 'by_score': [1, 3, 0]}
    """
    k = len(labels)
    customers = np.asarray(customers, dtype=np.int64)
    by_trigger = np.asarray(by_trigger, dtype=np.int64)
    n = int(customers.sum())
    cut = tiering.get("cutoffs") if tiering.get("method") == "percentile" else None
    target = np.asarray(cut, dtype=np.float64) / 100.0 if cut and len(cut) == k else np.full(k, np.nan)
    columns: dict[str, Any] = {
        "tier": list(labels),
        "target": target,
        "customers": customers,
        "share": customers / n if n else np.zeros(k),
        "by_trigger": by_trigger,
        "by_score": customers - by_trigger,
    }
    if by_score_tier is not None:
        score_share = np.asarray(by_score_tier) / n if n else np.zeros(k)
        columns["score_share"] = score_share
        with np.errstate(invalid="ignore"):
            columns["ties_off"] = np.abs(score_share - target) > TIE_TOLERANCE  # NaN target: False
    return pd.DataFrame(columns)  # one constructor: the lab builds this on every slider move


def tier_shares(
    tier: np.ndarray,
    forced: np.ndarray,
    labels: list[str],
    tiering: dict[str, Any],
    score_tier: np.ndarray | None = None,
) -> pd.DataFrame:
    """``shares_table`` of one scoring: ``tier`` per customer (0 = top; negative = no tier, not counted),
    ``forced`` (bool: a trigger rule set the tier), ``score_tier`` the tiers by score before triggers.

    Examples
    --------
    >>> t = tier_shares(np.array([0, 1, 1, 2, 2], dtype=np.int8), np.array([0, 0, 0, 1, 0], dtype=bool),
    ...                 ["高", "中", "低"], {"method": "percentile", "cutoffs": [20, 60, 20]},
    ...                 score_tier=np.array([0, 1, 1, 1, 2], dtype=np.int8))
    >>> t[["tier", "target", "customers", "share", "by_trigger", "by_score", "score_share"]].to_dict("records")[2]
    {'tier': '低', 'target': 0.2, 'customers': 2, 'share': 0.4, 'by_trigger': 1, 'by_score': 1, 'score_share': 0.2}
    >>> t["ties_off"].tolist()
    [False, False, False]
    """
    k = len(labels)
    tier = np.asarray(tier)
    forced = np.asarray(forced, dtype=bool)
    counted = tier >= 0
    if not counted.all():  # the lab's tiers are all counted: no copies on its hot path
        tier, forced = tier[counted], forced[counted]
        score_tier = None if score_tier is None else np.asarray(score_tier)[counted]
    customers = _per_tier(tier, k)
    by_trigger = _per_tier(tier[forced], k)
    by_score_tier = None if score_tier is None else _per_tier(np.asarray(score_tier), k)
    return shares_table(customers, by_trigger, labels, tiering, by_score_tier)


def _per_tier(tier: np.ndarray, k: int) -> np.ndarray:
    """Customers per tier number 0..k-1. One comparison per tier: for the few tiers of a scheme about ten
    times faster than ``np.bincount`` on int8 tiers (which first casts them to a new intp array)."""
    return np.array([np.count_nonzero(tier == i) for i in range(k)], dtype=np.int64)
