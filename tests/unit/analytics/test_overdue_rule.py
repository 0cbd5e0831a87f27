"""Overdue follow-ups: one rule (DOMAIN.md's cadence by grade, ``core.analytics.overview.overdue_rule``) for every period,
the one ending on the data's last day included; the overview (SQL and facts), its drill-down and the follow-up
page count the same leads, equal to a plain pandas reading of the source (Maven's CSV; the demo's tables)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from core.analytics import facts_figures as ff
from core.analytics import followup, overview_totals
from core.analytics import followup as fu
from core.analytics import overview as ov
from core.analytics.facts import facts_key, read_event_facts
from tests.unit.analytics.test_overview import expected_overdue, raw  # noqa: F401  (raw: the demo's tables, a fixture)

CADENCE = {"H": 3, "A": 7, "B": 15, "C": 30, "O": 7}
MAVEN_LAST_DAY = dt.date(2017, 12, 31)


def maven_overdue(pipeline: pd.DataFrame, end: dt.date) -> int:
    """The documented rule on Maven's CSV itself: a deal is a lead created at its engage date (undated
    Prospecting deals on the export's last day, as the mapping says), first contacted then; a Lost deal is
    defeated at its close date; a Won deal is closed at its close date (the CRM has no later step: it leaves
    the cadence as a delivered lead does; before that it is ordered, grade O: 7 days), the others are C
    (30 days); there are no follow-ups."""
    at = pd.Timestamp(end + dt.timedelta(days=1))
    engage = pd.to_datetime(pipeline["engage_date"])
    created = engage.fillna(pd.Timestamp(MAVEN_LAST_DAY))
    closed = pd.to_datetime(pipeline["close_date"])
    defeated = closed.where(pipeline["deal_stage"] == "Lost")
    won = closed.where(pipeline["deal_stage"] == "Won")
    days = pipeline["deal_stage"].map({"Won": CADENCE["O"]}).fillna(CADENCE["C"])
    under = (created < at) & (defeated.isna() | (defeated >= at)) & (won.isna() | (won >= at))
    last = engage.where(engage < at)
    return int((under & (last.isna() | (last < at - pd.to_timedelta(days, unit="D")))).sum())


def counts(engine, f: ov.Filters, latest_day: dt.date) -> dict[str, int]:
    with engine.connect() as conn:
        facts = read_event_facts(conn, facts_key(conn))
        states = fu.lead_states(conn=conn, at=f.end_dt, filters=f)
        summary = fu.summary(conn=conn, at=f.end_dt, last_day=f.end, weeks=1)
        return {
            "overview": overview_totals.overview(conn=conn, filters=f, latest_day=latest_day)["current"][
                "overdue"
            ],
            "overview_stored": followup.overdue_follow_ups(conn=conn, filters=f, current=True),
            "facts": ff.overdue_follow_ups(facts, f, current=f.end >= latest_day),
            "drill": len(ff.overview_figure_ids(facts, None, f, "overdue", latest_day=latest_day)),
            "followup": int(states["overdue"].sum()),
            "followup_list": len(fu.overdue_list(conn=conn, at=f.end_dt, filters=f)),
            "followup_page": int(summary["states"]["overdue"].sum()) if not f.store_ids else -1,
        }


@pytest.mark.parametrize(
    "end", [MAVEN_LAST_DAY, dt.date(2017, 12, 30), dt.date(2017, 11, 30), dt.date(2017, 6, 30)], ids=str
)
def test_maven_overdue_follows_the_documented_rule_for_every_period_end(real_db, end):
    expected = maven_overdue(real_db.pipeline, end)
    f = ov.Filters(end - dt.timedelta(days=29), end)
    got = counts(real_db.engine, f, MAVEN_LAST_DAY)
    assert got == dict.fromkeys(got, expected)


def test_maven_last_day_counts_first_contact_and_closes_won_deals(real_db):
    """2,089 open deals; 17 of the 1,589 engaged ones were engaged within 30 days (not overdue): 2,072, the
    issue's figure. Won deals are closed (the stored path counted first contact wrongly; a rule that kept Won
    deals under the O cadence for ever would add 4,235)."""
    assert maven_overdue(real_db.pipeline, MAVEN_LAST_DAY) == 2_072


@pytest.mark.parametrize(
    "end", [dt.date(2026, 6, 30), dt.date(2026, 6, 15), dt.date(2026, 3, 31), dt.date(2025, 12, 31)], ids=str
)
@pytest.mark.parametrize("extra", [{}, {"store_ids": (1,)}, {"channel_ids": (1, 7)}], ids=str)
def test_demo_overdue_follows_the_documented_rule_for_every_period_end(demo_db, raw, end, extra):  # noqa: F811
    f = ov.Filters(end - dt.timedelta(days=29), end, **extra)
    got = counts(demo_db.engine, f, demo_db.as_of)
    got.pop("followup_page") if extra else None
    assert got == dict.fromkeys(got, expected_overdue(raw, f))


def test_maven_followup_page_shows_the_rule(real_db):
    """The follow-up page on data without a single follow-up (it used to fail there) counts by the rule, as of
    the end of the data's latest day (the page's 'now': latest lead or customer)."""
    from tests.app.test_app_followup_staff import followup_page

    with real_db.engine.connect() as conn:
        latest = conn.execute(
            sa.text(
                "SELECT MAX(x) FROM (SELECT MAX(created_at) AS x FROM leads UNION ALL SELECT MAX(created_at) FROM customers)"
            )
        ).scalar_one()
    day = pd.Timestamp(latest).date()
    at = followup_page(real_db.url, "manager", "manager")
    m = {x.label: x.value for x in at.metric}
    assert m["逾期未跟进"] == f"{maven_overdue(real_db.pipeline, day):,}"
