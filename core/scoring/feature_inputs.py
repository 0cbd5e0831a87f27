"""The event tables the scoring dimensions read, with only the columns they need, in one typed bundle.

Both sources give the same shapes: the database (``load_feature_inputs``) and the demo generator's
in-memory frames (``FeatureInputs.from_frames``). Dtypes are normalised once here so that
``core.scoring.features`` can work on plain numpy arrays:

- ids are ``int64``; nullable foreign keys (``referred_by_id``, ``lead_id``, ...) are ``Int64``;
- times and dates are ``datetime64[us]`` (dates at midnight), missing as ``NaT``;
- flags are ``bool`` (``complaint_resolved`` stays nullable: ``boolean``);
- codes from a vocabulary of ``core.storage.models`` (``kind``, ``grade``, ``status``) are ``Categorical`` with
  that vocabulary as categories; an unknown code becomes missing and counts as none of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.storage.models import (
    CUSTOMER_KINDS,
    FOLLOW_UP_KINDS,
    LEAD_GRADES,
    LEAD_STATUSES,
    PURCHASE_KINDS,
    SATISFACTION_GRADES,
    Base,
)

#: table → the columns the dimensions read, in this order
COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": (
        "id",
        "kind",
        "region_id",
        "store_id",
        "advisor_id",
        "referred_by_id",
        "is_owner",
        "created_at",
    ),
    "leads": (
        "id",
        "customer_id",
        "store_id",
        "advisor_id",
        "grade",
        "status",
        "stage_reached",
        "created_at",
        "first_contact_at",
        "needs_at",
        "visit_at",
        "test_drive_at",
        "quote_at",
        "order_at",
        "delivery_at",
        "defeated_at",
        "expected_purchase_date",
        "last_contact_at",
        "asked_competitor",
    ),
    "follow_ups": ("customer_id", "lead_id", "at", "kind", "responded"),
    "purchases": ("customer_id", "kind", "at", "amount"),
    "satisfaction": ("customer_id", "at", "grade", "complaint", "complaint_resolved"),
    "event_attendances": ("customer_id", "at"),
}

_CATEGORIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("customers", "kind"): CUSTOMER_KINDS,
    ("leads", "grade"): LEAD_GRADES,
    ("leads", "status"): LEAD_STATUSES,
    ("follow_ups", "kind"): FOLLOW_UP_KINDS,
    ("purchases", "kind"): PURCHASE_KINDS,
    ("satisfaction", "grade"): SATISFACTION_GRADES,
}
_NULLABLE_BOOL = {("satisfaction", "complaint_resolved")}


def _table_types(table: str) -> dict[str, sa.types.TypeEngine]:
    cols = Base.metadata.tables[table].columns
    return {name: cols[name].type for name in COLUMNS[table]}


def _is_time(sql_type: sa.types.TypeEngine) -> bool:
    return isinstance(sql_type, sa.DateTime | sa.Date)


def _to_datetime(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "M":
        return values.astype("datetime64[us]")
    # SQLite hands back ISO text ('2026-06-30 18:00:00.000000' or '2026-06-30'); servers hand datetimes
    return pd.to_datetime(values, format="ISO8601").astype("datetime64[us]")


def _normalise(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in COLUMNS[table] if c not in frame.columns]
    if missing:
        raise ValueError(f"table {table} lacks columns {missing}")
    out = {}
    for name, sql_type in _table_types(table).items():
        col = frame[name]
        nullable = Base.metadata.tables[table].columns[name].nullable
        if _is_time(sql_type):
            col = _to_datetime(col)
        elif (table, name) in _CATEGORIES:
            col = pd.Series(pd.Categorical(col, categories=_CATEGORIES[(table, name)]), index=col.index)
        elif (table, name) in _NULLABLE_BOOL:
            col = col.astype("boolean")
        elif isinstance(sql_type, sa.Boolean):
            col = col.fillna(False).astype(bool) if col.dtype == object else col.astype(bool)
        elif isinstance(sql_type, sa.Integer):  # SmallInteger too
            col = col.astype("Int64") if nullable or col.isna().any() else col.astype(np.int64)
        elif isinstance(sql_type, sa.Numeric):
            col = col.astype(float)
        out[name] = col
    return pd.DataFrame(out).reset_index(drop=True)


def _empty(table: str) -> pd.DataFrame:
    return _normalise(table, pd.DataFrame({c: pd.Series([], dtype=object) for c in COLUMNS[table]}))


@dataclass
class FeatureInputs:
    """The columns of the event tables that the scoring dimensions read (see ``COLUMNS``).

    Build one with ``load_feature_inputs`` (database) or ``FeatureInputs.from_frames`` (in memory);
    both normalise dtypes the same way, so the same data gives the same features.

    Examples
    --------
    >>> inputs = FeatureInputs.from_frames({"customers": pd.DataFrame({
    ...     "id": [1], "kind": ["person"], "region_id": [1], "store_id": [1], "advisor_id": [1],
    ...     "referred_by_id": [None], "is_owner": [True], "created_at": ["2025-01-01 10:00:00"]})})
    >>> inputs.customers.dtypes["created_at"], len(inputs.purchases)
    (dtype('<M8[us]'), 0)
    """

    customers: pd.DataFrame
    leads: pd.DataFrame
    follow_ups: pd.DataFrame
    purchases: pd.DataFrame
    satisfaction: pd.DataFrame
    event_attendances: pd.DataFrame

    @classmethod
    def from_frames(cls, frames: Mapping[str, pd.DataFrame]) -> FeatureInputs:
        """Take the needed columns of in-memory tables (e.g. ``core.demo.generator.build_frames``).

        Parameters
        ----------
        frames : mapping of table name to DataFrame
            Extra tables and columns are ignored. ``customers`` is required; a missing event table is
            taken as empty (a dealer without event records, a hand-made test table).

        Returns
        -------
        FeatureInputs
            Copies with normalised dtypes; the given frames are not modified.

        Raises
        ------
        ValueError
            If ``customers`` is missing or a given table lacks one of the needed columns.
        """
        if "customers" not in frames:
            raise ValueError("the customers table is required")
        tables = {
            f.name: _normalise(f.name, frames[f.name]) if f.name in frames else _empty(f.name)
            for f in fields(cls)
        }
        return cls(**tables)


def _select(table: str) -> sa.Select:
    t = Base.metadata.tables[table]
    cols = []
    for name, sql_type in _table_types(table).items():
        col = t.c[name]
        if _is_time(sql_type):
            # raw values: SQLite's text is parsed by pandas in one vectorised call instead of row by row
            cols.append(sa.type_coerce(col, sa.String).label(name))
        elif isinstance(sql_type, sa.Numeric):
            cols.append(sa.cast(col, sa.Float).label(name))  # a float from the server, not a Decimal
        else:
            cols.append(col)
    return sa.select(*cols)


_NULL = np.iinfo(np.int64).min  # how the SQLite path sends NULL; read as datetime64 it is NaT
SQLITE_CHUNK = 500_000  # rows per query of the SQLite path (bounds the size of its text)


def _sqlite_column(table: str, name: str, sql_type: sa.types.TypeEngine) -> sa.ColumnElement:
    """One column of a chunk as a single comma-separated text of numbers, computed inside SQLite."""
    col = Base.metadata.tables[table].c[name]
    if isinstance(sql_type, sa.Numeric):
        text = sa.func.coalesce(sa.func.printf("%.17g", col), "nan")  # 17 digits: the exact double
        return sa.func.group_concat(text, ",")
    if _is_time(sql_type):
        # seconds since 1970 of the naive time as stored; julianday is a double precise to ~40 µs
        col = sa.cast(sa.func.round((sa.func.julianday(col) - 2440587.5) * 86400.0), sa.Integer)
    elif (table, name) in _CATEGORIES:
        col = sa.case({v: i for i, v in enumerate(_CATEGORIES[(table, name)])}, value=col, else_=-1)
    return sa.func.group_concat(sa.func.coalesce(col, _NULL), ",")


def _read_sqlite(conn: Connection, table: str) -> pd.DataFrame:
    """The SQLite file's columns without a Python object per value: SQLite writes each column of a chunk
    as one text of numbers (all columns of a chunk from the same scan, so rows stay aligned) and numpy
    parses it. Several times faster than fetching rows; times are read to the second."""
    t = Base.metadata.tables[table]
    types = _table_types(table)
    query = sa.select(*[_sqlite_column(table, n, ty) for n, ty in types.items()])
    dtypes = {n: float if isinstance(ty, sa.Numeric) else np.int64 for n, ty in types.items()}
    parts: dict[str, list[np.ndarray]] = {n: [] for n in types}
    low, high = conn.execute(sa.select(sa.func.min(t.c.id), sa.func.max(t.c.id))).one()
    for start in range(low or 0, (high or -1) + 1, SQLITE_CHUNK):
        texts = conn.execute(query.where(t.c.id.between(start, start + SQLITE_CHUNK - 1))).one()
        if texts[0] is None:  # no row in this id range
            continue
        for name, text in zip(types, texts, strict=True):
            parts[name].append(np.fromstring(text, dtype=dtypes[name], sep=","))
    out: dict[str, object] = {}
    for name, sql_type in types.items():
        values = np.concatenate(parts[name]) if parts[name] else np.zeros(0, dtype=dtypes[name])
        if _is_time(sql_type):
            out[name] = values.astype("datetime64[s]")
        elif (table, name) in _CATEGORIES:
            out[name] = pd.Categorical.from_codes(values, categories=_CATEGORIES[(table, name)])
        elif dtypes[name] is np.int64 and (values == _NULL).any():
            missing = values == _NULL
            out[name] = pd.arrays.IntegerArray(np.where(missing, 0, values), missing)
        else:
            out[name] = values
    return pd.DataFrame(out)


def load_feature_inputs(*, conn: Connection) -> FeatureInputs:
    """Read the columns the dimensions need from the database.

    Parameters
    ----------
    conn : sqlalchemy Connection
        Any backend of ``core.storage.db``; only the columns in ``COLUMNS`` are selected. SQLite takes a fast
        path (the columns come back as text of numbers, parsed by numpy; times to the second); the
        servers go through ``pandas.read_sql``.

    Returns
    -------
    FeatureInputs
        Whole tables (no as-of filter here: ``compute_features`` applies it, so one load serves
        several as-of dates of a backtest).

    Examples
    --------
    >>> from core.storage.db import open_database
    >>> engine = open_database("sqlite://")
    >>> with engine.connect() as conn:
    ...     inputs = load_feature_inputs(conn=conn)
    >>> list(inputs.follow_ups.columns), len(inputs.customers)
    (['customer_id', 'lead_id', 'at', 'kind', 'responded'], 0)
    """
    sqlite = conn.dialect.name == "sqlite"
    tables = {
        name: _normalise(name, _read_sqlite(conn, name) if sqlite else pd.read_sql(_select(name), conn))
        for name in COLUMNS
    }
    return FeatureInputs(**tables)
