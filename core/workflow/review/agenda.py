"""A meeting's agenda: who may open a meeting, opening it (the agenda is a snapshot of the changes), reading
meetings and their items, the agenda's progress, and the page's filters on it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.access.privacy import mask_name
from core.storage.db import retrying, write_transaction
from core.storage.models import (
    Advisor,
    Customer,
    ReviewItem,
    ReviewMeeting,
    TierAssignment,
    User,
)
from core.workflow.overrides import (
    InputError,
    active_overrides,
    audit,
    check_actor,
    now_,
)
from core.workflow.review.changes import explain_changes, population_schemes, tier_changes

# who opens the weekly meeting (the manager runs it; advisors review their own part of its agenda)
MEETING_ROLES = frozenset({"manager"})


def may_open_meeting(role: str | None) -> bool:
    """Whether a signed-in user of ``role`` may open a meeting.

    Examples
    --------
    >>> may_open_meeting("manager"), may_open_meeting("staff"), may_open_meeting(None)
    (True, False, False)
    """
    return role in MEETING_ROLES


def _check_opener(conn: Connection, actor: str) -> None:
    """``InputError("meeting_managers_only")`` when ``actor`` is an account whose role may not open meetings.

    A name without an account is a script or the command line (no one signs in as it), and may open one.
    """
    role = conn.execute(sa.select(User.role).where(User.name == actor)).scalar()
    if role is not None and not may_open_meeting(role):
        raise InputError("meeting_managers_only")


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week.

    Examples
    --------
    >>> week_start(dt.date(2026, 12, 3))
    datetime.date(2026, 11, 30)
    """
    return day - dt.timedelta(days=day.weekday())


@retrying
def open_meeting(
    engine: Engine,
    *,
    population: str,
    week: dt.date,
    actor: str,
    now: dt.datetime | None = None,
    explain: bool = True,
) -> int:
    """Open the meeting of ``week`` (any day of it) for a population, with its agenda; returns its id.

    A meeting that already exists for that week is returned as it is (its agenda is not recomputed).
    Only managers open meetings: an actor with an account of another role gets
    ``InputError("meeting_managers_only")`` and nothing is written.
    """
    actor = check_actor(actor)
    if population not in ("owners", "leads"):
        raise InputError("population_unknown")
    monday = week_start(week)
    at = now or now_()
    with write_transaction(engine) as conn:
        _check_opener(conn, actor)
        found = conn.execute(
            sa.select(ReviewMeeting.id).where(
                ReviewMeeting.population == population, ReviewMeeting.week_start == monday
            )
        ).scalar()
        if found is not None:
            return int(found)
        previous = conn.execute(
            sa.select(sa.func.max(ReviewMeeting.cutoff_at)).where(
                ReviewMeeting.population == population, ReviewMeeting.week_start < monday
            )
        ).scalar()
        if previous is None:
            last_write = conn.execute(
                sa.select(sa.func.max(TierAssignment.effective_from)).where(
                    TierAssignment.scheme_id.in_(population_schemes(population)),
                    TierAssignment.effective_from <= at,
                )
            ).scalar()
            baseline = None if last_write is None else pd.Timestamp(last_write).to_pydatetime()
            baseline = None if baseline is None else baseline - dt.timedelta(seconds=1)
        else:
            baseline = pd.Timestamp(previous).to_pydatetime()
        meeting_id = conn.execute(
            sa.insert(ReviewMeeting).returning(ReviewMeeting.id),
            {
                "population": population,
                "week_start": monday,
                "baseline_at": baseline,
                "cutoff_at": at,
                "created_by": actor,
                "created_at": at,
            },
        ).scalar_one()
        changes = tier_changes(conn=conn, population=population, baseline=baseline, cutoff=at)
        if len(changes):
            reasons = explain_changes(conn, changes, population, baseline, at) if explain else None
            advisors = dict(
                conn.execute(
                    sa.select(Customer.id, Customer.advisor_id).where(
                        Customer.id.in_(changes["customer_id"].tolist())
                    )
                ).all()
            )
            rows = [
                {
                    "meeting_id": meeting_id,
                    "customer_id": int(r.customer_id),
                    "advisor_id": advisors.get(int(r.customer_id)),
                    "old_tier": r.old_tier,
                    "new_tier": r.new_tier,
                    "old_score": None if pd.isna(r.old_score) else float(r.old_score),
                    "new_score": None if pd.isna(r.new_score) else float(r.new_score),
                    "rule": r.rule,
                    "reasons": reasons[i] if reasons else [],
                    "discussed": False,
                    "row_version": 1,
                }
                for i, r in enumerate(changes.itertuples(index=False))
            ]
            conn.execute(sa.insert(ReviewItem), rows)
        audit(
            conn,
            actor,
            "review.open_meeting",
            "review_meeting",
            meeting_id,
            {"population": population, "week": monday.isoformat(), "items": len(changes)},
            at,
        )
    return int(meeting_id)


