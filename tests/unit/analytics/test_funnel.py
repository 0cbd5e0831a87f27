"""Funnel figures: a hand-made case with exact numbers, and the demo data against an independent computation."""

from __future__ import annotations

import ast
import datetime as dt
from io import BytesIO
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.analytics import funnel as fu
from core.analytics.overview import Filters, data_extent
from core.io import exports
from core.storage.bulk import write_frames
from core.storage.db import open_database
from core.storage.models import FUNNEL_STAGES, STAGE_TIME_COLUMNS
from tests.signin import sign_in

ROOT = Path(__file__).resolve().parents[3]
PAGE = str(ROOT / "pages" / "funnel.py")
MARCH = Filters(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
TIMES = ("created_at", *STAGE_TIME_COLUMNS)

# ---------------------------------------------------------------------------------------------------------------
# hand-made case: (customer, store, channel, grade, created_at, minutes between consecutive stages)
# stage_reached = number of intervals
TINY_LEADS = [
    (1, 1, 1, "H", "2026-03-01 10:00", [3, 1440, 2880, 60, 120, 1440, 14400]),  # delivered, contact in 3 min
    (2, 1, 2, "A", "2026-03-02 09:00", [15, 1440, 4320]),  # visit, contact in exactly 15 min
    (3, 2, 1, "B", "2026-03-10 12:00", [60]),  # first contact after 1 h
    (3, 2, 2, "C", "2026-03-20 08:00", []),  # never contacted
    (1, 1, 1, "A", "2026-03-25 08:00", [180, 1440, 1440, 0, 60, 2880]),  # order, contact after 3 h
    (1, 1, 1, "H", "2026-02-28 23:59:59", [1, 1, 1, 1, 1, 1, 1]),  # before the period
    (2, 2, 2, "H", "2026-04-01 00:00", [1, 1, 1, 1, 1, 1, 1]),  # after the period (end is exclusive)
]


def _tiny_frames() -> list[tuple[str, pd.DataFrame]]:
    regions = pd.DataFrame({"id": [1, 2], "code": ["r1", "r2"], "name": ["惠城区", "博罗县"]})
    regions["name_en"] = ["Huicheng", "Boluo"]
    stores = pd.DataFrame(
        {
            "id": [1, 2],
            "code": ["s1", "s2"],
            "name": ["一店", "二店"],
            "name_en": ["Store one", "Store two"],
            "region_id": [1, 2],
            "brand": ["福特", "福特"],
        }
    )
    channels = pd.DataFrame(
        {
            "id": [1, 2],
            "code": ["c1", "c2"],
            "name": ["汽车之家", "展厅"],
            "name_en": ["Autohome", "Walk-in"],
            "cost_model": ["per_lead", "none"],
            "online": [True, False],
        }
    )
    advisors = pd.DataFrame(
        {"id": [1], "store_id": [1], "name": ["王顾问"], "level": ["senior"], "capacity_per_week": [50]}
    )
    advisors["active"] = True
    customers = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "kind": ["person"] * 3,
            "name": ["甲", "乙", "丙"],
            "region_id": [1, 1, 2],
            "is_owner": [False] * 3,
            "created_at": pd.to_datetime(["2026-01-01"] * 3),
        }
    )
    rows = []
    for i, (cust, store, channel, grade, created, gaps) in enumerate(TINY_LEADS, start=1):
        t = pd.Timestamp(created)
        row = {
            "id": i,
            "customer_id": cust,
            "store_id": store,
            "advisor_id": 1 if store == 1 else None,
            "channel_id": channel,
            "intended_model": "福克斯" if grade in ("H", "A") else None,
            "grade": grade,
            "status": "open",
            "stage_reached": len(gaps),
            "created_at": t,
            "asked_competitor": False,
        }
        for col, gap in zip(STAGE_TIME_COLUMNS, gaps, strict=False):
            t = t + pd.Timedelta(minutes=gap)
            row[col] = t
        rows.append(row)
    leads = pd.DataFrame(rows)
    for col in STAGE_TIME_COLUMNS:
        leads[col] = pd.to_datetime(leads[col])
    return [
        ("regions", regions),
        ("stores", stores),
        ("channels", channels),
        ("advisors", advisors),
        ("customers", customers),
        ("leads", leads),
    ]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('funnel') / 'tiny.sqlite'}"
    engine = open_database(url)
    write_frames(engine, _tiny_frames())
    yield engine
    engine.dispose()


