"""Sign-in, pages per role and server-side checks, through the real Streamlit runtime (AppTest)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.access import audit, auth
from core.storage.db import open_database
from core.storage.models import ScoringScheme, User, UserSession
from dashboard.access import TOKEN_KEY
from tests.signin import sign_in

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")
PAGES = {  # page file → the roles that may open it (the role table)
    "overview": {"admin", "manager", "analyst"},
    "funnel": {"admin", "manager", "analyst"},
    "defeats": {"admin", "manager", "analyst"},
    "tiers": {"admin", "manager", "analyst"},
    "lab": {"manager", "analyst"},
    "review": {"manager", "staff"},
    "followup": {"manager", "analyst", "staff"},
    "customer": {"admin", "manager", "analyst", "staff"},
    "data": {"admin", "manager"},
    "data_import": {"admin", "manager"},
    "users": {"admin"},
    "audit": {"admin"},
}


@pytest.fixture(autouse=True)
def _no_env_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


def app(url: str, lang: str = "zh") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["database_url"] = url
    at.session_state["lang"] = lang
    return at


def nav_titles(at: AppTest) -> list[str]:
    return [link.label for link in at.sidebar.get("page_link")] if at.sidebar.get("page_link") else []


def test_without_a_session_only_the_login_page_shows_with_the_demo_accounts(demo_copy):
    at = app(demo_copy).run()
    assert not at.exception
    assert at.title[0].value == "登录"
    assert at.caption[0].value.startswith("车商客户分级看板：")  # the login page says what the product is
    assert at.text_input(key="login_name") and at.text_input(key="login_password")
    accounts = at.dataframe[0].value
    assert accounts["用户名"].tolist() == ["admin", "manager", "analyst", "staff"]
    with pytest.raises(ValueError):
        at.switch_page("../pages/overview.py")  # not registered for an anonymous session


def test_the_login_page_says_what_the_product_is_in_english(demo_copy):
    at = app(demo_copy, lang="en").run()
    assert at.title[0].value == "Sign in"
    assert at.caption[0].value.startswith("Dealer customer-tiering dashboard:")


def test_wrong_then_right_password(demo_copy):
    at = app(demo_copy).run()
    at.text_input(key="login_name").set_value("manager")
    at.text_input(key="login_password").set_value("not-the-password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["用户名或密码错误。"]
    assert at.title[0].value == "登录"
    at.text_input(key="login_password").set_value("demo-manager")
    at.button[0].click().run()
    assert not at.exception
    assert at.title[0].value == "总览"
    assert "当前用户：王经理（经理）" in [c.value for c in at.sidebar.caption]
    with open_database(demo_copy).connect() as conn:
        log = audit.search(conn=conn, actor="manager")
    assert log["action"].tolist()[:2] == ["login", "login.failed"]


def test_five_failures_lock_the_account(demo_copy, monkeypatch):
    monkeypatch.setattr(auth.time, "sleep", lambda s: None)  # the slowdown itself is measured in test_auth
    at = app(demo_copy).run()
    for _ in range(auth.MAX_FAILURES):
        at.text_input(key="login_name").set_value("analyst")
        at.text_input(key="login_password").set_value("guess-guess")
        at.button[0].click().run()
    assert at.error[0].value.startswith("登录失败次数过多，请于 ")  # no "account": unknown names lock alike
    at.text_input(key="login_password").set_value("demo-analyst")
    at.button[0].click().run()
    assert at.title[0].value == "登录" and at.error[0].value.startswith("登录失败次数过多")


def test_a_database_without_accounts_says_how_to_make_the_first_admin(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    open_database(url).dispose()
    at = app(url).run()
    assert not at.exception
    assert "python -m core users add --role admin NAME" in [c.value for c in at.code]
    assert not at.text_input  # no login form: there is nobody to log in as
    # a configured (not the embedded default) database gets no anonymous demo-data offer: filling it would
    # create the demo accounts, whose passwords everyone knows
    assert not at.button and not at.number_input


def test_the_embedded_default_database_offers_demo_data_before_any_account(tmp_path, monkeypatch):
    """The README's zero-set-up start: an empty default SQLite file may get demo data from the login page."""
    from core.storage import settings

    monkeypatch.setattr(settings, "DEFAULT_SQLITE_PATH", tmp_path / "default.sqlite")
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception
    assert at.number_input(key="demo_login_n")  # the demo form
    assert "python -m core users add --role admin NAME" in [c.value for c in at.code]


