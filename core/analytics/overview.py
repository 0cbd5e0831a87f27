"""The overview's figures: tiers, leads, conversion, defeat rate, overdue follow-ups, against the previous period.

Definitions (shown to users in the page's help texts):

- *leads*: leads created in the period.
- *conversion*: orders (签约/订车) placed in the period ÷ leads created in the period (a dealer's monthly 成交率).
- *defeat rate*: defeats (战败) in the period ÷ (defeats + orders in the period).
- *overdue follow-ups*: leads under cadence at the end of the period whose last contact is older than the
  cadence of their grade (H 3 days, A 7, B 15, C 30, O 7; see ``FOLLOW_UP_DAYS``), by the one rule of
  :func:`overdue_rule`, for every period alike (also one ending on the data's last day).
- *customers per tier*: current assignment of the published owners scheme, as in force at the period's end.

Every function takes the connection keyword-only and binds its parameters; filters apply as: store and channel
to the lead (for tiers: the customer's store and first channel), region to the customer. Choosing every
store, region or channel is no filter (:meth:`Filters.chosen`), so rows without one are kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.storage.models import Customer, Lead, ScoringScheme, TierAssignment

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

    def within_months(self, first: dt.date, last: dt.date) -> Filters | None:
        """These filters over the calendar months ``first`` to ``last`` (any day of each), cut to this
        period: what a brush over a monthly trend selects. Same stores, regions and channels; None when
        those months hold no day of the period.

        Examples
        --------
        >>> f = Filters(dt.date(2026, 1, 10), dt.date(2026, 6, 30), channel_ids=(2,))
        >>> f.within_months(dt.date(2025, 12, 1), dt.date(2026, 2, 14))
        Filters(start=datetime.date(2026, 1, 10), end=datetime.date(2026, 2, 28), store_ids=(), region_ids=(), channel_ids=(2,))
        >>> f.within_months(dt.date(2026, 8, 1), dt.date(2026, 9, 1)) is None
        True
        """
        start = max(self.start, first.replace(day=1))
        following = (last.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        end = min(self.end, following - dt.timedelta(days=1))
        if start > end:
            return None
        return Filters(start, end, self.store_ids, self.region_ids, self.channel_ids)

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


def closed_at(delivery: np.ndarray, order: np.ndarray, won: np.ndarray) -> np.ndarray:
    """When each lead was closed as a success: its delivery, or, for a lead its source system marked won
    without a delivery date (a CRM's "Won" deal: there is no later step), its order date; NaT otherwise.

    An ordered lead that is not delivered and not marked won stays under the O cadence.

    Examples
    --------
    >>> t = lambda *s: np.array(s, dtype="datetime64[s]")
    >>> closed_at(t("2026-01-09", "NaT", "NaT"), t("2026-01-02", "2026-01-03", "2026-01-04"),
    ...           np.array([True, True, False])).astype(str).tolist()
    ['2026-01-09T00:00:00.000000', '2026-01-03T00:00:00.000000', 'NaT']
    """
    delivery = np.asarray(delivery).astype("datetime64[us]")
    order = np.asarray(order).astype("datetime64[us]")
    return np.where(np.isnat(delivery) & np.asarray(won, dtype=bool), order, delivery)


def overdue_rule(
    *,
    at: dt.datetime | np.datetime64,
    grade_days: np.ndarray,
    created: np.ndarray,
    first_contact: np.ndarray,
    last_follow_up: np.ndarray,
    delivery: np.ndarray,
    defeated: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The overdue follow-up rule (DOMAIN.md's cadence by grade), the one implementation every page, drill-down,
    download, CLI command and the facts use.

    A lead is *under cadence* at ``at`` when it was created before ``at``, was neither closed (``delivery``:
    :func:`closed_at`, delivered or closed as won) nor defeated before ``at`` (an ordered, undelivered lead
    stays under the O cadence) and its
    grade has a cadence (``FOLLOW_UP_DAYS``). Its *last contact* is its latest follow-up before ``at``, else its
    first contact if that was before ``at``. It is *overdue* when it has no last contact or the last contact is
    older than its grade's cadence. The stored ``status`` and ``last_contact_at`` are not read: the state is
    the same whether ``at`` is the data's last day or any earlier one.

    Parameters
    ----------
    at : datetime
        The moment the state is taken (exclusive: events at ``at`` are after it).
    grade_days : ndarray of int
        Per lead, its grade's cadence in days; 0 for a grade without one.
    created, first_contact, last_follow_up, delivery, defeated : ndarray of datetime64
        Per lead; NaT where there is none. ``last_follow_up``: the latest follow-up before ``at``.

    Returns
    -------
    tuple of ndarray
        ``under_cadence`` (bool), ``last_contact`` (datetime64, NaT for none) and ``overdue`` (bool, only
        where under cadence).

    Examples
    --------
    >>> t = lambda *s: np.array(s, dtype="datetime64[s]")
    >>> under, last, late = overdue_rule(
    ...     at=dt.datetime(2026, 1, 31), grade_days=np.array([7, 7, 30, 0]),
    ...     created=t("2026-01-01", "2026-01-01", "2026-01-01", "2026-01-01"),
    ...     first_contact=t("2026-01-02", "2026-01-02", "NaT", "2026-01-02"),
    ...     last_follow_up=t("NaT", "2026-01-28", "NaT", "NaT"),
    ...     delivery=t("NaT", "NaT", "NaT", "NaT"), defeated=t("NaT", "NaT", "NaT", "NaT"))
    >>> under.tolist(), late.tolist()
    ([True, True, True, False], [True, False, True, False])
    """
    at64 = np.datetime64(at, "us")
    grade_days = np.asarray(grade_days, dtype=np.int64)
    under = (
        (created < at64)
        & (np.isnat(delivery) | (delivery >= at64))
        & (np.isnat(defeated) | (defeated >= at64))
        & (grade_days > 0)
    )
    first = np.where(first_contact < at64, first_contact.astype("datetime64[us]"), np.datetime64("NaT", "us"))
    fu = last_follow_up.astype("datetime64[us]")
    last = np.where(np.isnat(fu), first, fu)
    due = at64 - grade_days.astype("timedelta64[D]").astype("timedelta64[us]")
    overdue = under & (np.isnat(last) | (last < due))
    return under, last, overdue


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
