"""Download addresses are per session: the same table downloaded in two browsers gets two unguessable addresses.

Streamlit serves a download at /media/<id>, to anyone with the address while a session holds it; by default the
id is a hash of the file's bytes, MIME type and name, so the same table in two sessions shares one address
(dashboard/downloads.py). Here two managers download the overview's tier table as CSV: same bytes, different
addresses, neither the address Streamlit would compute from the bytes alone.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import VIEWPORT, WAIT_MS, sign_in
from .test_overview_browser import assert_no_error, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def _download(chromium_browser, app_url: str) -> tuple[str, bytes, str]:
    context = chromium_browser.new_context(
        viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        page.goto(f"{app_url}/")
        sign_in(page, "manager")
        wait_idle(page)
        button = page.get_by_test_id("stMain").get_by_role("button", name="下载 CSV").first
        expect(button).to_be_visible(timeout=WAIT_MS)
        with page.expect_download() as info:
            button.click()
        download = info.value
        body = open(download.path(), "rb").read()
        assert_no_error(page)
        return download.url, body, download.suggested_filename
    finally:
        context.close()


def test_same_table_in_two_sessions_has_two_addresses(chromium_browser, app_url: str) -> None:
    from streamlit.runtime.memory_media_file_storage import _calculate_file_id

    url_a, body_a, name = _download(chromium_browser, app_url)
    url_b, body_b, _ = _download(chromium_browser, app_url)
    assert body_a == body_b and len(body_a) > 10  # the same table...
    assert url_a != url_b  # ...at two addresses
    file_id = url_a.rsplit("/", 1)[-1].split(".")[0]
    # the address a default download button would have: derived from what anyone who saw the table knows
    guessed = _calculate_file_id(body_a, "text/csv", name)
    assert file_id != guessed and len(file_id) >= 32
