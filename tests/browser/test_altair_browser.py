"""Altair charts in a real browser (chromium): on 战败分析 a manager drags across months of the monthly bars and
the reasons beside them change to exactly the core Pareto of those months, in Chinese and in English (a language
switch drops the brush with the chart it was drawn on); a double-click clears it. On a phone (390 px) the small
multiples of 区域分级分布 fit the screen. Screenshots in tmp_path and tests/artifacts/."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from core.analytics import defeats as cd
from core.analytics.overview import Filters
from core.storage.db import open_database

from .conftest import VIEWPORT, WAIT_MS, sign_in
from .test_analysis_browser import screenshot, set_start_month, wait_charts
from .test_overview_browser import assert_no_error, heading, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

PERIOD = Filters(dt.date(2026, 1, 1), dt.date(2026, 6, 30))  # the demo's last day; start typed as month 01
MONTHS = re.compile(
    r"(?:所选月份 |Chosen months, )(\d{4}-\d\d-\d\d)(?: 至 | to )(\d{4}-\d\d-\d\d)(?:：|: )([\d,]+)"
)


def brush_chart(page: Page):
    return page.get_by_test_id("stVegaLiteChart").first


def plot_area(page: Page) -> dict:
    """The plotting area of the brushed bars (the Vega frame's background), in page pixels."""
    chart = brush_chart(page)
    chart.scroll_into_view_if_needed()
    area = chart.locator("g.role-frame path.background").first
    expect(area).to_be_visible()
    return area.bounding_box()


def drag(page: Page, start: float, end: float) -> None:
    """Drag across the plot from ``start`` to ``end`` (fractions of its width), half-way up."""
    box = plot_area(page)
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * start, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * end, y, steps=10)
    page.mouse.up()
    wait_idle(page)


def brushed_caption(page: Page) -> tuple[dt.date, dt.date, int]:
    caption = page.get_by_test_id("stCaptionContainer").filter(has_text=MONTHS)
    expect(caption).to_have_count(1)
    first, last, n = MONTHS.search(caption.inner_text()).groups()
    return dt.date.fromisoformat(first), dt.date.fromisoformat(last), int(n.replace(",", ""))


def reasons_drawn(page: Page) -> list[str]:
    """The reasons' labels and counts the chart beside the bars draws (Vega's SVG text)."""
    chart = page.get_by_test_id("stVegaLiteChart").nth(1)
    return sorted(chart.locator("g.mark-text.role-mark text").all_text_contents())


def core_pareto(url: str, first: dt.date, last: dt.date):
    engine = open_database(url)
    try:
        with engine.connect() as conn:
            return cd.pareto(conn=conn, filters=PERIOD.within_months(first, last))
    finally:
        engine.dispose()


@pytest.fixture
def zh_page(chromium_browser):
    context = chromium_browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(WAIT_MS)
    pg = context.new_page()
    yield pg
    context.close()


def test_brushing_months_filters_the_reasons_beside_them(
    zh_page: Page, app_url: str, browser_db_url: str, artifacts_dir, tmp_path
) -> None:
    page = zh_page
    page.goto(f"{app_url}/defeats")
    sign_in(page, "manager")
    expect(heading(page, "战败分析")).to_be_visible()
    wait_idle(page)
    set_start_month(page, "01")
    main = page.get_by_test_id("stMain")
    whole = main.get_by_text(re.compile(r"整个期间 2026-01-01 至 2026-06-30：[\d,]+ 条战败"))
    expect(whole).to_be_visible()
    before = reasons_drawn(page)
    assert_no_error(page)

    # drag across the middle months: the reasons are the core's Pareto of exactly those months
    drag(page, 0.3, 0.6)
    first, last, n = brushed_caption(page)
    assert PERIOD.start < first <= last < PERIOD.end
    expected = core_pareto(browser_db_url, first, last)
    assert n == int(expected["count"].sum())
    page.wait_for_timeout(500)
    assert reasons_drawn(page) == sorted(str(c) for c in expected["count"])
    assert reasons_drawn(page) != before
    assert_no_error(page)
    screenshot(page, tmp_path / "defeats-brush-zh.png")
    screenshot(page, artifacts_dir / "defeats-brush-zh.png")

    # a double-click clears the brush: the whole period again
    box = plot_area(page)
    page.mouse.dblclick(box["x"] + box["width"] * 0.45, box["y"] + box["height"] / 2)
    wait_idle(page)
    expect(whole).to_be_visible()

    # brush again, then switch to English: the chart is drawn anew without the brush, nothing breaks
    drag(page, 0.1, 0.4)
    brushed_caption(page)
    page.get_by_test_id("stSidebar").get_by_text("English").click()
    wait_idle(page)
    expect(heading(page, "Defeat reasons")).to_be_visible()
    expect(
        main.get_by_text(re.compile(r"The whole period, 2026-01-01 to 2026-06-30: [\d,]+ defeats"))
    ).to_be_visible()
    assert_no_error(page)
    ticks = brush_chart(page).locator("g.role-axis-label text").all_text_contents()
    assert any(re.fullmatch(r"[A-Z][a-z]{2} 2026", x) for x in ticks), ticks  # "Mar 2026", not 2026年3月
    drag(page, 0.55, 0.95)
    first, last, n = brushed_caption(page)
    assert n == int(core_pareto(browser_db_url, first, last)["count"].sum())
    assert_no_error(page)
    wait_charts(page)
    screenshot(page, tmp_path / "defeats-brush-en.png")
    screenshot(page, artifacts_dir / "defeats-brush-en.png")


@pytest.fixture
def phone_page(chromium_browser):
    context = chromium_browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", timezone_id="Asia/Shanghai", is_mobile=True
    )
    context.set_default_timeout(WAIT_MS)
    pg = context.new_page()
    yield pg
    context.close()


def test_small_multiples_fit_a_phone(phone_page: Page, app_url: str, artifacts_dir, tmp_path) -> None:
    page = phone_page
    page.goto(f"{app_url}/regions")
    sign_in(page, "manager")
    expect(heading(page, "区域分级分布")).to_be_visible()
    wait_idle(page)
    chart = page.get_by_test_id("stVegaLiteChart").first
    chart.scroll_into_view_if_needed()
    expect(chart.locator("svg, canvas").first).to_be_visible()
    page.wait_for_timeout(800)
    chart.screenshot(path=str(tmp_path / "regions-phone-chart.png"))
    chart.screenshot(path=str(artifacts_dir / "regions-phone-chart.png"))
    box = chart.locator("svg, canvas").first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box  # no small chart off the screen
    headers = chart.locator("g.role-title text, g.mark-group.role-header text").all_text_contents()
    assert {"惠城区", "博罗县"} <= set(headers), headers
    assert_no_error(page)
