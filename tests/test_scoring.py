"""Scoring: exact tiers on hand-made tables, validation, owner features, and properties that always hold."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.features import OWNER_DIMENSIONS, owner_features
from core.scoring import PRESETS, TierScheme, percentile_rank

LABELS_3 = ["高价值", "普通", "流失风险"]
CUTS_3 = [20, 60, 20]

# ---- percentile_rank ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([10.0, 30.0, 20.0, 20.0], [0.0, 1.0, 0.5, 0.5]),  # ties get the mean of their ranks
        ([7.0], [1.0]),  # one value ranks at the top
        ([5.0, 5.0, 5.0], [0.5, 0.5, 0.5]),  # all tied: the middle
        ([3.0, 1.0], [1.0, 0.0]),
        ([1.0, 2.0, 3.0, 4.0, 5.0], [0.0, 0.25, 0.5, 0.75, 1.0]),
        ([0.0, 0.0, 1.0, 1.0, 1.0], [0.125, 0.125, 0.75, 0.75, 0.75]),  # ranks 1.5 and 4
        ([-2.0, 0.0, 2.0], [0.0, 0.5, 1.0]),
    ],
)
def test_percentile_rank(values, expected):
    np.testing.assert_array_equal(percentile_rank(np.array(values)), np.array(expected))


# ---- exact tiers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "cutoffs", "expected"),
    [
        # 5 customers, 20/60/20: one on top, three in the middle, one at the bottom
        ([1, 2, 3, 4, 5], CUTS_3, ["流失风险", "普通", "普通", "普通", "高价值"]),
        # a tie at the top cut-off: both go to the higher tier
        ([1, 2, 3, 5, 5], CUTS_3, ["流失风险", "普通", "普通", "高价值", "高价值"]),
        # a tie at the bottom cut-off: both go up, so the bottom tier is empty
        ([1, 1, 2, 3, 4], CUTS_3, ["普通", "普通", "普通", "普通", "高价值"]),
        # everybody tied: everybody on top
        ([3, 3, 3, 3, 3], CUTS_3, ["高价值"] * 5),
        # 10 customers, 30/40/30
        (list(range(10)), [30, 40, 30], ["流失风险"] * 3 + ["普通"] * 4 + ["高价值"] * 3),
        # fewer customers than tiers: 2 × 20% rounds to 0 on top, so both are in the middle
        ([1, 2], CUTS_3, ["普通", "普通"]),
        ([9], CUTS_3, ["普通"]),
    ],
    ids=["plain", "tie-top", "tie-bottom", "all-tied", "ten-30-40-30", "two-customers", "one-customer"],
)
def test_single_dimension_tiers(values, cutoffs, expected):
    index = pd.Index([101 + i for i in range(len(values))], name="customer_id")
    f = pd.DataFrame({"amount_12m": np.array(values, dtype=float)}, index=index)
    tiers = TierScheme({"amount_12m": 100}, cutoffs, LABELS_3).fit(f).predict(f)
    pdt.assert_series_equal(tiers, pd.Series(expected, index=index, name="tier"))


def test_weighted_scores_and_tiers_exact():
    index = pd.Index([11, 12, 13, 14, 15], name="customer_id")
    f = pd.DataFrame(
        {
            "amount_12m": [100.0, 400.0, 300.0, 200.0, 500.0],  # ranks 0, .75, .5, .25, 1
            "purchases_12m": [5, 1, 2, 3, 4],  # ranks 1, 0, .25, .5, .75
            "repurchase_rate": [0.0, 0.5, 0.5, 0.25, 1.0],  # ranks 0, .625, .625, .25, 1
        },
        index=index,
    )
    scheme = TierScheme({"amount_12m": 40, "purchases_12m": 30, "repurchase_rate": 30}, CUTS_3, LABELS_3).fit(
        f
    )
    pdt.assert_frame_equal(
        scheme.feature_ranks_,
        pd.DataFrame(
            {
                "amount_12m": [0.0, 0.75, 0.5, 0.25, 1.0],
                "purchases_12m": [1.0, 0.0, 0.25, 0.5, 0.75],
                "repurchase_rate": [0.0, 0.625, 0.625, 0.25, 1.0],
            },
            index=index,
        ),
    )
    # 40×rank + 30×rank + 30×rank
    expected_scores = pd.Series([30.0, 48.75, 46.25, 32.5, 92.5], index=index, name="score")
    pdt.assert_series_equal(scheme.scores_, expected_scores, check_exact=False, rtol=1e-12)
    assert scheme.thresholds_ == pytest.approx([92.5, 30.0 + 2.5])
    pdt.assert_series_equal(
        scheme.predict(f),
        pd.Series(["流失风险", "普通", "普通", "普通", "高价值"], index=index, name="tier"),
    )


@pytest.mark.parametrize("seed", range(5))
def test_identical_customers_share_score_and_tier(seed):
    # 32 customers alike and one apart; the top tier's cut-off falls among the 32, so all of them go up.
    # (A matrix product used to round some rows differently by position, splitting them across tiers.)
    f = pd.DataFrame({"a": [0.0] * 33, "b": [0.0] * 33, "c": [0.0] * 32 + [1.0]}, index=range(1, 34))
    f = f.iloc[np.random.default_rng(seed).permutation(33)]
    scheme = TierScheme({"a": 0, "b": 3, "c": 97}, [6, 94], ["上", "下"]).fit(f)
    assert scheme.scores_.drop(33).nunique() == 1
    assert scheme.predict(f).value_counts().to_dict() == {"上": 33}


def test_zero_weight_dimension_does_not_count():
    f = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [30.0, 20.0, 10.0]}, index=[1, 2, 3])
    scheme = TierScheme({"a": 100, "b": 0}, [50, 50], ["上", "下"]).fit(f)
    pdt.assert_series_equal(scheme.scores_, pd.Series([0.0, 50.0, 100.0], index=[1, 2, 3], name="score"))
    # 3 × 50% = 1.5 rounds to 2 (half to even): two customers on top
    assert scheme.predict(f).tolist() == ["下", "上", "上"]


def test_predict_on_a_subset_keeps_fitted_tiers():
    f = pd.DataFrame({"a": [float(v) for v in range(10)]}, index=range(100, 110))
    scheme = TierScheme({"a": 100}, [30, 40, 30], LABELS_3).fit(f)
    pdt.assert_series_equal(scheme.predict(f.iloc[[9, 0, 5]]), scheme.predict(f).iloc[[9, 0, 5]])


def test_value_3_preset_is_valid_and_matches_the_articles():
    preset = PRESETS["value_3"]
    assert preset == {
        "labels": ["高价值", "普通", "流失风险"],
        "cutoffs": [20, 60, 20],
        "weights": {"amount_12m": 40, "purchases_12m": 30, "repurchase_rate": 30},
    }
    assert tuple(preset["weights"]) == OWNER_DIMENSIONS
    f = pd.DataFrame({d: [1.0, 2.0] for d in OWNER_DIMENSIONS})
    TierScheme(preset["weights"], preset["cutoffs"], preset["labels"]).fit(f)


# ---- validation -------------------------------------------------------------------------------------------

FEATURES = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]})
WEIGHTS_MSG = "weights must be non-negative numbers summing to 100"
CUTOFFS_MSG = "cut-offs must be positive, one per tier label, and sum to 100"
LABELS_MSG = "tier labels must be distinct and non-empty"


@pytest.mark.parametrize(
    ("weights", "cutoffs", "labels", "message"),
    [
        ({"a": 0, "b": 0}, CUTS_3, LABELS_3, WEIGHTS_MSG),
        ({}, CUTS_3, LABELS_3, WEIGHTS_MSG),
        ({"a": 120, "b": -20}, CUTS_3, LABELS_3, WEIGHTS_MSG),
        ({"a": float("nan"), "b": 100}, CUTS_3, LABELS_3, WEIGHTS_MSG),
        ({"a": float("inf"), "b": 0}, CUTS_3, LABELS_3, WEIGHTS_MSG),
        ({"a": 60, "b": 30}, CUTS_3, LABELS_3, WEIGHTS_MSG),
        ({"a": 0.6, "b": 0.4}, CUTS_3, LABELS_3, WEIGHTS_MSG),  # fractions, not percent
        ({"a": 50, "c": 50}, CUTS_3, LABELS_3, "unknown dimensions: ['c']"),
        ({"a": 100}, [20, 60, 10], LABELS_3, CUTOFFS_MSG),
        ({"a": 100}, [20, 60, 30], LABELS_3, CUTOFFS_MSG),
        ({"a": 100}, [50, 50], LABELS_3, CUTOFFS_MSG),
        ({"a": 100}, [0, 80, 20], LABELS_3, CUTOFFS_MSG),
        ({"a": 100}, [-10, 90, 20], LABELS_3, CUTOFFS_MSG),
        ({"a": 100}, CUTS_3, ["高", "高", "低"], LABELS_MSG),
        ({"a": 100}, CUTS_3, ["高", "", "低"], LABELS_MSG),
        ({"a": 100}, CUTS_3, ["高", "  ", "低"], LABELS_MSG),
    ],
    ids=[
        "weights-all-zero",
        "no-weights",
        "weight-negative",
        "weight-nan",
        "weight-inf",
        "weights-sum-90",
        "weights-sum-1",
        "unknown-dimension",
        "cutoffs-sum-90",
        "cutoffs-sum-110",
        "fewer-cutoffs-than-labels",
        "cutoff-zero",
        "cutoff-negative",
        "duplicate-labels",
        "empty-label",
        "blank-label",
    ],
)
def test_invalid_schemes_are_refused(weights, cutoffs, labels, message):
    scheme = TierScheme(weights, cutoffs, labels)  # __init__ only stores
    assert (scheme.weights, scheme.cutoffs, scheme.labels) == (dict(weights), list(cutoffs), list(labels))
    with pytest.raises(ValueError) as info:
        scheme.fit(FEATURES)
    assert str(info.value) == message
    assert not hasattr(scheme, "scores_")


@pytest.mark.parametrize(
    "weights",
    [{"a": 100 / 3, "b": 200 / 3}, {"a": 99.9999999, "b": 0.0000001}, {"a": 100}],
)
def test_weights_summing_to_100_within_rounding_are_accepted(weights):
    assert TierScheme(weights, CUTS_3, LABELS_3).fit(FEATURES).scores_.notna().all()


# ---- owner features ---------------------------------------------------------------------------------------

AS_OF = dt.date(2026, 6, 30)


def test_owner_features_hand_computed():
    # ages in days before 2026-06-30; quarters are [0, 91), [91, 182), [182, 273), [273, 364)
    purchases = pd.DataFrame(
        [
            (1, "2026-06-30", 100.0),  # age 0: quarter 0
            (1, "2026-06-01", 50.0),  # age 29: quarter 0 again
            (1, "2026-03-31", 200.0),  # age 91: quarter 1
            (1, "2025-07-01", 25.0),  # age 364: in the 12 months, but before the four quarters
            (2, "2026-05-01", 300.0),  # age 60: first purchase, so only quarter 0 counts
            (3, "2025-06-30", 999.0),  # age 365: outside the 12 months; all four quarters count, none hit
            (4, "2026-07-01", 500.0),  # after as_of: ignored
            (5, "2026-03-31", 10.0),  # age 91: quarters 0 and 1 count, quarter 1 hit
            (6, "2026-01-01", 70.0),  # age 180: quarters 0..1 count, quarter 1 hit
            (6, "2025-12-31", 30.0),  # age 181: still quarter 1
            (99, "2026-06-30", 1e6),  # not an owner asked for: ignored
        ],
        columns=["customer_id", "at", "amount"],
    )
    purchases["at"] = pd.to_datetime(purchases["at"])
    original = purchases.copy()
    owners = np.array([6, 5, 4, 3, 2, 1, 7])
    got = owner_features(purchases, owners, as_of=AS_OF)
    expected = pd.DataFrame(
        {
            "amount_12m": [100.0, 10.0, 0.0, 0.0, 300.0, 375.0, 0.0],
            "purchases_12m": np.array([2, 1, 0, 0, 1, 4, 0], dtype=np.int64),
            "repurchase_rate": [0.5, 0.5, 0.0, 0.0, 1.0, 0.5, 0.0],
        },
        index=pd.Index(owners, name="customer_id"),
    )
    pdt.assert_frame_equal(got, expected, check_exact=True)
    pdt.assert_frame_equal(purchases, original)


def test_owner_features_accepts_dates_and_decimal_like_amounts():
    # as read from the database: date objects and Decimal amounts
    purchases = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "at": [dt.date(2026, 6, 1), dt.date(2025, 12, 1)],
            "amount": [Decimal("100.50"), Decimal("20.25")],
        }
    )
    got = owner_features(purchases, np.array([1]), as_of=AS_OF)
    # ages 29 and 211: quarters 0 and 2 hit, quarters 0..2 counted
    assert got.loc[1].tolist() == [120.75, 2, 2 / 3]


def test_owner_features_no_purchases():
    empty = pd.DataFrame(
        {"customer_id": pd.Series([], dtype=np.int64), "at": pd.to_datetime([]), "amount": []}
    )
    got = owner_features(empty, np.array([3, 1]), as_of=AS_OF)
    assert got.index.tolist() == [3, 1]
    assert got.to_numpy().tolist() == [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]


# ---- properties -------------------------------------------------------------------------------------------

DIMENSIONS = ["amount_12m", "purchases_12m", "repurchase_rate"]
values = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def weights_st(draw, dims=DIMENSIONS):
    # integer percentages summing to 100, at least one positive
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=len(dims) - 1, max_size=len(dims) - 1)))
    parts = np.diff([0, *cuts, 100])
    return dict(zip(dims, (int(p) for p in parts), strict=True))


@st.composite
def cutoffs_st(draw):
    k = draw(st.integers(2, 5))
    cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=k - 1, max_size=k - 1, unique=True)))
    return [int(p) for p in np.diff([0, *cuts, 100])]


@st.composite
def features_st(draw, min_size=1, unique=False):
    n = draw(st.integers(min_size, 40))
    cols = {}
    for d in DIMENSIONS:
        if unique:
            cols[d] = draw(st.lists(values, min_size=n, max_size=n, unique=True))
        else:
            cols[d] = draw(
                st.lists(st.sampled_from([0.0, 1.0, 2.5, 10.0, 1e6]) | values, min_size=n, max_size=n)
            )
    ids = draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n, unique=True))
    return pd.DataFrame(cols, index=pd.Index(ids, name="customer_id"))


def labels_for(cutoffs):
    return [f"T{i}" for i in range(len(cutoffs))]


@settings(max_examples=100, deadline=None)
@given(features_st(), weights_st(), cutoffs_st(), st.randoms(use_true_random=False))
def test_row_order_does_not_change_scores_or_tiers(f, weights, cutoffs, rnd):
    order = list(range(len(f)))
    rnd.shuffle(order)
    shuffled = f.iloc[order]
    a = TierScheme(weights, cutoffs, labels_for(cutoffs)).fit(f)
    b = TierScheme(weights, cutoffs, labels_for(cutoffs)).fit(shuffled)
    pdt.assert_series_equal(b.scores_.loc[f.index], a.scores_, check_exact=True)
    pdt.assert_series_equal(b.predict(shuffled).loc[f.index], a.predict(f), check_exact=True)


@settings(max_examples=100, deadline=None)
@given(features_st(min_size=2), weights_st(), st.data())
def test_raising_a_weighted_dimension_never_lowers_the_score(f, weights, data):
    dim = data.draw(st.sampled_from([d for d, w in weights.items() if w > 0]))
    who = data.draw(st.sampled_from(list(f.index)))
    raised = f.copy()
    raised.loc[who, dim] = f.loc[who, dim] + data.draw(st.floats(min_value=0, max_value=1e6))
    before = TierScheme(weights, CUTS_3, LABELS_3).fit(f)
    after = TierScheme(weights, CUTS_3, LABELS_3).fit(raised)
    assert after.scores_[who] >= before.scores_[who]
    # and the tier never moves down (tier 0 is the top)
    rank = {label: i for i, label in enumerate(LABELS_3)}
    assert rank[after.predict(raised)[who]] <= rank[before.predict(f)[who]]


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 300), cutoffs_st(), st.sampled_from(DIMENSIONS), st.integers(0, 2**32 - 1))
def test_tier_sizes_follow_the_cutoffs_without_ties(n, cutoffs, dim, seed):
    rng = np.random.default_rng(seed)
    # one dimension carries all the weight and has distinct values, so no scores tie
    f = pd.DataFrame({d: rng.permutation(n).astype(float) for d in DIMENSIONS})
    scheme = TierScheme({dim: 100}, cutoffs, labels_for(cutoffs)).fit(f)
    sizes = scheme.predict(f).value_counts().reindex(labels_for(cutoffs), fill_value=0).to_numpy()
    # the top k tiers together hold the cumulative share of n, rounded (half to even)
    expected_cum = np.round(np.cumsum(cutoffs) / 100 * n).astype(int)
    np.testing.assert_array_equal(np.cumsum(sizes), expected_cum)
    assert sizes.sum() == n
    assert np.all(np.abs(sizes - np.array(cutoffs) / 100 * n) <= 1)
    # higher tiers hold higher scores
    tiers = scheme.predict(f).map({label: i for i, label in enumerate(labels_for(cutoffs))})
    for i in range(len(cutoffs) - 1):
        upper, lower = scheme.scores_[tiers == i], scheme.scores_[tiers == i + 1]
        if len(upper) and len(lower):
            assert upper.min() > lower.max()


@settings(max_examples=100, deadline=None)
@given(features_st(), weights_st(), cutoffs_st())
def test_inputs_are_never_mutated(f, weights, cutoffs):
    f_before, w_before, c_before = f.copy(deep=True), copy.deepcopy(weights), list(cutoffs)
    labels = labels_for(cutoffs)
    scheme = TierScheme(weights, cutoffs, labels).fit(f)
    scheme.predict(f)
    percentile_rank(f["amount_12m"].to_numpy())
    pdt.assert_frame_equal(f, f_before, check_exact=True)
    assert (weights, cutoffs, labels) == (w_before, c_before, labels_for(c_before))
    # the scheme keeps its own copies: changing them later does not reach the caller
    scheme.weights["other"] = 1
    scheme.cutoffs.append(1)
    assert (weights, cutoffs) == (w_before, c_before)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 8), st.integers(-30, 800), st.floats(0, 1e5, allow_nan=False)), max_size=30
    ),
    st.lists(st.integers(1, 10), min_size=1, max_size=8, unique=True),
)
def test_owner_features_properties(rows, owners):
    purchases = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "at": [pd.Timestamp(AS_OF) - pd.Timedelta(days=r[1]) for r in rows],
            "amount": [r[2] for r in rows],
        }
    )
    before = purchases.copy(deep=True)
    ids = np.array(owners)
    got = owner_features(purchases, ids, as_of=AS_OF)
    pdt.assert_frame_equal(purchases, before, check_exact=True)
    assert got.index.tolist() == owners
    for cid in owners:
        ages = np.array([r[1] for r in rows if r[0] == cid], dtype=int)
        amounts = np.array([r[2] for r in rows if r[0] == cid])
        in12 = (ages >= 0) & (ages < 365)
        assert got.loc[cid, "purchases_12m"] == in12.sum()
        assert got.loc[cid, "amount_12m"] == pytest.approx(amounts[in12].sum())
        # the rate, from its definition, quarter by quarter
        past = ages[ages >= 0]
        counted = [q for q in range(4) if len(past) and past.max() >= 91 * q]
        hit = [q for q in counted if ((past >= 91 * q) & (past < 91 * q + 91)).any()]
        assert got.loc[cid, "repurchase_rate"] == (len(hit) / len(counted) if counted else 0.0)
    # the order of the purchases does not matter (up to the rounding of a float sum)
    pdt.assert_frame_equal(
        owner_features(purchases.iloc[::-1], ids, as_of=AS_OF), got, check_exact=False, rtol=1e-12
    )
