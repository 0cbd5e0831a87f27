"""审计日志 Audit log: who did what, when. Only ever appended to; the app has no way to edit an entry."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.storage.models import AuditLog

ACTIONS = (  # every action the app records; each has a label in both languages (dashboard/texts/admin.py)
    "login",
    "login.failed",
    "login.locked",
    "logout",
    "logout.idle",
    "logout.expired",
    "user.create",
    "user.password",
    "user.update",
    "user.unlock",
    "role.pii",
    "scheme.save_draft",
    "scheme.publish",
    "scheme.rollback",
    "scheme.rescore",
    "override.set",
    "override.clear",
    "review.open_meeting",
    "review.confirm",
    "review.override",
    "review.discussed",
    "defeat.request",
    "defeat.approved",
    "defeat.returned",
    "import",
    "export",
    "keys.rotate",
)


def record(
    conn: Connection,
    *,
    actor: str,
    action: str,
    object_type: str | None = None,
    object_id: object = None,
    detail: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Append one entry, inside the caller's transaction (so it commits or rolls back with the change).

    Examples
    --------
    >>> from core.storage.db import open_database, write_transaction
    >>> engine = open_database("sqlite://")
    >>> with write_transaction(engine) as conn:
    ...     record(conn, actor="admin", action="user.create", object_type="user", object_id=1)
    >>> with engine.connect() as conn:
    ...     search(conn=conn)[["actor", "action", "object_id"]].values.tolist()
    [['admin', 'user.create', '1']]
    """
    if action not in ACTIONS:  # an unlisted action would show as a raw code on the audit page
        raise ValueError(
            f"unknown audit action {action!r}: add it to core.access.audit.ACTIONS and its label"
        )
    conn.execute(
        sa.insert(AuditLog),
        {
            "at": at or dt.datetime.now().replace(microsecond=0),
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": None if object_id is None else str(object_id),
            "detail": detail,
        },
    )


def search(
    *,
    conn: Connection,
    actor: str | None = None,
    action: str | tuple[str, ...] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    text: str | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """Entries newest first, filtered by actor, action (a prefix such as ``login``, or several), time and text.

    Every filter is a bound parameter; ``text`` matches the object id or actor (substring).
    """
    q = sa.select(
        AuditLog.id,
        AuditLog.at,
        AuditLog.actor,
        AuditLog.action,
        AuditLog.object_type,
        AuditLog.object_id,
        AuditLog.detail,
    )
    if actor:
        q = q.where(AuditLog.actor == actor)
    if action:
        prefixes = (action,) if isinstance(action, str) else action
        q = q.where(sa.or_(*(AuditLog.action.startswith(p, autoescape=True) for p in prefixes)))
    if start:
        q = q.where(AuditLog.at >= start)
    if end:
        q = q.where(AuditLog.at < end)
    if text:
        q = q.where(
            sa.or_(
                AuditLog.object_id.contains(text, autoescape=True),
                AuditLog.actor.contains(text, autoescape=True),
            )
        )
    q = q.order_by(AuditLog.id.desc()).limit(limit)
    return pd.DataFrame(
        conn.execute(q).all(), columns=["id", "at", "actor", "action", "object_type", "object_id", "detail"]
    )
