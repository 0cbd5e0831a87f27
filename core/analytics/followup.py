"""跟踪纪律 Follow-up discipline: cadence per grade, overdue leads, compliance per advisor and store, the
weekly trend, and the public-pool (公海池) flags.

Definitions (shown to users in the page's help texts):

- *Cadence* (跟踪标准, DOMAIN.md): H every 3 days (the upper end of 2–3), A 7, B 15, C 30, O (ordered) 7:
  keep the customer informed until delivery. D (delivered) and M (owner) have no repeating cadence: D is
  checked by ``delivery_care`` (a call within 2 hours of delivery and another within 7 days), M by events.
  The table is ``core.analytics.overview.FOLLOW_UP_DAYS``, shared with the overview.
- A lead is *under cadence* at a time ``at`` when it is open then (created before ``at``, neither delivered
  nor defeated before ``at``) and its grade has a cadence. Its *last contact* is its latest follow-up before
  ``at``, else its first contact if that was before ``at``.
- *Overdue* (the overview's definition, one implementation: ``core.analytics.overview.overdue_rule``): under cadence
  with no last contact, or a last contact older than the grade's cadence. The same rule for every ``at``,
  the data's last day included (the stored ``status`` and ``last_contact_at`` are not read).
- *Compliance rate* of a group (advisor, store, all) at ``at``: leads under cadence that are not overdue ÷
  leads under cadence; None for a group with no lead under cadence.
- *Weekly trend*: the compliance rate at the end of each week (Sunday 24:00), rebuilt from the history.
- *Public-pool flags* at ``at``: ``uncontacted_2h``: a lead created within the last 7 days, still open, whose
  first contact came more than 2 hours after it was created or has not come although 2 hours have passed;
  ``a_48h``: an open A lead whose last contact is more than 48 hours old (or none, 48 hours after creation).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.access.privacy import mask_name
from core.analytics.overview import FOLLOW_UP_DAYS, Filters, closed_at, lead_filters, overdue_rule
from core.storage.models import Advisor, FollowUp, Lead, Store

NEW_LEAD_DAYS = 7
FIRST_CONTACT_HOURS = 2
A_SILENCE_HOURS = 48
DELIVERY_FIRST_CALL_HOURS = 2
DELIVERY_SECOND_CALL_DAYS = 7

_LEAD_COLUMNS = (
    Lead.id.label("lead_id"),
    Lead.customer_id,
    Lead.advisor_id,
    Lead.store_id,
    Lead.grade,
    Lead.status,
    Lead.created_at,
    Lead.first_contact_at,
    Lead.order_at,
    Lead.delivery_at,
    Lead.defeated_at,
)


def _leads(conn: Connection, filters: Filters | None) -> pd.DataFrame:
    cond = lead_filters(filters) if filters else []
    out = pd.read_sql(sa.select(*_LEAD_COLUMNS).where(*cond), conn)
    for col in ("created_at", "first_contact_at", "order_at", "delivery_at", "defeated_at"):
        out[col] = pd.to_datetime(out[col])
    return out


def _follow_ups(conn: Connection, before: dt.datetime | None = None) -> pd.DataFrame:
    cond = [FollowUp.lead_id.is_not(None)] + ([FollowUp.at < before] if before is not None else [])
    out = pd.read_sql(sa.select(FollowUp.lead_id, FollowUp.at).where(*cond).order_by(FollowUp.at), conn)
    out["at"] = pd.to_datetime(out["at"])
    return out


def _last_follow_up(leads: pd.DataFrame, fu: pd.DataFrame, at_ts: pd.Timestamp) -> np.ndarray:
    """Per lead: its latest follow-up before ``at_ts`` (NaT for none)."""
    last_fu = fu[fu["at"] < at_ts].groupby("lead_id")["at"].max()
    return last_fu.reindex(leads["lead_id"].to_numpy()).to_numpy(dtype="datetime64[us]")


def _states(leads: pd.DataFrame, fu: pd.DataFrame, at: dt.datetime) -> pd.DataFrame:
    at_ts = pd.Timestamp(at)
    days = leads["grade"].map(FOLLOW_UP_DAYS).fillna(0).to_numpy(dtype="int64")

    def times(col: str) -> np.ndarray:
        return leads[col].to_numpy(dtype="datetime64[us]")

    keep, last, overdue = overdue_rule(
        at=at,
        grade_days=days,
        created=times("created_at"),
        first_contact=times("first_contact_at"),
        last_follow_up=_last_follow_up(leads, fu, at_ts),
        delivery=closed_at(times("delivery_at"), times("order_at"), (leads["status"] == "won").to_numpy()),
        defeated=times("defeated_at"),
    )
    out = leads.loc[keep, ["lead_id", "customer_id", "advisor_id", "store_id", "grade", "created_at"]].copy()
    out["last_contact"] = pd.Series(last[keep], index=out.index)
    out["cadence_days"] = days[keep]
    out["days_since"] = ((at_ts - out["last_contact"]).dt.total_seconds() / 86400.0).round(1)
    out["overdue"] = overdue[keep]
    return out.reset_index(drop=True)


def lead_states(
    *, conn: Connection, at: dt.datetime, current: bool | None = None, filters: Filters | None = None
) -> pd.DataFrame:
    """Every lead under cadence at ``at``: lead_id, customer_id, advisor_id, store_id, grade, created_at,
    last_contact, cadence_days, days_since (days since the last contact), overdue (``overdue_rule``).

    ``current`` is ignored (every ``at`` follows the same rule)."""
    return _states(_leads(conn, filters), _follow_ups(conn, before=at), at)


def overdue_follow_ups(*, conn: Connection, filters: Filters, current: bool | None = None) -> int:
    """Leads under cadence at the end of the period whose last contact is older than their grade's cadence
    (:func:`overdue_rule`, rebuilt from the follow-ups before the period's end).

    ``current`` is ignored: it chose the stored state for a period ending on the data's last day, which
    disagreed with the rule; every period now follows the same rule.
    """
    states = lead_states(conn=conn, at=filters.end_dt, filters=filters)
    return int(states["overdue"].sum())


def _names(conn: Connection, show_pii: bool) -> tuple[dict, dict]:
    adv = dict(conn.execute(sa.select(Advisor.id, Advisor.name)).all())
    # the id tells apart advisors whose (masked) names are the same, e.g. two "王*"
    adv = {k: f"{v if show_pii else mask_name(v)} #{k}" for k, v in adv.items()}
    stores = dict(conn.execute(sa.select(Store.id, Store.name)).all())
    return adv, stores


def overdue_list(
    *,
    conn: Connection,
    at: dt.datetime,
    current: bool | None = None,
    filters: Filters | None = None,
    show_pii: bool = False,
) -> pd.DataFrame:
    """Overdue leads, most overdue first, with advisor ("name #id", name masked unless ``show_pii``) and store."""
    states = lead_states(conn=conn, at=at, current=current, filters=filters)
    return _overdue_list(states, *_names(conn, show_pii))


def _overdue_list(states: pd.DataFrame, adv: dict, stores: dict) -> pd.DataFrame:
    out = states[states["overdue"]].copy()
    out["advisor"] = out["advisor_id"].map(adv)
    out["store"] = out["store_id"].map(stores)
    out["days_over"] = (out["days_since"] - out["cadence_days"]).round(1)
    return out.sort_values(
        ["days_since", "lead_id"], ascending=[False, True], na_position="first"
    ).reset_index(drop=True)


def compliance(states: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Compliance per ``by`` ("advisor_id", "store_id" or None for all): leads (under cadence), overdue,
    on_time, rate (on_time ÷ leads).

    Examples
    --------
    >>> s = pd.DataFrame({"advisor_id": [1, 1, 2], "overdue": [True, False, False]})
    >>> compliance(s, "advisor_id").to_dict("records")
    [{'advisor_id': 1, 'leads': 2, 'overdue': 1, 'on_time': 1, 'rate': 0.5}, {'advisor_id': 2, 'leads': 1, 'overdue': 0, 'on_time': 1, 'rate': 1.0}]
    """
    key = states[by] if by else pd.Series(0, index=states.index)
    g = states.assign(_k=key, _o=states["overdue"].astype("int64")).groupby("_k", sort=True)["_o"]
    out = pd.DataFrame({"leads": g.size(), "overdue": g.sum()}).astype("int64")
    out["on_time"] = out["leads"] - out["overdue"]
    out["rate"] = out["on_time"] / out["leads"]
    out = out.reset_index(names=by or "all")
    if by is None:
        out = out.drop(columns="all")
    return out


def compliance_by(
    *,
    conn: Connection,
    at: dt.datetime,
    by: str,
    current: bool | None = None,
    filters: Filters | None = None,
    show_pii: bool = False,
) -> pd.DataFrame:
    """``compliance`` per advisor or store at ``at``, with names (advisor masked unless ``show_pii``),
    lowest rate first."""
    if by not in ("advisor", "store"):
        raise ValueError("by must be 'advisor' or 'store'")
    states = lead_states(conn=conn, at=at, current=current, filters=filters)
    advisor_store = dict(conn.execute(sa.select(Advisor.id, Advisor.store_id)).all())
    return _compliance_named(states, by, *_names(conn, show_pii), advisor_store)


def _compliance_named(
    states: pd.DataFrame, by: str, adv: dict, stores: dict, advisor_store: dict
) -> pd.DataFrame:
    out = compliance(states, f"{by}_id")
    out["name"] = out[f"{by}_id"].map(adv if by == "advisor" else stores)
    if by == "advisor":
        out["store"] = out["advisor_id"].map(advisor_store).map(stores)
    return out.sort_values(["rate", f"{by}_id"], ignore_index=True)


def week_ends(last_day: dt.date, weeks: int) -> list[dt.datetime]:
    """The ends (Sunday 24:00 = Monday 00:00) of the ``weeks`` weeks up to and including ``last_day``'s week,
    oldest first; the last one is the end of ``last_day`` when its week is not over yet.

    Examples
    --------
    >>> [d.isoformat() for d in week_ends(dt.date(2026, 6, 30), 3)]
    ['2026-06-22T00:00:00', '2026-06-29T00:00:00', '2026-07-01T00:00:00']
    """
    end_of_last = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min)
    monday = dt.datetime.combine(last_day - dt.timedelta(days=last_day.weekday()), dt.time.min)
    ends = [monday - dt.timedelta(weeks=k - 1) for k in range(weeks - 1, 0, -1)]
    return ends + [end_of_last]


