"""Overview figures against an independent computation in pandas over the same database's raw rows."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from core.analytics import followup, tier_report
from core.analytics import overview as ov
from core.demo.tier_history import scoring_times

CADENCE = {"H": 3, "A": 7, "B": 15, "C": 30, "O": 7}


@pytest.fixture(scope="module")
def raw(demo_db):
    with demo_db.engine.connect() as conn:
        leads = pd.read_sql("SELECT * FROM leads", conn)
        customers = pd.read_sql("SELECT id, region_id, store_id, first_channel_id FROM customers", conn)
        fus = pd.read_sql("SELECT lead_id, at FROM follow_ups", conn)
        tiers = pd.read_sql(
            "SELECT a.customer_id, a.tier, a.effective_from, a.effective_to FROM tier_assignments a "
            "JOIN scoring_schemes s ON s.id = a.scheme_id WHERE s.population = 'owners'",
            conn,
        )
    for col in [c for c in leads.columns if c.endswith("_at")]:
        leads[col] = pd.to_datetime(leads[col])
    fus["at"] = pd.to_datetime(fus["at"])
    tiers["effective_from"] = pd.to_datetime(tiers["effective_from"])
    tiers["effective_to"] = pd.to_datetime(tiers["effective_to"])
    return {
        "leads": leads.merge(
            customers[["id", "region_id"]], left_on="customer_id", right_on="id", suffixes=("", "_c")
        ),
        "customers": customers,
        "fus": fus,
        "tiers": tiers,
    }


def _select(leads: pd.DataFrame, f: ov.Filters) -> pd.DataFrame:
    keep = pd.Series(True, index=leads.index)
    if f.store_ids:
        keep &= leads["store_id"].isin(f.store_ids)
    if f.channel_ids:
        keep &= leads["channel_id"].isin(f.channel_ids)
    if f.region_ids:
        keep &= leads["region_id"].isin(f.region_ids)
    return leads[keep]


def _in(col: pd.Series, f: ov.Filters) -> pd.Series:
    return (col >= pd.Timestamp(f.start)) & (col < pd.Timestamp(f.end + dt.timedelta(days=1)))


def expected_lead_figures(leads: pd.DataFrame, f: ov.Filters) -> dict:
    sel = _select(leads, f)
    n = int(_in(sel["created_at"], f).sum())
    orders = int(_in(sel["order_at"], f).sum())
    defeated = int(_in(sel["defeated_at"], f).sum())
    return {
        "leads": n,
        "orders": orders,
        "delivered": int(_in(sel["delivery_at"], f).sum()),
        "defeated": defeated,
        "conversion": orders / n if n else None,
        "defeat_rate": defeated / (defeated + orders) if defeated + orders else None,
    }


def expected_overdue(raw, f: ov.Filters) -> int:
    """Rebuild each lead's state at the period's end from the follow-up history."""
    at = pd.Timestamp(f.end + dt.timedelta(days=1))
    sel = _select(raw["leads"], f)
    sel = sel[(sel["created_at"] < at)]
    sel = sel[
        (sel["delivery_at"].isna() | (sel["delivery_at"] >= at))
        & (sel["defeated_at"].isna() | (sel["defeated_at"] >= at))
    ]
    last_fu = raw["fus"][raw["fus"]["at"] < at].groupby("lead_id")["at"].max()
    first = sel["first_contact_at"].where(sel["first_contact_at"] < at)
    last = sel["id"].map(last_fu).fillna(first)
    count = 0
    for grade, days in CADENCE.items():
        g = sel["grade"] == grade
        count += int((g & (last.isna() | (last < at - pd.Timedelta(days=days)))).sum())
    return count


PERIODS = [
    (dt.date(2026, 6, 1), dt.date(2026, 6, 30)),
    (dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
    (dt.date(2024, 7, 1), dt.date(2025, 6, 30)),
    (dt.date(2020, 1, 1), dt.date(2020, 1, 31)),  # before the data: empty
]
FILTERS = [
    {},
    {"store_ids": (1,)},
    {"region_ids": (2, 5)},
    {"channel_ids": (1, 7)},
    {"store_ids": (2,), "channel_ids": (3,)},
]


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p[0]}..{p[1]}")
@pytest.mark.parametrize("extra", FILTERS, ids=str)
def test_lead_figures_match_pandas(demo_db, raw, period, extra):
    f = ov.Filters(period[0], period[1], **extra)
    with demo_db.engine.connect() as conn:
        got = ov.lead_figures(conn=conn, filters=f)
    assert got == pytest.approx(expected_lead_figures(raw["leads"], f))


@pytest.mark.parametrize("period", PERIODS[:3], ids=lambda p: f"{p[0]}..{p[1]}")
@pytest.mark.parametrize("extra", FILTERS, ids=str)
def test_overdue_rebuilt_from_history_matches_pandas(demo_db, raw, period, extra):
    f = ov.Filters(period[0], period[1], **extra)
    with demo_db.engine.connect() as conn:
        assert followup.overdue_follow_ups(conn=conn, filters=f, current=False) == expected_overdue(raw, f)


@pytest.mark.parametrize("extra", FILTERS, ids=str)
def test_current_overdue_agrees_with_history(demo_db, extra):
    """At the data's last day the stored last-contact time and the rebuilt history must agree."""
    f = ov.Filters(demo_db.as_of - dt.timedelta(days=29), demo_db.as_of, **extra)
    with demo_db.engine.connect() as conn:
        assert followup.overdue_follow_ups(conn=conn, filters=f, current=True) == followup.overdue_follow_ups(
            conn=conn, filters=f, current=False
        )
        assert followup.overdue_follow_ups(conn=conn, filters=f, current=True) > 0 or extra


