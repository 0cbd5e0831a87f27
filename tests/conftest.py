"""Shared fixtures: fresh empty databases on every backend, and one small demo database per session.

``db_url`` runs a test on SQLite, PostgreSQL and MariaDB. The servers are expected at 127.0.0.1 with
passwordless admin users (``postgres`` and ``root``), as in CI; a server that does not answer within
3 seconds skips its parameter with the reason, so the suite still runs on a laptop without servers.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import settings
from sqlalchemy.engine import Engine

from core.demo.generator import DemoSummary, generate
from core.storage.db import open_database
from core.storage.pii_crypto import ENV_VAR, new_key_text
from tests.served import served  # noqa: F401 (a fixture every test module may use)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# names and phones are encrypted at rest: the session has a key of its own, so no test reads or creates the
# developer's local key file; subprocesses (the CLI, the served app) inherit it
os.environ.setdefault(ENV_VAR, new_key_text())
DEMO_AS_OF = dt.date(2026, 6, 30)


@dataclass(frozen=True)
class _Server:
    label: str
    admin_url: str  # a database that exists, to run CREATE/DROP DATABASE from
    url_template: str  # {name} is replaced by the fresh database's name
    create_sql: str
    drop_sql: str
    connect_args: dict


SERVERS = {
    "postgresql": _Server(
        label="PostgreSQL not reachable at 127.0.0.1:5432",
        admin_url="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        url_template="postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
        create_sql="CREATE DATABASE {name}",
        drop_sql="DROP DATABASE IF EXISTS {name} WITH (FORCE)",
        connect_args={"connect_timeout": 3},
    ),
    "mariadb": _Server(
        label="MariaDB not reachable at 127.0.0.1:3306",
        admin_url="mysql+pymysql://root@127.0.0.1:3306/test",
        url_template="mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4",
        create_sql="CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        drop_sql="DROP DATABASE IF EXISTS {name}",
        connect_args={"connect_timeout": 3},
    ),
}

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.server),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.server),
]


class _AdminEngines:
    """One AUTOCOMMIT engine per server, made on first use; remembers a server that did not answer."""

    def __init__(self) -> None:
        self.engines: dict[str, Engine] = {}
        self.errors: dict[str, str] = {}

    def get(self, backend: str) -> Engine:
        server = SERVERS[backend]
        if backend in self.errors:
            pytest.skip(f"{server.label}: {self.errors[backend]}")
        if backend not in self.engines:
            engine = sa.create_engine(
                server.admin_url, isolation_level="AUTOCOMMIT", connect_args=server.connect_args
            )
            try:
                with engine.connect() as conn:
                    conn.execute(sa.text("SELECT 1"))
            except Exception as exc:  # any failure means: no usable server here
                engine.dispose()
                self.errors[backend] = " ".join(str(exc).split())[:300]
                pytest.skip(f"{server.label}: {self.errors[backend]}")
            self.engines[backend] = engine
        return self.engines[backend]

    def dispose(self) -> None:
        for engine in self.engines.values():
            engine.dispose()


@pytest.fixture(scope="session")
def admin_engines() -> Iterator[_AdminEngines]:
    admins = _AdminEngines()
    yield admins
    admins.dispose()


def _fresh_database(backend: str, tmp_path: Path, admins: _AdminEngines) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.sqlite'}"
        return
    server = SERVERS[backend]
    admin = admins.get(backend)
    name = f"t_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(server.create_sql.format(name=name)))
    try:
        yield server.url_template.format(name=name)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(server.drop_sql.format(name=name)))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, admin_engines: _AdminEngines) -> Iterator[str]:
    """URL of a fresh, empty database (no tables) on each backend; dropped afterwards."""
    yield from _fresh_database(request.param, tmp_path, admin_engines)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a fresh SQLite file (not created yet)."""
    return f"sqlite:///{tmp_path / 'test.sqlite'}"


