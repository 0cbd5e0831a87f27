"""The admin pages speak the reader's language: audit actions, fields and people in words, no None or raw dicts."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from core.access import audit, auth
from core.storage.db import open_database, write_transaction
from dashboard.i18n import TEXT
from tests.app.test_app_auth import app
from tests.signin import sign_in

CODE = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")  # what an untranslated action code looks like


@pytest.mark.parametrize("action", audit.ACTIONS)
def test_every_audit_action_has_a_label_in_both_languages(action):
    zh, en = TEXT[f"audit.act.{action}"]
    assert zh and en and zh != en and not zh.isascii()


def test_an_unlisted_action_is_refused_so_it_can_never_show_as_a_code():
    engine = open_database("sqlite://")
    with pytest.raises(ValueError, match="unknown audit action"), write_transaction(engine) as conn:
        audit.record(conn, actor="x", action="scheme.unheard_of")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_audit_page_shows_actions_people_and_details_as_words(demo_copy, lang):
    engine = open_database(demo_copy)
    auth.create_user(engine, name="lihua", role="manager", password="lihua-pass-1", actor="admin",
                     display_name="李华")  # fmt: skip
    auth.update_user(engine, name="lihua", actor="admin", role="analyst", active=True)
    engine.dispose()
    at = sign_in(app(demo_copy, lang), demo_copy, "admin").run()
    at.switch_page("../pages/audit.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    cols = {c: TEXT[f"audit.col.{c}"][0 if lang == "zh" else 1] for c in ("action", "actor", "detail")}
    actions = table[cols["action"]].tolist()
    assert actions and not [a for a in actions if CODE.match(str(a))]
    assert not [d for d in table[cols["detail"]] if "{" in str(d) or "None" in str(d)]
    change = table[table[cols["action"]] == TEXT["audit.act.user.update"][0 if lang == "zh" else 1]]
    detail = change[cols["detail"]].iloc[0]
    assert ("角色" if lang == "zh" else "role") in detail and "analyst" in detail
    # the admin's own sign-in shows the admin by display name and login name
    actors = set(table[cols["actor"]])
    display = auth.DEMO_ACCOUNTS[0][2]
    assert f"{display}（admin）" in actors


def test_users_page_shows_no_none_and_advisors_by_name(demo_copy):
    at = sign_in(app(demo_copy), demo_copy, "admin").run()
    at.switch_page("../pages/users.py").run()
    assert not at.exception
    table: pd.DataFrame = at.dataframe[0].value
    cells = [str(v) for v in table.to_numpy().ravel()]
    assert "None" not in cells and "nan" not in cells and "NaT" not in cells
    assert set(table["启用"]) <= {"是", "否"}
    staff = table[table["用户名"] == "staff"]
    assert staff["对应顾问"].iloc[0].endswith(tuple("0123456789")) and "#" in staff["对应顾问"].iloc[0]