def weekly_trend(
    *,
    conn: Connection,
    last_day: dt.date,
    weeks: int = 12,
    by: str | None = "store",
    filters: Filters | None = None,
) -> pd.DataFrame:
    """Compliance at each week end (``week_ends``), rebuilt from the history: week_end, [store_id or
    advisor_id], leads, overdue, on_time, rate."""
    return _trend(_leads(conn, filters), _follow_ups(conn), last_day, weeks, by)


def _trend(
    leads: pd.DataFrame, fu: pd.DataFrame, last_day: dt.date, weeks: int, by: str | None
) -> pd.DataFrame:
    key = {"store": "store_id", "advisor": "advisor_id", None: None}[by]
    parts = []
    for end in week_ends(last_day, weeks):
        part = compliance(_states(leads, fu, end), key)
        part.insert(0, "week_end", pd.Timestamp(end))
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def pool_flags(*, conn: Connection, at: dt.datetime, filters: Filters | None = None) -> pd.DataFrame:
    """Public-pool flags at ``at`` (see the module doc): lead_id, customer_id, advisor_id, store_id, grade,
    created_at, first_contact_at, last_contact, flag (``uncontacted_2h`` or ``a_48h``), hours (hours to the
    first contact, or since the last contact; up to ``at`` when none)."""
    return _pool_flags(_leads(conn, filters), _follow_ups(conn), at)


