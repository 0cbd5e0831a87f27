"""Text from users and files is shown as text where Streamlit parses Markdown (issue 13 item 11, the places it
names): a link in the 360's ?customer= value, a scheme name with an image, a formula, a colour and a bare URL,
a customer name in the review's print view. No punctuation from data reaches Markdown unescaped."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.storage.db import open_database
from core.storage.models import Customer, ScoringScheme
from core.workflow import review
from tests.app.test_app_auth import APP
from tests.signin import sign_in

HOSTILE = "![x](https://host.example/p.png) $x^2$ :red[赤] www.evil.example \u202e反转"


def unescaped(markdown: str) -> list[str]:
    """Markdown punctuation that came through without a backslash, around the hostile text's own markers."""
    return re.findall(r"(?<!\\)(?:!\[|\]\(|\$x|:red\[|www\.evil|\u202e)", markdown)


def app(url: str, role: str = "manager") -> AppTest:
    import streamlit as st

    st.cache_data.clear()  # the tests change rows behind the app's back (no data-version bump)
    at = AppTest.from_file(APP, default_timeout=180)
    at.secrets["database_url"] = url
    at.session_state["lang"] = "zh"
    sign_in(at, url, role)
    return at.run()


def markdown_bodies(at: AppTest) -> list[str]:
    bodies = [
        x.value
        for kind in ("markdown", "caption", "warning", "info", "error", "success")
        for x in at.get(kind)
    ]
    return [b for b in bodies if isinstance(b, str)]


def test_a_link_in_the_360_address_is_shown_as_text(demo_copy):
    at = app(demo_copy)
    at.query_params["customer"] = "[会话已过期，点此重新登录](https://evil.example/login)"
    at.switch_page("../pages/customer.py").run()
    assert not at.exception
    [warning] = [w.value for w in at.warning]
    assert "会话已过期" in warning and re.findall(r"(?<!\\)\]\(", warning) == []


def test_a_scheme_name_is_shown_as_text_on_tiers_and_overview(demo_copy):
    engine = open_database(demo_copy)
    with engine.begin() as conn:
        conn.execute(sa.update(ScoringScheme).where(ScoringScheme.status == "published").values(name=HOSTILE))
    engine.dispose()
    for page in ("tiers", "overview"):
        at = app(demo_copy)
        at.switch_page(f"../pages/{page}.py").run()
        assert not at.exception
        shown = [b for b in markdown_bodies(at) if "反转" in b]
        assert shown, page
        assert [unescaped(b) for b in shown] == [[] for _ in shown], page


def test_a_customer_name_in_the_print_view_is_text(demo_copy):
    engine = open_database(demo_copy)
    review.open_meeting(engine, population="owners", week=dt.date(2026, 6, 30), actor="manager")
    with engine.begin() as conn:
        mid = conn.execute(sa.text("SELECT id FROM review_meetings")).scalar_one()
        cid = conn.execute(sa.text("SELECT customer_id FROM review_items LIMIT 1")).scalar_one()
        conn.execute(sa.update(Customer).where(Customer.id == cid).values(name=HOSTILE))
    engine.dispose()
    at = app(demo_copy)
    at.query_params["print"] = "1"
    at.query_params["meeting"] = str(mid)
    at.query_params["population"] = "owners"
    at.switch_page("../pages/review.py").run()
    assert not at.exception
    cells = [str(v) for table in at.table for v in table.value.to_numpy().ravel()]
    hostile = [c for c in cells if "反转" in c]
    assert hostile and [unescaped(c) for c in hostile] == [[] for _ in hostile]