def test_a_real_database_shows_no_demo_accounts(tmp_path):
    url = f"sqlite:///{tmp_path / 'real.sqlite'}"
    engine = open_database(url)
    auth.create_user(engine, name="boss", role="admin", password="a-long-password", actor="cli")
    at = app(url).run()
    assert at.title[0].value == "登录"
    assert not at.dataframe and "演示账号" not in [s.value for s in at.subheader]


@pytest.mark.parametrize("role", auth.ROLES)
def test_pages_per_role(demo_copy, role):
    at = sign_in(app(demo_copy), demo_copy, role)
    at.run()
    assert not at.exception
    for page, roles in PAGES.items():
        if role in roles:
            at.switch_page(f"../pages/{page}.py").run()
            assert not at.exception, (role, page, at.exception)
            assert not [e.value for e in at.error], (role, page)
        else:
            with pytest.raises(ValueError):  # not in this role's navigation
                at.switch_page(f"../pages/{page}.py")


@pytest.mark.parametrize(
    ("page", "role"), [(p, r) for p, rs in PAGES.items() for r in auth.ROLES if r not in rs]
)
def test_a_page_run_directly_refuses_a_role_without_the_permission(demo_copy, page, role):
    """The page checks the role itself: opening its script without the navigation does not get past the check."""
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=120)
    at.secrets["database_url"] = demo_copy
    at.session_state["lang"] = "zh"
    sign_in(at, demo_copy, role).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        f"你的角色（{ {'admin': '管理员', 'manager': '经理', 'analyst': '分析师', 'staff': '销售顾问'}[role] }）无权使用此页面或操作。"
    ]
    assert not at.dataframe and not at.get("plotly_chart")


@pytest.mark.parametrize("state", [{TOKEN_KEY: "forged-token"}, {"user": "manager", "role": "manager"}])
def test_session_state_cannot_make_a_user(demo_copy, state):
    at = app(demo_copy)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    assert at.title[0].value == "登录"
    page = AppTest.from_file(str(ROOT / "pages" / "lab.py"), default_timeout=120)
    page.secrets["database_url"] = demo_copy
    for k, v in state.items():
        page.session_state[k] = v
    page.run()
    assert [w.value for w in page.warning] == ["请先登录。"] and not page.slider


def test_an_analyst_drafts_but_cannot_publish_even_by_forcing_the_dialog(demo_copy):
    at = sign_in(app(demo_copy), demo_copy, "analyst").run()
    at.switch_page("../pages/lab.py").run()
    assert not at.exception
    assert not [b for b in at.button if b.key == "lab_publish_owners"]
    assert "发布与回滚仅限经理。" in [c.value for c in at.caption]
    at.session_state["lab_publish_open"] = "owners"  # as if the dialog had been opened
    at.text_input(key="lab_name_owners").set_value("试一下").run()
    assert not [b for b in at.button if b.key == "lab_publish_confirm"]
    at.button(key="lab_save_owners").click().run()
    with open_database(demo_copy).connect() as conn:
        rows = conn.execute(sa.select(ScoringScheme.status, ScoringScheme.created_by)).all()
    assert ("draft", "analyst") in rows and sum(1 for s, _ in rows if s == "published") == 2


def test_inactivity_ends_the_session(demo_copy):
    at = sign_in(app(demo_copy), demo_copy, "manager").run()
    assert at.title[0].value == "总览"
    engine = open_database(demo_copy)
    with engine.begin() as conn:
        conn.execute(sa.update(UserSession).values(last_seen_at=dt.datetime.now() - dt.timedelta(minutes=31)))
    at.run()
    assert at.title[0].value == "登录"
    ended = "会话已结束（长时间未操作、登录已满 12 小时，或已在其他标签页退出），请重新登录。"
    assert ended in [i.value for i in at.info]


