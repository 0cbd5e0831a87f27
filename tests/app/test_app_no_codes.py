"""No page shows None, nan or a code where a person expects words (issue 12 item 19): every table of every page,
in Chinese, on the demo database, as the role that uses the page."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.test_app_auth import APP
from tests.app.test_app_auth import PAGES as ROLES_OF
from tests.signin import sign_in

EMPTY = {"None", "nan", "NaT", "<NA>", "none", "null"}
CODE = re.compile(r"^[a-z]+(_[a-z0-9]+)+$|^[a-z]+\.[a-z_.]+$")  # snake_case or dotted.codes
ALLOWED = {
    "数据表（库中名称）"
}  # the data page names each table as the database does, beside its Chinese name
# every page as a manager where a manager may open it, else as an admin; the staff pages as staff too
PAGES = [("manager" if "manager" in roles else "admin", page) for page, roles in ROLES_OF.items()] + [
    ("staff", page) for page, roles in ROLES_OF.items() if "staff" in roles
]


@pytest.mark.parametrize(("role", "page"), PAGES, ids=[f"{r}-{p}" for r, p in PAGES])
def test_tables_show_words_not_none_or_codes(demo_copy, role, page):
    at = AppTest.from_file(APP, default_timeout=180)
    at.secrets["database_url"] = demo_copy
    at.session_state["lang"] = "zh"
    sign_in(at, demo_copy, role)
    at.run()
    at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    bad = set()
    for element in at.dataframe:
        value = element.value
        if value is None:
            continue
        frame = pd.DataFrame(getattr(value, "data", value))
        for col in frame.columns:
            if col in ALLOWED:
                continue
            for cell in frame[col].tolist():
                text = str(cell)
                if text in EMPTY or CODE.match(text):
                    bad.add((col, text))
    assert sorted(bad) == []


def test_lab_versions_table_with_a_draft_shows_no_none_and_names_people(demo_copy):
    from core.access import auth
    from core.scoring.publishing import published, save_draft
    from core.storage.db import open_database

    engine = open_database(demo_copy)
    with engine.connect() as conn:
        spec = published(conn=conn, population="owners").params
    save_draft(engine, spec, name="分析师的草稿", actor="analyst")  # a draft: never published
    auth.ensure_demo_accounts(
        engine
    )  # the demo's people: 'analyst' is 李分析 (a fresh copy has no accounts yet)
    engine.dispose()
    at = AppTest.from_file(APP, default_timeout=180)
    at.secrets["database_url"] = demo_copy
    at.session_state["lang"] = "zh"
    sign_in(at, demo_copy, "manager")
    at.run()
    at.switch_page("../pages/lab.py").run()
    assert not at.exception
    versions = next(d.value for d in at.dataframe if "发布时间" in getattr(d.value, "columns", []))
    draft = versions[versions["状态"] == "草稿"].iloc[0]
    assert draft["发布时间"] == "—" and draft["创建人"] == "李分析"
