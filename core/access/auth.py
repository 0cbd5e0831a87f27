"""Accounts, roles and sessions: who may sign in, and what each role may see and do.

- Passwords are stored only as salted scrypt hashes (``hashlib.scrypt``, n=2**14, r=8, p=1, 16-byte salt).
- A failed login is slowed (``FAIL_DELAY_S`` doubling with each failure in a row, at most ``MAX_DELAY_S``) and
  ``MAX_FAILURES`` failures in a row lock the name for that client address for ``LOCK_MINUTES`` (counted in the
  database before the password is checked, so parallel tries cannot pass the limit); an address and a name
  have wider limits over all names and addresses. An unknown name is counted, slowed and answered the same
  way, so names cannot be guessed. ``unlock`` (``python -m core users unlock NAME``) lifts a lock.
- A session is a random token; only its SHA-256 is stored. It ends on logout or after ``IDLE_MINUTES`` without
  activity, and at the latest ``session_hours()`` after sign-in however active. Every request re-reads the user and role from the database: nothing a browser or a session-state
  entry says about a role is trusted.
- Logins, failed logins, lockouts, user changes and permission changes go to the audit log.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import os
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.access import audit
from core.storage.db import retrying, write_transaction
from core.storage.models import AuditLog, LoginThrottle, Meta, RoleSetting, User, UserSession
from core.storage.text_input import TextRejected as TextRejected  # raised by login; pages catch it here
from core.storage.text_input import check_text

ROLES = ("admin", "manager", "analyst", "staff")
# what each role may do; checked on the server for every page and action
PERMISSIONS: dict[str, frozenset[str]] = {
    "view_analytics": frozenset({"admin", "manager", "analyst"}),
    "view_lab": frozenset({"manager", "analyst"}),
    "draft_scheme": frozenset({"manager", "analyst"}),
    "publish_scheme": frozenset({"manager"}),
    "approve_defeat": frozenset({"manager"}),
    "review": frozenset({"manager", "staff"}),
    "follow_up": frozenset({"manager", "analyst", "staff"}),
    "view_customer": frozenset(ROLES),  # staff: their own customers only
    "all_customers": frozenset({"admin", "manager", "analyst"}),  # staff: their own customers only
    "import_data": frozenset({"admin", "manager"}),
    "export": frozenset(ROLES),
    "manage_users": frozenset({"admin"}),
    "view_audit": frozenset({"admin"}),
}
# who may see names and phones unless an admin changes it (role_settings)
DEFAULT_SHOW_PII = {"admin": False, "manager": True, "analyst": False, "staff": True}

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 8
MAX_FAILURES = 5  # in a row, per name and client address
ADDRESS_MAX_FAILURES = 20  # per client address, over all names
NAME_MAX_FAILURES = 50  # per name, over all addresses (guessing from many addresses)
LOCK_MINUTES = 15
FAIL_DELAY_S = 0.5
MAX_DELAY_S = 4.0
IDLE_MINUTES = 30
TOUCH_SECONDS = 30  # how stale last_seen_at may get before a request updates it
NAME_MAX = 64
UNCHANGED = object()  # update_user: leave the advisor as it is

DEMO_ACCOUNTS = (
    ("admin", "admin", "系统管理员", "demo-admin"),
    ("manager", "manager", "王经理", "demo-manager"),
    ("analyst", "analyst", "李分析", "demo-analyst"),
    ("staff", "staff", "张顾问", "demo-staff"),
)


class AuthError(Exception):
    """A refused account operation; ``kind`` names the problem for the message shown."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


class LoginFailed(AuthError):
    """Wrong name or password (``kind="wrong"``), or a locked account (``kind="locked"``, ``until``)."""

    def __init__(self, kind: str, until: dt.datetime | None = None) -> None:
        super().__init__(kind)
        self.until = until


