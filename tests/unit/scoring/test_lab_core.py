"""The scoring lab's pure core (core.scoring.lab): preview, movers and why, workload, AUC and backtest by hand, and the
lab's data read from a demo database."""

from __future__ import annotations

import copy
import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from core.scoring.lab import (
    FALLBACK_CADENCE_DAYS,
    Published,
    auc,
    backtest,
    explain_movers,
    preview,
    workload,
)
from core.scoring.lab_data import load_lab_data
from core.scoring.scheme import Scorer

LABELS_3 = ["高价值", "普通", "流失风险"]


def make_spec(weights, *, cutoffs=(20, 60, 20), labels=LABELS_3, triggers=()):
    return {
        "population": "owners",
        "dimensions": {
            d: {"weight": w, "normalisation": "percentile", "direction": "higher"} for d, w in weights.items()
        },
        "tiering": {"method": "percentile", "cutoffs": list(cutoffs)},
        "labels": list(labels),
        "triggers": list(triggers),
    }


# ---- preview against an independent pandas computation ---------------------------------------------------


def random_case(seed: int, n: int, published_labels: list[str], draft_labels: list[str], draft_cutoffs):
    rng = np.random.default_rng(seed)
    features = pd.DataFrame(
        {
            "amount_12m": rng.integers(0, 30, n).astype(float),
            "purchases_12m": rng.integers(0, 5, n).astype(float),
            "repurchase_rate": rng.random(n),
            "flag_asked_competitor": rng.random(n) < 0.05,
        },
        index=pd.Index(rng.permutation(np.arange(1000, 1000 + 3 * n))[:n], name="customer_id"),
    )
    old_spec = make_spec(
        {"amount_12m": 40, "purchases_12m": 30, "repurchase_rate": 30},
        cutoffs=[100 / len(published_labels)] * len(published_labels),
        labels=published_labels,
    )
    new_spec = make_spec(
        {"amount_12m": 10, "purchases_12m": 20, "repurchase_rate": 70},
        cutoffs=draft_cutoffs,
        labels=draft_labels,
        triggers=[{"rule": "asked_competitor", "tier": draft_labels[-1]}],
    )
    # published tiers: any tier, and some customers (new ones) without a published tier
    tier = rng.integers(0, len(published_labels), n).astype(np.int8)
    tier[rng.random(n) < 0.1] = -1
    return features, old_spec, new_spec, Published(tier, list(published_labels), old_spec)


