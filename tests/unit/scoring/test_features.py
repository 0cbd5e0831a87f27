"""Scoring dimensions: exact values on hand-made tables, as-of correctness, outcomes, the demo, the database."""

from __future__ import annotations

import argparse
import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from core.cli.features import add_commands, run
from core.demo.generator import build_frames, generate
from core.scoring.feature_inputs import COLUMNS, FeatureInputs, load_feature_inputs
from core.scoring.features import (
    DIMENSIONS,
    DIRECTIONS,
    FLAGS,
    POPULATIONS,
    compute_features,
    dimension_names,
    flag_names,
    outcomes,
)

AS_OF = dt.date(2026, 6, 30)
DOCS = Path(__file__).resolve().parents[3] / "docs" / "dimensions.md"


def ago(days: int | None, hour: int = 10) -> pd.Timestamp:
    """A time ``days`` before AS_OF (negative: after it), at ``hour`` o'clock."""
    if days is None:
        return pd.NaT
    return pd.Timestamp(AS_OF) - pd.Timedelta(days=days) + pd.Timedelta(hours=hour)


def day(days: int) -> dt.date:
    return AS_OF - dt.timedelta(days=days)


# ---- the hand-made dealer ------------------------------------------------------------------------------
# Customers 1, 2, 8 and 9 are owners; 3 orders before AS_OF and takes delivery after it; 4 (referred by 1) has
# two open leads; 5 arrives after AS_OF; 6 has three leads created the same day; 7's lead is defeated on
# AS_OF itself. Ages are days before AS_OF; negative ages are after AS_OF and must be ignored.

CUSTOMERS = [
    (1, 900, None), (2, 1000, None), (3, 50, None), (4, 400, 1), (5, -15, 1), (6, 30, None), (7, 100, None),
    (8, 400, None), (9, 500, None),
]  # fmt: skip
STAGES = ("first_contact", "needs", "visit", "test_drive", "quote", "order", "delivery")


def lead(lead_id, customer, grade, created, *, hour=10, defeated=None, expected=None, last_contact=None,
         asked=False, **stages):  # fmt: skip
    row = {"id": lead_id, "customer_id": customer, "store_id": 1, "advisor_id": 1, "grade": grade}
    row["stage_reached"] = sum(stages.get(s) is not None for s in STAGES)
    row["status"] = "won" if stages.get("delivery") is not None else "defeated" if defeated else "open"
    row["created_at"] = ago(created, hour)
    for s in STAGES:
        row[f"{s}_at"] = ago(stages.get(s))
    row["defeated_at"] = ago(defeated, 15)
    row["expected_purchase_date"] = pd.Timestamp(day(expected)) if expected is not None else pd.NaT
    row["last_contact_at"] = ago(last_contact)
    row["asked_competitor"] = asked
    return row


