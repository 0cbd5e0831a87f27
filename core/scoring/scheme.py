"""Scoring schemes: the parameters (a JSON-able spec), their validation, presets, and fast scoring.

A spec is a plain dict, stored as ``scoring_schemes.params``::

    {
        "population": "owners",                      # or "leads"
        "dimensions": {"amount_12m": {"weight": 40, "normalisation": "percentile", "direction": "higher"}, ...},
        "tiering": {"method": "percentile", "cutoffs": [20, 60, 20], "tie_break": None},
                                                     # or {"method": "threshold", "thresholds": [70, 40]}
        "labels": ["高价值", "普通", "流失风险"],
        "triggers": [{"rule": "no_purchase_6m_no_response", "tier": "流失风险"}],
    }

Rules (documented, tested):

- Weights are percentages summing to 100; a dimension's contribution is weight × its normalised value (0..1),
  so a score runs from 0 to 100.
- Normalisation: ``percentile`` ((average rank − 1) / (n − 1): ties share the mean rank), ``minmax``, or
  ``log_minmax`` (log1p of max(x, 0), then min-max); a constant column normalises to 0.5. ``direction``
  ``lower`` flips the value (1 − v) so that lower raw values score higher.
- Percentile tiering: cut-offs in percent from the top tier down; the tier boundary is the score of the last
  customer inside the tier when sorted best first; customers tied with that score all go to the higher tier
  (the default, ``tie_break`` absent or None: schemes saved before the setting existed score as they did).
  With ``"tie_break": "<dimension>"`` (a dimension of the scheme, any weight) the customers tied at a
  boundary are ordered by that dimension's normalised value (higher first), then by customer id (smaller
  first), and only as many as the cut-off leaves room for stay in the higher tier, so every tier holds its
  cut-off's share (to one customer) whatever the ties. Threshold tiering ignores it.
- Ties moving shares: ``core.scoring.tier_shares`` compares each tier's share *by score* (before triggers) with its
  cut-off; a gap of more than ``TIE_TOLERANCE`` (2 percentage points) can only come from ties (without them a
  tier holds its cut-off to one customer), and the lab warns and offers the tie-break.
- Threshold tiering: descending score thresholds, one fewer than the labels; score ≥ threshold i → tier i.
- Trigger rules force a tier whatever the score, in the order listed (the first that fires wins), and the
  assignment records the rule.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

NORMALISATIONS = ("percentile", "minmax", "log_minmax")
DIRECTIONS = ("higher", "lower")
TIERING_METHODS = ("percentile", "threshold")
TRIGGER_RULES = {
    # rule → flag column of the features (see core.scoring.features) and the populations it applies to
    "no_purchase_6m_no_response": ("flag_no_purchase_6m_no_response", ("owners",)),
    "frequency_down_50": ("flag_frequency_down_50", ("owners",)),
    "asked_competitor": ("flag_asked_competitor", ("owners", "leads")),
}


def _dims(**weights: float) -> dict[str, dict[str, Any]]:
    return {
        name: {"weight": w, "normalisation": "percentile", "direction": "higher"}
        for name, w in weights.items()
    }


_OWNER_TRIGGERS = [
    {"rule": "no_purchase_6m_no_response", "tier": -1},
    {"rule": "frequency_down_50", "tier": -1},
    {"rule": "asked_competitor", "tier": -1},
]

# presets for the tier systems of DOMAIN.md; a trigger's tier -1 means the bottom tier
PRESETS: dict[str, dict[str, Any]] = {
    "value_3": {
        "population": "owners",
        "dimensions": _dims(amount_12m=40, purchases_12m=30, repurchase_rate=30),
        "tiering": {"method": "percentile", "cutoffs": [20, 60, 20]},
        "labels": ["高价值", "普通", "流失风险"],
        "triggers": _OWNER_TRIGGERS,
    },
    "value_3_40_30_30": {
        "population": "owners",
        "dimensions": _dims(amount_12m=40, purchases_12m=30, repurchase_rate=30),
        "tiering": {"method": "percentile", "cutoffs": [40, 30, 30]},
        "labels": ["高价值", "普通", "流失风险"],
        "triggers": _OWNER_TRIGGERS,
    },
    "base_3": {
        "population": "owners",
        "dimensions": _dims(
            amount_12m=25, purchases_12m=15, satisfaction=20, maintenance_12m=20, events_12m=10, referrals=10
        ),
        "tiering": {"method": "percentile", "cutoffs": [20, 50, 30]},
        "labels": ["优质", "潜力", "一般"],
        "triggers": [],
    },
    "abcd": {
        "population": "owners",
        "dimensions": _dims(
            amount_12m=30, purchases_12m=20, repurchase_rate=20, satisfaction=15, response_rate=15
        ),
        "tiering": {"method": "percentile", "cutoffs": [10, 20, 40, 30]},
        "labels": ["A", "B", "C", "D"],
        "triggers": [],
    },
    "a_to_e": {
        "population": "owners",
        "dimensions": _dims(
            amount_12m=30, purchases_12m=20, repurchase_rate=20, satisfaction=15, response_rate=15
        ),
        "tiering": {"method": "percentile", "cutoffs": [10, 20, 40, 20, 10]},
        "labels": ["A", "B", "C", "D", "E"],
        "triggers": [],
    },
    "diamond_5": {
        "population": "owners",
        "dimensions": _dims(
            amount_12m=35,
            purchases_12m=20,
            repurchase_rate=15,
            referrals=10,
            service_products=10,
            satisfaction=10,
        ),
        "tiering": {"method": "percentile", "cutoffs": [5, 10, 20, 30, 35]},
        "labels": ["钻石", "白金", "黄金", "白银", "普通"],
        "triggers": [],
    },
    "leads_habc": {
        "population": "leads",
        "dimensions": {
            "days_to_expected": {"weight": 50, "normalisation": "percentile", "direction": "lower"},
            "grade_rank": {"weight": 20, "normalisation": "percentile", "direction": "higher"},
            "stage_reached_asof": {"weight": 15, "normalisation": "percentile", "direction": "higher"},
            "days_since_contact": {"weight": 15, "normalisation": "percentile", "direction": "lower"},
        },
        "tiering": {"method": "percentile", "cutoffs": [15, 25, 30, 30]},
        "labels": ["H", "A", "B", "C"],
        "triggers": [],
    },
}


def preset(name: str) -> dict[str, Any]:
    """A deep copy of a preset spec, with trigger tiers resolved to labels.

    Examples
    --------
    >>> preset("value_3")["triggers"][0]
    {'rule': 'no_purchase_6m_no_response', 'tier': '流失风险'}
    """
    spec = copy.deepcopy(PRESETS[name])
    for trig in spec["triggers"]:
        if isinstance(trig["tier"], int):
            trig["tier"] = spec["labels"][trig["tier"]]
    spec["preset"] = name
    return spec


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec: which control (``field``), a message code and its parameters."""

    field: str
    code: str
    params: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in self.params)
        return f"{self.field}: {self.code}" + (f" ({extra})" if extra else "")


