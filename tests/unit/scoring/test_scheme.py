"""Scoring schemes (core.scoring.scheme): exact tiers on hand-made tables, every validation problem, the presets, and
properties that always hold (row order, monotonicity, tier sizes, untouched inputs)."""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import core.scoring.scheme
from core.scoring.features import FLAGS, OWNER_DIMENSIONS, dimension_names, flag_names, owner_features
from core.scoring.lab import Published, explain_movers, preview
from core.scoring.scheme import (
    PRESETS,
    TRIGGER_RULES,
    SchemeError,
    Scorer,
    check,
    normalise,
    percentile_rank,
    percentile_thresholds,
    preset,
    tier_index,
    validate,
)

LABELS_3 = ["高价值", "普通", "流失风险"]
CUTS_3 = [20, 60, 20]


def make_spec(
    weights: dict[str, float],
    *,
    cutoffs: list[float] | None = None,
    thresholds: list[float] | None = None,
    labels: list[str] = LABELS_3,
    triggers: list[dict] | None = None,
    population: str = "owners",
    normalisation: str | dict[str, str] = "percentile",
    direction: str | dict[str, str] = "higher",
) -> dict:
    """A spec; ``normalisation`` and ``direction`` are one value for all dimensions or one per dimension."""

    def per_dim(value: str | dict[str, str], name: str) -> str:
        return value if isinstance(value, str) else value[name]

    tiering = (
        {"method": "threshold", "thresholds": thresholds}
        if thresholds is not None
        else {"method": "percentile", "cutoffs": cutoffs if cutoffs is not None else CUTS_3}
    )
    return {
        "population": population,
        "dimensions": {
            name: {
                "weight": w,
                "normalisation": per_dim(normalisation, name),
                "direction": per_dim(direction, name),
            }
            for name, w in weights.items()
        },
        "tiering": tiering,
        "labels": list(labels),
        "triggers": list(triggers or []),
    }


def tiers_of(scored) -> list[str]:
    return np.array(scored.labels, dtype=object)[scored.tier].tolist()


# ---- percentile_rank and normalise -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([10.0, 30.0, 20.0, 20.0], [0.0, 1.0, 0.5, 0.5]),  # ties get the mean of their ranks
        ([7.0], [1.0]),  # one value ranks at the top
        ([], []),
        ([5.0, 5.0, 5.0], [0.5, 0.5, 0.5]),  # all tied: the middle
        ([3.0, 1.0], [1.0, 0.0]),
        ([1.0, 2.0, 3.0, 4.0, 5.0], [0.0, 0.25, 0.5, 0.75, 1.0]),
        ([0.0, 0.0, 1.0, 1.0, 1.0], [0.125, 0.125, 0.75, 0.75, 0.75]),  # ranks 1.5 and 4
        ([-2.0, 0.0, 2.0], [0.0, 0.5, 1.0]),
        ([np.nan, 2.0, 4.0], [0.0, 0.5, 1.0]),  # NaN counts as the lowest value
        ([np.nan, np.nan, 4.0], [0.25, 0.25, 1.0]),  # ... and missing values tie with each other
    ],
)
def test_percentile_rank(values, expected):
    np.testing.assert_array_equal(percentile_rank(np.array(values, dtype=float)), np.array(expected))


LN = math.log


@pytest.mark.parametrize(
    ("values", "method", "direction", "expected"),
    [
        ([0.0, 5.0, 10.0], "minmax", "higher", [0.0, 0.5, 1.0]),
        ([0.0, 5.0, 10.0], "minmax", "lower", [1.0, 0.5, 0.0]),
        ([10.0, 20.0, 30.0, 50.0], "minmax", "higher", [0.0, 0.25, 0.5, 1.0]),
        ([-10.0, 0.0, 30.0], "minmax", "higher", [0.0, 0.25, 1.0]),
        ([3.0, 3.0], "minmax", "higher", [0.5, 0.5]),  # a constant column is neutral
        ([3.0, 3.0], "minmax", "lower", [0.5, 0.5]),
        ([np.nan, 2.0, 4.0], "minmax", "higher", [0.0, 0.0, 1.0]),  # NaN becomes the minimum
        ([0.0, 9.0, 99.0], "log_minmax", "higher", [0.0, LN(10) / LN(100), 1.0]),
        ([0.0, 3.0, 15.0, 255.0], "log_minmax", "higher", [0.0, 0.25, 0.5, 1.0]),  # log1p: 0, 2, 4, 8 × ln 2
        ([0.0, 3.0, 15.0, 255.0], "log_minmax", "lower", [1.0, 0.75, 0.5, 0.0]),
        ([-5.0, 0.0, 1.0], "log_minmax", "higher", [0.0, 0.0, 1.0]),  # negatives count as 0
        ([np.nan, -5.0, 1.0], "log_minmax", "higher", [0.0, 0.0, 1.0]),
        ([7.0, 7.0, 7.0], "log_minmax", "higher", [0.5, 0.5, 0.5]),
        ([10.0, 30.0, 20.0, 20.0], "percentile", "higher", [0.0, 1.0, 0.5, 0.5]),
        ([10.0, 30.0, 20.0, 20.0], "percentile", "lower", [1.0, 0.0, 0.5, 0.5]),
        ([1.0, 1000.0, 2.0], "percentile", "higher", [0.0, 1.0, 0.5]),  # only the order counts
    ],
)
def test_normalise(values, method, direction, expected):
    got = normalise(np.array(values), method, direction)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-15)


def test_normalise_refuses_an_unknown_method():
    with pytest.raises(ValueError, match="zscore"):
        normalise(np.array([1.0, 2.0]), "zscore")


