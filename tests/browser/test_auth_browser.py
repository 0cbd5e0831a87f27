"""Signing in as each demo role in a real browser; hostile text in a user's name is shown as text."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from core.access import auth
from core.storage.db import open_database
from core.storage.models import User

from .conftest import DEMO_PASSWORDS, WAIT_MS, sign_in
from .test_overview_browser import assert_no_error, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

ANALYSIS = ["总览", "销售漏斗", "战败分析", "区域分级分布", "渠道投入产出", "分级结果"]
NAV = {
    "admin": [*ANALYSIS, "客户360", "数据管理", "导入数据", "用户与权限", "审计日志"],
    "manager": [*ANALYSIS, "评分实验室", "周会复盘", "跟踪纪律", "客户360", "数据管理", "导入数据"],
    "analyst": [*ANALYSIS, "评分实验室", "跟踪纪律", "客户360"],
    "staff": ["周会复盘", "跟踪纪律", "客户360"],
}
HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


def nav_labels(page: Page) -> list[str]:
    # each link's text is its material icon's name, then the title
    return [x.strip().splitlines()[-1] for x in page.get_by_test_id("stSidebarNavLink").all_inner_texts()]


def test_login_page_lists_the_demo_accounts(page: Page, app_url: str, artifacts_dir) -> None:
    page.goto(app_url)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="演示账号")).to_be_visible(timeout=WAIT_MS)
    expect(main.get_by_test_id("stDataFrame")).to_be_visible()
    main.get_by_role("textbox", name="用户名").fill("manager")
    main.get_by_role("textbox", name="密码").fill("wrong-password")
    main.get_by_role("button", name="登录").click()
    expect(main.get_by_text("用户名或密码错误。")).to_be_visible(timeout=WAIT_MS)
    assert nav_labels(page) == []  # nothing but the login page before signing in
    page.screenshot(path=str(artifacts_dir / "login-zh.png"))


@pytest.mark.parametrize("role", list(DEMO_PASSWORDS))
def test_each_demo_role_sees_its_pages(page: Page, app_url: str, role: str) -> None:
    page.goto(app_url)
    sign_in(page, role)
    wait_idle(page)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("当前用户：")).to_be_visible(timeout=WAIT_MS)
    assert nav_labels(page) == NAV[role]
    if NAV[role]:
        assert_no_error(page)
    sidebar.get_by_role("button", name="退出登录").click()
    expect(page.get_by_test_id("stMain").get_by_role("textbox", name="密码")).to_be_visible(timeout=WAIT_MS)


def test_html_in_a_display_name_is_shown_as_text(page: Page, app_url: str, browser_db_url: str) -> None:
    engine = open_database(browser_db_url)
    with engine.connect() as conn:
        exists = conn.execute(sa.select(User.id).where(User.name == "hostile")).first()
    if not exists:
        auth.create_user(
            engine,
            name="hostile",
            role="analyst",
            password="hostile-pass",
            actor="test",
            display_name=HOSTILE,
        )
    engine.dispose()
    page.goto(app_url)
    sign_in(page, "hostile", "hostile-pass")
    wait_idle(page)
    caption = page.get_by_test_id("stSidebar").get_by_text("当前用户：")
    expect(caption).to_be_visible(timeout=WAIT_MS)
    assert HOSTILE[:40] in caption.inner_text()  # the markup is text on the screen
    assert page.evaluate("window.__xss") is None  # and none of it ran
    assert page.locator("img[src='x']").count() == 0
