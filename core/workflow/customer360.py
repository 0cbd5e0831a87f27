"""客户360 One customer on one page: profile, timeline, score with each dimension's contribution, tier history.

Personal data (columns flagged ``pii`` in ``core.storage.models``) is masked unless ``show_pii``: name and phone as
everywhere, birth date and gender hidden, follow-up notes hidden.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.access.privacy import mask_name, mask_phone
from core.storage.models import (
    FUNNEL_STAGES,
    STAGE_TIME_COLUMNS,
    Advisor,
    Channel,
    Customer,
    Defeat,
    EventAttendance,
    FollowUp,
    Lead,
    Purchase,
    Region,
    Satisfaction,
    Store,
)
from core.storage.pii_crypto import INDEX_COLUMNS, keyring

HIDDEN = "***"
TIMELINE_COLUMNS = ["at", "event", "lead_id", "code", "amount", "detail"]
# the timeline's kinds of event, in the order of a customer's journey (the order of same-time rows, and of the
# page's filter)
TIMELINE_EVENTS = ("lead", "stage", "follow_up", "purchase", "defeat", "satisfaction", "event")
SEARCH_LIMIT = 50
SEARCH_COLUMNS = ["customer_id", "name", "phone", "external_id", "kind", "store_id", "advisor_id", "matched"]


def profile(*, conn: Connection, customer_id: int, show_pii: bool = False) -> dict[str, Any]:
    """The customer's row with region, store, advisor and first channel names. ``LookupError`` if unknown."""
    q = (
        sa.select(
            *[c for c in Customer.__table__.columns if c.name not in INDEX_COLUMNS["customers"]],  # no hashes
            Region.name.label("region"),
            Region.name_en.label("region_en"),
            Store.name.label("store"),
            Store.name_en.label("store_en"),
            Advisor.name.label("advisor"),
            Channel.name.label("channel"),
            Channel.name_en.label("channel_en"),
        )
        .outerjoin(Region, Region.id == Customer.region_id)
        .outerjoin(Store, Store.id == Customer.store_id)
        .outerjoin(Advisor, Advisor.id == Customer.advisor_id)
        .outerjoin(Channel, Channel.id == Customer.first_channel_id)
        .where(Customer.id == customer_id)
    )
    row = conn.execute(q).mappings().first()
    if row is None:
        raise LookupError(f"no customer with id {customer_id}")
    out = dict(row)
    if not show_pii:
        out["name"] = mask_name(out["name"])
        out["phone"] = mask_phone(out["phone"])
        out["advisor"] = mask_name(out["advisor"]) if out["advisor"] else None
        out["birth_date"] = HIDDEN if out["birth_date"] else None
        out["gender"] = HIDDEN if out["gender"] else None
    return out


def leads(*, conn: Connection, customer_id: int) -> pd.DataFrame:
    """The customer's leads, newest first: lead_id, grade, status, stage_reached, created_at, advisor_id."""
    q = (
        sa.select(
            Lead.id.label("lead_id"),
            Lead.grade,
            Lead.status,
            Lead.stage_reached,
            Lead.created_at,
            Lead.advisor_id,
        )
        .where(Lead.customer_id == customer_id)
        .order_by(Lead.created_at.desc(), Lead.id.desc())
    )
    return pd.read_sql(q, conn)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=TIMELINE_COLUMNS)