def _pool_flags(leads: pd.DataFrame, fu: pd.DataFrame, at: dt.datetime) -> pd.DataFrame:
    at_ts = pd.Timestamp(at)
    closed = pd.Series(
        closed_at(
            leads["delivery_at"].to_numpy(dtype="datetime64[us]"),
            leads["order_at"].to_numpy(dtype="datetime64[us]"),
            (leads["status"] == "won").to_numpy(),
        ),
        index=leads.index,
    )
    open_now = (
        (leads["created_at"] < at_ts)
        & (closed.isna() | (closed >= at_ts))
        & (leads["defeated_at"].isna() | (leads["defeated_at"] >= at_ts))
    )
    first = leads["first_contact_at"].where(leads["first_contact_at"] < at_ts)
    last = pd.Series(_last_follow_up(leads, fu, at_ts), index=leads.index).fillna(first)
    base = leads.assign(first_contact_at=first, last_contact=last)
    cols = ["lead_id", "customer_id", "advisor_id", "store_id", "grade", "created_at", "first_contact_at"]

    new = open_now & (leads["created_at"] >= at_ts - pd.Timedelta(days=NEW_LEAD_DAYS))
    wait = (first.fillna(at_ts) - leads["created_at"]).dt.total_seconds() / 3600.0
    late = new & (wait > FIRST_CONTACT_HOURS)
    a = base.loc[late, cols + ["last_contact"]].assign(flag="uncontacted_2h", hours=wait[late].round(1))

    silence = (at_ts - last.fillna(leads["created_at"])).dt.total_seconds() / 3600.0
    quiet = open_now & (leads["grade"] == "A") & (silence > A_SILENCE_HOURS)
    b = base.loc[quiet, cols + ["last_contact"]].assign(flag="a_48h", hours=silence[quiet].round(1))
    out = pd.concat([a, b], ignore_index=True)
    return out.sort_values(["flag", "hours", "lead_id"], ascending=[True, False, True], ignore_index=True)


