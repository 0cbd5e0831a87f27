"""The channel ROI and tiers-by-region pages' frames from the in-memory facts, equal to the SQL path's.

:mod:`core.analytics.channel_roi` and :mod:`core.analytics.tier_report` read what their figures need with SQL per filter set
(:func:`core.analytics.channel_roi.roi_frames`, :func:`core.analytics.tier_report.tiers_at`, :func:`core.analytics.tier_report.version_tiers`)
and compute the figures with pure functions over those frames. At a million customers the reads take
seconds; here the same frames are cut from the facts (:mod:`core.analytics.facts`) with numpy in milliseconds and
handed to the same pure functions. The only rows still read from the database are the small reference
tables of channel ROI (spend per channel, store and month; channels; stores: :func:`roi_reference`), once per
data version.

tests/unit/analytics/test_facts_analysis.py checks every frame against the SQL path's on all three backends.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.analytics import channel_roi as cr
from core.analytics.facts import EventFacts, TierFacts
from core.analytics.facts_figures import _in, _nullable_ids, _t, _text, _tier_rows, _times, lead_mask
from core.analytics.overview import Filters
from core.storage.models import Channel, ChannelSpend, Store

ROI_TIMES = ("created_at", "visit_at", "order_at")


@dataclass(frozen=True)
class RoiReference:
    """Every spend row (``channel_id, store_id, month, amount``), channel (``id, code, name, name_en,
    cost_model``) and store (``id``), by id: a few thousand rows."""

    spend: pd.DataFrame
    channels: pd.DataFrame
    stores: pd.DataFrame


def roi_reference(*, conn: Connection) -> RoiReference:
    """Read the reference rows of channel ROI (see :class:`RoiReference`)."""
    spend = pd.read_sql(
        sa.select(
            ChannelSpend.channel_id, ChannelSpend.store_id, ChannelSpend.month, ChannelSpend.amount
        ).order_by(ChannelSpend.id),
        conn,
    ).astype({"amount": float})
    spend["month"] = pd.to_datetime(spend["month"])
    channels = pd.read_sql(
        sa.select(Channel.id, Channel.code, Channel.name, Channel.name_en, Channel.cost_model).order_by(
            Channel.id
        ),
        conn,
    )
    stores = pd.read_sql(sa.select(Store.id).order_by(Store.id), conn)
    return RoiReference(spend, channels, stores)


def _scoped(frame: pd.DataFrame, column: str, ids: tuple[int, ...]) -> pd.DataFrame:
    out = frame[frame[column].isin(ids)] if ids else frame
    if len(out):
        return out.reset_index(drop=True)
    # as read_sql gives an empty result: object columns, then the SQL path's conversions
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in frame.columns})
    if "amount" in empty:
        empty["amount"] = empty["amount"].astype(float)
    if "month" in empty:
        empty["month"] = pd.to_datetime(empty["month"])
    return empty


def roi_frames(facts: EventFacts, f: Filters, reference: RoiReference) -> cr.RoiFrames:
    """As :func:`core.analytics.channel_roi.roi_frames`: the leads of the channels and stores in scope created, visiting
    or ordering in the months the period touches (region not applied), the new-car purchases linked to the
    leads ordered in those months, and the reference rows of the months, stores and channels in scope.

    The leads and purchases are in id order (the SQL path does not promise an order for purchases).
    """
    lo, hi = cr.month_bounds(f)
    leads = facts.leads
    scope = lead_mask(facts, dataclasses.replace(f, region_ids=()))  # region: applied by the pure functions
    tlo, thi = _t(lo), _t(hi)
    in_months = {c: (leads[c] >= tlo) & (leads[c] < thi) for c in ROI_TIMES}
    idx = np.flatnonzero(scope & (in_months["created_at"] | in_months["visit_at"] | in_months["order_at"]))
    if len(idx):
        frame = pd.DataFrame(
            {
                "id": leads["id"][idx].astype(np.int64),
                "customer_id": _nullable_ids(leads["customer_id"][idx]),
                "store_id": _nullable_ids(leads["store_id"][idx]),
                "channel_id": _nullable_ids(leads["channel_id"][idx]),
                "region_id": _nullable_ids(leads["region_id"][idx]),
                "grade": _text(facts.lead_categories["grade"].take(idx)),
                **{c: pd.to_datetime(_times(leads[c][idx])) for c in ROI_TIMES},
            }
        )
    else:  # as read_sql gives an empty result, with the times converted
        frame = pd.DataFrame(
            {c: pd.Series(dtype=object) for c in ("id", "customer_id", "store_id", "channel_id", "region_id")}
            | {"grade": pd.Series(dtype=object)}
            | {c: pd.to_datetime(pd.Series(dtype=object)) for c in ROI_TIMES}
        )
    ordered = leads["id"][scope & in_months["order_at"]]
    p = facts.purchases
    hit = np.flatnonzero(np.isin(p["lead_id"], ordered)) if len(ordered) else np.empty(0, dtype=np.int64)
    purchases = pd.DataFrame(
        {
            "lead_id": p["lead_id"][hit].astype(np.int64) if len(hit) else pd.Series(dtype=object),
            "amount": p["amount"][hit].astype(float),
            "gross_profit": p["gross_profit"][hit].astype(float),
        }
    )
    spend = reference.spend
    spend = spend[(spend["month"] >= pd.Timestamp(lo)) & (spend["month"] < pd.Timestamp(hi))]
    spend = _scoped(_scoped(spend, "store_id", f.store_ids), "channel_id", f.channel_ids)
    channels = _scoped(reference.channels, "id", f.channel_ids)
    stores = _scoped(reference.stores, "id", f.store_ids)
    return cr.RoiFrames(frame, purchases, spend, channels, stores)


# ---- tiers by region ----------------------------------------------------------------------------------------


def _tier_frame(tiers: TierFacts, facts: EventFacts, rows: np.ndarray) -> pd.DataFrame:
    """``customer_id, region_id, tier`` of assignment rows, by customer, as the SQL path reads them except
    that ``tier`` is a pandas Categorical (the same values; grouping and comparing a million of them is
    many times faster than as Python strings)."""
    cust = tiers.customer_id[rows]
    order = np.argsort(cust, kind="stable")
    rows, cust = rows[order], cust[order]
    if not len(rows):
        return pd.DataFrame(
            {
                "customer_id": pd.Series(dtype="int64"),
                "region_id": pd.Series(dtype=object),
                "tier": pd.Categorical([], categories=list(tiers.tier.categories)),
            }
        )
    return pd.DataFrame(
        {
            "customer_id": cust.astype(np.int64),
            "region_id": _nullable_ids(facts.customer_region[cust]),
            "tier": pd.Categorical.from_codes(
                tiers.tier.codes[rows].astype(np.int32), categories=list(tiers.tier.categories)
            ),
        }
    )


def tiers_at(tiers: TierFacts, facts: EventFacts, f: Filters, at: dt.datetime) -> pd.DataFrame:
    """As :func:`core.analytics.tier_report.tiers_at`: each filtered customer's owners tier in force at ``at``."""
    return _tier_frame(tiers, facts, _tier_rows(tiers, facts, f, at))