class Forbidden(AuthError):
    """The user's role does not allow the action."""


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user as read from the database on this request."""

    id: int
    name: str
    display_name: str
    role: str
    advisor_id: int | None
    show_pii: bool

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]


def _now(now: dt.datetime | None) -> dt.datetime:
    return (now or dt.datetime.now()).replace(microsecond=0)


# ---- passwords ----------------------------------------------------------------------------------------


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A salted scrypt hash as ``scrypt$n$r$p$salt$hash`` (base64).

    Examples
    --------
    >>> h = hash_password("correct horse", salt=b"0123456789abcdef")
    >>> h.split("$")[:4]
    ['scrypt', '16384', '8', '1']
    >>> verify_password("correct horse", h), verify_password("wrong horse", h)
    (True, False)
    """
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the stored hash (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def password_problem(password: str) -> str | None:
    """Why a new password is refused (``too_short``, ``too_long``), or None."""
    if len(password) < MIN_PASSWORD:
        return "too_short"
    if len(password) > 256:
        return "too_long"
    return None


@functools.cache
def _dummy_hash() -> str:
    # made once: an unknown name then costs exactly one scrypt (the check), as a real name does
    return hash_password("not a password", salt=b"\0" * 16)


# ---- users --------------------------------------------------------------------------------------------


NAME_PATTERN = re.compile(r"[\w.@-]{1,64}")  # letters (Chinese too), digits, _ . @ -


def _check_name(name: str) -> str:
    name = name.strip()
    if not NAME_PATTERN.fullmatch(name):
        raise AuthError("bad_name", name[:80])
    return name


@retrying
def create_user(
    engine: Engine,
    *,
    name: str,
    role: str,
    password: str,
    actor: str,
    display_name: str | None = None,
    advisor_id: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Create an account (audited); returns its id.

    Raises
    ------
    AuthError
        ``bad_name`` (not 1–64 letters, digits, ``_ . @ -``), ``bad_role``, ``too_short``/``too_long`` (password) or
        ``exists``.
    """
    name = _check_name(name)
    if role not in ROLES:
        raise AuthError("bad_role", role)
    problem = password_problem(password)
    if problem:
        raise AuthError(problem)
    at = _now(now)
    with write_transaction(engine) as conn:
        if conn.execute(sa.select(User.id).where(User.name == name)).first():
            raise AuthError("exists", name)
        user_id = conn.execute(
            sa.insert(User).returning(User.id),
            {
                "name": name,
                "display_name": (display_name or name).strip()[:NAME_MAX],
                "role": role,
                "password_hash": hash_password(password),
                "advisor_id": advisor_id,
                "active": True,
                "failed_logins": 0,
                "created_by": actor,
                "created_at": at,
            },
        ).scalar_one()
        audit.record(
            conn,
            actor=actor,
            action="user.create",
            object_type="user",
            object_id=name,
            detail={"role": role},
            at=at,
        )
    return int(user_id)


def _user_id(conn: Connection, name: str) -> int:
    row = conn.execute(sa.select(User.id).where(User.name == name)).first()
    if row is None:
        raise AuthError("unknown_user", name)
    return int(row[0])


@retrying
def set_password(
    engine: Engine, *, name: str, password: str, actor: str, now: dt.datetime | None = None
) -> None:
    """A new password (audited, without the password); unlocks the account and ends its sessions."""
    problem = password_problem(password)
    if problem:
        raise AuthError(problem)
    at = _now(now)
    with write_transaction(engine) as conn:
        uid = _user_id(conn, name)
        conn.execute(
            sa.update(User)
            .where(User.id == uid)
            .values(password_hash=hash_password(password), failed_logins=0, locked_until=None)
        )
        conn.execute(sa.delete(LoginThrottle).where(*_name_keys(name)))
        _end_sessions(conn, uid, at)
        audit.record(conn, actor=actor, action="user.password", object_type="user", object_id=name, at=at)


@retrying
def update_user(
    engine: Engine,
    *,
    name: str,
    actor: str,
    role: str | None = None,
    active: bool | None = None,
    advisor_id: object = UNCHANGED,
    now: dt.datetime | None = None,
) -> None:
    """Change a user's role, active flag or advisor (audited with old and new values)."""
    if role is not None and role not in ROLES:
        raise AuthError("bad_role", role)
    at = _now(now)
    with write_transaction(engine) as conn:
        row = conn.execute(
            sa.select(User.id, User.role, User.active, User.advisor_id).where(User.name == name)
        ).first()
        if row is None:
            raise AuthError("unknown_user", name)
        values: dict = {}
        if role is not None and role != row.role:
            values["role"] = role
        if active is not None and bool(active) != bool(row.active):
            values["active"] = bool(active)
        if advisor_id is not UNCHANGED and advisor_id != row.advisor_id:
            values["advisor_id"] = advisor_id
        if not values:
            return
        conn.execute(sa.update(User).where(User.id == row.id).values(**values))
        if values.get("active") is False or "role" in values:
            _end_sessions(conn, row.id, at)
        old = {"role": row.role, "active": bool(row.active), "advisor_id": row.advisor_id}
        audit.record(
            conn,
            actor=actor,
            action="user.update",
            object_type="user",
            object_id=name,
            detail={"old": {k: old[k] for k in values}, "new": values},
            at=at,
        )


def _name_keys(name: str) -> list[sa.ColumnElement[bool]]:
    """The sign-in counters of a name: over all addresses, and from each address."""
    return [
        sa.or_(
            LoginThrottle.key == f"name:{name}",
            LoginThrottle.key.startswith(f"name:{name}|ip:", autoescape=True),
        )
    ]


def users(*, conn: Connection) -> pd.DataFrame:
    """Every account (no hashes): name, display_name, role, advisor_id, active, failed_logins (over all
    addresses, since the last lock or success), locked_until (the latest sign-in lock of the name from any
    address, past ones included), created_at, last_login_at."""
    q = sa.select(
        User.name,
        User.display_name,
        User.role,
        User.advisor_id,
        User.active,
        User.failed_logins,
        User.locked_until,
        User.created_at,
        User.last_login_at,
    ).order_by(User.id)
    out = pd.DataFrame(conn.execute(q).all(), columns=list(q.selected_columns.keys()))
    failed, locked = [], []
    for name in out["name"]:
        rows = conn.execute(
            sa.select(LoginThrottle.key, LoginThrottle.failures, LoginThrottle.locked_until).where(
                *_name_keys(name)
            )
        ).all()
        failed.append(sum(r.failures for r in rows if r.key == f"name:{name}"))
        ends = [r.locked_until for r in rows if r.locked_until is not None]
        locked.append(max(ends) if ends else None)
    out["failed_logins"] = pd.Series(failed, index=out.index, dtype="int64")
    out["locked_until"] = pd.Series(locked, index=out.index, dtype=object)
    return out


def user_count(*, conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(User)).scalar_one())


# ---- permissions --------------------------------------------------------------------------------------


def role_show_pii(*, conn: Connection) -> dict[str, bool]:
    """Whether each role may see names and phones: the admins' settings over ``DEFAULT_SHOW_PII``."""
    out = dict(DEFAULT_SHOW_PII)
    out.update({r: bool(v) for r, v in conn.execute(sa.select(RoleSetting.role, RoleSetting.show_pii))})
    return out


@retrying
def set_role_show_pii(
    engine: Engine, *, role: str, show_pii: bool, actor: str, now: dt.datetime | None = None
) -> None:
    """Allow or forbid a role to see personal data (audited)."""
    if role not in ROLES:
        raise AuthError("bad_role", role)
    at = _now(now)
    with write_transaction(engine) as conn:
        old = role_show_pii(conn=conn)[role]
        if conn.execute(sa.select(RoleSetting.role).where(RoleSetting.role == role)).first():
            conn.execute(
                sa.update(RoleSetting).where(RoleSetting.role == role).values(show_pii=bool(show_pii))
            )
        else:
            conn.execute(sa.insert(RoleSetting), {"role": role, "show_pii": bool(show_pii)})
        audit.record(
            conn,
            actor=actor,
            action="role.pii",
            object_type="role",
            object_id=role,
            detail={"old": old, "new": bool(show_pii)},
            at=at,
        )


def require(user: CurrentUser | None, permission: str) -> CurrentUser:
    """The user, if their role allows ``permission``; else :class:`Forbidden` (None: not signed in)."""
    if user is None or not user.can(permission):
        raise Forbidden(permission, "" if user is None else user.role)
    return user


# ---- login and sessions -------------------------------------------------------------------------------

# absolute lifetime of a session in hours, however active; the setting SESSION_HOURS in the environment
SESSION_HOURS = 12.0
# what secrets.token_urlsafe makes; anything else is nobody and is not even looked up
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{32,128}")


def session_hours(environ: Mapping[str, str] | None = None) -> float:
    """The absolute session lifetime in hours: ``SESSION_HOURS`` from the environment, else 12.

    A value that is not a positive number is ignored (the default holds), so a typo never makes sessions
    endless.

    Examples
    --------
    >>> session_hours({}), session_hours({"SESSION_HOURS": "8"}), session_hours({"SESSION_HOURS": "0"})
    (12.0, 8.0, 12.0)
    >>> session_hours({"SESSION_HOURS": "inf"}), session_hours({"SESSION_HOURS": "twelve"})
    (12.0, 12.0)
    """
    raw = (os.environ if environ is None else environ).get("SESSION_HOURS", "")
    try:
        hours = float(raw)
    except ValueError:
        return SESSION_HOURS
    return hours if 0 < hours < 24 * 366 else SESSION_HOURS


def token_hash(token: str) -> str:
    """What the database keeps of a session token: its SHA-256 in hex (the token itself is never stored).

    Examples
    --------
    >>> token_hash("abc")
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    """
    return hashlib.sha256(token.encode()).hexdigest()


_token_hash = token_hash


class _Refused(Exception):
    """Internal: a throttle key is at its limit (``until``: when it opens again); rolls the reservation back."""

    def __init__(self, until: dt.datetime) -> None:
        self.until = until


def _throttle_keys(name: str, address: str | None) -> list[tuple[str, int]]:
    """(key, limit) of a sign-in, sorted (every transaction locks them in the same order): the name from this
    address, the address over all names, the name over all addresses."""
    addr = address[:100] if isinstance(address, str) and address else "-"  # unknown: one shared address
    return sorted(
        [
            (f"name:{name}|ip:{addr}", MAX_FAILURES),
            (f"ip:{addr}", ADDRESS_MAX_FAILURES),
            (f"name:{name}", NAME_MAX_FAILURES),
        ]
    )


def _insert_missing(conn: Connection, keys: list[str], at: dt.datetime) -> None:
    rows = [{"key": k, "failures": 0, "locked_until": None, "updated_at": at} for k in keys]
    dialect = conn.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(LoginThrottle).on_conflict_do_nothing(), rows)
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(LoginThrottle).on_conflict_do_nothing(), rows)
    else:
        conn.execute(sa.insert(LoginThrottle).prefix_with("IGNORE"), rows)


