"""人工调整 Tier overrides: set, clear, the ones in force, and the tier a customer effectively has.

Rules (documented, tested):

- An override is *active* at a time ``at`` when it is not cleared and has no expiry or expires after ``at``.
  A customer has at most one active override per population: setting a new one clears the old one (recorded).
  Every writer first takes the customer's row lock (``lock_customer``), so concurrent writers of one customer
  queue instead of each adding an override.
- Overrides live apart from the computed assignments, so publishing, rolling back or rescoring never touches
  them: the *effective* tier is the active override's tier where there is one, else the computed tier.
- Every write names its ``actor`` and goes to ``audit_log`` in the same transaction.
- Optimistic locking: clearing names the ``row_version`` it read; if the row moved meanwhile a ``Conflict``
  carrying the other person's change is raised and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.access import audit as audit_log
from core.storage.db import retrying, write_transaction
from core.storage.models import Customer, ScoringScheme, TierAssignment, TierOverride
from core.storage.text_input import TextRejected, check_text

REASON_MAX = 256


class InputError(ValueError):
    """Bad input from a person: ``code`` names what to fix (the page shows its text), nothing was written."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class Conflict(Exception):
    """Someone else saved first; ``current`` is their change (who, when, what). Nothing of ours was written."""

    object_type: str
    object_id: int
    current: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_id} was changed by {self.current.get('by')} first"


def now_() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def check_actor(actor: str) -> str:
    """The actor's name, stripped; ``InputError("actor_missing")`` when empty.

    Examples
    --------
    >>> check_actor("  王五 ")
    '王五'
    """
    if not isinstance(actor, str) or not actor.strip():
        raise InputError("actor_missing")
    return check_text_input(actor).strip()[:64]


def check_reason(reason: str | None) -> str:
    """A required reason, stripped; ``InputError`` when empty or longer than 256 characters.

    Examples
    --------
    >>> check_reason(" 客户刚转介绍两位朋友 ")
    '客户刚转介绍两位朋友'
    """
    text = check_text_input(reason or "").strip()
    if not text:
        raise InputError("reason_missing")
    if len(text) > REASON_MAX:
        raise InputError("reason_too_long", max=REASON_MAX)
    return text


def check_text_input(text: str | None) -> str | None:
    """``text`` unchanged; ``InputError("text_nul")`` when it holds a NUL byte (``core.storage.text_input``).

    Examples
    --------
    >>> check_text_input("下月再看")
    '下月再看'
    """
    try:
        return check_text(text)
    except TextRejected:
        raise InputError("text_nul") from None


def audit(
    conn: Connection, actor: str, action: str, object_type: str, object_id: int, detail: dict, at: dt.datetime
) -> None:
    audit_log.record(
        conn, actor=actor, action=action, object_type=object_type, object_id=object_id, detail=detail, at=at
    )


def labels(*, conn: Connection, population: str) -> list[str]:
    """Tier labels of the population's published scheme (empty when none is published)."""
    params = conn.execute(
        sa.select(ScoringScheme.params).where(
            ScoringScheme.population == population, ScoringScheme.status == "published"
        )
    ).scalar()
    return list(params.get("labels", [])) if params else []


def _active(at: dt.datetime) -> list[sa.ColumnElement[bool]]:
    return [
        TierOverride.cleared_at.is_(None),
        sa.or_(TierOverride.expires_at.is_(None), TierOverride.expires_at > at),
    ]


_OVERRIDE_COLUMNS = (
    TierOverride.id,
    TierOverride.customer_id,
    TierOverride.population,
    TierOverride.tier,
    TierOverride.reason,
    TierOverride.note,
    TierOverride.created_by,
    TierOverride.created_at,
    TierOverride.expires_at,
    TierOverride.cleared_by,
    TierOverride.cleared_at,
    TierOverride.row_version,
)


def active_overrides(
    *, conn: Connection, population: str | None = None, at: dt.datetime | None = None
) -> pd.DataFrame:
    """Overrides in force at ``at`` (default now), one row each, with who set them, when and why."""
    q = sa.select(*_OVERRIDE_COLUMNS).where(*_active(at or now_())).order_by(TierOverride.id)
    if population:
        q = q.where(TierOverride.population == population)
    return pd.read_sql(q, conn)


def override_history(*, conn: Connection, customer_id: int) -> pd.DataFrame:
    """Every override a customer ever had, cleared and expired ones included, newest first."""
    q = (
        sa.select(*_OVERRIDE_COLUMNS)
        .where(TierOverride.customer_id == customer_id)
        .order_by(TierOverride.created_at.desc(), TierOverride.id.desc())
    )
    return pd.read_sql(q, conn)


def effective_tiers(*, conn: Connection, population: str, at: dt.datetime | None = None) -> pd.DataFrame:
    """The tiers in force now: customer_id, computed (tier of the current assignment), override (tier of the
    active override or None), tier (the override where there is one, else the computed tier), override_id."""
    from core.scoring.publishing import current_assignments

    computed = current_assignments(conn=conn, population=population)[["customer_id", "tier"]]
    ov = active_overrides(conn=conn, population=population, at=at)[["customer_id", "tier", "id"]]
    out = computed.rename(columns={"tier": "computed"}).merge(
        ov.rename(columns={"tier": "override", "id": "override_id"}), on="customer_id", how="outer"
    )
    out["override"] = out["override"].astype(object).where(out["override"].notna(), None)
    out["tier"] = out["override"].where(out["override"].notna(), out["computed"])
    out["override_id"] = out["override_id"].astype("Int64")
    return out.sort_values("customer_id", ignore_index=True)