def timeline(*, conn: Connection, customer_id: int, show_pii: bool = False) -> pd.DataFrame:
    """Everything that happened with the customer, newest first: at, event (lead, stage, follow_up,
    purchase, defeat, satisfaction, event), lead_id, code (grade, stage, kind, reason…), amount, detail."""
    parts: list[pd.DataFrame] = []
    stage_cols = [getattr(Lead, c) for c in STAGE_TIME_COLUMNS]
    for r in conn.execute(
        sa.select(Lead.id, Lead.grade, Lead.created_at, Lead.intended_model, *stage_cols).where(
            Lead.customer_id == customer_id
        )
    ).mappings():
        rows = [{"at": r["created_at"], "event": "lead", "lead_id": r["id"], "code": r["grade"],
                 "detail": r["intended_model"]}]  # fmt: skip
        for stage, col in zip(FUNNEL_STAGES[1:], STAGE_TIME_COLUMNS, strict=True):
            if r[col] is not None:
                rows.append({"at": r[col], "event": "stage", "lead_id": r["id"], "code": stage})
        parts.append(_frame(rows))
    fu = conn.execute(
        sa.select(FollowUp.at, FollowUp.lead_id, FollowUp.kind, FollowUp.outcome, FollowUp.note).where(
            FollowUp.customer_id == customer_id
        )
    ).mappings()
    parts.append(
        _frame(
            [
                {
                    "at": r["at"],
                    "event": "follow_up",
                    "lead_id": r["lead_id"],
                    "code": r["kind"],
                    "detail": r["outcome"] + (f" · {r['note'] if show_pii else HIDDEN}" if r["note"] else ""),
                }
                for r in fu
            ]  # fmt: skip
        )
    )
    pu = conn.execute(
        sa.select(Purchase.at, Purchase.lead_id, Purchase.kind, Purchase.amount, Purchase.model).where(
            Purchase.customer_id == customer_id
        )
    ).mappings()
    parts.append(
        _frame(
            [
                {
                    "at": r["at"],
                    "event": "purchase",
                    "lead_id": r["lead_id"],
                    "code": r["kind"],
                    "amount": float(r["amount"]),
                    "detail": r["model"],
                }
                for r in pu
            ]  # fmt: skip
        )
    )
    de = conn.execute(
        sa.select(Defeat.at, Defeat.lead_id, Defeat.reason, Defeat.sub_reason, Defeat.approval,
                  Defeat.competitor_brand).where(Defeat.customer_id == customer_id)
    ).mappings()  # fmt: skip
    parts.append(
        _frame(
            [
                {
                    "at": r["at"],
                    "event": "defeat",
                    "lead_id": r["lead_id"],
                    "code": r["reason"],
                    "detail": " · ".join(
                        x for x in (r["sub_reason"], r["competitor_brand"], r["approval"]) if x
                    ),
                }
                for r in de
            ]  # fmt: skip
        )
    )
    sat = conn.execute(
        sa.select(Satisfaction.at, Satisfaction.grade, Satisfaction.complaint, Satisfaction.complaint_resolved,
                  Satisfaction.source).where(Satisfaction.customer_id == customer_id)
    ).mappings()  # fmt: skip
    parts.append(
        _frame(
            [
                {
                    "at": r["at"],
                    "event": "satisfaction",
                    "code": r["grade"],
                    "detail": r["source"]
                    + (
                        ""
                        if not r["complaint"]
                        else (" · complaint_resolved" if r["complaint_resolved"] else " · complaint_open")
                    ),
                }
                for r in sat
            ]  # fmt: skip
        )
    )
    ev = conn.execute(
        sa.select(EventAttendance.at, EventAttendance.event).where(EventAttendance.customer_id == customer_id)
    ).mappings()
    parts.append(_frame([{"at": r["at"], "event": "event", "code": r["event"]} for r in ev]))
    out = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else _frame([])
    )
    out["at"] = pd.to_datetime(out["at"])
    out["lead_id"] = out["lead_id"].astype("Int64")
    out["amount"] = out["amount"].astype(float)
    out["detail"] = out["detail"].astype(object).where(out["detail"].notna(), "")
    order = {e: i for i, e in enumerate(TIMELINE_EVENTS)}
    out["_o"] = out["event"].map(order)
    return (
        out.sort_values(["at", "_o"], ascending=[False, False], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def score_breakdown(scorer: Any, features: pd.DataFrame, customer_id: int) -> pd.DataFrame | None:
    """Each dimension's part of a customer's score under a fitted ``core.scoring.scheme.Scorer``: dimension, value
    (raw, before normalisation), normalised (0..1), weight (percent), points (weight × normalised). The points
    sum to the score. None when the customer is not in the scorer's population.

    Examples
    --------
    >>> from core.scoring.scheme import Scorer
    >>> f = pd.DataFrame({"a": [1.0, 2, 3], "b": [3.0, 2, 1]}, index=[7, 8, 9])
    >>> spec = {"population": "owners", "labels": ["高", "低"], "triggers": [],
    ...         "tiering": {"method": "percentile", "cutoffs": [50, 50]},
    ...         "dimensions": {"a": {"weight": 60}, "b": {"weight": 40}}}
    >>> score_breakdown(Scorer(spec).fit(f), f, 9).to_dict("list")
    {'dimension': ['a', 'b'], 'value': [3.0, 1.0], 'normalised': [1.0, 0.0], 'weight': [60.0, 40.0], 'points': [60.0, 0.0]}
    """
    pos = np.flatnonzero(scorer.customer_id_ == customer_id)
    if len(pos) == 0:
        return None
    weights = scorer.weights() * 100.0
    normalised = scorer.matrix_[:, pos[0]].astype(np.float64)
    return pd.DataFrame(
        {
            "dimension": scorer.dimensions_,
            "value": [float(features.loc[customer_id, d]) for d in scorer.dimensions_],
            "normalised": normalised.round(4),
            "weight": weights,
            "points": (normalised * weights).round(2),
        }
    )


def _phone_digits(text: str) -> str | None:
    """The digits of a typed phone number (+86/0086, spaces, dashes, dots and brackets dropped), or None
    when the text is not a phone number."""
    digits = re.sub(r"[\s\-().]", "", text)
    digits = re.sub(r"^(?:\+86|0086|86)(1\d{10})$", r"\1", digits)
    return digits if re.fullmatch(r"\d+", digits) else None


NAME_SCAN_BATCH = 20_000


def _names_containing(conn: Connection, part: str, wanted: int, advisor_id: int | None) -> list[int]:
    """Ids of customers whose name contains ``part``, in id order, at most ``wanted``: names are encrypted,
    so a part of one is found by opening them a batch at a time (the stored text, opened here without the
    column type's per-row overhead), stopping as soon as enough matched."""
    needle, found, last = part.casefold(), [], 0
    ring = keyring()
    sealed = sa.type_coerce(Customer.name, sa.String)
    while len(found) < wanted:
        q = sa.select(Customer.id, sealed).where(Customer.id > last)
        if advisor_id is not None:
            q = q.where(Customer.advisor_id == advisor_id)
        batch = conn.execute(q.order_by(Customer.id).limit(NAME_SCAN_BATCH)).all()
        if not batch:
            break
        found += [int(i) for i, token in batch if needle in ring.open(token, "customers.name").casefold()]
        last = batch[-1][0]
    return found[:wanted]


def search(
    *,
    conn: Connection,
    query: str,
    advisor_id: int | None = None,
    own_only: bool = False,
    show_pii: bool = False,
    limit: int = SEARCH_LIMIT,
) -> tuple[pd.DataFrame, bool]:
    """Customers matching what a person typed: the customer number, the external id (exact), the phone
    number (all digits, exact) or its last four digits, or a part of the name. Names and phones are
    encrypted at rest: the phone, its last four digits and the whole name are found by their keyed hashes
    (indexed); a part of a name, when nothing else matched, by opening names in id order until enough
    matched (about 3 s per million customers when none does). Returns (at most ``limit``
    rows, whether more matched). With ``own_only`` only ``advisor_id``'s customers (none when it is None).

    Exact matches (number, external id, full phone) come first, then by customer number. Name and phone are
    masked unless ``show_pii``. Licence plates and VINs are not stored, so they are not searched. Columns
    ``SEARCH_COLUMNS``; ``matched`` says which of id, external_id, phone, phone_last4, name matched.

    Examples
    --------
    >>> from core.storage.db import open_database
    >>> from core.storage.bulk import write_frames
    >>> e = open_database("sqlite://")
    >>> rows = pd.DataFrame({"id": [1, 2], "kind": "person", "name": ["王小明", "李娜"],
    ...     "phone": ["13812345678", "13900005678"], "external_id": ["C-1", None], "is_owner": False,
    ...     "created_at": pd.Timestamp("2026-01-01")})
    >>> _ = write_frames(e, [("customers", rows)])
    >>> with e.connect() as conn:
    ...     found, more = search(conn=conn, query="5678")
    >>> found[["customer_id", "name", "phone", "matched"]].to_dict("list"), more
    ({'customer_id': [1, 2], 'name': ['王**', '李*'], 'phone': ['138****5678', '139****5678'], 'matched': ['phone_last4', 'phone_last4']}, False)
    >>> with e.connect() as conn:
    ...     search(conn=conn, query=" 王小明", show_pii=True)[0]["name"].tolist()
    ['王小明']
    >>> with e.connect() as conn:
    ...     search(conn=conn, query="+86 138-1234-5678", show_pii=True)[0][["name", "matched"]].values.tolist()
    [['王小明', 'phone']]
    """
    text = (query or "").strip()[:128]
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in SEARCH_COLUMNS})
    if not text or (own_only and advisor_id is None):
        return empty, False
    digits = _phone_digits(text)
    # every way but a part of a name uses an index (primary key, unique external id, the keyed hashes);
    # each stops at limit + 1 in id order (an advisor's: by advisor_id)
    exact: list[tuple[str, Any]] = [("external_id", Customer.external_id == text)]
    if text.isdigit() and len(text) <= 9:  # an INTEGER column; longer numbers are phones
        exact.append(("id", Customer.id == int(text)))
    # names and phones are sealed: they are found by their keyed hashes (core.storage.pii_crypto), each indexed,
    # hashed with every key of the ring so that rows not yet rotated to the newest key are found too
    ring = keyring()
    if digits is not None and len(digits) >= 7:
        exact.append(("phone", Customer.phone_hash.in_(ring.index_all_keys("phone", digits))))
    if digits is None:
        exact.append(("name", Customer.name_hash.in_(ring.index_all_keys("name", text))))
    scan = None
    if digits is not None and len(digits) == 4:
        scan = ("phone_last4", Customer.phone_last4_hash.in_(ring.index_all_keys("phone_last4", digits)))

    def ids(way: str, cond: Any) -> list[tuple[int, str]]:
        q = sa.select(Customer.id).where(cond)
        if own_only:
            q = q.where(Customer.advisor_id == advisor_id)
        return [(int(i), way) for i in conn.execute(q.order_by(Customer.id).limit(limit + 1)).scalars()]

    hits: dict[int, str] = {}
    for way, cond in exact + ([scan] if scan else []):
        for cid, how in ids(way, cond):
            hits.setdefault(cid, how)
    if digits is None and not hits:  # a whole name was found by its hash; a part needs opening names
        for cid in _names_containing(conn, text, limit + 1 - len(hits), advisor_id if own_only else None):
            hits.setdefault(cid, "name")
    chosen = list(hits)[:limit]
    if not chosen:
        return empty, False
    q = sa.select(
        Customer.id.label("customer_id"),
        Customer.name,
        Customer.phone,
        Customer.external_id,
        Customer.kind,
        Customer.store_id,
        Customer.advisor_id,
    ).where(Customer.id.in_(chosen))
    rows = {r["customer_id"]: dict(r) for r in conn.execute(q).mappings()}
    found = pd.DataFrame([{**rows[c], "matched": hits[c]} for c in chosen], columns=SEARCH_COLUMNS)
    more = len(hits) > limit
    if not show_pii and len(found):
        found["name"] = found["name"].map(mask_name)
        found["phone"] = found["phone"].map(mask_phone)
    return found, more


