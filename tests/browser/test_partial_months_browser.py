"""Partial months in a real browser (chromium): on a demo whose data ends on 5 December, the channel ROI trend and
the defeat trend write their month ticks in Chinese (2026年12月: plotly's "%-m" drawn, not only specified) and label
the 5-day December. Screenshots in artifacts_dir."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import VIEWPORT, WAIT_MS, run_demo, sign_in
from .test_analysis_browser import screenshot, wait_charts
from .test_overview_browser import assert_no_error, heading, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def base(start_app, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('partial-db') / 'p.sqlite'}"
    run_demo(url, "--customers", "320", "--seed", "3", "--as-of", "2026-12-05")
    with start_app(url, tmp_path_factory.mktemp("partial-logs")) as served_at:
        yield served_at


@pytest.fixture
def browser_page(chromium_browser):
    context = chromium_browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(WAIT_MS)
    pg = context.new_page()
    yield pg
    context.close()


def ticks(page: Page, chart: int) -> list[str]:
    return page.get_by_test_id("stPlotlyChart").nth(chart).locator(".xtick text").all_text_contents()


@pytest.mark.parametrize(
    ("path", "title", "chart"), [("channels", "渠道投入产出", 2), ("defeats", "战败分析", 3)]
)
def test_partial_december_in_chinese(
    browser_page: Page, base: str, artifacts_dir, path, title, chart
) -> None:
    page = browser_page
    page.goto(f"{base}/{path}")
    sign_in(page, "manager")
    expect(heading(page, title)).to_be_visible()
    wait_idle(page)
    wait_charts(page)
    assert_no_error(page)
    trend = page.get_by_test_id("stPlotlyChart").nth(chart)
    trend.scroll_into_view_if_needed()
    expect(trend.locator(".annotation-text").filter(has_text="部分月份（5/31 天）")).to_be_visible()
    assert "2026年12月" in ticks(page, chart)
    assert not any("Dec" in t for t in ticks(page, chart))
    screenshot(page, artifacts_dir / f"partial-month-{path}-zh.png")
