"""Engines and connection checks: every failure is a DatabaseError of a known kind, never with a password."""

from __future__ import annotations

import importlib.util

import pytest
import sqlalchemy as sa

from core.storage.db import (
    DatabaseError,
    check_connection,
    make_engine,
    mask_url,
    open_database,
    schema_revision,
)
from core.storage.errors import HINTS

SECRET = "S3cr3t-pw"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql+psycopg://bob:s3cret@db:5432/crm", "postgresql+psycopg://bob:***@db:5432/crm"),
        (
            "mysql+pymysql://root:p%40ss@127.0.0.1:3306/x?charset=utf8mb4",
            "mysql+pymysql://root:***@127.0.0.1:3306/x?charset=utf8mb4",
        ),
        ("postgresql+psycopg://bob@db/crm", "postgresql+psycopg://bob@db/crm"),
        ("sqlite:///data/dashboard.sqlite", "sqlite:///data/dashboard.sqlite"),
        ("not a url", "not a url"),
        # not parseable by SQLAlchemy, but the password is still hidden
        ("not a url://bob:s3cret@db/x", "not a url://bob:***@db/x"),
    ],
)
def test_mask_url(url, masked):
    assert mask_url(url) == masked


# (url, kind); the kinds that make_engine itself detects, before any connection
MAKE_ENGINE_ERRORS = [
    ("nonsense://x", "bad_url"),
    ("not a url", "bad_url"),
    (f"nonsense://bob:{SECRET}@db/x", "bad_url"),
    ("postgresql+nosuchdriver://u@h/x", "bad_url"),
    # a folder for the SQLite file cannot be made: its parent is a file
    ("sqlite:////etc/hostname/dashboard.sqlite", "unreachable"),
]


@pytest.mark.parametrize(("url", "kind"), MAKE_ENGINE_ERRORS)
def test_make_engine_errors(url, kind):
    with pytest.raises(DatabaseError) as info:
        make_engine(url)
    assert info.value.kind == kind
    assert info.value.tried == mask_url(url)
    assert str(info.value).startswith(HINTS[kind])
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    ("url", "module"),
    [
        (f"mysql+mysqldb://u:{SECRET}@127.0.0.1/x", "MySQLdb"),
        (f"postgresql+pg8000://u:{SECRET}@127.0.0.1/x", "pg8000"),
    ],
)
def test_make_engine_driver_missing(url, module):
    if importlib.util.find_spec(module) is not None:
        pytest.skip(f"{module} is installed here, so its driver is not missing")
    with pytest.raises(DatabaseError) as info:
        make_engine(url)
    assert info.value.kind == "driver_missing"
    assert info.value.tried == url.replace(SECRET, "***")
    assert str(info.value).startswith(HINTS["driver_missing"])
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://postgres:{SECRET}@127.0.0.1:1/test",
        f"mysql+pymysql://root:{SECRET}@127.0.0.1:1/test",
    ],
    ids=["postgresql", "mariadb"],
)
def test_unreachable_server(url):
    engine = make_engine(url)  # no connection yet: this must not fail
    try:
        with pytest.raises(DatabaseError) as info:
            check_connection(engine)
    finally:
        engine.dispose()
    assert info.value.kind == "unreachable"
    assert info.value.tried == url.replace(SECRET, "***")
    assert str(info.value).startswith(HINTS["unreachable"])
    assert "\n" not in str(info.value)  # one line, though psycopg's message has two
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)