# ---- thresholds and tier numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "cutoffs", "thresholds"),
    [
        ([5.0, 4, 3, 2, 1], [20, 60, 20], [5.0, 2.0]),  # bounds 1 and 4: the 1st and 4th best scores
        ([1.0, 2, 3, 4, 5], [20, 60, 20], [5.0, 2.0]),  # order of the input does not matter
        ([5.0, 5, 3, 2, 1], [20, 60, 20], [5.0, 2.0]),
        ([1.0, 2.0], [20, 60, 20], [np.inf, 1.0]),  # 2 × 20% rounds to 0: the top tier is empty
        ([9.0], [20, 60, 20], [np.inf, 9.0]),
        ([], [20, 60, 20], [np.inf, np.inf]),
        (list(range(10)), [10, 20, 40, 30], [9.0, 7.0, 3.0]),  # bounds 1, 3, 7
        ([1.0, 2.0, 3.0], [50, 50], [2.0]),  # 1.5 rounds half to even: 2
        ([1.0, 2.0, 3.0, 4.0, 5.0], [50, 50], [4.0]),  # 2.5 rounds half to even: 2
    ],
)
def test_percentile_thresholds(scores, cutoffs, thresholds):
    np.testing.assert_array_equal(percentile_thresholds(np.array(scores, dtype=float), cutoffs), thresholds)


@pytest.mark.parametrize(
    ("scores", "thresholds", "tiers"),
    [
        ([5.0, 4, 2, 1], [5.0, 2.0], [0, 1, 1, 2]),  # a score equal to a threshold is in the higher tier
        ([100.0, 70, 69.5, 40, 0], [70.0, 40.0], [0, 0, 1, 1, 2]),
        ([1.0, 2.0], [np.inf, 1.0], [1, 1]),
        ([3.0, 2.0, 1.0], [9.0, 8.0, 7.0], [3, 3, 3]),
        ([], [1.0], []),
    ],
)
def test_tier_index(scores, thresholds, tiers):
    got = tier_index(np.array(scores, dtype=np.float32), np.array(thresholds))
    assert got.dtype == np.int8
    assert got.tolist() == tiers


# ---- exact tiers on hand-made tables ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "cutoffs", "labels", "direction", "expected"),
    [
        # 5 customers, 20/60/20: one on top, three in the middle, one at the bottom
        ([1, 2, 3, 4, 5], CUTS_3, LABELS_3, "higher", ["流失风险", "普通", "普通", "普通", "高价值"]),
        # lower is better: the order flips
        ([1, 2, 3, 4, 5], CUTS_3, LABELS_3, "lower", ["高价值", "普通", "普通", "普通", "流失风险"]),
        # a tie at the top cut-off: both go to the higher tier
        ([1, 2, 3, 5, 5], CUTS_3, LABELS_3, "higher", ["流失风险", "普通", "普通", "高价值", "高价值"]),
        # a tie at the bottom cut-off: both go up, so the bottom tier is empty
        ([1, 1, 2, 3, 4], CUTS_3, LABELS_3, "higher", ["普通", "普通", "普通", "普通", "高价值"]),
        ([1, 2, 3, 4, 4], CUTS_3, LABELS_3, "lower", ["高价值", "普通", "普通", "普通", "普通"]),
        # everybody tied: everybody on top
        ([3, 3, 3, 3, 3], CUTS_3, LABELS_3, "higher", ["高价值"] * 5),
        # 10 customers, 30/40/30
        (list(range(10)), [30, 40, 30], LABELS_3, "higher", ["流失风险"] * 3 + ["普通"] * 4 + ["高价值"] * 3),
        # fewer customers than tiers: 2 × 20% rounds to 0 on top, so both are in the middle
        ([1, 2], CUTS_3, LABELS_3, "higher", ["普通", "普通"]),
        ([9], CUTS_3, LABELS_3, "higher", ["普通"]),
        # two tiers: 4 × 50% = 2 on top
        ([4, 1, 3, 2], [50, 50], ["上", "下"], "higher", ["上", "下", "上", "下"]),
        # two tiers, 3 customers: 1.5 rounds (half to even) to 2 on top
        ([1, 2, 3], [50, 50], ["上", "下"], "higher", ["下", "上", "上"]),
        # four tiers, 10 customers, 10/20/40/30: bounds 1, 3, 7
        (list(range(10)), [10, 20, 40, 30], list("ABCD"), "higher", list("DDDCCCCBBA")),
        # ... and a tie across the B/C cut-off (the 3rd and 4th best are equal): both go to B
        ([0, 1, 2, 3, 4, 5, 6, 7, 7, 9], [10, 20, 40, 30], list("ABCD"), "higher", list("DDDCCCCBBA")),
        ([0, 1, 2, 3, 4, 5, 7, 7, 8, 9], [10, 20, 40, 30], list("ABCD"), "higher", list("DDDCCCBBBA")),
        # five tiers, 10/20/40/20/10: bounds 1, 3, 7, 9
        (list(range(10)), [10, 20, 40, 20, 10], list("ABCDE"), "higher", list("EDDCCCCBBA")),
        (list(range(10)), [10, 20, 40, 20, 10], list("ABCDE"), "lower", list("ABBCCCCDDE")),
        # the 钻石 preset's 5/10/20/30/35 on 20 customers: bounds 1, 3, 7, 13
        (
            list(range(20)),
            [5, 10, 20, 30, 35],
            ["钻石", "白金", "黄金", "白银", "普通"],
            "higher",
            ["普通"] * 7 + ["白银"] * 6 + ["黄金"] * 4 + ["白金"] * 2 + ["钻石"],
        ),
    ],
    ids=[
        "plain",
        "lower-is-better",
        "tie-top",
        "tie-bottom",
        "tie-bottom-lower",
        "all-tied",
        "ten-30-40-30",
        "two-customers",
        "one-customer",
        "two-tiers",
        "two-tiers-half-to-even",
        "four-tiers",
        "four-tiers-tie-at-B",
        "four-tiers-tie-straddling-B",
        "five-tiers",
        "five-tiers-lower",
        "diamond",
    ],
)
def test_single_dimension_percentile_tiers(values, cutoffs, labels, direction, expected):
    index = pd.Index([101 + i for i in range(len(values))], name="customer_id")
    f = pd.DataFrame({"amount_12m": np.array(values, dtype=float)}, index=index)
    spec = make_spec({"amount_12m": 100}, cutoffs=cutoffs, labels=labels, direction=direction)
    scored = Scorer(spec).fit(f).score()
    assert scored.customer_id.tolist() == index.tolist()
    assert tiers_of(scored) == expected
    assert scored.rule.tolist() == [-1] * len(values)


