"""The sidebar filters in a real browser: a store and a channel chosen in Chinese survive a switch to English, a
page with the filters, a page without them and the way back, with no error box and the figures still filtered.

AppTest did not reproduce the TypeError this journey raised (issue 12 item 1): the browser keeps a multiselect's
choice as the option *labels* of the language it was made in, which only a real browser sends back.
"""

from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import Page, expect

from .conftest import WAIT_MS, sign_in
from .test_overview_browser import assert_no_error, heading, screenshot, wait_charts, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

STORE = ("博罗罗阳4S店", "Boluo Luoyang 4S store")
CHANNEL = ("汽车之家", "Autohome")
PERIOD = ("2026-06-01", "2026-07-01")  # the default period of the browser demo: its last 30 days


def _leads(url: str, *, filtered: bool) -> int:
    """New leads of the default period, straight from the database (with or without the store and channel)."""
    sql = "SELECT count(*) FROM leads l WHERE l.created_at >= ? AND l.created_at < ?"
    args: list[str] = list(PERIOD)
    if filtered:
        sql += (
            " AND l.store_id = (SELECT id FROM stores WHERE name = ?)"
            " AND l.channel_id = (SELECT id FROM channels WHERE name = ?)"
        )
        args += [STORE[0], CHANNEL[0]]
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return int(conn.execute(sql, args).fetchone()[0])


def _new_leads(page: Page, label: str) -> int:
    metric = page.get_by_test_id("stMetric").filter(has_text=label)
    return int(metric.get_by_test_id("stMetricValue").inner_text().replace(",", ""))


def _pick(page: Page, box, option: str) -> None:
    """Open the list of a select widget and click one option."""
    box.get_by_role("combobox").click()
    choice = page.get_by_role("option", name=option, exact=True)
    page.wait_for_timeout(300)
    if not choice.is_visible():  # a click on a freshly drawn widget may only focus the field
        page.keyboard.press("ArrowDown")
    choice.click()


def _choose(page: Page, filter_label: str, option: str) -> None:
    """Open a sidebar multiselect, pick one option, close the list."""
    _pick(
        page,
        page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text=filter_label),
        option,
    )
    page.keyboard.press("Escape")
    wait_idle(page)


def _chips(page: Page, filter_label: str) -> list[str]:
    box = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text=filter_label)
    removes = box.get_by_role("button", name=re.compile(r"^Remove "))  # one per chosen option
    return [
        (removes.nth(i).get_attribute("aria-label") or "").removeprefix("Remove ")
        for i in range(removes.count())
    ]


def _picker(page: Page, label: str):
    """The overview's figure picker (数字背后的客户): its combobox shows the chosen figure and its count."""
    return page.get_by_test_id("stMain").get_by_test_id("stSelectbox").filter(has_text=label)


def _open(page: Page, nav_title: str) -> None:
    page.get_by_test_id("stSidebarNavLink").filter(has_text=nav_title).click()
    wait_idle(page)


