"""The customers behind the overview's figures: the ids from the facts are as many as each figure and equal
plain SQL on the SQLite file; the page lists them (masked as the signed-in role requires), with the count,
the 500-row limit and the downloads."""

from __future__ import annotations

import datetime as dt
import sqlite3
from io import BytesIO
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.access import auth
from core.access.privacy import mask_name, mask_phone
from core.analytics import drilldown, followup
from core.analytics import facts as cf
from core.analytics import facts_figures as ff
from core.analytics import overview as ov
from core.demo.generator import generate
from core.storage.db import open_database
from tests.pii import unseal_rows
from tests.signin import sign_in
from tests.unit.analytics.test_facts import FILTER_SETS as FACTS_FILTER_SETS

ROOT = Path(__file__).resolve().parents[3]
PAGE = str(ROOT / "pages" / "overview.py")
AS_OF = dt.date(2026, 6, 30)
JUNE = ov.Filters(dt.date(2026, 6, 1), dt.date(2026, 6, 30))
CADENCE = {"H": 3, "A": 7, "B": 15, "C": 30, "O": 7}  # the README's, written again

# the facts tests' filter sets (period, store, region, channel, combinations, one matching nothing)
FILTER_SETS = [p for p in FACTS_FILTER_SETS if p.id != "before-data"]


@pytest.fixture(scope="module")
def demo_facts(demo_db):
    with demo_db.engine.connect() as conn:
        facts = cf.read_event_facts(conn, cf.facts_key(conn))
        tiers = cf.read_tier_facts(conn, cf.tier_key(conn))
        scheme = ov.published_scheme(conn=conn)
    return facts, tiers, scheme


@pytest.fixture(scope="module")
def sqlite_file(demo_db):
    """The demo database's file through the sqlite3 module: plain SQL, no SQLAlchemy, no project code."""
    conn = sqlite3.connect(demo_db.url.removeprefix("sqlite:///"))
    yield conn
    conn.close()


# ---- the ids behind each figure ---------------------------------------------------------------------------


@pytest.mark.parametrize("f", FILTER_SETS)
def test_each_list_is_as_long_as_its_figure(demo_facts, f):
    facts, tiers, scheme = demo_facts
    for g in (f, f.previous()):
        figures = ff.lead_figures(facts, g)
        for figure in ff.LEAD_FIGURE_TIMES:
            ids = ff.lead_figure_ids(facts, g, figure)
            assert len(ids) == figures[figure], (g, figure)
            assert len(set(ids.tolist())) == len(ids)
        for current in (True, False):
            assert len(ff.overdue_lead_ids(facts, g, current=current)) == ff.overdue_follow_ups(
                facts, g, current=current
            ), (g, current)
        counts = ff.tier_counts(tiers, facts, g, scheme)
        for tier, n in zip(counts["tier"], counts["customers"], strict=True):
            assert len(ff.tier_customer_ids(tiers, facts, g, tier)) == n, (g, tier)
        assert len(ff.tier_customer_ids(tiers, facts, g, "no such tier")) == 0
        # the dispatcher the page calls decides "current" as overview() does
        got = ff.overview(facts, tiers, g, AS_OF, scheme)["current"]
        for figure in (*ff.LEAD_FIGURE_TIMES, "overdue"):
            assert len(ff.overview_figure_ids(facts, tiers, g, figure, latest_day=AS_OF)) == got[figure]


