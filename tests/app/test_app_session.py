"""Sign-in across refreshes (the cookie), the view in the URL, and the login page's demo list, under AppTest.

AppTest cannot send cookies (st.context.cookies is empty there), so the tests that need one stand in for the
browser by replacing ``session_cookie.token_from_browser``; the real cookie is tested in a real browser
(tests/browser/test_session_browser.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.access import auth
from core.io import importing as imp
from core.storage.db import open_database
from core.storage.models import UserSession
from core.workflow import review
from dashboard import session_cookie
from dashboard.access import TOKEN_KEY
from tests.signin import sign_in

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")


@pytest.fixture(autouse=True)
def _no_env_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SESSION_HOURS", raising=False)


def app(url: str, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["database_url"] = url
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at


def cookie_scripts(at: AppTest) -> list[str]:
    return [h.proto.body for h in at.get("html") if session_cookie.COOKIE in h.proto.body]


def browser_sends(monkeypatch, token: str) -> None:
    """As if the browser had sent the sign-in cookie with ``token`` when the Streamlit session connected."""
    monkeypatch.setattr(session_cookie, "_sent_cookies", lambda: {session_cookie.COOKIE: token})


# ---- the login page's demo list (issue 13 item 3) ---------------------------------------------------------


def test_demo_passwords_are_listed_only_while_the_database_holds_demo_data_alone(demo_copy):
    at = app(demo_copy).run()
    assert "演示账号" in [s.value for s in at.subheader] and at.dataframe  # the demo database as generated
    csv = "客户编号,姓名,手机号\nREAL-1,真实客户,13912345678\n".encode()
    result = imp.import_bytes(open_database(demo_copy), csv, "customers", filename="real.csv")
    assert result.committed, result
    at = app(demo_copy).run()
    assert not at.exception and at.title[0].value == "登录"
    assert "演示账号" not in [s.value for s in at.subheader] and not at.dataframe
    assert at.text_input(key="login_name")  # the accounts still sign in; their passwords are not shown


# ---- the sign-in cookie (issue 12 item 4) -----------------------------------------------------------------


def test_a_signed_in_run_has_the_browser_keep_the_token(demo_copy):
    at = sign_in(app(demo_copy), demo_copy, "manager").run()
    token = at.session_state[TOKEN_KEY]
    (script,) = cookie_scripts(at)
    assert f'"set": "{token}"' in script and "SameSite=Strict" in script and "Secure" in script
    assert "Max-Age=" in script and "Expires" not in script  # set without expiry: a session cookie


def test_a_new_session_is_signed_in_by_the_cookie_once(demo_copy, monkeypatch):
    engine = open_database(demo_copy)
    token = auth.login(engine, name="manager", password="demo-manager")
    browser_sends(monkeypatch, token)
    at = app(demo_copy).run()  # a refresh: a new Streamlit session, nothing in its state
    assert not at.exception
    assert at.title[0].value == "总览" and "当前用户：王经理（经理）" in [c.value for c in at.sidebar.caption]
    assert at.session_state[TOKEN_KEY] == token
    at.sidebar.button(key="sign_out").click().run()  # the cookie is not taken up again after a sign-out
    assert at.title[0].value == "登录" and not at.info  # signed out, and no "session ended" note
    assert auth.current_user(engine, token) is None
    (script,) = cookie_scripts(at)
    assert f'"clear": "{token}"' in script  # cleared only while it still holds this token


def test_a_cookie_of_an_ended_session_signs_nobody_in(demo_copy, monkeypatch):
    engine = open_database(demo_copy)
    token = auth.login(engine, name="manager", password="demo-manager")
    with engine.begin() as conn:  # signed in 13 hours ago, active a minute ago
        conn.execute(
            sa.update(UserSession).values(
                created_at=dt.datetime.now() - dt.timedelta(hours=13),
                last_seen_at=dt.datetime.now() - dt.timedelta(minutes=1),
            )
        )
    browser_sends(monkeypatch, token)
    at = app(demo_copy).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "登录" and TOKEN_KEY not in at.session_state
    assert [i.value for i in at.info] == [
        "会话已结束（长时间未操作、登录已满 12 小时，或已在其他标签页退出），请重新登录。"
    ]
    (script,) = cookie_scripts(at)
    assert f'"clear": "{token}"' in script


@pytest.mark.parametrize("value", ["forged", "</script><script>alert(1)</script>", "x" * 43 + '"'])
def test_a_forged_cookie_is_nobody_and_never_reaches_the_page(demo_copy, monkeypatch, value):
    browser_sends(monkeypatch, value)
    at = app(demo_copy).run()
    assert not at.exception and at.title[0].value == "登录"
    assert cookie_scripts(at) == []  # nothing but a token of ours goes into a script


# ---- the view in the URL (issue 12 item 4) ---------------------------------------------------------------

VIEW = {"lang": "en", "period": "2026-05-01..2026-05-31", "store": "1", "channel": "2,3"}


def test_a_copied_link_opens_its_view_after_sign_in(demo_copy):
    at = app(demo_copy, VIEW).run()
    assert at.title[0].value == "Sign in"  # the login page already speaks the link's language
    assert dict(at.query_params) == VIEW  # kept for after the sign-in
    at.text_input(key="login_name").set_value("manager")
    at.text_input(key="login_password").set_value("demo-manager")
    at.button[0].click().run()
    assert not at.exception and at.title[0].value == "Overview"
    assert at.date_input(key="f_period").value == (dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    assert at.multiselect(key="f_store").value == [1] and at.multiselect(key="f_channel").value == [2, 3]
    assert at.multiselect(key="f_region").value == []
    assert dict(at.query_params) == VIEW


def test_the_url_follows_the_view(demo_copy):
    at = sign_in(app(demo_copy), demo_copy, "manager").run()
    at.sidebar.segmented_control(key="lang").set_value("en").run()
    at.multiselect(key="f_region").set_value([1, 2]).run()
    at.date_input(key="f_period").set_value((dt.date(2026, 6, 1), dt.date(2026, 6, 7))).run()
    assert dict(at.query_params) == {"lang": "en", "period": "2026-06-01..2026-06-07", "region": "1,2"}
    at.multiselect(key="f_region").set_value([]).run()
    assert "region" not in at.query_params


@pytest.mark.parametrize(
    "query",
    [
        {"lang": "fr", "period": "2026-05-31..2026-05-01", "store": "1;DROP", "meeting": "x"},
        {"period": "'; --", "store": "-1,0", "channel": "9" * 40, "population": "<b>"},
    ],
)
def test_a_mangled_link_opens_the_default_view(demo_copy, query):
    at = app(demo_copy, query)
    sign_in(at, demo_copy, "manager").run()
    assert not at.exception and at.title[0].value == "总览"
    assert at.multiselect(key="f_store").value == [] and at.multiselect(key="f_channel").value == []
    assert dict(at.query_params) == {"lang": "zh", "period": "2026-06-01..2026-06-30"}  # the default view


def test_the_weekly_review_meeting_is_in_the_url(demo_copy):
    engine = open_database(demo_copy)
    older, newer = (
        review.open_meeting(engine, population="owners", week=dt.date(2026, 6, day), actor="王经理")
        for day in (8, 22)
    )
    at = sign_in(app(demo_copy), demo_copy, "manager").run()
    at.switch_page("../pages/review.py").run()
    at.selectbox(key="rv_meeting_owners").set_value(older).run()
    assert not at.exception
    assert (at.query_params["population"], at.query_params["meeting"]) == ("owners", str(older))
    fresh = app(demo_copy, {"lang": "zh", "population": "owners", "meeting": str(older)})
    sign_in(fresh, demo_copy, "manager").run()  # a refresh or a copied link of that view
    fresh.switch_page("../pages/review.py").run()
    assert not fresh.exception and fresh.selectbox(key="rv_meeting_owners").value == older != newer
    fresh.switch_page("../pages/funnel.py").run()  # another page: the meeting leaves the URL
    assert "meeting" not in fresh.query_params and "population" not in fresh.query_params
