"""The weekly review, follow-up discipline and customer 360 pages through the real Streamlit runtime (AppTest),
on a demo database of their own (they write) with a second owners version published, so there are changes.
Every action of the pages is exercised and its effect checked in the database."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import review_fixtures as fx
import sqlalchemy as sa
from conftest import copy_sqlite
from streamlit.testing.v1 import AppTest

from core.access import auth
from core.analytics import followup
from core.storage.db import open_database
from core.storage.models import AuditLog, Customer, Defeat, FollowUp, Lead, Purchase, ReviewItem, TierOverride
from core.workflow import customer360, overrides, review
from core.workflow import defeat_approval as da
from tests.signin import sign_in

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
REVIEW, FOLLOWUP, CUSTOMER = "../pages/review.py", "../pages/followup.py", "../pages/customer.py"


def no_period(link: str) -> str:
    return re.sub(r"&period=[^&]*", "", link)


def customer_link(customer_id, query: str = "") -> str:
    """A list's link to a customer's 360: the view's language (and period, filters) travel with it."""
    return f"customer?lang=zh{query}&customer={int(customer_id)}"


@pytest.fixture(autouse=True)
def _no_env_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Cached reads are keyed on the data version, not the database: copies of one template reach the same
    versions, so one test's cached read must not serve the next test's database."""
    import streamlit as st

    st.cache_data.clear()


@pytest.fixture(scope="module")
def template(demo_db, tmp_path_factory):
    """The demo (300 customers, seed 7) with owners v2 published: made once, copied for every test."""
    path = tmp_path_factory.mktemp("review-app") / "template.sqlite"
    engine = open_database(copy_sqlite(demo_db.pristine, path))
    fx.publish_second_version(engine)
    engine.dispose()
    return path


@pytest.fixture
def db(template, tmp_path):
    dst = tmp_path / "review.sqlite"
    with closing(sqlite3.connect(template)) as src, closing(sqlite3.connect(dst)) as out:
        src.backup(out)
    url = f"sqlite:///{dst}"
    engine = open_database(url)
    yield url, engine
    engine.dispose()


def page(
    url: str, path: str, *, lang: str = "zh", name: str | None = None, role: str = "manager", **query: str
) -> AppTest:
    """The app signed in as ``name`` (an account of ``role``; the demo account of the role without a name)."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.secrets["database_url"] = url
    at.session_state["lang"] = lang
    sign_in(at, url, role, name=name)
    at.run()
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def find_table(at: AppTest, *columns: str):
    """The first table of the page that has all ``columns`` (AppTest does not expose a dataframe's key)."""
    for frame in at.dataframe:
        value = frame.value
        if value is not None and all(c in value.columns for c in columns):
            return value
    raise AssertionError(f"no table with columns {columns}")


def messages(at: AppTest) -> dict[str, list[str]]:
    return {kind: [m.value for m in getattr(at, kind)] for kind in ("success", "error", "warning", "info")}


def open_meeting_in_app(url: str) -> AppTest:
    at = page(url, REVIEW, name="王五")
    at.button(key="rv_open").click().run()
    assert not at.exception
    return at


def the_meeting(engine) -> tuple[int, list]:
    with engine.connect() as conn:
        mid = int(review.meetings(conn=conn, population="owners")["id"].iloc[0])
        return mid, review.items(conn=conn, meeting_id=mid, show_pii=True)  # managers see names


def submit(at: AppTest) -> AppTest:
    [button] = [b for b in at.button if b.label in ("保存", "Save")]
    return button.click().run()


# ---- review page ---------------------------------------------------------------------------------------


def test_the_signed_in_user_is_the_one_who_decides(db):
    url, _ = db
    at = page(url, REVIEW, name="王五")
    assert at.title[0].value == "周会复盘"
    assert "当前用户：王五" in [c.value for c in at.caption]
    assert not at.button(key="rv_open").disabled
    assert any("还没有例会" in m for m in messages(at)["info"])


