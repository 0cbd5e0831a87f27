"""跟踪纪律 signed in as an advisor (staff): their own figures and an unnamed team average only; no colleague's
name, overdue count or on-time rate anywhere on the page (item 12 of issue 12)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import copy_sqlite
from streamlit.testing.v1 import AppTest

from core.analytics import followup
from core.storage.db import open_database
from core.storage.models import Advisor
from tests.signin import sign_in

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
FOLLOWUP = "../pages/followup.py"
AT = dt.datetime(2026, 7, 1)  # the end of the demo's last day, as the page takes it


@pytest.fixture(autouse=True)
def _no_env_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


@pytest.fixture(scope="module")
def demo(demo_db, tmp_path_factory):
    url = copy_sqlite(demo_db.pristine, tmp_path_factory.mktemp("fu-staff") / "demo.sqlite")
    engine = open_database(url)
    yield url, engine
    engine.dispose()


def followup_page(url: str, role: str, name: str, advisor_id: int | None = None) -> AppTest:
    import streamlit as st

    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=180)
    at.secrets["database_url"] = url
    at.session_state["lang"] = "zh"
    sign_in(at, url, role, name=name, advisor_id=advisor_id)
    at.run()
    at.switch_page(FOLLOWUP).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown_text(at: AppTest) -> str:
    """Every table cell, caption, metric and chart spec of the page, as one string."""
    parts = [f.value.to_csv() for f in at.dataframe if f.value is not None]
    parts += [c.value for c in at.caption] + [f"{m.label}={m.value}" for m in at.metric]
    parts += [el.proto.spec for el in at.get("plotly_chart")]
    return "\n".join(parts)


def test_an_advisor_sees_their_own_figures_and_an_unnamed_team_average(demo):
    url, engine = demo
    with engine.connect() as conn:
        states = followup.lead_states(conn=conn, at=AT)
        advisors = dict(conn.execute(sa.select(Advisor.id, Advisor.name)).all())
    per = states.groupby("advisor_id")["overdue"].agg(["size", "sum"])
    mine = int(per["sum"].idxmax())  # an advisor with overdue leads, among colleagues who have some too
    own = states[states["advisor_id"] == mine]
    assert len(per) > 2 and (per.drop(mine)["sum"] > 0).any()

    at = followup_page(url, "staff", "adv_fu", advisor_id=mine)
    m = {x.label: x.value for x in at.metric}
    assert m["逾期未跟进"] == f"{int(own['overdue'].sum()):,}" != f"{int(states['overdue'].sum()):,}"
    assert m["跟进达标率"] == f"{1 - own['overdue'].mean():.1%}"
    team_rate = f"{1 - states['overdue'].mean():.1%}"
    assert any(team_rate in c.value and "团队平均" in c.value for c in at.caption)
    # no per-advisor or per-store table; the overdue list is theirs
    assert not any(f.value is not None and "达标率" in f.value.columns for f in at.dataframe)
    late = next(f.value for f in at.dataframe if f.value is not None and "距今天数" in f.value.columns)
    assert set(late["商机"]) == set(own.loc[own["overdue"], "lead_id"])
    # the chart: their own line and the team's, no store or colleague
    names = {tr.get("name") for el in at.get("plotly_chart") for tr in json.loads(el.proto.spec)["data"]}
    assert names == {"我的达标率", "团队平均"}
    # no colleague appears anywhere: neither by (masked) name and id nor by id label
    text = shown_text(at)
    for advisor_id, name in advisors.items():
        if advisor_id != mine:
            assert f"#{advisor_id}" not in text
            assert name not in text


def test_a_manager_still_sees_every_advisor_and_store(demo):
    url, engine = demo
    with engine.connect() as conn:
        adv = followup.compliance_by(conn=conn, at=AT, by="advisor", show_pii=True)
    at = followup_page(url, "manager", "manager")
    table = next(f.value for f in at.dataframe if f.value is not None and "门店" in f.value.columns)
    assert table["名称"].tolist() == adv["name"].tolist()


def test_an_account_tied_to_no_advisor_sees_no_ones_figures(demo):
    url, _ = demo
    at = followup_page(url, "staff", "adv_none")
    m = {x.label: x.value for x in at.metric}
    assert m["逾期未跟进"] == "0" and m["跟进达标率"] == "—"
