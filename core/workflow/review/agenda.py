"""周会复盘 The weekly tier review: meetings, what changed since the last one, and the decisions taken.

Definitions (shown to users in the page's help texts):

- A *meeting* reviews one population for one week (its Monday). Its *cut-off* is when it was opened; its
  *baseline* is the previous meeting's cut-off, or, before the first meeting, the moment just before the
  population's current assignments were written (the last publish or rescore).
- A *change* is a customer whose computed tier in force at the cut-off differs from the one in force at the
  baseline; a customer who had no tier at the baseline counts as a change (— → tier) when the population had
  assignments then. Customers who left the population are not listed. A tier is *in force* at ``t`` when
  ``effective_from <= t`` and (``effective_to`` is NULL or ``effective_to > t``).
- The *reasons* are the dimensions whose points (weight × normalised value) moved between the assignment in
  force at the baseline and the one in force at the cut-off, largest move first, each computed with its own
  scheme on the data as of the day it was scored (the data's last day when its ``effective_from`` day is
  later, unless the effective day's points are the ones that add up to its stored score), and the trigger
  rule that forced the new tier, if any. Every dimension that moved by 0.05 points or more is listed, so
  the changes add up to the score change (new score − old score).
- The agenda is a snapshot taken when the meeting opens, so progress and the export do not move under the
  people in the room. *Reviewed* = confirmed or overridden.
- *Confirm* accepts the computed tier and clears an active override of the customer (recorded); *override*
  sets a tier by hand with a required reason (``core.workflow.overrides``). Both may be changed later by anyone who
  read the current row: every save names the ``row_version`` it read and fails with ``Conflict`` otherwise.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
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
    ScoringScheme,
    TierAssignment,
    User,
)
from core.workflow.overrides import (
    Conflict,
    InputError,
    _clear_active,
    active_overrides,
    audit,
    check_actor,
    check_text_input,
    now_,
    set_override_in,
)

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


def _population_schemes(population: str) -> sa.Select:
    return sa.select(ScoringScheme.id).where(ScoringScheme.population == population)


def tiers_at(*, conn: Connection, population: str, at: dt.datetime) -> pd.DataFrame:
    """customer_id, tier, score, rule, scheme_id, effective_from of the population's assignments in force
    at ``at``."""
    q = sa.select(
        TierAssignment.customer_id,
        TierAssignment.tier,
        TierAssignment.score,
        TierAssignment.rule,
        TierAssignment.scheme_id,
        TierAssignment.effective_from,
    ).where(
        TierAssignment.scheme_id.in_(_population_schemes(population)),
        TierAssignment.effective_from <= at,
        sa.or_(TierAssignment.effective_to.is_(None), TierAssignment.effective_to > at),
    )
    return pd.read_sql(q, conn)


def tier_changes(
    *, conn: Connection, population: str, baseline: dt.datetime | None, cutoff: dt.datetime
) -> pd.DataFrame:
    """Customers whose tier in force at ``cutoff`` differs from the one at ``baseline`` (see the module doc).

    Columns customer_id, old_tier, new_tier, old_score, new_score, rule, old_scheme_id, new_scheme_id,
    old_from, new_from (when the old and the new assignment took effect; old_from is NaT without an old tier).
    """
    new = tiers_at(conn=conn, population=population, at=cutoff)
    old = tiers_at(conn=conn, population=population, at=baseline) if baseline is not None else new.iloc[:0]
    cols = ["customer_id", "old_tier", "new_tier", "old_score", "new_score", "rule"]
    if old.empty:
        extra = ["old_scheme_id", "new_scheme_id", "old_from", "new_from"]
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols + extra})
    both = new.merge(old, on="customer_id", how="left", suffixes=("_new", "_old"))
    changed = both[both["tier_new"] != both["tier_old"]]  # NaN (no old tier) != tier is True
    out = pd.DataFrame(
        {
            "customer_id": changed["customer_id"].astype("int64"),
            "old_tier": changed["tier_old"].astype(object).where(changed["tier_old"].notna(), None),
            "new_tier": changed["tier_new"],
            "old_score": changed["score_old"],
            "new_score": changed["score_new"],
            "rule": changed["rule_new"].astype(object).where(changed["rule_new"].notna(), None),
            "old_scheme_id": changed["scheme_id_old"].astype("Int64"),
            "new_scheme_id": changed["scheme_id_new"].astype("int64"),
            "old_from": pd.to_datetime(changed["effective_from_old"]),
            "new_from": pd.to_datetime(changed["effective_from_new"]),
        }
    )
    return out.sort_values("customer_id", ignore_index=True)


def contribution_changes(
    old: pd.DataFrame | None, new: pd.DataFrame, customer_ids: np.ndarray, *, top: int | None = None
) -> list[list[list[Any]]]:
    """Per customer, the dimensions whose points moved from ``old`` to ``new`` (frames of points per
    dimension, index customer_id; a missing customer or dimension counts 0), largest move first, as
    [[dimension, change], ...]: every dimension that moved by 0.05 points or more (or the ``top`` largest).

    Examples
    --------
    >>> new = pd.DataFrame({"a": [30.0, 10.0], "b": [5.0, 5.0]}, index=[1, 2])
    >>> old = pd.DataFrame({"a": [10.0], "b": [9.0]}, index=[1])
    >>> contribution_changes(old, new, np.array([1, 2]))
    [[['a', 20.0], ['b', -4.0]], [['a', 10.0], ['b', 5.0]]]
    """
    dims = list(dict.fromkeys([*(old.columns if old is not None else []), *new.columns]))
    n = new.reindex(index=customer_ids, columns=dims).fillna(0.0)
    o = old.reindex(index=customer_ids, columns=dims).fillna(0.0) if old is not None else n * 0.0
    delta = (n - o).to_numpy(dtype=np.float64)
    out = []
    for row in delta:
        order = np.argsort(-np.abs(row), kind="stable")[:top]
        out.append([[dims[j], round(float(row[j]), 1)] for j in order if abs(row[j]) >= 0.05])
    return out


SCORE_MATCH = 0.01  # points that add up to a stored score (rounded to 4 places) within this reproduce it


def _data_day(last: Any, at: Any) -> dt.date:
    """The day whose data a tier written at ``at`` was computed on: ``at``'s day, but never after the data's
    last day ``last`` (a demo or an import whose events end before the day the tiers were written)."""
    day = pd.Timestamp(at).date()
    return min(day, pd.Timestamp(last).date()) if last is not None and pd.notna(last) else day


def explain_changes(
    conn: Connection, changes: pd.DataFrame, population: str, baseline=None, cutoff=None
) -> list:
    """Reasons for every change (see ``contribution_changes``): the points of the old assignment, with its
    scheme on the data as of the day it took effect (``old_from``), against the points of the new one
    (``new_from``). "The day" is the data's last day when the assignment took effect later (a lab publish
    scores the data's last day) unless the points on the effective day itself are the ones that add up to the
    stored score (the nightly rescore scores its own day). Reads the event tables once and computes the
    features once per day involved.

    ``baseline`` and ``cutoff`` are not used (the assignments' own times are); kept for callers.
    """
    if changes.empty:
        return []
    from core.scoring.feature_inputs import load_feature_inputs
    from core.scoring.features import compute_features
    from core.scoring.scheme import Scorer

    specs = dict(conn.execute(sa.select(ScoringScheme.id, ScoringScheme.params)).all())
    last = conn.execute(sa.select(sa.func.max(Customer.created_at))).scalar()
    inputs = load_feature_inputs(conn=conn)
    features: dict[dt.date, pd.DataFrame] = {}
    scorers: dict[tuple[int, dt.date], Scorer] = {}

    def scorer_on(scheme_id: int, day: dt.date) -> Scorer:
        if day not in features:
            features[day] = compute_features(inputs, population=population, as_of=day)
        if (scheme_id, day) not in scorers:
            scorers[(scheme_id, day)] = Scorer(specs[scheme_id]).fit(features[day])
        return scorers[(scheme_id, day)]

    def points(scheme_id: int, at: Any, ids: np.ndarray, stored: np.ndarray) -> pd.DataFrame:
        # which day's data: the nightly job scores its own day, a lab publish the data's last day (earlier
        # when no customer came in since); take the first candidate whose points add up to the stored scores
        best: tuple[float, pd.DataFrame] | None = None
        for day in dict.fromkeys([_data_day(last, at), pd.Timestamp(at).date()]):
            scorer = scorer_on(scheme_id, day)
            pos = pd.Index(scorer.customer_id_).get_indexer(ids)
            got = scorer.contributions(pos[pos >= 0])
            total = got.sum(axis=1).reindex(ids).to_numpy(dtype=np.float64)
            error = float(np.nanmax(np.abs(total - stored), initial=0.0)) if len(ids) else 0.0
            if best is None or error < best[0]:
                best = (error, got)
            if error <= SCORE_MATCH:
                break
        return best[1]  # type: ignore[index]

    reasons: dict[int, list] = {}
    keyed = changes.assign(
        old_scheme_id=changes["old_scheme_id"].fillna(-1).astype("int64"),
        old_from=changes["old_from"].fillna(pd.Timestamp(0)),  # no old tier: one group, not computed
    )
    for (old_id, old_from, new_id, new_from), part in keyed.groupby(
        ["old_scheme_id", "old_from", "new_scheme_id", "new_from"], sort=True
    ):
        ids = part["customer_id"].to_numpy()
        new = points(int(new_id), new_from, ids, part["new_score"].to_numpy(dtype=np.float64))
        old = (
            points(int(old_id), old_from, ids, part["old_score"].to_numpy(dtype=np.float64))
            if old_id != -1
            else None
        )
        for cid, r in zip(ids.tolist(), contribution_changes(old, new, ids), strict=True):
            reasons[cid] = r
    return [reasons[c] for c in changes["customer_id"].tolist()]


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
                    TierAssignment.scheme_id.in_(_population_schemes(population)),
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


_ITEM_COLUMNS = [c for c in ReviewItem.__table__.columns]


def items(
    *, conn: Connection, meeting_id: int, show_pii: bool = False, at: dt.datetime | None = None
) -> pd.DataFrame:
    """A meeting's agenda, grouped by advisor (advisor, then customer): every ``review_items`` column plus
    customer name, advisor name, advisor (name and id, the group label), store id (names masked unless
    ``show_pii``) and active_override (tier of the customer's override in force at ``at``, default now, for
    the meeting's population; None without one)."""
    q = (
        sa.select(
            *_ITEM_COLUMNS,
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


def _item_state(conn: Connection, item_id: int, *, latest: bool = False) -> dict[str, Any]:
    q = sa.select(*_ITEM_COLUMNS).where(ReviewItem.id == item_id)
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


EXPORT_COLUMNS = (
    "advisor",
    "customer_id",
    "customer_name",
    "old_tier",
    "new_tier",
    "old_score",
    "new_score",
    "rule",
    "reasons",
    "decision",
    "decided_tier",
    "reason",
    "note",
    "expires_at",
    "discussed",
    "decided_by",
    "decided_at",
)


def export_frame(
    agenda: pd.DataFrame, *, dimension_label=str, rule_label=str, reasons_text=None
) -> pd.DataFrame:
    """The meeting's rows for the workbook, codes kept (the page translates headers and codes): reasons as
    text ("dimension +12.3；…"), or as ``reasons_text(reasons, old_score, new_score)`` writes them (the page's
    own wording, so screen and workbook say the same)."""
    out = agenda[list(EXPORT_COLUMNS)].copy()
    if reasons_text is None:
        out["reasons"] = [
            "；".join(f"{dimension_label(d)} {v:+.1f}" for d, v in (r or [])) for r in agenda["reasons"]
        ]
    else:
        out["reasons"] = [
            reasons_text(r, o, n)
            for r, o, n in zip(agenda["reasons"], agenda["old_score"], agenda["new_score"], strict=True)
        ]
    out["rule"] = [rule_label(r) if r else "" for r in agenda["rule"]]
    for col in ("old_score", "new_score"):
        out[col] = out[col].astype(float).round(1)
    return out


def workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An Excel workbook with one sheet per frame (header row first), text cells neutralised against
    formula injection (``core.io.exports.safe_frame``)."""
    from io import BytesIO

    from core.io.exports import safe_frame

    buffer = BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            safe_frame(frame).to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue()
