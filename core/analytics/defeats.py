"""战败分析 Defeat reasons: Pareto, breakdowns, price sub-reasons, monthly trend, win-back and re-activation.

Definitions (shown to users in the page's help texts; the README's figure definitions say the same):

- a *defeat* (战败) is a lead recorded as lost: its ``leads.defeated_at`` is set, by an import (a lead imported
  as lost, or a defeat record imported for it) or by a manager approving a defeat request (which sets it to
  the request's time). It counts in the period its ``defeated_at`` falls in: the overview's 战败 figure, its
  defeat rate and drill-down, and every figure of the defeat page count these same leads.
- its *reason* is that of the lead's defeat record (the latest not pending and not returned); a lost lead
  without one has the reason ``UNRECORDED`` (未填写原因) and still counts: it never vanishes from the page.
- a *pending* defeat request (``approval = 'pending'``) does not count: its lead stays open until a manager
  approves it. The defeat page shows the pending requests of the period apart (:func:`pending_requests`). A
  request sent back (``approval = 'returned'``) never counts.
- filters apply as on every page: store and channel to the defeated lead, region to the customer.
- *won back* (再次购车率): a defeated customer with a new-car purchase dated after the day of their first
  defeat in the period, at any time up to the data's end.
- *worth re-activating*: not re-activated and not won back, lost at test drive or later for a reason a
  better offer can answer (price, finance, delivery time); most recent first.
- *monthly trend*: a month the period or the data (its first or last day) cuts short is *partial*
  (``core.analytics.periods``): its counts are the covered days' defeats, flagged with the days covered and drawn apart
  from whole months, never read as a collapse (:func:`mark_trend`).

Every function takes the connection keyword-only, selects the columns it needs with SQLAlchemy Core (bound
parameters, portable to SQLite, PostgreSQL and MariaDB) and aggregates in pandas.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.access.privacy import mask_name, mask_phone
from core.analytics.overview import Filters, lead_filters
from core.analytics.periods import mark_months, month_coverage
from core.storage.models import (
    DEFEAT_REASONS,
    FUNNEL_STAGES,
    PRICE_SUB_REASONS,
    Advisor,
    Channel,
    Customer,
    Defeat,
    Lead,
    Purchase,
    Store,
)

BREAKDOWNS = ("model", "competitor", "advisor", "channel", "stage")
UNKNOWN = "—"
UNRECORDED = "unrecorded"  # the reason of a lost lead without a defeat record (未填写原因)
# defeat records that give a lost lead its reason: imported (no approval step) or approved
COUNTED_APPROVAL = sa.or_(Defeat.approval.is_(None), Defeat.approval == "approved")
UNSPECIFIED = "unspecified"
RECOVERABLE_REASONS = ("price", "finance", "delivery_time")
LATE_STAGE = FUNNEL_STAGES.index("test_drive")

_DEFEAT_COLUMNS = [
    "defeat_id",
    "customer_id",
    "lead_id",
    "at",
    "stage_lost",
    "reason",
    "sub_reason",
    "competitor_brand",
    "competitor_model",
    "reactivated",
    "reactivated_at",
    "store_id",
    "channel_id",
    "intended_model",
    "advisor",
    "channel",
    "channel_en",
    "store",
    "store_en",
]


def _conditions(filters: Filters) -> list[sa.ColumnElement[bool]]:
    """The lost leads of the period: ``defeated_at`` in it, and the shared lead filters."""
    return [Lead.defeated_at >= filters.start_dt, Lead.defeated_at < filters.end_dt, *lead_filters(filters)]


def defeats(*, conn: Connection, filters: Filters) -> pd.DataFrame:
    """The defeats of the period that the filters select: one row per lost lead (see the module docstring).

    Parameters
    ----------
    conn : Connection
        An open connection.
    filters : Filters
        Period (on the lead's ``defeated_at``) and store, channel (of the lead) and region (of the customer).

    Returns
    -------
    DataFrame
        Columns ``defeat_id, customer_id, lead_id, at, stage_lost, reason, sub_reason, competitor_brand,
        competitor_model, reactivated, reactivated_at, store_id, channel_id, intended_model, advisor, channel,
        channel_en, store, store_en``, ordered by lead id. ``at`` is the lead's ``defeated_at``; a lead without
        a defeat record has no ``defeat_id``, the reason ``UNRECORDED``, the stage it reached as
        ``stage_lost`` and its own advisor.

    Examples
    --------
    >>> from core.storage.db import open_database
    >>> import datetime as dt
    >>> with open_database("sqlite://").connect() as conn:
    ...     defeats(conn=conn, filters=Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 31))).empty
    True
    """
    record = (
        sa.select(sa.func.max(Defeat.id).label("id"), Defeat.lead_id)
        .where(COUNTED_APPROVAL)
        .group_by(Defeat.lead_id)
        .subquery()
    )
    advisor_id = sa.func.coalesce(Defeat.advisor_id, Lead.advisor_id)
    q = (
        sa.select(
            Defeat.id,
            Lead.customer_id,
            Lead.id.label("lead_id"),
            Lead.defeated_at,
            sa.func.coalesce(Defeat.stage_lost, Lead.stage_reached),
            sa.func.coalesce(Defeat.reason, UNRECORDED),
            Defeat.sub_reason,
            Defeat.competitor_brand,
            Defeat.competitor_model,
            Defeat.reactivated,
            Defeat.reactivated_at,
            Lead.store_id,
            Lead.channel_id,
            Lead.intended_model,
            Advisor.name,
            Channel.name,
            Channel.name_en,
            Store.name,
            Store.name_en,
        )
        .select_from(Lead)
        .outerjoin(record, record.c.lead_id == Lead.id)
        .outerjoin(Defeat, Defeat.id == record.c.id)
        .outerjoin(Advisor, Advisor.id == advisor_id)
        .outerjoin(Channel, Channel.id == Lead.channel_id)
        .outerjoin(Store, Store.id == Lead.store_id)
        .where(*_conditions(filters))
        .order_by(Lead.id)
    )
    frame = pd.DataFrame(conn.execute(q).all(), columns=_DEFEAT_COLUMNS)
    frame["defeat_id"] = frame["defeat_id"].astype("Int64")  # none for a lead lost without a record
    frame["at"] = pd.to_datetime(frame["at"])
    frame["reactivated_at"] = pd.to_datetime(frame["reactivated_at"])
    frame["reactivated"] = frame["reactivated"].fillna(False).astype(bool)
    frame["stage_lost"] = frame["stage_lost"].astype("int64")
    return frame


def pending_requests(*, conn: Connection, filters: Filters) -> int:
    """Defeat requests of the period still waiting for a manager (not counted as defeats; see the module
    docstring): request time in the period, the shared lead filters."""
    q = (
        sa.select(sa.func.count())
        .select_from(Defeat)
        .join(Lead, Lead.id == Defeat.lead_id)
        .where(
            Defeat.approval == "pending",
            Defeat.at >= filters.start_dt,
            Defeat.at < filters.end_dt,
            *lead_filters(filters),
        )
    )
    return int(conn.execute(q).scalar_one())


def _ranked(codes: pd.Series, order: tuple[str, ...], name: str) -> pd.DataFrame:
    counts = codes.value_counts()
    rank = {code: i for i, code in enumerate(order)}
    out = pd.DataFrame({name: counts.index.astype(object), "count": counts.to_numpy(dtype="int64")})
    out["_rank"] = out[name].map(lambda c: rank.get(c, len(order)))
    out = out.sort_values(["count", "_rank", name], ascending=[False, True, True], kind="stable")
    total = int(out["count"].sum())
    out = out.drop(columns="_rank").reset_index(drop=True)
    out["share"] = out["count"] / total if total else 0.0
    out["cum_share"] = out["count"].cumsum() / total if total else 0.0
    return out.astype({"count": "int64", "share": float, "cum_share": float})


def pareto(*, conn: Connection, filters: Filters) -> pd.DataFrame:
    """Defeat reasons by count, most frequent first, with their share and cumulative share.

    Parameters
    ----------
    conn : Connection
        An open connection.
    filters : Filters
        The shared filters.

    Returns
    -------
    DataFrame
        Columns ``reason, count, share, cum_share``; only reasons that occur; ties in ``DEFEAT_REASONS`` order.
    """
    return pareto_from_defeats(defeats(conn=conn, filters=filters))


def pareto_from_defeats(d: pd.DataFrame) -> pd.DataFrame:
    """The Pareto of already-read defeats (see :func:`pareto`)."""
    return _ranked(d["reason"], DEFEAT_REASONS, "reason")


def price_sub_reasons(*, conn: Connection, filters: Filters) -> pd.DataFrame:
    """Sub-reasons of the price defeats, most frequent first (missing ones as ``"unspecified"``).

    Parameters
    ----------
    conn : Connection
        An open connection.
    filters : Filters
        The shared filters.

    Returns
    -------
    DataFrame
        Columns ``sub_reason, count, share, cum_share``; shares of the price defeats.
    """
    return price_sub_reasons_from_defeats(defeats(conn=conn, filters=filters))


def price_sub_reasons_from_defeats(d: pd.DataFrame) -> pd.DataFrame:
    """Price sub-reasons of already-read defeats (see :func:`price_sub_reasons`)."""
    subs = d.loc[d["reason"] == "price", "sub_reason"].fillna(UNSPECIFIED)
    return _ranked(subs, PRICE_SUB_REASONS + (UNSPECIFIED,), "sub_reason")


def _group_labels(d: pd.DataFrame, by: str, *, show_pii: bool, lang: str) -> pd.Series:
    if by == "model":
        return d["intended_model"].fillna(UNKNOWN)
    if by == "competitor":
        return d["competitor_brand"].fillna(UNKNOWN)
    if by == "advisor":
        names = d["advisor"] if show_pii else d["advisor"].map(lambda x: mask_name(x) if x else None)
        return names.fillna(UNKNOWN)
    if by == "channel":
        return d["channel_en" if lang == "en" else "channel"].fillna(UNKNOWN)
    if by == "stage":
        return d["stage_lost"].map(lambda i: FUNNEL_STAGES[i] if 0 <= i < len(FUNNEL_STAGES) else UNKNOWN)
    raise ValueError(f"by must be one of {BREAKDOWNS}, not {by!r}")


def breakdown(
    *, conn: Connection, filters: Filters, by: str, show_pii: bool = False, lang: str = "zh"
) -> pd.DataFrame:
    """Defeats per group and reason, in long format.

    Parameters
    ----------
    conn : Connection
        An open connection.
    filters : Filters
        The shared filters.
    by : {"model", "competitor", "advisor", "channel", "stage"}
        The lead's intended model, the competitor brand, the advisor (masked unless ``show_pii``), the lead's
        channel (Chinese or English name per ``lang``) or the funnel stage lost (a ``FUNNEL_STAGES`` code).
        A missing value is the group ``"—"``.
    show_pii : bool
        Show advisors' names unmasked.
    lang : {"zh", "en"}
        Language of channel names.

    Returns
    -------
    DataFrame
        Columns ``group, reason, count`` (only non-zero counts); groups by total descending, ``"—"`` last (stages in
        funnel order), reasons in ``DEFEAT_REASONS`` order.
    """
    if by not in BREAKDOWNS:
        raise ValueError(f"by must be one of {BREAKDOWNS}, not {by!r}")
    return breakdown_from_defeats(defeats(conn=conn, filters=filters), by=by, show_pii=show_pii, lang=lang)


def breakdown_from_defeats(
    d: pd.DataFrame, *, by: str, show_pii: bool = False, lang: str = "zh"
) -> pd.DataFrame:
    """Defeats per group and reason of already-read defeats (see :func:`breakdown`)."""
    if by not in BREAKDOWNS:
        raise ValueError(f"by must be one of {BREAKDOWNS}, not {by!r}")
    if d.empty:
        return pd.DataFrame(
            {
                "group": pd.Series(dtype=object),
                "reason": pd.Series(dtype=object),
                "count": pd.Series(dtype="int64"),
            }
        )
    g = pd.DataFrame({"group": _group_labels(d, by, show_pii=show_pii, lang=lang), "reason": d["reason"]})
    out = g.groupby(["group", "reason"]).size().rename("count").reset_index()
    if by == "stage":
        order = {s: i for i, s in enumerate(FUNNEL_STAGES)}
        group_rank = out["group"].map(lambda s: order.get(s, len(order)))
    else:
        totals = out.groupby("group")["count"].sum()
        ranked = sorted(totals.index, key=lambda x: (x == UNKNOWN, -int(totals[x]), str(x)))
        group_rank = out["group"].map({x: i for i, x in enumerate(ranked)})
    reason_rank = out["reason"].map(
        lambda r: DEFEAT_REASONS.index(r) if r in DEFEAT_REASONS else len(DEFEAT_REASONS)
    )
    out = (
        out.assign(_g=group_rank, _r=reason_rank)
        .sort_values(["_g", "_r", "reason"], kind="stable")
        .drop(columns=["_g", "_r"])
        .reset_index(drop=True)
    )
    return out.astype({"count": "int64"})


def monthly_trend(*, conn: Connection, filters: Filters) -> pd.DataFrame:
    """Defeats per month (``"YYYY-MM"`` of the defeat date) and reason.

    Parameters
    ----------
    conn : Connection
        An open connection.
    filters : Filters
        The shared filters.

    Returns
    -------
    DataFrame
        Columns ``month, reason, count`` (only non-zero counts), by month then ``DEFEAT_REASONS`` order.
    """
    return monthly_trend_from_defeats(defeats(conn=conn, filters=filters))


def monthly_trend_from_defeats(d: pd.DataFrame) -> pd.DataFrame:
    """Defeats per month and reason of already-read defeats (see :func:`monthly_trend`)."""
    if d.empty:
        return pd.DataFrame(
            {
                "month": pd.Series(dtype=object),
                "reason": pd.Series(dtype=object),
                "count": pd.Series(dtype="int64"),
            }
        )
    g = pd.DataFrame({"month": d["at"].dt.strftime("%Y-%m"), "reason": d["reason"]})
    out = g.groupby(["month", "reason"]).size().rename("count").reset_index()
    rank = out["reason"].map(
        lambda r: DEFEAT_REASONS.index(r) if r in DEFEAT_REASONS else len(DEFEAT_REASONS)
    )
    out = out.assign(_r=rank).sort_values(["month", "_r", "reason"]).drop(columns="_r").reset_index(drop=True)
    return out.astype({"count": "int64"})


def trend_coverage(filters: Filters, extent: tuple[dt.date, dt.date] | None) -> pd.DataFrame:
    """Which months of the trend are partial (``core.analytics.periods``): the period's months, cut by the period's
    own ends and by the data's first and last day ``extent`` (None: only the period cuts).

    Examples
    --------
    >>> f = Filters(dt.date(2017, 11, 1), dt.date(2017, 12, 31))
    >>> trend_coverage(f, (dt.date(2016, 10, 20), dt.date(2017, 12, 5)))["partial"].tolist()
    [False, True]
    """
    first, last = extent if extent else (None, None)
    return month_coverage(filters.start, filters.end, data_first=first, data_last=last)


def mark_trend(trend: pd.DataFrame, filters: Filters, extent: tuple[dt.date, dt.date] | None) -> pd.DataFrame:
    """The monthly trend (:func:`monthly_trend`) with each month's ``days_covered``, ``days_in_month`` and
    ``partial``. A partial month's counts are its covered days' defeats, as they stand: fewer days, so not
    comparable with a whole month's; the page draws it apart and labels it.

    Examples
    --------
    >>> trend = pd.DataFrame({"month": ["2017-11", "2017-12"], "reason": ["price"] * 2, "count": [30, 4]})
    >>> f = Filters(dt.date(2017, 11, 1), dt.date(2017, 12, 31))
    >>> mark_trend(trend, f, (dt.date(2017, 1, 1), dt.date(2017, 12, 5)))[["days_covered", "partial"]].values.tolist()
    [[30, False], [5, True]]
    """
    return mark_months(trend, trend_coverage(filters, extent))


def _first_defeats(d: pd.DataFrame) -> pd.DataFrame:
    """Per defeated customer: the day of their first defeat in the period and whether any was re-activated."""
    return (
        d.groupby("customer_id").agg(first_at=("at", "min"), reactivated=("reactivated", "any")).reset_index()
    )


def _new_car_purchases(conn: Connection, customer_ids: list[int]) -> pd.DataFrame:
    rows: list = []
    for i in range(0, len(customer_ids), 500):  # bounded IN lists on every backend
        chunk = customer_ids[i : i + 500]
        q = sa.select(Purchase.customer_id, Purchase.at).where(
            Purchase.kind == "new_car", Purchase.customer_id.in_(chunk)
        )
        rows.extend(conn.execute(q).all())
    out = pd.DataFrame(rows, columns=["customer_id", "at"])
    out["at"] = pd.to_datetime(out["at"])
    return out


def last_new_car(conn: Connection, customer_ids: list[int]) -> pd.Series:
    """Each listed customer's last new-car purchase date (datetime64), indexed by customer id; customers
    without one are left out."""
    buys = _new_car_purchases(conn, customer_ids)
    return buys.groupby("customer_id")["at"].max()


def _won_back(first: pd.DataFrame, last_buy: pd.Series) -> pd.Series:
    """Per row of ``first``: whether the customer bought a new car on a day after their first defeat's day.

    ``last_buy``: last new-car purchase date per customer id (NaT or absent: none)."""
    if last_buy.dropna().empty:
        return pd.Series(False, index=first.index)
    day = first["first_at"].dt.normalize()
    return first["customer_id"].map(last_buy).gt(day).fillna(False).astype(bool)


def win_back(*, conn: Connection, filters: Filters) -> dict[str, int | float | None]:
    """How many customers defeated in the period were re-activated, and how many later bought a new car.

    Parameters
    ----------
    conn : Connection
        An open connection.
    filters : Filters
        The shared filters.

    Returns
    -------
    dict
        ``defeated`` (distinct customers), ``reactivated`` (with a re-activated defeat in the period),
        ``won_back`` (a new-car purchase dated after the day of their first defeat in the period),
        ``reactivation_rate`` and ``win_back_rate`` (再次购车率) of the defeated; rates are None without defeats.
    """
    d = defeats(conn=conn, filters=filters)
    first = _first_defeats(d)
    last_buy = last_new_car(conn, [int(x) for x in first["customer_id"]])
    return win_back_from_defeats(d, last_buy)


def win_back_from_defeats(d: pd.DataFrame, last_buy: pd.Series) -> dict[str, int | float | None]:
    """Win-back figures of already-read defeats (see :func:`win_back`); ``last_buy``: the customers' last
    new-car purchase dates (see :func:`last_new_car`)."""
    first = _first_defeats(d)
    n = len(first)
    reactivated = int(first["reactivated"].sum())
    won = int(_won_back(first, last_buy).sum()) if n else 0
    return {
        "defeated": n,
        "reactivated": reactivated,
        "won_back": won,
        "reactivation_rate": reactivated / n if n else None,
        "win_back_rate": won / n if n else None,
    }


_CANDIDATE_COLUMNS = [
    "customer_id",
    "name",
    "phone",
    "store",
    "advisor",
    "intended_model",
    "stage_lost",
    "reason",
    "sub_reason",
    "competitor_brand",
    "defeated_at",
]


def reactivation_candidates(
    *, conn: Connection, filters: Filters, limit: int = 200, show_pii: bool = False, lang: str = "zh"
) -> pd.DataFrame:
    """Defeated customers worth re-activating: lost late for a reason a better offer can answer.

    A customer qualifies by their latest defeat in the period that is not re-activated, was lost at test drive
    or later (``stage_lost >= FUNNEL_STAGES.index("test_drive")``) for a reason in ``RECOVERABLE_REASONS``,
    and has no new-car purchase after it and no re-activated defeat in the period.

    Parameters
    ----------
    conn : Connection
        An open connection.
    filters : Filters
        The shared filters.
    limit : int
        At most this many customers.
    show_pii : bool
        Show names and phones (and advisors' names) unmasked.
    lang : {"zh", "en"}
        Language of store names.

    Returns
    -------
    DataFrame
        Columns ``customer_id, name, phone, store, advisor, intended_model, stage_lost, reason, sub_reason,
        competitor_brand, defeated_at``; most recent defeat first, then later stage, then customer id.
    """
    d = defeats(conn=conn, filters=filters)
    first = _first_defeats(d)
    last_buy = last_new_car(conn, [int(x) for x in first["customer_id"]])
    return reactivation_candidates_from_defeats(
        d, last_buy, people=lambda ids: _people(conn, ids), limit=limit, show_pii=show_pii, lang=lang
    )


def _people(conn: Connection, ids: list[int]) -> pd.DataFrame:
    """customer_id, name, phone of the listed customers."""
    return pd.DataFrame(
        conn.execute(sa.select(Customer.id, Customer.name, Customer.phone).where(Customer.id.in_(ids))).all()
        if ids
        else [],
        columns=["customer_id", "name", "phone"],
    )


def reactivation_candidates_from_defeats(
    d: pd.DataFrame,
    last_buy: pd.Series,
    *,
    people,
    limit: int = 200,
    show_pii: bool = False,
    lang: str = "zh",
) -> pd.DataFrame:
    """Candidates of already-read defeats (see :func:`reactivation_candidates`); ``people(ids)`` gives the
    listed customers' ``customer_id, name, phone``."""
    first = _first_defeats(d)
    if first.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _CANDIDATE_COLUMNS})
    excluded = set(first.loc[first["reactivated"] | _won_back(first, last_buy), "customer_id"])
    keep = (
        ~d["reactivated"]
        & (d["stage_lost"] >= LATE_STAGE)
        & d["reason"].isin(RECOVERABLE_REASONS)
        & ~d["customer_id"].isin(excluded)
    )
    c = d[keep].sort_values(["at", "defeat_id"], ascending=False).drop_duplicates("customer_id")
    c = c.sort_values(["at", "stage_lost", "customer_id"], ascending=[False, False, True]).head(limit)
    ids = [int(x) for x in c["customer_id"]]
    out = c.merge(people(ids), on="customer_id", how="left")
    if not show_pii:
        out["name"] = out["name"].map(mask_name)
        out["phone"] = out["phone"].map(mask_phone)
        out["advisor"] = out["advisor"].map(lambda x: mask_name(x) if x else x)
    out["store"] = out["store_en" if lang == "en" else "store"]
    out["stage_lost"] = out["stage_lost"].map(lambda i: FUNNEL_STAGES[i])
    out["defeated_at"] = out["at"].dt.date
    return out[_CANDIDATE_COLUMNS].reset_index(drop=True)