LEADS = [
    lead(10, 1, "B", 150, visit=148, test_drive=148, first_contact=150, needs=149, defeated=120, asked=True),
    lead(20, 2, "C", 500, first_contact=500, defeated=480, asked=True),
    lead(30, 3, "D", 50, first_contact=50, needs=49, visit=40, test_drive=40, quote=30, order=10, delivery=-3,
         last_contact=8),
    lead(41, 4, "C", 380, first_contact=380, asked=True),
    lead(42, 4, "H", 20, first_contact=20, needs=19, visit=15, order=-20, expected=-7, last_contact=-1),
    lead(50, 5, "A", -15),
    lead(60, 6, "C", 30),
    lead(61, 6, "M", 30),  # same time as 60, higher id: the row of customer 6
    lead(64, 6, "B", 30, hour=9),  # highest id but created earlier
    lead(62, 6, "A", 30, hour=11, defeated=5, asked=True),  # newest, but defeated before AS_OF
    lead(70, 7, "B", 100, defeated=0),  # defeated on AS_OF: closed at AS_OF
]  # fmt: skip
FOLLOW_UPS = [  # customer, lead, age, kind, responded
    (1, None, 30, "call", True),
    (1, None, 200, "wechat", False),
    (1, None, 100, "visit", True),
    (1, None, 364, "sms", False),  # 364 days ago: inside the 12 months
    (1, None, 365, "call", True),  # 365 days ago: outside
    (1, None, -1, "call", True),
    (2, None, 100, "call", False),
    (2, None, 182, "call", True),  # responded, but 182 days ago: outside the 6 months
    (3, 30, 12, "call", True),
    (3, 30, -2, "call", False),
    (4, 41, 250, "sms", False),
    (4, 42, 18, "call", True),
    (4, 42, 15, "visit", True),
    (4, 42, -1, "call", False),
]
PURCHASES = [  # customer, kind, age, amount
    (1, "new_car", 900, 200_000.0),
    (1, "finance", 730, 3_000.0),  # 730 days ago: outside the 24 months
    (1, "maintenance", 365, 700.0),
    (1, "maintenance", 300, 800.0),
    (1, "insurance", 200, 5_000.0),
    (1, "repair", 10, 1_200.0),
    (1, "accessories", 0, 1_000.0),  # on AS_OF: counts
    (1, "repair", -5, 2_000.0),
    (2, "new_car", 1000, 150_000.0),
    (2, "maintenance", 600, 500.0),
    (2, "maintenance", 500, 600.0),
    (2, "repair", 400, 3_000.0),
    (3, "new_car", -3, 180_000.0),
    (8, "new_car", 400, 100_000.0),
    (8, "maintenance", 380, 500.0),
    (8, "maintenance", 181, 400.0),  # within the 6 months, just
    (9, "new_car", 500, 90_000.0),
]
SATISFACTION = [  # customer, age, grade, complaint, resolved
    (1, 729, "E", True, False),  # counts for satisfaction (24 months), not for open complaints (12 months)
    (1, 730, "B", False, None),  # outside the 24 months
    (1, 170, "A", False, None),
    (1, 150, "F", False, None),
    (1, 60, "D", True, None),  # a complaint without a resolution is open
    (1, -2, "E", True, False),
    (2, 20, "C", True, True),
]
EVENTS = [(1, 50), (1, 364), (1, 365), (1, -10)]


def frames() -> dict[str, pd.DataFrame]:
    return {
        "customers": pd.DataFrame(
            {
                "id": [c for c, _, _ in CUSTOMERS],
                "kind": "person",
                "region_id": 1,
                "store_id": 1,
                "advisor_id": 1,
                "referred_by_id": pd.array([r for _, _, r in CUSTOMERS], dtype="Int64"),
                "is_owner": [c in (1, 2) for c, _, _ in CUSTOMERS],
                "created_at": [ago(a, 9) for _, a, _ in CUSTOMERS],
            }
        ),
        "leads": pd.DataFrame(LEADS),
        "follow_ups": pd.DataFrame(
            {
                "customer_id": [r[0] for r in FOLLOW_UPS],
                "lead_id": pd.array([r[1] for r in FOLLOW_UPS], dtype="Int64"),
                "at": [ago(r[2], 11) for r in FOLLOW_UPS],
                "kind": [r[3] for r in FOLLOW_UPS],
                "responded": [r[4] for r in FOLLOW_UPS],
            }
        ),
        "purchases": pd.DataFrame(
            {
                "customer_id": [r[0] for r in PURCHASES],
                "kind": [r[1] for r in PURCHASES],
                "at": [pd.Timestamp(day(r[2])) for r in PURCHASES],
                "amount": [r[3] for r in PURCHASES],
            }
        ),
        "satisfaction": pd.DataFrame(
            {
                "customer_id": [r[0] for r in SATISFACTION],
                "at": [pd.Timestamp(day(r[1])) for r in SATISFACTION],
                "grade": [r[2] for r in SATISFACTION],
                "complaint": [r[3] for r in SATISFACTION],
                "complaint_resolved": [r[4] for r in SATISFACTION],
            }
        ),
        "event_attendances": pd.DataFrame(
            {"customer_id": [c for c, _ in EVENTS], "at": [pd.Timestamp(day(a)) for _, a in EVENTS]}
        ),
    }


