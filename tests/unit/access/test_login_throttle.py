"""Sign-in under attack, on every backend: parallel guesses cannot pass the limit, a name's existence shows in
neither answer nor work, a guesser locks a name only for their own address, an admin lifts a lock, and a NUL
byte in any text is a clear refusal (PostgreSQL raised a DataError)."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading

import pytest
import sqlalchemy as sa

from core.access import audit, auth
from core.storage.db import open_database
from core.storage.text_input import TextRejected
from core.workflow import overrides as ovr
from core.workflow import review
from tests.app.test_app_auth import _no_env_url  # noqa: F401 (fixture)
from tests.unit.access.test_auth import T0, Sleeps, cli

GUESSES = 40
ENGINES = 8


@pytest.fixture
def accounts(head_db_url):
    engine = open_database(head_db_url)
    for name, role in (("boss", "admin"), ("wang", "manager")):
        auth.create_user(engine, name=name, role=role, password=f"{name}-password", actor="test", now=T0)
    yield head_db_url, engine
    engine.dispose()


def _wrong(
    engine, name: str, at: dt.datetime, address: str | None = "6.6.6.6", sleeps=None
) -> auth.LoginFailed:
    where = {"address": address} if address else {}  # no address: as the CLI or a test signs in
    with pytest.raises(auth.LoginFailed) as err:
        auth.login(engine, name=name, password="guess-guess", now=at, sleep=sleeps or Sleeps(), **where)
    return err.value


def test_parallel_wrong_passwords_check_at_most_five_then_lock(accounts, monkeypatch):
    """40 wrong passwords at once (the attack checked all 40, counted 1, then let the right one in): at most
    five are checked, the name is locked, and the right password is refused until the lock ends."""
    url, _ = accounts
    checked = [0]
    lock = threading.Lock()
    real_verify = auth.verify_password

    def counting(password: str, stored: str) -> bool:
        with lock:
            checked[0] += 1
        return real_verify(password, stored)

    monkeypatch.setattr(auth, "verify_password", counting)
    engines = [open_database(url) for _ in range(ENGINES)]
    barrier = threading.Barrier(GUESSES)
    kinds: list[str] = []
    errors: list[BaseException] = []

    def guess(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            auth.login(engines[i % ENGINES], name="boss", password=f"guess-{i}", now=T0, sleep=lambda s: None)
            kinds.append("signed in")
        except auth.LoginFailed as exc:
            kinds.append(exc.kind)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(GUESSES)]
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=300)
        assert not errors, errors[:3]
        assert len(kinds) == GUESSES and "signed in" not in kinds
        assert checked[0] <= auth.MAX_FAILURES, checked[0]
        checked[0] = 0
        with pytest.raises(auth.LoginFailed) as err:
            auth.login(engines[0], name="boss", password="boss-password", now=T0 + dt.timedelta(minutes=10),
                       sleep=lambda s: None)  # fmt: skip
        assert err.value.kind == "locked" and checked[0] == 0  # refused without checking the password
        token = auth.login(engines[0], name="boss", password="boss-password", now=T0 + dt.timedelta(minutes=16),
                           sleep=lambda s: None)  # fmt: skip
        assert token
    finally:
        for e in engines:
            e.dispose()


def test_an_unknown_name_is_answered_and_worked_like_a_real_one(accounts, monkeypatch):
    """Seven wrong tries at a real and at an unknown name: the same answers, lock times and slowdowns, and
    the same number of scrypt computations per try (an unknown name computed two before)."""
    _, engine = accounts
    scrypts = [0]
    real_scrypt = hashlib.scrypt

    def counting(*args, **kwargs):
        scrypts[0] += 1
        return real_scrypt(*args, **kwargs)

    auth._dummy_hash()  # made once per process, before any sign-in
    monkeypatch.setattr(auth.hashlib, "scrypt", counting)
    seen = {}
    for name in ("boss", "nobody-here"):
        sleeps, answers, work = Sleeps(), [], []
        for i in range(7):
            scrypts[0] = 0
            exc = _wrong(engine, name, T0 + dt.timedelta(seconds=i), address=None, sleeps=sleeps)
            answers.append((exc.kind, exc.until))
            work.append(scrypts[0])
        seen[name] = (answers, list(sleeps), work)
    assert seen["boss"] == seen["nobody-here"]
    answers, _, work = seen["boss"]
    assert [k for k, _ in answers] == ["wrong"] * 4 + ["locked"] * 3
    assert work == [1] * 5 + [0] * 2  # a locked name is refused before any hash, whether it exists or not


def test_a_guesser_locks_a_name_only_for_their_own_address(accounts):
    """Anyone could lock `admin` by guessing: now the guesser's address is locked out of that name, the
    admin signs in from elsewhere; too many failures from one address lock it for every name; an admin lifts
    a lock with `unlock` (the CLI's `users unlock NAME`)."""
    url, engine = accounts
    for i in range(auth.MAX_FAILURES):
        _wrong(engine, "boss", T0 + dt.timedelta(seconds=i))
    assert _wrong(engine, "boss", T0 + dt.timedelta(seconds=9)).kind == "locked"
    assert auth.login(engine, name="boss", password="boss-password", address="10.0.0.1", now=T0)
    # one address guessing many names: locked for all names after ADDRESS_MAX_FAILURES
    for i in range(auth.ADDRESS_MAX_FAILURES - auth.MAX_FAILURES):
        _wrong(engine, f"name{i % 4}", T0 + dt.timedelta(seconds=10 + i), address="7.7.7.7")
    _wrong(engine, "boss", T0 + dt.timedelta(seconds=40), address="7.7.7.7")
    for i in range(auth.MAX_FAILURES - 1):
        _wrong(engine, "wang", T0 + dt.timedelta(seconds=41 + i), address="7.7.7.7")
    with pytest.raises(auth.LoginFailed) as err:
        auth.login(
            engine, name="wang", password="wang-password", address="7.7.7.7", now=T0 + dt.timedelta(minutes=1)
        )
    assert err.value.kind == "locked"
    # the admin lifts the locks: the name from every address, and an address
    done = cli(url, "unlock", "boss")
    assert done.returncode == 0 and done.stdout.startswith("boss: unlocked"), done.stderr
    assert auth.login(
        engine, name="boss", password="boss-password", address="6.6.6.6", now=T0 + dt.timedelta(minutes=2)
    )
    assert auth.unlock(engine, address="7.7.7.7", actor="boss") >= 1
    assert auth.login(
        engine, name="wang", password="wang-password", address="7.7.7.7", now=T0 + dt.timedelta(minutes=2)
    )
    with engine.connect() as conn:
        assert "user.unlock" in audit.search(conn=conn)["action"].tolist()


def test_a_nul_byte_is_refused_clearly_everywhere(accounts):
    _, engine = accounts
    with pytest.raises(TextRejected):
        auth.login(engine, name="bo\x00ss", password="boss-password", now=T0, sleep=Sleeps())
    with pytest.raises(TextRejected):
        auth.login(engine, name="boss", password="boss-\x00password", now=T0, sleep=Sleeps())
    for kwargs in ({"reason": "理由\x00"}, {"actor": "王\x00五", "reason": "r"}):
        with pytest.raises(ovr.InputError) as err:
            ovr.check_reason(kwargs["reason"]) if "actor" not in kwargs else ovr.check_actor(kwargs["actor"])
        assert err.value.code == "text_nul"
    with pytest.raises(auth.AuthError):
        auth.create_user(engine, name="x\x00y", role="staff", password="long-enough", actor="boss")
    # the net under every statement: a search, or any other text, never reaches the database with a NUL
    with engine.connect() as conn:
        with pytest.raises(TextRejected):
            audit.search(conn=conn, text="\x00")
        with pytest.raises(TextRejected):
            conn.execute(sa.text("SELECT :x"), {"x": "a\x00b"})
    assert (
        review
    )  # the review page's saves go through check_reason / check_actor (tests/app/test_app_review.py)


def test_the_login_form_and_every_page_answer_a_nul_byte_with_a_message(demo_copy, monkeypatch):  # noqa: F811
    """The sign-in form says what to fix; on any other page (here the audit search) the app's net under every
    page shows one clear line instead of the error box (PostgreSQL raised a DataError on both)."""
    from signin import sign_in

    from tests.app.test_app_auth import app

    monkeypatch.setattr(auth.time, "sleep", lambda s: None)
    at = app(demo_copy).run()
    at.text_input(key="login_name").set_value("man\x00ager")
    at.text_input(key="login_password").set_value("demo-manager")
    at.button[0].click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["用户名或密码含有不允许的空字符（NUL），请删除后重试。"]
    at = sign_in(app(demo_copy), demo_copy, "admin").run()
    at.switch_page("../pages/audit.py").run()
    at.text_input(key="audit_text").set_value("a\x00b").run()
    assert not at.exception
    assert "输入的文字含有不允许的空字符（NUL），请删除后重试。未保存任何内容。" in [
        e.value for e in at.error
    ]
