"""Accounts, passwords, lockout, sessions, per-role permissions and the users CLI, on every backend."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys

import pytest
import sqlalchemy as sa

from core.access import audit, auth
from core.storage.db import write_transaction
from core.storage.models import Meta, User, UserSession

T0 = dt.datetime(2026, 12, 1, 9, 0, 0)


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def accounts(engine):
    for name, role in (("boss", "admin"), ("wang", "manager"), ("li", "analyst"), ("zhang", "staff")):
        auth.create_user(engine, name=name, role=role, password=f"{name}-password", actor="test", now=T0)
    return engine


def actions(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [(r.actor, r.action) for r in audit.search(conn=conn).itertuples()][::-1]


def test_hashes_are_salted_slow_and_verifiable():
    a, b = auth.hash_password("same password"), auth.hash_password("same password")
    assert a != b and a.startswith("scrypt$16384$8$1$")
    assert auth.verify_password("same password", a) and auth.verify_password("same password", b)
    assert not auth.verify_password("same passwore", a)
    assert not auth.verify_password("x", "md5$abc") and not auth.verify_password("x", "garbage")


def test_the_database_never_holds_the_password(accounts):
    with accounts.connect() as conn:
        stored = conn.execute(sa.select(User.password_hash).where(User.name == "wang")).scalar_one()
    assert "wang-password" not in stored and auth.verify_password("wang-password", stored)


@pytest.mark.parametrize(
    ("name", "role", "password", "kind"),
    [
        ("", "admin", "long enough", "bad_name"),
        ("two words", "admin", "long enough", "bad_name"),
        ("x" * 65, "admin", "long enough", "bad_name"),
        ("<script>", "admin", "long enough", "bad_name"),
        ("a';DROP_TABLE_users;--", "admin", "long enough", "bad_name"),
        ("ok", "root", "long enough", "bad_role"),
        ("ok", "admin", "short", "too_short"),
        ("ok", "admin", "y" * 257, "too_long"),
        ("wang", "admin", "long enough", "exists"),
    ],
)
def test_bad_accounts_are_refused_with_the_reason(accounts, name, role, password, kind):
    with accounts.connect() as conn:
        before = auth.user_count(conn=conn)
    with pytest.raises(auth.AuthError) as err:
        auth.create_user(accounts, name=name, role=role, password=password, actor="test")
    assert err.value.kind == kind
    with accounts.connect() as conn:
        assert auth.user_count(conn=conn) == before


def test_login_starts_a_session_that_reads_the_role_from_the_database(accounts):
    token = auth.login(accounts, name="li", password="li-password", now=T0)
    with accounts.connect() as conn:
        hashes = list(conn.execute(sa.select(UserSession.token_hash)).scalars())
    assert token not in hashes and len(hashes) == 1  # only the token's hash is stored
    user = auth.current_user(accounts, token, now=T0 + dt.timedelta(minutes=5))
    assert (user.name, user.role, user.show_pii) == ("li", "analyst", False)
    assert user.can("draft_scheme") and not user.can("publish_scheme")
    assert auth.current_user(accounts, token + "x", now=T0) is None  # a forged token is nobody
    assert auth.current_user(accounts, None) is None
    auth.update_user(accounts, name="li", role="manager", actor="boss", now=T0 + dt.timedelta(minutes=6))
    assert (
        auth.current_user(accounts, token, now=T0 + dt.timedelta(minutes=7)) is None
    )  # role change: sign in again
    assert ("li", "login") in actions(accounts) and ("boss", "user.update") in actions(accounts)


def test_sessions_end_after_inactivity_and_on_logout(accounts):
    token = auth.login(accounts, name="wang", password="wang-password", now=T0)
    assert auth.current_user(accounts, token, now=T0 + dt.timedelta(minutes=29)) is not None
    # active at minute 29: the idle clock restarts there
    assert auth.current_user(accounts, token, now=T0 + dt.timedelta(minutes=58)) is not None
    assert auth.current_user(accounts, token, now=T0 + dt.timedelta(minutes=89)) is None
    assert ("wang", "logout.idle") in actions(accounts)
    token = auth.login(accounts, name="wang", password="wang-password", now=T0 + dt.timedelta(hours=2))
    auth.logout(accounts, token, now=T0 + dt.timedelta(hours=2, minutes=1))
    assert auth.current_user(accounts, token, now=T0 + dt.timedelta(hours=2, minutes=2)) is None
    assert actions(accounts)[-1] == ("wang", "logout")


def test_failed_logins_are_slowed_then_locked(accounts):
    sleeps = Sleeps()
    for i in range(auth.MAX_FAILURES - 1):
        with pytest.raises(auth.LoginFailed) as err:
            auth.login(
                accounts, name="zhang", password="guess", now=T0 + dt.timedelta(seconds=i), sleep=sleeps
            )
        assert err.value.kind == "wrong"
    assert sleeps == [0.5, 1.0, 2.0, 4.0]  # doubling, capped at MAX_DELAY_S
    with pytest.raises(auth.LoginFailed) as err:
        auth.login(accounts, name="zhang", password="guess", now=T0 + dt.timedelta(seconds=9), sleep=sleeps)
    assert err.value.kind == "locked" and err.value.until == T0 + dt.timedelta(seconds=9, minutes=15)
    # locked: even the right password is refused until the lock expires
    with pytest.raises(auth.LoginFailed) as err:
        auth.login(
            accounts, name="zhang", password="zhang-password", now=T0 + dt.timedelta(minutes=10), sleep=sleeps
        )
    assert err.value.kind == "locked"
    token = auth.login(accounts, name="zhang", password="zhang-password", now=T0 + dt.timedelta(minutes=16))
    assert auth.current_user(accounts, token, now=T0 + dt.timedelta(minutes=16)).role == "staff"
    log = actions(accounts)
    assert log.count(("zhang", "login.failed")) == 5 and ("zhang", "login.locked") in log


def test_unknown_names_get_the_same_answer_and_are_audited(accounts):
    sleeps = Sleeps()
    with pytest.raises(auth.LoginFailed) as err:
        auth.login(accounts, name="nobody", password="whatever1", now=T0, sleep=sleeps)
    assert err.value.kind == "wrong" and sleeps == [0.5]
    with pytest.raises(auth.LoginFailed):
        auth.login(accounts, name="wang", password="whatever1", now=T0, sleep=sleeps)  # same for a real name
    assert ("nobody", "login.failed") in actions(accounts)


def test_a_disabled_account_cannot_sign_in(accounts):
    token = auth.login(accounts, name="li", password="li-password", now=T0)
    auth.update_user(accounts, name="li", active=False, actor="boss", now=T0)
    assert auth.current_user(accounts, token, now=T0) is None
    with pytest.raises(auth.LoginFailed) as err:
        auth.login(accounts, name="li", password="li-password", now=T0, sleep=Sleeps())
    assert err.value.kind == "wrong"


def test_a_new_password_unlocks_and_ends_sessions(accounts):
    token = auth.login(accounts, name="wang", password="wang-password", now=T0)
    auth.set_password(accounts, name="wang", password="new-password", actor="boss", now=T0)
    assert auth.current_user(accounts, token, now=T0) is None
    assert auth.current_user(
        accounts, auth.login(accounts, name="wang", password="new-password", now=T0), now=T0
    )
    with pytest.raises(auth.AuthError):
        auth.set_password(accounts, name="ghost", password="new-password", actor="boss")


def test_personal_data_per_role_is_a_setting_and_audited(accounts):
    with accounts.connect() as conn:
        assert auth.role_show_pii(conn=conn) == auth.DEFAULT_SHOW_PII
    auth.set_role_show_pii(accounts, role="staff", show_pii=False, actor="boss", now=T0)
    auth.set_role_show_pii(accounts, role="analyst", show_pii=True, actor="boss", now=T0)
    auth.set_role_show_pii(accounts, role="staff", show_pii=True, actor="boss", now=T0)
    with accounts.connect() as conn:
        assert auth.role_show_pii(conn=conn) == {**auth.DEFAULT_SHOW_PII, "analyst": True}
        entries = audit.search(conn=conn, action="role.pii")
    assert len(entries) == 3 and entries.iloc[-1]["detail"] == {"old": True, "new": False}
    token = auth.login(accounts, name="li", password="li-password", now=T0)
    assert auth.current_user(accounts, token, now=T0).show_pii is True


# the role matrix of the issue: admin (users and settings), manager (everything, publishes, approves defeats),
# analyst (analytics, drafts, cannot publish), staff (review page and their own customers)
MATRIX = {
    "view_analytics": {"admin", "manager", "analyst"},
    "view_lab": {"manager", "analyst"},
    "draft_scheme": {"manager", "analyst"},
    "publish_scheme": {"manager"},
    "approve_defeat": {"manager"},
    "review": {"manager", "staff"},
    "follow_up": {"manager", "analyst", "staff"},
    "view_customer": {"admin", "manager", "analyst", "staff"},
    "all_customers": {"admin", "manager", "analyst"},
    "import_data": {"admin", "manager"},
    "export": {"admin", "manager", "analyst", "staff"},
    "manage_users": {"admin"},
    "view_audit": {"admin"},
}


@pytest.mark.parametrize("role", auth.ROLES)
@pytest.mark.parametrize("permission", sorted(MATRIX))
def test_role_matrix(role, permission):
    user = auth.CurrentUser(1, "u", "u", role, None, False)
    assert user.can(permission) == (role in MATRIX[permission])
    if role in MATRIX[permission]:
        assert auth.require(user, permission) is user
    else:
        with pytest.raises(auth.Forbidden):
            auth.require(user, permission)
    with pytest.raises(auth.Forbidden):
        auth.require(None, permission)
    assert set(auth.PERMISSIONS) == set(MATRIX)


def test_demo_accounts_only_on_the_demo_database(demo_db, engine):
    with demo_db.engine.connect() as conn:
        names = dict(conn.execute(sa.select(User.name, User.role)).all())
    assert names == {"admin": "admin", "manager": "manager", "analyst": "analyst", "staff": "staff"}
    for name, _role, password in auth.ensure_demo_accounts(demo_db.engine):  # idempotent, same list
        assert auth.login(demo_db.engine, name=name, password=password)
    assert auth.ensure_demo_accounts(engine) == []  # an empty (non-demo) database gets no default password
    with engine.connect() as conn:
        assert auth.user_count(conn=conn) == 0


def cli(url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core", "users", *args, "--db", url],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_users_cli(sqlite_url):
    first = cli(sqlite_url, "list")
    assert first.returncode == 0 and "no accounts yet" in first.stdout
    made = cli(sqlite_url, "add", "--role", "admin", "boss", "--password-stdin", stdin="very-secret-1\n")
    assert made.returncode == 0, made.stderr
    again = cli(sqlite_url, "add", "--role", "admin", "boss", "--password-stdin", stdin="very-secret-1\n")
    assert again.returncode == 2 and again.stderr.startswith("error: an account with this name exists")
    short = cli(sqlite_url, "add", "--role", "staff", "li", "--password-stdin", stdin="abc\n")
    assert short.returncode == 2 and "at least 8" in short.stderr and "Traceback" not in short.stderr
    assert cli(sqlite_url, "set", "boss", "--disable").returncode == 0
    listed = cli(sqlite_url, "list").stdout
    assert (
        listed.startswith("boss\tadmin\tboss\tdisabled")
        and "very-secret" not in listed
        and "scrypt" not in listed
    )
    assert cli(sqlite_url, "passwd", "ghost", "--password-stdin", stdin="long-enough\n").returncode == 2


def test_checking_a_session_does_not_take_the_write_lock(sqlite_url):
    """Every rerun checks its user: while another writer holds SQLite's write lock the check still answers."""
    import sqlite3

    from core.storage.db import open_database

    engine = open_database(sqlite_url)
    auth.create_user(engine, name="li", role="analyst", password="li-password", actor="test", now=T0)
    token = auth.login(engine, name="li", password="li-password", now=T0)
    blocker = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), timeout=0)
    blocker.execute("BEGIN IMMEDIATE")  # e.g. a long import in another process
    try:
        assert auth.current_user(engine, token, now=T0 + dt.timedelta(seconds=5)).name == "li"
    finally:
        blocker.rollback()
        blocker.close()
    engine.dispose()


