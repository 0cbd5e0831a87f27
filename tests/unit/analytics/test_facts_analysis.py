"""The channel ROI and tiers-by-region frames from the in-memory facts equal the SQL path's (and therefore so
do every figure the pure functions compute from them): on the hand-made cases, on demo data with a tier
history, and on every backend."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pandas as pd
import pytest
from tier_history import publish_second_version

from core.analytics import channel_roi as cr
from core.analytics import facts as cf
from core.analytics import facts_analysis as fa
from core.analytics import tier_report as tr
from core.analytics.overview import Filters
from core.demo.generator import generate
from core.storage.bulk import write_frames
from core.storage.db import open_database
from tests.unit.analytics.test_channel_roi import _tiny_frames as roi_tiny_frames
from tests.unit.analytics.test_tier_regions import _write_tiny as write_tier_tiny


def day(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


def facts_of(engine) -> tuple[cf.EventFacts, cf.TierFacts]:
    with engine.connect() as conn:
        return cf.read_event_facts(conn, cf.facts_key(conn)), cf.read_tier_facts(conn, cf.tier_key(conn))


def _by(frame: pd.DataFrame, *cols: str) -> pd.DataFrame:
    return frame.sort_values(list(cols), kind="stable").reset_index(drop=True)


def assert_same_roi(engine, facts: cf.EventFacts, f: Filters) -> None:
    with engine.connect() as conn:
        sql = cr.roi_frames(conn=conn, filters=f)
        mem = fa.roi_frames(facts, f, fa.roi_reference(conn=conn))
    pd.testing.assert_frame_equal(mem.leads, sql.leads, obj="leads")
    # the SQL path promises no order of purchases
    pd.testing.assert_frame_equal(
        _by(mem.purchases, "lead_id", "amount"), _by(sql.purchases, "lead_id", "amount"), obj="purchases"
    )
    pd.testing.assert_frame_equal(mem.spend, sql.spend, obj="spend")
    pd.testing.assert_frame_equal(mem.channels, sql.channels, obj="channels")
    pd.testing.assert_frame_equal(mem.stores, sql.stores, obj="stores")
    months_sql = cr.channel_months_from_frames(sql, f)
    months_mem = cr.channel_months_from_frames(mem, f)
    pd.testing.assert_frame_equal(months_mem, months_sql, obj="channel_months")
    pd.testing.assert_frame_equal(
        cr.channel_totals_from_frames(months_mem), cr.channel_totals_from_frames(months_sql)
    )
    pd.testing.assert_frame_equal(
        cr.missing_spend_from_frames(mem, f), cr.missing_spend_from_frames(sql, f), obj="missing"
    )
    for cid in mem.channels["id"]:
        for measure in cr.MEASURES:
            assert cr.lead_ids_from_frames(mem, f, channel_id=int(cid), measure=measure) == (
                cr.lead_ids_from_frames(sql, f, channel_id=int(cid), measure=measure)
            )


def assert_same_tiers(engine, facts: cf.EventFacts, tiers: cf.TierFacts, f: Filters, times) -> None:
    with engine.connect() as conn:
        for at in times:
            sql = tr.tiers_at(conn=conn, filters=f, at=at)
            pd.testing.assert_frame_equal(_plain(fa.tiers_at(tiers, facts, f, at), sql), sql, obj=str(at))
        for scheme_id in tr.published_versions(conn=conn, population="owners")["id"]:
            sql = tr.version_tiers(conn=conn, filters=f, scheme_id=int(scheme_id))
            pd.testing.assert_frame_equal(
                _plain(fa.version_tiers(tiers, facts, f, int(scheme_id)), sql),
                sql,
                obj=f"version {scheme_id}",
            )


def _plain(frame: pd.DataFrame, sql: pd.DataFrame) -> pd.DataFrame:
    """The facts' tier column is a Categorical; the SQL path's holds strings (``object``, or pandas' string
    dtype when empty): compare the values."""
    assert isinstance(frame["tier"].dtype, pd.CategoricalDtype)
    assert frame["tier"].notna().all()  # tier is NOT NULL in the database
    return frame.assign(tier=frame["tier"].astype(object).astype(sql["tier"].dtype))


# ---- hand-made cases -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def roi_tiny(tmp_path_factory):
    engine = open_database(f"sqlite:///{tmp_path_factory.mktemp('roi') / 'tiny.sqlite'}")
    write_frames(engine, roi_tiny_frames())
    yield engine
    engine.dispose()


ROI_TINY_FILTERS = [
    Filters(day("2026-01-01"), day("2026-03-31")),
    Filters(day("2026-01-15"), day("2026-02-10"), store_ids=(1,)),
    Filters(day("2026-01-01"), day("2026-03-31"), region_ids=(1,)),
    Filters(day("2026-01-01"), day("2026-03-31"), channel_ids=(2,)),
    Filters(day("2026-02-01"), day("2026-02-28"), (2,), (2,), (1, 2)),
    Filters(day("2020-01-01"), day("2020-01-31")),  # no leads: empty frames
]


@pytest.mark.parametrize("f", ROI_TINY_FILTERS, ids=str)
def test_roi_frames_on_the_hand_made_case(roi_tiny, f):
    facts, _ = facts_of(roi_tiny)
    assert_same_roi(roi_tiny, facts, f)


def test_the_hand_made_roi_case_has_figures(roi_tiny):
    facts, _ = facts_of(roi_tiny)
    with roi_tiny.connect() as conn:
        frames = fa.roi_frames(facts, ROI_TINY_FILTERS[0], fa.roi_reference(conn=conn))
    months = cr.channel_months_from_frames(frames, ROI_TINY_FILTERS[0])
    assert months["leads"].sum() > 0 and months["deals"].sum() > 0 and months["revenue"].sum() > 0


@pytest.fixture(scope="module")
def tier_tiny(tmp_path_factory):
    engine = open_database(f"sqlite:///{tmp_path_factory.mktemp('tiers') / 'tiny.sqlite'}")
    write_tier_tiny(engine)
    yield engine
    engine.dispose()


TIER_TIMES = [
    tr.end_of_day(day(s)) for s in ("2024-06-29", "2024-06-30", "2024-12-30", "2025-12-30", "2025-12-31")
] + [dt.datetime(2024, 12, 31, 6, 0), dt.datetime(2025, 12, 31, 6, 0, 1)]


@pytest.mark.parametrize(
    "f",
    [
        Filters(day("2025-12-01"), day("2025-12-31")),
        Filters(day("2025-12-01"), day("2025-12-31"), region_ids=(1,)),
        Filters(day("2025-12-01"), day("2025-12-31"), store_ids=(2,)),
        Filters(day("2025-12-01"), day("2025-12-31"), channel_ids=(9,)),
    ],
    ids=str,
)
def test_tier_frames_on_the_hand_made_case(tier_tiny, f):
    facts, tiers = facts_of(tier_tiny)
    assert_same_tiers(tier_tiny, facts, tiers, f, TIER_TIMES)


def test_the_hand_made_tier_case_is_what_the_hand_says(tier_tiny):
    """Independent of the SQL path: the tiny case's tiers at the end of 2025-12-30, and version 1's latest."""
    facts, tiers = facts_of(tier_tiny)
    f = Filters(day("2025-12-01"), day("2025-12-31"))
    got = fa.tiers_at(tiers, facts, f, tr.end_of_day(day("2025-12-30")))
    assert dict(zip(got["customer_id"], got["tier"], strict=True)) == {1: "A", 2: "B", 3: "C", 4: "A"}
    v1 = fa.version_tiers(tiers, facts, f, 1)
    assert dict(zip(v1["customer_id"], v1["tier"], strict=True)) == {1: "A", 2: "B", 3: "C", 4: "A"}
    now = fa.tiers_at(tiers, facts, f, tr.end_of_day(day("2025-12-31")))
    assert now.loc[now["customer_id"] == 6, "region_id"].isna().all()  # customer 6 has no region


# ---- demo data with a tier history ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def history(demo_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("facts-history") / "history.sqlite"
    with sqlite3.connect(demo_db.engine.url.database) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    engine = open_database(f"sqlite:///{path}")
    # the demo's own history (owners v1 from 2024-12-30, rescored half-yearly, v2 from 2026-06-23) and a v3
    publish_second_version(engine, at=dt.datetime(2026, 6, 30, 12, 0))
    yield engine, *facts_of(engine)
    engine.dispose()


DEMO_FILTERS = [
    Filters(day("2026-06-01"), day("2026-06-30")),
    Filters(day("2026-03-01"), day("2026-03-31"), store_ids=(2,)),
    Filters(day("2026-01-01"), day("2026-06-30"), region_ids=(1, 3)),
    Filters(day("2025-10-01"), day("2025-12-31"), channel_ids=(2, 5)),
    Filters(day("2024-01-01"), day("2026-06-30"), (1,), (2, 4), (1, 3, 7)),
    Filters(day("2026-06-20"), day("2026-06-30"), region_ids=(999,)),
    Filters(day("2010-01-01"), day("2010-01-31")),
]


@pytest.mark.parametrize("f", DEMO_FILTERS, ids=str)
def test_facts_equal_the_sql_path_on_the_demo(history, f):
    engine, facts, tiers = history
    assert_same_roi(engine, facts, f)
    times = [f.end_dt, tr.end_of_day(tr.year_before(f.end)), tr.end_of_day(day("2025-07-15"))]
    assert_same_tiers(engine, facts, tiers, f, times)


def test_the_demo_comparisons_compare_something(history):
    engine, facts, tiers = history
    f = DEMO_FILTERS[0]
    with engine.connect() as conn:
        ref = fa.roi_reference(conn=conn)
        versions = tr.published_versions(conn=conn, population="owners")
    frames = fa.roi_frames(facts, f, ref)
    assert len(frames.leads) > 20 and len(frames.purchases) > 3 and len(frames.spend) > 5
    assert len(fa.tiers_at(tiers, facts, f, f.end_dt)) > 50
    assert len(fa.tiers_at(tiers, facts, f, tr.end_of_day(tr.year_before(f.end)))) > 50
    assert len(versions) == 3  # the demo's two owners versions and the one published above
    for scheme_id in versions["id"]:
        assert len(fa.version_tiers(tiers, facts, f, int(scheme_id))) > 50


def test_facts_equal_the_sql_path_on_every_backend(db_url):
    engine = open_database(db_url)
    try:
        generate(engine, customers=150, seed=11, as_of=day("2026-06-30"))  # with its own tier history
        publish_second_version(engine, at=dt.datetime(2026, 6, 30, 12, 0))
        facts, tiers = facts_of(engine)
        for f in (
            Filters(day("2026-06-01"), day("2026-06-30")),
            Filters(day("2025-07-01"), day("2026-06-30"), store_ids=(1,)),
            Filters(day("2024-01-01"), day("2026-06-30"), region_ids=(2, 5), channel_ids=(1, 4)),
            Filters(day("2026-06-01"), day("2026-06-30"), channel_ids=(999,)),
        ):
            assert_same_roi(engine, facts, f)
            assert_same_tiers(engine, facts, tiers, f, [f.end_dt, tr.end_of_day(day("2025-09-30"))])
    finally:
        engine.dispose()