def test_only_a_manager_is_offered_to_start_the_meeting(db):
    """An advisor gets no start button and no hint about a name field; a manager starts it from the page."""
    url, engine = db
    at = page(url, REVIEW, role="staff")
    assert not [b for b in at.button if b.key == "rv_open"]
    assert "本周例会由经理开始。" in [c.value for c in at.caption]
    shown = " ".join(m for kind in messages(at).values() for m in kind)
    assert "例会由经理开始" in shown and "名字" not in shown
    at = page(url, REVIEW, role="staff", lang="en")
    assert "A manager starts this week's meeting." in [c.value for c in at.caption]
    at = page(url, REVIEW, role="manager")
    assert "名字" not in " ".join(m for kind in messages(at).values() for m in kind)
    at.button(key="rv_open").click().run()
    assert "本周例会已开始。" in messages(at)["success"]
    with engine.connect() as conn:
        assert len(review.meetings(conn=conn, population="owners")) == 1


def test_an_advisor_sees_only_their_own_customers(db):
    url, engine = db
    open_meeting_in_app(url)
    mid, items = the_meeting(engine)
    mine = int(items["advisor_id"].dropna().iloc[0])
    at = page(url, REVIEW, name="adv1", role="staff")
    assert not at.exception
    with engine.begin() as conn:  # tie the advisor account to one advisor
        conn.execute(sa.text("UPDATE users SET advisor_id = :a WHERE name = 'adv1'"), {"a": mine})
    at = page(url, REVIEW, name="adv1", role="staff")
    table = find_table(at, "决定", "已讨论")
    assert table["客户编号"].tolist() == items.loc[items["advisor_id"] == mine, "customer_id"].tolist()
    other = int(items.loc[items["advisor_id"] != mine, "customer_id"].iloc[0])
    at = page(url, CUSTOMER, name="adv1", role="staff", customer=str(other))
    assert at.error and "不是你负责的客户" in at.error[0].value
    assert not at.dataframe


def test_open_meeting_shows_the_changes_grouped_by_advisor_with_progress(db):
    url, engine = db
    at = open_meeting_in_app(url)
    assert "本周例会已开始。" in messages(at)["success"]
    mid, items = the_meeting(engine)
    assert len(items) > 5
    assert at.get("progress")[0].proto.text == f"0 / {len(items)} 已复核"
    table = find_table(at, "决定", "已讨论")
    assert len(table) == len(items)
    assert table["顾问"].tolist() == items["advisor"].tolist()  # grouped: sorted by advisor
    assert table["客户编号"].tolist() == items["customer_id"].tolist()
    assert [no_period(x) for x in table["客户360"]] == [customer_link(c) for c in items["customer_id"]]
    first = items.iloc[0]
    assert (
        table["原级别"].iloc[0] == (first["old_tier"] or "—") and table["新级别"].iloc[0] == first["new_tier"]
    )
    with engine.connect() as conn:
        who = conn.execute(
            sa.select(AuditLog.actor).where(AuditLog.action == "review.open_meeting")
        ).scalar_one()
    assert who == "王五"


def test_override_with_a_reason_is_saved_and_shown_in_the_customer_360(db):
    url, engine = db
    at = open_meeting_in_app(url)
    _, items = the_meeting(engine)
    item = items.iloc[1]
    iid, cid = int(item["id"]), int(item["customer_id"])
    at.selectbox(key="rv_item").set_value(iid).run()
    at.radio(key=f"rv_decision_{iid}").set_value("overridden")
    at.selectbox(key=f"rv_tier_{iid}").set_value("高价值")
    at.text_input(key=f"rv_reason_{iid}").input("转介绍了三位朋友")
    at.text_area(key=f"rv_note_{iid}").input("周会一致同意")
    at.checkbox(key=f"rv_discussed_{iid}").check()
    submit(at)
    assert not at.exception
    assert "已保存。" in messages(at)["success"], messages(at)
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(ReviewItem.decision, ReviewItem.decided_tier, ReviewItem.reason, ReviewItem.decided_by,
                      ReviewItem.discussed, ReviewItem.row_version).where(ReviewItem.id == iid)
        ).one()  # fmt: skip
        ov = conn.execute(
            sa.select(TierOverride.tier, TierOverride.created_by).where(TierOverride.customer_id == cid)
        ).one()
    assert tuple(row) == ("overridden", "高价值", "转介绍了三位朋友", "王五", True, 3)
    assert tuple(ov) == ("高价值", "王五")
    assert at.get("progress")[0].proto.text == f"1 / {len(items)} 已复核"

    c360 = page(url, CUSTOMER, customer=str(cid))
    table = find_table(c360, "调整人")
    assert table.iloc[0][["级别", "理由（人工调整必填）", "调整人", "状态"]].tolist() == [
        "高价值", "转介绍了三位朋友", "王五", "生效中",
    ]  # fmt: skip
    tier_metric = [m for m in c360.metric if m.label == "生效级别"][0]
    assert tier_metric.value == "高价值" and "人工调整" in tier_metric.delta