CASES = [
    ("same-labels", LABELS_3, LABELS_3, [20, 60, 20]),
    ("same-labels-other-cutoffs", LABELS_3, LABELS_3, [40, 30, 30]),
    ("three-to-four", LABELS_3, ["A", "B", "C", "D"], [10, 20, 40, 30]),
    ("five-to-two", ["钻石", "白金", "黄金", "白银", "普通"], ["上", "下"], [50, 50]),
]


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(
    ("published_labels", "draft_labels", "draft_cutoffs"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_preview_against_pandas(seed, published_labels, draft_labels, draft_cutoffs):
    features, old_spec, new_spec, published = random_case(
        seed, 300, published_labels, draft_labels, draft_cutoffs
    )
    scorer = Scorer(old_spec).fit(features)
    p = preview(scorer, new_spec, published)

    fresh = Scorer(new_spec).fit(features).score()
    np.testing.assert_array_equal(p.scored.tier, fresh.tier)
    np.testing.assert_array_equal(p.scored.score, fresh.score)
    new = pd.Series(np.array(draft_labels, dtype=object)[fresh.tier], index=features.index)
    old = pd.Series(
        [published_labels[t] if t >= 0 else "—" for t in published.tier], index=features.index, dtype=object
    )

    # transition matrix: rows published tier (then "—" for none), columns draft tier
    rows = published_labels + (["—"] if (published.tier < 0).any() else [])
    want = pd.crosstab(old, new).reindex(index=rows, columns=draft_labels, fill_value=0)
    pdt.assert_frame_equal(p.transition, want, check_names=False, check_dtype=False)

    counts_new = new.value_counts().reindex(draft_labels, fill_value=0)
    counts_old = old.value_counts().reindex(draft_labels, fill_value=0)  # only labels the draft shares count
    want_counts = pd.DataFrame(
        {
            "tier": draft_labels,
            "customers": counts_new.to_numpy(),
            "share": counts_new.to_numpy() / len(features),
            "published": counts_old.to_numpy(),
        }
    )
    want_counts["change"] = want_counts["customers"] - want_counts["published"]
    pdt.assert_frame_equal(p.counts, want_counts, check_dtype=False)

    # movers: by tier number when the labels are the same, else by relative position (0 top … 1 bottom)
    has_old = published.tier >= 0
    if published_labels == draft_labels:
        before, after = published.tier.astype(float), fresh.tier.astype(float)
    else:
        before = published.tier / (len(published_labels) - 1)
        after = fresh.tier / (len(draft_labels) - 1)
    np.testing.assert_array_equal(p.moved_up, np.flatnonzero(has_old & (after < before)))
    np.testing.assert_array_equal(p.moved_down, np.flatnonzero(has_old & (after > before)))
    assert p.unchanged == int((has_old & (after == before)).sum())
    assert len(p.moved_up) + len(p.moved_down) + p.unchanged == has_old.sum()


def test_preview_without_a_published_scheme():
    features = pd.DataFrame({"amount_12m": [1.0, 2, 3, 4, 5]}, index=[1, 2, 3, 4, 5])
    spec = make_spec({"amount_12m": 100})
    p = preview(Scorer(spec).fit(features), spec, Published.none(5))
    assert p.transition.index.tolist() == ["—"]
    assert p.transition.to_numpy().tolist() == [[1, 3, 1]]
    assert p.counts.to_dict("list") == {
        "tier": LABELS_3,
        "customers": [1, 3, 1],
        "share": [0.2, 0.6, 0.2],
        "published": [0, 0, 0],
        "change": [1, 3, 1],
    }
    assert (len(p.moved_up), len(p.moved_down), p.unchanged) == (0, 0, 0)


def test_published_align():
    assigned = pd.DataFrame({"customer_id": [30, 10, 99], "tier": ["流失风险", "高价值", "普通"]})
    spec = make_spec({"amount_12m": 100})
    got = Published.align(np.array([10, 20, 30]), assigned, spec)
    assert got.tier.tolist() == [0, -1, 2]  # customer 20 has no tier; 99 is not in the population
    assert got.labels == LABELS_3 and got.spec is spec
    # without the published spec the labels are the ones found, sorted
    assert Published.align(np.array([10, 30]), assigned, None).labels == sorted(
        ["流失风险", "高价值", "普通"]
    )


# ---- explain_movers by hand ------------------------------------------------------------------------------

# percentile ranks: a 0, .5, 1; b 1, 0, .5; c constant → .5 each
TINY = pd.DataFrame(
    {
        "a": [1.0, 2.0, 3.0],
        "b": [30.0, 10.0, 20.0],
        "c": [5.0, 5.0, 5.0],
        "flag_asked_competitor": [False, False, True],
    },
    index=pd.Index([7, 8, 9], name="customer_id"),
)
OLD = make_spec({"a": 50, "b": 30, "c": 20})
NEW = make_spec(
    {"a": 20, "b": 35, "c": 45}, triggers=[{"rule": "asked_competitor", "tier": "流失风险"}]
)  # Δw: a −30, b +5, c +25


def test_explain_movers_by_hand():
    scorer = Scorer(NEW).fit(TINY)
    scored = scorer.score(NEW)
    published = Published(np.array([0, 1, 2], dtype=np.int8), LABELS_3, OLD)
    got = explain_movers(scorer, scored, NEW, published, np.array([0, 1, 2]))
    # (w_new − w_old) × normalised value, largest change first, top 2, changes under 0.05 left out
    #   7: a −30×0 = 0, b +5×1 = 5, c +25×.5 = 12.5
    #   8: a −30×.5 = −15, b +5×0 = 0, c 12.5
    #   9: a −30×1 = −30, b +5×.5 = 2.5, c 12.5
    assert got["customer_id"].tolist() == [7, 8, 9]
    assert got["reasons"].tolist() == [
        [("c", 12.5), ("b", 5.0)],
        [("a", -15.0), ("c", 12.5)],
        [("a", -30.0), ("c", 12.5)],
    ]
    assert got["rule"].tolist() == [None, None, "asked_competitor"]
    np.testing.assert_array_equal(got["score"].to_numpy(), scored.score)
    # new scores: 20a + 35b + 45c
    np.testing.assert_allclose(scored.score, [35 + 22.5, 10 + 22.5, 20 + 17.5 + 22.5])


def test_explain_movers_top_positions_and_no_published_spec():
    scorer = Scorer(NEW).fit(TINY)
    scored = scorer.score(NEW)
    published = Published(np.array([0, 1, 2], dtype=np.int8), LABELS_3, OLD)
    one = explain_movers(scorer, scored, NEW, published, np.array([2, 0]), top=1)
    assert one["customer_id"].tolist() == [9, 7]
    assert one["reasons"].tolist() == [[("a", -30.0)], [("c", 12.5)]]
    # without a published spec every point of the draft is a change: w_new × value
    none = explain_movers(scorer, scored, NEW, Published.none(3), np.array([0]), top=3)
    assert none["reasons"].tolist() == [[("b", 35.0), ("c", 22.5)]]  # a: 20 × 0 is no reason
    empty = explain_movers(scorer, scored, NEW, published, np.array([], dtype=np.int64))
    assert empty.empty and list(empty.columns) == ["customer_id", "score", "reasons", "rule"]


def test_explain_movers_does_not_touch_its_inputs():
    scorer = Scorer(NEW).fit(TINY)
    scored = scorer.score(NEW)
    matrix, score = scorer.matrix_.copy(), scored.score.copy()
    spec = copy.deepcopy(NEW)
    explain_movers(
        scorer, scored, NEW, Published(np.array([0, 1, 2], dtype=np.int8), LABELS_3, OLD), np.arange(3)
    )
    np.testing.assert_array_equal(scorer.matrix_, matrix)
    np.testing.assert_array_equal(scored.score, score)
    assert NEW == spec


# ---- workload by hand ------------------------------------------------------------------------------------


def test_workload_by_hand():
    # H every 3 days, A every 7, B every 15 (DOMAIN.md)
    tier = np.array([0, 0, 1, 2, 1], dtype=np.int8)  # H, H, A, B, A
    advisor = np.array([5, 5, 9, 9, 2])
    got = workload(tier, ["H", "A", "B"], advisor)
    pdt.assert_frame_equal(
        got,
        pd.DataFrame(
            {
                "advisor_id": [2, 5, 9],
                "customers": np.array([1, 2, 2], dtype=np.int64),
                "per_week": [round(7 / 7, 2), round(2 * 7 / 3, 2), round(7 / 7 + 7 / 15, 2)],
            }
        ),
    )
    assert got["per_week"].tolist() == [1.0, 4.67, 1.47]


def test_workload_cadence_override_and_unknown_label():
    tier = np.array([0, 1, 1], dtype=np.int8)
    got = workload(tier, ["H", "未知"], np.array([1, 1, 3]), cadence_days={"H": 7})
    assert got.to_dict("list") == {
        "advisor_id": [1, 3],
        "customers": [2, 1],
        "per_week": [round(1 + 7 / FALLBACK_CADENCE_DAYS, 2), round(7 / FALLBACK_CADENCE_DAYS, 2)],
    }


# ---- AUC and backtest ----------------------------------------------------------------------------------------


def auc_by_pairs(score, outcome) -> float | None:
    pos = [s for s, y in zip(score, outcome, strict=True) if y]
    neg = [s for s, y in zip(score, outcome, strict=True) if not y]
    if not pos or not neg:
        return None
    wins = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p, q in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(st.sampled_from([0.0, 1.0, 2.5, 50.0]) | st.floats(0, 100, allow_nan=False), st.booleans()),
        max_size=40,
    )
)
def test_auc_equals_the_pairwise_count(rows):
    score = np.array([r[0] for r in rows])
    outcome = np.array([r[1] for r in rows], dtype=np.int8)
    want = auc_by_pairs(score, outcome)
    got = auc(score, outcome)
    if want is None:
        assert got is None
    else:
        assert got == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize(
    ("score", "outcome", "expected"),
    [
        ([1.0, 2.0, 3.0, 4.0], [0, 0, 1, 1], 1.0),
        ([4.0, 3.0, 2.0, 1.0], [0, 0, 1, 1], 0.0),
        ([1.0, 1.0, 1.0], [0, 1, 1], 0.5),
        ([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], 0.75),
        ([1.0, 2.0], [1, 1], None),
        ([], [], None),
    ],
)
def test_auc_examples(score, outcome, expected):
    assert auc(np.array(score), np.array(outcome)) == expected


