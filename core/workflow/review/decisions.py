"""Decisions on agenda items: confirm the computed tier, override it, mark an item as discussed. Every save
names the ``row_version`` it read (optimistic locking) and fails with ``Conflict`` otherwise."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.storage.db import retrying, write_transaction
from core.storage.models import ReviewItem, ReviewMeeting
from core.workflow.overrides import (
    Conflict,
    InputError,
    _clear_active,
    audit,
    check_actor,
    check_text_input,
    now_,
    set_override_in,
)
from core.workflow.review.agenda import ITEM_COLUMNS


def _item_state(conn: Connection, item_id: int, *, latest: bool = False) -> dict[str, Any]:
    q = sa.select(*ITEM_COLUMNS).where(ReviewItem.id == item_id)
    # a locking read sees the latest committed row; a plain read on MariaDB (REPEATABLE READ) would show the
    # transaction's snapshot, i.e. the row as it was before the other person's save
    row = conn.execute(q.with_for_update() if latest else q).mappings().first()
    if row is None:
        raise LookupError(f"no review item with id {item_id}")
    return dict(row)


def _conflict(conn: Connection, item_id: int) -> Conflict:
    row = _item_state(conn, item_id, latest=True)
    return Conflict(
        "review_item",
        item_id,
        {
            "by": row["decided_by"],
            "at": row["decided_at"],
            "decision": row["decision"],
            "tier": row["decided_tier"],
            "reason": row["reason"],
            "discussed": bool(row["discussed"]),
            "row_version": row["row_version"],
        },
    )


def _claim(conn: Connection, item_id: int, read_version: int, values: dict[str, Any]) -> bool:
    """The optimistic lock: write ``values`` only if the row is still at ``read_version``."""
    done = conn.execute(
        sa.update(ReviewItem)
        .where(ReviewItem.id == item_id, ReviewItem.row_version == read_version)
        .values(**values, row_version=read_version + 1)
    ).rowcount
    return done == 1


def _decide_in(
    conn: Connection,
    item: dict[str, Any],
    read_version: int,
    decision: str,
    *,
    actor: str,
    tier: str | None,
    reason: str | None,
    note: str | None,
    expires_at: dt.datetime | None,
    at: dt.datetime,
) -> bool:
    population = conn.execute(
        sa.select(ReviewMeeting.population).where(ReviewMeeting.id == item["meeting_id"])
    ).scalar_one()
    values: dict[str, Any] = {
        "decision": decision,
        "decided_by": actor,
        "decided_at": at,
        "note": (check_text_input(note) or "").strip() or None,
    }
    if decision == "confirmed":
        values.update(
            decided_tier=item["new_tier"],
            reason=(check_text_input(reason) or "").strip() or None,
            expires_at=None,
        )
    if not _claim(conn, item["id"], read_version, {**values, "override_id": None}):
        return False
    cid = int(item["customer_id"])
    if decision == "overridden":
        override_id = set_override_in(
            conn,
            customer_id=cid,
            population=population,
            tier=tier or "",
            reason=reason,
            actor=actor,
            note=note,
            expires_at=expires_at,
            at=at,
        )
        conn.execute(
            sa.update(ReviewItem)
            .where(ReviewItem.id == item["id"])
            .values(override_id=override_id, decided_tier=tier, reason=reason.strip(), expires_at=expires_at)  # type: ignore[union-attr]
        )
    else:
        _clear_active(conn, cid, population, actor, at, "confirmed in review")
    audit(
        conn,
        actor,
        {"confirmed": "review.confirm", "overridden": "review.override"}[decision],
        "review_item",
        item["id"],
        {
            "customer_id": cid,
            "tier": tier if decision == "overridden" else item["new_tier"],
            "reason": reason,
        },
        at,
    )
    return True


@retrying
def decide(
    engine: Engine,
    *,
    item_id: int,
    read_version: int,
    decision: str,
    actor: str,
    tier: str | None = None,
    reason: str | None = None,
    note: str | None = None,
    expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Confirm the computed tier or override it (tier and reason required; note and expiry optional).

    ``read_version`` is the ``row_version`` the person saw. Returns the item's new row_version.

    Raises
    ------
    Conflict
        Someone saved this item after it was read; ``current`` holds their change; nothing was written.
    InputError
        ``actor_missing``, ``decision_unknown``, ``reason_missing``, ``tier_unknown``, ``expiry_past``.
    """
    actor = check_actor(actor)
    if decision not in ("confirmed", "overridden"):
        raise InputError("decision_unknown")
    at = now or now_()
    with write_transaction(engine) as conn:
        item = _item_state(conn, item_id)
        if not _decide_in(
            conn,
            item,
            read_version,
            decision,
            actor=actor,
            tier=tier,
            reason=reason,
            note=note,
            expires_at=expires_at,
            at=at,
        ):
            raise _conflict(conn, item_id)
    return read_version + 1


@retrying
def confirm_many(
    engine: Engine, *, read: list[tuple[int, int]], actor: str, now: dt.datetime | None = None
) -> tuple[list[int], list[Conflict]]:
    """Bulk confirm: every (item id, row_version read) that is still at that version and undecided is
    confirmed, in one transaction. Returns (confirmed ids, conflicts for the ones someone else changed)."""
    actor = check_actor(actor)
    at = now or now_()
    done: list[int] = []
    conflicts: list[Conflict] = []
    with write_transaction(engine) as conn:
        for item_id, version in read:
            item = _item_state(conn, item_id)
            if item["decision"] is not None and item["row_version"] == version:
                continue  # decided already and the person saw it: nothing to confirm
            ok = _decide_in(
                conn,
                item,
                version,
                "confirmed",
                actor=actor,
                tier=None,
                reason=None,
                note=None,
                expires_at=None,
                at=at,
            )
            if ok:
                done.append(item_id)
            else:
                conflicts.append(_conflict(conn, item_id))
    return done, conflicts


@retrying
def mark_discussed(
    engine: Engine,
    *,
    item_id: int,
    read_version: int,
    actor: str,
    discussed: bool = True,
    now: dt.datetime | None = None,
) -> int:
    """Mark an item as discussed (or not) in the meeting. Optimistic locking as in ``decide``."""
    actor = check_actor(actor)
    at = now or now_()
    with write_transaction(engine) as conn:
        if not _claim(conn, item_id, read_version, {"discussed": discussed}):
            raise _conflict(conn, item_id)
        audit(conn, actor, "review.discussed", "review_item", item_id, {"discussed": discussed}, at)
    return read_version + 1
