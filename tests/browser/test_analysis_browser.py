"""A manager's journey over 区域分级分布 and 渠道投入产出 in a real browser (chromium): widen the period, click a
bar to see the customers behind it, compare two scheme versions, find the missing spend month, switch to
English. Screenshots in artifacts_dir."""

from __future__ import annotations

import json
import re
import sqlite3

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from .conftest import VIEWPORT, WAIT_MS, sign_in
from .test_overview_browser import assert_no_error, heading, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def history_url(browser_db_url: str, tmp_path_factory) -> str:
    """A copy of the browser demo database, with the demo's own tier history: owners version 1 from 2024-12-30,
    rescored half-yearly, version 2 from 2026-06-23, rescored 2026-06-30."""
    path = tmp_path_factory.mktemp("analysis-db") / "a.sqlite"
    with sqlite3.connect(browser_db_url.removeprefix("sqlite:///")) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def base(history_url: str, start_app, tmp_path_factory):
    with start_app(history_url, tmp_path_factory.mktemp("analysis-logs")) as url:
        yield url


@pytest.fixture
def browser_page(chromium_browser):
    context = chromium_browser.new_context(
        viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True
    )
    context.set_default_timeout(WAIT_MS)
    pg = context.new_page()
    yield pg
    context.close()


def wait_charts(page: Page) -> None:
    """Every chart in a shown tab has drawn (charts in hidden tabs are not drawn until their tab is opened)."""
    page.wait_for_timeout(300)
    charts = page.get_by_test_id("stPlotlyChart")
    for i in range(charts.count()):
        if charts.nth(i).is_visible():
            expect(charts.nth(i).locator(".main-svg").first).to_be_visible(timeout=WAIT_MS)


def screenshot(page: Page, path) -> None:
    """The whole page (Streamlit scrolls inside stMain: grow the viewport to its height for the shot)."""
    height = page.get_by_test_id("stMain").evaluate("e => e.scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], min(height, 6000))})
    page.wait_for_timeout(600)
    wait_charts(page)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)


def set_start_month(page: Page, month: str) -> None:
    """Type the month of the period's start into the sidebar's date field (react-aria spin buttons)."""
    field = page.get_by_test_id("stSidebar").get_by_role("spinbutton", name="month, 日期范围 start date")
    field.click()
    page.keyboard.type(month)
    page.keyboard.press("Tab")
    page.get_by_test_id("stMain").locator("h1").first.click()
    wait_idle(page)


def click_bar(page: Page, chart: int, point: int) -> None:
    bars = page.get_by_test_id("stPlotlyChart").nth(chart).locator(".barlayer .point")
    expect(bars.nth(point)).to_be_visible()
    bars.nth(point).click(force=True)
    wait_idle(page)


def _exports(url: str) -> list[tuple[str, str]]:
    """(table, format) of every audited download, oldest first."""
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        rows = conn.execute(
            "SELECT object_id, detail FROM audit_log WHERE action = 'export' ORDER BY id"
        ).fetchall()
    return [(name, json.loads(detail)["format"]) for name, detail in rows]


def test_manager_explores_regions_and_channels(
    browser_page: Page, base: str, history_url: str, artifacts_dir
) -> None:
    page = browser_page
    page.goto(f"{base}/regions")
    sign_in(page, "manager")
    expect(heading(page, "区域分级分布")).to_be_visible()
    wait_idle(page)
    wait_charts(page)
    assert_no_error(page)
    screenshot(page, artifacts_dir / "regions-zh.png")

    # click a bar of the small multiples (Altair, issue 14): the top tier (高价值) of 惠城区 at the period's end
    chart = page.get_by_test_id("stVegaLiteChart").first
    chart.locator('[aria-label*="惠城区"][aria-label*="期末"][aria-label*="高价值"]').first.click(force=True)
    wait_idle(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(re.compile(r"惠城区 · 2026-06-30 · 高价值：\d+ 位客户"))).to_be_visible()
    people = main.get_by_test_id("stDataFrame").nth(2)
    expect(people).to_be_visible()
    assert_no_error(page)

    # compare the two published versions
    main.get_by_text("两个方案版本").click()
    wait_idle(page)
    wait_charts(page)
    expect(main.get_by_text(re.compile(r"第 1 版 .* → 第 2 版 .*位客户"))).to_be_visible()
    assert_no_error(page)
    main.get_by_text("桑基图").click()
    page.wait_for_timeout(800)
    screenshot(page, artifacts_dir / "regions-versions-zh.png")

    # channel ROI over a quarter that holds the missing spend month
    page.goto(f"{base}/channels")
    sign_in(page, "manager")
    expect(heading(page, "渠道投入产出")).to_be_visible()
    wait_idle(page)
    set_start_month(page, "04")
    expect(main.get_by_text(re.compile(r"按整月统计：2026-04 至 2026-06"))).to_be_visible()
    expect(page.get_by_test_id("stAlertContentWarning").filter(has_text="没有填报投放费用")).to_be_visible()
    wait_charts(page)
    assert_no_error(page)
    screenshot(page, artifacts_dir / "channels-zh.png")

    # click 汽车之家's spend bar: the drill-down shows its deals over the quarter
    click_bar(page, 0, 0)
    expect(main.get_by_text(re.compile(r"汽车之家 · 成交 · 全部月份：\d+ 条线索"))).to_be_visible()
    assert_no_error(page)

    # the Excel of the first table is built on the click (deferred), holds the table, and is audited
    exports_before = _exports(history_url)
    with page.expect_download() as info:
        main.get_by_role("button", name="下载 Excel").first.click()
    path = artifacts_dir / "channel-roi.xlsx"
    info.value.save_as(path)
    rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][0] == "渠道" and "汽车之家" in [r[0] for r in rows[1:]]
    wait_idle(page)
    assert _exports(history_url) == [*exports_before, ("channel_roi", "xlsx")]
    assert_no_error(page)

    # English
    page.get_by_test_id("stSidebar").get_by_text("English").click()
    wait_idle(page)
    expect(heading(page, "Channel ROI")).to_be_visible()
    wait_charts(page)
    assert_no_error(page)
    screenshot(page, artifacts_dir / "channels-en.png")
    page.goto(f"{base}/regions")
    sign_in(page, "manager")
    wait_idle(page)
    page.get_by_test_id("stSidebar").get_by_text("English").click()
    wait_idle(page)
    expect(heading(page, "Tiers by region")).to_be_visible()
    wait_charts(page)
    screenshot(page, artifacts_dir / "regions-en.png")
