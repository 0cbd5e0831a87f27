"""core.scoring.lab.evaluate_draft: one draft evaluated once (preview, movers, workload, backtest, suggestion),
checked against computations written out here with pandas and brute force, without Streamlit."""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from core.scoring.lab import (
    DEFAULT_CADENCE_DAYS,
    DraftEvaluation,
    LabData,
    MoverFilter,
    Published,
    evaluate_draft,
)
from core.scoring.scheme import Problem, Scorer, validate
from core.scoring.suggest import suggest_weights

LABELS = ["高价值", "普通", "流失风险"]
N = 400
REGIONS, STORES, ADVISORS = (1, 2), (10, 11, 12, 13), (100, 101, 102, 103, 104, 105)


def make_spec(weights: dict[str, float], *, triggers: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "population": "owners",
        "dimensions": {
            d: {"weight": w, "normalisation": "percentile", "direction": "higher"} for d, w in weights.items()
        },
        "tiering": {"method": "percentile", "cutoffs": [20, 60, 20]},
        "labels": list(LABELS),
        "triggers": [{"rule": r, "tier": LABELS[-1]} for r in triggers],
    }


PUBLISHED_SPEC = make_spec({"amount_12m": 40, "purchases_12m": 30, "repurchase_rate": 30})


def features(rng: np.random.Generator, index: pd.Index) -> pd.DataFrame:
    n = len(index)
    return pd.DataFrame(
        {
            "amount_12m": rng.integers(0, 40, n).astype(float),
            "purchases_12m": rng.integers(0, 6, n).astype(float),
            "repurchase_rate": rng.random(n),
            "referrals": rng.integers(0, 3, n).astype(float),
            "flag_asked_competitor": rng.random(n) < 0.08,
        },
        index=index,
    )


def make_data(seed: int = 0, *, published_version: bool = True) -> LabData:
    """A population of N customers: three feature sets (now, backtest, training), random published tiers
    (a tenth without one), stores in two regions, six advisors, some overrides, outcomes tied to amount."""
    rng = np.random.default_rng(seed)
    index = pd.Index(rng.permutation(np.arange(5000, 5000 + 3 * N))[:N], name="customer_id")
    now, past, older = (features(rng, index) for _ in range(3))
    tier = rng.integers(0, 3, N).astype(np.int8)
    tier[rng.random(N) < 0.1] = -1
    store = rng.choice(STORES, N)

    def outcome(f: pd.DataFrame) -> np.ndarray:
        return (rng.random(N) < 0.1 + f["amount_12m"].to_numpy() / 80).astype(float)

    return LabData(
        population="owners",
        as_of=None,
        features=now,
        published=Published(tier, list(LABELS), PUBLISHED_SPEC),
        published_version=SimpleNamespace(params=PUBLISHED_SPEC) if published_version else None,
        advisor_id=rng.choice(ADVISORS, N),
        store_id=store,
        region_id=np.where(store < 12, 1, 2),
        backtest_features=past,
        backtest_outcome=outcome(past),
        backtest_as_of=None,
        overrides=rng.random(N) < 0.05,
        train_features=older,
        train_outcome=outcome(older),
        train_as_of=None,
    )


def by_hand(data: LabData) -> pd.DataFrame:
    """One row per customer in the data's order: where they are, who serves them, their published tier."""
    return pd.DataFrame(
        {
            "customer_id": data.features.index.to_numpy(),
            "region": data.region_id,
            "store": data.store_id,
            "advisor": data.advisor_id,
            "override": data.overrides,
            "old": [LABELS[t] if t >= 0 else "—" for t in data.published.tier],
            "old_rank": data.published.tier,
        }
    )


# ---- the spec scored: as is, rescaled, or not at all -------------------------------------------------------