def test_sign_out(demo_copy):
    at = sign_in(app(demo_copy), demo_copy, "manager").run()
    token = at.session_state[TOKEN_KEY]
    engine = open_database(demo_copy)
    assert auth.current_user(engine, token) is not None
    at.sidebar.button(key="sign_out").click().run()
    assert at.title[0].value == "登录"
    assert auth.current_user(engine, token) is None  # the session ended in the database, not only on screen
    with engine.connect() as conn:
        assert audit.search(conn=conn, action="logout")["actor"].iloc[0] == "manager"


def test_admin_creates_an_account_and_changes_who_sees_personal_data(demo_copy):
    at = sign_in(app(demo_copy), demo_copy, "admin").run()
    at.switch_page("../pages/users.py").run()
    assert not at.exception
    form_inputs = [ti for ti in at.text_input]
    name, display, pw, pw2 = form_inputs[:4]
    name.set_value("<script>alert(1)</script>")
    pw.set_value("long-enough-1")
    pw2.set_value("long-enough-1")
    create = lambda: next(b for b in at.button if b.label == "创建")  # noqa: E731
    create().click().run()
    assert at.error[0].value == "用户名需为 1–64 个字符：字母、数字、汉字或 _ . @ -，不含空格。"
    name, display, pw, pw2 = [ti for ti in at.text_input][:4]
    name.set_value("chen")
    display.set_value("<b>陈</b>")
    pw.set_value("long-enough-1")
    pw2.set_value("long-enough-1")
    at.selectbox(key="user_add_role").set_value("analyst")
    create().click().run()
    assert not at.exception
    assert "已创建账号 chen。" in [s.value for s in at.success]
    users = at.dataframe[0].value
    assert "<b>陈</b>" in users["显示名"].tolist()  # kept as text
    at.toggle(key="pii_analyst").set_value(True)
    [b for b in at.button if b.label == "保存"][-1].click().run()
    engine = open_database(demo_copy)
    with engine.connect() as conn:
        assert auth.role_show_pii(conn=conn)["analyst"] is True
        assert conn.execute(sa.select(User.role).where(User.name == "chen")).scalar_one() == "analyst"
        actions = audit.search(conn=conn, actor="admin")["action"].tolist()
    assert actions[:2] == ["role.pii", "user.create"]