@pytest.fixture
def inputs() -> FeatureInputs:
    return FeatureInputs.from_frames(frames())


def expected(rows: dict[int, dict[str, float | bool]], population: str) -> pd.DataFrame:
    out = pd.DataFrame.from_dict(rows, orient="index")[dimension_names(population) + flag_names(population)]
    out.index = pd.Index(list(rows), dtype=np.int64, name="customer_id")
    return out.astype(
        {d: float for d in dimension_names(population)} | {f: bool for f in flag_names(population)}
    )


OWNERS_AT_AS_OF = {
    1: {
        "recency_days": 0,  # accessories on AS_OF
        "amount_12m": 800 + 5_000 + 1_200 + 1_000,  # 365 days ago is outside, 5 days after too
        "purchases_12m": 4,
        "repurchase_rate": 0.75,  # ages 0 and 10 (quarter 0), 200 (quarter 2), 300 (quarter 3)
        "visits_12m": 2,  # the visit follow-up 100 days ago and lead 10's visit
        "test_drives_12m": 1,
        "response_rate": 2 / 4,  # 30 yes, 200 no, 100 yes, 364 no; 365 days ago and after AS_OF ignored
        "satisfaction": (1 + 5 + 5 + 2) / 4,  # E, A, F (key account = 5), D
        "maintenance_12m": 2,  # maintenance 300 and repair 10 days ago
        "events_12m": 2,  # 50 and 364 days ago
        "referrals": 1,  # customer 4; customer 5 is created after AS_OF
        "service_products": 2,  # insurance and accessories; finance is older than 730 days
        "complaints_open": 1,  # 60 days ago, unresolved
        "flag_no_purchase_6m_no_response": False,
        "flag_frequency_down_50": False,  # one purchase in the year before: too few to compare
        "flag_asked_competitor": True,  # lead 10, created 150 days ago
    },
    2: {
        "recency_days": 400,
        "amount_12m": 0,
        "purchases_12m": 0,
        "repurchase_rate": 0,
        "visits_12m": 0,
        "test_drives_12m": 0,
        "response_rate": 0.5,
        "satisfaction": 3.0,  # one survey, C
        "maintenance_12m": 0,
        "events_12m": 0,
        "referrals": 0,
        "service_products": 0,
        "complaints_open": 0,  # the complaint is resolved
        "flag_no_purchase_6m_no_response": True,  # the one response was 190 days ago
        "flag_frequency_down_50": True,  # 0 against 3
        "flag_asked_competitor": False,  # lead 20 is older than a year and closed
    },
    8: {
        "recency_days": 181,
        "amount_12m": 400,
        "purchases_12m": 1,
        "repurchase_rate": 0.25,
        "visits_12m": 0,
        "test_drives_12m": 0,
        "response_rate": 0,  # no follow-up
        "satisfaction": 3.0,  # no survey: neutral
        "maintenance_12m": 1,
        "events_12m": 0,
        "referrals": 0,
        "service_products": 0,
        "complaints_open": 0,
        "flag_no_purchase_6m_no_response": False,
        "flag_frequency_down_50": True,  # 1 against 2: exactly half
        "flag_asked_competitor": False,
    },
    9: {
        "recency_days": 500,
        "amount_12m": 0,
        "purchases_12m": 0,
        "repurchase_rate": 0,
        "visits_12m": 0,
        "test_drives_12m": 0,
        "response_rate": 0,
        "satisfaction": 3.0,
        "maintenance_12m": 0,
        "events_12m": 0,
        "referrals": 0,
        "service_products": 0,
        "complaints_open": 0,
        "flag_no_purchase_6m_no_response": False,  # no purchase, but nobody reached out either
        "flag_frequency_down_50": False,  # 0 against 1: too few before to compare
        "flag_asked_competitor": False,
    },
}

