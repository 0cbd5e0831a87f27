"""A refresh, a new tab and a copied link keep the sign-in and the view; sign-out ends both (issue 12 item 4).

The sign-in cookie holds a random token (the database keeps only its hash); the URL holds the view: the page
(path), language, period and filters.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from core.access import auth
from core.storage.db import open_database
from core.storage.models import UserSession
from dashboard.session_cookie import COOKIE

from .conftest import VIEWPORT, WAIT_MS, sign_in
from .test_overview_browser import assert_no_error, heading, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def signed_in_as(page: Page, caption: str) -> None:
    expect(page.get_by_test_id("stSidebar").get_by_text(caption)).to_be_visible(timeout=WAIT_MS)


def signed_out(page: Page, name_label: str = "用户名") -> None:
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("textbox", name=name_label)).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_test_id("stSidebar").get_by_text(re.compile("当前用户|Signed in"))).to_have_count(0)


def period_shown(page: Page) -> tuple[str, str]:
    """The period the date input holds (its two hidden <input type=date> values)."""
    inputs = page.get_by_test_id("stDateInput").first.locator("input[type='date']")
    return inputs.nth(0).input_value(), inputs.nth(1).input_value()


def query(page: Page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query).items()}


def session_cookie(page: Page) -> dict:
    (cookie,) = [c for c in page.context.cookies() if c["name"] == COOKIE]
    return cookie


def test_refresh_and_a_new_tab_keep_the_sign_in_and_the_view_until_sign_out(
    page: Page, app_url: str, browser_db_url: str, artifacts_dir
) -> None:
    page.goto(f"{app_url}/funnel")
    sign_in(page, "manager")
    wait_idle(page)
    expect(heading(page, "销售漏斗")).to_be_visible(timeout=WAIT_MS)
    sidebar = page.get_by_test_id("stSidebar")
    # a view of one's own: English, the period a month earlier, one store
    sidebar.get_by_role("radio", name="English", exact=True).click()
    wait_idle(page)
    expect(heading(page, "Sales funnel")).to_be_visible(timeout=WAIT_MS)
    start_month = sidebar.get_by_role("spinbutton", name=re.compile("^month, .* start date"))
    start_month.click()
    start_month.press("ArrowDown")  # June → May
    heading(page, "Sales funnel").click()  # leave the field: the new period is sent
    expect(page).to_have_url(re.compile(r"period=2026-05-01\.\.2026-06-30"), timeout=WAIT_MS)
    wait_idle(page)
    store_box = sidebar.get_by_test_id("stMultiSelect").first
    store_box.get_by_role("combobox").click()
    page.keyboard.press("ArrowDown")
    first_store = page.get_by_role("option").nth(1)  # the first is Streamlit's "Select all"
    expect(first_store).to_be_visible(timeout=WAIT_MS)
    store = first_store.inner_text().strip()
    first_store.click()
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"store=\d+"), timeout=WAIT_MS)
    wait_idle(page)
    view = (period_shown(page), query(page))
    assert view[0][0] == "2026-05-01" and view[0][1] == "2026-06-30", view
    assert view[1]["lang"] == "en" and view[1]["period"] == "2026-05-01..2026-06-30" and view[1]["store"]
    url = page.url
    page.screenshot(path=str(artifacts_dir / "session-before-refresh.png"))

    # the cookie: a session cookie (no expiry), SameSite=Strict, Path=/, not Secure on plain http; its value is
    # the token, of which the database holds only the hash
    cookie = session_cookie(page)
    attributes = (cookie["expires"], cookie["sameSite"], cookie["path"], cookie["secure"])
    assert attributes == (-1, "Strict", "/", False)
    engine = open_database(browser_db_url)
    with engine.connect() as conn:
        hashes = set(conn.execute(sa.select(UserSession.token_hash)).scalars())
    assert cookie["value"] not in hashes and auth.token_hash(cookie["value"]) in hashes

    page.reload()
    wait_idle(page)
    signed_in_as(page, "Signed in: 王经理 (Manager)")
    expect(heading(page, "Sales funnel")).to_be_visible(timeout=WAIT_MS)
    assert (period_shown(page), query(page)) == view
    expect(store_box.get_by_text(store)).to_be_visible()
    assert_no_error(page)
    page.screenshot(path=str(artifacts_dir / "session-after-refresh.png"))

    other = page.context.new_page()  # a new tab of the same browser
    other.set_viewport_size(VIEWPORT)
    other.goto(url)
    wait_idle(other)
    signed_in_as(other, "Signed in: 王经理 (Manager)")
    expect(heading(other, "Sales funnel")).to_be_visible(timeout=WAIT_MS)
    assert (period_shown(other), query(other)) == view
    other.screenshot(path=str(artifacts_dir / "session-new-tab.png"))

    other.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    wait_idle(other)
    signed_out(other, "User name")
    assert COOKIE not in {c["name"] for c in page.context.cookies()}  # sign-out cleared the cookie
    other.reload()
    wait_idle(other)
    signed_out(other, "User name")
    page.reload()  # the first tab: its server session was ended by the sign-out too
    wait_idle(page)
    signed_out(page, "User name")
    page.screenshot(path=str(artifacts_dir / "session-signed-out.png"))
    with engine.connect() as conn:
        live = conn.execute(
            sa.select(sa.func.count())
            .where(UserSession.token_hash == auth.token_hash(cookie["value"]))
            .where(UserSession.ended_at.is_(None))
        ).scalar_one()
    engine.dispose()
    assert live == 0


def test_a_copied_link_opens_its_view_after_sign_in(page: Page, app_url: str, artifacts_dir) -> None:
    page.goto(f"{app_url}/funnel?lang=en&period=2026-04-01..2026-04-30")  # a fresh browser context
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("textbox", name="User name")).to_be_visible(timeout=WAIT_MS)  # login in English
    main.get_by_role("textbox", name="User name").fill("analyst")
    main.get_by_role("textbox", name="Password").fill("demo-analyst")
    main.get_by_role("button", name="Sign in").click()
    wait_idle(page)
    signed_in_as(page, "Signed in: 李分析 (Analyst)")
    expect(heading(page, "Sales funnel")).to_be_visible(timeout=WAIT_MS)
    assert period_shown(page) == ("2026-04-01", "2026-04-30")
    assert query(page)["period"] == "2026-04-01..2026-04-30" and query(page)["lang"] == "en"
    expect(main.get_by_text(re.compile("2026-04-01"))).not_to_have_count(0)
    assert_no_error(page)
    page.screenshot(path=str(artifacts_dir / "session-copied-link.png"))
