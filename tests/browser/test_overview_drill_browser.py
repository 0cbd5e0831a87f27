"""A manager's journey on the overview: click a tier's bar to see its customers, then a figure, then one
customer's 360 in the same session."""

from __future__ import annotations

import re

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


def count_caption(main) -> tuple[int, int]:
    text = main.get_by_text(re.compile(r"^显示 [\d,]+ 位（共 [\d,]+ 条）")).inner_text()
    shown, total = re.match(r"显示 ([\d,]+) 位（共 ([\d,]+) 条）", text).groups()
    return int(shown.replace(",", "")), int(total.replace(",", ""))


def test_click_a_tier_bar_to_see_its_customers(page: Page, app_url: str, artifacts_dir) -> None:
    page.goto(app_url)
    sign_in(page, "manager")
    expect(heading(page, "总览")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_test_id("stMetric")).to_have_count(5, timeout=WAIT_MS)
    wait_idle(page)
    wait_charts(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(re.compile(r"^新增线索（"))).to_be_visible()  # the default: the new leads
    tier_table = main.get_by_test_id("stDataFrame").first
    expect(tier_table).to_be_visible()

    # the second bar (普通): the list below becomes that tier's customers, as many as its bar says
    chart = page.get_by_test_id("stPlotlyChart").first
    chart.scroll_into_view_if_needed()
    bar_label = chart.locator(".bars .point text").nth(1)
    tier_count = int((bar_label.text_content() or "").replace(",", ""))
    chart.locator(".bars path").nth(1).click(force=True)
    wait_idle(page)
    title = main.get_by_text(re.compile(r"^已分级客户 · 普通（\d{4}-\d{2}-\d{2} 至 \d{4}-\d{2}-\d{2}）$"))
    expect(title).to_be_visible(timeout=WAIT_MS)
    expect(main.get_by_test_id("stSelectbox").filter(has_text="数字")).to_match_aria_snapshot(
        f'- combobox "数字": "已分级客户 · 普通：{tier_count:,}"'
    )
    assert count_caption(main) == (min(tier_count, 500), tier_count)
    expect(main.get_by_text("首次来源渠道")).to_be_attached()  # a customer list, not a lead list
    assert_no_error(page)
    title.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts_dir / "overview-drill-tier-zh.png"))

    # another figure from the picker: the overdue follow-ups, as many as the KPI shows
    overdue = int(
        main.get_by_test_id("stMetric").filter(has_text="逾期未跟进").get_by_test_id("stMetricValue")
        .inner_text().replace(",", "")
    )  # fmt: skip
    box = main.get_by_test_id("stSelectbox").filter(has_text="数字")
    box.get_by_role("combobox").click()
    page.get_by_role("option", name=f"逾期未跟进：{overdue:,}").click()
    wait_idle(page)
    expect(main.get_by_text(re.compile(r"^逾期未跟进（"))).to_be_visible(timeout=WAIT_MS)
    assert count_caption(main) == (min(overdue, 500), overdue)

    # choose the first customer of the list: a link to their 360 opens it in this session (no new sign-in)
    open_first_listed_360(page)
    expect(heading(page, "总览")).to_be_visible(timeout=WAIT_MS)
    wait_charts(page)
    screenshot(page, artifacts_dir / "overview-drill-zh.png")