class _HeadTemplates:
    """One database per backend migrated to head, made on first use and copied into fresh databases.

    Running the migrations took most of a server test's time (1-4 s on MariaDB and PostgreSQL, against a few
    tenths for the copy); the migrations themselves are tested on empty databases (test_migrations.py).
    """

    def __init__(self, admins: _AdminEngines, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.admins = admins
        self.tmp_path_factory = tmp_path_factory
        self.sqlite_path: Path | None = None
        self.names: dict[str, str] = {}

    def _server_template(self, backend: str) -> str:
        if backend not in self.names:
            server, admin = SERVERS[backend], self.admins.get(backend)
            name = f"t_head_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.execute(sa.text(server.create_sql.format(name=name)))
            self.names[backend] = name  # dropped at the end even if the migration fails
            open_database(server.url_template.format(name=name)).dispose()
        return self.names[backend]

    def fill(self, db_url: str) -> None:
        """Give the fresh, empty database at ``db_url`` (made by ``db_url``) the schema at head."""
        backend = sa.engine.make_url(db_url).get_backend_name()
        if backend == "sqlite":
            if self.sqlite_path is None:
                path = self.tmp_path_factory.mktemp("head-template") / "head.sqlite"
                open_database(f"sqlite:///{path}").dispose()
                self.sqlite_path = path
            copy_sqlite(self.sqlite_path, Path(sa.engine.make_url(db_url).database))
            return
        backend = "postgresql" if backend == "postgresql" else "mariadb"
        template, admin = self._server_template(backend), self.admins.get(backend)
        name = sa.engine.make_url(db_url).database
        with admin.connect() as conn:
            if (
                backend == "postgresql"
            ):  # a database is copied whole from its template, when nobody is on either
                conn.execute(sa.text(SERVERS[backend].drop_sql.format(name=name)))
                conn.execute(sa.text(f"CREATE DATABASE {name} TEMPLATE {template}"))
                return
            # MariaDB has no template databases: the same tables (SHOW CREATE TABLE: columns, keys, foreign
            # keys, options) and their rows (the alembic version)
            tables = conn.execute(
                sa.text(f"SHOW FULL TABLES FROM {template} WHERE Table_type = 'BASE TABLE'")
            )
            tables = [row[0] for row in tables]
            conn.execute(sa.text("SET FOREIGN_KEY_CHECKS = 0"))
            try:
                conn.execute(sa.text(f"USE {name}"))
                for table in tables:
                    ddl = conn.execute(sa.text(f"SHOW CREATE TABLE {template}.`{table}`")).one()[1]
                    conn.execute(sa.text(ddl))
                    conn.execute(sa.text(f"INSERT INTO `{table}` SELECT * FROM {template}.`{table}`"))
            finally:
                conn.execute(sa.text("SET FOREIGN_KEY_CHECKS = 1"))
                conn.execute(sa.text("USE test"))

    def dispose(self) -> None:
        for backend, name in self.names.items():
            with self.admins.get(backend).connect() as conn:
                conn.execute(sa.text(SERVERS[backend].drop_sql.format(name=name)))


@pytest.fixture(scope="session")
def head_templates(
    admin_engines: _AdminEngines, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_HeadTemplates]:
    templates = _HeadTemplates(admin_engines, tmp_path_factory)
    yield templates
    templates.dispose()


@pytest.fixture
def head_db_url(db_url: str, head_templates: _HeadTemplates) -> str:
    """``db_url`` (a fresh database on each backend) with the schema at head: a copy of a session template."""
    head_templates.fill(db_url)
    return db_url


@pytest.fixture
def engine(head_db_url: str) -> Iterator[Engine]:
    """An engine on ``db_url`` with the schema at head (``head_db_url``); disposed before the database is
    dropped. ``open_database`` still runs on it, as in the app: it finds the schema current."""
    eng = open_database(head_db_url)
    yield eng
    eng.dispose()


@dataclass
class DemoDatabase:
    """A generated demo database: where it is, an engine on it, and what was written."""

    url: str
    engine: Engine
    as_of: dt.date
    summary: DemoSummary
    pristine: Path  # a copy made right after generating, that no test opens: copy it with copy_sqlite()


def copy_sqlite(src: str | Path, dst: Path) -> str:
    """Copy a SQLite database (a path or a sqlite:/// URL) to ``dst`` with SQLite's backup API (the demo is in
    WAL mode: copying the file alone could miss pages); returns the copy's URL."""
    import sqlite3
    from contextlib import closing

    src_path = str(src).removeprefix("sqlite:///")
    with closing(sqlite3.connect(src_path)) as source, closing(sqlite3.connect(dst)) as target:
        source.backup(target)
    return f"sqlite:///{dst}"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoDatabase]:
    """A small SQLite demo database (300 customers, seed 7, as of 2026-06-30), generated once per session.

    Treat it as read-only: other tests share it. A test or fixture that writes (signs in, publishes, opens a
    meeting) works on a copy of ``demo_db.pristine`` (``demo_copy``, or ``copy_sqlite`` in a module fixture)
    instead of generating the same demo again.
    """
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo.sqlite"
    url = f"sqlite:///{path}"
    eng = open_database(url)
    summary = generate(eng, customers=300, seed=7, as_of=DEMO_AS_OF)
    pristine = folder / "pristine.sqlite"
    copy_sqlite(path, pristine)
    yield DemoDatabase(url=url, engine=eng, as_of=DEMO_AS_OF, summary=summary, pristine=pristine)
    eng.dispose()