def test_backtest_by_hand():
    tier = np.array([0, 1, 1, 2, 0, 2, 1, 0], dtype=np.int8)
    score = np.array([90.0, 50, 60, 10, 80, 20, 40, 70])
    outcome = np.array([1, 0, 1, 0, 1, 1, 0, 0])
    table, a = backtest(tier, score, ["A", "B", "C", "D"], outcome)
    overall = 4 / 8
    pdt.assert_frame_equal(
        table,
        pd.DataFrame(
            {
                "tier": ["A", "B", "C", "D"],
                "customers": np.array([3, 3, 2, 0], dtype=np.int64),
                "rate": [round(2 / 3, 4), round(1 / 3, 4), 0.5, 0.0],  # D is empty: rate 0
                "lift": [round(2 / 3 / overall, 2), round(1 / 3 / overall, 2), 1.0, 0.0],
            }
        ),
    )
    assert a == pytest.approx(auc_by_pairs(score, outcome))
    # positives 90, 60, 80, 20 against negatives 50, 10, 40, 70: 3 + 2 + 4 + 1 wins of 16
    assert a == pytest.approx(12 / 16)


def test_backtest_without_any_outcome():
    table, a = backtest(np.array([0, 1], dtype=np.int8), np.array([2.0, 1.0]), ["上", "下"], np.array([0, 0]))
    assert table["rate"].tolist() == [0.0, 0.0] and table["lift"].tolist() == [0.0, 0.0]
    assert a is None