@pytest.mark.parametrize(
    ("values", "thresholds", "labels", "expected"),
    [
        # min-max normalised: scores 0, 25, 50, 75, 100; score ≥ threshold → that tier
        ([0, 25, 50, 75, 100], [75, 50], LABELS_3, ["流失风险", "流失风险", "普通", "高价值", "高价值"]),
        ([0, 25, 50, 75, 100], [75, 50, 25], list("ABCD"), list("DCBAA")),
        ([0, 25, 50, 75, 100], [100, 0], LABELS_3, ["普通", "普通", "普通", "普通", "高价值"]),
        # nobody reaches the top threshold: the top tier is simply empty (no share is forced)
        ([0, 25, 50, 75, 100], [101, 50], LABELS_3, ["流失风险", "流失风险", "普通", "普通", "普通"]),
        ([5, 5, 5], [75, 25], LABELS_3, ["普通"] * 3),  # a constant column scores 50
    ],
)
def test_threshold_tiers(values, thresholds, labels, expected):
    f = pd.DataFrame({"a": np.array(values, dtype=float)}, index=range(1, len(values) + 1))
    spec = make_spec({"a": 100}, thresholds=thresholds, labels=labels, normalisation="minmax")
    scored = Scorer(spec).fit(f).score()
    assert tiers_of(scored) == expected
    np.testing.assert_array_equal(scored.thresholds, np.array(thresholds, dtype=float))


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
    spec = make_spec({"amount_12m": 40, "purchases_12m": 30, "repurchase_rate": 30})
    scorer = Scorer(spec).fit(f)
    np.testing.assert_array_equal(
        scorer.matrix_,
        np.array(
            [[0.0, 0.75, 0.5, 0.25, 1.0], [1.0, 0.0, 0.25, 0.5, 0.75], [0.0, 0.625, 0.625, 0.25, 1.0]],
            dtype=np.float32,
        ),
    )
    scored = scorer.score()
    # 40×rank + 30×rank + 30×rank; every term is exact in float32
    pdt.assert_frame_equal(
        scored.frame(),
        pd.DataFrame(
            {
                "customer_id": [11, 12, 13, 14, 15],
                "tier": ["流失风险", "普通", "普通", "普通", "高价值"],
                "score": np.array([30.0, 48.75, 46.25, 32.5, 92.5], dtype=np.float32),
            }
        ),
    )
    np.testing.assert_array_equal(scored.thresholds, [92.5, 32.5])
    # the contributions of the dimensions add up to the score
    contributions = scorer.contributions(np.arange(5))
    pdt.assert_frame_equal(
        contributions,
        pd.DataFrame(
            {
                "amount_12m": [0.0, 30.0, 20.0, 10.0, 40.0],
                "purchases_12m": [30.0, 0.0, 7.5, 15.0, 22.5],
                "repurchase_rate": [0.0, 18.75, 18.75, 7.5, 30.0],
            },
            index=index.to_numpy(),
            dtype=np.float32,
        ),
    )


def test_minmax_log_minmax_and_lower_normalisations_in_one_score():
    f = pd.DataFrame(
        {
            "a": [10.0, 20.0, 30.0, 50.0],  # minmax: 0, .25, .5, 1
            "b": [0.0, 3.0, 15.0, 255.0],  # log1p: 0, 2, 4, 8 × ln 2 → 0, .25, .5, 1
            "c": [5.0, 1.0, 3.0, 2.0],  # percentile 1, 0, 2/3, 1/3; lower is better → 0, 1, 1/3, 2/3
        },
        index=[1, 2, 3, 4],
    )
    spec = make_spec(
        {"a": 50, "b": 30, "c": 20},
        normalisation={"a": "minmax", "b": "log_minmax", "c": "percentile"},
        direction={"a": "higher", "b": "higher", "c": "lower"},
    )
    scorer = Scorer(spec).fit(f)
    np.testing.assert_allclose(
        scorer.matrix_,
        [[0, 0.25, 0.5, 1], [0, 0.25, 0.5, 1], [0, 1, 1 / 3, 2 / 3]],
        rtol=1e-6,
    )
    scored = scorer.score()
    # 50a + 30b + 20c
    np.testing.assert_allclose(
        scored.score, [0.0, 12.5 + 7.5 + 20, 25 + 15 + 20 / 3, 50 + 30 + 40 / 3], rtol=1e-6
    )
    assert tiers_of(scored) == ["流失风险", "普通", "普通", "高价值"]  # bounds 1 and 3 of 4


@pytest.mark.parametrize("seed", range(5))
def test_identical_customers_share_score_and_tier(seed):
    # 32 customers alike and one apart; the top tier's cut-off falls among the 32, so all of them go up.
    # (A matrix product used to round some rows differently by position, splitting them across tiers.)
    f = pd.DataFrame({"a": [0.0] * 33, "b": [0.0] * 33, "c": [0.0] * 32 + [1.0]}, index=range(1, 34))
    f = f.iloc[np.random.default_rng(seed).permutation(33)]
    scored = Scorer(make_spec({"a": 0, "b": 3, "c": 97}, cutoffs=[6, 94], labels=["上", "下"])).fit(f).score()
    frame = scored.frame().set_index("customer_id")
    assert frame["score"].drop(33).nunique() == 1
    assert frame["tier"].value_counts().to_dict() == {"上": 33}