SCORABLE = [  # (draft weights, expected weights scored, rescaled)
    pytest.param({"amount_12m": 50, "purchases_12m": 30, "repurchase_rate": 20}, None, False, id="as-is"),
    pytest.param({"amount_12m": 50, "purchases_12m": 30}, {"amount_12m": 62.5, "purchases_12m": 37.5}, True,
                 id="rescaled-up"),
    pytest.param({"amount_12m": 100, "purchases_12m": 60, "repurchase_rate": 40},
                 {"amount_12m": 50.0, "purchases_12m": 30.0, "repurchase_rate": 20.0}, True, id="rescaled-down"),
]  # fmt: skip


@pytest.mark.parametrize(("weights", "scored_weights", "rescaled"), SCORABLE)
def test_the_spec_scored_and_its_preview(weights, scored_weights, rescaled):
    data = make_data()
    draft = make_spec(weights)
    problems = validate(draft, set(data.features.columns))
    got = evaluate_draft(data, draft, problems)

    assert got.problems == tuple(problems)
    assert [p.code for p in problems] == (["weights_sum"] if rescaled else [])
    assert got.rescaled is rescaled
    want_spec = make_spec(scored_weights or weights)
    assert {d: v["weight"] for d, v in got.spec["dimensions"].items()} == pytest.approx(
        scored_weights or weights
    )
    if not rescaled:
        assert got.spec is draft  # a valid draft is scored (and published) as it is
    # the preview against pandas on the tiers of a scorer fitted here on the weights written out above
    fresh = Scorer(want_spec).fit(data.features).score()
    new = pd.Series(np.array(LABELS, dtype=object)[fresh.tier])
    hand = by_hand(data)
    customers = new.value_counts().reindex(LABELS, fill_value=0).to_numpy()
    published = hand["old"].value_counts().reindex(LABELS, fill_value=0).to_numpy()
    pdt.assert_frame_equal(
        got.preview.counts,
        pd.DataFrame(
            {"tier": LABELS, "customers": customers, "share": customers / N, "published": published,
             "change": customers - published}
        ),
        check_dtype=False,
    )  # fmt: skip
    rows = [*LABELS, "—"]
    pdt.assert_frame_equal(
        got.preview.transition,
        pd.crosstab(hand["old"], new).reindex(index=rows, columns=LABELS, fill_value=0),
        check_names=False,
        check_dtype=False,
    )
    has = hand["old_rank"] >= 0
    assert got.moved_up.total == int((has & (fresh.tier < hand["old_rank"])).sum())
    assert got.moved_down.total == int((has & (fresh.tier > hand["old_rank"])).sum())
    assert got.overrides == int(data.overrides.sum())
    assert got.suggestion is None  # fitted only when asked for