# ---- issue 13 item 3: an absolute session lifetime; demo passwords only while the data is demo data alone ----


def test_a_session_ends_after_its_absolute_lifetime_however_active(accounts):
    """A click every 25 minutes kept a session alive for 30 days; now it ends 12 h after sign-in, for good."""
    token = auth.login(accounts, name="wang", password="wang-password", now=T0)
    clicks = [T0 + dt.timedelta(minutes=25 * i) for i in range(1, 29)]  # up to 11 h 40 min
    assert all(auth.current_user(accounts, token, now=at) is not None for at in clicks)
    assert auth.current_user(accounts, token, now=T0 + dt.timedelta(hours=11, minutes=59)) is not None
    assert auth.current_user(accounts, token, now=T0 + dt.timedelta(hours=12)) is None
    assert auth.current_user(accounts, token, now=T0 + dt.timedelta(hours=12, minutes=1)) is None  # ended
    assert actions(accounts)[-1] == ("wang", "logout.expired")
    with accounts.connect() as conn:
        ended = conn.execute(sa.select(UserSession.ended_at)).scalar_one()
    assert ended == T0 + dt.timedelta(hours=12)  # ended in the database: no other tab can use it either


def test_the_lifetime_is_a_setting(accounts, monkeypatch):
    token = auth.login(accounts, name="li", password="li-password", now=T0)
    assert auth.current_user(accounts, token, now=T0 + dt.timedelta(minutes=20), max_hours=0.5) is not None
    monkeypatch.setenv("SESSION_HOURS", "0.25")  # 15 minutes
    assert auth.current_user(accounts, token, now=T0 + dt.timedelta(minutes=29)) is None
    monkeypatch.setenv("SESSION_HOURS", "forever")  # not a number: the default holds
    assert auth.session_hours() == auth.SESSION_HOURS == 12


