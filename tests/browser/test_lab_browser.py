"""The analyst's journey through the scoring lab in a real browser (chromium): move weights with the keyboard,
see who moves, publish after confirming. Runs its own app on its own demo database, since it publishes.

Screenshots in artifacts_dir: lab-zh-movers.png (the preview with movers), lab-zh-dialog.png (the confirmation),
lab-zh.png (after publishing: the dialog closed, the success message shown).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from .conftest import VIEWPORT, WAIT_MS, copy_sqlite, sign_in, streamlit_app
from .test_overview_browser import assert_no_error, heading, screenshot, wait_charts, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(400)]

MOVED = re.compile(r"升级 ([\d,]+) 人，降级 ([\d,]+) 人，不变 ([\d,]+) 人")


@pytest.fixture(scope="module")
def lab_db_url(browser_demo, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A demo database of its own (the journey publishes): a copy of the browser demo (1,500 customers, seed 11,
    as of 2026-06-30)."""
    return copy_sqlite(browser_demo, tmp_path_factory.mktemp("lab-db") / "lab.sqlite")


@pytest.fixture(scope="module")
def lab_app_url(lab_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with streamlit_app(lab_db_url, tmp_path_factory.mktemp("lab-logs")) as base:
        yield base


@pytest.fixture
def lab_page(chromium_browser, lab_app_url: str) -> Iterator[Page]:
    context = chromium_browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(WAIT_MS)
    pg = context.new_page()
    yield pg
    context.close()


def moved(page: Page) -> tuple[int, int, int]:
    text = page.get_by_test_id("stMain").get_by_text(MOVED).inner_text()
    m = MOVED.search(text)
    assert m, text
    return tuple(int(x.replace(",", "")) for x in m.groups())  # type: ignore[return-value]


def slider(page: Page, label: str):
    box = page.get_by_test_id("stSlider").filter(has=page.get_by_text(label, exact=True))
    expect(box).to_have_count(1)
    return box.get_by_role("slider")


def nudge(page: Page, label: str, key: str, times: int) -> None:
    """Focus a weight slider and press an arrow key ``times`` times, then wait for the rerun to finish."""
    thumb = slider(page, label)
    thumb.focus()
    for _ in range(times):
        thumb.press(key)
    wait_idle(page)


def scheme_rows(url: str) -> list[tuple[str, int, str, str]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    sa.text("SELECT population, version, name, status FROM scoring_schemes ORDER BY id")
                )
            ]
    finally:
        engine.dispose()


def test_move_weights_see_movers_publish(
    lab_page: Page, lab_app_url: str, lab_db_url: str, artifacts_dir
) -> None:
    page = lab_page
    page.goto(f"{lab_app_url}/lab")
    sign_in(page, "manager")
    expect(heading(page, "评分实验室")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_test_id("stMain").get_by_text(MOVED)).to_be_visible(timeout=WAIT_MS)
    wait_idle(page)
    up, down, same = moved(page)
    assert (up, down) == (0, 0) and same > 0
    customers = same
    expect(slider(page, "近12个月消费金额")).to_have_value("40")

    # amount 40 → 30, satisfaction 0 → 10: still 100% in all, so the draft can be published
    nudge(page, "近12个月消费金额", "ArrowLeft", 10)
    expect(slider(page, "近12个月消费金额")).to_have_value("30")
    nudge(page, "满意度", "ArrowRight", 10)
    expect(slider(page, "满意度")).to_have_value("10")
    expect(page.get_by_text("权重合计 100%")).to_be_visible()
    up, down, same = moved(page)
    assert up + down > 0, "moving 10 points of weight should move someone"
    assert up + down + same == customers

    # the movers tables: who moves up (first tab) and down, and why
    main = page.get_by_test_id("stMain")
    up_panel = main.get_by_role("tabpanel", name="升级", exact=True)
    expect(up_panel.get_by_text(f"显示前 {min(up, 200)} 位（共 {up:,} 位）")).to_be_visible()
    expect(up_panel.get_by_test_id("stDataFrame")).to_be_visible()
    main.get_by_role("tab", name="降级", exact=True).click()
    down_panel = main.get_by_role("tabpanel", name="降级", exact=True)
    expect(down_panel.get_by_text(f"显示前 {min(down, 200)} 位（共 {down:,} 位）")).to_be_visible()
    expect(down_panel.get_by_test_id("stDataFrame")).to_be_visible()
    main.get_by_role("tab", name="升级", exact=True).click()
    wait_charts(page)
    screenshot(page, artifacts_dir / "lab-zh-movers.png")

    # name the scheme (Enter commits the text input), then publish
    name = main.get_by_role("textbox", name="方案名称")
    name.fill("金额30 满意度10")
    name.press("Enter")
    wait_idle(page)
    # open the confirmation and dismiss it: nothing is written, and a later rerun does not bring it back
    main.get_by_role("button", name="发布…").click()
    expect(page.get_by_role("dialog")).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("dialog").get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    wait_idle(page)
    nudge(page, "满意度", "ArrowRight", 1)
    nudge(page, "满意度", "ArrowLeft", 1)
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert len(scheme_rows(lab_db_url)) == 3  # the demo's owners versions 1 and 2, leads version 1
    assert moved(page)[:2] == (up, down)

    main.get_by_role("button", name="发布…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible(timeout=WAIT_MS)
    expect(
        dialog.get_by_text(f"将按此方案为 {customers:,} 位客户写入新级别（{up:,} 人升级，{down:,} 人降级）")
    ).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "lab-zh-dialog.png"))
    dialog.get_by_role("button", name="确认发布").click()
    expect(page.get_by_text(f"已发布第 3 版，写入 {customers:,} 条分级结果。")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("dialog")).to_have_count(0)
    wait_idle(page)
    assert moved(page)[:2] == (0, 0)  # the preview now compares with what was just published
    assert_no_error(page)
    assert scheme_rows(lab_db_url) == [
        ("owners", 1, "价值分层（高价值前40%/普通30%/流失风险30%）", "archived"),
        ("owners", 2, "价值分层（高价值前20%/普通60%/流失风险20%）", "archived"),
        ("leads", 1, "线索意向分级 H/A/B/C（按预计购车时间）", "published"),
        ("owners", 3, "金额30 满意度10", "published"),
    ]

    wait_charts(page)
    screenshot(page, artifacts_dir / "lab-zh.png")