def test_override_without_a_reason_is_refused_with_what_to_fix(db):
    url, engine = db
    at = open_meeting_in_app(url)
    _, items = the_meeting(engine)
    iid = int(items.iloc[0]["id"])
    at.radio(key=f"rv_decision_{iid}").set_value("overridden")
    submit(at)
    assert "调整级别必须填写理由。" in messages(at)["error"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(ReviewItem.decision).where(ReviewItem.id == iid)).scalar_one() is None


def test_a_conflicting_save_shows_the_other_change_and_keeps_it(db):
    url, engine = db
    at = open_meeting_in_app(url)
    _, items = the_meeting(engine)
    iid = int(items.iloc[0]["id"])
    # the form is on screen (row_version 1 read); meanwhile 李四 saves from another session
    review.decide(
        engine, item_id=iid, read_version=1, decision="overridden", actor="李四", tier="流失风险",
        reason="已咨询竞品", now=dt.datetime(2026, 7, 6, 10, 2),
    )  # fmt: skip
    at.radio(key=f"rv_decision_{iid}").set_value("confirmed")
    submit(at)
    [error] = messages(at)["error"]
    assert error == "李四 已于 10:02 将其改为 流失风险：已咨询竞品；你的修改未保存，请刷新后再决定。"
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(ReviewItem.decision, ReviewItem.decided_by).where(ReviewItem.id == iid)
        ).one()
    assert tuple(row) == ("overridden", "李四")


def test_bulk_confirm_of_one_advisors_group(db):
    url, engine = db
    at = open_meeting_in_app(url)
    _, items = the_meeting(engine)
    advisor = items["advisor"].iloc[0]
    group = items[items["advisor"] == advisor]
    at.multiselect(key="rv_advisor").set_value([advisor]).run()
    assert len(find_table(at, "决定", "已讨论")) == len(group)
    at.button(key="rv_bulk").click().run()
    assert f"已确认 {len(group)} 位客户。" in messages(at)["success"]
    _, after = the_meeting(engine)
    decided = after[after["decision"].notna()]
    assert sorted(decided["id"]) == sorted(group["id"])
    assert set(decided["decision"]) == {"confirmed"} and set(decided["decided_by"]) == {"王五"}
    assert at.button(key="rv_bulk").disabled  # nothing left open in this group


def test_print_view_has_no_widgets_and_lists_every_change(db):
    url, engine = db
    open_meeting_in_app(url)
    mid, items = the_meeting(engine)
    at = page(url, REVIEW, print="1", meeting=str(mid))
    assert not at.main.button and not at.text_input and not at.selectbox and not at.radio  # sidebar: sign-out
    tables = at.table
    assert sum(len(t.value) for t in tables) == len(items)
    assert len(tables) == items["advisor"].nunique()


def test_review_page_in_english(db):
    url, _ = db
    open_meeting_in_app(url)
    at = page(url, REVIEW, lang="en", name="Wang")
    assert at.title[0].value == "Weekly review"
    assert "reviewed" in at.get("progress")[0].proto.text
    assert "Customer 360" in find_table(at, "Decision", "Discussed").columns


