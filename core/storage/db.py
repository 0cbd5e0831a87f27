"""Engines, connection checks and schema upgrades, with errors a person can act on."""

from __future__ import annotations

import functools
import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError, SQLAlchemyError

from core.storage.errors import DatabaseError
from core.storage.text_input import reject_nul_parameters

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***.

    Examples
    --------
    >>> mask_url("postgresql+psycopg://bob:s3cret@db:5432/crm")
    'postgresql+psycopg://bob:***@db:5432/crm'
    >>> mask_url("not a url")
    'not a url'
    """
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # the driver's own transaction handling is switched off (it would let DDL autocommit); SQLAlchemy's
    # "begin" event below emits BEGIN, so every transaction, DDL included, is all-or-nothing
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # a writer takes the write lock up front (BEGIN IMMEDIATE): a read-then-write transaction under a
    # deferred BEGIN fails with "database is locked" when another writer got there in between
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get(_WRITE_KEY) else "BEGIN")


_WRITE_KEY = "core.storage.db.write"


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction for writing: committed at the end, rolled back on any error.

    On SQLite it starts with BEGIN IMMEDIATE, so concurrent writers wait (busy timeout) instead of failing.
    """
    with engine.connect() as conn, begin_write(conn):
        yield conn


@contextmanager
def begin_write(conn: Connection) -> Iterator[Connection]:
    """``write_transaction`` on a connection the caller opened (e.g. one that attached a file first)."""
    conn.info[_WRITE_KEY] = True
    try:
        with conn.begin():
            yield conn
    finally:
        conn.info.pop(_WRITE_KEY, None)


# PostgreSQL: serialization_failure, deadlock_detected; MariaDB/MySQL: deadlock (1213), "record has changed
# since last read" (1020, MariaDB's snapshot isolation). SQLite's writers queue on BEGIN IMMEDIATE and its busy
# timeout, so it never deadlocks; a lock wait timeout (1205, "database is locked") is not retried either, as
# the wait was long already.
_RETRY_SQLSTATES = frozenset({"40001", "40P01"})
_RETRY_MYSQL_CODES = frozenset({1213, 1020})
RETRY_ATTEMPTS = 8  # waits about 0.02 s, doubling: at most about 5 s in all
RETRY_BASE_S = 0.02

P = ParamSpec("P")
T = TypeVar("T")


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is a deadlock or serialization failure: the transaction was rolled back by the
    database and running it again is the expected answer (not a conflict a person must see)."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _RETRY_SQLSTATES:
        return True
    args = getattr(orig, "args", ())
    return bool(args) and args[0] in _RETRY_MYSQL_CODES


def retrying(func: Callable[P, T]) -> Callable[P, T]:
    """Run a function that makes its own write transaction(s) again when the database rolled one back for a
    deadlock or serialization failure: at most ``RETRY_ATTEMPTS`` runs, waiting a random (jittered) and
    growing time in between, so writers that collided do not collide again in step. Any other error, or
    the last attempt's, is raised unchanged. Only for functions whose transactions are all-or-nothing (a
    rolled-back run left nothing behind) and that are not called inside a caller's transaction."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(RETRY_ATTEMPTS):
            try:
                return func(*args, **kwargs)
            except DBAPIError as exc:
                if attempt == RETRY_ATTEMPTS - 1 or not is_transient(exc):
                    raise
            time.sleep(random.uniform(0.5, 1.5) * RETRY_BASE_S * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    return run


def make_engine(url: str) -> Engine:
    """Create an engine (no connection yet). SQLite gets WAL mode, foreign keys and a busy timeout.

    Raises
    ------
    DatabaseError
        ``bad_url`` or ``driver_missing``.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError("bad_url", mask_url(url), str(exc)) from None
    try:
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database
            if database and database != ":memory:" and not database.startswith("file:"):
                try:
                    Path(database).parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:  # e.g. a parent is a file, or the folder may not be created
                    raise DatabaseError("unreachable", mask_url(url), str(exc)) from None
            engine = sa.create_engine(parsed, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = sa.create_engine(parsed, pool_pre_ping=True)
        event.listen(engine, "before_cursor_execute", reject_nul_parameters)
    except NoSuchModuleError as exc:
        raise DatabaseError("bad_url", mask_url(url), str(exc)) from None
    except (ImportError, ModuleNotFoundError) as exc:
        raise DatabaseError("driver_missing", mask_url(url), str(exc)) from None
    except ArgumentError as exc:
        raise DatabaseError("bad_url", mask_url(url), str(exc)) from None
    return engine


def check_connection(engine: Engine) -> None:
    """Open one connection, or raise ``DatabaseError`` saying what to fix."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except OperationalError as exc:
        text = str(exc.orig).lower()
        refused = "access denied" in text or "authentication" in text or "password" in text
        unknown_role = 'role "' in text and "does not exist" in text  # PostgreSQL without password checks
        kind = "denied" if refused or unknown_role else "unreachable"
        raise DatabaseError(kind, mask_url(engine.url.render_as_string()), str(exc.orig).strip()) from None
    except SQLAlchemyError as exc:
        raise DatabaseError(
            "unreachable", mask_url(engine.url.render_as_string()), str(exc).strip()
        ) from None


def _alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def schema_revision(engine: Engine) -> str | None:
    """The database's Alembic revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    cfg = _alembic_config(None)  # type: ignore[arg-type]
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest migration. Returns (revision before, revision after)."""
    from alembic import command

    before = schema_revision(engine)
    command.upgrade(_alembic_config(engine), "head")
    return before, head_revision()


def open_database(url: str, *, auto_upgrade: bool = True) -> Engine:
    """Engine for ``url``, connection checked and schema upgraded to head (unless ``auto_upgrade`` is off)."""
    engine = make_engine(url)
    check_connection(engine)
    if auto_upgrade and schema_revision(engine) != head_revision():
        upgrade(engine)
    if schema_revision(engine) == head_revision():
        from core.storage.pii_crypto import verify_key

        verify_key(engine)  # a missing or wrong data key is said here, not as a traceback on some page
    return engine