def _frame(counts, step, overall, drop) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stage_index": range(8),
            "stage": FUNNEL_STAGES,
            "count": counts,
            "step_conversion": step,
            "overall_conversion": overall,
            "drop_off": drop,
        }
    )


NAN = np.nan
TINY_FUNNELS = [
    (
        MARCH,
        _frame(
            [5, 4, 3, 3, 2, 2, 2, 1],
            [NAN, 0.8, 0.75, 1.0, 2 / 3, 1.0, 1.0, 0.5],
            [1.0, 0.8, 0.6, 0.6, 0.4, 0.4, 0.4, 0.2],
            [0, 1, 1, 0, 1, 0, 0, 1],
        ),
    ),
    (
        Filters(MARCH.start, MARCH.end, store_ids=(2,)),
        _frame(
            [2, 1, 0, 0, 0, 0, 0, 0],
            [NAN, 0.5, 0.0] + [NAN] * 5,
            [1.0, 0.5] + [0.0] * 6,
            [0, 1, 1, 0, 0, 0, 0, 0],
        ),
    ),
    (
        Filters(MARCH.start, MARCH.end, region_ids=(1,)),
        _frame(
            [3, 3, 3, 3, 2, 2, 2, 1],
            [NAN, 1.0, 1.0, 1.0, 2 / 3, 1.0, 1.0, 0.5],
            [1.0, 1.0, 1.0, 1.0, 2 / 3, 2 / 3, 2 / 3, 1 / 3],
            [0, 0, 0, 0, 1, 0, 0, 1],
        ),
    ),
    (
        Filters(MARCH.start, MARCH.end, channel_ids=(2,), store_ids=(1,)),
        _frame(
            [1, 1, 1, 1, 0, 0, 0, 0],
            [NAN, 1.0, 1.0, 1.0, 0.0, NAN, NAN, NAN],
            [1.0] * 4 + [0.0] * 4,
            [0, 0, 0, 0, 1, 0, 0, 0],
        ),
    ),
    (
        Filters(dt.date(2026, 5, 1), dt.date(2026, 5, 31)),
        _frame([0] * 8, [NAN] * 8, [NAN] * 8, [0] * 8),
    ),
    (
        Filters(dt.date(2026, 2, 28), dt.date(2026, 2, 28)),
        _frame([1] * 8, [NAN] + [1.0] * 7, [1.0] * 8, [0] * 8),
    ),
]


@pytest.mark.parametrize(("filters", "expected"), TINY_FUNNELS)
def test_funnel_on_a_hand_made_case(tiny, filters, expected):
    with tiny.connect() as conn:
        got = fu.funnel(conn=conn, filters=filters)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_funnel_by_channel_on_a_hand_made_case(tiny):
    with tiny.connect() as conn:
        got = fu.funnel_by(conn=conn, filters=MARCH, dimension="channel")
    assert got["group"].tolist() == [1] * 8 + [2] * 8
    assert got["label"].tolist() == ["汽车之家"] * 8 + ["展厅"] * 8
    assert got["label_en"].tolist() == ["Autohome"] * 8 + ["Walk-in"] * 8
    assert got["count"].tolist() == [3, 3, 2, 2, 2, 2, 2, 1] + [2, 1, 1, 1, 0, 0, 0, 0]


@pytest.mark.parametrize(
    ("dimension", "groups", "labels", "leads"),
    [
        ("store", [1, 2], ["一店", "二店"], [3, 2]),
        ("region", [1, 2], ["惠城区", "博罗县"], [3, 2]),
        ("advisor", [1, None], ["王顾问", "—"], [3, 2]),
        ("grade", ["H", "A", "B", "C"], ["H", "A", "B", "C"], [1, 2, 1, 1]),
        ("intended_model", ["福克斯", None], ["福克斯", "—"], [3, 2]),
    ],
)
def test_funnel_by_groups_and_labels(tiny, dimension, groups, labels, leads):
    with tiny.connect() as conn:
        got = fu.funnel_by(conn=conn, filters=MARCH, dimension=dimension)
    first = got[got["stage"] == "lead"]
    assert first["group"].tolist() == groups
    assert first["label"].tolist() == labels
    assert first["count"].tolist() == leads