def test_zero_weight_dimension_does_not_count():
    f = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [30.0, 20.0, 10.0]}, index=[1, 2, 3])
    scored = Scorer(make_spec({"a": 100, "b": 0}, cutoffs=[50, 50], labels=["上", "下"])).fit(f).score()
    np.testing.assert_array_equal(scored.score, np.array([0.0, 50.0, 100.0], dtype=np.float32))
    # 3 × 50% = 1.5 rounds to 2 (half to even): two customers on top
    assert tiers_of(scored) == ["下", "上", "上"]


def test_score_with_other_weights_reuses_the_fit():
    f = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [4.0, 3.0, 2.0, 1.0]}, index=[5, 6, 7, 8])
    first = make_spec({"a": 100, "b": 0}, cutoffs=[25, 50, 25])
    second = make_spec({"a": 25, "b": 75}, cutoffs=[25, 50, 25])
    scorer = Scorer(first).fit(f)
    again = scorer.score(second)
    fresh = Scorer(second).fit(f).score()
    np.testing.assert_array_equal(again.score, fresh.score)
    np.testing.assert_array_equal(again.tier, fresh.tier)
    # a, b ranks are 0, 1/3, 2/3, 1 and the reverse: 25a + 75b
    np.testing.assert_allclose(again.score, [75.0, 50 + 25 / 3, 25 + 50 / 3, 25.0], rtol=1e-6)
    assert tiers_of(again) == ["高价值", "普通", "普通", "流失风险"]
    # the fitted spec is still the default
    np.testing.assert_allclose(scorer.score().score, [0, 100 / 3, 200 / 3, 100], rtol=1e-6)


# ---- trigger rules ---------------------------------------------------------------------------------------

TRIGGER_FEATURES = pd.DataFrame(
    {
        "amount_12m": [10.0, 20.0, 30.0, 40.0, 50.0],
        "flag_no_purchase_6m_no_response": [False, False, False, True, True],
        "flag_frequency_down_50": [True, False, False, False, True],
        "flag_asked_competitor": [False, False, True, False, True],
    },
    index=pd.Index([1, 2, 3, 4, 5], name="customer_id"),
)
# by score alone: 1 流失风险, 2-4 普通, 5 高价值


@pytest.mark.parametrize(
    ("triggers", "tiers", "rules"),
    [
        ([], ["流失风险", "普通", "普通", "普通", "高价值"], [-1] * 5),
        (
            [{"rule": "no_purchase_6m_no_response", "tier": "流失风险"}],
            ["流失风险", "普通", "普通", "流失风险", "流失风险"],
            [-1, -1, -1, 0, 0],
        ),
        (
            # customer 5 has all three flags: the first listed wins
            [
                {"rule": "no_purchase_6m_no_response", "tier": "流失风险"},
                {"rule": "frequency_down_50", "tier": "普通"},
                {"rule": "asked_competitor", "tier": "高价值"},
            ],
            ["普通", "普通", "高价值", "流失风险", "流失风险"],
            [1, -1, 2, 0, 0],
        ),
        (
            # the same rules in another order: another rule wins for customer 5
            [
                {"rule": "asked_competitor", "tier": "高价值"},
                {"rule": "frequency_down_50", "tier": "普通"},
                {"rule": "no_purchase_6m_no_response", "tier": "流失风险"},
            ],
            ["普通", "普通", "高价值", "流失风险", "高价值"],
            [1, -1, 0, 2, 0],
        ),
    ],
    ids=["none", "one-rule", "first-listed-wins", "other-order"],
)
def test_trigger_rules_force_the_tier_and_are_recorded(triggers, tiers, rules):
    spec = make_spec({"amount_12m": 100}, triggers=triggers)
    scored = Scorer(spec).fit(TRIGGER_FEATURES).score()
    assert tiers_of(scored) == tiers
    assert scored.rule.tolist() == rules
    # the score is the score: a trigger changes the tier, not the points or the cut-offs
    np.testing.assert_array_equal(scored.score, np.array([0, 25, 50, 75, 100], dtype=np.float32))
    np.testing.assert_array_equal(scored.thresholds, [100.0, 25.0])


def test_trigger_rules_name_real_feature_flags():
    # every rule reads a flag core.scoring.features computes, for exactly the populations the flag exists for
    for rule, (column, populations) in TRIGGER_RULES.items():
        assert column in FLAGS, rule
        for population in ("owners", "leads"):
            assert (column in flag_names(population)) == (population in populations), (rule, population)


# ---- validation ------------------------------------------------------------------------------------------


def base_spec() -> dict:
    return make_spec({"a": 60, "b": 40}, labels=["高", "中", "低"])


def change(**edits):
    """A spec modifier: each keyword is a path like dimensions__a__weight (``__`` separates keys)."""

    def apply(spec: dict) -> dict:
        for path, value in edits.items():
            *parents, last = path.split("__")
            target = spec
            for key in parents:
                target = target[int(key)] if isinstance(target, list) else target[key]
            target[last] = value
        return spec

    return apply


def dims(**weights):
    return {
        name: {"weight": w, "normalisation": "percentile", "direction": "higher"}
        for name, w in weights.items()
    }


def trig(rule, tier="低"):
    return [{"rule": rule, "tier": tier}]