def test_filters_survive_language_switch_and_page_change(
    page: Page, app_url: str, browser_db_url: str, artifacts_dir
) -> None:
    filtered, everything = _leads(browser_db_url, filtered=True), _leads(browser_db_url, filtered=False)
    assert 0 < filtered < everything  # the choice must show in the figure

    page.goto(app_url)
    sign_in(page, "manager")
    expect(page.get_by_test_id("stMetric")).to_have_count(5, timeout=WAIT_MS)
    wait_idle(page)
    assert _new_leads(page, "新增线索") == everything
    tiered = _new_leads(page, "已分级客户")
    # the customers behind the overdue follow-ups, chosen in the figure picker
    overdue = _new_leads(page, "逾期未跟进")
    _pick(page, _picker(page, "数字"), f"逾期未跟进：{overdue:,}")
    wait_idle(page)
    expect(_picker(page, "数字")).to_match_aria_snapshot(f'- combobox "数字": "逾期未跟进：{overdue:,}"')

    _choose(page, "门店", STORE[0])
    # the figure picker says what the card and the list say (issue 12 item 2: it kept the unfiltered count)
    overdue_store = _new_leads(page, "逾期未跟进")
    assert overdue_store < overdue
    expect(_picker(page, "数字")).to_match_aria_snapshot(
        f'- combobox "数字": "逾期未跟进：{overdue_store:,}"'
    )
    _choose(page, "线索渠道", CHANNEL[0])
    assert _chips(page, "门店") == [STORE[0]]
    assert _chips(page, "线索渠道") == [CHANNEL[0]]
    assert _new_leads(page, "新增线索") == filtered
    overdue_filtered = _new_leads(page, "逾期未跟进")
    assert overdue_filtered < overdue
    expect(_picker(page, "数字")).to_match_aria_snapshot(
        f'- combobox "数字": "逾期未跟进：{overdue_filtered:,}"'
    )
    assert_no_error(page)

    # switch to English: the same store and channel, in English, and the same figure
    page.get_by_test_id("stSidebar").get_by_role("radio", name="English", exact=True).click()
    wait_idle(page)
    expect(heading(page, "Overview")).to_be_visible(timeout=WAIT_MS)
    assert_no_error(page)
    assert _chips(page, "Store") == [STORE[1]]
    assert _chips(page, "Lead channel") == [CHANNEL[1]]
    assert _new_leads(page, "New leads") == filtered
    expect(_picker(page, "Figure")).to_match_aria_snapshot(
        f'- combobox "Figure": "Overdue follow-ups: {overdue_filtered:,}"'
    )
    screenshot(page, artifacts_dir / "filters-overview-en.png")

    # another page with the filters: no error box, still filtered
    _open(page, "Sales funnel")
    expect(heading(page, "Sales funnel")).to_be_visible(timeout=WAIT_MS)
    wait_charts(page)
    assert_no_error(page)
    assert _chips(page, "Store") == [STORE[1]]
    assert _chips(page, "Lead channel") == [CHANNEL[1]]
    screenshot(page, artifacts_dir / "filters-funnel-en.png")

    # a page without the filters, then back to the overview: the choice is still there
    _open(page, "Scoring lab")
    expect(heading(page, "Scoring lab")).to_be_visible(timeout=WAIT_MS)
    assert_no_error(page)
    expect(page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect")).to_have_count(0)
    _open(page, "Overview")
    expect(heading(page, "Overview")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_test_id("stMetric")).to_have_count(5, timeout=WAIT_MS)
    assert_no_error(page)
    assert _chips(page, "Store") == [STORE[1]]
    assert _chips(page, "Lead channel") == [CHANNEL[1]]
    assert _new_leads(page, "New leads") == filtered

    # and back to Chinese on the overview
    page.get_by_test_id("stSidebar").get_by_role("radio", name="中文", exact=True).click()
    wait_idle(page)
    expect(heading(page, "总览")).to_be_visible(timeout=WAIT_MS)
    assert_no_error(page)
    assert _chips(page, "门店") == [STORE[0]]
    assert _chips(page, "线索渠道") == [CHANNEL[0]]
    assert _new_leads(page, "新增线索") == filtered
    expect(_picker(page, "数字")).to_match_aria_snapshot(
        f'- combobox "数字": "逾期未跟进：{overdue_filtered:,}"'
    )
    wait_charts(page)
    screenshot(page, artifacts_dir / "filters-overview-zh.png")

    # no store, and "Select all" channels: the same figures as no filter (item 3: customers without a first
    # channel were dropped)
    stores = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text="门店")
    stores.get_by_role("button", name="Clear all").click()
    wait_idle(page)
    _choose(page, "线索渠道", "Select all")
    assert len(_chips(page, "线索渠道")) == 9
    assert _new_leads(page, "新增线索") == everything
    assert _new_leads(page, "已分级客户") == tiered
    assert_no_error(page)

    # a language switch on a page without the filters, then a page with them
    _open(page, "评分实验室")
    expect(heading(page, "评分实验室")).to_be_visible(timeout=WAIT_MS)
    page.get_by_test_id("stSidebar").get_by_role("radio", name="English", exact=True).click()
    wait_idle(page)
    expect(heading(page, "Scoring lab")).to_be_visible(timeout=WAIT_MS)
    _open(page, "Channel ROI")
    expect(heading(page, "Channel ROI")).to_be_visible(timeout=WAIT_MS)
    assert_no_error(page)
    assert _chips(page, "Store") == []
    assert len(_chips(page, "Lead channel")) == 9
    assert CHANNEL[1] in _chips(page, "Lead channel")
    screenshot(page, artifacts_dir / "filters-channels-en.png")