def _pending(engine) -> int:
    with engine.connect() as conn:
        lead = (
            conn.execute(sa.select(Lead.id).where(Lead.status == "open").order_by(Lead.id)).scalars().first()
        )
    return da.request_defeat(engine, lead_id=lead, reason="price", sub_reason="dealer_markup", actor="赵六")


def test_defeat_approvals_return_needs_a_note_then_approve(db):
    url, engine = db
    did = _pending(engine)
    at = page(url, REVIEW, name="店总")
    table = find_table(at, "申请编号")
    assert table["申请编号"].tolist() == [did]
    assert table["战败原因"].iloc[0] == "价格 / 经销商加价"
    at.button(key="df_return").click().run()
    assert "退回时请写明原因。" in messages(at)["error"]
    at.text_input(key=f"df_note_{did}").input("客户还在比价，再跟一周")
    at.button(key="df_return").click().run()
    assert "已退回，商机继续跟进。" in messages(at)["success"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(Defeat.approval, Defeat.approval_by).where(Defeat.id == did)).one() == (
            "returned", "店总",
        )  # fmt: skip
    did2 = _pending(engine)
    assert did2 == did  # the same lead asked again: the same row, pending again
    at.run()
    at.button(key="df_approve").click().run()
    assert "已批准，商机已关闭为战败。" in messages(at)["success"]
    with engine.connect() as conn:
        lead_id = conn.execute(sa.select(Defeat.lead_id).where(Defeat.id == did)).scalar_one()
        assert conn.execute(sa.select(Lead.status).where(Lead.id == lead_id)).scalar_one() == "defeated"


# ---- customer 360 ----------------------------------------------------------------------------------------


def test_customer_360_profile_is_masked_and_the_score_adds_up(db):
    url, engine = db
    with engine.connect() as conn:
        cid = int(
            conn.execute(
                sa.text(
                    "SELECT MIN(customer_id) FROM tier_assignments WHERE effective_to IS NULL AND scheme_id IN "
                    "(SELECT id FROM scoring_schemes WHERE population = 'owners')"
                )
            ).scalar_one()
        )
        raw = customer360.profile(conn=conn, customer_id=cid, show_pii=True)
        n_events = sum(
            conn.execute(
                sa.select(sa.func.count()).select_from(tbl).where(tbl.customer_id == cid)
            ).scalar_one()
            for tbl in (FollowUp, Purchase)
        )
    at = page(url, CUSTOMER, role="analyst", customer=str(cid))  # analysts may not see personal data
    text = " ".join(m.value for m in at.markdown).replace("\\", "")  # markdown escapes of the data
    assert raw["phone"] not in text and raw["name"] not in text
    assert customer360.profile(conn=engine.connect(), customer_id=cid)["phone"] in text
    caption = [c.value for c in at.caption if "分（各维度得分之和）" in c.value][0]
    parts = find_table(at, "标准化值")
    assert f"{parts['得分'].sum():.1f} 分" in caption
    with engine.connect() as conn:  # the score stored when v2 was published, on the same day's data
        stored = conn.execute(
            sa.text("SELECT score FROM tier_assignments WHERE customer_id = :c AND effective_to IS NULL "
                    "AND scheme_id IN (SELECT id FROM scoring_schemes WHERE population = 'owners')"),
            {"c": cid},
        ).scalar_one()  # fmt: skip
    assert parts["得分"].sum() == pytest.approx(stored, abs=0.02)
    timeline = find_table(at, "事件")
    assert (timeline["事件"].isin(["跟进", "消费"])).sum() == n_events
    history = find_table(at, "失效")
    assert len(history) >= 2 and set(history["版本"]) >= {1, 2}


def test_customer_360_bad_and_unknown_ids(db):
    url, _ = db
    at = page(url, CUSTOMER, customer="abc")
    assert any("不是有效的客户编号" in w for w in messages(at)["warning"])
    at = page(url, CUSTOMER, customer="999999")
    assert any("没有编号为 999999 的客户" in w for w in messages(at)["warning"])
    at = page(url, CUSTOMER)
    assert any("输入客户编号" in i for i in messages(at)["info"])