def test_audit_page_searches_and_cannot_edit(demo_copy):
    at = sign_in(app(demo_copy), demo_copy, "admin").run()
    at.switch_page("../pages/audit.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert "登录" in table["操作"].tolist()  # actions in words, not codes (issue 12.19)
    at.text_input(key="audit_actor").set_value("' OR 1=1 --").run()  # bound, not formatted into SQL
    assert not at.exception and [i.value for i in at.info] == ["没有符合条件的记录。"]
    at.text_input(key="audit_actor").set_value("")
    at.selectbox(key="audit_action").set_value("user").run()
    assert set(at.dataframe[0].value["操作"]) == {"新建账号", "修改账号"}  # the demo ties staff to an advisor
    assert not at.get("data_editor") and not [b for b in at.button if "删除" in (b.label or "")]


def test_the_app_never_edits_or_deletes_audit_entries():
    """A rule of the project: audit_log is only inserted into and read (no UPDATE or DELETE anywhere)."""
    sources = [p for folder in ("core", "dashboard", "pages") for p in (ROOT / folder).rglob("*.py")]
    sources = [p for p in sources if "migrations" not in p.parts]
    offenders = []
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for bad in ("update(AuditLog", "delete(AuditLog", "UPDATE audit_log", "DELETE FROM audit_log"):
            if bad in text:
                offenders.append(f"{path.relative_to(ROOT)}: {bad}")
    assert offenders == []


def test_sign_ins_and_exports_leave_cached_figures_alone_but_a_decision_does_not(demo_copy):
    from core.storage.db import write_transaction
    from dashboard import db as dashboard_db

    engine = open_database(demo_copy)
    before = dashboard_db.data_version(engine)
    token = auth.login(engine, name="manager", password="demo-manager")
    with write_transaction(engine) as conn:
        audit.record(conn, actor="manager", action="export", object_type="table", object_id="funnel")
    auth.logout(engine, token)
    assert dashboard_db.data_version(engine) == before
    with write_transaction(engine) as conn:  # an audited update (e.g. a defeat approved) changes it
        audit.record(conn, actor="manager", action="defeat.approved", object_type="defeat", object_id=1)
    assert dashboard_db.data_version(engine) != before


def test_hostile_login_names_are_just_wrong_names(demo_copy, monkeypatch):
    monkeypatch.setattr(auth.time, "sleep", lambda s: None)
    for name in ("' OR '1'='1", "manager'; --", "x" * 500, "<script>alert(1)</script>"):
        at = app(demo_copy).run()
        at.text_input(key="login_name").set_value(name[:64])
        at.text_input(key="login_password").set_value("' OR '1'='1")
        at.button[0].click().run()
        assert not at.exception
        assert [e.value for e in at.error] == ["用户名或密码错误。"]


def test_approving_a_defeat_checks_the_role_again_when_the_button_is_pressed(demo_copy):
    """The page was drawn for a manager; the admin demotes them before they press approve: nothing happens."""
    from core.storage.models import Defeat, Lead
    from core.workflow import defeat_approval

    engine = open_database(demo_copy)
    with engine.connect() as conn:
        lead = conn.execute(sa.select(Lead.id).where(Lead.status == "open").order_by(Lead.id)).scalar()
    did = defeat_approval.request_defeat(
        engine, lead_id=lead, reason="price", sub_reason="excuse", actor="staff"
    )
    at = sign_in(app(demo_copy), demo_copy, "manager").run()
    at.switch_page("../pages/review.py").run()
    assert not at.button(key="df_approve").disabled
    with engine.begin() as conn:  # the role changes under a live session (not through update_user, which
        conn.execute(sa.text("UPDATE users SET role = 'staff' WHERE name = 'manager'"))  # would end it)
    at.button(key="df_approve").click().run()
    assert any("无权使用此页面或操作" in e.value for e in at.error)
    with engine.connect() as conn:
        assert conn.execute(sa.select(Defeat.approval).where(Defeat.id == did)).scalar_one() == "pending"
    staff = sign_in(app(demo_copy), demo_copy, "staff").run()
    staff.switch_page("../pages/review.py").run()
    assert all(b.disabled for b in staff.button if b.key in ("df_approve", "df_return"))


HOSTILE_TEXTS = [
    "' OR 1=1; DROP TABLE customers; --",
    "<script>alert(1)</script>",
    "x" * 5000,
    '=HYPERLINK("http://x")',
]


@pytest.mark.parametrize(
    ("role", "page"),
    [
        ("manager", p)
        for p in (
            "overview",
            "funnel",
            "defeats",
            "regions",
            "channels",
            "tiers",
            "lab",
            "review",
            "followup",
            "customer",
            "data",
            "data_import",
        )
    ]
    + [("admin", "users"), ("admin", "audit")],
)
def test_hostile_text_in_every_text_box_of_every_page(demo_copy, role, page):
    """SQL, markup, overlong and formula strings typed into each text box: no error, no table touched."""
    engine = open_database(demo_copy)
    with engine.connect() as conn:
        before = conn.execute(sa.text("SELECT COUNT(*) FROM customers")).scalar_one()
    at = sign_in(app(demo_copy), demo_copy, role).run()
    at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception
    keys = [w.key for w in at.text_input if w.key and not w.key.startswith("login")]
    for text in HOSTILE_TEXTS:
        for key in keys:
            box = at.text_input(key=key)
            box.set_value(text[: box.max_chars] if box.max_chars else text)
        at.run()
        assert not at.exception, (page, text[:20], at.exception)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM customers")).scalar_one() == before
