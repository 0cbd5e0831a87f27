"""An advisor finds a customer by the last four digits of the phone, chooses the result, and the customer's
360 opens in the same session. Screenshot in artifacts_dir: customer-search-zh.png."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from core.storage.db import open_database
from core.workflow.customer360 import search
from tests.pii import unseal

from .conftest import WAIT_MS, sign_in
from .test_overview_browser import assert_no_error, heading, screenshot, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def test_find_a_customer_by_the_last_four_digits_and_open_the_360(
    page: Page, app_url: str, browser_db_url: str, artifacts_dir
) -> None:
    engine = open_database(browser_db_url)
    try:
        with engine.connect() as conn:
            advisor = conn.execute(sa.text("SELECT advisor_id FROM users WHERE name = 'staff'")).scalar_one()
            phone = conn.execute(
                sa.text(
                    "SELECT phone FROM customers WHERE advisor_id = :a AND phone IS NOT NULL ORDER BY id"
                ),
                {"a": advisor},
            ).first()[0]
            phone = unseal(phone)  # sealed at rest
            expected, _ = search(
                conn=conn, query=phone[-4:], own_only=True, advisor_id=advisor, show_pii=True
            )
    finally:
        engine.dispose()
    first = int(expected["customer_id"].iloc[0])

    page.goto(f"{app_url}/customer")
    sign_in(page, "staff")
    expect(heading(page, "客户360")).to_be_visible(timeout=WAIT_MS)
    wait_idle(page)
    main = page.get_by_test_id("stMain")
    box = main.get_by_role("textbox", name="查找客户")
    box.fill(phone[-4:])
    box.press("Enter")
    wait_idle(page)
    expect(main.get_by_text(re.compile(rf"^找到 {len(expected)} 位客户。"))).to_be_visible(timeout=WAIT_MS)
    grid = main.get_by_test_id("stDataFrame").first
    expect(grid).to_be_visible()
    assert_no_error(page)
    bounds = grid.bounding_box()
    page.mouse.click(bounds["x"] + 14, bounds["y"] + 35 + 17)  # the row marker of the first row (35 px rows)
    wait_idle(page)
    expect(main.get_by_role("heading", name=re.compile(rf"#{first}$"))).to_be_visible(timeout=WAIT_MS)
    assert f"customer={first}" in page.url
    expect(main.get_by_role("spinbutton", name="客户编号")).to_have_value(str(first))
    assert_no_error(page)
    screenshot(page, artifacts_dir / "customer-search-zh.png")
