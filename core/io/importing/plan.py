"""Plan an import against the database: references resolved or created, customers matched or created, each
row compared with the row stored under the same key. The plan is made inside the write transaction (so what
it read cannot change before it is written) and writes nothing itself."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.io.importing import rows as rb
from core.io.importing.customers import existing_keys, phone_keys, resolve_customers
from core.io.importing.references import References
from core.io.importing.store import (
    EVENT_DATE,
    TABLE,
    ImportResult,
    Plan,
    Progress,
    diff,
    next_id,
    row_keys,
    stored_rows,
)
from core.io.importing.validate import Parsed
from core.storage.models import Base, Customer, Lead

COMPARE_CHUNK = 200_000


def plan_import(
    conn: Connection,
    parsed: Parsed,
    *,
    create_missing: bool = True,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
) -> Plan:
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
        leads = stored_rows(
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
                "last_contact_at",
            ],
            Lead.external_id.in_(wanted) if len(wanted) < 5000 else Lead.external_id.is_not(None),
        ).set_index("external_id")
        unknown_lead = frame["lead_external_id"].notna() & ~frame["lead_external_id"].isin(leads.index)
        parsed.add_issues(unknown_lead & valid, "lead_external_id", "unknown_lead")
    if kind == "defeats" and "external_id" in frame and leads is not None:
        _check_defeat_keys(conn, parsed, leads)
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
    plan = Plan(result)
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


def _check_defeat_keys(conn: Connection, parsed: Parsed, leads: pd.DataFrame) -> None:
    """A defeat id names one lead's defeat: a row giving it to another lead than an earlier row of the file,
    or than the stored defeat with that id, is a row problem (the database would refuse the second)."""
    frame = parsed.frame
    ext, lead = frame["external_id"], frame["lead_external_id"]
    named = ext.notna() & lead.notna()
    if not named.any():
        return
    first = lead[named].groupby(ext[named], sort=False).transform("first")
    clash = pd.Series(False, index=frame.index)
    clash[named] = (lead[named] != first).to_numpy()
    defeats, lead_table = Base.metadata.tables["defeats"], Base.metadata.tables["leads"]
    wanted = ext[named].unique().tolist()
    stored = pd.read_sql(
        sa.select(defeats.c.external_id, lead_table.c.external_id.label("lead"))
        .join(lead_table, lead_table.c.id == defeats.c.lead_id)
        .where(defeats.c.external_id.is_not(None)),
        conn,
    )
    stored = stored[stored["external_id"].isin(wanted)].set_index("external_id")["lead"]
    if len(stored):
        owner = ext[named].map(stored)
        clash[named] |= (owner.notna() & (owner != lead[named])).to_numpy()
    parsed.add_issues(clash, "external_id", "key_taken")


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


def _plan_customers(conn: Connection, v: pd.DataFrame, vid: dict, plan: Plan, now: dt.datetime) -> None:
    existing = existing_keys(conn)
    row_phone = phone_keys(rb.col(v, "phone"), existing)  # keyed hashes: phones are encrypted at rest
    cid, new, _ = resolve_customers(rb.col(v, "external_id"), row_phone, existing)
    attrs = _customer_attrs(v, vid)
    attrs["id"] = cid.to_numpy()
    if attrs["id"].is_unique:  # nothing to merge: skip the (slow) group-by of a million rows
        grouped = attrs.set_index("id")
    else:
        grouped = attrs.groupby("id", sort=False).first()
    if len(existing) and "phone" in grouped:
        # a stored customer whose current phone is on one of its rows keeps it: otherwise a row found by that
        # phone would look for another customer when the same file is imported again
        stored_phone = pd.Series(existing["phone"].to_numpy(), index=existing["id"].to_numpy())
        on_a_row = (row_phone.to_numpy() == attrs["id"].map(stored_phone)).fillna(False).astype(bool)
        kept = (
            attrs.loc[on_a_row].groupby("id", sort=False)["phone"].first()
        )  # that row's phone: the stored one
        keep = grouped.index.intersection(kept.index)
        if len(keep):
            grouped.loc[keep, "phone"] = kept.reindex(keep).to_numpy()
    res = plan.result
    res.merged = len(attrs) - len(grouped)
    new_ids = pd.Index(cid[new].unique())
    res.customers_created = res.inserted = len(new_ids)
    if len(new_ids):
        plan.writes.append(("insert", "customers", _new_customers(grouped.loc[new_ids], now)))
    old_ids = grouped.index.difference(new_ids)  # sorted
    table = Base.metadata.tables["customers"]
    cols = list(grouped.columns)
    updates = []
    # compared a slice of ids at a time: a re-import of a million customers would otherwise hold the
    # whole stored table and its normalised copies at once
    for lo in range(0, len(old_ids), COMPARE_CHUNK):
        part = old_ids[lo : lo + COMPARE_CHUNK]
        if len(part) < 5000:
            where = Customer.id.in_([int(i) for i in part])
        else:
            where = Customer.id.between(int(part[0]), int(part[-1]))
        stored = stored_rows(conn, table, cols, where).set_index("id", drop=False)
        upd, _, same = diff(conn, table, grouped.loc[part], stored, keep_when_null=True)
        res.unchanged += same
        if len(upd):
            updates.append(upd)
    if updates:
        upd = pd.concat(updates)
        res.customers_updated = res.updated = len(upd)
        plan.writes.append(("update", "customers", upd))


def _plan_spend(conn: Connection, v: pd.DataFrame, vid: dict, plan: Plan) -> None:
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


def _upsert_events(conn: Connection, table: sa.Table, new: pd.DataFrame, key: list[str], plan: Plan) -> None:
    res = plan.result
    keyed = new.set_index(key)
    dup = keyed.index.duplicated()
    res.merged += int(dup.sum())
    keyed = keyed[~dup]
    cols = list(keyed.columns)
    stored = stored_rows(conn, table, key + cols)
    if "month" in key:
        stored["month"] = pd.to_datetime(stored["month"])
        keyed.index = keyed.index.set_levels(
            pd.to_datetime(keyed.index.levels[key.index("month")]), level="month"
        )
    stored = stored.set_index(key)
    upd, ins, same = diff(conn, table, keyed, stored, keep_when_null=False)
    res.updated, res.unchanged = len(upd), same
    if len(ins):
        ins = ins.reset_index()
        ins.insert(0, "id", np.arange(len(ins)) + next_id(conn, table))
        plan.writes.append(("insert", table.name, ins))
    res.inserted = len(ins)
    if len(upd):
        plan.writes.append(("update", table.name, upd.reset_index(drop=True)))


def _plan_events(
    conn: Connection, v: pd.DataFrame, vid: dict, plan: Plan, leads: pd.DataFrame | None, now: dt.datetime
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
    keyed = rb.col(v, "customer_external_id").notna() | rb.col(v, "customer_phone").notna()
    cid = pd.Series(pd.NA, index=v.index, dtype="Int64")
    if keyed.any():
        cid[keyed] = _event_customers(conn, v[keyed], {k: s[keyed] for k, s in vid.items()}, plan, now)
    if lead_of is not None:  # a row that names only its lead belongs to the lead's customer
        cid = cid.fillna(lead_of["customer_id"].astype("Int64"))
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
    body["external_id"] = ext.where(ext.notna(), row_keys(v, kind))
    _upsert_events(conn, table, body, ["external_id"], plan)
    if kind == "followups" and lead_of is not None:
        _plan_last_contact(body, lead_of, plan)


def _plan_last_contact(body: pd.DataFrame, lead_of: pd.DataFrame, plan: Plan) -> None:
    """A follow-up later than a lead's last contact moves it (the overdue-follow-up figure reads it)."""
    latest = body.dropna(subset=["lead_id"]).groupby("lead_id")["at"].max()
    if latest.empty:
        return
    stored = lead_of.dropna(subset=["id"]).drop_duplicates("id").set_index("id")["last_contact_at"]
    stored = pd.to_datetime(stored.reindex(latest.index.astype(int)))
    later = stored.isna().to_numpy() | (latest.to_numpy() > stored.to_numpy())
    if later.any():
        frame = pd.DataFrame(
            {"id": latest.index[later].astype(int), "last_contact_at": latest.to_numpy()[later]}
        )
        plan.writes.append(("update", "leads", frame))


def _event_customers(conn: Connection, v: pd.DataFrame, vid: dict, plan: Plan, now: dt.datetime) -> pd.Series:
    """Customer ids of event rows; customers not yet known are created (name, phone, id from the row)."""
    existing = existing_keys(conn)
    row_phone = phone_keys(rb.col(v, "customer_phone"), existing)
    cid, new, _ = resolve_customers(rb.col(v, "customer_external_id"), row_phone, existing)
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
            flags = stored_rows(
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


def _plan_lead_defeats(body: pd.DataFrame, lead_of: pd.DataFrame, plan: Plan) -> None:
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