class SchemeError(ValueError):
    """A spec that cannot be scored, saved or published; ``problems`` says what to fix."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def _number(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def validate(spec: dict[str, Any], available: set[str] | None = None) -> list[Problem]:
    """Everything wrong with ``spec``; an empty list means it can be scored and saved.

    ``available`` is the set of dimension names the data provides (unknown dimensions are a problem).

    Examples
    --------
    >>> [p.code for p in validate(preset("value_3"))]
    []
    >>> s = preset("value_3"); s["dimensions"]["amount_12m"]["weight"] = 50
    >>> [(p.field, p.code) for p in validate(s)]
    [('weights', 'weights_sum')]
    """
    problems: list[Problem] = []
    if spec.get("population") not in ("owners", "leads"):
        problems.append(Problem("population", "population_unknown"))
    dims = spec.get("dimensions") or {}
    if not dims:
        problems.append(Problem("weights", "weights_all_zero"))
    weights = []
    for name, d in dims.items():
        if available is not None and name not in available:
            problems.append(Problem(f"dimension:{name}", "dimension_unknown", (("name", name),)))
        w = _number(d.get("weight"))
        if w is None:
            problems.append(Problem(f"dimension:{name}", "weight_not_number", (("name", name),)))
        elif w < 0:
            problems.append(Problem(f"dimension:{name}", "weight_negative", (("name", name),)))
        else:
            weights.append(w)
        if d.get("normalisation", "percentile") not in NORMALISATIONS:
            problems.append(Problem(f"dimension:{name}", "normalisation_unknown", (("name", name),)))
        if d.get("direction", "higher") not in DIRECTIONS:
            problems.append(Problem(f"dimension:{name}", "direction_unknown", (("name", name),)))
    if dims and len(weights) == len(dims):
        total = sum(weights)
        if total <= 0:
            problems.append(Problem("weights", "weights_all_zero"))
        elif abs(total - 100) > 0.01:
            problems.append(Problem("weights", "weights_sum", (("total", round(total, 2)),)))
    labels = spec.get("labels") or []
    if len(labels) < 2:
        problems.append(Problem("labels", "labels_too_few"))
    if any(not str(x).strip() for x in labels):
        problems.append(Problem("labels", "labels_empty"))
    if len({str(x).strip() for x in labels}) != len(labels):
        problems.append(Problem("labels", "labels_duplicate"))
    tiering = spec.get("tiering") or {}
    method = tiering.get("method")
    if method == "percentile":
        cut = [_number(x) for x in tiering.get("cutoffs", [])]
        if len(cut) != len(labels):
            problems.append(Problem("tiering", "cutoffs_count", (("labels", len(labels)),)))
        elif any(c is None or c <= 0 for c in cut):
            problems.append(Problem("tiering", "cutoffs_positive"))
        elif abs(sum(c for c in cut if c is not None) - 100) > 0.01:
            problems.append(
                Problem(
                    "tiering", "cutoffs_sum", (("total", round(sum(c for c in cut if c is not None), 2)),)
                )
            )
        tie_break = tiering.get("tie_break")
        if tie_break is not None and tie_break not in dims:
            problems.append(Problem("tiering", "tie_break_unknown", (("name", tie_break),)))
    elif method == "threshold":
        thr = [_number(x) for x in tiering.get("thresholds", [])]
        if len(thr) != len(labels) - 1:
            problems.append(Problem("tiering", "thresholds_count", (("labels", len(labels)),)))
        elif any(t is None for t in thr):
            problems.append(Problem("tiering", "thresholds_not_number"))
        elif any(a <= b for a, b in zip(thr, thr[1:], strict=False)):  # type: ignore[operator]
            problems.append(Problem("tiering", "thresholds_monotonic"))
    else:
        problems.append(Problem("tiering", "tiering_unknown"))
    for i, trig in enumerate(spec.get("triggers") or []):
        rule = trig.get("rule")
        if rule not in TRIGGER_RULES:
            problems.append(Problem(f"trigger:{i}", "trigger_unknown", (("rule", rule),)))
        elif spec.get("population") not in TRIGGER_RULES[rule][1]:
            problems.append(Problem(f"trigger:{i}", "trigger_population", (("rule", rule),)))
        if trig.get("tier") not in labels:
            problems.append(Problem(f"trigger:{i}", "trigger_tier_unknown", (("tier", trig.get("tier")),)))
    return problems


def check(spec: dict[str, Any], available: set[str] | None = None) -> None:
    """Raise ``SchemeError`` unless ``spec`` is valid."""
    problems = validate(spec, available)
    if problems:
        raise SchemeError(problems)


# ---- normalisation -------------------------------------------------------------------------------


def percentile_rank(values: np.ndarray) -> np.ndarray:
    """(average rank − 1) / (n − 1) in [0, 1]; a single value gets 1.0; NaN counts as the lowest value.

    Examples
    --------
    >>> percentile_rank(np.array([10.0, 30.0, 20.0, 20.0]))
    array([0. , 1. , 0.5, 0.5])
    """
    n = len(values)
    if n == 0:
        return np.zeros(0)
    if n == 1:
        return np.ones(1)
    v = np.where(np.isnan(values), -np.inf, values)
    ranks = pd.Series(v).rank(method="average").to_numpy()
    return (ranks - 1.0) / (n - 1.0)


def normalise(values: np.ndarray, method: str = "percentile", direction: str = "higher") -> np.ndarray:
    """One dimension's raw values → 0..1 (1 best).

    Examples
    --------
    >>> normalise(np.array([0.0, 5.0, 10.0]), "minmax")
    array([0. , 0.5, 1. ])
    >>> normalise(np.array([0.0, 5.0, 10.0]), "minmax", "lower")
    array([1. , 0.5, 0. ])
    >>> normalise(np.array([3.0, 3.0]), "minmax")
    array([0.5, 0.5])
    """
    x = np.asarray(values, dtype=float)
    if method == "percentile":
        out = percentile_rank(x)
    elif method in ("minmax", "log_minmax"):
        x = np.nan_to_num(x, nan=np.nanmin(x) if np.isfinite(x).any() else 0.0)
        if method == "log_minmax":
            x = np.log1p(np.maximum(x, 0.0))
        lo, hi = (x.min(), x.max()) if len(x) else (0.0, 0.0)
        out = np.full(len(x), 0.5) if hi <= lo else (x - lo) / (hi - lo)
    else:
        raise ValueError(f"unknown normalisation {method!r}")
    return 1.0 - out if direction == "lower" else out


# ---- scoring -------------------------------------------------------------------------------------


def normalised_matrix(features: pd.DataFrame, dimensions: dict[str, dict[str, Any]]) -> np.ndarray:
    """float32 array of shape (n_dimensions, n_customers): each row one dimension normalised to 0..1."""
    out = np.empty((len(dimensions), len(features)), dtype=np.float32)
    for i, (name, d) in enumerate(dimensions.items()):
        out[i] = normalise(
            features[name].to_numpy(dtype=float),
            d.get("normalisation", "percentile"),
            d.get("direction", "higher"),
        )
    return out


def weighted_score(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Score 0..100 = Σ weight% × normalised value, accumulated dimension by dimension.

    Element-wise on purpose: a BLAS matrix product may round a row differently by its position, and
    customers with equal normalised values must get bit-equal scores for the tie rule to hold.
    """
    score = np.zeros(matrix.shape[1], dtype=np.float32)
    term = np.empty_like(score)
    for i in range(matrix.shape[0]):
        if weights[i]:
            np.multiply(matrix[i], np.float32(weights[i]), out=term)
            score += term
    return score


