"""The overview and tiers pages in a real browser (chromium): Chinese first, the language switch, screenshots.

Screenshots land in the session's temporary folder (``artifacts_dir``); the README's two come from the same
pages through ``python scripts/screenshots.py``, never from the tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest import VIEWPORT, WAIT_MS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
KPI_ZH = ["新增线索", "整体转化率", "战败率", "逾期未跟进"]
KPI_EN = ["New leads", "Overall conversion", "Defeat rate", "Overdue follow-ups"]


def wait_idle(page: Page) -> None:
    """Wait until the script run the last action started has finished (the attribute flips only after a moment)."""
    page.wait_for_timeout(500)
    page.locator(IDLE).wait_for(state="attached", timeout=WAIT_MS)


def wait_charts(page: Page) -> None:
    """Every Plotly chart on the page has drawn its SVG (for screenshots worth looking at)."""
    charts = page.get_by_test_id("stPlotlyChart")
    for i in range(charts.count()):
        expect(charts.nth(i).locator(".main-svg").first).to_be_visible(timeout=WAIT_MS)


def assert_no_error(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.locator("[data-testid='stAlertContentError']")).to_have_count(0)
    body = page.locator("body").inner_text()
    assert "Traceback" not in body
    assert "Error" not in page.title()


def screenshot(page: Page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside stMain, so grow the viewport to its height for the shot."""
    height = page.get_by_test_id("stMain").evaluate("e => e.scrollHeight")
    if height > VIEWPORT["height"]:
        page.set_viewport_size({"width": VIEWPORT["width"], "height": min(height, 4000)})
        page.wait_for_timeout(500)  # let Plotly redraw at the new size
        wait_charts(page)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)


def heading(page: Page, text: str):
    """The page's st.title (an h1 in the main area)."""
    return page.get_by_test_id("stMain").locator("h1", has_text=text)


def open_first_listed_360(page: Page) -> None:
    """Choose the first customer of the page's last list: its link opens the 360 in this session (no new
    sign-in); then back to the page."""
    main = page.get_by_test_id("stMain")
    grid = main.get_by_test_id("stDataFrame").last
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 14, box["y"] + 35 + 17)  # the row marker of the first row (rows are 35 px)
    wait_idle(page)
    link = main.get_by_role("link", name=re.compile(r"打开客户 #\d+ 的 360 页"))
    expect(link.first).to_be_visible(timeout=WAIT_MS)
    link.first.click()
    wait_idle(page)
    expect(heading(page, "客户360")).to_be_visible(timeout=WAIT_MS)
    assert_no_error(page)
    page.go_back()  # one press of Back returns to the page (the link carried the view: no extra history entry)
    wait_idle(page)
    expect(heading(page, "客户360")).to_have_count(0, timeout=WAIT_MS)


def metric_labels(page: Page) -> list[str]:
    return [x.strip() for x in page.get_by_test_id("stMetricLabel").all_inner_texts()]


def test_overview_in_chinese_then_english(page: Page, app_url: str, artifacts_dir) -> None:
    page.goto(app_url)
    sign_in(page, "manager")
    expect(page.get_by_test_id("stMetric")).to_have_count(5, timeout=WAIT_MS)
    wait_idle(page)
    wait_charts(page)

    expect(heading(page, "总览")).to_be_visible()
    for label in KPI_ZH:
        expect(page.get_by_test_id("stMetricLabel").filter(has_text=label)).to_be_visible()
    assert metric_labels(page)[:4] == KPI_ZH
    for value in page.get_by_test_id("stMetricValue").all_inner_texts():
        assert value.strip() not in ("", "—"), f"a KPI shows no figure: {metric_labels(page)}"
    assert_no_error(page)

    screenshot(page, artifacts_dir / "overview-zh.png")

    sidebar = page.get_by_test_id("stSidebar")
    switch = sidebar.get_by_role("radiogroup", name="语言")  # st.segmented_control: radio buttons
    expect(switch.get_by_role("radio", name="中文", exact=True)).to_be_checked()
    switch.get_by_role("radio", name="English", exact=True).click()
    wait_idle(page)
    expect(heading(page, "Overview")).to_be_visible(timeout=WAIT_MS)
    for label in ("New leads", "Overall conversion"):
        expect(page.get_by_test_id("stMetricLabel").filter(has_text=label)).to_be_visible()
    expect(heading(page, "总览")).to_have_count(0)
    assert metric_labels(page)[:4] == KPI_EN
    expect(sidebar.get_by_test_id("stSidebarNavLink").filter(has_text="Overview")).to_be_visible()
    expect(
        sidebar.get_by_role("radiogroup", name="Language").get_by_role("radio", name="English")
    ).to_be_checked()
    wait_charts(page)
    assert_no_error(page)

    screenshot(page, artifacts_dir / "overview-en.png")


def test_tiers_page_from_the_sidebar(page: Page, app_url: str, artifacts_dir) -> None:
    page.goto(app_url)
    sign_in(page, "analyst")
    expect(page.get_by_test_id("stMetric")).to_have_count(5, timeout=WAIT_MS)
    wait_idle(page)

    page.get_by_test_id("stSidebarNavLink").filter(has_text="分级结果").click()
    # the path is the page; the query keeps the view (language, period, filters: dashboard/view_state.py)
    expect(page).to_have_url(re.compile(rf"^{re.escape(app_url)}/tiers(\?|$)"), timeout=WAIT_MS)
    expect(heading(page, "分级结果")).to_be_visible(timeout=WAIT_MS)
    wait_idle(page)
    expect(page.get_by_test_id("stMain").get_by_text("各区域级别分布")).to_be_visible()
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart).to_be_visible()
    expect(chart.locator(".main-svg").first).to_be_visible()
    expect(chart.locator(".bars path").first).to_be_attached()  # the stacked bars were drawn
    expect(heading(page, "总览")).to_have_count(0)
    assert_no_error(page)
    screenshot(page, artifacts_dir / "tiers-zh.png")


def test_the_readme_screenshots_command_takes_both_pictures(page: Page, app_url: str, tmp_path) -> None:
    """``python scripts/screenshots.py`` (the README's pictures) walks the same pages: here into tmp_path, with
    the session's browser (Playwright's sync API runs once per process)."""
    import struct
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
    from screenshots import take

    for path in take(page, app_url, tmp_path):
        head = path.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n", path
        assert struct.unpack(">I", head[16:20])[0] == VIEWPORT["width"], path  # the whole page, 1400 px wide