# ---- the lab's data from a demo database ---------------------------------------------------------------------


def _owners_in_db(conn, as_of: dt.date) -> list[int]:
    q = sa.text("SELECT DISTINCT customer_id FROM purchases WHERE kind = 'new_car' AND at <= :d ORDER BY 1")
    return conn.execute(q, {"d": as_of}).scalars().all()


def _current_tiers(conn, population: str) -> pd.DataFrame:
    q = sa.text(
        "SELECT a.customer_id, a.tier FROM tier_assignments a JOIN scoring_schemes s ON s.id = a.scheme_id "
        "WHERE a.effective_to IS NULL AND s.population = :p"
    )
    return pd.DataFrame(conn.execute(q, {"p": population}).all(), columns=["customer_id", "tier"])


def test_load_lab_data_owners(demo_db):
    lab = load_lab_data(demo_db.engine, population="owners", as_of=demo_db.as_of)
    with demo_db.engine.connect() as conn:
        owners = _owners_in_db(conn, demo_db.as_of)
        earlier_owners = _owners_in_db(conn, lab.backtest_as_of)
        tiers = _current_tiers(conn, "owners")
        customers = pd.DataFrame(
            conn.execute(sa.text("SELECT id, advisor_id, store_id, region_id FROM customers")).all(),
            columns=["id", "advisor_id", "store_id", "region_id"],
        ).set_index("id")
        version = conn.execute(
            sa.text(
                "SELECT version FROM scoring_schemes WHERE population = 'owners' AND status = 'published'"
            )
        ).scalar_one()

    assert (lab.population, lab.as_of) == ("owners", demo_db.as_of)
    assert lab.features.index.tolist() == owners
    assert lab.backtest_as_of == demo_db.as_of - dt.timedelta(days=180)
    assert lab.backtest_features.index.tolist() == earlier_owners
    assert len(lab.backtest_outcome) == len(earlier_owners)
    assert set(np.unique(lab.backtest_outcome)) <= {0, 1}
    assert lab.published_version.version == version

    # published tiers line up with tier_assignments, customer by customer
    labels = lab.published.labels
    assert labels == lab.published_version.params["labels"]
    aligned = pd.Series(
        [labels[t] if t >= 0 else None for t in lab.published.tier], index=lab.features.index, dtype=object
    )
    want = tiers.set_index("customer_id")["tier"].reindex(lab.features.index).astype(object)
    pdt.assert_series_equal(aligned, want.where(want.notna(), None), check_names=False)
    assert (lab.published.tier >= 0).sum() == len(tiers)  # the demo tiered every owner as of the same day

    ids = lab.features.index
    np.testing.assert_array_equal(lab.advisor_id, customers.loc[ids, "advisor_id"].fillna(-1).to_numpy())
    np.testing.assert_array_equal(lab.store_id, customers.loc[ids, "store_id"].fillna(-1).to_numpy())
    np.testing.assert_array_equal(lab.region_id, customers.loc[ids, "region_id"].fillna(-1).to_numpy())
    assert lab.overrides.dtype == bool and len(lab.overrides) == len(ids)

    # the scorers are fitted once per dimension set and reused for any weights
    spec = copy.deepcopy(lab.published_version.params)
    now, past = lab.scorers(spec)
    spec["dimensions"]["amount_12m"]["weight"] = 20
    spec["dimensions"]["purchases_12m"]["weight"] = 50
    assert lab.scorers(spec)[0] is now and lab.scorers(spec)[1] is past
    assert len(now.customer_id_) == len(ids) and len(past.customer_id_) == len(earlier_owners)
    # the published spec on the same day reproduces the published tiers
    np.testing.assert_array_equal(now.score(lab.published_version.params).tier, lab.published.tier)


