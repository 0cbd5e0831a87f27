"""Partial months (部分月份, core.analytics.periods): the rule by hand-made cases, the channel ROI and the defeat trend
marking the months the period or the data cuts short (on a demo that ends on the 5th of a month and on Maven's
pipeline, which starts on 20 October 2016), and the pages' tables, captions and charts (Chinese dates on the
axes) through AppTest."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import MAVEN
from streamlit.testing.v1 import AppTest

from core.analytics import channel_roi as cr
from core.analytics import defeats as cd
from core.analytics.overview import Filters, data_extent
from core.analytics.periods import mark_months, month_coverage
from core.demo.generator import generate
from core.storage.db import open_database
from tests.signin import sign_in

ROOT = Path(__file__).resolve().parents[3]
D = dt.date
MID_AS_OF = D(2026, 12, 5)  # the demo's data ends on the 5th: December is a 5-day month
DEFAULT = Filters(D(2026, 11, 6), D(2026, 12, 5))  # the sidebar's default: the 30 days up to the data's end


# ---- the rule ----------------------------------------------------------------------------------------------------

COVERAGE_CASES = [
    # (start, end, data_first, data_last) → [(month, days_in_month, first, last, covered, partial)]
    pytest.param(
        D(2017, 11, 1), D(2017, 12, 31), None, None,
        [(D(2017, 11, 1), 30, D(2017, 11, 1), D(2017, 11, 30), 30, False),
         (D(2017, 12, 1), 31, D(2017, 12, 1), D(2017, 12, 31), 31, False)],
        id="whole-months",
    ),
    pytest.param(
        D(2017, 11, 1), D(2017, 12, 31), D(2016, 10, 20), D(2017, 12, 5),
        [(D(2017, 11, 1), 30, D(2017, 11, 1), D(2017, 11, 30), 30, False),
         (D(2017, 12, 1), 31, D(2017, 12, 1), D(2017, 12, 5), 5, True)],
        id="data-ends-on-the-5th",
    ),
    pytest.param(
        D(2016, 10, 1), D(2016, 11, 30), D(2016, 10, 20), D(2017, 12, 31),
        [(D(2016, 10, 1), 31, D(2016, 10, 20), D(2016, 10, 31), 12, True),
         (D(2016, 11, 1), 30, D(2016, 11, 1), D(2016, 11, 30), 30, False)],
        id="data-starts-on-the-20th",
    ),
    pytest.param(
        D(2026, 11, 6), D(2026, 12, 5), None, D(2026, 12, 5),
        [(D(2026, 11, 1), 30, D(2026, 11, 6), D(2026, 11, 30), 25, True),
         (D(2026, 12, 1), 31, D(2026, 12, 1), D(2026, 12, 5), 5, True)],
        id="period-starts-and-ends-mid-month",
    ),
    pytest.param(
        D(2024, 2, 10), D(2024, 4, 30), None, D(2024, 3, 15),
        [(D(2024, 2, 1), 29, D(2024, 2, 10), D(2024, 2, 29), 20, True),  # a leap February
         (D(2024, 3, 1), 31, D(2024, 3, 1), D(2024, 3, 15), 15, True),
         (D(2024, 4, 1), 30, None, None, 0, True)],  # the data does not reach April
        id="leap-year-and-a-month-without-data",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("start", "end", "first", "last", "rows"), COVERAGE_CASES)
def test_month_coverage(start, end, first, last, rows):
    got = month_coverage(start, end, data_first=first, data_last=last)
    expected = pd.DataFrame(rows, columns=got.columns.tolist())
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_mark_months_takes_dates_or_text():
    cov = month_coverage(D(2026, 11, 6), D(2026, 12, 5))
    frame = pd.DataFrame({"month": [D(2026, 11, 1), "2026-12", "2027-01"], "n": [1, 2, 3]})
    got = mark_months(frame, cov)
    assert got[["days_covered", "days_in_month", "partial"]].values.tolist() == [
        [25, 30, True],
        [5, 31, True],
        [0, 31, True],  # not in the coverage: nothing covered
    ]


# ---- a demo whose data ends on the 5th -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def mid_demo(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('partial') / 'demo.sqlite'}"
    engine = open_database(url)
    # not conftest's demo (300 customers, seed 7): the pages' caches are keyed on the data version, which two
    # databases of the same size and seed share within one test process
    generate(engine, customers=320, seed=3, as_of=MID_AS_OF)
    with engine.connect() as conn:
        leads = pd.read_sql("SELECT channel_id, created_at FROM leads", conn, parse_dates=["created_at"])
        spend = pd.read_sql(
            "SELECT channel_id, month, amount FROM channel_spend", conn, parse_dates=["month"]
        )
        defeats = pd.read_sql("SELECT at, reason, approval FROM defeats", conn, parse_dates=["at"])
        channels = pd.read_sql("SELECT id, name FROM channels", conn)
    yield {
        "url": url,
        "engine": engine,
        "leads": leads,
        "spend": spend,
        "defeats": defeats,
        "channels": channels,
    }
    engine.dispose()


def test_the_demo_ends_mid_month(mid_demo):
    assert mid_demo["leads"]["created_at"].max().date() == MID_AS_OF


def test_channel_roi_marks_the_month_the_data_cuts_short(mid_demo):
    with mid_demo["engine"].connect() as conn:
        got = cr.channel_months(conn=conn, filters=DEFAULT)
    # independently: the data's days from the raw leads; ROI counts whole calendar months
    first, last = mid_demo["leads"]["created_at"].min().date(), mid_demo["leads"]["created_at"].max().date()
    assert first.day != 1 and last == MID_AS_OF
    n_channels = len(mid_demo["channels"])
    assert got["month"].tolist() == [D(2026, 11, 1), D(2026, 12, 1)] * n_channels
    assert got["days_covered"].tolist() == [30, last.day] * n_channels
    assert got["days_in_month"].tolist() == [30, 31] * n_channels
    assert got["partial"].tolist() == [False, True] * n_channels
    # the figures of the partial month stand as they are (nothing scaled): 抖音's spend and leads of December
    douyin = int(mid_demo["channels"].set_index("name").loc["抖音", "id"])
    dec = got[(got["channel_id"] == douyin) & (got["month"] == D(2026, 12, 1))].iloc[0]
    leads, spend = mid_demo["leads"], mid_demo["spend"]
    dec_leads = int(((leads["channel_id"] == douyin) & (leads["created_at"] >= "2026-12-01")).sum())
    dec_spend = spend.loc[(spend["channel_id"] == douyin) & (spend["month"] == "2026-12-01"), "amount"].sum()
    assert (dec["leads"], dec["spend_reported"]) == (dec_leads, pytest.approx(dec_spend, abs=0.01))
    totals = cr.channel_totals_from_frames(got)
    assert totals["partial_months"].tolist() == [1] * n_channels


def test_channel_roi_of_maven_marks_its_first_month(real_db):
    """Maven's opportunities start on 20 October 2016 (engage_date): October 2016 holds 12 of its 31 days."""
    src = pd.read_csv(MAVEN / "sales_pipeline.csv")
    created = pd.to_datetime(src["engage_date"]).fillna(pd.Timestamp("2017-12-31"))  # the mapping's default
    first, last = created.min().date(), created.max().date()
    with real_db.engine.connect() as conn:
        assert data_extent(conn=conn) == (first, last)
        got = cr.channel_months(conn=conn, filters=Filters(D(2016, 10, 1), D(2016, 12, 31)))
        year = cr.channel_months(conn=conn, filters=Filters(D(2017, 1, 1), D(2017, 12, 31)))
    october_days = 31 - first.day + 1
    assert (first, october_days) == (D(2016, 10, 20), 12)
    assert got["days_covered"].tolist() == [october_days, 30, 31]
    assert got["partial"].tolist() == [True, False, False]
    assert got["leads"].tolist() == [int(((created.dt.year == 2016) & (created.dt.month == m)).sum()) for m in
                                     (10, 11, 12)]  # fmt: skip
    assert not year["partial"].any()  # the data runs to 31 December 2017: every month of 2017 is whole


