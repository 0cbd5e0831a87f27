"""The scoring lab's preview: a pure function from (fitted scorer, draft spec, published tiers) to what
would change: tier counts, transition matrix, movers and why, workload per advisor, backtest; and
``evaluate_draft``, which does all of it for one draft and returns one result for the page to render.

Nothing here touches the database or mutates its inputs; the page calls it on every slider move, so the
hot path is numpy on arrays prepared once (see ``LabData``, read by :mod:`core.scoring.lab_data`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from core.scoring.backtest import auc, backtest  # noqa: F401 - auc: still importable from here
from core.scoring.scheme import Problem, Scored, Scorer
from core.scoring.suggest import Suggestion, suggest_weights
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
    return pd.DataFrame(
        {
            "customer_id": scorer.customer_id_[positions],
            "score": scored.score[positions],
            "reasons": _reasons(scorer, spec, published, positions, top),
            "rule": _rules(scored, spec, positions),
        }
    )


def _reasons(
    scorer: Scorer, spec: dict[str, Any], published: Published, positions: np.ndarray, top: int
) -> list[list[tuple[str, float]]]:
    new_w = scorer.weights(spec) * 100.0
    old_w = scorer.weights(published.spec) * 100.0 if published.spec else np.zeros_like(new_w)
    values = scorer.matrix_[:, positions]
    delta = (new_w - old_w)[:, None].astype(np.float32) * values  # points gained per dimension
    order = np.argsort(-np.abs(delta), axis=0)[:top]
    names = np.array(scorer.dimensions_, dtype=object)
    return [
        [(names[order[j, i]], float(round(delta[order[j, i], i], 1))) for j in range(min(top, len(names)))
         if abs(delta[order[j, i], i]) >= 0.05]
        for i in range(len(positions))
    ]  # fmt: skip


def _rules(scored: Scored, spec: dict[str, Any], positions: np.ndarray) -> pd.Series:
    triggers = spec.get("triggers") or []
    rules = [triggers[r]["rule"] if r >= 0 else None for r in scored.rule[positions].tolist()]
    return pd.Series(rules, dtype=object)  # None where no rule fired (pandas 3 would make it NaN)


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


# ---- one draft, evaluated once per rerun -------------------------------------------------------------

MOVERS_SHOWN = 200
NO_TIER = "—"  # the published tier of a customer who has none (as in ``Preview.transition``)


@dataclass(frozen=True)
class MoverFilter:
    """Which movers to list: customers of these regions, stores and advisors (empty: any)."""

    regions: tuple[Any, ...] = ()
    stores: tuple[Any, ...] = ()
    advisors: tuple[Any, ...] = ()

    def mask(self, data: LabData) -> np.ndarray:
        """bool per customer of ``data``: passes every non-empty part of the filter."""
        keep = np.ones(len(data.advisor_id), dtype=bool)
        for wanted, ids in (
            (self.regions, data.region_id),
            (self.stores, data.store_id),
            (self.advisors, data.advisor_id),
        ):
            if wanted:
                keep &= np.isin(ids, list(wanted))
        return keep


@dataclass(frozen=True)
class Movers:
    """Customers who move one way, in the filter: the first of them with why, and how many there are."""

    frame: pd.DataFrame  # customer_id, old_tier, new_tier, score, reasons, rule, override
    total: int


@dataclass(frozen=True)
class BacktestComparison:
    """The draft and the published scheme on the backtest population (features a horizon ago)."""

    table: pd.DataFrame  # the draft's tiers: tier, customers, rate, lift
    auc: float | None
    lift: float  # the top tier's
    auc_published: float | None  # None: no published scheme, or one over dimensions the draft lacks
    lift_published: float | None
    constant: tuple[str, ...]  # dimensions held constant in the backtest (no history kept)


@dataclass(frozen=True)
class DraftEvaluation:
    """Everything the lab shows for one draft. ``preview`` is None when ``problems`` block scoring; then
    nothing else is filled in."""

    problems: tuple[Problem, ...]
    spec: dict[str, Any] | None = None  # the spec scored: the draft, or the draft rescaled to 100%
    rescaled: bool = False
    preview: Preview | None = None
    moved_up: Movers | None = None
    moved_down: Movers | None = None
    workload: pd.DataFrame | None = None  # advisor_id, customers, per_week, published (per week)
    backtest: BacktestComparison | None = None
    suggestion: Suggestion | None = None  # only when asked for: it fits a model
    overrides: int = 0  # customers with an active override by a person


def scorable_spec(spec: dict[str, Any], problems: list[Problem]) -> tuple[dict[str, Any] | None, bool]:
    """The spec to preview and whether it was rescaled: ``spec`` itself when valid; a copy with the weights
    rescaled to 100% when their sum is the only problem; None otherwise.

    Examples
    --------
    >>> spec = {"dimensions": {"a": {"weight": 50}, "b": {"weight": 30}}}
    >>> scaled, rescaled = scorable_spec(spec, [Problem("weights", "weights_sum")])
    >>> rescaled, {d: v["weight"] for d, v in scaled["dimensions"].items()}, spec["dimensions"]["a"]["weight"]
    (True, {'a': 62.5, 'b': 37.5}, 50)
    >>> scorable_spec(spec, []) == (spec, False), scorable_spec(spec, [Problem("labels", "labels_too_few")])
    (True, (None, False))
    """
    if not problems:
        return spec, False
    if all(p.code == "weights_sum" for p in problems):
        total = sum(float(d["weight"]) for d in spec["dimensions"].values())
        scaled = copy.deepcopy(spec)
        for d in scaled["dimensions"].values():
            d["weight"] = float(d["weight"]) * 100.0 / total
        return scaled, True
    return None, False


def evaluate_draft(
    data: LabData,
    spec: dict[str, Any],
    problems: list[Problem],
    *,
    movers: int = MOVERS_SHOWN,
    keep: MoverFilter | None = None,
    suggest: bool = False,
) -> DraftEvaluation:
    """Score a draft once and derive all the lab shows from it: preview, movers, workload, backtest and,
    when ``suggest``, weights fitted to past outcomes.

    Parameters
    ----------
    data : LabData
        The population's features now and a horizon ago, published tiers, who serves whom.
    spec : dict
        The draft as the controls describe it; ``problems`` are its validation problems.
    movers : int
        How many movers of each direction to explain (the first ones in the filter).
    keep : MoverFilter, optional
        List only movers of these regions, stores and advisors.
    suggest : bool
        Also fit suggested weights (slow: a logistic regression on the training population).

    Returns
    -------
    DraftEvaluation
        With only ``problems`` when they block scoring. Names of advisors are not in it: a view joins
        them where it may show them.

    Examples
    --------
    >>> f = pd.DataFrame({"a": [1.0, 2, 3, 4, 5]}, index=[11, 12, 13, 14, 15])
    >>> spec = {"population": "owners", "labels": ["高", "中", "低"], "triggers": [],
    ...         "tiering": {"method": "percentile", "cutoffs": [20, 60, 20]}, "dimensions": {"a": {"weight": 50}}}
    >>> i, y = np.arange(5), np.array([0, 0, 1, 1, 1])
    >>> data = LabData("owners", None, f, Published(np.ones(5, dtype=np.int8), spec["labels"], spec), None,
    ...     advisor_id=i % 2, store_id=i, region_id=i, backtest_features=f, backtest_outcome=y,
    ...     backtest_as_of=None, overrides=i == 0, train_features=f, train_outcome=y, train_as_of=None)
    >>> e = evaluate_draft(data, spec, [Problem("weights", "weights_sum")])
    >>> e.rescaled, e.spec["dimensions"]["a"]["weight"], e.preview.counts["customers"].tolist()
    (True, 100.0, [1, 3, 1])
    >>> e.moved_up.frame[["customer_id", "old_tier", "new_tier"]].to_numpy().tolist()
    [[15, '中', '高']]
    >>> e.moved_down.frame[["customer_id", "override"]].to_numpy().tolist(), e.backtest.auc
    ([[11, True]], 1.0)
    >>> evaluate_draft(data, spec, [Problem("labels", "labels_too_few")]).preview is None
    True
    """
    scorable, rescaled = scorable_spec(spec, problems)
    if scorable is None:
        return DraftEvaluation(problems=tuple(problems))
    scorer, bt_scorer = data.scorers(scorable)
    result = preview(scorer, scorable, data.published)
    mask = (keep or MoverFilter()).mask(data)
    return DraftEvaluation(
        problems=tuple(problems),
        spec=scorable,
        rescaled=rescaled,
        preview=result,
        moved_up=_movers(data, scorer, result, scorable, result.moved_up[mask[result.moved_up]], movers),
        moved_down=_movers(
            data, scorer, result, scorable, result.moved_down[mask[result.moved_down]], movers
        ),
        workload=_workload(data, result.scored),
        backtest=_backtest(data, bt_scorer, scorable),
        suggestion=(
            suggest_weights(
                data.train_scorer(scorable), data.train_outcome, bt_scorer, data.backtest_outcome, scorable
            )
            if suggest
            else None
        ),
        overrides=int(data.overrides.sum()),
    )


def _movers(
    data: LabData, scorer: Scorer, result: Preview, spec: dict[str, Any], positions: np.ndarray, limit: int
) -> Movers:
    shown = positions[:limit]
    published = data.published.tier[shown]
    old = np.array([*data.published.labels, NO_TIER], dtype=object)[np.where(published < 0, -1, published)]
    # the columns of explain_movers, built into this one frame (one frame fewer per rerun)
    frame = pd.DataFrame(
        {
            "customer_id": scorer.customer_id_[shown],
            "old_tier": old,
            "new_tier": np.array(result.scored.labels, dtype=object)[result.scored.tier[shown]],
            "score": result.scored.score[shown],
            "reasons": _reasons(scorer, spec, data.published, shown, 2),
            "rule": _rules(result.scored, spec, shown),
            "override": data.overrides[shown].astype(bool),
        }
    )
    return Movers(frame, len(positions))


def _workload(data: LabData, scored: Scored) -> pd.DataFrame:
    """Follow-ups per advisor per week under the draft beside the published tiers', busiest first."""
    draft = workload(scored.tier, scored.labels, data.advisor_id)
    has = data.published.tier >= 0
    pub = (
        workload(data.published.tier[has], data.published.labels, data.advisor_id[has])
        if has.any()
        else pd.DataFrame({"advisor_id": [], "per_week": []})
    )
    table = draft.merge(
        pub[["advisor_id", "per_week"]].rename(columns={"per_week": "published"}), on="advisor_id", how="left"
    )
    return table.sort_values("per_week", ascending=False)