def test_only_the_tokens_hash_is_stored_and_only_tokens_of_our_shape_are_looked_up(accounts):
    token = auth.login(accounts, name="li", password="li-password", now=T0)
    assert auth.TOKEN_PATTERN.fullmatch(token) and len(token) >= 43  # 32 random bytes, URL-safe base64
    with accounts.connect() as conn:
        (stored,) = conn.execute(sa.select(UserSession.token_hash)).scalars()
    assert stored == auth.token_hash(token) == hashlib.sha256(token.encode()).hexdigest() != token
    for forged in (stored, token[:-1], token + "=", f"{token}\x00", "x" * 43 + ";", ""):
        assert auth.current_user(accounts, forged, now=T0) is None
    assert auth.current_user(accounts, token, now=T0).name == "li"


def test_demo_data_alone_until_something_is_imported(engine):
    with write_transaction(engine) as conn:
        assert not auth.holds_demo_data_only(conn=conn)  # not a demo database
        conn.execute(sa.insert(Meta), {"key": "demo", "value": "true"})
    with engine.connect() as conn:
        assert auth.holds_demo_data_only(conn=conn)
    with write_transaction(engine) as conn:  # every committed import writes this entry in its transaction
        audit.record(conn, actor="manager", action="import", object_type="customers")
    with engine.connect() as conn:
        assert auth.is_demo_database(conn=conn) and not auth.holds_demo_data_only(conn=conn)
    assert auth.ensure_demo_accounts(engine) == []  # and no known passwords are created any more
    with engine.connect() as conn:
        assert auth.user_count(conn=conn) == 0