def version_tiers(tiers: TierFacts, facts: EventFacts, f: Filters, scheme_id: int) -> pd.DataFrame:
    """As :func:`core.analytics.tier_report.version_tiers` for an owners scheme version: each filtered customer's latest
    assignment from that version (the last written, when two share the latest time)."""
    cust = tiers.customer_id
    known = (cust >= 0) & (cust < len(facts.customer_region))
    safe = np.where(known, cust, 0)
    mask = known & (tiers.scheme_id == scheme_id)
    if f.store_ids:
        mask &= _in(facts.customer_store[safe], f.store_ids)
    if f.region_ids:
        mask &= _in(facts.customer_region[safe], f.region_ids)
    if f.channel_ids:
        mask &= _in(facts.customer_channel[safe], f.channel_ids)
    rows = np.flatnonzero(mask)
    # latest per customer: sort by customer, then time, then position; keep each customer's last row
    order = np.lexsort((rows, tiers.effective_from[rows], cust[rows]))
    rows = rows[order]
    last = np.ones(len(rows), dtype=bool)
    if len(rows):
        last[:-1] = cust[rows][1:] != cust[rows][:-1]
    return _tier_frame(tiers, facts, rows[last])


__all__ = ["RoiReference", "roi_frames", "roi_reference", "tiers_at", "version_tiers"]