VALIDATION_CASES = [
    # id, modifier, available dimensions, expected [(field, code)]
    ("population-unknown", change(population="fleet"), None, [("population", "population_unknown")]),
    ("population-missing", lambda s: {k: v for k, v in s.items() if k != "population"}, None,
     [("population", "population_unknown")]),
    ("weights-all-zero", change(dimensions=dims(a=0, b=0)), None, [("weights", "weights_all_zero")]),
    ("no-dimensions", change(dimensions={}), None, [("weights", "weights_all_zero")]),
    ("weight-negative", change(dimensions=dims(a=120, b=-20)), None, [("dimension:b", "weight_negative")]),
    ("weight-nan", change(dimensions=dims(a=float("nan"), b=100)), None, [("dimension:a", "weight_not_number")]),
    ("weight-inf", change(dimensions=dims(a=float("inf"), b=0)), None, [("dimension:a", "weight_not_number")]),
    ("weight-text", change(dimensions=dims(a="sixty", b=40)), None, [("dimension:a", "weight_not_number")]),
    ("weight-none", change(dimensions=dims(a=None, b=40)), None, [("dimension:a", "weight_not_number")]),
    ("weight-missing", change(dimensions={"a": {"normalisation": "percentile"}, "b": {"weight": 100}}), None,
     [("dimension:a", "weight_not_number")]),
    ("weights-sum-90", change(dimensions=dims(a=60, b=30)), None, [("weights", "weights_sum")]),
    ("weights-sum-110", change(dimensions=dims(a=60, b=50)), None, [("weights", "weights_sum")]),
    ("weights-fractions", change(dimensions=dims(a=0.6, b=0.4)), None, [("weights", "weights_sum")]),
    ("dimension-unknown", lambda s: s, {"a"}, [("dimension:b", "dimension_unknown")]),
    ("normalisation-unknown", change(dimensions__a__normalisation="zscore"), None,
     [("dimension:a", "normalisation_unknown")]),
    ("direction-unknown", change(dimensions__b__direction="up"), None, [("dimension:b", "direction_unknown")]),
    ("labels-too-few", change(labels=["全部"], tiering={"method": "percentile", "cutoffs": [100]}), None,
     [("labels", "labels_too_few")]),
    ("labels-empty", change(labels=["高", "", "低"]), None, [("labels", "labels_empty")]),
    ("labels-blank", change(labels=["高", "  ", "低"]), None, [("labels", "labels_empty")]),
    ("labels-duplicate", change(labels=["高", "高", "低"]), None, [("labels", "labels_duplicate")]),
    ("labels-duplicate-after-strip", change(labels=["高", " 高 ", "低"]), None, [("labels", "labels_duplicate")]),
    ("labels-two-empty", change(labels=["高", "", ""]), None,
     [("labels", "labels_empty"), ("labels", "labels_duplicate")]),
    ("cutoffs-sum-90", change(tiering__cutoffs=[20, 60, 10]), None, [("tiering", "cutoffs_sum")]),
    ("cutoffs-sum-110", change(tiering__cutoffs=[20, 60, 30]), None, [("tiering", "cutoffs_sum")]),
    ("cutoffs-fewer-than-labels", change(tiering__cutoffs=[50, 50]), None, [("tiering", "cutoffs_count")]),
    ("cutoffs-more-than-labels", change(tiering__cutoffs=[25, 25, 25, 25]), None, [("tiering", "cutoffs_count")]),
    ("cutoff-zero", change(tiering__cutoffs=[0, 80, 20]), None, [("tiering", "cutoffs_positive")]),
    ("cutoff-negative", change(tiering__cutoffs=[-10, 90, 20]), None, [("tiering", "cutoffs_positive")]),
    ("cutoff-text", change(tiering__cutoffs=["x", 80, 20]), None, [("tiering", "cutoffs_positive")]),
    ("cutoff-nan", change(tiering__cutoffs=[float("nan"), 80, 20]), None, [("tiering", "cutoffs_positive")]),
    ("tie-break-not-a-dimension", change(tiering__tie_break="c"), None, [("tiering", "tie_break_unknown")]),
    ("tiering-unknown", change(tiering={"method": "kmeans"}), None, [("tiering", "tiering_unknown")]),
    ("tiering-missing", change(tiering=None), None, [("tiering", "tiering_unknown")]),
    ("thresholds-fewer", change(tiering={"method": "threshold", "thresholds": [50]}), None,
     [("tiering", "thresholds_count")]),
    ("thresholds-as-many-as-labels", change(tiering={"method": "threshold", "thresholds": [70, 40, 10]}), None,
     [("tiering", "thresholds_count")]),
    ("thresholds-increasing", change(tiering={"method": "threshold", "thresholds": [40, 70]}), None,
     [("tiering", "thresholds_monotonic")]),
    ("thresholds-equal", change(tiering={"method": "threshold", "thresholds": [50, 50]}), None,
     [("tiering", "thresholds_monotonic")]),
    ("threshold-text", change(tiering={"method": "threshold", "thresholds": [70, "x"]}), None,
     [("tiering", "thresholds_not_number")]),
    ("threshold-nan", change(tiering={"method": "threshold", "thresholds": [70, float("nan")]}), None,
     [("tiering", "thresholds_not_number")]),
    ("trigger-unknown", change(triggers=trig("vip_customer")), None, [("trigger:0", "trigger_unknown")]),
    ("trigger-not-for-leads", change(population="leads", triggers=trig("no_purchase_6m_no_response")), None,
     [("trigger:0", "trigger_population")]),
    ("trigger-frequency-not-for-leads", change(population="leads", triggers=trig("frequency_down_50")), None,
     [("trigger:0", "trigger_population")]),
    ("trigger-tier-not-a-label", change(triggers=trig("asked_competitor", "钻石")), None,
     [("trigger:0", "trigger_tier_unknown")]),
    ("second-trigger-bad",
     change(triggers=[{"rule": "asked_competitor", "tier": "低"}, {"rule": "frequency_down_50", "tier": "x"}]),
     None, [("trigger:1", "trigger_tier_unknown")]),
    ("several-problems",
     change(dimensions=dims(a=-1, b=40), labels=["高", "高"], tiering={"method": "percentile", "cutoffs": [60]}),
     {"a"},
     [("dimension:a", "weight_negative"), ("dimension:b", "dimension_unknown"), ("labels", "labels_duplicate"),
      ("tiering", "cutoffs_count")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("modify", "available", "expected"),
    [case[1:] for case in VALIDATION_CASES],
    ids=[case[0] for case in VALIDATION_CASES],
)
def test_validation_problems(modify, available, expected):
    spec = modify(base_spec())
    before = copy.deepcopy(spec)
    problems = validate(spec, available)
    assert [(p.field, p.code) for p in problems] == expected
    assert spec == before  # validation only reads (deepcopy keeps the same NaN object, so this compares)
    with pytest.raises(SchemeError) as info:
        check(spec, available)
    assert info.value.problems == problems
    assert str(info.value) == "; ".join(str(p) for p in problems)


def test_every_problem_code_has_a_validation_case():
    # a rule of the project: each message code validate() can emit is exercised by the table above
    source = Path(core.scoring.scheme.__file__).read_text(encoding="utf-8")
    emitted = set(re.findall(r'Problem\(\s*f?"[^"]*",\s*"(\w+)"', source))
    covered = {code for case in VALIDATION_CASES for _, code in case[3]}
    assert len(emitted) >= 20
    assert emitted == covered


@pytest.mark.parametrize(
    ("modify", "params"),
    [
        (change(dimensions=dims(a=60, b=30)), (("total", 90.0),)),
        (change(tiering__cutoffs=[20, 60, 30]), (("total", 110.0),)),
        (change(triggers=trig("vip_customer")), (("rule", "vip_customer"),)),
        (change(triggers=trig("asked_competitor", "钻石")), (("tier", "钻石"),)),
        (change(dimensions__b__direction="up"), (("name", "b"),)),
    ],
)
def test_problems_carry_what_the_message_needs(modify, params):
    (problem,) = validate(modify(base_spec()))
    assert problem.params == params


@pytest.mark.parametrize(
    "weights",
    [{"a": 100 / 3, "b": 200 / 3}, {"a": 99.9999999, "b": 0.0000001}, {"a": 100}, {"a": "60", "b": 40}],
)
def test_weights_summing_to_100_within_rounding_are_accepted(weights):
    assert validate(change(dimensions=dims(**weights))(base_spec())) == []


def test_valid_threshold_spec_and_leads_trigger_are_accepted():
    spec = change(tiering={"method": "threshold", "thresholds": [70, 40]})(base_spec())
    assert validate(spec) == []
    assert validate(change(population="leads", triggers=trig("asked_competitor"))(base_spec())) == []


def test_scorer_init_does_no_work_and_fit_refuses_a_bad_spec():
    bad = make_spec({"a": 50, "c": 50})
    scorer = Scorer(bad)  # __init__ only stores
    assert scorer.spec is bad
    f = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]})
    with pytest.raises(SchemeError) as info:
        scorer.fit(f)
    assert [(p.field, p.code) for p in info.value.problems] == [("dimension:c", "dimension_unknown")]
    assert not hasattr(scorer, "matrix_")


