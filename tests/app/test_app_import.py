"""The import page through the real Streamlit runtime, and the analysis pages on a database imported from a real
data set (Maven CRM), their figures checked against pandas on the source CSV."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.storage.db import open_database
from tests.pii import unseal_rows
from tests.signin import sign_in

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
PAGE = "../pages/data_import.py"

GOOD_AND_BAD = (
    "客户编号,姓名,手机号,区域,创建时间\n"
    "C1,王小明,138-1234-5678,惠城区,2024/3/5\n"
    "C2,李娜,电话未知,博罗县,2024-03-06\n"
    "C3,张伟,+86 139 1234 5678,惠城区,2024年3月7日\n"
).encode("gbk")


@pytest.fixture(autouse=True)
def _no_env_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


def make_app(url: str, lang: str = "zh") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["database_url"] = url
    at.session_state["lang"] = lang
    return sign_in(at, url, "manager")


def open_page(url: str, lang: str = "zh") -> AppTest:
    at = make_app(url, lang).run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def customers(url: str) -> list[tuple]:
    engine = open_database(url)
    try:
        with engine.connect() as conn:
            return unseal_rows(
                conn.execute(sa.text("SELECT external_id, name, phone FROM customers ORDER BY id"))
            )
    finally:
        engine.dispose()


def button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def test_upload_check_then_import_only_the_valid_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'i.sqlite'}"
    at = open_page(url)
    assert at.title[0].value == "导入数据"
    at.selectbox(key="import_kind").set_value("customers").run()
    at.file_uploader(key="import_file").set_value(("客户.csv", GOOD_AND_BAD, "text/csv")).run()
    assert not at.exception
    assert any("gb18030" in c.value for c in at.caption)
    # the suggested mapping, from the Chinese headers
    chosen = {s.label: s.value for s in at.selectbox if s.key and s.key.startswith("map_")}
    assert {k: v for k, v in chosen.items() if v} == {
        "编号（源系统）": "客户编号",
        "姓名/名称": "姓名",
        "手机号": "手机号",
        "区域": "区域",
        "创建时间": "创建时间",
    }
    button(at, "import_check").click().run()
    assert not at.exception
    figures = {m.label: m.value for m in at.metric}
    assert (figures["文件行数"], figures["有效行"], figures["有问题的行"], figures["新增"]) == (
        "3",
        "2",
        "1",
        "2",
    )
    preview, report = at.dataframe[0].value, at.dataframe[1].value
    assert report.iloc[0, :4].tolist() == [3, "手机号", "电话未知", "不是电话号码"]
    assert any("1 行有问题" in w.value for w in at.warning)
    # references to be created, by name; a bad row creates nothing
    assert [i.value for i in at.info] == ["将新建：区域 (1): 惠城区"]
    assert preview["手机号"].tolist() == ["138****5678", "139****5678"]  # masked on screen
    assert preview["行号"].tolist() == [2, 4]
    assert customers(url) == []  # the check writes nothing
    commit = button(at, "import_commit")
    assert commit.label == "只导入 2 条有效行"
    commit.click().run()
    assert not at.exception
    assert at.success and "新增 2" in at.success[0].value and "跳过有问题的行 1" in at.success[0].value
    assert customers(url) == [("C1", "王小明", "13812345678"), ("C3", "张伟", "13912345678")]


def test_clean_file_in_english_imports_all_rows(tmp_path, monkeypatch):
    # AppTest formats a selectbox's options in the test thread, where the session's language is not visible;
    # pinning the language makes both threads agree
    import dashboard.i18n

    monkeypatch.setattr(dashboard.i18n, "language", lambda: "en")
    url = f"sqlite:///{tmp_path / 'i.sqlite'}"
    at = open_page(url, "en")
    assert at.title[0].value == "Import data"
    data = b"Customer ID,Name,Phone\nA1,Ann,13800000001\nA2,Bob,13800000002\n"
    at.file_uploader(key="import_file").set_value(("c.csv", data, "text/csv")).run()
    button(at, "import_check").click().run()
    assert not at.exception
    assert any("No problems found." in c.value for c in at.caption)
    commit = button(at, "import_commit")
    assert commit.label == "Import 2 rows"
    commit.click().run()
    assert at.success and "2 new" in at.success[0].value
    assert [r[0] for r in customers(url)] == ["A1", "A2"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x01\x02\x03", "不是文本表格"),
        ("姓名\n王小明\n".encode(), "请至少为"),  # no column names the customer
        (b"", "文件是空的"),
    ],
)
def test_files_that_cannot_be_imported_say_why(tmp_path, data, message):
    url = f"sqlite:///{tmp_path / 'i.sqlite'}"
    at = open_page(url)
    at.file_uploader(key="import_file").set_value(("x.csv", data, "text/csv")).run()
    if not at.error:
        button(at, "import_check").click().run()
    assert not at.exception
    assert at.error and message in at.error[0].value
    assert customers(url) == []


def test_the_page_is_in_the_data_section(tmp_path):
    at = make_app(f"sqlite:///{tmp_path / 'i.sqlite'}").run()
    at.switch_page(PAGE).run()
    assert not at.exception and at.title[0].value == "导入数据"


# ---- the analysis pages on an imported real data set ----------------------------------------------------
def _period(at: AppTest, start: dt.date, end: dt.date) -> AppTest:
    at.sidebar.date_input(key="f_period").set_value((start, end)).run()
    assert not at.exception
    return at


def _expected(pipeline: pd.DataFrame, start: dt.date, end: dt.date) -> dict[str, int]:
    """Independent of the import: leads are dated by engage_date (Prospecting deals, which have no date, by the
    mapping's 2017-12-31); orders are Won deals by close_date, defeats Lost deals by close_date."""
    created = pd.to_datetime(pipeline["engage_date"]).fillna(pd.Timestamp("2017-12-31"))
    closed = pd.to_datetime(pipeline["close_date"])
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    in_created = (created >= lo) & (created < hi)
    in_closed = (closed >= lo) & (closed < hi)
    won, lost = pipeline["deal_stage"] == "Won", pipeline["deal_stage"] == "Lost"
    return {
        "leads": int(in_created.sum()),
        "orders": int((in_closed & won).sum()),
        "defeats": int((in_closed & lost).sum()),
        "leads_won": int((in_created & won).sum()),
        "leads_engaged": int((in_created & pipeline["deal_stage"].isin(["Won", "Lost", "Engaging"])).sum()),
    }


PERIODS = [(dt.date(2016, 10, 1), dt.date(2017, 12, 31)), (dt.date(2017, 6, 1), dt.date(2017, 6, 30))]


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_overview_on_the_imported_maven_pipeline(real_db, start, end):
    at = _period(make_app(real_db.url).run(), start, end)
    exp = _expected(real_db.pipeline, start, end)
    m = {x.label: x.value for x in at.metric}
    assert m["新增线索"] == f"{exp['leads']:,}"
    assert m["整体转化率"] == f"{exp['orders'] / exp['leads']:.1%}"
    assert m["战败率"] == f"{exp['defeats'] / (exp['defeats'] + exp['orders']):.1%}"


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_funnel_on_the_imported_maven_pipeline(real_db, start, end):
    at = make_app(real_db.url).run()
    at.switch_page("../pages/funnel.py").run()
    at = _period(at, start, end)
    exp = _expected(real_db.pipeline, start, end)
    table = at.dataframe[0].value.set_index("阶段")["线索数"]
    assert table["线索"] == exp["leads"]
    assert table["首次接触"] == exp["leads_engaged"]
    assert table["签约订车"] == exp["leads_won"]
    assert table["交车"] == 0
    assert any(f"{exp['leads']:,} 条线索" in c.value for c in at.caption)


def test_defeats_page_on_the_imported_maven_pipeline(real_db):
    """Maven has lost deals but no defeat reasons, so no defeat records: the page says so and does not fail."""
    at = make_app(real_db.url).run()
    at.switch_page("../pages/defeats.py").run()
    at = _period(at, *PERIODS[0])
    assert at.title[0].value == "战败分析"
    assert at.info, "the empty state is shown"


def test_a_shipped_mapping_file_drives_the_page(tmp_path):
    """Maven's pipeline with its mapping JSON uploaded on the page: the columns, value maps and defaults apply."""
    from conftest import MAPPINGS, MAVEN

    src = MAVEN / "sales_pipeline.csv"
    url = f"sqlite:///{tmp_path / 'i.sqlite'}"
    at = open_page(url)
    at.selectbox(key="import_kind").set_value("leads").run()
    at.file_uploader(key="import_file").set_value(("sales_pipeline.csv", src.read_bytes(), "text/csv")).run()
    mapping = (MAPPINGS / "maven-pipeline.leads.json").read_bytes()
    at.file_uploader(key="import_mapping_file").set_value(("m.json", mapping, "application/json")).run()
    assert not at.exception
    chosen = {s.label: s.value for s in at.selectbox if s.key and s.key.startswith("map_")}
    assert chosen["漏斗阶段"] == "deal_stage" and chosen["客户编号"] == "account"
    button(at, "import_check").click().run()
    figures = {m.label: m.value for m in at.metric}
    pipeline = pd.read_csv(src)
    assert figures["有效行"] == f"{len(pipeline):,}" and figures["有问题的行"] == "0"
    assert figures["新建客户"] == f"{pipeline['account'].nunique() + pipeline['account'].isna().sum():,}"
    button(at, "import_commit").click().run()
    assert not at.exception and at.success
    engine = open_database(url)
    try:
        with engine.connect() as conn:
            won = conn.execute(sa.text("SELECT COUNT(*) FROM leads WHERE status = 'won'")).scalar_one()
    finally:
        engine.dispose()
    assert won == int((pipeline["deal_stage"] == "Won").sum())


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("columns.csv", ("c," * 5_000 + "手机号\n").encode(), "超过 1,000 列"),
        ("cut.csv", "客户编号:手机号\nC1:13812345678\n".encode(), "分隔符"),
        ("dates.csv", "客户编号,手机号,生日\nC1,13812345678,9999-12-31\n".encode(), None),
    ],
)
def test_hostile_and_odd_files_get_a_message_not_an_error_box(tmp_path, name, data, expected):
    url = f"sqlite:///{tmp_path / 'i.sqlite'}"
    at = open_page(url)
    at.selectbox(key="import_kind").set_value("customers").run()
    at.file_uploader(key="import_file").set_value((name, data, "text/csv")).run()
    if expected is None or "import_check" in [b.key for b in at.button]:
        button(at, "import_check").click().run()
    assert not at.exception
    if expected:
        assert any(expected in e.value for e in at.error), [e.value for e in at.error]
    else:  # a date no calendar of a dealer holds is a row problem in the report
        report = at.dataframe[0].value
        assert report.iloc[0].tolist()[:3] == [2, "生日", "9999-12-31"]
    assert customers(url) == []
