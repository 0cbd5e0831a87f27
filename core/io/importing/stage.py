"""Staging an import on SQLite, so that the database's one write lock is held for a moment, not a minute.

SQLite lets one writer in at a time: an import that planned and wrote inside its write transaction kept every
sign-in, session check and review save waiting until the busy timeout ran out (issue 13, item 8). Here the plan
is made in a read snapshot (``mark`` is read in the same snapshot), its rows go into a staging file of their
own (no lock on the database), and ``publish`` copies them in with ``INSERT ... SELECT`` / ``UPDATE`` in one
short write transaction, after checking that nothing the plan read has changed since (else the caller plans
again). A failure or a kill at any point leaves the database as it was: the staging file sits in a temporary
folder, is attached to the publishing connection only, and is removed afterwards.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import pysqlite as sqlite_dialect
from sqlalchemy.engine import Connection, Engine

from core.io.importing.store import Plan, Progress
from core.storage.bulk import CHUNK, _column_values, indexes_built_after
from core.storage.db import begin_write
from core.storage.models import Base
from core.storage.pii_crypto import with_index_columns

# Rows of these tables are never deleted, and apart from imports only a defeat request or decision changes one
# in place (core.workflow.defeat_approval), each audited: so their highest ids and the newest of these audit entries
# change whenever anything an import reads or writes has changed.
WATCHED = (
    "regions",
    "stores",
    "channels",
    "advisors",
    "customers",
    "leads",
    "follow_ups",
    "purchases",
    "defeats",
    "channel_spend",
)
AUDITED = ("import", "defeat.request", "defeat.approved", "defeat.returned")
SCHEMA = "import_stage"
SQLITE = sqlite_dialect.dialect()
# the publishing connection's page cache: the index updates of a big insert stay in memory
CACHE_KIB = 256 * 1024


def mark(conn: Connection) -> tuple:
    """What the plan read, in a few numbers: equal marks mean the plan made from the first still holds."""
    newest = [f'(SELECT MAX(id) FROM "{t}")' for t in WATCHED]
    # one equality each, so that every MAX is one look-up in the index on action, however long the log
    newest += [f"(SELECT MAX(id) FROM audit_log WHERE action = '{a}')" for a in AUDITED]
    return tuple(conn.exec_driver_sql(f"SELECT {', '.join(newest)}").one())


@dataclass
class StagedWrite:
    op: str  # insert | update
    table: str  # the model's table
    name: str  # the staging table
    columns: list[str]
    rows: int


@dataclass
class Stage:
    path: Path
    writes: list[StagedWrite] = field(default_factory=list)


@contextmanager
def staged(plan: Plan, progress: Progress) -> Iterator[Stage]:
    """The plan's writes as tables of a staging file (removed on leaving), with the values the driver would
    write: typeless columns keep them as they are until ``INSERT ... SELECT`` applies the real table's types."""
    with tempfile.TemporaryDirectory(prefix="import-stage-") as folder:
        stage = Stage(Path(folder) / "stage.sqlite")
        db = sqlite3.connect(stage.path, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=OFF")  # a scratch file: nothing to recover after a crash
            db.execute("PRAGMA synchronous=OFF")
            db.execute("BEGIN")
            for i, (op, name, frame) in enumerate(plan.writes):
                progress(0.6 + 0.25 * i / len(plan.writes), name)
                stage.writes.append(stage_write(db, f"w{i}", op, Base.metadata.tables[name], frame))
            db.execute("COMMIT")
        finally:
            db.close()
        yield stage


def stage_write(db: sqlite3.Connection, name: str, op: str, table: sa.Table, frame) -> StagedWrite:
    """One planned write into staging table ``name`` (an update's rows carry their ``id`` first)."""
    frame = with_index_columns(table, frame)  # a name or phone comes with its keyed hashes, as bulk writes it
    if op == "insert":
        cols = [c for c in table.columns if c.name in frame.columns]
    else:
        cols = [table.c.id] + [table.c[c] for c in frame.columns if c != "id"]
    names = [c.name for c in cols]
    quoted = ", ".join(f'"{n}"' for n in names)
    if op == "update":  # the publish looks each row up by its id
        quoted = quoted.replace('"id"', '"id" INTEGER PRIMARY KEY', 1)
    db.execute(f'CREATE TABLE "{name}" ({quoted})')
    sql = f'INSERT INTO "{name}" VALUES ({", ".join("?" * len(cols))})'
    for lo in range(0, len(frame), CHUNK):
        part = frame.iloc[lo : lo + CHUNK]
        if op == "insert":  # as core.storage.bulk inserts them on SQLite
            values = [_column_values(part[c.name], c.type, True) for c in cols]
        else:  # as store.update_rows wrote them: through SQLAlchemy's type processing
            values = [part["id"].astype(int).tolist()]
            values += [_processed(part[c.name], c.type) for c in cols[1:]]
        db.executemany(sql, zip(*values, strict=True))
    return StagedWrite(op, table.name, name, names, len(frame))


def _processed(series, sql_type: sa.types.TypeEngine) -> list:
    values = _column_values(series, sql_type, False)
    process = sql_type.dialect_impl(SQLITE).bind_processor(SQLITE)
    return [process(v) for v in values] if process else values


def publish(
    engine: Engine, stage: Stage, read: tuple, write_rest: Callable[[Connection], None], progress: Progress
) -> float | None:
    """Copy the staged rows into the database in one write transaction, then ``write_rest(conn)`` (the audit
    entry) in the same one. Returns the seconds the write lock was held, or None, and nothing written, if
    ``mark`` differs from ``read``."""
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        cache = driver.execute("PRAGMA cache_size").fetchone()[0]  # type: ignore[union-attr]
        try:
            # outside a transaction, on this connection only: no other connection sees the staging file
            driver.execute(f"ATTACH DATABASE ? AS {SCHEMA}", (str(stage.path),))  # type: ignore[union-attr]
            driver.execute(f"PRAGMA main.cache_size=-{CACHE_KIB}")  # type: ignore[union-attr]
            with begin_write(conn):
                locked = time.perf_counter()  # BEGIN IMMEDIATE returned: the lock is this connection's
                if mark(conn) != read:
                    return None
                for i, write in enumerate(stage.writes):
                    progress(0.85 + 0.1 * i / len(stage.writes), write.table)
                    publish_write(conn, write)
                write_rest(conn)
            return time.perf_counter() - locked
        finally:
            try:
                driver.execute(f"DETACH DATABASE {SCHEMA}")  # type: ignore[union-attr]
                driver.execute(f"PRAGMA main.cache_size={int(cache)}")  # type: ignore[union-attr]
            except sqlite3.Error:  # attached still, or never: either way this connection is not reused
                conn.invalidate()


def publish_write(conn: Connection, write: StagedWrite) -> None:
    """One staged table into its real table, inside the caller's write transaction."""
    table = Base.metadata.tables[write.table]
    source = f'{SCHEMA}."{write.name}"'
    if write.op == "insert":
        cols = ", ".join(f'"{c}"' for c in write.columns)
        with indexes_built_after(conn, table, write.rows):
            conn.exec_driver_sql(f'INSERT INTO main."{table.name}" ({cols}) SELECT {cols} FROM {source}')
        return
    cols = ", ".join(f'"{c}"' for c in write.columns[1:])
    conn.exec_driver_sql(
        f'UPDATE main."{table.name}" SET ({cols}) = (SELECT {cols} FROM {source} AS s '
        f'WHERE s.id = "{table.name}".id) WHERE id IN (SELECT id FROM {source})'
    )
