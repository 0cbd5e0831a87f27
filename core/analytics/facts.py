"""The fact rows of the filtered analysis pages, read once per data version and held in compact arrays.

The overview, funnel, defeat and tier pages all aggregate the same few tables over the shared filters
(period, store, region, channel). Reading those rows with SQL on every filter change costs seconds at a
million customers; reading them once and filtering numpy arrays costs milliseconds. This module reads them
(portable SQLAlchemy Core, in chunks, so the load never holds a million Python row objects at once) into:

- ``EventFacts``: leads (with their customer's region), defeats (with their lead's store, channel, model
  and advisor), follow-up times per lead, each customer's last new-car purchase, the new-car purchases linked
  to a lead (amount and gross profit, for channel ROI), customers' region, store and first channel, and the
  names of regions, stores, channels and advisors;
- ``TierFacts``: the owners schemes' tier assignments (history included, with the scheme version of each).

Columns are numpy arrays: ids ``int32`` (``-1`` for NULL), codes of categories ``int16`` with their category
strings, times ``datetime64[us]`` (``NaT`` for NULL). Customers' names and phones are not held (the few rows
a page lists fetch theirs by id); advisors' names are, in memory only (never in the snapshot).

``facts_key`` is the version the facts are valid for: the highest id of every table read (an insert changes
it; see the README for what it does not see). :mod:`core.analytics.facts_snapshot` keeps a copy on disk under that
key, and :mod:`core.analytics.facts_figures` turns the arrays into the frames the existing pure functions take.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.analytics.defeats import COUNTED_APPROVAL
from core.storage.models import (
    STAGE_TIME_COLUMNS,
    Advisor,
    Channel,
    Customer,
    Defeat,
    FollowUp,
    Lead,
    Purchase,
    Region,
    ScoringScheme,
    Store,
    TierAssignment,
)

FORMAT = 4  # bump when the arrays' layout changes: snapshots of another format are ignored
EVENT_TABLES = ("customers", "leads", "defeats", "follow_ups", "purchases")
TIER_TABLES = ("tier_assignments", "scoring_schemes")
CHUNK_ROWS = 200_000
LEAD_TIMES = ("created_at", *STAGE_TIME_COLUMNS, "defeated_at", "last_contact_at")
LEAD_CATEGORIES = ("intended_model", "grade", "status")
DEFEAT_CATEGORIES = ("reason", "sub_reason", "competitor_brand", "competitor_model", "intended_model")
# follow-up keys: lead position << KEY_SHIFT | (whole seconds + KEY_OFFSET); see EventFacts.follow_up_keys
KEY_SHIFT = 33
KEY_OFFSET = 2**32
NULL = -1


def _max_ids(conn: Connection, tables: tuple[str, ...]) -> str:
    sql = "SELECT " + ", ".join(f"(SELECT MAX(id) FROM {t})" for t in tables)
    return "|".join(str(x) for x in conn.execute(sa.text(sql)).one())


# audited writes that change event rows in place (a defeat approved or sent back closes or reopens its lead;
# an import merges into existing rows): an UPDATE leaves the highest ids as they were, its audit entry does not
IN_PLACE_ACTIONS = "action LIKE 'defeat.%' OR action LIKE 'import%'"


def facts_key(conn: Connection) -> str:
    """The version of the event facts: format, the highest id of every table they are read from, and of the
    audit entries of writes that update event rows in place.

    Examples
    --------
    >>> from core.storage.db import open_database
    >>> with open_database("sqlite://").connect() as conn:
    ...     facts_key(conn=conn)
    'f4:None|None|None|None|None|None'
    """
    in_place = conn.execute(sa.text(f"SELECT MAX(id) FROM audit_log WHERE {IN_PLACE_ACTIONS}")).scalar()
    return f"f{FORMAT}:" + _max_ids(conn, EVENT_TABLES) + f"|{in_place}"


def tier_key(conn: Connection) -> str:
    """The version of the tier facts: the highest id of the assignments and schemes, and the published
    scheme of the owners (a publish changes it even when it writes no row, e.g. a rollback)."""
    published = conn.execute(
        sa.select(sa.func.max(ScoringScheme.id)).where(
            ScoringScheme.population == "owners", ScoringScheme.status == "published"
        )
    ).scalar_one()
    return f"t{FORMAT}:" + _max_ids(conn, TIER_TABLES) + f"|{published}"


@dataclass
class Categories:
    """Codes of one text column and their categories (code ``-1`` is NULL)."""

    codes: np.ndarray
    categories: np.ndarray  # of str

    def take(self, idx: np.ndarray) -> Categories:
        return Categories(self.codes[idx], self.categories)

    def code_of(self, value: str) -> int:
        hit = np.flatnonzero(self.categories == value)
        return int(hit[0]) if len(hit) else -2  # -2 matches no row


@dataclass
class EventFacts:
    """The event rows the analysis pages aggregate (see the module docstring)."""

    key: str
    leads: dict[str, np.ndarray]
    lead_categories: dict[str, Categories]
    defeats: dict[str, np.ndarray]
    defeat_categories: dict[str, Categories]
    # sorted int64: (position of the lead in ``leads``) << KEY_SHIFT | (floor seconds since 1970 + KEY_OFFSET);
    # every cut-off the pages use is a midnight, so whole seconds compare exactly
    follow_up_keys: np.ndarray
    # dense by customer id
    customer_region: np.ndarray
    customer_store: np.ndarray
    customer_channel: np.ndarray
    last_new_car: np.ndarray  # datetime64[us], NaT without a new-car purchase
    # new-car purchases linked to a lead: lead_id (int32), amount and gross_profit (float64), by purchase id
    purchases: dict[str, np.ndarray] = field(default_factory=dict)
    # reference names: table → DataFrame id, name, name_en (advisors: id, name)
    names: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        arrays = [*self.leads.values(), *self.defeats.values(), self.follow_up_keys, self.last_new_car]
        arrays += list(self.purchases.values())
        arrays += [self.customer_region, self.customer_store, self.customer_channel]
        arrays += [c.codes for c in (*self.lead_categories.values(), *self.defeat_categories.values())]
        return int(sum(a.nbytes for a in arrays))


@dataclass
class TierFacts:
    """Tier assignments of the owners schemes: one row per assignment, history included."""

    key: str
    customer_id: np.ndarray  # int32
    tier: Categories
    score: np.ndarray  # float64
    effective_from: np.ndarray  # datetime64[us]
    effective_to: np.ndarray  # datetime64[us], NaT while in force
    scheme_id: np.ndarray  # int32: the scheme version that made the assignment

    @property
    def nbytes(self) -> int:
        return int(
            sum(
                a.nbytes
                for a in (
                    self.customer_id,
                    self.tier.codes,
                    self.score,
                    self.effective_from,
                    self.effective_to,
                    self.scheme_id,
                )
            )
        )


# ---- reading ----------------------------------------------------------------------------------------------


def to_times(values) -> np.ndarray:
    """Times (ISO strings, datetimes or None) as ``datetime64[us]`` with NaT for None.

    Examples
    --------
    >>> to_times(["2026-03-01 10:00:00.000000", None]).tolist()
    [datetime.datetime(2026, 3, 1, 10, 0), None]
    """
    a = np.array(values, dtype=object)
    a[pd.isna(a)] = "NaT"
    try:
        return a.astype("datetime64[us]")  # numpy parses ISO text and converts datetimes in C
    except (ValueError, TypeError):
        return pd.to_datetime(pd.Series(a).replace("NaT", None), cache=False).to_numpy(dtype="datetime64[us]")


def _ids(values, dtype=np.int32) -> np.ndarray:
    """Integer ids with NULL as -1."""
    s = pd.Series(values, dtype=object)
    return s.fillna(NULL).to_numpy(dtype=np.int64).astype(dtype)


class _Chunks:
    """Accumulates the chunks of one query column by column."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        self.parts: dict[str, list] = {c: [] for c in columns}

    def add(self, rows: list, converters: dict) -> None:
        cols = list(zip(*rows, strict=True)) if rows else [() for _ in self.columns]
        for name, values in zip(self.columns, cols, strict=True):
            self.parts[name].append(converters[name](values))

    def array(self, name: str) -> np.ndarray:
        return np.concatenate(self.parts[name])

    def categories(self, name: str) -> Categories:
        parts = self.parts[name]  # (codes, uniques) per chunk
        uniques = [u for _, u in parts]
        categories = np.unique(np.concatenate(uniques).astype(str)) if any(len(u) for u in uniques) else None
        if categories is None:
            return Categories(np.concatenate([c for c, _ in parts]).astype(np.int16), np.array([], dtype=str))
        dtype = np.int16 if len(categories) < 2**15 else np.int32
        codes = []
        for c, u in parts:
            lookup = np.searchsorted(categories, np.asarray(u, dtype=str))
            codes.append(np.where(c < 0, -1, lookup[np.maximum(c, 0)] if len(u) else -1).astype(dtype))
        return Categories(np.concatenate(codes), categories)