# ---- presets ---------------------------------------------------------------------------------------------


def random_features(population: str, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns = {d: rng.integers(0, 20, n).astype(float) for d in dimension_names(population)}
    columns |= {flag: rng.random(n) < 0.1 for flag in flag_names(population)}
    return pd.DataFrame(columns, index=pd.Index(np.arange(1, n + 1) * 3, name="customer_id"))


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_validates_and_scores(name):
    spec = preset(name)
    assert spec["preset"] == name
    available = set(dimension_names(spec["population"]))
    assert validate(spec, available) == []
    f = random_features(spec["population"], 200, seed=len(name))
    scored = Scorer(spec).fit(f).score()
    assert len(scored.tier) == 200
    assert set(tiers_of(scored)) <= set(spec["labels"])
    counts = np.bincount(scored.tier, minlength=len(spec["labels"]))
    assert counts.sum() == 200
    # without triggers the top tier holds at least its cut-off's share (ties only push customers up)
    if not spec["triggers"]:
        assert counts[0] >= round(spec["tiering"]["cutoffs"][0] / 100 * 200)


def test_preset_is_a_deep_copy_with_trigger_tiers_resolved():
    spec = preset("value_3")
    assert spec["triggers"] == [
        {"rule": "no_purchase_6m_no_response", "tier": "流失风险"},
        {"rule": "frequency_down_50", "tier": "流失风险"},
        {"rule": "asked_competitor", "tier": "流失风险"},
    ]
    spec["dimensions"]["amount_12m"]["weight"] = 0
    spec["labels"].append("x")
    assert PRESETS["value_3"]["dimensions"]["amount_12m"]["weight"] == 40
    assert PRESETS["value_3"]["labels"] == LABELS_3
    assert PRESETS["value_3"]["triggers"][0]["tier"] == -1


def test_value_3_presets_match_the_articles():
    for name, cutoffs in (("value_3", [20, 60, 20]), ("value_3_40_30_30", [40, 30, 30])):
        spec = preset(name)
        assert spec["labels"] == LABELS_3
        assert spec["tiering"] == {"method": "percentile", "cutoffs": cutoffs}
        assert {d: v["weight"] for d, v in spec["dimensions"].items()} == {
            "amount_12m": 40,
            "purchases_12m": 30,
            "repurchase_rate": 30,
        }
        assert tuple(spec["dimensions"]) == OWNER_DIMENSIONS
    leads = preset("leads_habc")
    assert (leads["population"], leads["labels"]) == ("leads", ["H", "A", "B", "C"])
    assert leads["dimensions"]["days_to_expected"] == {
        "weight": 50,
        "normalisation": "percentile",
        "direction": "lower",
    }


# ---- properties ------------------------------------------------------------------------------------------

DIMENSIONS = ["amount_12m", "purchases_12m", "repurchase_rate"]
FLAG_COLUMNS = ["flag_no_purchase_6m_no_response", "flag_frequency_down_50", "flag_asked_competitor"]
values_st = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def weights_st(draw, dims=tuple(DIMENSIONS)):
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
def features_st(draw, min_size=1, max_size=40):
    n = draw(st.integers(min_size, max_size))
    cols = {
        d: draw(st.lists(st.sampled_from([0.0, 1.0, 2.5, 10.0, 1e6]) | values_st, min_size=n, max_size=n))
        for d in DIMENSIONS
    }
    cols |= {flag: draw(st.lists(st.booleans(), min_size=n, max_size=n)) for flag in FLAG_COLUMNS}
    ids = draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n, unique=True))
    return pd.DataFrame(cols, index=pd.Index(ids, name="customer_id"))