@retrying
def _reserve_attempt(engine: Engine, keys: list[tuple[str, int]], at: dt.datetime) -> int | dt.datetime:
    """Count this attempt on every key before its password is checked, each with one atomic ``UPDATE ...
    SET failures = failures + 1 WHERE failures < limit``: of any number of parallel attempts at most ``limit``
    get through. Returns the failures in a row of the name from this address (this attempt included), or
    the time the first full key opens again (nothing counted)."""
    names = [k for k, _ in keys]
    with engine.connect() as conn:
        missing = set(names) - set(
            conn.execute(sa.select(LoginThrottle.key).where(LoginThrottle.key.in_(names))).scalars()
        )
    if missing:  # apart: on MariaDB an INSERT IGNORE's shared locks then the UPDATE's deadlock one another
        with write_transaction(engine) as conn:
            _insert_missing(conn, sorted(missing), at)
    try:
        with write_transaction(engine) as conn:
            for key, limit in keys:  # one key at a time, in the same order everywhere: writers queue
                # a lock that has run out, or failures older than the lock time, start again from zero
                conn.execute(
                    sa.update(LoginThrottle)
                    .where(
                        LoginThrottle.key == key,
                        sa.or_(
                            LoginThrottle.locked_until <= at,
                            sa.and_(
                                LoginThrottle.locked_until.is_(None),
                                LoginThrottle.updated_at <= at - dt.timedelta(minutes=LOCK_MINUTES),
                            ),
                        ),
                    )
                    .values(failures=0, locked_until=None)
                )
                done = conn.execute(
                    sa.update(LoginThrottle)
                    .where(
                        LoginThrottle.key == key,
                        LoginThrottle.failures < limit,
                        LoginThrottle.locked_until.is_(None),
                    )
                    .values(failures=LoginThrottle.failures + 1, updated_at=at)
                ).rowcount
                if done != 1:
                    until = conn.execute(
                        sa.select(LoginThrottle.locked_until).where(LoginThrottle.key == key)
                    ).scalar()
                    # full but not locked yet: the attempts that filled it are still being checked
                    raise _Refused(until or at + dt.timedelta(minutes=LOCK_MINUTES))
            return int(
                conn.execute(
                    sa.select(LoginThrottle.failures).where(LoginThrottle.key == _pair_key(keys))
                ).scalar_one()
            )
    except _Refused as refused:
        return refused.until