def event_kinds(events: pd.DataFrame) -> list[str]:
    """The kinds of event a timeline holds, in ``TIMELINE_EVENTS`` order.

    Examples
    --------
    >>> event_kinds(pd.DataFrame({"event": ["purchase", "lead", "purchase"]}))
    ['lead', 'purchase']
    """
    present = set(events["event"])
    return [e for e in TIMELINE_EVENTS if e in present]


def filter_timeline(events: pd.DataFrame, *, kinds: Iterable[str] = ()) -> pd.DataFrame:
    """The timeline's rows of the chosen kinds (every row when none is chosen), order and index kept.

    Examples
    --------
    >>> events = pd.DataFrame({"event": ["purchase", "lead", "stage"]})
    >>> filter_timeline(events, kinds=["lead", "stage"]).index.tolist()
    [1, 2]
    """
    chosen = list(kinds)
    return events[events["event"].isin(chosen)] if chosen else events


def override_states(overrides: pd.DataFrame, *, now: Any) -> list[str]:
    """Each override's state at ``now``: ``cleared`` (someone cleared it), ``expired`` (its expiry is at or
    before ``now``) or ``active``; ``overrides`` has ``cleared_at`` and ``expires_at``.

    Examples
    --------
    >>> ovs = pd.DataFrame({"cleared_at": [pd.Timestamp("2026-01-02"), None, None],
    ...                     "expires_at": [None, pd.Timestamp("2026-01-05"), None]})
    >>> override_states(ovs, now=pd.Timestamp("2026-01-05"))
    ['cleared', 'expired', 'active']
    """
    now = pd.Timestamp(now)
    return [
        "cleared" if pd.notna(c) else ("expired" if pd.notna(e) and pd.Timestamp(e) <= now else "active")
        for c, e in zip(overrides["cleared_at"], overrides["expires_at"], strict=True)
    ]


def open_leads(leads: pd.DataFrame) -> pd.DataFrame:
    """The customer's leads still open (a defeat may be requested for these), as ``leads`` returns them.

    Examples
    --------
    >>> open_leads(pd.DataFrame({"lead_id": [1, 2, 3], "status": ["won", "open", "open"]}))["lead_id"].tolist()
    [2, 3]
    """
    return leads[leads["status"] == "open"]