LEADS_AT_AS_OF = {
    3: {
        "grade_rank": 5,  # stored grade D, but ordered before AS_OF: O
        "days_to_expected": 180,  # no expected date
        "stage_reached_asof": 6,  # ordered, delivered only after AS_OF
        "days_since_contact": 8,  # last_contact_at, later than the follow-up 12 days ago
        "visits": 1,
        "test_drive": 1,
        "lead_response_rate": 1.0,
        "asked_competitor": 0,
        "flag_asked_competitor": False,
    },
    4: {
        "grade_rank": 4,  # lead 42, the newer of two open leads
        "days_to_expected": 7,
        "stage_reached_asof": 3,
        "days_since_contact": 15,
        "visits": 2,  # visit stage and the visit follow-up
        "test_drive": 0,
        "lead_response_rate": 2 / 3,  # over all the customer's follow-ups: 250 no, 18 yes, 15 yes
        "asked_competitor": 0,
        "flag_asked_competitor": True,  # lead 41 is older than a year but still open
    },
    6: {
        "grade_rank": 0,  # lead 61, grade M
        "days_to_expected": 180,
        "stage_reached_asof": 0,
        "days_since_contact": 30,  # never contacted: days since the lead was created
        "visits": 0,
        "test_drive": 0,
        "lead_response_rate": 0,  # no follow-ups
        "asked_competitor": 0,
        "flag_asked_competitor": True,  # lead 62 is closed but created within the year
    },
}


@pytest.mark.parametrize(
    ("population", "rows"), [("owners", OWNERS_AT_AS_OF), ("leads", LEADS_AT_AS_OF)], ids=POPULATIONS
)
def test_every_dimension_and_flag_on_hand_made_tables(inputs, population, rows):
    got = compute_features(inputs, population=population, as_of=AS_OF)
    pdt.assert_frame_equal(got, expected(rows, population), check_exact=False, rtol=1e-12)


def test_dimensions_as_of_an_earlier_day(inputs):
    # 20 days earlier: lead 30 is not ordered yet (its stored grade D is unknown then: 0), lead 42 created
    # that very day counts; customer 6's row is lead 62, still open; customer 7's lead is open
    got = compute_features(inputs, population="leads", as_of=day(20))
    cols = ["grade_rank", "stage_reached_asof", "days_since_contact", "visits", "lead_response_rate"]
    want = pd.DataFrame(
        [
            [0.0, 5.0, 30.0, 1.0, 0.0],
            [4.0, 1.0, 0.0, 0.0, 0.0],
            [3.0, 0.0, 10.0, 0.0, 0.0],
            [2.0, 0.0, 80.0, 0.0, 0.0],
        ],
        columns=cols,
        index=pd.Index([3, 4, 6, 7], name="customer_id"),
    )
    pdt.assert_frame_equal(got[cols], want)
    owners = compute_features(inputs, population="owners", as_of=day(20))
    assert owners.loc[1, "recency_days"] == 180  # the insurance 200 days ago (repair 10 days ago is later)
    assert owners.loc[1, "satisfaction"] == (1 + 4 + 5 + 5 + 2) / 5  # the window moved: B is inside now
    assert owners.loc[2, "complaints_open"] == 0 and owners.loc[2, "satisfaction"] == 3.0


@pytest.mark.parametrize(
    ("population", "age", "members"),
    [
        ("owners", 1001, []),
        ("owners", 1000, [2]),  # the new car's own day counts
        ("owners", 900, [1, 2]),
        ("owners", 400, [1, 2, 8, 9]),
        ("owners", 0, [1, 2, 8, 9]),
        ("owners", -3, [1, 2, 3, 8, 9]),
        ("leads", 490, [2]),
        ("leads", 390, []),
        ("leads", 1, [3, 4, 6, 7]),  # lead 70 is defeated on AS_OF, so open the day before
        ("leads", 0, [3, 4, 6]),
        ("leads", -3, [4, 6]),  # lead 30 delivered
        ("leads", -15, [4, 5, 6]),
    ],
)
def test_population_membership(inputs, population, age, members):
    got = compute_features(inputs, population=population, as_of=day(age))
    assert got.index.tolist() == members
    assert list(got.columns) == dimension_names(population) + flag_names(population)
    assert got.index.name == "customer_id" and got.index.dtype == np.int64


