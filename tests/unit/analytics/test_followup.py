"""Follow-up discipline: every figure against a hand-made dealer with exact expectations, and against plain SQL
(the overview's own overdue count and hand-written queries) on the demo database."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import review_fixtures as fx
import sqlalchemy as sa

from core.analytics import followup
from core.analytics import followup as fu
from core.analytics import overview as ov
from core.storage.db import open_database


@pytest.fixture
def dealer(head_db_url):
    engine = open_database(head_db_url)
    fx.build(engine)
    fx.build_leads(engine)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("current", [False, True])
def test_hand_made_states_and_overdue(dealer, current):
    with dealer.connect() as conn:
        s = fu.lead_states(conn=conn, at=fx.AT, current=current)
    assert sorted(s["lead_id"]) == fx.UNDER_CADENCE
    assert sorted(s.loc[s["overdue"], "lead_id"]) == fx.OVERDUE
    by = s.set_index("lead_id")
    assert by.loc[102, "days_since"] == 4.0 and by.loc[102, "cadence_days"] == 3
    assert pd.isna(by.loc[106, "last_contact"])


def test_hand_made_compliance_per_advisor_store_and_all(dealer):
    with dealer.connect() as conn:
        adv = fu.compliance_by(conn=conn, at=fx.AT, by="advisor", show_pii=True)
        sto = fu.compliance_by(conn=conn, at=fx.AT, by="store")
        states = fu.lead_states(conn=conn, at=fx.AT)
    assert adv[["advisor_id", "leads", "overdue", "name", "store"]].to_dict("records") == [
        {"advisor_id": 2, "leads": 3, "overdue": 2, "name": "李四 #2", "store": "惠城店"},
        {"advisor_id": 3, "leads": 2, "overdue": 1, "name": "张三 #3", "store": "博罗店"},
        {"advisor_id": 1, "leads": 3, "overdue": 1, "name": "王五 #1", "store": "惠城店"},
    ]
    assert adv["rate"].tolist() == pytest.approx([1 / 3, 1 / 2, 2 / 3])
    assert sto.set_index("store_id")["rate"].to_dict() == {1: 0.5, 2: 0.5}
    assert fu.compliance(states, None).to_dict("records") == [
        {"leads": 8, "overdue": 4, "on_time": 4, "rate": 0.5}
    ]


def test_advisor_names_are_masked_by_default(dealer):
    with dealer.connect() as conn:
        adv = fu.compliance_by(conn=conn, at=fx.AT, by="advisor")
        late = fu.overdue_list(conn=conn, at=fx.AT)
    assert set(adv["name"]) == {"王* #1", "李* #2", "张* #3"}
    assert set(late["advisor"]) <= {"王* #1", "李* #2", "张* #3"}
    assert late["lead_id"].tolist()[0] == 106  # never contacted comes first
    assert sorted(late["lead_id"]) == fx.OVERDUE


def test_hand_made_pool_flags(dealer):
    with dealer.connect() as conn:
        flags = fu.pool_flags(conn=conn, at=fx.AT)
    got = {f: sorted(flags.loc[flags["flag"] == f, "lead_id"]) for f in ("uncontacted_2h", "a_48h")}
    assert got == fx.POOL
    hours = flags.set_index(["flag", "lead_id"])["hours"]
    assert hours[("uncontacted_2h", 106)] == 3.0
    assert hours[("uncontacted_2h", 110)] == 3.0
    assert hours[("a_48h", 103)] == 72.0


def test_hand_made_delivery_care(dealer):
    with dealer.connect() as conn:
        care = fu.delivery_care(conn=conn, start=fx.AT - 30 * fx.D, end=fx.AT)
    assert care[["lead_id", "call_2h", "call_7d"]].to_dict("records") == [
        {"lead_id": 109, "call_2h": True, "call_7d": False}
    ]


def test_week_ends_cover_whole_weeks_and_the_current_part():
    ends = fu.week_ends(dt.date(2026, 6, 28), 2)  # a Sunday: its week is complete at its end
    assert ends == [dt.datetime(2026, 6, 22), dt.datetime(2026, 6, 29)]


def test_hand_made_trend_is_the_compliance_at_each_week_end(dealer):
    with dealer.connect() as conn:
        trend = fu.weekly_trend(conn=conn, last_day=dt.date(2026, 6, 29), weeks=3, by=None)
        expected = [
            fu.compliance(fu.lead_states(conn=conn, at=end), None).iloc[0].to_dict()
            for end in fu.week_ends(dt.date(2026, 6, 29), 3)
        ]
    assert trend["week_end"].tolist() == [pd.Timestamp(x) for x in ("2026-06-22", "2026-06-29", "2026-06-30")]
    assert trend.drop(columns="week_end").to_dict("records") == expected
    assert trend.iloc[-1]["leads"] == 8 and trend.iloc[-1]["overdue"] == 4


# ---- the demo database against independent SQL ------------------------------------------------------------


def _days(demo_db) -> list[dt.date]:
    with demo_db.engine.connect() as conn:
        last = ov.data_extent(conn=conn)[1]
    return [last - dt.timedelta(days=k) for k in (0, 17, 90, 200)]


def test_overdue_count_agrees_with_the_overview_on_the_demo(demo_db):
    with demo_db.engine.connect() as conn:
        for i, day in enumerate(_days(demo_db)):
            f = ov.Filters(day - dt.timedelta(days=29), day)
            expected = followup.overdue_follow_ups(conn=conn, filters=f, current=i == 0)
            states = fu.lead_states(conn=conn, at=f.end_dt, current=i == 0)
            assert int(states["overdue"].sum()) == expected, day
            assert expected > 0


SQL_PER_ADVISOR = """
WITH last_fu AS (
    SELECT lead_id, MAX(at) AS last_at FROM follow_ups WHERE at < :at AND lead_id IS NOT NULL GROUP BY lead_id
), s AS (
    SELECT l.advisor_id,
           CASE l.grade WHEN 'H' THEN 3 WHEN 'A' THEN 7 WHEN 'B' THEN 15 WHEN 'C' THEN 30 WHEN 'O' THEN 7 END AS days,
           COALESCE(f.last_at, CASE WHEN l.first_contact_at < :at THEN l.first_contact_at END) AS last_at
    FROM leads l LEFT JOIN last_fu f ON f.lead_id = l.id
    WHERE l.created_at < :at AND l.grade IN ('H', 'A', 'B', 'C', 'O')
      AND (l.delivery_at IS NULL OR l.delivery_at >= :at) AND (l.defeated_at IS NULL OR l.defeated_at >= :at)
)
SELECT advisor_id, COUNT(*) AS leads,
       SUM(CASE WHEN last_at IS NULL OR julianday(:at) - julianday(last_at) > days THEN 1 ELSE 0 END) AS overdue
