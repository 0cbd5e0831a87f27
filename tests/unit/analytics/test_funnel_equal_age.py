"""This period's funnel against the previous period's at equal age (core.analytics.funnel.equal_age_comparison): a
hand-made case with exact counts, the demo and Maven's pipeline against an independent per-lead computation,
and the page's caption and table through AppTest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.analytics import funnel as fu
from core.analytics.overview import Filters, data_extent
from core.storage.models import FUNNEL_STAGES, STAGE_TIME_COLUMNS
from tests.signin import sign_in

ROOT = Path(__file__).resolve().parents[3]
TIMES = ("created_at", *STAGE_TIME_COLUMNS)
DEC = Filters(dt.date(2017, 12, 1), dt.date(2017, 12, 31))  # previous: 31 Oct – 30 Nov
DATA_LAST = dt.date(2017, 12, 31)


def leads_frame(rows: list[tuple[str, dict[str, str]]]) -> pd.DataFrame:
    """Leads from (created_at, {stage: time}); stage_reached = the furthest stage named."""
    out = []
    for i, (created, stages) in enumerate(rows, start=1):
        row = {"id": i, "created_at": pd.Timestamp(created), **{c: pd.NaT for c in STAGE_TIME_COLUMNS}}
        row["stage_reached"] = max([0, *(FUNNEL_STAGES.index(s) for s in stages)])
        for stage, at in stages.items():
            if at:
                row[STAGE_TIME_COLUMNS[FUNNEL_STAGES.index(stage) - 1]] = pd.Timestamp(at)
        out.append(row)
    return pd.DataFrame(out)


PREVIOUS = leads_frame(
    [
        # every stage timed; delivered on 15 Dec, after the previous period's as-of moment (1 Dec 00:00)
        ("2017-11-01 10:00", {"first_contact": "2017-11-01 11:00", "needs": "2017-11-03",
                              "visit": "2017-11-10", "test_drive": "2017-11-10", "quote": "2017-11-20",
                              "order": "2017-11-25", "delivery": "2017-12-15"}),
        # Maven-like: only first contact and order timed; ordered on 20 Dec, too late for equal age
        ("2017-11-10 09:00", {"first_contact": "2017-11-10 09:30", "order": "2017-12-20"}),
        ("2017-11-28 09:00", {}),
        # the first day of the previous period, first contact on its last minute
        ("2017-10-31 09:00", {"first_contact": "2017-11-30 23:59"}),
        # reached the visit without times for needs and visit: they count from the last time before them
        ("2017-11-05 09:00", {"first_contact": "2017-11-06 09:00", "needs": None, "visit": None}),
    ]
)  # fmt: skip
CURRENT = leads_frame(
    [
        ("2017-12-02 10:00", {"first_contact": "2017-12-02 11:00", "order": "2017-12-30"}),
        ("2017-12-31 23:00", {}),
        ("2017-12-15 10:00", {"first_contact": "2017-12-15", "needs": "2017-12-16", "visit": "2017-12-20"}),
    ]
)


def test_stage_reached_by_on_a_hand_made_case():
    assert fu.stage_reached_by(PREVIOUS, dt.datetime(2017, 12, 1)).tolist() == [6, 1, 0, 1, 3]
    assert (
        fu.stage_reached_by(PREVIOUS, dt.datetime(2018, 1, 1)).tolist() == PREVIOUS["stage_reached"].tolist()
    )
    assert fu.stage_reached_by(PREVIOUS, dt.datetime(2017, 11, 1)).tolist() == [-1, -1, -1, 0, -1]


def test_equal_age_comparison_on_a_hand_made_case():
    got = fu.equal_age_comparison(CURRENT, PREVIOUS, DEC, DATA_LAST)
    assert fu.equal_age_as_of(DEC, DATA_LAST) == (dt.datetime(2018, 1, 1), dt.datetime(2017, 12, 1))
    assert got["stage"].tolist() == list(FUNNEL_STAGES)
    assert got["count"].tolist() == [3, 2, 2, 2, 1, 1, 1, 0]
    # the previous period as it stood on 1 Dec; as it stands today it would read [5, 4, 3, 3, 2, 2, 2, 1]
    assert got["previous_count"].tolist() == [5, 4, 2, 2, 1, 1, 1, 0]
    assert got["previous_step_conversion"].tolist()[1:3] == [4 / 5, 2 / 4]
    assert got["previous_overall_conversion"].tolist()[6] == 1 / 5
    assert np.isnan(got["previous_step_conversion"].iloc[0])
    assert fu.funnel_from_leads(PREVIOUS)["count"].tolist() == [5, 4, 3, 3, 2, 2, 2, 1]


def test_a_previous_lead_younger_than_the_data_is_left_out():
    """The period runs past the data's last day: previous leads created after the as-of moment (2 Dec) have no
    counterpart yet and are not counted."""
    f = Filters(dt.date(2017, 12, 20), dt.date(2018, 1, 18))  # 30 days; previous 20 Nov – 19 Dec
    everyone = pd.concat([PREVIOUS, CURRENT], ignore_index=True)
    prev = everyone[(everyone["created_at"] >= "2017-11-20") & (everyone["created_at"] < "2017-12-20")]
    cur = everyone[everyone["created_at"] >= "2017-12-20"]
    got = fu.equal_age_comparison(cur, prev, f, DATA_LAST)
    assert fu.equal_age_as_of(f, DATA_LAST)[1] == dt.datetime(2017, 12, 2)
    assert len(prev) == 3 and got.loc[0, "previous_count"] == 1  # only the lead of 28 Nov
    assert got.loc[0, "count"] == 1


# ---- against an independent per-lead computation ---------------------------------------------------------------


def expected_previous(raw: pd.DataFrame, f: Filters, data_last: dt.date) -> list[int]:
    """Per previous lead: its counterpart is created one period later and has had until the end of the data's
    last day; the lead counts the stages it reached within that many days of its own creation."""
    length = pd.Timedelta(days=(f.end - f.start).days + 1)
    end_of_data = pd.Timestamp(data_last) + pd.Timedelta(days=1)
    prev = f.previous()
    rows = raw[(raw["created_at"] >= pd.Timestamp(prev.start)) & (raw["created_at"] < pd.Timestamp(prev.end) +
                                                                   pd.Timedelta(days=1))]  # fmt: skip
    counts = [0] * len(FUNNEL_STAGES)
    for _, lead in rows.iterrows():
        age = end_of_data - (lead["created_at"] + length)  # the counterpart's age today
        if age <= pd.Timedelta(0):
            continue  # created after the counterpart's time: no counterpart yet
        times = [lead[c] for c in TIMES]
        furthest = 0
        for stage in range(int(lead["stage_reached"]), -1, -1):
            later = [t for t in times[stage : int(lead["stage_reached"]) + 1] if pd.notna(t)]
            before = [t for t in times[:stage] if pd.notna(t)]
            when = later[0] if later else max(before)
            if when - lead["created_at"] < age:
                furthest = stage
                break
        else:
            continue
        for stage in range(furthest + 1):
            counts[stage] += 1
    return counts


@pytest.fixture(scope="module")
def demo_raw(demo_db):
    with demo_db.engine.connect() as conn:
        raw = pd.read_sql("SELECT * FROM leads", conn)
    for c in TIMES:
        raw[c] = pd.to_datetime(raw[c], format="ISO8601")
    return raw


DEMO_FILTERS = [
    Filters(dt.date(2026, 6, 1), dt.date(2026, 6, 30)),
    Filters(dt.date(2026, 4, 1), dt.date(2026, 6, 30), store_ids=(1,)),
    Filters(dt.date(2026, 5, 20), dt.date(2026, 7, 19)),  # past the data's end
    Filters(dt.date(2025, 9, 1), dt.date(2025, 9, 30)),  # long ago: both periods have had a long time
]


@pytest.mark.parametrize("f", DEMO_FILTERS, ids=["june", "q2-store-1", "past-the-end", "sept-2025"])
def test_equal_age_on_the_demo_against_pandas(demo_db, demo_raw, f):
    data_last = demo_raw["created_at"].max().date()
    raw = demo_raw[demo_raw["store_id"].isin(f.store_ids)] if f.store_ids else demo_raw
    with demo_db.engine.connect() as conn:
        assert data_extent(conn=conn)[1] == data_last
        cur = fu.period_leads(conn=conn, filters=f)
        prev = fu.period_leads(conn=conn, filters=f.previous())
        main = fu.funnel(conn=conn, filters=f)
    got = fu.equal_age_comparison(cur, prev, f, data_last)
    assert got["count"].tolist() == main["count"].tolist()  # this period: the page's funnel
    assert got["previous_count"].tolist() == expected_previous(raw, f, data_last)
    assert got["previous_count"].iloc[0] > 0


def test_equal_age_on_maven_against_the_csv(real_db):
    """December 2017 against 31 Oct – 30 Nov, from Maven's CSV: the previous opportunities' wins count only
    when closed before 1 December (31 days before the data's end), as December's have had until 31 December."""
    src = real_db.pipeline
    created = pd.to_datetime(src["engage_date"]).fillna(pd.Timestamp("2017-12-31"))  # the mapping's default
    closed = pd.to_datetime(src["close_date"])
    data_last = created.max().date()
    prev = (created >= "2017-10-31") & (created < "2017-12-01")
    cur = created >= "2017-12-01"
    engaged = src["deal_stage"] != "Prospecting"
    won = src["deal_stage"] == "Won"
    # per lead: the age its counterpart (created 31 days later) has had by the end of 31 December
    age = pd.Timestamp(data_last) + pd.Timedelta(days=1) - (created + pd.Timedelta(days=31))
    won_in_time = won & ((closed - created) < age)
    with real_db.engine.connect() as conn:
        got = fu.equal_age_comparison(
            fu.period_leads(conn=conn, filters=DEC), fu.period_leads(conn=conn, filters=DEC.previous()), DEC,
            data_extent(conn=conn)[1],
        )  # fmt: skip
    order = FUNNEL_STAGES.index("order")
    assert got["previous_count"].iloc[0] == int(prev.sum())
    assert got["previous_count"].iloc[1] == int((prev & engaged).sum())
    assert got["previous_count"].iloc[order] == int((prev & won_in_time).sum())
    assert got["count"].iloc[order] == int((cur & won).sum())
    # as the previous leads stand today, more of them have won: the comparison the page used to make
    assert int((prev & won_in_time).sum()) < int((prev & won).sum())


# ---- the page ---------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_env_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


@pytest.mark.parametrize(
    ("lang", "caption", "column"),
    [
        (
            "zh",
            "同龄比较：本期 2026-06-01 至 2026-06-30 新建的线索，截至 2026-06-30（数据最后一天）到达的阶段；对比上一期"
            " 2026-05-02 至 2026-05-31 新建的线索，截至 2026-05-31（早 30 天）到达的阶段。",
            "上一期（同龄）",
        ),
        (
            "en",
            "Cohorts at equal age: the leads created from 2026-06-01 to 2026-06-30, by the stages reached up to "
            "2026-06-30 (the data's last day), against the leads created from 2026-05-02 to 2026-05-31, by the "
            "stages reached up to 2026-05-31 (30 days earlier).",
            "Previous period (same age)",
        ),
    ],
)
def test_page_says_what_is_compared(demo_db, demo_raw, lang, caption, column):
    f = DEMO_FILTERS[0]
    at = AppTest.from_file(str(ROOT / "pages" / "funnel.py"), default_timeout=120)
    at.secrets["database_url"] = demo_db.url
    at.session_state["filters"] = f
    at.session_state["lang"] = lang
    sign_in(at, demo_db.url).run()
    assert not at.exception
    assert any(c.value.startswith(caption) for c in at.caption)
    compare = next(df.value for df in at.dataframe if column in df.value.columns)
    assert compare[column].tolist() == expected_previous(demo_raw, f, demo_raw["created_at"].max().date())