def percentile_thresholds(scores: np.ndarray, cutoffs: list[float]) -> np.ndarray:
    """Score thresholds of the tiers (one fewer than tiers): the score of the last customer inside each
    tier when sorted best first, so that ties at a cut-off go to the higher tier.

    Examples
    --------
    >>> percentile_thresholds(np.array([5.0, 4, 3, 2, 1]), [20, 60, 20])
    array([5., 2.])
    """
    n = len(scores)
    if n == 0:
        return np.full(len(cutoffs) - 1, np.inf)
    bounds = np.round(np.cumsum(cutoffs)[:-1] / 100.0 * n).astype(np.int64)
    # the b-th best score is the (n - b)-th smallest
    ks = np.clip(n - bounds, 0, n - 1)
    if n >= BUCKET_SELECT_MIN and np.isfinite(scores).all() and scores.min() >= 0 and scores.max() <= 100:
        thr = _select_by_buckets(scores, ks)
    else:
        part = np.partition(scores, np.unique(ks))
        thr = part[ks].astype(np.float64)
    thr[bounds <= 0] = np.inf
    return thr


BUCKET_SELECT_MIN = 50_000
_BUCKETS = 10_000


def _select_by_buckets(scores: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """The ks-th smallest scores (0-based), exactly, for scores in 0..100: count scores per 0.01-wide bucket,
    find the bucket that holds each rank, and sort only that bucket's scores. About 3x faster than
    np.partition at a million scores, which is what keeps a slider move within the lab's budget."""
    bucket = (scores * np.float32(_BUCKETS / 100.0)).astype(np.int32)
    np.clip(bucket, 0, _BUCKETS, out=bucket)
    below = np.cumsum(np.bincount(bucket, minlength=_BUCKETS + 1))  # scores in buckets 0..i
    out = np.empty(len(ks), dtype=np.float64)
    for i, k in enumerate(ks.tolist()):
        b = int(np.searchsorted(below, k, side="right"))  # first bucket whose running count exceeds k
        start = int(below[b - 1]) if b > 0 else 0
        inside = np.sort(scores[bucket == b])
        out[i] = float(inside[k - start])
    return out


def tier_index(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Tier number (0 = top) of each score: how many (descending) thresholds lie strictly above it.

    Examples
    --------
    >>> tier_index(np.array([5.0, 4, 2, 1], dtype=np.float32), np.array([5.0, 2.0])).tolist()
    [0, 1, 1, 2]
    """
    tier = np.zeros(len(scores), dtype=np.int8)
    for thr in np.asarray(thresholds, dtype=np.float64).tolist():
        tier += scores < thr  # a Python float compares at the array's precision, without a float64 copy
    return tier


@dataclass
class Scored:
    """Result of scoring a population: per customer (aligned with the features' index)."""

    customer_id: np.ndarray
    score: np.ndarray  # float32, 0..100
    tier: np.ndarray  # int8, 0 = top tier
    rule: np.ndarray  # int8, -1 = none, else index into spec["triggers"]
    thresholds: np.ndarray
    labels: list[str]
    # int8 tier by score alone, before trigger rules (None: not kept, the same as tier)
    score_tier: np.ndarray | None = None

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "customer_id": self.customer_id,
                "tier": np.array(self.labels, dtype=object)[self.tier],
                "score": self.score,
            }
        )


class Scorer:
    """Scores a population with a spec, keeping the normalised matrix so weight changes are cheap.

    ``fit`` normalises the features once (the slow part: one rank per dimension); ``score`` then costs a
    weighted sum, two partitions and a search per weight change.

    Examples
    --------
    >>> f = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [5.0, 4, 3, 2, 1]}, index=[11, 12, 13, 14, 15])
    >>> spec = {"population": "owners", "labels": ["高", "中", "低"], "triggers": [],
    ...         "tiering": {"method": "percentile", "cutoffs": [20, 60, 20]},
    ...         "dimensions": {"a": {"weight": 100}, "b": {"weight": 0}}}
    >>> r = Scorer(spec).fit(f).score()
    >>> np.array(r.labels)[r.tier].tolist()
    ['低', '中', '中', '中', '高']
    """

    def __init__(self, spec: dict[str, Any]):
        self.spec = spec

    def fit(self, features: pd.DataFrame) -> Scorer:
        check(self.spec, set(features.columns))
        self.dimensions_ = list(self.spec["dimensions"])
        self.matrix_ = normalised_matrix(features, self.spec["dimensions"])
        self.customer_id_ = features.index.to_numpy()
        # by rule name, not by position, so that a draft may list other triggers or reorder them
        self.flags_ = {
            rule: features[col].to_numpy(dtype=bool)
            for rule, (col, _) in TRIGGER_RULES.items()
            if col in features.columns
        }
        return self

    def weights(self, spec: dict[str, Any] | None = None) -> np.ndarray:
        dims = (spec or self.spec)["dimensions"]
        return np.array([float(dims[d]["weight"]) if d in dims else 0.0 for d in self.dimensions_]) / 100.0

    def score(self, spec: dict[str, Any] | None = None) -> Scored:
        """Score with ``spec`` (default: the fitted one). Only weights, tiering, labels and triggers may
        differ from the fitted spec; other normalisations need a new ``fit``."""
        spec = spec or self.spec
        scores = weighted_score(self.matrix_, self.weights(spec) * 100.0)
        tiering = spec["tiering"]
        if tiering["method"] == "percentile":
            thresholds = percentile_thresholds(scores, tiering["cutoffs"])
        else:
            thresholds = np.asarray(tiering["thresholds"], dtype=np.float64)
        tier = tier_index(scores, thresholds)
        if tiering["method"] == "percentile" and tiering.get("tie_break") is not None:
            self._break_ties(tier, scores, thresholds, tiering["cutoffs"], tiering["tie_break"])
        score_tier = tier.copy() if spec.get("triggers") else tier
        rule = np.full(len(scores), -1, dtype=np.int8)
        labels = list(spec["labels"])
        for i, trig in enumerate(spec.get("triggers") or []):
            flag = self.flags_.get(trig["rule"])
            if flag is None:
                continue
            fire = flag & (rule < 0)
            rule[fire] = i
            tier[fire] = labels.index(trig["tier"])
        return Scored(self.customer_id_, scores, tier, rule, thresholds, labels, score_tier)

    def tie_order(self, dimension: str) -> np.ndarray:
        """Positions of the customers ordered by ``dimension``'s normalised value (higher first), then by
        customer id: the tie-break order, computed once per fitted dimension."""
        cache = self.__dict__.setdefault("_tie_orders", {})
        if dimension not in cache:
            values = self.matrix_[self.dimensions_.index(dimension)]
            cache[dimension] = np.lexsort((self.customer_id_, -values))
        return cache[dimension]

    def _break_ties(
        self, tier: np.ndarray, scores: np.ndarray, thresholds: np.ndarray, cutoffs: list[float], dim: str
    ) -> None:
        """Re-tier, in place, the customers whose score equals a boundary's: by their position in the order
        (score best first, then ``tie_order``), so each tier holds its cut-off's count. O(n) per boundary
        score; the rest keep ``tier_index``'s tier, which that order gives them too."""
        n = len(scores)
        bounds = np.round(np.cumsum(cutoffs)[:-1] / 100.0 * n).astype(np.int64)
        order = self.tie_order(dim)
        for value in np.unique(thresholds[np.isfinite(thresholds)]).tolist():
            tied = scores == value  # the float32 scores compared at their precision, as tier_index does
            above = int(np.count_nonzero(scores > value))
            in_order = tied[order]
            members = order[in_order]  # the tied customers in tie-break order
            position = above + np.arange(len(members))
            tier[members] = np.searchsorted(bounds, position, side="right").astype(np.int8)

    def contributions(self, positions: np.ndarray, spec: dict[str, Any] | None = None) -> pd.DataFrame:
        """Each dimension's contribution (score points) for the customers at ``positions``."""
        w = self.weights(spec) * 100.0
        return pd.DataFrame(
            (self.matrix_[:, positions] * w[:, None].astype(np.float32)).T,
            columns=self.dimensions_,
            index=self.customer_id_[positions],
        )