FROM s GROUP BY advisor_id ORDER BY advisor_id
"""


def test_compliance_per_advisor_agrees_with_plain_sql_on_the_demo(demo_db):
    with demo_db.engine.connect() as conn:
        for day in _days(demo_db):
            at = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
            sql = pd.read_sql(sa.text(SQL_PER_ADVISOR), conn, params={"at": at.strftime("%Y-%m-%d %H:%M:%S")})
            got = fu.compliance(fu.lead_states(conn=conn, at=at), "advisor_id")
            assert got["advisor_id"].tolist() == sql["advisor_id"].tolist()
            assert got["leads"].tolist() == sql["leads"].tolist()
            assert got["overdue"].tolist() == sql["overdue"].astype(int).tolist()
            assert 0 < got["overdue"].sum() < got["leads"].sum()


def test_weekly_trend_per_store_agrees_with_the_overview_on_the_demo(demo_db):
    with demo_db.engine.connect() as conn:
        last = ov.data_extent(conn=conn)[1]
        trend = fu.weekly_trend(conn=conn, last_day=last, weeks=6, by="store")
        for (end, store_id), row in trend.set_index(["week_end", "store_id"]).iterrows():
            day = (end - pd.Timedelta(days=1)).date()
            f = ov.Filters(day, day, store_ids=(int(store_id),))
            assert row["overdue"] == followup.overdue_follow_ups(conn=conn, filters=f, current=False)
    assert len(trend["week_end"].unique()) == 6


SQL_UNCONTACTED = """
SELECT l.id FROM leads l
WHERE l.created_at < :at AND l.created_at >= :new_from
  AND (l.delivery_at IS NULL OR l.delivery_at >= :at) AND (l.defeated_at IS NULL OR l.defeated_at >= :at)
  AND ((l.first_contact_at IS NULL OR l.first_contact_at >= :at) AND julianday(:at) - julianday(l.created_at) > 2.0 / 24
       OR (l.first_contact_at < :at AND julianday(l.first_contact_at) - julianday(l.created_at) > 2.0 / 24))
ORDER BY l.id
"""


def test_pool_flags_agree_with_plain_sql_on_the_demo(demo_db):
    with demo_db.engine.connect() as conn:
        last = ov.data_extent(conn=conn)[1]
        at = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min)
        flags = fu.pool_flags(conn=conn, at=at)
        params = {
            "at": f"{at:%Y-%m-%d %H:%M:%S}",
            "new_from": f"{at - dt.timedelta(days=7):%Y-%m-%d %H:%M:%S}",
        }
        expected = conn.execute(sa.text(SQL_UNCONTACTED), params).scalars().all()
        states = fu.lead_states(conn=conn, at=at)
    assert sorted(flags.loc[flags["flag"] == "uncontacted_2h", "lead_id"]) == expected
    # every A lead silent for 48 h is under cadence; the ones silent for more than 7 days are also overdue
    a = set(flags.loc[flags["flag"] == "a_48h", "lead_id"])
    old_enough = states["created_at"] < pd.Timestamp(at) - pd.Timedelta(hours=48)
    late_a = set(states.loc[(states["grade"] == "A") & states["overdue"] & old_enough, "lead_id"])
    assert late_a <= a <= set(states.loc[states["grade"] == "A", "lead_id"])


def test_the_pages_summary_is_the_single_functions(demo_db):
    from pandas.testing import assert_frame_equal

    with demo_db.engine.connect() as conn:
        last = ov.data_extent(conn=conn)[1]
        at = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min)
        got = fu.summary(conn=conn, at=at, last_day=last, weeks=4)
        assert_frame_equal(got["states"], fu.lead_states(conn=conn, at=at, current=True))
        assert_frame_equal(got["by_advisor"], fu.compliance_by(conn=conn, at=at, by="advisor", current=True))
        assert_frame_equal(got["by_store"], fu.compliance_by(conn=conn, at=at, by="store", current=True))
        assert_frame_equal(got["overdue"], fu.overdue_list(conn=conn, at=at, current=True))
        assert_frame_equal(got["pool"], fu.pool_flags(conn=conn, at=at))
        assert_frame_equal(got["trend_store"], fu.weekly_trend(conn=conn, last_day=last, weeks=4, by="store"))
        assert_frame_equal(got["trend_all"], fu.weekly_trend(conn=conn, last_day=last, weeks=4, by=None))