def meetings(*, conn: Connection, population: str | None = None) -> pd.DataFrame:
    """Meetings newest first: id, population, week_start, baseline_at, cutoff_at, created_by, items, reviewed."""
    reviewed = sa.func.sum(sa.case((ReviewItem.decision.is_not(None), 1), else_=0))
    q = (
        sa.select(
            ReviewMeeting.id,
            ReviewMeeting.population,
            ReviewMeeting.week_start,
            ReviewMeeting.baseline_at,
            ReviewMeeting.cutoff_at,
            ReviewMeeting.created_by,
            sa.func.count(ReviewItem.id).label("items"),
            sa.func.coalesce(reviewed, 0).label("reviewed"),
        )
        .outerjoin(ReviewItem, ReviewItem.meeting_id == ReviewMeeting.id)
        .group_by(
            ReviewMeeting.id,
            ReviewMeeting.population,
            ReviewMeeting.week_start,
            ReviewMeeting.baseline_at,
            ReviewMeeting.cutoff_at,
            ReviewMeeting.created_by,
        )
        .order_by(ReviewMeeting.week_start.desc(), ReviewMeeting.population)
    )
    if population:
        q = q.where(ReviewMeeting.population == population)
    return pd.read_sql(q, conn).astype({"items": "int64", "reviewed": "int64"})


def get_meeting(*, conn: Connection, meeting_id: int) -> dict[str, Any]:
    """One meeting's row as a dict (``LookupError`` if there is none)."""
    row = (
        conn.execute(sa.select(*ReviewMeeting.__table__.columns).where(ReviewMeeting.id == meeting_id))
        .mappings()
        .first()
    )
    if row is None:
        raise LookupError(f"no review meeting with id {meeting_id}")
    return dict(row)


ITEM_COLUMNS = [c for c in ReviewItem.__table__.columns]


def items(
    *, conn: Connection, meeting_id: int, show_pii: bool = False, at: dt.datetime | None = None
) -> pd.DataFrame:
    """A meeting's agenda, grouped by advisor (advisor, then customer): every ``review_items`` column plus
    customer name, advisor name, advisor (name and id, the group label), store id (names masked unless
    ``show_pii``) and active_override (tier of the customer's override in force at ``at``, default now, for
    the meeting's population; None without one)."""
    q = (
        sa.select(
            *ITEM_COLUMNS,
            Customer.name.label("customer_name"),
            Customer.store_id,
            Advisor.name.label("advisor_name"),
        )
        .join(Customer, Customer.id == ReviewItem.customer_id)
        .outerjoin(Advisor, Advisor.id == ReviewItem.advisor_id)
        .where(ReviewItem.meeting_id == meeting_id)
        .order_by(ReviewItem.advisor_id, ReviewItem.customer_id)
    )
    out = pd.read_sql(q, conn)
    out["discussed"] = out["discussed"].astype(bool)
    for col in ("old_tier", "decision", "decided_tier", "reason", "note", "rule", "decided_by"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    if not show_pii:
        out["customer_name"] = out["customer_name"].map(mask_name)
        out["advisor_name"] = out["advisor_name"].map(lambda x: mask_name(x) if x else None)
    # masked names of two advisors can be the same ("王*"): the group label carries the advisor's id
    out["advisor"] = [
        f"{n or '—'} #{int(i)}" if pd.notna(i) else "—"
        for n, i in zip(out["advisor_name"], out["advisor_id"], strict=True)
    ]
    population = get_meeting(conn=conn, meeting_id=meeting_id)["population"]
    active = active_overrides(conn=conn, population=population, at=at)
    tier_of = dict(zip(active["customer_id"], active["tier"], strict=True))
    out["active_override"] = [tier_of.get(int(c)) for c in out["customer_id"]]
    return out


def progress(frame: pd.DataFrame) -> dict[str, int]:
    """Counts of an agenda (or a filtered part of it): total, reviewed, confirmed, overridden, discussed.

    Examples
    --------
    >>> progress(pd.DataFrame({"decision": ["confirmed", None, "overridden"], "discussed": [True, False, False]}))
    {'total': 3, 'reviewed': 2, 'confirmed': 1, 'overridden': 1, 'discussed': 1}
    """
    d = frame["decision"]
    return {
        "total": len(frame),
        "reviewed": int(d.notna().sum()),
        "confirmed": int((d == "confirmed").sum()),
        "overridden": int((d == "overridden").sum()),
        "discussed": int(frame["discussed"].astype(bool).sum()),
    }


# the agenda's status filter: items still to decide, items decided, or every item
STATUSES = ("open", "decided", "all")


def filter_items(agenda: pd.DataFrame, *, advisors: Iterable[str] = (), status: str = "all") -> pd.DataFrame:
    """The agenda's rows of the chosen advisors (every advisor when none is chosen) with the chosen status:
    ``open`` (no decision yet), ``decided`` (confirmed or overridden) or ``all``. Rows keep their order and index.

    Examples
    --------
    >>> agenda = pd.DataFrame({"id": [1, 2, 3], "advisor": ["王* #1", "李* #2", "王* #1"],
    ...                        "decision": [None, "confirmed", "overridden"]})
    >>> filter_items(agenda, advisors=["王* #1"], status="decided")["id"].tolist()
    [3]
    >>> filter_items(agenda, status="open")["id"].tolist()
    [1]
    """
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
    chosen = list(advisors)
    shown = agenda[agenda["advisor"].isin(chosen)] if chosen else agenda
    if status == "open":
        return shown[shown["decision"].isna()]
    if status == "decided":
        return shown[shown["decision"].notna()]
    return shown