def test_customer_360_search_by_last_four_digits_masked_and_own_only(db):
    """The search lists customers by the last four digits of their phone, masked for a role without personal
    data; an advisor finds only their own customers."""
    url, engine = db
    with engine.connect() as conn:
        rows = conn.execute(  # the model opens the sealed name and phone
            sa.select(Customer.id, Customer.name, Customer.phone, Customer.advisor_id).order_by(Customer.id)
        ).all()
    cid, name, phone, advisor = rows[0]
    last4 = phone[-4:]
    same = [r.id for r in rows if r.phone and r.phone.endswith(last4)]
    at = page(url, CUSTOMER, role="manager")
    at.text_input(key="c360_q").input(last4).run()
    hits = find_table(at, "客户编号", "匹配")
    assert hits["客户编号"].tolist() == same[:50]
    assert phone in hits["手机号"].tolist() and set(hits["匹配"]) == {"手机后四位"}
    at = page(url, CUSTOMER, role="analyst")  # analysts may not see personal data
    at.text_input(key="c360_q").input(last4).run()
    hits = find_table(at, "客户编号", "匹配")
    assert phone not in hits["手机号"].tolist() and name not in hits["姓名"].tolist()
    assert hits["手机号"].iloc[0] == f"{phone[:3]}****{last4}"
    at.text_input(key="c360_q").input(name).run()  # by name, still masked
    assert cid in find_table(at, "客户编号", "匹配")["客户编号"].tolist()
    at = page(url, CUSTOMER, role="staff", name="adv1")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET advisor_id = :a WHERE name = 'adv1'"), {"a": advisor})
    at = page(url, CUSTOMER, role="staff", name="adv1")
    at.text_input(key="c360_q").input(last4).run()
    mine = [r.id for r in rows if r.phone and r.phone.endswith(last4) and r.advisor_id == advisor]
    assert find_table(at, "客户编号", "匹配")["客户编号"].tolist() == mine[:50]
    other = next(r for r in rows if r.advisor_id != advisor)
    at.text_input(key="c360_q").input(other.phone).run()
    assert any("没有找到" in m for m in messages(at)["info"])
    at = page(url, CUSTOMER, role="manager", lang="en")
    at.text_input(key="c360_q").input(name[:1]).run()  # a surname: many match, at most 50 are listed
    hits = find_table(at, "Customer id", "Matched by")
    assert 0 < len(hits) <= 50 and set(hits["Matched by"]) <= {"Name"}
    assert any(c.value.startswith(("More than 50", f"{len(hits)} customers found")) for c in at.caption)


def test_customer_360_clear_override_is_recorded(db):
    url, engine = db
    with engine.connect() as conn:
        cid = int(
            conn.execute(
                sa.text(
                    "SELECT MIN(customer_id) FROM tier_assignments WHERE effective_to IS NULL AND scheme_id IN "
                    "(SELECT id FROM scoring_schemes WHERE population = 'owners')"
                )
            ).scalar_one()
        )
    oid = overrides.set_override(
        engine, customer_id=cid, population="owners", tier="普通", reason="试一下", actor="王五"
    )
    at = page(url, CUSTOMER, name="李四", customer=str(cid))
    at.button(key=f"c360_clear_{oid}").click().run()
    assert messages(at)["success"] == ["已取消人工调整，恢复计算级别。"]
    with engine.connect() as conn:
        assert (
            conn.execute(sa.select(TierOverride.cleared_by).where(TierOverride.id == oid)).scalar_one()
            == "李四"
        )
    assert find_table(at, "调整人")["状态"].tolist() == ["已取消"]