def _backtest(data: LabData, bt_scorer: Scorer, spec: dict[str, Any]) -> BacktestComparison:
    draft = bt_scorer.score(spec)
    table, auc_draft = backtest(draft.tier, draft.score, draft.labels, data.backtest_outcome)
    auc_pub = lift_pub = None
    pub_spec = data.published_version.params if data.published_version is not None else None
    if pub_spec is not None and set(pub_spec["dimensions"]) <= set(bt_scorer.dimensions_):
        pub = bt_scorer.score(_published_over(bt_scorer, pub_spec))
        pub_table, auc_pub = backtest(pub.tier, pub.score, pub.labels, data.backtest_outcome)
        lift_pub = float(pub_table["lift"].iloc[0])
    constant = tuple(d for d in NO_HISTORY[data.population] if not d.startswith("flag_"))
    return BacktestComparison(table, auc_draft, float(table["lift"].iloc[0]), auc_pub, lift_pub, constant)


def _published_over(scorer: Scorer, published_spec: dict[str, Any]) -> dict[str, Any]:
    """The published spec expressed over the draft's fitted dimensions (zero weight where it has none)."""
    spec = copy.deepcopy(published_spec)
    spec["dimensions"] = {
        d: {"weight": float(published_spec["dimensions"].get(d, {}).get("weight", 0))}
        for d in scorer.dimensions_
    }
    spec["triggers"] = []  # the backtest compares scores; trigger flags were fitted for the draft's rules
    return spec