# Real data sets. Maven's CRM pipeline (public domain) ships in tests/data; the others' licences are unverified,
# so they are not in the repository: tests on them read ../shared/data/real beside the checkout (a git worktree
# one level deeper, e.g. wt/<name>, finds it further up) and skip with the reason on a clone without it.
SHIPPED_DATA = PROJECT_ROOT / "tests" / "data"
MAVEN = SHIPPED_DATA / "maven-crm-sales-opportunities"
SHARED_REAL_DATA = next(
    (
        p / "shared" / "data" / "real"
        for p in PROJECT_ROOT.parents
        if (p / "shared" / "data" / "real").is_dir()
    ),
    PROJECT_ROOT.parent / "shared" / "data" / "real",
)


def real_file(source: str) -> Path:
    """A real data set's file, ``<data set>/<file>``: the shipped copy, else ../shared's (skips when absent there)."""
    dataset = source.split("/", 1)[0]
    if (SHIPPED_DATA / dataset).is_dir():
        return SHIPPED_DATA / source  # shipped: a missing file is an error, never a skip
    path = SHARED_REAL_DATA / source
    if not path.exists():
        pytest.skip(
            f"real data set {dataset} is not in the repository (licence unverified) and not at {path}: "
            "put its folder in ../shared/data/real/ beside the checkout to run this test"
        )
    return path


MAPPINGS = PROJECT_ROOT / "core" / "io" / "importing" / "mappings"


def import_real(engine: Engine, kind: str, source: str, mapping: str):
    """Import one real data set's file with its shipped mapping; fails the test unless all of it went in."""
    from core.io.importing import import_bytes, load_mapping, report_frame

    path = real_file(source)
    res = import_bytes(
        engine, path.read_bytes(), kind, filename=path.name, mapping=load_mapping(MAPPINGS / mapping, kind)
    )
    if not res.committed or res.error_rows:
        pytest.fail(f"{source} did not import:\n{report_frame(res.issues, 'en').head(20).to_string()}")
    return res


@dataclass
class RealDatabase:
    """A SQLite database built by importing a real data set (Maven CRM: accounts, then the pipeline)."""

    url: str
    engine: Engine
    pipeline: pd.DataFrame  # the source CSV as pandas reads it, for independent expected figures


@pytest.fixture(scope="session")
def real_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealDatabase]:
    """Maven's CRM opportunities (shipped in tests/data) imported through core.io.importing with the shipped mappings.

    Read-only."""

    path = tmp_path_factory.mktemp("real") / "maven.sqlite"
    url = f"sqlite:///{path}"
    eng = open_database(url)
    import_real(
        eng, "customers", "maven-crm-sales-opportunities/accounts.csv", "maven-accounts.customers.json"
    )
    import_real(eng, "leads", "maven-crm-sales-opportunities/sales_pipeline.csv", "maven-pipeline.leads.json")
    pipeline = pd.read_csv(MAVEN / "sales_pipeline.csv")
    yield RealDatabase(url=url, engine=eng, pipeline=pipeline)
    eng.dispose()


# property tests: no example database written into the project, no deadline on slow CI machines
settings.register_profile("project", database=None, deadline=None)
settings.load_profile("project")


@pytest.fixture
def demo_copy(demo_db, tmp_path):
    """A private copy of the demo database as generated, for tests that sign in, lock accounts, change users or
    import."""
    return copy_sqlite(demo_db.pristine, tmp_path / "demo.sqlite")


_FOLDER_MARKS = {"browser": "browser", "app": "app"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by folder (tests/browser → ``browser``, tests/app → ``app``), so ``-m "not browser"`` or
    ``-m app`` choose them; server tests are marked ``server`` by their ``db_url`` parameter."""
    tests_dir = Path(__file__).resolve().parent
    for item in items:
        try:
            first = Path(str(item.path)).resolve().relative_to(tests_dir).parts[0]
        except ValueError:
            continue
        if first in _FOLDER_MARKS:
            item.add_marker(_FOLDER_MARKS[first])