def test_open_database_unreachable_raises_database_error():
    with pytest.raises(DatabaseError) as info:
        open_database(f"postgresql+psycopg://postgres:{SECRET}@127.0.0.1:1/test")
    assert info.value.kind == "unreachable"
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    ("good_url", "user"),
    [
        pytest.param(
            "postgresql+psycopg://postgres@127.0.0.1:5432/test",
            "postgres",
            marks=pytest.mark.server,
            id="postgresql",
        ),
        pytest.param(
            "mysql+pymysql://root@127.0.0.1:3306/test", "root", marks=pytest.mark.server, id="mariadb"
        ),
    ],
)
def test_wrong_password_is_denied(good_url, user):
    good = sa.engine.make_url(good_url)
    probe = sa.create_engine(good, connect_args={"connect_timeout": 3})
    try:
        with probe.connect():
            pass
    except sa.exc.OperationalError as exc:
        pytest.skip(f"server not reachable at {good.host}:{good.port}: {exc.orig}")
    finally:
        probe.dispose()
    bad = make_engine(good.set(password=SECRET).render_as_string(hide_password=False))
    try:
        try:
            with bad.connect():
                pass
        except sa.exc.OperationalError:
            pass
        else:
            pytest.skip(
                f"the server at {good.host}:{good.port} lets {user} in with any password (trust authentication)"
            )
        with pytest.raises(DatabaseError) as info:
            check_connection(bad)
    finally:
        bad.dispose()
    assert info.value.kind == "denied"
    assert str(info.value).startswith(HINTS["denied"])
    assert info.value.tried == f"{good.drivername}://{user}:***@{good.host}:{good.port}/{good.database}"
    assert SECRET not in str(info.value)


def test_missing_sqlite_folder_is_created(tmp_path):
    path = tmp_path / "new" / "deeper" / "db.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    try:
        check_connection(engine)
    finally:
        engine.dispose()
    assert path.is_file()


def test_sqlite_wal_foreign_keys_and_busy_timeout(sqlite_url):
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            pragmas = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            }
    finally:
        engine.dispose()
    # synchronous: 1 = NORMAL
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10000, "synchronous": 1}


def test_sqlite_enforces_foreign_keys(sqlite_url):
    engine = open_database(sqlite_url)
    try:
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO stores (code, name, name_en, region_id, brand) VALUES ('S', 's', 's', 99, 'b')"
                )
            )
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT COUNT(*) FROM stores")).scalar_one() == 0
    finally:
        engine.dispose()


def test_open_database_without_upgrade_leaves_database_empty(sqlite_url):
    engine = open_database(sqlite_url, auto_upgrade=False)
    try:
        assert schema_revision(engine) is None
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_database_error_text_names_kind_hint_and_detail():
    err = DatabaseError("denied", "postgresql+psycopg://u:***@h/db", "password authentication failed")
    assert str(err) == (
        f"{HINTS['denied']} Tried: postgresql+psycopg://u:***@h/db. (password authentication failed)"
    )
    assert set(HINTS) == {"bad_url", "driver_missing", "unreachable", "denied"} | {
        "key_missing",
        "key_invalid",
        "key_wrong",
        "key_unsealed",
    }


# a server that answers: an unknown user is a refused login, an unknown database is a wrong address
SERVER_ERRORS = [
    pytest.param(
        f"postgresql+psycopg://nosuchuser:{SECRET}@127.0.0.1:5432/test",
        "denied",
        id="postgresql-unknown-user",
    ),
    pytest.param(
        "postgresql+psycopg://postgres@127.0.0.1:5432/nosuchdb",
        "unreachable",
        id="postgresql-unknown-database",
    ),
    pytest.param(
        f"mysql+pymysql://nosuchuser:{SECRET}@127.0.0.1:3306/test", "denied", id="mariadb-unknown-user"
    ),
    pytest.param(
        "mysql+pymysql://root@127.0.0.1:3306/nosuchdb", "unreachable", id="mariadb-unknown-database"
    ),
]


@pytest.mark.server
@pytest.mark.parametrize(("url", "kind"), SERVER_ERRORS)
def test_server_refusals(url, kind, admin_engines):
    admin_engines.get("postgresql" if url.startswith("postgresql") else "mariadb")  # skips without a server
    engine = make_engine(url)
    try:
        with pytest.raises(DatabaseError) as info:
            check_connection(engine)
    finally:
        engine.dispose()
    assert info.value.kind == kind
    assert info.value.tried == url.replace(SECRET, "***")
    assert str(info.value).startswith(HINTS[kind])
    assert SECRET not in str(info.value)