def test_funnel_by_rejects_an_unknown_dimension(tiny):
    with tiny.connect() as conn, pytest.raises(ValueError, match="unknown dimension"):
        fu.funnel_by(conn=conn, filters=MARCH, dimension="colour")


def test_stage_durations_on_a_hand_made_case(tiny):
    with tiny.connect() as conn:
        got = fu.stage_durations(conn=conn, filters=MARCH)
    expected = pd.DataFrame(
        {
            "stage_index": range(1, 8),
            "from_stage": FUNNEL_STAGES[:-1],
            "stage": FUNNEL_STAGES[1:],
            "leads": [4, 3, 3, 2, 2, 2, 1],
            # medians of [3, 15, 60, 180] min, [1440]*3, [2880, 4320, 1440], [60, 0], [120, 60], [1440, 2880], [14400]
            "median_days": [37.5 / 1440, 1.0, 2.0, 30 / 1440, 90 / 1440, 1.5, 10.0],
        }
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_first_contact_speed_on_a_hand_made_case(tiny):
    with tiny.connect() as conn:
        got = fu.first_contact_speed(conn=conn, filters=MARCH)
    expected = pd.DataFrame(
        {
            "bucket": ["le_5min", "le_15min", "le_2h", "later", "never"],
            "leads": [1, 1, 1, 1, 1],
            "orders": [1, 0, 0, 1, 0],
            "conversion": [1.0, 0.0, 0.0, 1.0, 0.0],
        }
    )
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_empty_period_gives_empty_frames(tiny):
    f = Filters(dt.date(2020, 1, 1), dt.date(2020, 1, 31))
    with tiny.connect() as conn:
        assert fu.funnel_by(conn=conn, filters=f, dimension="store").empty
        assert fu.stage_durations(conn=conn, filters=f)["leads"].sum() == 0
        assert fu.first_contact_speed(conn=conn, filters=f)["leads"].sum() == 0


# ---------------------------------------------------------------------------------------------------------------
# demo data against a second implementation


@pytest.fixture(scope="module")
def raw(demo_db):
    with demo_db.engine.connect() as conn:
        leads = pd.read_sql(
            "SELECT l.*, c.region_id FROM leads l JOIN customers c ON c.id = l.customer_id", conn
        )
    for col in TIMES:
        leads[col] = pd.to_datetime(leads[col])
    return leads


def _select(leads: pd.DataFrame, f: Filters) -> pd.DataFrame:
    keep = (leads["created_at"] >= pd.Timestamp(f.start)) & (
        leads["created_at"] < pd.Timestamp(f.end + dt.timedelta(days=1))
    )
    if f.store_ids:
        keep &= leads["store_id"].isin(f.store_ids)
    if f.channel_ids:
        keep &= leads["channel_id"].isin(f.channel_ids)
    if f.region_ids:
        keep &= leads["region_id"].isin(f.region_ids)
    return leads[keep]


PERIODS = [
    (dt.date(2026, 6, 1), dt.date(2026, 6, 30)),
    (dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
    (dt.date(2025, 7, 1), dt.date(2025, 9, 30)),
    (dt.date(2026, 4, 15), dt.date(2026, 4, 15)),
]
FILTERS = [
    {},
    {"store_ids": (1,)},
    {"region_ids": (1, 2)},
    {"channel_ids": (1, 3)},
    {"store_ids": (2,), "channel_ids": (1,)},
]
CASES = [Filters(s, e, **kw) for s, e in PERIODS for kw in FILTERS]


def _sql_counts(conn, f: Filters) -> list[int]:
    """Leads per stage_reached with plain SQL, then 'reached at least' as a reverse cumulative sum."""
    where = ["l.created_at >= :s", "l.created_at < :e"]
    params: dict = {"s": f.start_dt, "e": f.end_dt}
    for name, col, ids in (
        ("st", "l.store_id", f.store_ids),
        ("ch", "l.channel_id", f.channel_ids),
        ("rg", "c.region_id", f.region_ids),
    ):
        if ids:
            where.append(f"{col} IN ({', '.join(f':{name}{i}' for i in range(len(ids)))})")
            params.update({f"{name}{i}": v for i, v in enumerate(ids)})
    sql = (
        "SELECT l.stage_reached, COUNT(*) FROM leads l JOIN customers c ON c.id = l.customer_id WHERE "
        + " AND ".join(where)
        + " GROUP BY l.stage_reached"
    )
    per = dict(conn.execute(sa.text(sql), params).all())
    return [sum(n for s, n in per.items() if s >= i) for i in range(len(FUNNEL_STAGES))]


@pytest.mark.parametrize("f", CASES, ids=str)
def test_funnel_against_plain_sql(demo_db, f):
    with demo_db.engine.connect() as conn:
        got = fu.funnel(conn=conn, filters=f)
        counts = _sql_counts(conn, f)
    assert got["count"].tolist() == counts
    for i in range(1, 8):
        prev, cur = counts[i - 1], counts[i]
        assert got["drop_off"][i] == prev - cur
        assert (np.isnan(got["step_conversion"][i]) and prev == 0) or got["step_conversion"][
            i
        ] == pytest.approx(cur / prev)
        assert (np.isnan(got["overall_conversion"][i]) and counts[0] == 0) or got["overall_conversion"][
            i
        ] == pytest.approx(cur / counts[0])


@pytest.mark.parametrize("f", CASES[:5] + CASES[10:15], ids=str)
@pytest.mark.parametrize("dimension", fu.DIMENSIONS)
def test_funnel_by_against_pandas(demo_db, raw, f, dimension):
    column = {
        "channel": "channel_id",
        "store": "store_id",
        "advisor": "advisor_id",
        "region": "region_id",
    }.get(dimension, dimension)
    sel = _select(raw, f)
    expected = {}
    for key, part in sel.groupby(column, dropna=False):
        key = None if pd.isna(key) else key
        expected[key] = [int((part["stage_reached"] >= i).sum()) for i in range(8)]
    with demo_db.engine.connect() as conn:
        got = fu.funnel_by(conn=conn, filters=f, dimension=dimension)
    got_counts = {k: g["count"].tolist() for k, g in got.groupby("group", dropna=False, sort=False)}
    assert got_counts == expected
    if dimension in ("channel", "store", "region"):
        table = {"channel": "channels", "store": "stores", "region": "regions"}[dimension]
        names = pd.read_sql(f"SELECT id, name, name_en FROM {table}", demo_db.engine).set_index("id")
        first = got[got["stage"] == "lead"]
        assert first["label"].tolist() == names.loc[first["group"].tolist(), "name"].tolist()
        assert first["label_en"].tolist() == names.loc[first["group"].tolist(), "name_en"].tolist()


@pytest.mark.parametrize("f", CASES, ids=str)
def test_stage_durations_against_pandas(demo_db, raw, f):
    sel = _select(raw, f)
    with demo_db.engine.connect() as conn:
        got = fu.stage_durations(conn=conn, filters=f)
    for i in range(1, 8):
        a, b = sel[TIMES[i - 1]], sel[TIMES[i]]
        ok = sel[(sel["stage_reached"] >= i) & a.notna() & b.notna()]
        days = (ok[TIMES[i]] - ok[TIMES[i - 1]]) / pd.Timedelta(days=1)
        assert got["leads"][i - 1] == len(ok)
        if len(ok):
            assert got["median_days"][i - 1] == pytest.approx(float(np.median(days.to_numpy())))
        else:
            assert np.isnan(got["median_days"][i - 1])


@pytest.mark.parametrize("f", CASES, ids=str)
def test_first_contact_speed_against_pandas(demo_db, raw, f):
    sel = _select(raw, f)
    minutes = (sel["first_contact_at"] - sel["created_at"]) / pd.Timedelta(minutes=1)
    bucket = np.select(
        [sel["first_contact_at"].isna(), minutes <= 5, minutes <= 15, minutes <= 120],
        ["never", "le_5min", "le_15min", "le_2h"],
        default="later",
    )
    with demo_db.engine.connect() as conn:
        got = fu.first_contact_speed(conn=conn, filters=f).set_index("bucket")
    for b in fu.SPEED_BUCKETS:
        part = sel[bucket == b]
        orders = int((part["stage_reached"] >= 6).sum())
        assert got.loc[b, "leads"] == len(part)
        assert got.loc[b, "orders"] == orders
        if len(part):
            assert got.loc[b, "conversion"] == pytest.approx(orders / len(part))
        else:
            assert np.isnan(got.loc[b, "conversion"])


def test_the_demo_data_has_leads_in_the_tested_periods(demo_db, raw):
    assert len(_select(raw, CASES[0])) > 0 and len(_select(raw, CASES[5])) > 0


# ---------------------------------------------------------------------------------------------------------------
# downloads


def test_excel_and_csv_bytes_round_trip():
    frame = pd.DataFrame(
        {"阶段": ["线索", "首次接触"], "线索数": [5, 4], "环节转化率": [np.nan, 0.8]},
    )
    book = openpyxl.load_workbook(BytesIO(exports.xlsx_bytes(frame, sheet="漏斗")))
    sheet = book["漏斗"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows == [("阶段", "线索数", "环节转化率"), ("线索", 5, None), ("首次接触", 4, 0.8)]
    csv = exports.csv_bytes(frame)
    assert csv.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(BytesIO(csv), encoding="utf-8-sig")
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)


def test_core_funnel_never_imports_streamlit():
    tree = ast.parse((ROOT / "core" / "analytics" / "funnel.py").read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not any(n.split(".")[0] == "streamlit" for n in names)


# ---------------------------------------------------------------------------------------------------------------
# the page through AppTest


@pytest.fixture(autouse=True)
def _no_env_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


def make_page(url: str, f: Filters, lang: str = "zh") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.secrets["database_url"] = url
    at.session_state["filters"] = f
    at.session_state["lang"] = lang
    return sign_in(at, url)


JUNE = Filters(dt.date(2026, 6, 1), dt.date(2026, 6, 30))


def test_page_shows_the_funnel(demo_db):
    at = make_page(demo_db.url, JUNE).run()
    assert not at.exception
    assert at.title[0].value == "销售漏斗"
    with demo_db.engine.connect() as conn:
        expected = fu.funnel(conn=conn, filters=JUNE)
        prev = fu.equal_age_comparison(
            fu.period_leads(conn=conn, filters=JUNE),
            fu.period_leads(conn=conn, filters=JUNE.previous()),
            JUNE,
            data_extent(conn=conn)[1],
        )
        speed = fu.first_contact_speed(conn=conn, filters=JUNE)
    table = at.dataframe[0].value
    assert table["阶段"].tolist() == [
        "线索",
        "首次接触",
        "需求分析",
        "邀约到店",
        "试乘试驾",
        "报价谈判",
        "签约订车",
        "交车",
    ]
    assert table["线索数"].tolist() == expected["count"].tolist()
    assert table["流失数"].tolist() == expected["drop_off"].tolist()
    # the first stage has no step before it: "—" on screen (Streamlit would show a grey "None"), not a number
    step = expected["step_conversion"].to_numpy(float)
    assert np.isnan(step[0]) and table["环节转化率"].iloc[0] == "—"
    assert [float(x.rstrip("%")) / 100 for x in table["环节转化率"].iloc[1:]] == pytest.approx(
        step[1:], abs=5e-5
    )
    compare = at.dataframe[2].value
    assert compare["本期"].tolist() == expected["count"].tolist()
    # the previous period at equal age (tests/unit/analytics/test_funnel_equal_age.py checks it against pandas)
    assert compare["上一期（同龄）"].tolist() == prev["previous_count"].tolist()
    assert at.dataframe[4].value["线索数"].tolist() == speed["leads"].tolist()
    assert len(at.get("plotly_chart")) == 7  # + the monthly cohorts
    assert len(at.get("download_button")) == 14  # 6 tables + the customers behind a figure, CSV and Excel


def test_page_breakdown_follows_the_selector(demo_db):
    at = make_page(demo_db.url, JUNE).run()
    at.selectbox(key="funnel_dimension.zh").set_value("grade").run()
    assert not at.exception
    with demo_db.engine.connect() as conn:
        by = fu.funnel_by(conn=conn, filters=JUNE, dimension="grade")
    table = at.dataframe[1].value
    leads = by[by["stage"] == "lead"]
    assert table["分组"].tolist() == leads["label"].tolist()
    assert table["线索"].tolist() == leads["count"].tolist()


def test_page_in_english(demo_db):
    at = make_page(demo_db.url, JUNE, "en").run()
    assert not at.exception
    assert at.title[0].value == "Sales funnel"
    assert at.dataframe[0].value["Stage"].tolist()[0] == "Lead"


def test_page_empty_state(demo_db):
    at = make_page(demo_db.url, Filters(dt.date(2010, 1, 1), dt.date(2010, 1, 31))).run()
    assert not at.exception
    assert at.info[0].value.startswith("当前筛选条件下没有新建线索")
    assert len(at.dataframe) == 0