@pytest.mark.parametrize("extra", FILTERS, ids=str)
def test_tier_counts_match_pandas(demo_db, raw, extra):
    f = ov.Filters(demo_db.as_of - dt.timedelta(days=29), demo_db.as_of, **extra)
    at = pd.Timestamp(demo_db.as_of + dt.timedelta(days=1))
    t = raw["tiers"]
    t = t[(t["effective_from"] < at) & (t["effective_to"].isna() | (t["effective_to"] >= at))]
    c = raw["customers"].set_index("id").loc[t["customer_id"]]
    keep = pd.Series(True, index=t.index)
    for key, col in (
        ("store_ids", "store_id"),
        ("region_ids", "region_id"),
        ("channel_ids", "first_channel_id"),
    ):
        if extra.get(key):
            keep &= c[col].isin(extra[key]).to_numpy()
    expected = t[keep.to_numpy()]["tier"].value_counts()
    with demo_db.engine.connect() as conn:
        got = ov.tier_counts(conn=conn, filters=f)
        by_region = tier_report.tiers_by_region(conn=conn, filters=f)
    assert got["tier"].tolist() == ["高价值", "普通", "流失风险"]
    assert dict(zip(got["tier"], got["customers"], strict=True)) == {
        k: int(expected.get(k, 0)) for k in got["tier"]
    }
    if len(expected):
        assert got["share"].sum() == pytest.approx(1.0)
    assert by_region.groupby("tier")["customers"].sum().to_dict() == {k: int(v) for k, v in expected.items()}


def test_tiers_before_first_publication_are_empty(demo_db):
    first = scoring_times(demo_db.as_of)[0]  # the demo publishes owners version 1 at 06:00 that day
    before = ov.Filters(first.date() - dt.timedelta(days=31), first.date() - dt.timedelta(days=1))
    on_the_day = ov.Filters(first.date(), first.date())
    with demo_db.engine.connect() as conn:
        assert ov.tier_counts(conn=conn, filters=before)["customers"].sum() == 0
        assert ov.tier_counts(conn=conn, filters=on_the_day)["customers"].sum() > 0


def test_previous_period_is_adjacent_and_equal_length():
    f = ov.Filters(dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    p = f.previous()
    assert p.end == dt.date(2026, 5, 31)
    assert (p.end - p.start) == (f.end - f.start)


def test_tier_members_are_masked_and_sorted(demo_db):
    f = ov.Filters(demo_db.as_of - dt.timedelta(days=29), demo_db.as_of)
    with demo_db.engine.connect() as conn:
        members = tier_report.tier_members(conn=conn, filters=f, tier="高价值", limit=10)
        raw_members = tier_report.tier_members(conn=conn, filters=f, tier="高价值", limit=10, show_pii=True)
    assert len(members) == 10
    assert members["score"].is_monotonic_decreasing
    assert members["phone"].str.fullmatch(r"\d{3}\*{4}\d{4}").all()
    assert (members["phone"] != raw_members["phone"]).all()
    assert set(members["tier"]) == {"高价值"}
