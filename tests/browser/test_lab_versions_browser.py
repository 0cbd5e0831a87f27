"""A manager loads an analyst's draft into the lab's sliders and publishes it: the publish asks for a
confirmation that shows the change first. Runs its own app on its own demo database, since it publishes.

Screenshot in artifacts_dir: lab-versions-dialog-zh.png (the confirmation of the draft's publish).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from core.scoring.publishing import save_draft
from core.scoring.scheme import preset
from core.storage.db import open_database

from .conftest import VIEWPORT, WAIT_MS, copy_sqlite, sign_in, streamlit_app
from .test_lab_browser import moved, scheme_rows, slider
from .test_overview_browser import assert_no_error, heading, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(400)]

DRAFT = "分析师的草稿"


@pytest.fixture(scope="module")
def versions_db_url(browser_demo, tmp_path_factory: pytest.TempPathFactory) -> str:
    """1,500 demo customers (seed 11, as of 2026-06-30) and an analyst's owners draft (version 3)."""
    url = copy_sqlite(browser_demo, tmp_path_factory.mktemp("lab-versions-db") / "lab.sqlite")
    spec = preset("value_3")
    for dim, weight in (("amount_12m", 10), ("purchases_12m", 50), ("repurchase_rate", 40)):
        spec["dimensions"][dim]["weight"] = weight
    engine = open_database(url)
    try:
        assert save_draft(engine, spec, name=DRAFT, actor="analyst").version == 3
    finally:
        engine.dispose()
    return url


@pytest.fixture
def versions_page(chromium_browser, versions_db_url: str, tmp_path_factory) -> Iterator[Page]:
    with streamlit_app(versions_db_url, tmp_path_factory.mktemp("lab-versions-logs")) as base:
        context = chromium_browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        page.goto(f"{base}/lab")
        yield page
        context.close()


def test_load_a_draft_then_publishing_it_asks_to_confirm_with_the_change(
    versions_page: Page, versions_db_url: str, artifacts_dir
) -> None:
    page = versions_page
    sign_in(page, "manager")
    expect(heading(page, "评分实验室")).to_be_visible(timeout=WAIT_MS)
    wait_idle(page)
    main = page.get_by_test_id("stMain")
    expect(slider(page, "近12个月消费金额")).to_have_value("40")  # the published version 2

    # the versions list's choice is the newest, the analyst's draft: load it into the sliders
    main.get_by_role("button", name="载入到草稿").click()
    wait_idle(page)
    expect(main.get_by_text(f"已把第 3 版（{DRAFT}）载入草稿")).to_be_visible(timeout=WAIT_MS)
    expect(slider(page, "近12个月消费金额")).to_have_value("10")
    expect(slider(page, "近12个月消费次数")).to_have_value("50")
    expect(slider(page, "复购率")).to_have_value("40")
    up, down, same = moved(page)

    # publishing the draft asks first, and says what changes: the same movers as the preview
    main.get_by_role("button", name="发布所选草稿…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible(timeout=WAIT_MS)
    expect(
        dialog.get_by_text(
            re.compile(rf"与当前发布的级别相比 {up:,} 人升级，{down:,} 人降级，{same:,} 人不变")
        )
    ).to_be_visible()
    expect(dialog.get_by_test_id("stDataFrame")).to_be_visible()
    assert ("owners", 3, DRAFT, "draft") in scheme_rows(versions_db_url)  # nothing written yet
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts_dir / "lab-versions-dialog-zh.png"))
    dialog.get_by_role("button", name="确认发布").click()
    wait_idle(page)
    expect(page.get_by_role("dialog")).to_have_count(0, timeout=WAIT_MS)
    expect(main.get_by_text(re.compile(r"^已发布第 3 版，写入 [\d,]+ 条分级结果。"))).to_be_visible(
        timeout=WAIT_MS
    )
    assert ("owners", 3, DRAFT, "published") in scheme_rows(versions_db_url)
    assert_no_error(page)
    engine = sa.create_engine(versions_db_url)
    try:
        with engine.connect() as conn:
            action = conn.execute(
                sa.text("SELECT action FROM audit_log ORDER BY id DESC LIMIT 1")
            ).scalar_one()
    finally:
        engine.dispose()
    assert action == "scheme.publish"