def _defeats_per_month(raw: pd.DataFrame, f: Filters) -> dict[str, int]:
    d = raw[(raw["at"] >= pd.Timestamp(f.start)) & (raw["at"] < pd.Timestamp(f.end + dt.timedelta(days=1)))]
    d = d[d["approval"] != "returned"]
    return d.groupby(d["at"].dt.strftime("%Y-%m")).size().to_dict()


@pytest.mark.parametrize(
    ("f", "covered"),
    [
        (DEFAULT, {"2026-11": (25, 30, True), "2026-12": (5, 31, True)}),
        (Filters(D(2026, 10, 1), D(2026, 12, 31)), {"2026-10": (31, 31, False), "2026-11": (30, 30, False),
                                                     "2026-12": (5, 31, True)}),
    ],
)  # fmt: skip
def test_defeat_trend_marks_partial_months(mid_demo, f, covered):
    with mid_demo["engine"].connect() as conn:
        trend = cd.mark_trend(cd.monthly_trend(conn=conn, filters=f), f, data_extent(conn=conn))
    per_month = trend.groupby("month")["count"].sum().to_dict()
    assert per_month == _defeats_per_month(mid_demo["defeats"], f)
    for month, (days, of, partial) in covered.items():
        rows = trend[trend["month"] == month]
        marks = zip(rows["days_covered"], rows["days_in_month"], rows["partial"], strict=True)
        assert len(rows) and set(marks) == {(days, of, partial)}