def test_load_lab_data_leads(demo_db):
    lab = load_lab_data(demo_db.engine, population="leads", as_of=demo_db.as_of)
    with demo_db.engine.connect() as conn:
        tiers = _current_tiers(conn, "leads")
    assert lab.features.index.is_monotonic_increasing
    labels = lab.published.labels
    assert labels == ["H", "A", "B", "C"]
    aligned = {
        cid: labels[t] for cid, t in zip(lab.features.index, lab.published.tier, strict=True) if t >= 0
    }
    assert aligned == dict(zip(tiers["customer_id"], tiers["tier"], strict=True))


def test_lab_data_read_in_a_worker_process_equals_in_process(demo_db):
    """Large databases are read in a separate process (the app keeps only the features); the result must be the
    same as reading in the app's own process."""
    from core.scoring.lab_data import load_lab_data

    here = load_lab_data(demo_db.engine, population="owners", worker=False)
    there = load_lab_data(demo_db.engine, population="owners", worker=True)
    pd.testing.assert_frame_equal(here.features, there.features)
    pd.testing.assert_frame_equal(here.backtest_features, there.backtest_features)
    np.testing.assert_array_equal(here.backtest_outcome, there.backtest_outcome)
    np.testing.assert_array_equal(here.train_outcome, there.train_outcome)
    np.testing.assert_array_equal(here.advisor_id, there.advisor_id)
    np.testing.assert_array_equal(here.published.tier, there.published.tier)
    assert (here.as_of, here.backtest_as_of, here.train_as_of) == (
        there.as_of,
        there.backtest_as_of,
        there.train_as_of,
    )
