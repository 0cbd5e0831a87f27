"""The import journey in a real browser (chromium): upload a GBK CSV with one bad row, see the validation report,
import only the valid rows, see the success message with counts. Runs its own app on an empty database.

Screenshots in artifacts_dir: import-zh-report.png (the check: figures, report, the two choices) and
import-zh-done.png (after importing the valid rows).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from tests.pii import unseal_rows

from .conftest import VIEWPORT, WAIT_MS, sign_in, streamlit_app
from .test_overview_browser import assert_no_error, heading, screenshot, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

FILE = (
    "客户编号,姓名,手机号,性别,区域,门店,创建时间\n"
    "C1,王小明,+86 138-1234-5678,男,惠城区,惠州惠城4S店,2024/3/5\n"
    "C2,李娜,电话未知,女,博罗县,博罗罗阳4S店,2024年3月6日\n"
    "C3,张伟,139 1234 5678,男,惠城区,惠州惠城4S店,2024-03-07\n"
).encode("gbk")


@pytest.fixture(scope="module")
def import_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An empty database with one manager account (the dealer's first import)."""
    from core.access import auth
    from core.storage.db import open_database

    url = f"sqlite:///{tmp_path_factory.mktemp('import-db') / 'import.sqlite'}"
    engine = open_database(url)
    auth.create_user(engine, name="manager", role="manager", password="demo-manager", actor="test")
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def import_app_url(import_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with streamlit_app(import_db_url, tmp_path_factory.mktemp("import-logs")) as base:
        yield base


@pytest.fixture
def import_page(chromium_browser, import_app_url: str) -> Iterator[Page]:
    context = chromium_browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(WAIT_MS)
    pg = context.new_page()
    yield pg
    context.close()


def customers(url: str) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            # names and phones are sealed at rest: opened with the session's key
            return unseal_rows(
                conn.execute(sa.text("SELECT external_id, name, phone FROM customers ORDER BY id"))
            )
    finally:
        engine.dispose()


def test_upload_report_and_import_the_valid_rows(
    import_page: Page, import_app_url, import_db_url, artifacts_dir
):
    page = import_page
    page.goto(f"{import_app_url}/import")
    sign_in(page, "manager")
    expect(heading(page, "导入数据")).to_be_visible(timeout=WAIT_MS)
    wait_idle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(
        files=[{"name": "客户导出.csv", "mimeType": "text/csv", "buffer": FILE}]
    )
    expect(page.get_by_text("已读取 3 行、7 列（编码：gb18030）。")).to_be_visible(timeout=WAIT_MS)
    wait_idle(page)
    page.get_by_role("button", name="检查并预览").click()
    wait_idle(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("1 行有问题")).to_be_visible(timeout=WAIT_MS)
    wait_idle(page)  # labels and values of the figures are read in two passes: not while they are drawn
    expect(page.get_by_test_id("stMetricValue")).to_have_count(
        page.get_by_test_id("stMetricLabel").count(), timeout=WAIT_MS
    )
    figures = dict(
        zip(
            [x.strip() for x in page.get_by_test_id("stMetricLabel").all_inner_texts()],
            [x.strip() for x in page.get_by_test_id("stMetricValue").all_inner_texts()],
            strict=True,
        )
    )
    assert (figures["文件行数"], figures["有效行"], figures["有问题的行"], figures["新增"]) == (
        "3",
        "2",
        "1",
        "2",
    )
    expect(main.get_by_text("将新建：区域 (1): 惠城区; 门店 (1): 惠州惠城4S店")).to_be_visible()
    expect(page.get_by_role("button", name="下载报告 CSV")).to_be_visible()
    assert_no_error(page)
    assert customers(import_db_url) == []  # the check wrote nothing
    screenshot(page, artifacts_dir / "import-zh-report.png")

    page.get_by_role("button", name="只导入 2 条有效行").click()
    wait_idle(page)
    done = page.get_by_test_id("stAlertContentSuccess")
    expect(done).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("button", name="只导入 2 条有效行")).to_have_count(0)  # the check starts over
    expect(done).to_contain_text("导入完成：客户 新增 2，更新 0，无变化 0，跳过有问题的行 1，新建客户 2。")
    expect(done).to_contain_text("已新建：区域 (1): 惠城区")
    assert_no_error(page)
    screenshot(page, artifacts_dir / "import-zh-done.png")
    page.set_viewport_size(VIEWPORT)
    assert customers(import_db_url) == [("C1", "王小明", "13812345678"), ("C3", "张伟", "13912345678")]
