"""A 390 px phone: each role's landing pages draw without an error box and without the page itself scrolling
sideways (wide tables scroll inside their own frame), in Chinese and in English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import WAIT_MS, sign_in
from .test_overview_browser import assert_no_error, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

PHONE = {"width": 390, "height": 844}
JOURNEYS = [  # role, language, pages opened in turn (both languages over the three journeys)
    ("manager", "zh", ["", "review", "followup", "lab"]),
    ("staff", "en", ["review", "followup", "customer"]),
    ("admin", "en", ["users", "audit"]),
]


@pytest.mark.parametrize(("role", "lang", "paths"), JOURNEYS, ids=[f"{r}-{lang}" for r, lang, _ in JOURNEYS])
def test_pages_fit_a_phone(chromium_browser, app_url: str, artifacts_dir, role, lang, paths) -> None:
    context = chromium_browser.new_context(
        viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", is_mobile=True, has_touch=True
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        for i, path in enumerate(paths):
            page.goto(f"{app_url}/{path}?lang={lang}")
            if i == 0:
                sign_in(page, role) if lang == "zh" else _sign_in_en(page, role)
            wait_idle(page)
            expect(page.get_by_test_id("stMain").locator("h1").first).to_be_visible(timeout=WAIT_MS)
            assert_no_error(page)
            overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"/{path} scrolls sideways by {overflow} px on a phone"
            # the phone's own screen, twice its height (the shared screenshot helper widens the window)
            page.set_viewport_size({"width": PHONE["width"], "height": PHONE["height"] * 2})
            page.wait_for_timeout(300)
            page.screenshot(path=str(artifacts_dir / f"phone-{role}-{path or 'overview'}-{lang}.png"))
            page.set_viewport_size(PHONE)
    finally:
        context.close()


def _sign_in_en(page, role: str) -> None:
    from .conftest import DEMO_PASSWORDS

    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("textbox", name="User name")).to_be_visible(timeout=WAIT_MS)
    main.get_by_role("textbox", name="User name").fill(role)
    main.get_by_role("textbox", name="Password").fill(DEMO_PASSWORDS[role])
    main.get_by_role("button", name="Sign in").click()
    expect(main.get_by_role("button", name="Sign in")).to_have_count(0, timeout=WAIT_MS)
