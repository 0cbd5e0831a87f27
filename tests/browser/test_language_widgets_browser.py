"""Multiselects whose options are words (trigger rules, timeline kinds) keep their choice across a language switch.

The sidebar filters crashed this way (issue 12 item 1): the browser keeps a multiselect's choice as labels of the
language it was made in and sends them back; Streamlit found no option for them (TypeError). Every such widget
relabels its choice when the labels change (dashboard.widgets.relabel); here two of them in a real browser.
"""

from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import Page, expect

from dashboard.i18n import TEXT

from .conftest import WAIT_MS, sign_in
from .test_filters_browser import _pick
from .test_overview_browser import assert_no_error, heading, screenshot, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def _box(page: Page, label: str):
    return page.get_by_test_id("stMain").get_by_test_id("stMultiSelect").filter(has_text=label)


def _chips(page: Page, label: str) -> list[str]:
    removes = _box(page, label).get_by_role("button", name=re.compile(r"^Remove "))
    return [
        (removes.nth(i).get_attribute("aria-label") or "").removeprefix("Remove ")
        for i in range(removes.count())
    ]


def _english(page: Page) -> None:
    page.get_by_test_id("stSidebar").get_by_role("radio", name="English", exact=True).click()
    wait_idle(page)


def test_lab_trigger_rules_survive_a_language_switch(page: Page, app_url: str, artifacts_dir) -> None:
    dropped_zh, dropped_en = TEXT["rule.asked_competitor"]
    label_zh, label_en = TEXT["lab.triggers"]
    page.goto(f"{app_url}/lab")
    sign_in(page, "analyst")
    expect(heading(page, "评分实验室")).to_be_visible(timeout=WAIT_MS)
    wait_idle(page)
    expect(_box(page, label_zh).get_by_role("button", name=f"Remove {dropped_zh}")).to_be_visible(
        timeout=WAIT_MS
    )
    _box(page, label_zh).get_by_role("button", name=f"Remove {dropped_zh}").click()  # the analyst's choice
    wait_idle(page)
    kept = _chips(page, label_zh)
    assert dropped_zh not in kept and len(kept) == 2
    _english(page)
    expect(heading(page, "Scoring lab")).to_be_visible(timeout=WAIT_MS)
    assert_no_error(page)
    english = {TEXT[k][0]: TEXT[k][1] for k in TEXT if k.startswith("rule.")}
    assert _chips(page, label_en) == [english[c] for c in kept]
    # changes after the switch work (the crash came on the next interaction; the lab's selectboxes in its
    # closed "advanced" section came back empty: 26 "not valid" errors)
    slider = page.get_by_test_id("stMain").get_by_test_id("stSlider").nth(1).get_by_role("slider")
    slider.focus()
    page.keyboard.press("ArrowRight")
    wait_idle(page)
    errors = page.locator("[data-testid='stAlertContentError']")
    expect(errors).to_have_count(1, timeout=WAIT_MS)  # only: the weights add up to 101%
    expect(errors).to_contain_text("101")
    slider.focus()
    page.keyboard.press("ArrowLeft")
    wait_idle(page)
    assert_no_error(page)
    assert _chips(page, label_en) == [english[c] for c in kept]
    screenshot(page, artifacts_dir / "lab-triggers-en.png")


def test_customer_timeline_kinds_survive_a_language_switch(
    page: Page, app_url: str, browser_db_url: str, artifacts_dir
) -> None:
    with sqlite3.connect(browser_db_url.removeprefix("sqlite:///")) as conn:
        (customer,) = conn.execute(
            "SELECT customer_id FROM purchases GROUP BY customer_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    zh, en = TEXT["c360.event.purchase"]
    label_zh, label_en = TEXT["c360.timeline.kinds"]
    page.goto(f"{app_url}/customer?customer={customer}")
    sign_in(page, "manager")
    wait_idle(page)
    expect(_box(page, label_zh)).to_be_visible(timeout=WAIT_MS)
    _pick(page, _box(page, label_zh), zh)
    page.keyboard.press("Escape")
    wait_idle(page)
    assert _chips(page, label_zh) == [zh]
    _english(page)
    assert_no_error(page)
    assert _chips(page, label_en) == [en]
    screenshot(page, artifacts_dir / "customer-kinds-en.png")


def test_review_status_and_decision_survive_a_language_switch(
    chromium_browser, browser_db_url: str, start_app, tmp_path, artifacts_dir
) -> None:
    from .conftest import VIEWPORT

    copy = tmp_path / "review.sqlite"
    with sqlite3.connect(browser_db_url.removeprefix("sqlite:///")) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)  # this test opens a meeting: on a copy of the shared demo database
    with start_app(f"sqlite:///{copy}", tmp_path / "logs") as base:
        context = chromium_browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        try:
            main = page.get_by_test_id("stMain")
            page.goto(f"{base}/review")
            sign_in(page, "manager")
            wait_idle(page)
            main.get_by_role("button", name=re.compile("开始本周例会")).click()
            wait_idle(page)
            groups = main.get_by_test_id("stButtonGroup")
            groups.get_by_text(TEXT["review.status.all"][0], exact=True).click()
            wait_idle(page)
            main.get_by_test_id("stForm").get_by_text(
                TEXT["review.decision.overridden"][0], exact=True
            ).click()
            _english(page)
            assert_no_error(page)
            status = groups.locator("button").filter(has_text=TEXT["review.status.all"][1])
            expect(status).to_have_attribute("aria-checked", "true", timeout=WAIT_MS)
            # the next interaction keeps both choices (the browser used to send back the Chinese labels)
            main.get_by_test_id("stForm").get_by_role("textbox").first.fill("x")
            page.keyboard.press("Tab")
            wait_idle(page)
            assert_no_error(page)
            expect(status).to_have_attribute("aria-checked", "true", timeout=WAIT_MS)
            screenshot(page, artifacts_dir / "review-status-en.png")
        finally:
            context.close()
