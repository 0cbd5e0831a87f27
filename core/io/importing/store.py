"""What an import compares against: its result type, the stored rows, and row-by-row comparison and updates.

Keys: customers by external id or phone; leads, follow-ups and purchases by their external id (the file's,
else a fingerprint of the row's values and the row's occurrence among equal rows, so the same file imports
the same keys); defeats by their lead;
channel spend by channel, store and month. A row equal to the stored one is left alone, which is why
importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.storage.bulk import _column_values
from core.storage.pii_crypto import with_index_columns

TABLE = {
    "customers": "customers",
    "leads": "leads",
    "followups": "follow_ups",
    "purchases": "purchases",
    "defeats": "defeats",
    "spend": "channel_spend",
}
EVENT_DATE = {"leads": "created_at", "followups": "at", "purchases": "at"}

Progress = Callable[[float, str], None]


@dataclass
class ImportResult:
    """What an import did (or, for a preview or a rejected file, would do)."""

    kind: str
    rows: int
    valid_rows: int
    issues: pd.DataFrame
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0  # rows that named a row already in the file (merged into it)
    customers_created: int = 0
    customers_updated: int = 0
    references_created: dict[str, list[str]] = field(default_factory=dict)
    committed: bool = False
    seconds: float = 0.0
    locked_seconds: float = 0.0  # how long the import held the write transaction (SQLite: its one lock)
    preview: pd.DataFrame | None = None

    @property
    def error_rows(self) -> int:
        return self.rows - self.valid_rows

    @property
    def file_rejected(self) -> bool:
        """A file-level problem (no row number): nothing of the file can be imported."""
        return bool(len(self.issues)) and bool(self.issues["row"].isna().any())


@dataclass
class Plan:
    result: ImportResult
    writes: list[tuple[str, str, pd.DataFrame]] = field(default_factory=list)  # (insert|update, table, frame)


def _norm(series: pd.Series, sql_type: sa.types.TypeEngine) -> pd.Series:
    """Values as comparable Python objects whatever the driver returned (0/1 for booleans, Decimal, text dates)."""
    if isinstance(sql_type, sa.DateTime | sa.Date):
        return pd.to_datetime(series, errors="coerce").astype("datetime64[ns]")
    if isinstance(sql_type, sa.Numeric | sa.Float):
        return pd.to_numeric(series, errors="coerce").astype(float).round(2)
    if isinstance(sql_type, sa.Boolean):
        return series.map(lambda x: None if x is None or pd.isna(x) else bool(x))
    if isinstance(sql_type, sa.Integer):
        return pd.to_numeric(series, errors="coerce").astype("Int64")
    return series.astype(object).where(series.notna(), None)


def diff(
    conn: Connection, table: sa.Table, new: pd.DataFrame, old: pd.DataFrame, *, keep_when_null: bool
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """(rows to update with their id, ids of rows to insert, rows unchanged); ``new`` and ``old`` share the key
    index, ``old`` has the stored ``id``."""
    common = new.index.intersection(old.index)
    cols = [c for c in new.columns if c != "id"]
    if not len(common):
        return new.iloc[:0], new, 0
    a, b = new.loc[common], old.loc[common]
    changed = pd.Series(False, index=common)
    for c in cols:
        x, y = _norm(a[c], table.c[c].type), _norm(b[c], table.c[c].type)
        same = (x.isna() & y.isna()) | (x == y).fillna(False).astype(bool)
        if keep_when_null:
            same |= x.isna()
        changed |= ~same.to_numpy(dtype=bool)
    upd = a[changed].copy()
    if keep_when_null and len(upd):
        upd = upd.combine_first(b[changed][cols])[cols]  # a column the file leaves empty keeps its value
    upd["id"] = b.loc[changed.index[changed], "id"].to_numpy()
    return upd, new.drop(index=common), int((~changed).sum())


def update_rows(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    frame = with_index_columns(table, frame)  # a new phone or name gets its new keyed hashes
    cols = [c for c in frame.columns if c != "id"]
    if frame.empty or not cols:
        return
    # plain Python values: these go through SQLAlchemy's own type processing (unlike bulk inserts on SQLite)
    data = {c: _column_values(frame[c], table.c[c].type, False) for c in cols}
    ids = frame["id"].astype(int).tolist()
    stmt = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("b_id"))
        .values({c: sa.bindparam(f"b_{c}") for c in cols})
    )
    for lo in range(0, len(ids), 50_000):
        conn.execute(
            stmt,
            [
                {"b_id": ids[i], **{f"b_{c}": data[c][i] for c in cols}}
                for i in range(lo, min(lo + 50_000, len(ids)))
            ],
        )


def stored_rows(conn: Connection, table: sa.Table, cols: list[str], where=None) -> pd.DataFrame:
    q = sa.select(*[table.c[c] for c in ["id", *cols]])
    if where is not None:
        q = q.where(where)
    return pd.read_sql(q, conn)


def fingerprints(v: pd.DataFrame, kind: str) -> pd.Series:
    """A stable key for rows without an external id: SHA-1 of the kind and the row's typed values (field
    names sorted), so the same row gives the same key in any later import and any pandas version.

    Examples
    --------
    >>> v = pd.DataFrame({"at": pd.to_datetime(["2024-03-05"]), "amount": [128000.0], "customer_phone": ["138"]})
    >>> fingerprints(v, "purchases").tolist()
    ['h:470c0c2c0e6fa2f09307']
    """
    cols = sorted(c for c in v.columns if c != "external_id")
    parts = [f"{c}=" + v[c].astype(object).map(_plain).astype(str) for c in cols]
    joined = parts[0].str.cat(parts[1:], sep="\x1f") if parts else pd.Series("", index=v.index)
    digest = [hashlib.sha1(f"{kind}\x1f{row}".encode()).hexdigest()[:20] for row in joined]
    return pd.Series(["h:" + d for d in digest], index=v.index)


def row_keys(v: pd.DataFrame, kind: str) -> pd.Series:
    """Keys of rows without an external id: the row's fingerprint, and for the 2nd, 3rd … row of the file with
    the same values ``#2``, ``#3`` …: equal rows are distinct events (two equal purchases on one day), and
    the same file still gives the same keys, so importing it again changes nothing.

    Examples
    --------
    >>> v = pd.DataFrame({"at": pd.to_datetime(["2024-03-05"] * 3), "amount": [10.0, 10.0, 20.0]})
    >>> [k[-4:] for k in row_keys(v, "purchases")]
    ['d389', '89#2', '9a65']
    """
    prints = fingerprints(v, kind)
    nth = prints.groupby(prints, sort=False).cumcount()
    return prints.where(nth == 0, prints + "#" + (nth + 1).astype(str))


def _plain(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float):
        return repr(round(value, 2))
    return str(value)


def next_id(conn: Connection, table: sa.Table) -> int:
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()) + 1