def test_events_after_as_of_change_nothing(inputs):
    before = {p: compute_features(inputs, population=p, as_of=AS_OF) for p in POPULATIONS}
    f = frames()
    # a burst of activity the day after AS_OF, on every table
    tomorrow = ago(-1)
    f["purchases"].loc[len(f["purchases"])] = [2, "new_car", tomorrow, 1.0]
    f["follow_ups"].loc[len(f["follow_ups"])] = [2, pd.NA, tomorrow, "visit", True]
    f["satisfaction"].loc[len(f["satisfaction"])] = [2, tomorrow, "E", True, False]
    f["event_attendances"].loc[len(f["event_attendances"])] = [1, tomorrow]
    f["leads"].loc[len(f["leads"])] = pd.Series(lead(99, 2, "H", -1, asked=True, first_contact=-1))
    new_customer = [10, "person", 1, 1, 1, 2, False, tomorrow]
    f["customers"].loc[len(f["customers"])] = new_customer
    later = FeatureInputs.from_frames(f)
    for p in POPULATIONS:
        pdt.assert_frame_equal(compute_features(later, population=p, as_of=AS_OF), before[p])


@pytest.mark.parametrize(
    ("population", "age", "horizon", "want"),
    [
        ("owners", 0, 5, {1: 1, 2: 0, 8: 0, 9: 0}),  # the repair 5 days after AS_OF
        ("owners", 0, 4, {1: 0, 2: 0, 8: 0, 9: 0}),
        ("owners", 10, 10, {1: 1, 2: 0, 8: 0, 9: 0}),  # accessories on AS_OF; the repair is on as_of
        ("leads", 0, 20, {3: 0, 4: 1, 6: 0}),  # lead 42 ordered 20 days after; lead 30 before AS_OF
        ("leads", 0, 19, {3: 0, 4: 0, 6: 0}),
        ("leads", 20, 15, {3: 1, 4: 0, 6: 0, 7: 0}),  # lead 30 ordered 10 days before AS_OF
    ],
)
def test_outcomes(inputs, population, age, horizon, want):
    got = outcomes(inputs, population=population, as_of=day(age), horizon_days=horizon)
    assert got.to_dict() == want
    assert got.name == "outcome" and got.dtype == np.int64
    pdt.assert_index_equal(got.index, compute_features(inputs, population=population, as_of=day(age)).index)


def test_bad_arguments(inputs):
    with pytest.raises(ValueError, match="population"):
        compute_features(inputs, population="prospects", as_of=AS_OF)
    with pytest.raises(ValueError, match="horizon_days"):
        outcomes(inputs, population="owners", as_of=AS_OF, horizon_days=0)
    with pytest.raises(ValueError, match="customers"):
        FeatureInputs.from_frames({"leads": frames()["leads"]})
    with pytest.raises(ValueError, match=r"purchases lacks columns \['amount'\]"):
        FeatureInputs.from_frames({**frames(), "purchases": frames()["purchases"].drop(columns="amount")})


def test_inputs_are_not_mutated_and_missing_tables_are_empty():
    f = frames()
    copies = {k: v.copy() for k, v in f.items()}
    inputs = FeatureInputs.from_frames(f)
    for k in f:
        pdt.assert_frame_equal(f[k], copies[k])
    snapshot = {k: getattr(inputs, k).copy() for k in COLUMNS}
    compute_features(inputs, population="owners", as_of=AS_OF)
    compute_features(inputs, population="leads", as_of=AS_OF)
    for k in COLUMNS:
        pdt.assert_frame_equal(getattr(inputs, k), snapshot[k])
    bare = FeatureInputs.from_frames({"customers": f["customers"]})
    assert compute_features(bare, population="owners", as_of=AS_OF).empty
    assert compute_features(bare, population="leads", as_of=AS_OF).empty