def _pair_key(keys: list[tuple[str, int]]) -> str:
    return next(k for k, _ in keys if "|ip:" in k)


@retrying
def _record_failure(
    engine: Engine, name: str, keys: list[tuple[str, int]], at: dt.datetime, failures: int
) -> dt.datetime | None:
    """Keep the reserved attempt as a failure; lock every key that is full. Returns the name-and-address
    lock's end, if this failure locked it."""
    limits = dict(keys)
    with write_transaction(engine) as conn:
        full = [
            k
            for k, n in conn.execute(
                sa.select(LoginThrottle.key, LoginThrottle.failures).where(
                    LoginThrottle.key.in_(list(limits)), LoginThrottle.locked_until.is_(None)
                )
            )
            if n >= limits[k]
        ]
        until = at + dt.timedelta(minutes=LOCK_MINUTES)
        if full:
            conn.execute(
                sa.update(LoginThrottle).where(LoginThrottle.key.in_(full)).values(locked_until=until)
            )
        locked = failures >= MAX_FAILURES
        audit.record(
            conn,
            actor=name,
            action="login.failed",
            object_type="user",
            object_id=name,
            detail={"failures": failures, "locked_until": until.isoformat() if locked else None},
            at=at,
        )
    return until if locked else None


@retrying
def _start_session(
    engine: Engine, user_id: int, name: str, keys: list[tuple[str, int]], at: dt.datetime
) -> str:
    token = secrets.token_urlsafe(32)
    with write_transaction(engine) as conn:
        pair = _pair_key(keys)
        conn.execute(sa.update(LoginThrottle).where(LoginThrottle.key == pair).values(failures=0))
        # the address and the name over all addresses count failures only: give back this attempt
        conn.execute(
            sa.update(LoginThrottle)
            .where(LoginThrottle.key.in_([k for k, _ in keys if k != pair]), LoginThrottle.failures > 0)
            .values(failures=LoginThrottle.failures - 1)
        )
        conn.execute(
            sa.update(User)
            .where(User.id == user_id)
            .values(failed_logins=0, locked_until=None, last_login_at=at)
        )
        conn.execute(
            sa.insert(UserSession),
            {"token_hash": _token_hash(token), "user_id": user_id, "created_at": at, "last_seen_at": at},
        )
        audit.record(conn, actor=name, action="login", object_type="user", object_id=name, at=at)
    return token


