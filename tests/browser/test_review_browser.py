"""The staff journey of the weekly review in a real browser (chromium): open the meeting, override one customer
with a reason, see the override in that customer's 360 page, export the meeting to Excel (opened with
openpyxl), and the print view. Runs its own app on its own demo database, since it writes.

Screenshots in artifacts_dir: review-zh.png (the agenda after the override), customer360-zh.png,
review-print.png (print media), followup-zh.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from core.storage.db import open_database

from .conftest import VIEWPORT, WAIT_MS, copy_sqlite, sign_in, streamlit_app
from .test_overview_browser import assert_no_error, heading, screenshot, wait_charts, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(400)]

NAME = "王五"
PASSWORD = "wangwu-password"
REASON = "转介绍了三位朋友，周会同意上调"


@pytest.fixture(scope="module")
def review_db_url(browser_demo, tmp_path_factory: pytest.TempPathFactory) -> str:
    """1,500 demo customers (seed 11, as of 2026-06-30) and owners version 2 published, so there are changes."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import review_fixtures

    url = copy_sqlite(browser_demo, tmp_path_factory.mktemp("review-db") / "review.sqlite")
    engine = open_database(url)
    review_fixtures.publish_second_version(engine)
    from core.access import auth

    auth.create_user(
        engine, name=NAME, role="manager", password=PASSWORD, actor="test"
    )  # decides in the meeting
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def review_app_url(review_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with streamlit_app(review_db_url, tmp_path_factory.mktemp("review-logs")) as base:
        yield base


@pytest.fixture
def review_page(chromium_browser, review_app_url: str) -> Iterator[Page]:
    context = chromium_browser.new_context(
        viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True
    )
    context.set_default_timeout(WAIT_MS)
    pg = context.new_page()
    yield pg
    context.close()


def query(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def test_open_review_override_see_it_in_the_360_and_export(
    review_page: Page, review_app_url: str, review_db_url: str, artifacts_dir
) -> None:
    page = review_page
    main = page.get_by_test_id("stMain")
    page.goto(f"{review_app_url}/review")
    sign_in(page, NAME, PASSWORD)
    expect(heading(page, "周会复盘")).to_be_visible(timeout=WAIT_MS)
    wait_idle(page)
    main.get_by_role("button", name=re.compile("开始本周例会")).click()
    expect(page.get_by_text("本周例会已开始。")).to_be_visible(timeout=WAIT_MS)
    wait_idle(page)

    [(meeting_id, total)] = query(
        review_db_url, "SELECT meeting_id, COUNT(*) FROM review_items GROUP BY meeting_id"
    )
    assert total > 20
    expect(main.get_by_text(f"0 / {total} 已复核")).to_be_visible()
    # the form shows the first open customer of the agenda (sorted by advisor, then customer)
    [(item_id, cid, new_tier)] = query(
        review_db_url,
        "SELECT id, customer_id, new_tier FROM review_items ORDER BY advisor_id, customer_id LIMIT 1",
    )
    target = next(x for x in ("高价值", "普通", "流失风险") if x != new_tier)
    form = main.get_by_test_id("stForm")
    form.get_by_text("人工调整", exact=True).click()
    form.get_by_test_id("stSelectbox").filter(has_text="调整为").click()
    page.get_by_role("option", name=target, exact=True).click()
    form.get_by_role("textbox", name="理由（人工调整必填）").fill(REASON)
    form.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存。")).to_be_visible(timeout=WAIT_MS)
    wait_idle(page)
    expect(main.get_by_text(f"1 / {total} 已复核")).to_be_visible()
    assert query(
        review_db_url,
        f"SELECT decision, decided_tier, reason, decided_by FROM review_items WHERE id = {item_id}",
    ) == [("overridden", target, REASON, NAME)]
    assert_no_error(page)
    screenshot(page, artifacts_dir / "review-zh.png")

    # to the customer's 360 page, in the same session
    page.get_by_role("link", name=f"打开客户 #{cid} 的 360 页").click()
    expect(heading(page, "客户360")).to_be_visible(timeout=WAIT_MS)
    page.wait_for_url(re.compile(rf"/customer\?(.*&)?customer={cid}(&|$)"))  # with the view: lang, period
    wait_idle(page)
    tier = page.get_by_test_id("stMetric").filter(has_text="生效级别").first
    expect(tier.get_by_test_id("stMetricValue")).to_have_text(target)
    expect(tier.get_by_test_id("stMetricDelta")).to_contain_text("人工调整")
    expect(main.get_by_role("heading", name="人工调整记录")).to_be_visible()
    wait_charts(page)
    assert_no_error(page)
    screenshot(page, artifacts_dir / "customer360-zh.png")

    # back to the review and export the meeting
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="周会复盘").click()
    expect(heading(page, "周会复盘")).to_be_visible(timeout=WAIT_MS)
    wait_idle(page)
    with page.expect_download() as info:
        main.get_by_role("button", name="导出本次例会（Excel）").click()
    path = artifacts_dir / "review-export.xlsx"
    info.value.save_as(path)
    wb = openpyxl.load_workbook(path)
    rows = list(wb["级别变化"].iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:5] == ["顾问", "客户编号", "客户", "原级别", "新级别"]
    assert len(rows) == total + 1
    mine = [dict(zip(header, r, strict=True)) for r in rows[1:] if r[1] == cid]
    assert len(mine) == 1
    assert (mine[0]["决定"], mine[0]["最终级别"], mine[0]["理由"], mine[0]["决定人"]) == (
        "人工调整", target, REASON, NAME,
    )  # fmt: skip
    summary = dict(wb["概要"].iter_rows(values_only=True))
    assert summary["客户数"] == total and summary["人工调整"] == 1

    # the print view: no widgets, one table per advisor, legible in print media
    page.goto(f"{review_app_url}/review?print=1&meeting={meeting_id}")
    sign_in(page, NAME, PASSWORD)
    expect(main.get_by_text(f"1 / {total} 已复核")).to_be_visible(timeout=WAIT_MS)
    wait_idle(page)
    expect(main.get_by_test_id("stTable").first).to_be_visible()
    expect(main.get_by_role("button")).to_have_count(0)
    expect(main.get_by_role("textbox")).to_have_count(0)
    expect(main.get_by_text(REASON)).to_be_visible()
    page.emulate_media(media="print")
    screenshot(page, artifacts_dir / "review-print.png")
    page.emulate_media(media="screen")


def test_followup_page_and_a_list_link_open_the_360(
    review_page: Page, review_app_url: str, artifacts_dir
) -> None:
    page = review_page
    page.goto(f"{review_app_url}/followup")
    sign_in(page, "manager")
    expect(heading(page, "跟踪纪律")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_test_id("stMetric")).to_have_count(7, timeout=WAIT_MS)
    wait_idle(page)
    wait_charts(page)
    assert_no_error(page)
    screenshot(page, artifacts_dir / "followup-zh.png")
    # the lists link to customer?customer=ID: that address opens the customer's 360 page
    page.goto(f"{review_app_url}/customer?customer=1")
    sign_in(page, "manager")
    expect(heading(page, "客户360")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("#1", exact=False).first).to_be_visible()
    wait_idle(page)
    assert_no_error(page)
