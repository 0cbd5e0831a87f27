"""Plan an import against the database and write it in ONE transaction.

The plan is made inside the write transaction (so what it read cannot change before it writes): references
resolved or created, customers matched or created, and each row compared with the row already stored under
the same key. Keys: customers by external id or phone; leads, follow-ups and purchases by their external id
(the file's, else a fingerprint of the row's values, so the same file imports the same keys); defeats by
their lead; channel spend by channel, store and month. A row equal to the stored one is left alone, which is
why importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import copy
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.bulk import _column_values, insert_frame
from core.db import write_transaction
from core.importing import rows as rb
from core.importing.customers import existing_keys, resolve_customers
from core.importing.references import References
from core.importing.validate import Parsed
from core.models import AuditLog, Base, Customer, Lead

TABLE = {
    "customers": "customers",
    "leads": "leads",
    "followups": "follow_ups",
    "purchases": "purchases",
    "defeats": "defeats",
    "spend": "channel_spend",
}
CUSTOMER_ATTRS = (
    "external_id", "name", "phone", "kind", "gender", "birth_date", "region_id", "store_id", "advisor_id",
    "first_channel_id", "intended_model", "budget_range", "purpose", "is_owner", "created_at",
)  # fmt: skip
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
    preview: pd.DataFrame | None = None

    @property
    def error_rows(self) -> int:
        return self.rows - self.valid_rows

    @property
    def file_rejected(self) -> bool:
        """A file-level problem (no row number): nothing of the file can be imported."""
        return bool(len(self.issues)) and bool(self.issues["row"].isna().any())


@dataclass
class _Plan:
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


def _diff(
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


def _update(conn: Connection, table: sa.Table, frame: pd.DataFrame) -> None:
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


def _stored(conn: Connection, table: sa.Table, cols: list[str], where=None) -> pd.DataFrame:
    q = sa.select(*[table.c[c] for c in ["id", *cols]])
    if where is not None:
        q = q.where(where)
    return pd.read_sql(q, conn)


def _fingerprints(v: pd.DataFrame, kind: str) -> pd.Series:
    """A stable key for rows without an external id: a hash of the row's typed values."""
    cols = sorted(c for c in v.columns if c != "external_id")
    text = v[cols].astype(str) if cols else pd.DataFrame(index=v.index)
    text.insert(0, "_kind", kind)
    hashes = pd.util.hash_pandas_object(text, index=False).to_numpy()
    return pd.Series(["h:" + format(int(h), "016x") for h in hashes], index=v.index)


def _next_id(conn: Connection, table: sa.Table) -> int:
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()) + 1