@retrying
def _record_refusal(engine: Engine, name: str, at: dt.datetime) -> None:
    with write_transaction(engine) as conn:
        audit.record(conn, actor=name, action="login.locked", object_type="user", object_id=name, at=at)


def login(
    engine: Engine,
    *,
    name: str,
    password: str,
    address: str | None = None,
    now: dt.datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Check the password and start a session; returns the session's token (kept by the caller only).

    ``address`` is the client's address (the page passes ``st.context.ip_address``). Failures are counted
    per name and address (``MAX_FAILURES``), per address over all names (``ADDRESS_MAX_FAILURES``) and per
    name over all addresses (``NAME_MAX_FAILURES``), for unknown names exactly as for real ones: a guesser
    locks the name for their own address, not for everyone, and a name's existence shows in nothing.

    Raises
    ------
    LoginFailed
        ``wrong`` (unknown name, wrong password or inactive account: one message for all) or ``locked``.
    TextRejected
        The name or password holds a NUL byte.
    """
    check_text(name, field="name")
    check_text(password, field="password")
    at = _now(now)
    name = name.strip()[:NAME_MAX]
    keys = _throttle_keys(name, address)
    reserved = _reserve_attempt(engine, keys, at)
    if isinstance(reserved, dt.datetime):  # refused before any password is checked
        _record_refusal(engine, name, at)
        sleep(MAX_DELAY_S)
        raise LoginFailed("locked", reserved)
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(User.id, User.password_hash, User.active).where(User.name == name)
        ).first()
    # an unknown name still costs one scrypt, so timing does not tell which names exist
    if verify_password(password, row.password_hash if row else _dummy_hash()) and row and row.active:
        return _start_session(engine, row.id, name, keys, at)
    until = _record_failure(engine, name, keys, at, reserved)
    sleep(min(FAIL_DELAY_S * 2 ** (reserved - 1), MAX_DELAY_S))  # after the commit: no lock held meanwhile
    raise LoginFailed("locked", until) if until else LoginFailed("wrong")


@retrying
def unlock(
    engine: Engine,
    *,
    actor: str,
    name: str | None = None,
    address: str | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Lift the sign-in locks of a name (from every address) and/or of an address (audited). Returns the
    number of counters cleared. An admin locked out by guessers: ``python -m core users unlock NAME``."""
    at = _now(now)
    conds = []
    if name:
        conds += [
            LoginThrottle.key == f"name:{name}",
            LoginThrottle.key.startswith(f"name:{name}|ip:", autoescape=True),
        ]
    if address:
        conds += [
            LoginThrottle.key == f"ip:{address}",
            LoginThrottle.key.endswith(f"|ip:{address}", autoescape=True),
        ]
    if not conds:
        return 0
    with write_transaction(engine) as conn:
        cleared = conn.execute(sa.delete(LoginThrottle).where(sa.or_(*conds))).rowcount
        if name:
            conn.execute(sa.update(User).where(User.name == name).values(failed_logins=0, locked_until=None))
        audit.record(
            conn,
            actor=actor,
            action="user.unlock",
            object_type="user",
            object_id=name or address,
            detail={"name": name, "address": address, "cleared": cleared},
            at=at,
        )
    return int(cleared)


def current_user(
    engine: Engine,
    token: str | None,
    *,
    now: dt.datetime | None = None,
    idle_minutes: int = IDLE_MINUTES,
    max_hours: float | None = None,
) -> CurrentUser | None:
    """The user of a live session (and mark it active), or None: unknown or malformed token, ended, idle too
    long, older than ``max_hours`` (default :func:`session_hours`) however active, or an inactive account.

    A session found idle or too old is ended in the database (audited ``logout.idle`` / ``logout.expired``), so
    the same token never works again, whichever browser tab sends it.
    """
    if not token or not TOKEN_PATTERN.fullmatch(token):
        return None
    at = _now(now)
    lifetime = dt.timedelta(hours=session_hours() if max_hours is None else max_hours)
    # a plain read: every rerun of every session checks its user, and on SQLite a write transaction would take
    # the database's write lock each time (and wait behind a long import); write only when there is a change
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                UserSession.id,
                UserSession.created_at,
                UserSession.last_seen_at,
                UserSession.ended_at,
                User.id.label("user_id"),
                User.name,
                User.display_name,
                User.role,
                User.advisor_id,
                User.active,
            )
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.token_hash == _token_hash(token))
        ).first()
        if row is None or row.ended_at is not None or not row.active:
            return None
        show = role_show_pii(conn=conn)[row.role]
    expired = at - row.created_at >= lifetime
    if expired or at - row.last_seen_at > dt.timedelta(minutes=idle_minutes):
        with write_transaction(engine) as conn:
            ended = conn.execute(
                sa.update(UserSession)
                .where(UserSession.id == row.id, UserSession.ended_at.is_(None))
                .values(ended_at=at)
            ).rowcount
            if ended:  # two tabs finding it at once: one audit entry
                action = "logout.expired" if expired else "logout.idle"
                audit.record(
                    conn, actor=row.name, action=action, object_type="user", object_id=row.name, at=at
                )
        return None
    if at - row.last_seen_at >= dt.timedelta(seconds=TOUCH_SECONDS):  # not a write on every rerun
        with write_transaction(engine) as conn:
            conn.execute(sa.update(UserSession).where(UserSession.id == row.id).values(last_seen_at=at))
    return CurrentUser(row.user_id, row.name, row.display_name, row.role, row.advisor_id, show)