@st.composite
def spec_st(draw):
    """Any valid owner spec over DIMENSIONS: weights, normalisations, directions, tiering and triggers."""
    weights = draw(weights_st())
    cutoffs = draw(cutoffs_st())
    labels = [f"T{i}" for i in range(len(cutoffs))]
    norm = {d: draw(st.sampled_from(core.scoring.scheme.NORMALISATIONS)) for d in DIMENSIONS}
    direction = {d: draw(st.sampled_from(core.scoring.scheme.DIRECTIONS)) for d in DIMENSIONS}
    rules = draw(st.lists(st.sampled_from(sorted(TRIGGER_RULES)), unique=True, max_size=3))
    triggers = [{"rule": r, "tier": draw(st.sampled_from(labels))} for r in rules]
    if draw(st.booleans()):
        thresholds = sorted(draw(st.lists(st.integers(1, 99), min_size=len(labels) - 1,
                                          max_size=len(labels) - 1, unique=True)), reverse=True)  # fmt: skip
        return make_spec(weights, thresholds=thresholds, labels=labels, triggers=triggers,
                         normalisation=norm, direction=direction)  # fmt: skip
    return make_spec(weights, cutoffs=cutoffs, labels=labels, triggers=triggers, normalisation=norm,
                     direction=direction)  # fmt: skip


def by_customer(scored) -> pd.DataFrame:
    return pd.DataFrame(
        {"score": scored.score, "tier": scored.tier, "rule": scored.rule}, index=scored.customer_id
    ).sort_index()


@settings(max_examples=150)
@given(features_st(), spec_st(), st.randoms(use_true_random=False))
def test_row_order_does_not_change_scores_or_tiers(f, spec, rnd):
    order = list(range(len(f)))
    rnd.shuffle(order)
    a = by_customer(Scorer(spec).fit(f).score())
    b = by_customer(Scorer(spec).fit(f.iloc[order]).score())
    pdt.assert_frame_equal(a, b, check_exact=True)


@settings(max_examples=150)
@given(features_st(min_size=2), weights_st(), cutoffs_st(), st.sampled_from(["higher", "lower"]), st.data())
def test_improving_a_weighted_dimension_never_lowers_the_score_or_tier(f, weights, cutoffs, direction, data):
    dim = data.draw(st.sampled_from([d for d, w in weights.items() if w > 0]))
    who = data.draw(st.sampled_from(list(f.index)))
    step = data.draw(st.floats(min_value=0, max_value=1e6))
    better = f.copy()
    # raise the raw value where higher is better, lower it where lower is better
    better.loc[who, dim] = f.loc[who, dim] + (step if direction == "higher" else -step)
    labels = [f"T{i}" for i in range(len(cutoffs))]
    spec = make_spec(weights, cutoffs=cutoffs, labels=labels, direction=direction)
    before = by_customer(Scorer(spec).fit(f).score())
    after = by_customer(Scorer(spec).fit(better).score())
    assert after.loc[who, "score"] >= before.loc[who, "score"]
    assert after.loc[who, "tier"] <= before.loc[who, "tier"]  # tier 0 is the top


def expected_cumulative_sizes(scores: np.ndarray, cutoffs: list[int]) -> np.ndarray:
    """How many customers the top k tiers hold, from the documented rule, by sorting: the round(cum% × n)-th
    best score is the boundary, and every customer scoring at least that much is in (ties go up)."""
    best_first = np.sort(scores)[::-1]
    bounds = np.round(np.cumsum(cutoffs) / 100 * len(scores)).astype(int)
    return np.array([(scores >= best_first[b - 1]).sum() if b > 0 else 0 for b in bounds])


@settings(max_examples=150)
@given(st.integers(1, 300), cutoffs_st(), st.sampled_from(DIMENSIONS), st.integers(0, 2**32 - 1))
def test_tier_sizes_follow_the_cutoffs_without_ties(n, cutoffs, dim, seed):
    rng = np.random.default_rng(seed)
    # one dimension carries all the weight and has distinct values, so no scores tie
    f = pd.DataFrame({d: rng.permutation(n).astype(float) for d in DIMENSIONS})
    labels = [f"T{i}" for i in range(len(cutoffs))]
    scored = Scorer(make_spec({dim: 100}, cutoffs=cutoffs, labels=labels)).fit(f).score()
    assert len(np.unique(scored.score)) == n
    sizes = np.bincount(scored.tier, minlength=len(cutoffs))
    # the top k tiers together hold round(cumulative % × n) (half to even)
    np.testing.assert_array_equal(np.cumsum(sizes), np.round(np.cumsum(cutoffs) / 100 * n).astype(int))
    assert np.all(np.abs(sizes - np.array(cutoffs) / 100 * n) <= 1)
    # higher tiers hold higher scores
    for i in range(len(cutoffs) - 1):
        upper, lower = scored.score[scored.tier == i], scored.score[scored.tier == i + 1]
        if len(upper) and len(lower):
            assert upper.min() > lower.max()