def _category(values) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(np.array(values, dtype=object), use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def _read(conn: Connection, query, spec: dict) -> _Chunks:
    """Run ``query`` on the driver's own cursor and convert it chunk by chunk, column by column.

    The queries here bind only constants of this module (no user input), rendered as literals; skipping
    SQLAlchemy's row objects makes the load about three times faster.
    """
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    chunks = _Chunks(list(spec))
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(CHUNK_ROWS):
            chunks.add(rows, spec)
    finally:
        cursor.close()
    if not chunks.parts[chunks.columns[0]]:
        chunks.add([], spec)
    return chunks


def _ints(dtype):
    return lambda v: _ids(v, dtype)


def _read_leads(conn: Connection) -> tuple[dict[str, np.ndarray], dict[str, Categories]]:
    q = sa.select(
        Lead.id,
        Lead.customer_id,
        Lead.store_id,
        Lead.channel_id,
        Lead.advisor_id,
        Lead.stage_reached,
        *[getattr(Lead, c) for c in LEAD_CATEGORIES],
        *[getattr(Lead, c) for c in LEAD_TIMES],
    ).order_by(Lead.id)
    spec = {
        "id": _ints(np.int32),
        "customer_id": _ints(np.int32),
        "store_id": _ints(np.int32),
        "channel_id": _ints(np.int32),
        "advisor_id": _ints(np.int32),
        "stage_reached": _ints(np.int16),
        **{c: _category for c in LEAD_CATEGORIES},
        **{c: to_times for c in LEAD_TIMES},
    }
    chunks = _read(conn, q, spec)
    arrays = {c: chunks.array(c) for c in spec if c not in LEAD_CATEGORIES}
    return arrays, {c: chunks.categories(c) for c in LEAD_CATEGORIES}


def _read_defeats(conn: Connection) -> tuple[dict[str, np.ndarray], dict[str, Categories]]:
    q = (
        sa.select(
            Defeat.id,
            Defeat.customer_id,
            Defeat.lead_id,
            Defeat.at,
            Defeat.stage_lost,
            Defeat.reason,
            Defeat.sub_reason,
            Defeat.competitor_brand,
            Defeat.competitor_model,
            Defeat.reactivated,
            Defeat.reactivated_at,
            Lead.store_id,
            Lead.channel_id,
            Lead.intended_model,
            sa.func.coalesce(Defeat.advisor_id, Lead.advisor_id).label("advisor_id"),
        )
        .select_from(Defeat)
        .join(Lead, Lead.id == Defeat.lead_id)
        .where(COUNTED_APPROVAL)  # the records that give a lost lead its reason (core.analytics.defeats)
        .order_by(Defeat.id)
    )
    spec = {
        "id": _ints(np.int32),
        "customer_id": _ints(np.int32),
        "lead_id": _ints(np.int32),
        "at": to_times,
        "stage_lost": _ints(np.int16),
        "reason": _category,
        "sub_reason": _category,
        "competitor_brand": _category,
        "competitor_model": _category,
        "reactivated": lambda v: pd.Series(v, dtype=object).fillna(False).to_numpy(dtype=bool),
        "reactivated_at": to_times,
        "store_id": _ints(np.int32),
        "channel_id": _ints(np.int32),
        "intended_model": _category,
        "advisor_id": _ints(np.int32),
    }
    chunks = _read(conn, q, spec)
    arrays = {c: chunks.array(c) for c in spec if c not in DEFEAT_CATEGORIES}
    return arrays, {c: chunks.categories(c) for c in DEFEAT_CATEGORIES}


def _read_follow_up_keys(conn: Connection, lead_ids: np.ndarray) -> np.ndarray:
    q = sa.select(FollowUp.lead_id, FollowUp.at).where(FollowUp.lead_id.is_not(None))
    chunks = _read(conn, q, {"lead_id": _ints(np.int32), "at": to_times})
    lead, at = chunks.array("lead_id"), chunks.array("at")
    pos = np.searchsorted(lead_ids, lead)
    known = (pos < len(lead_ids)) & (lead_ids[np.minimum(pos, len(lead_ids) - 1)] == lead) & ~np.isnat(at)
    seconds = np.floor_divide(at[known].astype(np.int64), 1_000_000) + KEY_OFFSET
    keys = (pos[known].astype(np.int64) << KEY_SHIFT) | seconds
    keys.sort()
    return keys


def _dense(ids: np.ndarray, values: np.ndarray, size: int, fill, dtype) -> np.ndarray:
    out = np.full(size, fill, dtype=dtype)
    out[ids] = values
    return out


def _read_customers(conn: Connection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    q = sa.select(Customer.id, Customer.region_id, Customer.store_id, Customer.first_channel_id)
    spec = {c: _ints(np.int32) for c in ("id", "region_id", "store_id", "first_channel_id")}
    chunks = _read(conn, q, spec)
    ids = chunks.array("id")
    size = int(ids.max()) + 1 if len(ids) else 1
    return tuple(  # type: ignore[return-value]
        _dense(ids, chunks.array(c), size, NULL, np.int32)
        for c in ("region_id", "store_id", "first_channel_id")
    )


def _read_last_new_car(conn: Connection, size: int) -> np.ndarray:
    q = (
        sa.select(Purchase.customer_id, sa.func.max(Purchase.at))
        .where(Purchase.kind == "new_car")
        .group_by(Purchase.customer_id)
    )
    chunks = _read(conn, q, {"customer_id": _ints(np.int64), "at": to_times})
    ids, at = chunks.array("customer_id"), chunks.array("at")
    size = max(size, int(ids.max()) + 1 if len(ids) else 0)
    return _dense(ids, at, size, np.datetime64("NaT"), "datetime64[us]")


def _read_purchases(conn: Connection) -> dict[str, np.ndarray]:
    q = (
        sa.select(Purchase.lead_id, Purchase.amount, Purchase.gross_profit)
        .where(Purchase.kind == "new_car", Purchase.lead_id.is_not(None))
        .order_by(Purchase.id)
    )

    def money(values) -> np.ndarray:
        return pd.Series(values, dtype=object).astype(float).to_numpy(dtype=np.float64)

    chunks = _read(conn, q, {"lead_id": _ints(np.int32), "amount": money, "gross_profit": money})
    return {c: chunks.array(c) for c in chunks.columns}


def read_names(conn: Connection) -> dict[str, pd.DataFrame]:
    """Names of regions, stores and channels (id, name, name_en) and advisors (id, name)."""
    out = {
        name: pd.read_sql(sa.select(t.id, t.name, t.name_en).order_by(t.id), conn)
        for name, t in (("regions", Region), ("stores", Store), ("channels", Channel))
    }
    out["advisors"] = pd.read_sql(sa.select(Advisor.id, Advisor.name).order_by(Advisor.id), conn)
    return out


def read_event_facts(conn: Connection, key: str) -> EventFacts:
    """Read the event facts from the database (the slow path; see :mod:`core.analytics.facts_snapshot`).

    Parameters
    ----------
    conn : Connection
        An open connection.
    key : str
        :func:`facts_key` as read before this call (it labels the result).

    Returns
    -------
    EventFacts

    Examples
    --------
    >>> from core.storage.db import open_database
    >>> with open_database("sqlite://").connect() as conn:
    ...     facts = read_event_facts(conn, facts_key(conn))
    >>> len(facts.leads["id"]), len(facts.defeats["id"]), len(facts.follow_up_keys)
    (0, 0, 0)
    """
    leads, lead_categories = _read_leads(conn)
    region, store, channel = _read_customers(conn)
    cust = leads["customer_id"]
    inside = (cust >= 0) & (cust < len(region))
    leads["region_id"] = np.where(inside, region[np.where(inside, cust, 0)], NULL).astype(np.int32)
    defeats, defeat_categories = _read_defeats(conn)
    dc = defeats["customer_id"]
    inside = (dc >= 0) & (dc < len(region))
    defeats["region_id"] = np.where(inside, region[np.where(inside, dc, 0)], NULL).astype(np.int32)
    return EventFacts(
        key=key,
        leads=leads,
        lead_categories=lead_categories,
        defeats=defeats,
        defeat_categories=defeat_categories,
        follow_up_keys=_read_follow_up_keys(conn, leads["id"]),
        customer_region=region,
        customer_store=store,
        customer_channel=channel,
        last_new_car=_read_last_new_car(conn, len(region)),
        purchases=_read_purchases(conn),
        names=read_names(conn),
    )


def read_tier_facts(conn: Connection, key: str) -> TierFacts:
    """Read the owners schemes' tier assignments (every version, so any period's end can be asked).

    Examples
    --------
    >>> from core.storage.db import open_database
    >>> with open_database("sqlite://").connect() as conn:
    ...     len(read_tier_facts(conn, tier_key(conn)).score)
    0
    """
    q = (
        sa.select(
            TierAssignment.customer_id,
            TierAssignment.tier,
            TierAssignment.score,
            TierAssignment.effective_from,
            TierAssignment.effective_to,
            TierAssignment.scheme_id,
        )
        .where(
            TierAssignment.scheme_id.in_(
                sa.select(ScoringScheme.id).where(ScoringScheme.population == "owners")
            )
        )
        .order_by(TierAssignment.id)
    )
    spec = {
        "customer_id": _ints(np.int32),
        "tier": _category,
        "score": lambda v: pd.Series(v, dtype=object).to_numpy(dtype=np.float64),
        "effective_from": to_times,
        "effective_to": to_times,
        "scheme_id": _ints(np.int32),
    }
    chunks = _read(conn, q, spec)
    return TierFacts(
        key=key,
        customer_id=chunks.array("customer_id"),
        tier=chunks.categories("tier"),
        score=chunks.array("score"),
        effective_from=chunks.array("effective_from"),
        effective_to=chunks.array("effective_to"),
        scheme_id=chunks.array("scheme_id"),
    )
