"""Refresh the README's screenshots (docs/screenshot.png in Chinese, docs/screenshot-en.png in English).

    python scripts/screenshots.py [--out DIR]

The same machinery as the browser tests (tests/browser): the demo database they use (1,500 customers, seed 11,
as of 2026-06-30, so the pictures are stable), the app under ``streamlit run`` on a free port, Debian's chromium
through Playwright, signed in as the demo manager. The tests themselves never write into the checkout.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' helpers, and core/ and dashboard/ of this checkout

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from tests.browser.conftest import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    WAIT_MS,
    run_demo,
    sign_in,
    streamlit_app,
)
from tests.browser.test_overview_browser import (  # noqa: E402
    assert_no_error,
    heading,
    screenshot,
    wait_charts,
    wait_idle,
)


def take(page: Page, base: str, out: Path) -> list[Path]:
    """The overview signed in as the manager, in Chinese and then in English; returns the files written.

    ``page``: a fresh page of a 1400x900 context in zh-CN (the browser tests' ``page`` fixture is one).
    """
    zh, en = out / "screenshot.png", out / "screenshot-en.png"
    page.goto(base)
    sign_in(page, "manager")
    expect(page.get_by_test_id("stMetric")).to_have_count(5, timeout=WAIT_MS)
    wait_idle(page)
    wait_charts(page)
    expect(heading(page, "总览")).to_be_visible()
    assert_no_error(page)
    screenshot(page, zh)
    switch = page.get_by_test_id("stSidebar").get_by_role("radiogroup", name="语言")
    switch.get_by_role("radio", name="English", exact=True).click()
    wait_idle(page)
    expect(heading(page, "Overview")).to_be_visible(timeout=WAIT_MS)
    wait_charts(page)
    assert_no_error(page)
    screenshot(page, en)
    return [zh, en]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder to write to (default: docs/)")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"no chromium at {CHROMIUM}: apt-get install chromium fonts-noto-cjk", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.sqlite'}"
        run_demo(url, "--customers", "1500", "--seed", "11", "--as-of", "2026-06-30")
        with streamlit_app(url, Path(tmp) / "logs") as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
            context.set_default_timeout(WAIT_MS)
            for path in take(context.new_page(), base, args.out):
                print(f"wrote {path}")
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