@settings(max_examples=150)
@given(features_st(), weights_st(), cutoffs_st())
def test_tier_sizes_with_ties_follow_the_tie_rule(f, weights, cutoffs):
    labels = [f"T{i}" for i in range(len(cutoffs))]
    scored = Scorer(make_spec(weights, cutoffs=cutoffs, labels=labels)).fit(f).score()
    sizes = np.bincount(scored.tier, minlength=len(cutoffs))
    np.testing.assert_array_equal(
        np.cumsum(sizes)[:-1], expected_cumulative_sizes(scored.score, cutoffs)[:-1]
    )
    assert sizes.sum() == len(f)
    # equal scores are never split across tiers, and a higher tier never holds a lower score
    frame = pd.DataFrame({"score": scored.score, "tier": scored.tier})
    assert (frame.groupby("score")["tier"].nunique() == 1).all()
    assert frame.sort_values("score", ascending=False, kind="stable")["tier"].is_monotonic_increasing


@settings(max_examples=100)
@given(features_st(), spec_st(), weights_st(), st.data())
def test_inputs_are_never_mutated(f, spec, draft_weights, data):
    draft = copy.deepcopy(spec)
    for d, w in draft_weights.items():
        draft["dimensions"][d]["weight"] = w
    published_tier = np.array(
        data.draw(st.lists(st.integers(-1, len(spec["labels"]) - 1), min_size=len(f), max_size=len(f))),
        dtype=np.int8,
    )
    published = Published(published_tier, list(spec["labels"]), spec)
    saved = (f.copy(deep=True), copy.deepcopy(spec), copy.deepcopy(draft), published_tier.copy())

    scorer = Scorer(spec).fit(f)
    scorer.score()
    scorer.contributions(np.arange(len(f)), draft)
    p = preview(scorer, draft, published)
    explain_movers(scorer, p.scored, draft, published, np.arange(len(f)))
    percentile_rank(f["amount_12m"].to_numpy())
    normalise(f["purchases_12m"].to_numpy(), "log_minmax", "lower")

    pdt.assert_frame_equal(f, saved[0], check_exact=True)
    assert spec == saved[1]
    assert draft == saved[2]
    np.testing.assert_array_equal(published.tier, saved[3])
    assert published.spec is spec and published.labels == spec["labels"]


@settings(max_examples=150)
@given(features_st(), spec_st(), weights_st(), st.data())
def test_rescoring_a_draft_equals_a_fresh_fit(f, spec, weights, data):
    # what the lab does on every slider move: a scorer fitted once, scoring drafts that differ from its spec
    # in weights, trigger rules (others, fewer, reordered), tiering and labels
    draft = copy.deepcopy(spec)
    for d, w in weights.items():
        draft["dimensions"][d]["weight"] = w
    cutoffs = data.draw(cutoffs_st())
    draft["labels"] = [f"L{i}" for i in range(len(cutoffs))]
    draft["tiering"] = {"method": "percentile", "cutoffs": cutoffs}
    rules = data.draw(st.permutations(sorted(TRIGGER_RULES)))[: data.draw(st.integers(0, 3))]
    draft["triggers"] = [{"rule": r, "tier": data.draw(st.sampled_from(draft["labels"]))} for r in rules]
    reused = Scorer(spec).fit(f).score(draft)
    fresh = Scorer(draft).fit(f).score()
    assert reused.labels == fresh.labels
    np.testing.assert_array_equal(reused.score, fresh.score)
    np.testing.assert_array_equal(reused.thresholds, fresh.thresholds)
    np.testing.assert_array_equal(reused.tier, fresh.tier)
    np.testing.assert_array_equal(reused.rule, fresh.rule)


def test_a_draft_may_reorder_the_trigger_rules():
    # regression: the scorer used to keep trigger flags by position, so a draft listing the rules in another
    # order forced customer 4 into the tier of the wrong rule, and recorded that rule
    fitted = make_spec(
        {"amount_12m": 100},
        triggers=[
            {"rule": "no_purchase_6m_no_response", "tier": "流失风险"},
            {"rule": "asked_competitor", "tier": "普通"},
        ],
    )
    draft = {**fitted, "triggers": fitted["triggers"][::-1]}
    scored = Scorer(fitted).fit(TRIGGER_FEATURES).score(draft)
    # customer 4: no purchase for 6 months (draft rule 1); 3: asked about a competitor (rule 0); 5: both
    assert tiers_of(scored) == ["流失风险", "普通", "普通", "流失风险", "普通"]
    assert scored.rule.tolist() == [-1, -1, 0, 1, 0]
    # and a draft without the rules fires none of them
    plain = Scorer(fitted).fit(TRIGGER_FEATURES).score({**fitted, "triggers": []})
    assert plain.rule.tolist() == [-1] * 5


# ---- the value presets' inputs: owner RFM dimensions (core.scoring.features.owner_features) ------------------------
# (moved here from the retired tests/test_scoring.py)

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


@settings(max_examples=100)
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


@pytest.mark.parametrize("seed", range(6))
def test_bucket_selection_for_large_populations_equals_sorting(seed):
    """Above BUCKET_SELECT_MIN scores the thresholds come from bucket counting; they must equal a full sort,
    with heavy ties (seed even) and without (seed odd), including scores of exactly 0 and 100."""
    from core.scoring.scheme import BUCKET_SELECT_MIN, percentile_thresholds

    rng = np.random.default_rng(seed)
    n = BUCKET_SELECT_MIN + 1234
    if seed % 2 == 0:
        scores = (rng.integers(0, 301, n) / 3).astype(np.float32)
    else:
        scores = (rng.random(n) * 100).astype(np.float32)
    scores[:3] = [0.0, 100.0, 100.0]
    cutoffs = [10, 20, 40, 30]
    bounds = np.round(np.cumsum(cutoffs)[:-1] / 100.0 * n).astype(int)
    expected = np.sort(scores)[::-1][bounds - 1].astype(np.float64)
    np.testing.assert_array_equal(percentile_thresholds(scores, cutoffs), expected)
