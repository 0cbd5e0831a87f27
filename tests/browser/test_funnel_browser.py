"""A manager's journey on the funnel: click a bar to see the customers behind it, then switch to English."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import WAIT_MS, sign_in
from .test_overview_browser import (
    assert_no_error,
    heading,
    open_first_listed_360,
    screenshot,
    wait_charts,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def test_click_a_bar_then_read_the_page_in_english(page: Page, app_url: str, artifacts_dir) -> None:
    page.goto(f"{app_url}/funnel")
    sign_in(page, "analyst")
    expect(heading(page, "销售漏斗")).to_be_visible(timeout=WAIT_MS)
    wait_idle(page)
    wait_charts(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("按月队列：每月新建线索走到了哪一步")).to_be_visible()
    title = main.get_by_text("签约订车 · 到达该阶段的线索 · 全部分组")
    expect(title).to_be_visible()

    # the second bar of "conversion by group" (channels): its customers are listed below
    chart = page.get_by_test_id("stPlotlyChart").nth(1)
    chart.scroll_into_view_if_needed()
    bar = chart.locator(".bars path").nth(1)
    expect(bar).to_be_attached()
    bar.click(force=True)
    wait_idle(page)
    expect(main.get_by_text("签约订车 · 到达该阶段的线索 · 全部分组")).to_have_count(0, timeout=WAIT_MS)
    picked = main.get_by_text("签约订车 · 到达该阶段的线索 · ")
    expect(picked).to_be_visible()
    assert "全部分组" not in picked.inner_text()
    group = picked.inner_text().rsplit("·", 1)[1].strip()
    # the group picker shows the clicked group as well
    expect(main.get_by_test_id("stSelectbox").filter(has_text="分组")).to_match_aria_snapshot(
        f'- combobox "分组 · 渠道": {group}'
    )
    assert_no_error(page)
    picked.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "funnel-drill-zh.png"))

    # choose the first customer of the list: a link to their 360 opens it in this session (no new sign-in)
    open_first_listed_360(page)
    screenshot(page, artifacts_dir / "funnel-zh.png")

    # choose a breakdown, then switch language: the choice shows in English, not the old Chinese label
    box = main.get_by_test_id("stSelectbox").filter(has_text="维度")
    box.scroll_into_view_if_needed()
    box.get_by_role("combobox").click()
    page.get_by_role("option", name="意向级别").click()
    wait_idle(page)
    page.get_by_test_id("stSidebar").get_by_role("radio", name="English", exact=True).click()
    wait_idle(page)
    expect(heading(page, "Sales funnel")).to_be_visible(timeout=WAIT_MS)
    box = main.get_by_test_id("stSelectbox").filter(has_text="Breakdown by")
    expect(box).to_match_aria_snapshot('- combobox "Breakdown by": Lead grade')
    wait_charts(page)
    assert_no_error(page)
    screenshot(page, artifacts_dir / "funnel-en.png")