def plan_import(
    conn: Connection,
    parsed: Parsed,
    *,
    create_missing: bool = True,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> _Plan:
    """Everything the import would write, and its result, read from ``conn``; writes nothing."""
    progress = progress or (lambda _f, _w: None)
    now = now or dt.datetime.now().replace(microsecond=0)
    parsed = copy.copy(parsed)  # the plan adds its own issues; the caller's parse stays as it was
    parsed.issues = list(parsed.issues)
    kind, frame = parsed.kind, parsed.frame
    refs = References(conn)
    valid = ~frame.index.isin(parsed.bad_rows())
    progress(0.35, "references")
    ids: dict[str, pd.Series] = {}
    region_ids = None
    for name, table in (
        ("region", "regions"),
        ("store", "stores"),
        ("channel", "channels"),
        ("first_channel", "channels"),
    ):
        if name not in frame:
            continue
        names = frame[name].where(valid)
        got, unknown = refs.resolve(table, names, create=create_missing, region_ids=region_ids)
        ids[name] = got
        if name == "region":
            region_ids = got
        parsed.add_issues(unknown, name, "unknown_ref", {"what": table, "known": refs.known(table)})
    leads = None
    if "lead_external_id" in frame:
        wanted = frame["lead_external_id"].dropna().unique().tolist()
        leads = _stored(
            conn,
            Base.metadata.tables["leads"],
            [
                "external_id",
                "customer_id",
                "store_id",
                "advisor_id",
                "stage_reached",
                "status",
                "defeated_at",
            ],
            Lead.external_id.in_(wanted) if len(wanted) < 5000 else Lead.external_id.is_not(None),
        ).set_index("external_id")
        unknown_lead = frame["lead_external_id"].notna() & ~frame["lead_external_id"].isin(leads.index)
        parsed.add_issues(unknown_lead & valid, "lead_external_id", "unknown_lead")
    if "advisor" in frame:
        valid = ~frame.index.isin(parsed.bad_rows())
        store_ids = ids.get("store")
        if store_ids is None and leads is not None:
            store_ids = frame["lead_external_id"].map(leads["store_id"]).astype("Int64")
        got, unknown, no_store = refs.resolve_advisors(
            frame["advisor"].where(valid), store_ids, create=create_missing
        )
        ids["advisor"] = got
        parsed.add_issues(
            unknown & ~no_store,
            "advisor",
            "unknown_ref",
            {"what": "advisors", "known": refs.known("advisors")},
        )
        parsed.add_issues(no_store, "advisor", "advisor_store")
    valid = ~frame.index.isin(parsed.bad_rows())
    v = frame[valid]
    result = ImportResult(kind, len(frame), int(valid.sum()), parsed.issue_frame())
    plan = _Plan(result)
    if v.empty:
        return plan
    plan.writes.extend(("insert", t, f) for t, f in refs.new_frames())
    result.references_created = refs.created()
    vid = {k: s[valid] for k, s in ids.items()}
    progress(0.5, "customers")
    if kind == "customers":
        _plan_customers(conn, v, vid, plan, now)
    elif kind == "spend":
        _plan_spend(conn, v, vid, plan)
    else:
        _plan_events(conn, v, vid, plan, leads, now)
    result.preview = _preview(v)
    return plan


def _preview(v: pd.DataFrame) -> pd.DataFrame:
    out = v.head(20).copy()
    out.insert(0, "row", out.index + 2)
    return out.reset_index(drop=True)


def _customer_attrs(v: pd.DataFrame, vid: dict[str, pd.Series]) -> pd.DataFrame:
    out = pd.DataFrame(index=v.index)
    for name in (
        "external_id",
        "name",
        "phone",
        "kind",
        "gender",
        "birth_date",
        "intended_model",
        "budget_range",
        "purpose",
        "is_owner",
        "created_at",
    ):
        if name in v:
            out[name] = v[name]
    for name, column in (
        ("region", "region_id"),
        ("store", "store_id"),
        ("advisor", "advisor_id"),
        ("first_channel", "first_channel_id"),
    ):
        if name in vid:
            out[column] = vid[name]
    return out


def _new_customers(attrs: pd.DataFrame, now: dt.datetime) -> pd.DataFrame:
    out = attrs.copy()
    defaults = {"kind": "person", "name": "", "is_owner": False, "created_at": pd.Timestamp(now)}
    for c, d in defaults.items():
        if c not in out:
            out[c] = d
        else:
            out[c] = out[c].astype(object).where(out[c].notna(), d)
    out["created_at"] = pd.to_datetime(out["created_at"])
    out["is_owner"] = out["is_owner"].astype(bool)
    return out.reset_index(names="id")


def _plan_customers(conn: Connection, v: pd.DataFrame, vid: dict, plan: _Plan, now: dt.datetime) -> None:
    existing = existing_keys(conn)
    cid, new, _ = resolve_customers(rb.col(v, "external_id"), rb.col(v, "phone"), existing)
    attrs = _customer_attrs(v, vid)
    attrs["id"] = cid.to_numpy()
    grouped = attrs.groupby("id", sort=False).first()
    res = plan.result
    res.merged = len(attrs) - len(grouped)
    new_ids = pd.Index(cid[new].unique())
    res.customers_created = res.inserted = len(new_ids)
    if len(new_ids):
        plan.writes.append(("insert", "customers", _new_customers(grouped.loc[new_ids], now)))
    old_ids = grouped.index.difference(new_ids)
    if len(old_ids):
        table = Base.metadata.tables["customers"]
        cols = list(grouped.columns)
        where = Customer.id.in_([int(i) for i in old_ids]) if len(old_ids) < 5000 else None
        stored = _stored(conn, table, cols, where).set_index("id", drop=False)
        upd, _, same = _diff(conn, table, grouped.loc[old_ids], stored, keep_when_null=True)
        res.customers_updated = res.updated = len(upd)
        res.unchanged = same
        if len(upd):
            plan.writes.append(("update", "customers", upd))


def _plan_spend(conn: Connection, v: pd.DataFrame, vid: dict, plan: _Plan) -> None:
    table = Base.metadata.tables["channel_spend"]
    new = pd.DataFrame(
        {
            "channel_id": vid["channel"].astype(int).to_numpy(),
            "store_id": vid["store"].astype(int).to_numpy(),
            "month": pd.to_datetime(v["month"]).to_numpy(),
            "amount": v["amount"].to_numpy(),
        }
    )
    _upsert_events(conn, table, new, ["channel_id", "store_id", "month"], plan)


def _upsert_events(conn: Connection, table: sa.Table, new: pd.DataFrame, key: list[str], plan: _Plan) -> None:
    res = plan.result
    keyed = new.set_index(key)
    dup = keyed.index.duplicated()
    res.merged += int(dup.sum())
    keyed = keyed[~dup]
    cols = list(keyed.columns)
    stored = _stored(conn, table, key + cols)
    if "month" in key:
        stored["month"] = pd.to_datetime(stored["month"])
        keyed.index = keyed.index.set_levels(
            pd.to_datetime(keyed.index.levels[key.index("month")]), level="month"
        )
    stored = stored.set_index(key)
    upd, ins, same = _diff(conn, table, keyed, stored, keep_when_null=False)
    res.updated, res.unchanged = len(upd), same
    if len(ins):
        ins = ins.reset_index()
        ins.insert(0, "id", np.arange(len(ins)) + _next_id(conn, table))
        plan.writes.append(("insert", table.name, ins))
    res.inserted = len(ins)
    if len(upd):
        plan.writes.append(("update", table.name, upd.reset_index(drop=True)))


def _plan_events(
    conn: Connection, v: pd.DataFrame, vid: dict, plan: _Plan, leads: pd.DataFrame | None, now: dt.datetime
) -> None:
    kind = plan.result.kind
    table = Base.metadata.tables[TABLE[kind]]
    lead_of = None
    if leads is not None:
        lead_of = leads.reindex(v["lead_external_id"].where(v["lead_external_id"].notna(), "\0"))
        lead_of.index = v.index
    if kind == "defeats":
        body = rb.defeat_rows(v, lead_of["stage_reached"])
        body["lead_id"] = lead_of["id"].astype(int).to_numpy()
        body["customer_id"] = lead_of["customer_id"].astype(int).to_numpy()
        adv = vid.get("advisor", pd.Series(pd.NA, index=v.index, dtype="Int64"))
        body["advisor_id"] = adv.fillna(lead_of["advisor_id"].astype("Int64"))
        body["external_id"] = rb.col(v, "external_id")
        _plan_lead_defeats(body, lead_of, plan)
        _upsert_events(conn, table, body, ["lead_id"], plan)
        return
    cid = _event_customers(conn, v, vid, plan, now)
    if kind == "leads":
        body = rb.lead_rows(v)
        body["store_id"], body["channel_id"] = vid["store"], vid["channel"]
    elif kind == "followups":
        body = rb.followup_rows(v)
    else:
        body = rb.purchase_rows(v)
        body["store_id"] = vid["store"]
    body["customer_id"] = cid
    if "advisor" in vid and kind != "purchases":
        body["advisor_id"] = vid["advisor"]
    if lead_of is not None:
        body["lead_id"] = lead_of["id"].astype("Int64")
    ext = rb.col(v, "external_id")
    body["external_id"] = ext.where(ext.notna(), _fingerprints(v, kind))
    _upsert_events(conn, table, body, ["external_id"], plan)


def _event_customers(
    conn: Connection, v: pd.DataFrame, vid: dict, plan: _Plan, now: dt.datetime
) -> pd.Series:
    """Customer ids of event rows; customers not yet known are created (name, phone, id from the row)."""
    existing = existing_keys(conn)
    cid, new, _ = resolve_customers(rb.col(v, "customer_external_id"), rb.col(v, "customer_phone"), existing)
    res = plan.result
    owner = None
    if res.kind == "purchases":
        owner = rb.col(v, "kind").astype(object).fillna("new_car") == "new_car"
    if new.any():
        attrs = pd.DataFrame(
            {
                "external_id": rb.col(v, "customer_external_id"),
                "phone": rb.col(v, "customer_phone"),
                "name": rb.col(v, "customer_name"),
                "created_at": pd.to_datetime(v[EVENT_DATE[res.kind]]),
                "id": cid.to_numpy(),
            },
            index=v.index,
        )[new]
        if "store" in vid:
            attrs["store_id"] = vid["store"][new]
        if res.kind == "leads":
            attrs["first_channel_id"] = vid["channel"][new]
        if owner is not None:
            attrs["is_owner"] = owner[new]
        grouped = attrs.groupby("id", sort=False).agg(
            {
                c: ("min" if c == "created_at" else "max" if c == "is_owner" else "first")
                for c in attrs.columns
                if c != "id"
            }
        )
        res.customers_created = len(grouped)
        plan.writes.append(("insert", "customers", _new_customers(grouped, now)))
    if owner is not None:
        became = pd.Index(cid[owner & ~new].unique())
        if len(became):
            stored = existing.set_index("id")
            table = Base.metadata.tables["customers"]
            flags = _stored(
                conn,
                table,
                ["is_owner"],
                Customer.id.in_([int(i) for i in became]) if len(became) < 5000 else None,
            )
            flags = flags[flags["id"].isin(became)]
            turn = flags[~flags["is_owner"].astype(bool)]
            del stored
            if len(turn):
                res.customers_updated = len(turn)
                plan.writes.append(
                    ("update", "customers", pd.DataFrame({"id": turn["id"], "is_owner": True}))
                )
    return cid


def _plan_lead_defeats(body: pd.DataFrame, lead_of: pd.DataFrame, plan: _Plan) -> None:
    """A defeat marks its lead defeated (status and time) unless the lead already says so."""
    lead = pd.DataFrame({"id": body["lead_id"], "defeated_at": pd.to_datetime(body["at"])}).drop_duplicates(
        "id"
    )
    stored = lead_of.drop_duplicates("id").set_index("id")
    same = (stored.loc[lead["id"], "status"].to_numpy() == "defeated") & (
        pd.to_datetime(stored.loc[lead["id"], "defeated_at"]).to_numpy() == lead["defeated_at"].to_numpy()
    )
    todo = lead[~same]
    if len(todo):
        plan.writes.append(
            ("update", "leads", todo.assign(status="defeated")[["id", "status", "defeated_at"]])
        )


def write_plan(
    conn: Connection, plan: _Plan, *, progress: Progress | None = None, actor: str = "import"
) -> None:
    """Carry out the plan's writes inside the caller's transaction, then one audit-log row."""
    progress = progress or (lambda _f, _w: None)
    tables = Base.metadata.tables
    for i, (op, name, frame) in enumerate(plan.writes):
        progress(0.6 + 0.35 * i / max(len(plan.writes), 1), name)
        if op == "insert":
            insert_frame(conn, name, frame)
        else:
            _update(conn, tables[name], frame)
    res = plan.result
    detail = {
        "kind": res.kind,
        "rows": res.rows,
        "valid_rows": res.valid_rows,
        "inserted": res.inserted,
        "updated": res.updated,
        "unchanged": res.unchanged,
        "customers_created": res.customers_created,
        "references_created": {k: len(v) for k, v in res.references_created.items()},
    }
    conn.execute(
        sa.insert(AuditLog),
        {
            "at": dt.datetime.now().replace(microsecond=0),
            "actor": actor,
            "action": "import",
            "object_type": TABLE[res.kind],
            "detail": detail,
        },
    )


def run_import(
    engine: Engine,
    parsed: Parsed,
    *,
    only_valid: bool = False,
    dry_run: bool = False,
    create_missing: bool = True,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
    actor: str = "import",
) -> ImportResult:
    """Plan and (unless ``dry_run``, or the file has bad rows and ``only_valid`` is off) write, all in one
    transaction: after any error nothing of the file is in the database."""
    t0 = time.perf_counter()
    if dry_run:
        with engine.connect() as conn:
            plan = plan_import(conn, parsed, create_missing=create_missing, now=now, progress=progress)
            conn.rollback()
    else:
        with write_transaction(engine) as conn:
            plan = plan_import(conn, parsed, create_missing=create_missing, now=now, progress=progress)
            res = plan.result
            if res.valid_rows and (res.error_rows == 0 or only_valid):
                if plan.writes:
                    write_plan(conn, plan, progress=progress, actor=actor)
                res.committed = True
    plan.result.seconds = time.perf_counter() - t0
    if progress:
        progress(1.0, "done")
    return plan.result