# ---- the registry and its documentation --------------------------------------------------------------


def test_registry_is_complete():
    for name, d in DIMENSIONS.items():
        assert d.name == name and d.population in POPULATIONS and d.direction in DIRECTIONS
        assert all(x.strip() for x in (d.label_zh, d.label_en, d.definition_zh, d.definition_en))
        assert re.search(r"[\u4e00-\u9fff]", d.label_zh), name
    for name, f in FLAGS.items():
        assert name.startswith("flag_") and set(f.populations) <= set(POPULATIONS)
    lower = {n for n, d in DIMENSIONS.items() if d.direction == "lower"}
    assert lower == {
        "recency_days",
        "complaints_open",
        "days_to_expected",
        "days_since_contact",
        "asked_competitor",
    }


def test_every_dimension_and_flag_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    for name in [*DIMENSIONS, *FLAGS]:
        assert f"`{name}`" in text, name
    for d in DIMENSIONS.values():
        assert d.label_zh in text and d.label_en in text, d.name


# ---- the generated demo ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_frames() -> dict[str, pd.DataFrame]:
    return build_frames(2000, seed=5, as_of=AS_OF)


def test_demo_populations_are_whole(demo_frames):
    inputs = FeatureInputs.from_frames(demo_frames)
    owners = compute_features(inputs, population="owners", as_of=AS_OF)
    c = demo_frames["customers"]
    assert owners.index.tolist() == sorted(c.loc[c["is_owner"], "id"])
    leads = compute_features(inputs, population="leads", as_of=AS_OF)
    open_ = demo_frames["leads"]
    assert leads.index.tolist() == sorted(open_.loc[open_["status"] == "open", "customer_id"].unique())
    for f in (owners, leads):
        assert not f.isna().any().any()
        dims = [c for c in f.columns if not c.startswith("flag_")]
        assert all(t == np.float64 for t in f[dims].dtypes)
        assert (f[dims].drop(columns="days_to_expected", errors="ignore") >= 0).all().all()


def test_demo_behaviour_shows_through(demo_frames):
    inputs = FeatureInputs.from_frames(demo_frames)
    owners = compute_features(inputs, population="owners", as_of=AS_OF)
    rho = owners.corr(method="spearman")["purchases_12m"]
    assert rho["response_rate"] > 0.1
    assert rho["satisfaction"] > 0.1
    assert rho["maintenance_12m"] > 0.3 and rho["recency_days"] < -0.3
    # churn warnings go with fewer purchases
    assert rho["flag_no_purchase_6m_no_response"] < 0
    # backtest half a year back: engaged owners come back
    past = dt.date(2025, 12, 31)
    then = compute_features(inputs, population="owners", as_of=past)
    came_back = outcomes(inputs, population="owners", as_of=past, horizon_days=180)
    assert then.loc[came_back == 1, "satisfaction"].mean() > then.loc[came_back == 0, "satisfaction"].mean()
    assert then.loc[came_back == 1, "recency_days"].mean() < then.loc[came_back == 0, "recency_days"].mean()
    leads = compute_features(inputs, population="leads", as_of=past)
    ordered = outcomes(inputs, population="leads", as_of=past, horizon_days=180)
    assert leads.loc[ordered == 1, "test_drive"].mean() > leads.loc[ordered == 0, "test_drive"].mean()


def _truncate(frames: dict[str, pd.DataFrame], as_of: dt.date) -> dict[str, pd.DataFrame]:
    """What the database held at the end of ``as_of`` (the current-state columns aside)."""
    cut = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    out = {}
    for table, column in (
        ("customers", "created_at"),
        ("leads", "created_at"),
        ("follow_ups", "at"),
        ("purchases", "at"),
        ("satisfaction", "at"),
        ("event_attendances", "at"),
    ):
        f = frames[table]
        out[table] = f[f[column] < cut].copy()
    leads = out["leads"]
    for column in (*[c for c in COLUMNS["leads"] if c.endswith("_at") and c != "created_at"],):
        leads[column] = leads[column].where(leads[column] < cut)
    return out