# ---- the pages --------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_env_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


def make_page(url: str, page: str, f: Filters, lang: str = "zh") -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=120)
    at.secrets["database_url"] = url
    at.session_state["filters"] = f
    at.session_state["lang"] = lang
    sign_in(at, url).run()
    assert not at.exception, at.exception
    return at


def date_charts(at: AppTest) -> list[dict]:
    """The specs of the page's charts with a date axis."""
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return [s for s in specs if s["layout"].get("xaxis", {}).get("type") == "date"]


def assert_partial_december(spec: dict, text: str) -> None:
    assert [a["text"] for a in spec["layout"]["annotations"]] == [text]
    open_points = [d for d in spec["data"] if d.get("marker", {}).get("symbol") == "circle-open"]
    assert open_points and all(d["x"] == ["2026-12-01"] for d in open_points)
    solid = [d for d in spec["data"] if d.get("mode") == "lines+markers"]
    assert solid and all(d["x"][-1] == "2026-12-01" and d["y"][-1] is None for d in solid)  # not on the line


@pytest.mark.parametrize(
    ("lang", "tickformat", "note", "whole", "caption"),
    [
        ("zh", "%Y年%-m月", "部分月份（5/31 天）", "整月", "部分月份：2026-12（5/31 天）。"),
        (
            "en",
            "%b %Y",
            "partial month (5 of 31 days)",
            "whole month",
            "Partial months: 2026-12 (5 of 31 days).",
        ),
    ],
)
def test_channel_page_marks_the_partial_month(mid_demo, served, lang, tickformat, note, whole, caption):
    at = make_page(mid_demo["url"], "channels.py", DEFAULT, lang)
    assert any(c.value.startswith(caption) for c in at.caption)
    (trend,) = date_charts(at)
    assert trend["layout"]["xaxis"]["tickformat"] == tickformat
    assert trend["layout"]["xaxis"]["hoverformat"] == tickformat
    assert_partial_december(trend, note)
    coverage = "月份覆盖" if lang == "zh" else "Month coverage"
    detail = next(df.value for df in at.dataframe if coverage in df.value.columns and len(df.value) > 2)
    detail = detail.data if hasattr(detail, "data") else detail
    assert detail[coverage].tolist() == [whole, note] * len(mid_demo["channels"])
    # the download of that table says so too
    csv = pd.read_csv(io.BytesIO(served(at, "roi_detail_csv")), encoding="utf-8-sig")
    assert csv[coverage].tolist() == [whole, note] * len(mid_demo["channels"])
    totals = at.dataframe[0].value
    totals = totals.data if hasattr(totals, "data") else totals
    assert set(totals["含部分月份数" if lang == "zh" else "Partial months"]) == {1}


def test_defeat_page_marks_the_partial_months(mid_demo, served):
    at = make_page(mid_demo["url"], "defeats.py", DEFAULT)
    assert any(c.value.startswith("部分月份：2026-11（25/30 天）、2026-12（5/31 天）。") for c in at.caption)
    (trend,) = date_charts(at)
    assert trend["layout"]["xaxis"]["tickformat"] == "%Y年%-m月"
    assert [a["text"] for a in trend["layout"]["annotations"]] == [
        "部分月份（25/30 天）",
        "部分月份（5/31 天）",
    ]
    table = next(df.value for df in at.dataframe if "月份覆盖" in df.value.columns)
    expected = {"2026-11": "部分月份（25/30 天）", "2026-12": "部分月份（5/31 天）"}
    assert table["月份覆盖"].tolist() == table["月份"].map(expected).tolist()
    csv = pd.read_csv(io.BytesIO(served(at, "trend_csv")), encoding="utf-8-sig")
    assert csv["月份覆盖"].tolist() == table["月份覆盖"].tolist()
    assert table.groupby("月份")["战败数"].sum().to_dict() == (
        _defeats_per_month(mid_demo["defeats"], DEFAULT)
    )


def test_funnel_cohorts_are_labelled_with_chinese_months(mid_demo):
    at = make_page(mid_demo["url"], "funnel.py", DEFAULT)
    heat = next(
        json.loads(c.proto.spec)
        for c in at.get("plotly_chart")
        if json.loads(c.proto.spec)["data"][0]["type"] == "heatmap"
    )
    assert heat["data"][0]["y"][-2:] == ["2026年11月", "2026年12月"]