@retrying
def logout(engine: Engine, token: str | None, *, now: dt.datetime | None = None) -> None:
    """End the session of ``token`` (audited); unknown or ended tokens are ignored."""
    if not token:
        return
    at = _now(now)
    with write_transaction(engine) as conn:
        row = conn.execute(
            sa.select(UserSession.id, User.name)
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.token_hash == _token_hash(token), UserSession.ended_at.is_(None))
        ).first()
        if row is None:
            return
        conn.execute(sa.update(UserSession).where(UserSession.id == row.id).values(ended_at=at))
        audit.record(conn, actor=row.name, action="logout", object_type="user", object_id=row.name, at=at)


def _end_sessions(conn: Connection, user_id: int, at: dt.datetime) -> None:
    conn.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=at)
    )


# ---- demo accounts ------------------------------------------------------------------------------------


def is_demo_database(*, conn: Connection) -> bool:
    """Whether the database holds the generated demo data (``meta.demo = true``)."""
    row = conn.execute(sa.select(Meta.value).where(Meta.key == "demo")).first()
    return row is not None and row[0] == "true"


def holds_demo_data_only(*, conn: Connection) -> bool:
    """Whether the database holds the generated demo data and nothing else: marked as demo (``meta.demo``) and
    no import ever written into it (every committed import leaves an ``import`` entry in the audit log, in the
    same transaction). Only then may the login page list the demo accounts' passwords."""
    if not is_demo_database(conn=conn):
        return False
    imported = conn.execute(sa.select(AuditLog.id).where(AuditLog.action == "import").limit(1)).first()
    return imported is None


def ensure_demo_accounts(engine: Engine) -> list[tuple[str, str, str]]:
    """On a demo database without accounts, create one per role; returns (name, role, password) of the demo
    accounts (empty on any other database, or once real data was imported: it never gets a default password)."""
    with engine.connect() as conn:
        if not holds_demo_data_only(conn=conn):
            return []
        existing = set(conn.execute(sa.select(User.name)).scalars())
        staff_advisor = conn.execute(sa.text("SELECT MIN(id) FROM advisors")).scalar()
    for name, role, display, password in DEMO_ACCOUNTS if not existing else ():
        create_user(
            engine,
            name=name,
            role=role,
            password=password,
            actor="demo",
            display_name=display,
            advisor_id=staff_advisor if role == "staff" else None,
        )
    return [(name, role, password) for name, role, _, password in DEMO_ACCOUNTS]
