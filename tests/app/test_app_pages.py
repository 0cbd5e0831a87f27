"""Every page through the real Streamlit runtime (AppTest) on a small generated database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.analytics import followup
from core.analytics import overview as ov
from core.storage.db import open_database
from core.storage.models import Base
from tests.pii import unseal_rows
from tests.signin import sign_in

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture(autouse=True)
def _no_env_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


def make_app(url: str, lang: str = "zh", role: str | None = "manager") -> AppTest:
    """The app with a session signed in as ``role`` (None: not signed in)."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["database_url"] = url
    at.session_state["lang"] = lang
    return sign_in(at, url, role) if role else at


def default_filters(demo_db) -> ov.Filters:
    with demo_db.engine.connect() as conn:
        last = ov.data_extent(conn=conn)[1]
    return ov.Filters(last - dt.timedelta(days=29), last)


def metrics(at: AppTest) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def test_overview_shows_the_figures_of_the_database(demo_db):
    at = make_app(demo_db.url).run()
    assert not at.exception
    assert at.title[0].value == "总览"
    f = default_filters(demo_db)
    with demo_db.engine.connect() as conn:
        cur = ov.lead_figures(conn=conn, filters=f)
        prev = ov.lead_figures(conn=conn, filters=f.previous())
        overdue = followup.overdue_follow_ups(conn=conn, filters=f)
        tiers = ov.tier_counts(conn=conn, filters=f)
    m = metrics(at)
    assert m["新增线索"] == (f"{cur['leads']:,}", f"{cur['leads'] - prev['leads']:+,}")
    assert m["整体转化率"][0] == f"{cur['conversion']:.1%}"
    assert m["整体转化率"][1] == f"{(cur['conversion'] - prev['conversion']) * 100:+.1f} pp"
    assert m["战败率"][0] == f"{cur['defeat_rate']:.1%}"
    assert m["逾期未跟进"][0] == f"{overdue:,}"
    assert m["已分级客户"][0] == f"{int(tiers['customers'].sum()):,}"
    table = at.dataframe[0].value
    assert table["级别"].tolist() == ["高价值", "普通", "流失风险"]
    assert table["客户数"].tolist() == tiers["customers"].tolist()
    assert len(at.get("plotly_chart")) == 1


def test_overview_in_english(demo_db):
    at = make_app(demo_db.url, "en").run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert {
        "New leads",
        "Overall conversion",
        "Defeat rate",
        "Overdue follow-ups",
        "Tiered customers",
    } == set(metrics(at))
    assert at.dataframe[0].value["Tier"].tolist() == ["High value", "Normal", "Churn risk"]


def test_language_switch_changes_the_page(demo_db):
    at = make_app(demo_db.url).run()
    assert at.title[0].value == "总览"
    at.session_state["lang"] = "en"
    at.run()
    assert at.title[0].value == "Overview"


def test_store_filter_changes_the_figures(demo_db):
    at = make_app(demo_db.url).run()
    at.sidebar.multiselect(key="f_store").set_value([2]).run()
    assert not at.exception
    f = default_filters(demo_db)
    with demo_db.engine.connect() as conn:
        cur = ov.lead_figures(conn=conn, filters=ov.Filters(f.start, f.end, store_ids=(2,)))
    assert metrics(at)["新增线索"][0] == f"{cur['leads']:,}"


def test_period_with_no_data_shows_a_clear_empty_state(demo_db):
    at = make_app(demo_db.url).run()
    at.sidebar.date_input(key="f_period").set_value((dt.date(2019, 1, 1), dt.date(2019, 1, 31))).run()
    assert not at.exception
    assert any("没有数据" in i.value for i in at.info)
    assert not at.metric


def test_tiers_page(demo_db):
    at = make_app(demo_db.url, role="analyst").run()  # analysts may not see personal data: masked
    at.switch_page("../pages/tiers.py").run()
    assert not at.exception
    assert at.title[0].value == "分级结果"
    f = default_filters(demo_db)
    with demo_db.engine.connect() as conn:
        tiers = ov.tier_counts(conn=conn, filters=f)
    region_table = at.dataframe[1].value
    assert len(region_table) == 6
    assert region_table.sum().to_dict() == {
        k: v for k, v in zip(tiers["tier"], tiers["customers"], strict=True) if v
    }
    members = at.dataframe[2].value
    assert set(members["级别"]) == {"高价值"}
    assert members["手机号"].str.fullmatch(r"\d{3}\*{4}\d{4}").all()
    at.selectbox(key="tier_pick.zh").set_value("流失风险").run()
    assert set(at.dataframe[2].value["级别"]) == {"流失风险"}


def test_tiers_page_shows_phones_to_a_manager(demo_db):
    at = make_app(demo_db.url, role="manager").run()
    at.switch_page("../pages/tiers.py").run()
    members = at.dataframe[2].value
    with demo_db.engine.connect() as conn:
        phones = dict(unseal_rows(conn.execute(sa.text("SELECT id, phone FROM customers"))))
    assert members["手机号"].tolist() == [phones[i] for i in members["客户编号"]]


def test_data_page_counts_rows(demo_db):
    import streamlit as st

    st.cache_data.clear()  # other tests sign in on this shared database (audit rows) under the same data version
    at = make_app(demo_db.url).run()
    at.switch_page("../pages/data.py").run()
    assert not at.exception
    counts = (
        at.dataframe[0].value.set_index("数据表（库中名称）")["行数"].to_dict()
    )  # tables now also in words
    with demo_db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            assert (
                counts[table.name] == conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            )


def test_empty_database_offers_demo_data_and_creates_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    at = make_app(url).run()
    assert not at.exception
    assert any("还没有客户数据" in i.value for i in at.info)
    assert not at.metric
    at.number_input(key="demo_n").set_value(80)
    at.button[0].click().run()
    assert not at.exception
    engine = open_database(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM customers")).scalar_one() == 80
    at.run()
    assert "新增线索" in metrics(at)


@pytest.mark.parametrize(
    ("url", "kind_text"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:1/nothing", "连接不上数据库"),
        ("nonsense://x", "数据库地址无效"),
    ],
)
def test_bad_database_url_gives_a_clear_message(url, kind_text):
    at = make_app(url, role=None).run()
    assert not at.exception
    assert at.error and kind_text in at.error[0].value
    assert any("nonsense://x" in c.value or "127.0.0.1:1" in c.value for c in at.caption)


@pytest.mark.parametrize(
    ("page", "title", "title_en"),
    [("funnel", "销售漏斗", "Sales funnel"), ("defeats", "战败分析", "Defeat reasons")],
)
def test_analysis_pages_are_reachable_from_the_navigation_with_the_shared_filters(
    demo_db, page, title, title_en
):
    """The funnel and defeat pages run inside the app (navigation, sidebar filters), in both languages."""
    at = make_app(demo_db.url).run()
    at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception
    assert at.title[0].value == title
    assert at.dataframe, "the page shows its tables"
    at.sidebar.multiselect(key="f_region").set_value([1]).run()
    assert not at.exception
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    assert at.title[0].value == title_en
