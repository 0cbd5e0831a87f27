"""Fast, all-or-nothing bulk writes of DataFrames into the model's tables.

SQLite takes the driver's ``executemany`` directly (tens of times faster than one ORM object per row);
PostgreSQL and MySQL go through SQLAlchemy Core's executemany. Either way every table of one call is
written in a single transaction: after an error nothing of it is in the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.storage.db import write_transaction
from core.storage.models import Base, Meta
from core.storage.pii_crypto import EncryptedText, with_index_columns

CHUNK = 200_000
REBUILD_MIN_ROWS = 50_000


class NotEmptyError(RuntimeError):
    """The target table already holds rows and the caller asked for an empty one."""


def _sqlite_datetimes(values: np.ndarray) -> np.ndarray:
    """The exact text SQLAlchemy's SQLite DATETIME writes ('2024-03-05 10:11:12.000000'), so comparisons
    with bound values agree; built on a byte view because numpy's string functions are slow."""
    text = np.datetime_as_string(values.astype("datetime64[s]"), unit="s").astype("S26")
    view = text.view(np.uint8).reshape(-1, 26)
    view[:, 10] = ord(" ")
    view[:, 19:26] = np.frombuffer(b".000000", dtype=np.uint8)
    out = text.astype("U26").astype(object)
    out[np.isnat(values)] = None
    return out


def _column_values(series: pd.Series, sql_type: sa.types.TypeEngine, sqlite: bool) -> list:
    """A column as a list of plain Python values (None for missing) the driver accepts."""
    if sqlite and isinstance(sql_type, EncryptedText):
        # the raw driver path skips SQLAlchemy's type processing: seal here (elsewhere the type does)
        return sql_type.seal_many(series.astype(object).where(series.notna(), None).tolist())
    if isinstance(sql_type, sa.DateTime):
        arr = pd.to_datetime(series).to_numpy()
        if sqlite:
            return _sqlite_datetimes(arr).tolist()
        return [None if v is pd.NaT else v.to_pydatetime() for v in pd.to_datetime(series)]
    if isinstance(sql_type, sa.Date):
        arr = pd.to_datetime(series).to_numpy().astype("datetime64[D]")
        if sqlite:
            out = arr.astype("U10").astype(object)
            out[np.isnat(arr)] = None
            return out.tolist()
        return [None if np.isnat(v) else v.astype(object) for v in arr]
    if isinstance(series.dtype, pd.api.extensions.ExtensionDtype) or series.dtype == object:
        return series.astype(object).where(series.notna(), None).tolist()
    return series.to_numpy().tolist()


def _insert(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    frame = with_index_columns(table, frame)
    cols = [c for c in table.columns if c.name in frame.columns]
    with indexes_built_after(conn, table, len(frame)):
        return _insert_rows(conn, table, cols, frame, conn.dialect.name == "sqlite")


@contextmanager
def indexes_built_after(conn: Connection, table: sa.Table, rows: int) -> Iterator[None]:
    """Around an insert of ``rows`` rows: into a SQLite table holding fewer rows than that, building the
    indexes once afterwards is ~2x faster than keeping them up to date row by row; SQLite's DDL is
    transactional, so this stays all-or-nothing. Elsewhere, or for a few rows, nothing is done."""
    rebuild = conn.dialect.name == "sqlite" and rows > REBUILD_MIN_ROWS and _fewer_rows(conn, table, rows)
    if rebuild:
        for index in table.indexes:
            conn.execute(sa.schema.DropIndex(index))
    yield
    if rebuild:
        for index in table.indexes:
            conn.execute(sa.schema.CreateIndex(index))


def _fewer_rows(conn: Connection, table: sa.Table, rows: int) -> bool:
    held = sa.select(sa.literal(1)).select_from(table).limit(rows).subquery()
    return conn.execute(sa.select(sa.func.count()).select_from(held)).scalar_one() < rows


def _insert_rows(
    conn: Connection, table: sa.Table, cols: list[sa.Column], frame: pd.DataFrame, sqlite: bool
) -> int:
    names = [c.name for c in cols]
    sql = f'INSERT INTO "{table.name}" ({", ".join(names)}) VALUES ({", ".join("?" * len(cols))})'
    total = 0
    for lo in range(0, len(frame), CHUNK):
        part = frame.iloc[lo : lo + CHUNK]
        rows = list(zip(*[_column_values(part[c.name], c.type, sqlite) for c in cols], strict=True))
        if sqlite:
            conn.connection.driver_connection.executemany(sql, rows)  # type: ignore[union-attr]
        else:
            conn.execute(table.insert(), [dict(zip(names, r, strict=True)) for r in rows])
        total += len(rows)
    return total


def _reset_sequence(conn: Connection, table: sa.Table) -> None:
    # explicit ids were written; make the database's own id counter continue after them
    if conn.dialect.name == "postgresql" and "id" in table.columns:
        conn.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
            )
        )


def write_frames(
    engine: Engine,
    frames: Sequence[tuple[str, pd.DataFrame]],
    *,
    meta: dict[str, str] | None = None,
    on_table: Callable[[int, str], None] | None = None,
    require_empty: str | None = None,
    trusted: bool = False,
) -> dict[str, int]:
    """Insert each (table name, frame) in order, all in one transaction. Returns rows written per table.

    With ``trusted`` (rows from code that guarantees referential integrity, i.e. the demo generator, whose
    tests check it) SQLite skips its per-row foreign-key checks, which more than halves the time.

    Raises
    ------
    NotEmptyError
        If ``require_empty`` names a table that already has rows (nothing is written).
    """
    tables = Base.metadata.tables
    written: dict[str, int] = {}
    relax_fk = trusted and engine.dialect.name == "sqlite"
    if not relax_fk:
        with write_transaction(engine) as conn:
            _write_all(
                conn, tables, frames, written, meta=meta, on_table=on_table, require_empty=require_empty
            )
        return written
    with engine.connect() as conn:
        # PRAGMA foreign_keys only takes effect outside a transaction: set it on the driver connection
        # (autocommit) before SQLAlchemy begins one, and restore it afterwards whatever happens
        driver = conn.connection.driver_connection
        driver.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            conn.info["core.storage.db.write"] = True
            with conn.begin():
                _write_all(
                    conn, tables, frames, written, meta=meta, on_table=on_table, require_empty=require_empty
                )
        finally:
            conn.info.pop("core.storage.db.write", None)
            driver.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
    return written


def _write_all(
    conn: Connection,
    tables: dict,
    frames: Sequence[tuple[str, pd.DataFrame]],
    written: dict[str, int],
    *,
    meta: dict[str, str] | None,
    on_table: Callable[[int, str], None] | None,
    require_empty: str | None,
) -> None:
    if require_empty is not None:
        count = conn.execute(sa.select(sa.func.count()).select_from(tables[require_empty])).scalar_one()
        if count:
            raise NotEmptyError(f"table {require_empty} already holds {count} rows")
    for i, (name, frame) in enumerate(frames):
        if on_table:
            on_table(i, name)
        written[name] = _insert(conn, tables[name], frame)
        _reset_sequence(conn, tables[name])
    if meta:
        conn.execute(sa.delete(Meta).where(Meta.key.in_(list(meta))))
        conn.execute(sa.insert(Meta), [{"key": k, "value": v} for k, v in meta.items()])


def insert_frame(conn: Connection, table_name: str, frame: pd.DataFrame) -> int:
    """Insert ``frame`` into ``table_name`` inside the caller's transaction. Returns rows written."""
    table = Base.metadata.tables[table_name]
    written = _insert(conn, table, frame)
    _reset_sequence(conn, table)
    return written