def test_customer_360_mark_as_defeated_goes_to_the_approval_list(db):
    url, engine = db
    with engine.connect() as conn:
        lead = conn.execute(
            sa.select(Lead.id, Lead.customer_id).where(Lead.status == "open").order_by(Lead.id)
        ).first()
    at = page(url, CUSTOMER, name="赵六", customer=str(lead.customer_id))
    at.selectbox(key="c360_df_reason").set_value("competitor")
    at.text_input(key="c360_df_brand").input("比亚迪")
    [button] = [b for b in at.button if b.label == "提交战败申请"]
    button.click().run()
    assert "战败申请已提交，等待经理审批。" in messages(at)["success"]
    with engine.connect() as conn:
        pending = da.pending_defeats(conn=conn)
    assert pending[["customer_id", "reason", "competitor_brand", "requested_by"]].values.tolist() == [
        [lead.customer_id, "competitor", "比亚迪", "赵六"]
    ]


# ---- follow-up page and the links from other lists -----------------------------------------------------------


def test_followup_page_figures_are_the_core_figures(db):
    url, engine = db
    at = page(url, FOLLOWUP)
    assert at.title[0].value == "跟踪纪律"
    at_time = dt.datetime(2026, 7, 1)
    with engine.connect() as conn:
        states = followup.lead_states(conn=conn, at=at_time, current=True)
        flags = followup.pool_flags(conn=conn, at=at_time)
        adv = followup.compliance_by(conn=conn, at=at_time, by="advisor", current=True)
    m = {x.label: x.value for x in at.metric}
    rate = 1 - states["overdue"].mean()
    assert m["跟进达标率"] == f"{rate:.1%}"
    assert m["逾期未跟进"] == f"{int(states['overdue'].sum()):,}"
    assert m["新线索 2 小时未联系"] == str(int((flags["flag"] == "uncontacted_2h").sum()))
    table = find_table(at, "达标率", "门店")
    assert table["逾期"].tolist() == adv["overdue"].tolist()
    assert table["达标率"].tolist() == pytest.approx(adv["rate"].tolist())
    late = find_table(at, "距今天数")
    assert len(late) == int(states["overdue"].sum())
    assert late["客户360"].iloc[0].startswith("customer?lang=zh")


def test_tiers_and_defeats_lists_link_to_the_customer_360(db):
    url, _ = db
    at = page(url, "../pages/tiers.py")
    members = find_table(at, "客户360")
    assert [no_period(x) for x in members["客户360"]] == [customer_link(c) for c in members["客户编号"]]
    at = page(url, "../pages/defeats.py")
    at.sidebar.date_input(key="f_period").set_value((dt.date(2025, 7, 1), dt.date(2026, 6, 30))).run()
    cand = find_table(at, "客户360")
    assert len(cand) and cand["客户360"].str.startswith("customer?lang=zh").all()


def test_mark_discussed_without_deciding_and_back(db):
    url, engine = db
    at = open_meeting_in_app(url)
    _, items = the_meeting(engine)
    iid = int(items.iloc[0]["id"])
    at.button(key="rv_discussed_toggle").click().run()
    assert "已保存。" in messages(at)["success"]
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(ReviewItem.discussed, ReviewItem.decision).where(ReviewItem.id == iid)
        ).one()
    assert tuple(row) == (True, None)
    assert at.button(key="rv_discussed_toggle").label == "取消“已讨论”"
    at.button(key="rv_discussed_toggle").click().run()
    with engine.connect() as conn:
        assert conn.execute(sa.select(ReviewItem.discussed).where(ReviewItem.id == iid)).scalar_one() is False
    actions = [a for (a,) in engine.connect().execute(sa.select(AuditLog.action))]
    assert actions.count("review.discussed") == 2


def test_followup_overdue_list_filters_by_advisor(db):
    url, engine = db
    at = page(url, FOLLOWUP)
    late = find_table(at, "距今天数")
    advisor = late["顾问"].iloc[0]
    at.multiselect(key="fu_advisor").set_value([advisor]).run()
    only = find_table(at, "距今天数")
    assert set(only["顾问"]) == {advisor} and len(only) == (late["顾问"] == advisor).sum()