def test_the_tested_filter_sets_have_something_to_list(demo_facts):
    facts, tiers, scheme = demo_facts
    assert all(ff.lead_figures(facts, JUNE)[k] > 3 for k in ff.LEAD_FIGURE_TIMES)
    assert ff.overdue_follow_ups(facts, JUNE) > 5
    march = ov.Filters(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert ff.overdue_follow_ups(facts, march, current=False) > 5
    assert (ff.tier_counts(tiers, facts, JUNE, scheme)["customers"] > 5).all()


def _where(f: ov.Filters) -> str:
    out = ""
    for column, ids in (
        ("l.store_id", f.store_ids),
        ("l.channel_id", f.channel_ids),
        ("c.region_id", f.region_ids),
    ):
        if ids:
            out += f" AND {column} IN ({','.join(str(int(i)) for i in ids)})"
    return out


def _ts(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _overdue_when(last: str, at: dt.datetime) -> str:
    return " OR ".join(
        f"(l.grade = '{g}' AND ({last} IS NULL OR {last} < '{_ts(at - dt.timedelta(days=d))}'))"
        for g, d in CADENCE.items()
    )


def sql_lead_ids(conn: sqlite3.Connection, f: ov.Filters, column: str) -> list[int]:
    rows = conn.execute(
        f"SELECT l.id FROM leads l LEFT JOIN customers c ON c.id = l.customer_id "
        f"WHERE l.{column} >= ? AND l.{column} < ?{_where(f)} ORDER BY l.{column} DESC, l.id DESC",
        (_ts(f.start_dt), _ts(f.end_dt)),
    )
    return [r[0] for r in rows]


def sql_overdue_ids(conn: sqlite3.Connection, f: ov.Filters, current: bool | None = None) -> list[int]:
    """The one overdue rule for every period (``current`` no longer picks the stored state, which disagreed):
    not delivered nor defeated before the end; last follow-up before it, else first contact."""
    at = f.end_dt
    last = "COALESCE(fu.last_at, CASE WHEN l.first_contact_at < :at THEN l.first_contact_at END)"
    sql = (
        f"SELECT l.id, {last} AS last FROM leads l LEFT JOIN customers c ON c.id = l.customer_id "
        "LEFT JOIN (SELECT lead_id, MAX(at) AS last_at FROM follow_ups WHERE at < :at GROUP BY lead_id) fu "
        "ON fu.lead_id = l.id WHERE l.created_at < :at "
        "AND (l.delivery_at IS NULL OR l.delivery_at >= :at) AND (l.defeated_at IS NULL OR l.defeated_at >= :at)"
        f" AND ({_overdue_when(last, at)}){_where(f)} ORDER BY last, l.id"
    )
    return [r[0] for r in conn.execute(sql, {"at": _ts(at)})]


def sql_tier_ids(conn: sqlite3.Connection, f: ov.Filters, tier: str) -> list[int]:
    where = "".join(
        f" AND {column} IN ({','.join(str(int(i)) for i in ids)})"
        for column, ids in (
            ("c.store_id", f.store_ids),
            ("c.region_id", f.region_ids),
            ("c.first_channel_id", f.channel_ids),
        )
        if ids
    )
    rows = conn.execute(
        "SELECT t.customer_id FROM tier_assignments t JOIN customers c ON c.id = t.customer_id "
        "WHERE t.effective_from < :at AND (t.effective_to IS NULL OR t.effective_to >= :at) "
        "AND t.scheme_id IN (SELECT id FROM scoring_schemes WHERE population = 'owners') AND t.tier = :tier"
        f"{where} ORDER BY t.score DESC, t.customer_id",
        {"at": _ts(f.end_dt), "tier": tier},
    )
    return [r[0] for r in rows]


@pytest.mark.parametrize("f", FILTER_SETS)
def test_each_list_equals_plain_sql_on_the_sqlite_file(demo_facts, sqlite_file, f):
    facts, tiers, _ = demo_facts
    for figure, column in ff.LEAD_FIGURE_TIMES.items():
        assert ff.lead_figure_ids(facts, f, figure).tolist() == sql_lead_ids(sqlite_file, f, column), figure
    for current in (True, False):
        got = ff.overdue_lead_ids(facts, f, current=current).tolist()
        assert got == sql_overdue_ids(sqlite_file, f, current), current
    for tier in ("高价值", "普通", "流失风险"):
        assert ff.tier_customer_ids(tiers, facts, f, tier).tolist() == sql_tier_ids(sqlite_file, f, tier)


def test_customers_by_id_against_plain_sql(demo_db, sqlite_file):
    ids = [r[0] for r in sqlite_file.execute("SELECT id FROM customers ORDER BY id DESC LIMIT 40")][::3]
    ids = [ids[1], ids[0], *ids[2:], 10**9]  # any order is kept; an unknown id is left out
    truth = {
        r[0]: r[1:]
        for r in unseal_rows(
            sqlite_file.execute(
                "SELECT c.id, c.name, c.phone, r.name_en, s.name_en, ch.name_en, a.name, c.intended_model FROM customers c "
                "LEFT JOIN regions r ON r.id = c.region_id LEFT JOIN stores s ON s.id = c.store_id "
                "LEFT JOIN channels ch ON ch.id = c.first_channel_id LEFT JOIN advisors a ON a.id = c.advisor_id "
                f"WHERE c.id IN ({','.join(map(str, ids))})"
            )
        )
    }
    with demo_db.engine.connect() as conn:
        clear = drilldown.customers(conn=conn, customer_ids=ids, show_pii=True, lang="en")
        masked = drilldown.customers(conn=conn, customer_ids=ids)
    assert list(clear.columns) == drilldown.CUSTOMER_COLUMNS
    assert clear["customer_id"].tolist() == masked["customer_id"].tolist() == ids[:-1]
    expected = [truth[i] for i in ids[:-1]]
    assert [tuple(r) for r in clear.iloc[:, 1:].itertuples(index=False)] == expected
    assert masked["name"].tolist() == [mask_name(e[0]) for e in expected]
    assert masked["phone"].tolist() == [mask_phone(e[1]) for e in expected]
    assert masked["advisor"].tolist() == [mask_name(e[5]) if e[5] else e[5] for e in expected]
    assert all("*" in n for n in masked["name"])


# ---- the page -----------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_env_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


def page(url: str, f: ov.Filters, role: str = "manager", lang: str = "zh") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.secrets["database_url"] = url
    at.session_state["filters"] = f
    at.session_state["lang"] = lang
    return sign_in(at, url, role).run()


def drill_table(at: AppTest) -> pd.DataFrame:
    """The list of the drill-down (AppTest does not expose a dataframe's key: it is the one with 客户编号)."""
    (found,) = [d.value for d in at.dataframe if {"客户编号", "Customer id"} & set(d.value.columns)]
    return found


def drill_count(at: AppTest) -> tuple[int, int]:
    """(shown, total) of the caption "显示 {shown} 位（共 {total} 条）…"."""
    (text,) = [c.value for c in at.caption if c.value.startswith("显示 ")]
    shown, total = text.removeprefix("显示 ").split(" 位（共 ")
    return int(shown.replace(",", "")), int(total.split(" 条")[0].replace(",", ""))


def metric_value(at: AppTest, label: str) -> int:
    return int(next(m.value for m in at.metric if m.label == label).replace(",", ""))


@pytest.mark.parametrize(
    "f", [JUNE, ov.Filters(dt.date(2026, 3, 1), dt.date(2026, 3, 31))], ids=["june", "march"]
)
def test_every_figure_lists_its_customers_with_the_figure_as_count(demo_db, sqlite_file, f):
    at = page(demo_db.url, f)
    assert not at.exception
    with demo_db.engine.connect() as conn:
        figures = ov.lead_figures(conn=conn, filters=f)
        overdue = followup.overdue_follow_ups(conn=conn, filters=f, current=f.end >= AS_OF)
        tiers = ov.tier_counts(conn=conn, filters=f)
    names = dict(unseal_rows(sqlite_file.execute("SELECT id, name FROM customers")))
    lead_customer = dict(sqlite_file.execute("SELECT id, customer_id FROM leads").fetchall())
    expected = {
        "leads": (figures["leads"], sql_lead_ids(sqlite_file, f, "created_at")),
        "orders": (figures["orders"], sql_lead_ids(sqlite_file, f, "order_at")),
        "delivered": (figures["delivered"], sql_lead_ids(sqlite_file, f, "delivery_at")),
        "defeated": (figures["defeated"], sql_lead_ids(sqlite_file, f, "defeated_at")),
        "overdue": (overdue, sql_overdue_ids(sqlite_file, f, f.end >= AS_OF)),
        **{
            f"tier:{tier}": (int(n), sql_tier_ids(sqlite_file, f, tier))
            for tier, n in zip(tiers["tier"], tiers["customers"], strict=True)
        },
    }
    box = at.selectbox(key="overview_drill.zh")
    assert box.options == [
        f"{label}：{expected[key][0]:,}"
        for key, label in [
            ("leads", "新增线索"),
            ("orders", "期内签约订车"),
            ("delivered", "期内交车"),
            ("defeated", "期内战败"),
            ("overdue", "逾期未跟进"),
            *[(f"tier:{t}", f"已分级客户 · {t}") for t in tiers["tier"]],
        ]
    ]
    assert metric_value(at, "新增线索") == figures["leads"] and metric_value(at, "逾期未跟进") == overdue
    for choice, (figure, ids) in expected.items():
        at.selectbox(key="overview_drill.zh").set_value(choice).run()
        assert not at.exception
        assert len(ids) == figure
        if figure == 0:
            assert "这一项背后没有客户。" in [i.value for i in at.info]
            continue
        assert drill_count(at) == (min(figure, drilldown.LIMIT), figure), choice
        table = drill_table(at)
        if choice.startswith("tier:"):
            assert table["客户编号"].tolist() == ids
        else:
            assert table["线索编号"].tolist() == ids
            assert table["客户编号"].tolist() == [lead_customer[i] for i in ids]
        assert table["姓名"].tolist() == [names[i] for i in table["客户编号"]]  # a manager sees names


def test_an_analyst_sees_masked_customers_and_downloads_them_masked(demo_db, sqlite_file, served):
    at = page(demo_db.url, JUNE, role="analyst")
    at.selectbox(key="overview_drill.zh").set_value("overdue").run()
    assert not at.exception
    customers = {
        r[0]: r[1:] for r in unseal_rows(sqlite_file.execute("SELECT id, name, phone FROM customers"))
    }
    table = drill_table(at)
    assert len(table) == metric_value(at, "逾期未跟进") > 0
    assert table["姓名"].tolist() == [mask_name(customers[i][0]) for i in table["客户编号"]]
    assert table["电话"].tolist() == [mask_phone(customers[i][1]) for i in table["客户编号"]]
    assert any("姓名和电话已脱敏" in c.value for c in at.caption)
    csv = pd.read_csv(BytesIO(served(at, "overview_drill_csv")), encoding="utf-8-sig", dtype=str)
    assert csv["电话"].tolist() == table["电话"].tolist()
    assert not any(customers[i][1] in csv.to_csv() for i in table["客户编号"])  # no phone in clear
    book = openpyxl.load_workbook(BytesIO(served(at, "overview_drill_xlsx")))
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == len(table) + 1 and rows[0][:3] == ("客户编号", "姓名", "电话")

    at.selectbox(key="overview_drill.zh").set_value("tier:普通").run()
    table = drill_table(at)
    assert len(table) == drill_count(at)[1] > 0
    assert table["姓名"].tolist() == [mask_name(customers[i][0]) for i in table["客户编号"]]


def test_an_analyst_allowed_personal_data_sees_it_and_staff_do_not_see_the_page(tmp_path):
    url = f"sqlite:///{tmp_path / 'small.sqlite'}"
    engine = open_database(url)
    try:
        generate(engine, customers=80, seed=5, as_of=AS_OF)
        with engine.connect() as conn:
            names = dict(unseal_rows(conn.execute(sa.text("SELECT id, name FROM customers"))))
        wide = ov.Filters(dt.date(2025, 7, 1), AS_OF)
        at = page(url, wide, role="analyst")
        assert "*" in "".join(drill_table(at)["姓名"])
        auth.set_role_show_pii(engine, role="analyst", show_pii=True, actor="admin")
        at.run()  # read again from the database on the next run
        table = drill_table(at)
        assert table["姓名"].tolist() == [names[i] for i in table["客户编号"]]
        assert not any("已脱敏" in c.value for c in at.caption)

        staff = page(url, wide, role="staff")  # advisors see personal data, but not the analysis pages
        assert not staff.exception
        assert [e.value for e in staff.error] == ["你的角色（销售顾问）无权使用此页面或操作。"]
        assert not staff.dataframe and not staff.metric
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def big_db(tmp_path_factory):
    """Enough leads for a figure above the 500-row limit."""
    url = f"sqlite:///{tmp_path_factory.mktemp('drill') / 'big.sqlite'}"
    engine = open_database(url)
    generate(engine, customers=1200, seed=9, as_of=AS_OF)
    yield url, engine
    engine.dispose()


def test_a_figure_above_the_limit_lists_the_first_500(big_db):
    url, engine = big_db
    f = ov.Filters(dt.date(2024, 1, 1), AS_OF)
    with engine.connect() as conn:
        figures = ov.lead_figures(conn=conn, filters=f)
        newest = [
            r[0]
            for r in conn.execute(
                sa.text(
                    "SELECT id FROM leads WHERE defeated_at >= :s AND defeated_at < :e "
                    "ORDER BY defeated_at DESC, id DESC LIMIT 500"
                ),
                {"s": f.start_dt, "e": f.end_dt},
            )
        ]
    assert figures["defeated"] > drilldown.LIMIT
    at = page(url, f, role="analyst")
    at.selectbox(key="overview_drill.zh").set_value("defeated").run()
    assert not at.exception
    assert drill_count(at) == (drilldown.LIMIT, figures["defeated"])
    assert drill_table(at)["线索编号"].tolist() == newest


def test_the_drill_down_in_english(demo_db):
    at = page(demo_db.url, JUNE, lang="en")
    assert not at.exception
    box = at.selectbox(key="overview_drill.en")
    assert box.value == "leads" and box.options[0].startswith("New leads: ")
    assert "Tiered customers · High value: " in " ".join(box.options)
    at.selectbox(key="overview_drill.en").set_value("tier:高价值").run()
    table = [d.value for d in at.dataframe if "Customer id" in d.value.columns][0]
    assert list(table.columns) == [
        "Customer id", "Name", "Phone", "Region", "Store", "First channel", "Advisor", "Intended model",
    ]  # fmt: skip
    assert at.markdown[-1].value == "**Tiered customers · High value (2026-06-01 to 2026-06-30)**"


def test_an_unknown_channel_reads_a_dash_on_screen_and_an_empty_cell_in_the_download(
    demo_db, sqlite_file, served
):
    no_channel = {
        r[0] for r in sqlite_file.execute("SELECT id FROM customers WHERE first_channel_id IS NULL")
    }
    at = page(demo_db.url, JUNE, role="analyst")
    at.selectbox(key="overview_drill.zh").set_value("tier:普通").run()
    table = drill_table(at)
    blank = table["客户编号"].isin(no_channel)
    assert blank.sum() > 0
    assert (table.loc[blank, "首次来源渠道"] == "—").all()
    assert not table.isna().any().any()  # no grey "None" anywhere in the list
    csv = pd.read_csv(BytesIO(served(at, "overview_drill_csv")), encoding="utf-8-sig")
    assert csv.loc[blank.to_numpy(), "首次来源渠道"].isna().all()
    assert "—" not in served(at, "overview_drill_csv").decode("utf-8-sig")


def test_without_a_published_scheme_the_lead_figures_still_list_their_customers(tmp_path):
    url = f"sqlite:///{tmp_path / 'draft.sqlite'}"
    engine = open_database(url)
    try:
        # another size than the other small databases here: the app's caches are keyed on the data version
        # (highest ids), which this raw UPDATE does not change
        generate(engine, customers=90, seed=8, as_of=AS_OF)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE scoring_schemes SET status = 'draft'"))
        at = page(url, ov.Filters(dt.date(2025, 7, 1), AS_OF))
        assert not at.exception
        assert "还没有已发布的分级方案。" in [i.value for i in at.info]
        box = at.selectbox(key="overview_drill.zh")
        assert [o.split("：")[0] for o in box.options] == [
            "新增线索",
            "期内签约订车",
            "期内交车",
            "期内战败",
            "逾期未跟进",
        ]
        assert drill_count(at)[1] == metric_value(at, "新增线索") > 0
    finally:
        engine.dispose()
