"""渠道投入产出 Channel ROI: spend against leads, visits, deals and gross profit, per channel and month.

Definitions (shown to users in the page's help texts). The page works on whole calendar months: every month
the period touches counts in full, because spend (投放费用) is reported per channel, store and month.

- *leads*: leads created in the month via the channel (``Lead.channel_id``; store filter on the lead, region
  filter on the lead's customer), as on the overview and the funnel.
- *H/A share*: leads of the month graded H or A, or already ordered (grade O, D or M: they turned out to be
  buyers; the stored grade is the current one) ÷ leads.
- *store visits* (到店): leads of the channel whose store visit (``visit_at``) falls in the month.
- *deals* (成交): leads of the channel whose order (``order_at``, 签约/订车) was placed in the month — the
  overview's "orders in the period", so *conversion* = deals ÷ leads is the overview's conversion per channel.
- *revenue* and *gross profit*: new-car purchases linked (``Purchase.lead_id``) to those deals, whenever the car
  was delivered (a deal not yet delivered has none yet).
- *spend*: the channel's ``channel_spend`` rows of the months and stores in scope. How the amount arises is the
  channel's cost model (``COST_MODELS``): per lead, per visit, per sale, a flat monthly fee, or none. A channel
  with cost model "none" (e.g. walk-ins) costs 0 and is marked so. A (channel, store, month) with leads but no
  spend row is *missing*: its month's spend is unknown (NaN), never 0, and ``spend_reported`` keeps the sum of
  the rows that exist. Without leads and without a row a paid channel simply cost nothing that month.
- With a region filter, spend — reported per store, not per region — is allocated to the regions by their share
  of the channel's leads created in that store and month; missing only counts where the region had such leads.
  A store-month's spend with no leads at all (e.g. a flat fee in a quiet month) belongs to no region then, so the
  regions' spends add up to the store's only where every paid month had leads.
- *cost per lead* = spend ÷ leads; *cost per deal* = spend ÷ deals; *ROI* = (gross profit − spend) ÷ spend.
  Each is NaN where its divisor is 0 or spend is missing (ROI of a free channel is therefore NaN).

Totals over several months add the counts and money first and divide afterwards (never an average of ratios);
a total is missing when any of its months is.

*Partial months* (部分月份, the rule of ``core.analytics.periods``): the months are whole calendar months, so only the
data can cut one short — the data's first or last day (``core.analytics.overview.data_extent``: the first and last day
with a new lead) inside it. Each month row carries ``days_covered``, ``days_in_month`` and ``partial``; its
figures are what happened on the days covered, as they stand (a spend row may be the month's fee or the month
to date, so nothing is scaled). Ratios over a partial month are flagged, not compared with whole months: the
page draws them apart from the trend's line and labels them; a total counts its partial months
(``partial_months``).

``roi_frames`` reads what these figures need with bound SQLAlchemy Core queries (portable to SQLite, PostgreSQL
and MariaDB); the ``*_from_frames`` functions are pure pandas over those frames.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.access.privacy import mask_name, mask_phone
from core.analytics.overview import Filters, data_extent
from core.analytics.periods import mark_months, month_coverage
from core.storage.models import COST_MODELS, Channel, ChannelSpend, Customer, Lead, Purchase, Region, Store

HIGH_INTENT_GRADES = ("H", "A", "O", "D", "M")
MEASURES = ("leads", "visits", "deals")
SPEND_STATUSES = ("reported", "partial", "missing", "none", "no_spend")
_MEASURE_COLUMN = {"leads": "created_at", "visits": "visit_at", "deals": "order_at"}
ROI_COLUMNS = [
    "channel_id",
    "channel",
    "channel_en",
    "cost_model",
    "month",
    "days_covered",
    "days_in_month",
    "partial",
    "spend",
    "spend_reported",
    "spend_status",
    "missing_stores",
    "leads",
    "ha_leads",
    "ha_share",
    "visits",
    "deals",
    "conversion",
    "revenue",
    "gross_profit",
    "cost_per_lead",
    "cost_per_deal",
    "roi",
]


_MONTH_ONLY = ("month", "days_covered", "days_in_month", "partial", "missing_stores")
TOTAL_COLUMNS = [c for c in ROI_COLUMNS if c not in _MONTH_ONLY]
TOTAL_COLUMNS.insert(TOTAL_COLUMNS.index("leads"), "missing_months")
TOTAL_COLUMNS.insert(TOTAL_COLUMNS.index("leads"), "partial_months")


def months_of(filters: Filters) -> list[dt.date]:
    """The first days of the calendar months the period touches.

    Examples
    --------
    >>> months_of(Filters(dt.date(2025, 12, 20), dt.date(2026, 2, 3)))
    [datetime.date(2025, 12, 1), datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)]
    """
    out, m = [], filters.start.replace(day=1)
    while m <= filters.end:
        out.append(m)
        m = (m + dt.timedelta(days=32)).replace(day=1)
    return out


def month_bounds(filters: Filters) -> tuple[dt.datetime, dt.datetime]:
    """Start of the first month and the (exclusive) start of the month after the last one."""
    months = months_of(filters)
    last = (months[-1] + dt.timedelta(days=32)).replace(day=1)
    return dt.datetime.combine(months[0], dt.time.min), dt.datetime.combine(last, dt.time.min)


def month_coverage_of(filters: Filters, extent: tuple[dt.date, dt.date] | None) -> pd.DataFrame:
    """The coverage (``core.analytics.periods.month_coverage``) of the whole months the period touches, cut by the
    data's first and last day ``extent`` (None: no data, nothing cut).

    Examples
    --------
    >>> f = Filters(dt.date(2017, 11, 20), dt.date(2017, 12, 31))
    >>> month_coverage_of(f, (dt.date(2016, 10, 20), dt.date(2017, 12, 5)))["days_covered"].tolist()
    [30, 5]
    """
    lo, hi = month_bounds(filters)
    first, last = extent if extent else (None, None)
    return month_coverage(lo.date(), hi.date() - dt.timedelta(days=1), data_first=first, data_last=last)


@dataclass(frozen=True)
class RoiFrames:
    """What the ROI figures are computed from (see :func:`roi_frames`)."""

    leads: pd.DataFrame
    purchases: pd.DataFrame
    spend: pd.DataFrame
    channels: pd.DataFrame
    stores: pd.DataFrame


def roi_frames(*, conn: Connection, filters: Filters) -> RoiFrames:
    """Read the leads, new-car purchases, spend rows, channels and stores the ROI figures need.

    Parameters
    ----------
    conn : Connection
        An open connection.
    filters : Filters
        The shared filters. Region is *not* applied here: the region's share of a store's leads is needed to
        allocate spend, so the pure functions apply it.

    Returns
    -------
    RoiFrames
        ``leads``: ``id, customer_id, store_id, channel_id, region_id, grade, created_at, visit_at, order_at``
        for the leads of the channels and stores in scope created, visiting or ordering in the months;
        ``purchases``: ``lead_id, amount, gross_profit`` of the new-car purchases linked to them;
        ``spend``: ``channel_id, store_id, month, amount`` of the months; ``channels``: ``id, code, name,
        name_en, cost_model``; ``stores``: ``id`` of the stores in scope.
    """
    lo, hi = month_bounds(filters)
    in_months = [sa.and_(c >= lo, c < hi) for c in (Lead.created_at, Lead.visit_at, Lead.order_at)]
    scope = []
    if filters.store_ids:
        scope.append(Lead.store_id.in_(filters.store_ids))
    if filters.channel_ids:
        scope.append(Lead.channel_id.in_(filters.channel_ids))
    q = (
        sa.select(
            Lead.id,
            Lead.customer_id,
            Lead.store_id,
            Lead.channel_id,
            Customer.region_id,
            Lead.grade,
            Lead.created_at,
            Lead.visit_at,
            Lead.order_at,
        )
        .select_from(Lead)
        .outerjoin(Customer, Customer.id == Lead.customer_id)
        .where(sa.or_(*in_months), *scope)
        .order_by(Lead.id)
    )
    leads = pd.read_sql(q, conn)
    for c in ("created_at", "visit_at", "order_at"):
        leads[c] = pd.to_datetime(leads[c])
    ordered = sa.select(Lead.id).where(Lead.order_at >= lo, Lead.order_at < hi, *scope)
    purchases = pd.read_sql(
        sa.select(Purchase.lead_id, Purchase.amount, Purchase.gross_profit).where(
            Purchase.kind == "new_car", Purchase.lead_id.in_(ordered)
        ),
        conn,
    ).astype({"amount": float, "gross_profit": float})
    sq = sa.select(
        ChannelSpend.channel_id, ChannelSpend.store_id, ChannelSpend.month, ChannelSpend.amount
    ).where(ChannelSpend.month >= lo.date(), ChannelSpend.month < hi.date())
    if filters.store_ids:
        sq = sq.where(ChannelSpend.store_id.in_(filters.store_ids))
    if filters.channel_ids:
        sq = sq.where(ChannelSpend.channel_id.in_(filters.channel_ids))
    spend = pd.read_sql(sq, conn).astype({"amount": float})
    spend["month"] = pd.to_datetime(spend["month"])
    cq = sa.select(Channel.id, Channel.code, Channel.name, Channel.name_en, Channel.cost_model).order_by(
        Channel.id
    )
    if filters.channel_ids:
        cq = cq.where(Channel.id.in_(filters.channel_ids))
    channels = pd.read_sql(cq, conn)
    stq = sa.select(Store.id).order_by(Store.id)
    if filters.store_ids:
        stq = stq.where(Store.id.in_(filters.store_ids))
    stores = pd.read_sql(stq, conn)
    return RoiFrames(leads, purchases, spend, channels, stores)


def _month(values: pd.Series) -> pd.Series:
    return values.dt.to_period("M").dt.to_timestamp()


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    num, den = num.astype(float), den.astype(float)
    return (num / den.where(den > 0)).astype(float)


def _in_region(leads: pd.DataFrame, filters: Filters) -> pd.Series:
    if not filters.region_ids:
        return pd.Series(True, index=leads.index)
    return leads["region_id"].isin(filters.region_ids)


def spend_from_frames(frames: RoiFrames, filters: Filters) -> pd.DataFrame:
    """Spend per channel and month with its status (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        One row per channel in scope × month of the period: ``channel_id, month, spend`` (NaN if missing),
        ``spend_reported`` (sum of the existing rows, allocated by region share under a region filter),
        ``spend_status`` (one of ``SPEND_STATUSES``) and ``missing_stores`` (stores whose row is missing).
    """
    months = pd.to_datetime(pd.Series(months_of(filters)))
    channels = frames.channels[["id", "cost_model"]].rename(columns={"id": "channel_id"})
    stores = frames.stores["id"].rename("store_id")
    grid = channels.merge(stores, how="cross").merge(pd.DataFrame({"month": months}), how="cross")
    leads = frames.leads[frames.leads["created_at"].notna()]
    created = leads.assign(month=_month(leads["created_at"]), region_lead=_in_region(leads, filters))
    counts = created.groupby(["channel_id", "store_id", "month"], as_index=False).agg(
        leads_all=("id", "size"), leads_region=("region_lead", "sum")
    )
    spend = frames.spend.assign(month=pd.to_datetime(frames.spend["month"]))
    grid = grid.merge(counts, on=["channel_id", "store_id", "month"], how="left").merge(
        spend, on=["channel_id", "store_id", "month"], how="left"
    )
    grid[["leads_all", "leads_region"]] = grid[["leads_all", "leads_region"]].fillna(0)
    if filters.region_ids:
        share = _ratio(grid["leads_region"], grid["leads_all"]).fillna(0.0)
    else:
        share = pd.Series(1.0, index=grid.index)
    paid = grid["cost_model"] != "none"
    grid["missing"] = paid & grid["amount"].isna() & (grid["leads_all"] > 0) & (share > 0)
    grid["reported"] = paid & grid["amount"].notna() & (share > 0)
    grid["allocated"] = grid["amount"].fillna(0.0) * share * paid
    out = grid.groupby(["channel_id", "month"], as_index=False, sort=True).agg(
        cost_model=("cost_model", "first"),
        spend_reported=("allocated", "sum"),
        missing_stores=("missing", "sum"),
        reported_stores=("reported", "sum"),
    )
    out["month"] = pd.to_datetime(out["month"])
    missing, reported = out["missing_stores"] > 0, out["reported_stores"] > 0
    out["spend_status"] = np.select(
        [out["cost_model"] == "none", missing & reported, missing, reported],
        ["none", "partial", "missing", "reported"],
        default="no_spend",
    )
    out["spend"] = out["spend_reported"].where(~missing, np.nan).astype(float)
    out["spend_reported"] = out["spend_reported"].astype(float).round(2)
    out["spend"] = out["spend"].round(2)
    out["missing_stores"] = out["missing_stores"].astype("int64")
    return out[["channel_id", "month", "spend", "spend_reported", "spend_status", "missing_stores"]]


def _per_month(leads: pd.DataFrame, column: str, name: str) -> pd.DataFrame:
    part = leads[leads[column].notna()]
    part = part.assign(month=_month(part[column]))
    return part.groupby(["channel_id", "month"], as_index=False).size().rename(columns={"size": name})


def _finish(out: pd.DataFrame) -> pd.DataFrame:
    out["ha_share"] = _ratio(out["ha_leads"], out["leads"])
    out["conversion"] = _ratio(out["deals"], out["leads"])
    out["cost_per_lead"] = _ratio(out["spend"], out["leads"])
    out["cost_per_deal"] = _ratio(out["spend"], out["deals"])
    out["roi"] = _ratio(out["gross_profit"] - out["spend"], out["spend"])
    return out


def channel_months_from_frames(
    frames: RoiFrames, filters: Filters, *, extent: tuple[dt.date, dt.date] | None = None
) -> pd.DataFrame:
    """Every figure per channel and month from already-read frames (see :func:`channel_months`); ``extent``:
    the data's first and last day, which mark the partial months (None: every month whole)."""
    leads = frames.leads[_in_region(frames.leads, filters)]
    lo, hi = month_bounds(filters)
    in_months = {c: leads[c].ge(lo) & leads[c].lt(hi) for c in ("created_at", "visit_at", "order_at")}
    created = leads[in_months["created_at"]]
    counts = _per_month(created, "created_at", "leads").merge(
        _per_month(created[created["grade"].isin(HIGH_INTENT_GRADES)], "created_at", "ha_leads"),
        on=["channel_id", "month"],
        how="outer",
    )
    counts = counts.merge(
        _per_month(leads[in_months["visit_at"]], "visit_at", "visits"),
        on=["channel_id", "month"],
        how="outer",
    )
    deals = leads[in_months["order_at"]]
    counts = counts.merge(_per_month(deals, "order_at", "deals"), on=["channel_id", "month"], how="outer")
    money = frames.purchases.merge(
        deals[["id", "channel_id", "order_at"]], left_on="lead_id", right_on="id", how="inner"
    )
    money = (
        money.assign(month=_month(money["order_at"]))
        .groupby(["channel_id", "month"], as_index=False)[["amount", "gross_profit"]]
        .sum()
        .rename(columns={"amount": "revenue"})
    )
    out = spend_from_frames(frames, filters)
    out = out.merge(counts, on=["channel_id", "month"], how="left").merge(
        money, on=["channel_id", "month"], how="left"
    )
    for c in ("leads", "ha_leads", "visits", "deals"):
        out[c] = out[c].fillna(0).astype("int64")
    for c in ("revenue", "gross_profit"):
        out[c] = out[c].fillna(0.0).astype(float).round(2)
    names = frames.channels.rename(columns={"id": "channel_id", "name": "channel", "name_en": "channel_en"})
    out = names[["channel_id", "channel", "channel_en", "cost_model"]].merge(
        out, on="channel_id", how="inner"
    )
    out["month"] = pd.to_datetime(out["month"]).dt.date
    out = mark_months(out, month_coverage_of(filters, extent))
    out = _finish(out.sort_values(["channel_id", "month"], kind="stable").reset_index(drop=True))
    return out[ROI_COLUMNS]


def channel_months(*, conn: Connection, filters: Filters) -> pd.DataFrame:
    """Spend, leads, visits, deals, revenue, gross profit and the ratios per channel and month.

    Parameters
    ----------
    conn : Connection
        An open connection.
    filters : Filters
        The shared filters; the period selects the calendar months it touches, in full.

    Returns
    -------
    pandas.DataFrame
        One row per channel in scope (by id) × month (first day, ``datetime.date``), columns ``ROI_COLUMNS``:
        ``days_covered``, ``days_in_month`` and ``partial`` (the month is cut short by the data's first or
        last day, see the module docstring), ``spend`` (NaN when missing), ``spend_reported``,
        ``spend_status`` (``SPEND_STATUSES``: reported, partial — some stores missing, missing, none — free
        channel, no_spend — paid channel without rows or leads), ``missing_stores``, counts ``leads, ha_leads,
        visits, deals``, money ``revenue, gross_profit`` and ratios ``ha_share, conversion, cost_per_lead, cost_per_deal, roi`` (NaN where undefined).

    Examples
    --------
    >>> from core.storage.db import open_database
    >>> engine = open_database("sqlite://")
    >>> with engine.connect() as conn:
    ...     len(channel_months(conn=conn, filters=Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 31))))
    0
    """
    return channel_months_from_frames(
        roi_frames(conn=conn, filters=filters), filters, extent=data_extent(conn=conn)
    )


def channel_totals_from_frames(months: pd.DataFrame) -> pd.DataFrame:
    """Per channel over all the months of :func:`channel_months`: sums first, then the ratios.

    ``spend`` is NaN when any month's is; ``missing_months`` counts those months; ``partial_months`` counts
    the partial months (0 when ``months`` has no ``partial`` column); ``spend_status`` is
    "none" for a free channel, "missing" when any month is missing or partial, else "reported" or
    "no_spend".

    Examples
    --------
    >>> m = pd.DataFrame({"channel_id": [1, 1], "channel": ["甲", "甲"], "channel_en": ["A", "A"],
    ...     "cost_model": ["per_lead"] * 2, "spend": [100.0, 300.0], "spend_reported": [100.0, 300.0],
    ...     "spend_status": ["reported"] * 2, "missing_stores": [0, 0], "leads": [1, 3], "ha_leads": [1, 1],
    ...     "visits": [0, 2], "deals": [0, 2], "revenue": [0.0, 2e5], "gross_profit": [0.0, 1e4]})
    >>> channel_totals_from_frames(m)[["spend", "leads", "cost_per_lead", "cost_per_deal", "roi"]]
       spend  leads  cost_per_lead  cost_per_deal   roi
    0  400.0      4          100.0          200.0  24.0
    """
    cols = [
        "spend_reported",
        "missing_stores",
        "leads",
        "ha_leads",
        "visits",
        "deals",
        "revenue",
        "gross_profit",
    ]
    keys = ["channel_id", "channel", "channel_en", "cost_model"]
    if months.empty:
        columns = [*keys, "spend", *cols, "missing_months", "partial_months", "spend_status"]
        out = pd.DataFrame(columns=columns)
        return _finish(out.astype({c: float for c in ("spend", *cols)}))[TOTAL_COLUMNS]
    partial = months["partial"] if "partial" in months else pd.Series(False, index=months.index)
    m = months.assign(month_missing=months["spend"].isna(), month_partial=partial.astype(bool))
    out = m.groupby(keys, as_index=False, sort=False).agg(
        spend=("spend", lambda s: s.sum() if s.notna().all() else np.nan),
        missing_months=("month_missing", "sum"),
        partial_months=("month_partial", "sum"),
        any_reported=("spend_status", lambda s: bool(s.isin(["reported", "partial"]).any())),
        **{c: (c, "sum") for c in cols},
    )
    out["spend_status"] = np.select(
        [out["cost_model"] == "none", out["missing_months"] > 0, out["any_reported"]],
        ["none", "missing", "reported"],
        default="no_spend",
    )
    out["missing_months"] = out["missing_months"].astype("int64")
    out["partial_months"] = out["partial_months"].astype("int64")
    out = _finish(out.drop(columns="any_reported"))
    return out[TOTAL_COLUMNS]


def missing_spend_from_frames(frames: RoiFrames, filters: Filters) -> pd.DataFrame:
    """The (channel, store, month) spend rows that are missing: ``channel_id, store_id, month, leads``."""
    leads = frames.leads[frames.leads["created_at"].notna()]
    created = leads.assign(month=_month(leads["created_at"]), region_lead=_in_region(leads, filters))
    lo, hi = month_bounds(filters)
    created = created[(created["created_at"] >= lo) & (created["created_at"] < hi)]
    paid = frames.channels.loc[frames.channels["cost_model"] != "none", "id"]
    created = created[created["channel_id"].isin(paid) & created["store_id"].isin(frames.stores["id"])]
    counts = created.groupby(["channel_id", "store_id", "month"], as_index=False).agg(
        leads=("id", "size"), region_leads=("region_lead", "sum")
    )
    spend = frames.spend.assign(month=pd.to_datetime(frames.spend["month"]), has_row=True)
    counts = counts.merge(spend[["channel_id", "store_id", "month", "has_row"]], how="left")
    out = counts[counts["has_row"].isna() & (counts["region_leads"] > 0)].copy()
    out["month"] = out["month"].dt.date
    out["leads"] = out["leads"].astype("int64")
    return out[["channel_id", "store_id", "month", "leads"]].reset_index(drop=True)


def cost_models(*, conn: Connection) -> pd.DataFrame:
    """Every channel's cost model: ``id, code, name, name_en, cost_model`` (one of ``COST_MODELS``)."""
    q = sa.select(Channel.id, Channel.code, Channel.name, Channel.name_en, Channel.cost_model).order_by(
        Channel.id
    )
    out = pd.read_sql(q, conn)
    unknown = set(out["cost_model"]) - set(COST_MODELS)
    if unknown:
        raise ValueError(f"unknown cost model(s) {sorted(unknown)}; one of {COST_MODELS}")
    return out


def lead_ids_from_frames(
    frames: RoiFrames, filters: Filters, *, channel_id: int, measure: str, month: dt.date | None = None
) -> list[int]:
    """The leads behind one figure: a channel's leads, visits or deals in one month (or all the months)."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; one of {MEASURES}")
    leads = frames.leads[_in_region(frames.leads, filters) & (frames.leads["channel_id"] == channel_id)]
    col = leads[_MEASURE_COLUMN[measure]]
    if month is None:
        lo, hi = month_bounds(filters)
    else:
        lo = dt.datetime.combine(month.replace(day=1), dt.time.min)
        hi = dt.datetime.combine((lo + dt.timedelta(days=32)).replace(day=1), dt.time.min)
    return sorted(int(i) for i in leads.loc[(col >= lo) & (col < hi), "id"])


_CUSTOMER_COLUMNS = [
    "lead_id",
    "customer_id",
    "name",
    "phone",
    "region",
    "region_en",
    "store",
    "store_en",
    "grade",
    "created_at",
    "visit_at",
    "order_at",
    "revenue",
    "gross_profit",
]


def lead_customers(*, conn: Connection, lead_ids: list[int], show_pii: bool = False) -> pd.DataFrame:
    """The customers behind leads, one row per lead, personal data masked unless ``show_pii``.

    Returns
    -------
    pandas.DataFrame
        Columns ``lead_id, customer_id, name, phone, region, region_en, store, store_en, grade, created_at,
        visit_at, order_at, revenue, gross_profit`` (the lead's linked new-car purchases), by lead id.
    """
    if not lead_ids:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _CUSTOMER_COLUMNS})
    money = (
        sa.select(
            Purchase.lead_id,
            sa.func.sum(Purchase.amount).label("revenue"),
            sa.func.sum(Purchase.gross_profit).label("gross_profit"),
        )
        .where(Purchase.kind == "new_car", Purchase.lead_id.in_(lead_ids))
        .group_by(Purchase.lead_id)
        .subquery()
    )
    q = (
        sa.select(
            Lead.id.label("lead_id"),
            Customer.id.label("customer_id"),
            Customer.name,
            Customer.phone,
            Region.name.label("region"),
            Region.name_en.label("region_en"),
            Store.name.label("store"),
            Store.name_en.label("store_en"),
            Lead.grade,
            Lead.created_at,
            Lead.visit_at,
            Lead.order_at,
            money.c.revenue,
            money.c.gross_profit,
        )
        .select_from(Lead)
        .join(Customer, Customer.id == Lead.customer_id)
        .outerjoin(Region, Region.id == Customer.region_id)
        .outerjoin(Store, Store.id == Lead.store_id)
        .outerjoin(money, money.c.lead_id == Lead.id)
        .where(Lead.id.in_(lead_ids))
        .order_by(Lead.id)
    )
    out = pd.read_sql(q, conn)
    for c in ("created_at", "visit_at", "order_at"):
        out[c] = pd.to_datetime(out[c])
    out["revenue"] = out["revenue"].astype(float).fillna(0.0)
    out["gross_profit"] = out["gross_profit"].astype(float).fillna(0.0)
    if not show_pii:
        out["name"] = out["name"].map(mask_name)
        out["phone"] = out["phone"].map(mask_phone)
    return out[_CUSTOMER_COLUMNS]