class Untouchable:
    """Stands in for the lab's data where the evaluation must not look at it."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the evaluation read data.{name}")


PROBLEMS = [
    pytest.param([Problem("labels", "labels_duplicate")], id="labels"),
    pytest.param([Problem("weights", "weights_all_zero")], id="all-zero"),
    pytest.param(
        [Problem("weights", "weights_sum", (("total", 110.0),)), Problem("tiering", "cutoffs_sum")],
        id="weights-sum-and-another",
    ),
]


@pytest.mark.parametrize("problems", PROBLEMS)
def test_problems_and_nothing_else(problems):
    draft = make_spec({"amount_12m": 60, "purchases_12m": 50})
    got = evaluate_draft(Untouchable(), draft, problems)  # type: ignore[arg-type]
    assert got == DraftEvaluation(problems=tuple(problems))
    assert got.spec is None and got.preview is None and got.moved_up is None and got.backtest is None


# ---- movers: filtered by region, store, advisor; the first ones explained ---------------------------------

FILTERS = [  # (filter, how many to show)
    pytest.param(MoverFilter(), 200, id="everyone"),
    pytest.param(MoverFilter(), 7, id="everyone-first-7"),
    pytest.param(MoverFilter(regions=(2,)), 200, id="region"),
    pytest.param(MoverFilter(stores=(10, 13)), 200, id="stores"),
    pytest.param(MoverFilter(advisors=(101,)), 3, id="advisor-first-3"),
    pytest.param(MoverFilter(regions=(1,), advisors=(100, 104)), 200, id="region-and-advisors"),
    pytest.param(MoverFilter(regions=(2,), stores=(10,)), 200, id="store-outside-region"),
]


@pytest.mark.parametrize("triggers", [(), ("asked_competitor",)], ids=["no-trigger", "trigger"])
@pytest.mark.parametrize(("keep", "shown"), FILTERS)
def test_movers_against_pandas(keep, shown, triggers):
    data = make_data(1)
    draft = make_spec({"amount_12m": 10, "purchases_12m": 20, "repurchase_rate": 70}, triggers=triggers)
    got = evaluate_draft(data, draft, [], movers=shown, keep=keep)

    fresh = Scorer(draft).fit(data.features).score()
    hand = by_hand(data).assign(
        new=np.array(LABELS, dtype=object)[fresh.tier], new_rank=fresh.tier, score=fresh.score
    )
    # the trigger: customers who asked about a competitor go to the bottom tier, by that rule
    flagged = data.features["flag_asked_competitor"].to_numpy()
    hand["rule"] = pd.Series(
        [("asked_competitor" if f and triggers else None) for f in flagged], dtype=object
    )
    if triggers:
        assert (hand.loc[flagged, "new"] == LABELS[-1]).all()
    wanted = pd.Series(True, index=hand.index)
    for ids, column in ((keep.regions, "region"), (keep.stores, "store"), (keep.advisors, "advisor")):
        if ids:
            wanted &= hand[column].isin(ids)
    has = hand["old_rank"] >= 0
    for movers, direction in ((got.moved_up, hand["new_rank"] < hand["old_rank"]),
                              (got.moved_down, hand["new_rank"] > hand["old_rank"])):  # fmt: skip
        mine = hand[has & direction & wanted]
        assert movers.total == len(mine)
        want = mine.head(shown).reset_index(drop=True)
        pdt.assert_frame_equal(
            movers.frame[["customer_id", "old_tier", "new_tier", "score", "rule", "override"]],
            want[["customer_id", "old", "new", "score", "rule", "override"]].set_axis(
                ["customer_id", "old_tier", "new_tier", "score", "rule", "override"], axis=1
            ),
            check_dtype=False,
        )
        # reasons: dimensions whose points changed (draft − published weight × normalised value), or none
        assert all(
            isinstance(r, list) and all(isinstance(d, str) for d, _ in r) for r in movers.frame["reasons"]
        )
    if triggers and keep == MoverFilter() and shown == 200:
        assert (got.moved_down.frame["rule"] == "asked_competitor").any()


# ---- workload and backtest by hand ---------------------------------------------------------------------


def test_workload_by_hand():
    data = make_data(2)
    draft = make_spec({"amount_12m": 20, "purchases_12m": 20, "repurchase_rate": 60})
    got = evaluate_draft(data, draft, []).workload

    per_week = {label: 7 / DEFAULT_CADENCE_DAYS[label] for label in LABELS}  # 高价值 7, 普通 30, 流失风险 14
    hand = by_hand(data).assign(
        new=np.array(LABELS, dtype=object)[Scorer(draft).fit(data.features).score().tier]
    )
    draft_load = hand.assign(w=hand["new"].map(per_week)).groupby("advisor")["w"].agg(["size", "sum"])
    pub = hand[hand["old"] != "—"]
    pub_load = pub.assign(w=pub["old"].map(per_week)).groupby("advisor")["w"].sum()
    want = pd.DataFrame(
        {
            "advisor_id": draft_load.index.to_numpy(),
            "customers": draft_load["size"].to_numpy(),
            "per_week": draft_load["sum"].round(2).to_numpy(),
            "published": pub_load.round(2).reindex(draft_load.index).to_numpy(),
        }
    )
    pdt.assert_frame_equal(got.sort_values("advisor_id", ignore_index=True), want, check_dtype=False)
    assert got["per_week"].is_monotonic_decreasing  # busiest first


def brute_auc(score: np.ndarray, outcome: np.ndarray) -> float:
    """P(score of a positive > score of a negative), ties counted half: every pair compared."""
    pos, neg = score[outcome == 1], score[outcome == 0]
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)


def rate_table(tier: np.ndarray, outcome: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({"tier": pd.Categorical(np.array(LABELS)[tier], LABELS), "y": outcome})
    g = frame.groupby("tier", observed=False)["y"].agg(["size", "mean"])
    return pd.DataFrame(
        {
            "tier": LABELS,
            "customers": g["size"].to_numpy(),
            "rate": g["mean"].round(4).to_numpy(),
            "lift": (g["mean"] / outcome.mean()).round(2).to_numpy(),
        }
    )


@pytest.mark.parametrize("published", [True, False], ids=["with-published", "nothing-published"])
def test_backtest_by_hand(published):
    data = make_data(3, published_version=published)
    weights = {"amount_12m": 60, "purchases_12m": 20, "repurchase_rate": 0, "referrals": 20}
    draft = make_spec(weights, triggers=("asked_competitor",))
    got = evaluate_draft(data, draft, []).backtest

    y = data.backtest_outcome
    drafted = Scorer(draft).fit(data.backtest_features).score()
    pdt.assert_frame_equal(got.table, rate_table(drafted.tier, y), check_dtype=False)
    assert got.auc == pytest.approx(brute_auc(drafted.score, y))
    assert got.lift == got.table["lift"].iloc[0]
    assert got.constant == ()  # owners: every dimension has history
    if not published:
        assert got.auc_published is None and got.lift_published is None
        return
    # the published weights (40/30/30) over the draft's dimensions (none on referrals), without triggers
    pub = make_spec({"amount_12m": 40, "purchases_12m": 30, "repurchase_rate": 30, "referrals": 0})
    pub_scored = Scorer(pub).fit(data.backtest_features).score()
    assert got.auc_published == pytest.approx(brute_auc(pub_scored.score, y))
    assert got.lift_published == rate_table(pub_scored.tier, y)["lift"].iloc[0]


def test_backtest_without_the_published_dimensions_compares_nothing():
    data = make_data(4)
    draft = make_spec({"amount_12m": 100})  # the published scheme also weighs purchases and repurchase rate
    got = evaluate_draft(data, draft, []).backtest
    assert got.auc is not None and got.auc_published is None and got.lift_published is None


# ---- suggestion, and inputs left alone -------------------------------------------------------------------


def test_suggestion_only_when_asked_and_as_suggest_weights_fits_it():
    data = make_data(5)
    draft = make_spec({"amount_12m": 20, "purchases_12m": 40, "repurchase_rate": 40})
    assert evaluate_draft(data, draft, []).suggestion is None
    got = evaluate_draft(data, draft, [], suggest=True).suggestion
    want = suggest_weights(
        Scorer(draft).fit(data.train_features),
        data.train_outcome,
        Scorer(draft).fit(data.backtest_features),
        data.backtest_outcome,
        draft,
    )
    assert got == want
    assert sum(got.weights.values()) == 100
    assert got.weights["amount_12m"] == max(got.weights.values())  # the outcomes follow the amount


def test_the_evaluation_changes_none_of_its_inputs():
    data = make_data(6)
    draft = make_spec({"amount_12m": 50, "purchases_12m": 30}, triggers=("asked_competitor",))
    problems = validate(draft, set(data.features.columns))
    before = copy.deepcopy((draft, problems))
    tier, overrides, feats = data.published.tier.copy(), data.overrides.copy(), data.features.copy()
    got = evaluate_draft(data, draft, problems, keep=MoverFilter(regions=(1,)), suggest=True)
    assert got.rescaled and got.spec is not draft
    assert (draft, problems) == before
    np.testing.assert_array_equal(data.published.tier, tier)
    np.testing.assert_array_equal(data.overrides, overrides)
    pdt.assert_frame_equal(data.features, feats)