def test_lab_movers_link_to_the_customer_360(db):
    url, _ = db
    at = page(url, "../pages/lab.py")
    at.slider(key="lab_w_amount_12m_owners").set_value(30).run()
    at.slider(key="lab_w_purchases_12m_owners").set_value(40).run()
    assert not at.exception
    movers = [f.value for f in at.dataframe if f.value is not None and "客户360" in f.value.columns]
    assert movers and all(len(m) for m in movers)
    for m in movers:
        assert [re.sub(r"period=[^&]*&", "", x) for x in m["客户360"]] == [
            customer_link(c) for c in m["客户编号"]
        ]


def test_followup_and_customer_pages_in_english(db):
    url, engine = db
    at = page(url, FOLLOWUP, lang="en")
    assert at.title[0].value == "Follow-up discipline"
    assert {"On-time rate", "Overdue", "A leads silent for 48 h"} <= {m.label for m in at.metric}
    with engine.connect() as conn:
        cid = int(conn.execute(sa.text("SELECT customer_id FROM tier_assignments LIMIT 1")).scalar_one())
    at = page(url, CUSTOMER, lang="en", customer=str(cid))
    assert at.title[0].value == "Customer 360"
    assert "Event" in find_table(at, "Event").columns
    assert not {"跟进", "消费"} & set(find_table(at, "Event")["Event"])


def test_confirm_one_customer_with_a_comment(db):
    url, engine = db
    at = open_meeting_in_app(url)
    _, items = the_meeting(engine)
    iid = int(items.iloc[0]["id"])
    at.text_input(key=f"rv_reason_{iid}").input("同意系统结果")
    submit(at)
    assert "已保存。" in messages(at)["success"]
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                ReviewItem.decision, ReviewItem.decided_tier, ReviewItem.reason, ReviewItem.override_id
            ).where(ReviewItem.id == iid)
        ).one()
    assert tuple(row) == ("confirmed", items.iloc[0]["new_tier"], "同意系统结果", None)
    # the agenda shows only open customers by default: the confirmed one has left it
    assert int(items.iloc[0]["customer_id"]) not in find_table(at, "决定", "已讨论")["客户编号"].tolist()
    at.segmented_control(key="rv_status").set_value("decided").run()
    assert find_table(at, "决定", "已讨论")["决定"].tolist() == ["确认"]


@pytest.mark.parametrize("path", [REVIEW, FOLLOWUP, CUSTOMER])
def test_pages_on_an_empty_database_say_what_to_do(sqlite_url, path):
    at = page(sqlite_url, path, customer="1")
    shown = messages(at)
    assert not shown["error"]
    assert shown["info"] or shown["warning"]


def test_a_mover_whose_score_barely_moved_says_the_boundary_moved():
    """Issue 12 item 9: a customer whose points moved by less than 0.05 on every dimension changed tier because
    the percentile boundary moved past it; the reason says so (on screen and in the workbook) instead of
    staying empty."""

    def script():
        import streamlit as st

        from dashboard import review_data as rd

        st.session_state["lang"] = st.session_state.get("want_lang", "zh")
        st.text(rd.reasons_text([], 69.9065, 69.9534))
        st.text(rd.reasons_text([["amount_12m", -16.04], ["purchases_12m", 7.0]], 60.0, 51.0))
        st.text(rd.reasons_text([], None, 51.0) or "—")

    at = AppTest.from_function(script).run()
    assert [x.value for x in at.text] == [
        "得分几乎未变（69.91 → 69.95），分级线移过了它",
        "近12个月消费金额 -16.0；近12个月消费次数 +7.0",
        "—",
    ]
    at.session_state["want_lang"] = "en"
    at.run()
    assert at.text[0].value == "Score barely changed (69.91 → 69.95); the tier boundary moved past it"


def test_people_appear_by_display_name(db):
    """Issue 12 item 19: the meeting says who opened it, and the agenda who decided, by display name."""
    url, engine = db
    auth.create_user(
        engine, name="zhao", role="manager", password="zhao-password", actor="t", display_name="赵总"
    )
    at = page(url, REVIEW, name="zhao")
    at.button(key="rv_open").click().run()
    assert not at.exception
    caption = next(c.value for c in at.caption if "周例会" in c.value)
    assert "由 赵总 发起" in caption and "zhao" not in caption