def summary(
    *,
    conn: Connection,
    at: dt.datetime,
    last_day: dt.date,
    weeks: int = 12,
    current: bool | None = None,
    show_pii: bool = False,
    advisor_id: int | None = None,
    own_only: bool = False,
) -> dict[str, pd.DataFrame]:
    """Everything the follow-up page shows, from one read of the leads and follow-ups: states, by_advisor,
    by_store, overdue, pool, trend_store, trend_all (each as the function of the same name computes it), and
    team (``compliance`` of all leads: one unnamed row). ``current`` is ignored (see ``lead_states``).

    With ``own_only`` (an advisor, the staff role) every figure is ``advisor_id``'s own (nothing when it is
    None): states, by_advisor (their row), overdue and pool hold their leads only, trend_own is their weekly
    trend (None otherwise); by_store and trend_store are computed on their leads only; team and trend_all stay
    the unnamed team average, the only group figures shown.

    Examples
    --------
    >>> from core.storage.db import open_database
    >>> with open_database("sqlite://").connect() as conn:
    ...     got = summary(conn=conn, at=dt.datetime(2026, 7, 1), last_day=dt.date(2026, 6, 30), weeks=2,
    ...                   advisor_id=None, own_only=True)
    >>> got["states"].empty, got["trend_own"]["leads"].sum(), got["team"]["leads"].tolist()
    (True, np.int64(0), [0])
    """
    leads, fu = _leads(conn, None), _follow_ups(conn)
    adv, stores = _names(conn, show_pii)
    advisor_store = dict(conn.execute(sa.select(Advisor.id, Advisor.store_id)).all())
    states = _states(leads, fu, at)
    team = compliance(states, None)
    if team.empty:  # no lead under cadence: one row of zeros, rate None
        team = pd.DataFrame({"leads": [0], "overdue": [0], "on_time": [0], "rate": [None]})
    trend_all = _trend(leads, fu, last_day, weeks, None)
    if own_only:
        # an account tied to no advisor has no leads of its own (NaN == None is False for every row)
        leads = leads[leads["advisor_id"] == advisor_id]
        states = states[states["advisor_id"] == advisor_id].reset_index(drop=True)
    return {
        "states": states,
        "by_advisor": _compliance_named(states, "advisor", adv, stores, advisor_store),
        "by_store": _compliance_named(states, "store", adv, stores, advisor_store),
        "overdue": _overdue_list(states, adv, stores),
        "pool": _pool_flags(leads, fu, at),
        "trend_store": _trend(leads, fu, last_day, weeks, "store"),  # own_only: the advisor's store(s)
        "trend_own": _trend(leads, fu, last_day, weeks, None) if own_only else None,
        "trend_all": trend_all,
        "team": team,
    }


def delivery_care(*, conn: Connection, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """D-grade rule for leads delivered in [start, end): lead_id, advisor_id, store_id, delivery_at,
    call_2h (a follow-up within 2 hours after delivery), call_7d (a further follow-up after those 2 hours and
    within 7 days of delivery)."""
    q = sa.select(Lead.id.label("lead_id"), Lead.advisor_id, Lead.store_id, Lead.delivery_at).where(
        Lead.delivery_at >= start, Lead.delivery_at < end
    )
    leads = pd.read_sql(q, conn)
    leads["delivery_at"] = pd.to_datetime(leads["delivery_at"])
    fu = _follow_ups(conn).merge(leads[["lead_id", "delivery_at"]], on="lead_id")
    hours = (fu["at"] - fu["delivery_at"]).dt.total_seconds() / 3600.0
    first = fu[(hours >= 0) & (hours <= DELIVERY_FIRST_CALL_HOURS)]["lead_id"].unique()
    second = fu[(hours > DELIVERY_FIRST_CALL_HOURS) & (hours <= DELIVERY_SECOND_CALL_DAYS * 24)][
        "lead_id"
    ].unique()
    leads["call_2h"] = np.isin(leads["lead_id"], first)
    leads["call_7d"] = np.isin(leads["lead_id"], second)
    return leads.sort_values("lead_id", ignore_index=True)
