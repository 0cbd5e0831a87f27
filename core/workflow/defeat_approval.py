"""战败审批 The defeat approval step: an advisor marks a lead as defeated with a reason from the taxonomy; a
manager approves it (the lead is closed as defeated) or sends it back (the lead stays open).

Rules (documented, tested):

- The reason is one of ``DEFEAT_REASONS``; a price defeat needs a sub-reason from ``PRICE_SUB_REASONS``.
- Only an open lead can be marked; a lead with a pending request cannot be marked again until it is decided;
  a request that was sent back may be made again (the same row goes back to pending with the new reason).
- While pending the lead stays open and the request counts as a defeat nowhere (the defeat page shows pending
  requests apart; see ``core.analytics.defeats``). Approving sets the lead's status to defeated and ``defeated_at`` to
  the request's time, which is when it counts. Sending back needs a note saying why.
- A decision only applies to a pending request: if another manager decided first, ``Conflict`` carries what
  they decided and nothing is written. Every write names its actor and is audited.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.access.privacy import mask_name
from core.storage.db import retrying, write_transaction
from core.storage.models import DEFEAT_REASONS, PRICE_SUB_REASONS, Advisor, Customer, Defeat, Lead
from core.workflow.overrides import Conflict, InputError, audit, check_actor, now_


def _check_reason(reason: str, sub_reason: str | None) -> str | None:
    if reason not in DEFEAT_REASONS:
        raise InputError("defeat_reason_unknown")
    if reason == "price":
        if sub_reason not in PRICE_SUB_REASONS:
            raise InputError("defeat_sub_reason_missing")
        return sub_reason
    return None


@retrying
def request_defeat(
    engine: Engine,
    *,
    lead_id: int,
    reason: str,
    actor: str,
    sub_reason: str | None = None,
    competitor_brand: str | None = None,
    competitor_model: str | None = None,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Mark an open lead as defeated, pending a manager's approval. Returns the defeat's id.

    Raises ``InputError`` (``defeat_reason_unknown``, ``defeat_sub_reason_missing``, ``lead_not_open``,
    ``defeat_pending``, ``actor_missing``); nothing is written then.
    """
    actor = check_actor(actor)
    sub = _check_reason(reason, sub_reason)
    at = now or now_()
    with write_transaction(engine) as conn:
        lead = conn.execute(
            sa.select(Lead.id, Lead.customer_id, Lead.advisor_id, Lead.status, Lead.stage_reached).where(
                Lead.id == lead_id
            )
        ).first()
        if lead is None:
            raise LookupError(f"no lead with id {lead_id}")
        if lead.status != "open":
            raise InputError("lead_not_open")
        existing = conn.execute(
            sa.select(Defeat.id, Defeat.approval).where(Defeat.lead_id == lead_id)
        ).first()
        values = {
            "reason": reason,
            "sub_reason": sub,
            "competitor_brand": (competitor_brand or "").strip() or None,
            "competitor_model": (competitor_model or "").strip() or None,
            "at": at,
            "stage_lost": lead.stage_reached,
            "advisor_id": lead.advisor_id,
            "approval": "pending",
            "requested_by": actor,
            "approval_by": None,
            "approval_at": None,
            "approval_note": (note or "").strip() or None,
        }
        if existing is None:
            defeat_id = conn.execute(
                sa.insert(Defeat).returning(Defeat.id),
                {**values, "lead_id": lead_id, "customer_id": lead.customer_id, "reactivated": False},
            ).scalar_one()
        elif existing.approval == "returned":
            defeat_id = existing.id
            done = conn.execute(
                sa.update(Defeat)
                .where(Defeat.id == defeat_id, Defeat.approval == "returned")
                .values(**values)
            ).rowcount
            if done != 1:
                raise InputError("defeat_pending")
        else:
            raise InputError("defeat_pending")
        audit(
            conn,
            actor,
            "defeat.request",
            "defeat",
            defeat_id,
            {"lead_id": lead_id, "reason": reason, "sub_reason": sub},
            at,
        )
    return int(defeat_id)


@retrying
def _decide(engine: Engine, defeat_id: int, approval: str, actor: str, note: str | None, now) -> None:
    actor = check_actor(actor)
    at = now or now_()
    with write_transaction(engine) as conn:
        done = conn.execute(
            sa.update(Defeat)
            .where(Defeat.id == defeat_id, Defeat.approval == "pending")
            .values(
                approval=approval,
                approval_by=actor,
                approval_at=at,
                **({"approval_note": note} if note else {}),  # without a note the advisor's stays
            )
        ).rowcount
        row = conn.execute(
            sa.select(
                Defeat.lead_id,
                Defeat.at,
                Defeat.approval,
                Defeat.approval_by,
                Defeat.approval_at,
                Defeat.approval_note,
            )
            .where(Defeat.id == defeat_id)
            .with_for_update()
        ).first()  # fmt: skip  (a locking read: the latest row, not a MariaDB snapshot)
        if row is None:
            raise LookupError(f"no defeat with id {defeat_id}")
        if done != 1:
            raise Conflict(
                "defeat",
                defeat_id,
                {
                    "by": row.approval_by,
                    "at": row.approval_at,
                    "decision": row.approval,
                    "reason": row.approval_note,
                },
            )
        if approval == "approved":
            conn.execute(
                sa.update(Lead)
                .where(Lead.id == row.lead_id, Lead.status == "open")
                .values(status="defeated", defeated_at=row.at)
            )
        audit(
            conn, actor, f"defeat.{approval}", "defeat", defeat_id, {"lead_id": row.lead_id, "note": note}, at
        )


def approve_defeat(
    engine: Engine, *, defeat_id: int, actor: str, note: str | None = None, now: dt.datetime | None = None
) -> None:
    """Approve a pending defeat: the lead is closed as defeated. ``Conflict`` if it was decided already."""
    _decide(engine, defeat_id, "approved", actor, (note or "").strip() or None, now)


def return_defeat(
    engine: Engine, *, defeat_id: int, actor: str, note: str | None, now: dt.datetime | None = None
) -> None:
    """Send a pending defeat back to the advisor (the lead stays open); a note saying why is required."""
    if not (note or "").strip():
        raise InputError("return_note_missing")
    _decide(engine, defeat_id, "returned", actor, (note or "").strip(), now)


def pending_defeats(*, conn: Connection, show_pii: bool = False) -> pd.DataFrame:
    """Requests waiting for a manager, oldest first: defeat_id, lead_id, customer_id, customer (name),
    advisor, advisor_id, at, stage_lost, reason, sub_reason, competitor_brand, competitor_model, requested_by, note."""
    q = (
        sa.select(
            Defeat.id.label("defeat_id"),
            Defeat.lead_id,
            Defeat.customer_id,
            Customer.name.label("customer"),
            Advisor.name.label("advisor"),
            Defeat.advisor_id,
            Defeat.at,
            Defeat.stage_lost,
            Defeat.reason,
            Defeat.sub_reason,
            Defeat.competitor_brand,
            Defeat.competitor_model,
            Defeat.requested_by,
            Defeat.approval_note.label("note"),
        )
        .join(Customer, Customer.id == Defeat.customer_id)
        .outerjoin(Advisor, Advisor.id == Defeat.advisor_id)
        .where(Defeat.approval == "pending")
        .order_by(Defeat.at, Defeat.id)
    )
    out = pd.read_sql(q, conn)
    if not show_pii:
        out["customer"] = out["customer"].map(mask_name)
        out["advisor"] = out["advisor"].map(lambda x: mask_name(x) if x else None)
    return out