def test_demo_features_use_only_the_past(demo_frames):
    full = FeatureInputs.from_frames(demo_frames)
    for as_of in (dt.date(2025, 3, 31), dt.date(2025, 12, 31)):
        past = FeatureInputs.from_frames(_truncate(demo_frames, as_of))
        for p in POPULATIONS:
            pdt.assert_frame_equal(
                compute_features(full, population=p, as_of=as_of),
                compute_features(past, population=p, as_of=as_of),
            )


# ---- the database --------------------------------------------------------------------------------------


def test_database_gives_the_same_features_as_the_frames(demo_db):
    with demo_db.engine.connect() as conn:
        from_db = load_feature_inputs(conn=conn)
    in_memory = FeatureInputs.from_frames(build_frames(300, seed=7, as_of=demo_db.as_of))
    for table in COLUMNS:
        pdt.assert_frame_equal(getattr(from_db, table), getattr(in_memory, table), obj=table)
    for p in POPULATIONS:
        for as_of in (demo_db.as_of, dt.date(2025, 9, 30)):
            pdt.assert_frame_equal(
                compute_features(from_db, population=p, as_of=as_of),
                compute_features(in_memory, population=p, as_of=as_of),
            )


def test_sqlite_fast_path_agrees_with_read_sql(demo_db):
    from core.scoring.feature_inputs import _normalise, _read_sqlite, _select

    with demo_db.engine.connect() as conn:
        for table in COLUMNS:
            fast = _normalise(table, _read_sqlite(conn, table))
            portable = _normalise(table, pd.read_sql(_select(table), conn))
            pdt.assert_frame_equal(fast, portable, obj=table)


def test_every_backend_reads_the_same_inputs(engine):
    # PostgreSQL and MariaDB hand back datetimes, dates, Decimals and bools where SQLite hands back text
    generate(engine, customers=150, seed=3, as_of=AS_OF, with_tiers=False)
    with engine.connect() as conn:
        from_db = load_feature_inputs(conn=conn)
    in_memory = FeatureInputs.from_frames(build_frames(150, seed=3, as_of=AS_OF))
    for table in COLUMNS:
        pdt.assert_frame_equal(getattr(from_db, table), getattr(in_memory, table), obj=table)


@pytest.mark.parametrize("population", POPULATIONS)
def test_cli_export_writes_every_customer_with_a_bom(demo_db, tmp_path, capsys, population):
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers(dest="command"))
    out = tmp_path / "features.csv"
    args = parser.parse_args(
        ["features", "export", "--population", population, "--as-of", "2026-06-30", "--out", str(out)]
    )
    assert run(demo_db.url, args) == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    got = pd.read_csv(out, encoding="utf-8-sig", index_col="customer_id")
    with demo_db.engine.connect() as conn:
        want = compute_features(load_feature_inputs(conn=conn), population=population, as_of=demo_db.as_of)
    assert list(got.columns) == list(want.columns)
    assert got.index.tolist() == want.index.tolist()
    flags = flag_names(population)
    pdt.assert_frame_equal(got[flags], want[flags].astype(np.int64))
    dims = dimension_names(population)
    pdt.assert_frame_equal(got[dims], want[dims], check_exact=False, rtol=1e-12)
    assert f"{len(want):,} rows written" in capsys.readouterr().out


def test_cli_export_reports_an_unwritable_file(demo_db, tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["features", "export", "--out", str(tmp_path / "missing" / "x.csv")])
    assert run(demo_db.url, args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot write") and err.count("\n") == 1


def test_cli_export_on_an_empty_database(sqlite_url, tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["features", "export", "--out", str(tmp_path / "x.csv")])
    assert run(sqlite_url, args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "db upgrade" in err and err.count("\n") == 1
    assert not (tmp_path / "x.csv").exists()
