"""The overview's figures: tiers, leads, conversion, defeat rate, overdue follow-ups, against the previous period.

Definitions (shown to users in the page's help texts):

- *leads*: leads created in the period.
- *conversion*: orders (签约/订车) placed in the period ÷ leads created in the period (a dealer's monthly 成交率).
- *defeat rate*: defeats (战败) in the period ÷ (defeats + orders in the period).
- *overdue follow-ups*: leads open at the end of the period whose last contact is older than the cadence of
  their grade (H 3 days, A 7, B 15, C 30, O 7; see ``FOLLOW_UP_DAYS``).
- *customers per tier*: current assignment of the published owners scheme, as in force at the period's end.

Every function takes the connection keyword-only and binds its parameters; filters apply as: store and channel
to the lead (for tiers: the customer's store and first channel), region to the customer. Choosing every
store, region or channel is no filter (:meth:`Filters.chosen`), so rows without one are kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.models import Customer, FollowUp, Lead, ScoringScheme, TierAssignment

FOLLOW_UP_DAYS = {"H": 3, "A": 7, "B": 15, "C": 30, "O": 7}


@dataclass(frozen=True)
class Filters:
    """The shared filters: a period (both ends inclusive) and optional store, region and channel ids."""

    start: dt.date
    end: dt.date
    store_ids: tuple[int, ...] = field(default_factory=tuple)
    region_ids: tuple[int, ...] = field(default_factory=tuple)
    channel_ids: tuple[int, ...] = field(default_factory=tuple)

    def previous(self) -> Filters:
        """The period of the same length just before this one.

        Examples
        --------
        >>> Filters(dt.date(2026, 3, 1), dt.date(2026, 3, 31)).previous()
        Filters(start=datetime.date(2026, 1, 29), end=datetime.date(2026, 2, 28), store_ids=(), region_ids=(), channel_ids=())
        """
        days = (self.end - self.start).days + 1
        return Filters(
            self.start - dt.timedelta(days),
            self.start - dt.timedelta(1),
            self.store_ids,
            self.region_ids,
            self.channel_ids,
        )

    @classmethod
    def chosen(
        cls,
        start: dt.date,
        end: dt.date,
        *,
        stores: Iterable[int] = (),
        regions: Iterable[int] = (),
        channels: Iterable[int] = (),
        options: Mapping[str, Iterable[int]],
    ) -> Filters:
        """The filters of a choice of stores, regions and channels among ``options`` (ids under the keys
        ``"stores"``, ``"regions"``, ``"channels"``): a dimension with every option chosen is no filter
        (:func:`chosen_ids`). Every page, drill-down and download reads the filters built here.

        Examples
        --------
        >>> every = {"stores": [1, 2], "regions": [1, 2, 3], "channels": [1, 2]}
        >>> Filters.chosen(dt.date(2026, 6, 1), dt.date(2026, 6, 30), stores=[2], channels=[2, 1], options=every)
        Filters(start=datetime.date(2026, 6, 1), end=datetime.date(2026, 6, 30), store_ids=(2,), region_ids=(), channel_ids=())
        """
        return cls(
            start,
            end,
            chosen_ids(stores, options["stores"]),
            chosen_ids(regions, options["regions"]),
            chosen_ids(channels, options["channels"]),
        )

    @property
    def start_dt(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min)

    @property
    def end_dt(self) -> dt.datetime:
        """Exclusive upper bound: midnight after the last day."""
        return dt.datetime.combine(self.end + dt.timedelta(1), dt.time.min)


def chosen_ids(chosen: Iterable[int], options: Iterable[int]) -> tuple[int, ...]:
    """The ids one filter (store, region or channel) keeps: the chosen ids, sorted, or ``()`` -- no filter --
    when every option is chosen.

    Choosing every option means "all of them" and must equal no filter: a filter on the ids would drop the
    rows that have none (a customer without a first channel, a lead without a store).

    Examples
    --------
    >>> chosen_ids([3, 1], options=[1, 2, 3])
    (1, 3)
    >>> chosen_ids([2, 3, 1], options=[1, 2, 3])
    ()
    >>> chosen_ids([], options=[1, 2, 3])
    ()
    """
    ids = tuple(sorted({int(x) for x in chosen}))
    every = {int(x) for x in options}
    return () if every and every.issubset(ids) else ids


def lead_filters(f: Filters) -> list[sa.ColumnElement[bool]]:
    cond: list[sa.ColumnElement[bool]] = []
    if f.store_ids:
        cond.append(Lead.store_id.in_(f.store_ids))
    if f.channel_ids:
        cond.append(Lead.channel_id.in_(f.channel_ids))
    if f.region_ids:
        cond.append(Lead.customer_id.in_(sa.select(Customer.id).where(Customer.region_id.in_(f.region_ids))))
    return cond


def _count_in_period(conn: Connection, column: sa.ColumnElement, filters: Filters) -> int:
    q = (
        sa.select(sa.func.count())
        .select_from(Lead)
        .where(column >= filters.start_dt, column < filters.end_dt, *lead_filters(filters))
    )
    return int(conn.execute(q).scalar_one())


def lead_figures(*, conn: Connection, filters: Filters) -> dict[str, float | int | None]:
    """New leads, orders, deliveries and defeats in the period; conversion and defeat rate.

    As on a dealer's monthly report: conversion = orders (签约/订车) in the period ÷ leads created in it;
    defeat rate = defeats (战败) in the period ÷ (defeats + orders in it).
    """
    n = _count_in_period(conn, Lead.created_at, filters)
    orders = _count_in_period(conn, Lead.order_at, filters)
    delivered = _count_in_period(conn, Lead.delivery_at, filters)
    defeated = _count_in_period(conn, Lead.defeated_at, filters)
    return {
        "leads": n,
        "orders": orders,
        "delivered": delivered,
        "defeated": defeated,
        "conversion": orders / n if n else None,
        "defeat_rate": defeated / (defeated + orders) if (defeated + orders) else None,
    }


def _overdue_condition(last: sa.ColumnElement, at: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        *[
            sa.and_(Lead.grade == grade, sa.or_(last.is_(None), last < at - dt.timedelta(days=days)))
            for grade, days in FOLLOW_UP_DAYS.items()
        ]
    )


def overdue_follow_ups(*, conn: Connection, filters: Filters, current: bool = True) -> int:
    """Open leads at the end of the period whose last contact is older than their grade's cadence.

    With ``current`` (the period ends at the data's latest day) the stored ``last_contact_at`` is used;
    otherwise the state at the period's end is rebuilt from the follow-up history.
    """
    at = filters.end_dt
    if current:
        q = sa.select(sa.func.count()).where(
            Lead.status == "open",
            Lead.created_at < at,
            _overdue_condition(Lead.last_contact_at, at),
            *lead_filters(filters),
        )
        return int(conn.execute(q).scalar_one())
    last_fu = (
        sa.select(FollowUp.lead_id, sa.func.max(FollowUp.at).label("last_at"))
        .where(FollowUp.at < at, FollowUp.lead_id.is_not(None))
        .group_by(FollowUp.lead_id)
        .subquery()
    )
    first_contact = sa.case((Lead.first_contact_at < at, Lead.first_contact_at), else_=None)
    last = sa.func.coalesce(last_fu.c.last_at, first_contact)
    still_open = sa.and_(
        sa.or_(Lead.delivery_at.is_(None), Lead.delivery_at >= at),
        sa.or_(Lead.defeated_at.is_(None), Lead.defeated_at >= at),
    )
    q = (
        sa.select(sa.func.count())
        .select_from(Lead)
        .outerjoin(last_fu, last_fu.c.lead_id == Lead.id)
        .where(Lead.created_at < at, still_open, _overdue_condition(last, at), *lead_filters(filters))
    )
    return int(conn.execute(q).scalar_one())


def published_scheme(*, conn: Connection, population: str = "owners") -> dict | None:
    """The published scheme of a population: id, version, name and params; None if none is published."""
    row = conn.execute(
        sa.select(ScoringScheme.id, ScoringScheme.version, ScoringScheme.name, ScoringScheme.params).where(
            ScoringScheme.population == population, ScoringScheme.status == "published"
        )
    ).first()
    return (
        None
        if row is None
        else {"id": row.id, "version": row.version, "name": row.name, "params": row.params}
    )


def tiers_in_force(filters: Filters, at: dt.datetime) -> list[sa.ColumnElement[bool]]:
    """Conditions on TierAssignment joined with Customer: the owners scheme's assignments in force at ``at``,
    for the customers the filters select (store and region of the customer, first channel)."""
    cond = [
        TierAssignment.effective_from < at,
        sa.or_(TierAssignment.effective_to.is_(None), TierAssignment.effective_to >= at),
        TierAssignment.scheme_id.in_(sa.select(ScoringScheme.id).where(ScoringScheme.population == "owners")),
    ]
    if filters.store_ids:
        cond.append(Customer.store_id.in_(filters.store_ids))
    if filters.region_ids:
        cond.append(Customer.region_id.in_(filters.region_ids))
    if filters.channel_ids:
        cond.append(Customer.first_channel_id.in_(filters.channel_ids))
    return cond


def tier_counts(*, conn: Connection, filters: Filters, at: dt.datetime | None = None) -> pd.DataFrame:
    """Customers per tier of the published owners scheme, in force at ``at`` (default: the period's end).

    Returns columns tier, customers, share, in the scheme's label order (top tier first).
    """
    scheme = published_scheme(conn=conn)
    if scheme is None:
        return tier_counts_from({}, None)
    cond = tiers_in_force(filters, at or filters.end_dt)
    q = (
        sa.select(TierAssignment.tier, sa.func.count().label("customers"))
        .join(Customer, Customer.id == TierAssignment.customer_id)
        .where(*cond)
        .group_by(TierAssignment.tier)
    )
    return tier_counts_from({row[0]: row[1] for row in conn.execute(q)}, scheme)


def tier_counts_from(got: dict[str, int], scheme: dict | None) -> pd.DataFrame:
    """The tier-count table from counts per tier (tier → customers) and the published scheme (or None):
    the scheme's labels in order, then other tiers found, sorted.

    Examples
    --------
    >>> tier_counts_from({"b": 3, "a": 1}, {"params": {"labels": ["a", "b", "c"]}})["customers"].tolist()
    [1, 3, 0]
    """
    if scheme is None:
        return pd.DataFrame(
            {
                "tier": pd.Series(dtype=object),
                "customers": pd.Series(dtype="int64"),
                "share": pd.Series(dtype=float),
            }
        )
    labels = list(scheme["params"].get("labels", [])) + sorted(
        set(got) - set(scheme["params"].get("labels", []))
    )
    counts = [int(got.get(label, 0)) for label in labels]
    total = sum(counts)
    return pd.DataFrame(
        {"tier": labels, "customers": counts, "share": [c / total if total else 0.0 for c in counts]}
    ).astype({"customers": "int64"})


def data_extent(*, conn: Connection) -> tuple[dt.date, dt.date] | None:
    """First and last day with leads; None for a database without leads."""
    # two scalar subqueries: each is one index lookup (MIN and MAX in one SELECT scan the table on SQLite)
    lo, hi = conn.execute(
        sa.select(
            sa.select(sa.func.min(Lead.created_at)).scalar_subquery(),
            sa.select(sa.func.max(Lead.created_at)).scalar_subquery(),
        )
    ).one()
    if lo is None:
        return None
    return pd.Timestamp(lo).date(), pd.Timestamp(hi).date()


def customer_count(*, conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(Customer)).scalar_one())


def overview(*, conn: Connection, filters: Filters, latest_day: dt.date | None = None) -> dict:
    """All overview figures for the period and the previous one.

    ``latest_day`` is the last day of data; a period ending on or after it uses the current follow-up state.
    """
    prev = filters.previous()
    latest = latest_day or filters.end
    return {
        "current": {
            **lead_figures(conn=conn, filters=filters),
            "overdue": overdue_follow_ups(conn=conn, filters=filters, current=filters.end >= latest),
        },
        "previous": {
            **lead_figures(conn=conn, filters=prev),
            "overdue": overdue_follow_ups(conn=conn, filters=prev, current=prev.end >= latest),
        },
        "tiers": tier_counts(conn=conn, filters=filters),
        "tiers_previous": tier_counts(conn=conn, filters=prev),
    }