def lock_customer(conn: Connection, customer_id: int) -> None:
    """Take the customer's row lock until the transaction ends: every writer of a customer's overrides goes
    through it, so two of them (two meetings, a meeting and the 360 page) run one after the other and the
    second sees and clears the first's override. Without it both found no active override and both inserted
    one (PostgreSQL's READ COMMITTED; a range lock on MariaDB does not cover a row not yet there). SQLite's
    writers are serialized by BEGIN IMMEDIATE already."""
    conn.execute(sa.select(Customer.id).where(Customer.id == customer_id).with_for_update())


def _clear_active(
    conn: Connection, customer_id: int, population: str, actor: str, at: dt.datetime, why: str
) -> list[int]:
    lock_customer(conn, customer_id)
    ids = (
        conn.execute(
            sa.select(TierOverride.id)
            .where(
                TierOverride.customer_id == customer_id, TierOverride.population == population, *_active(at)
            )
            .with_for_update()  # the latest rows, not a REPEATABLE READ snapshot (MariaDB)
        )
        .scalars()
        .all()
    )
    for oid in ids:
        conn.execute(
            sa.update(TierOverride)
            .where(TierOverride.id == oid)
            .values(cleared_by=actor, cleared_at=at, row_version=TierOverride.row_version + 1)
        )
        audit(
            conn, actor, "override.clear", "tier_override", oid, {"customer_id": customer_id, "why": why}, at
        )
    return list(ids)


def set_override_in(
    conn: Connection,
    *,
    customer_id: int,
    population: str,
    tier: str,
    reason: str | None,
    actor: str,
    note: str | None = None,
    expires_at: dt.datetime | None = None,
    at: dt.datetime,
) -> int:
    """``set_override`` inside the caller's transaction. Returns the new override's id."""
    actor = check_actor(actor)
    reason = check_reason(reason)
    allowed = labels(conn=conn, population=population)
    if tier not in allowed:
        raise InputError("tier_unknown", tier=tier, allowed="/".join(allowed))
    if expires_at is not None and expires_at <= at:
        raise InputError("expiry_past")
    _clear_active(conn, customer_id, population, actor, at, "replaced")
    new_id = conn.execute(
        sa.insert(TierOverride).returning(TierOverride.id),
        {
            "customer_id": customer_id,
            "population": population,
            "tier": tier,
            "reason": reason,
            "note": (check_text_input(note) or "").strip() or None,
            "created_by": actor,
            "created_at": at,
            "expires_at": expires_at,
            "row_version": 1,
        },
    ).scalar_one()
    audit(
        conn,
        actor,
        "override.set",
        "tier_override",
        new_id,
        {"customer_id": customer_id, "population": population, "tier": tier, "reason": reason},
        at,
    )
    return int(new_id)


@retrying
def set_override(
    engine: Engine,
    *,
    customer_id: int,
    population: str,
    tier: str,
    reason: str | None,
    actor: str,
    note: str | None = None,
    expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Give a customer a tier by hand, with a required reason, optional note and expiry; replaces (clears)
    the customer's active override of that population. One transaction, audited. Returns the override id.

    Raises ``InputError`` (``actor_missing``, ``reason_missing``, ``reason_too_long``, ``tier_unknown``,
    ``expiry_past``) and writes nothing.
    """
    with write_transaction(engine) as conn:
        return set_override_in(
            conn,
            customer_id=customer_id,
            population=population,
            tier=tier,
            reason=reason,
            actor=actor,
            note=note,
            expires_at=expires_at,
            at=now or now_(),
        )


@retrying
def clear_override(
    engine: Engine, *, override_id: int, read_version: int, actor: str, now: dt.datetime | None = None
) -> None:
    """Clear an override (the computed tier applies again), recording who and when.

    Raises ``Conflict`` when the override was changed or cleared since ``read_version`` was read.
    """
    actor = check_actor(actor)
    at = now or now_()
    with write_transaction(engine) as conn:
        done = conn.execute(
            sa.update(TierOverride)
            .where(
                TierOverride.id == override_id,
                TierOverride.row_version == read_version,
                TierOverride.cleared_at.is_(None),
            )
            .values(cleared_by=actor, cleared_at=at, row_version=read_version + 1)
        ).rowcount
        if done != 1:
            row = conn.execute(
                sa.select(*_OVERRIDE_COLUMNS).where(TierOverride.id == override_id).with_for_update()
            ).first()
            if row is None:
                raise LookupError(f"no override with id {override_id}")
            raise Conflict(
                "tier_override",
                override_id,
                {
                    "by": row.cleared_by or row.created_by,
                    "at": row.cleared_at or row.created_at,
                    "decision": "cleared" if row.cleared_at else "overridden",
                    "tier": row.tier,
                    "reason": row.reason,
                },
            )
        customer_id = conn.execute(
            sa.select(TierOverride.customer_id).where(TierOverride.id == override_id)
        ).scalar_one()
        audit(conn, actor, "override.clear", "tier_override", override_id, {"customer_id": customer_id}, at)


def tier_history(*, conn: Connection, customer_id: int) -> pd.DataFrame:
    """Every computed assignment of a customer, newest first: population, scheme version and name, tier,
    score, rule, effective_from, effective_to."""
    q = (
        sa.select(
            ScoringScheme.population,
            ScoringScheme.version.label("scheme_version"),
            ScoringScheme.name.label("scheme"),
            TierAssignment.tier,
            TierAssignment.score,
            TierAssignment.rule,
            TierAssignment.effective_from,
            TierAssignment.effective_to,
        )
        .join(ScoringScheme, ScoringScheme.id == TierAssignment.scheme_id)
        .where(TierAssignment.customer_id == customer_id)
        .order_by(TierAssignment.effective_from.desc(), ScoringScheme.population)
    )
    return pd.read_sql(q, conn)
