"""Current tier assignments: by region, and the customers behind a tier."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.models import Customer, Region, ScoringScheme, Store, TierAssignment
from core.overview import Filters
from core.privacy import mask_name, mask_phone


def _current(filters: Filters) -> list[sa.ColumnElement[bool]]:
    at = filters.end_dt
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


def tiers_by_region(*, conn: Connection, filters: Filters) -> pd.DataFrame:
    """Customers per region and tier in force at the period's end: region_id, region, region_en, tier, customers."""
    q = (
        sa.select(
            Region.id.label("region_id"),
            Region.name.label("region"),
            Region.name_en.label("region_en"),
            TierAssignment.tier,
            sa.func.count().label("customers"),
        )
        .select_from(TierAssignment)
        .join(Customer, Customer.id == TierAssignment.customer_id)
        .join(Region, Region.id == Customer.region_id)
        .where(*_current(filters))
        .group_by(Region.id, Region.name, Region.name_en, TierAssignment.tier)
        .order_by(Region.id, TierAssignment.tier)
    )
    out = pd.read_sql(q, conn)
    return out.astype({"customers": "int64"})


def tier_members(
    *, conn: Connection, filters: Filters, tier: str | None, limit: int = 200, show_pii: bool = False
) -> pd.DataFrame:
    """The customers of a tier (all tiers if None), best score first, personal data masked unless ``show_pii``."""
    q = (
        sa.select(
            Customer.id.label("customer_id"),
            Customer.name,
            Customer.phone,
            Region.name.label("region"),
            Store.name.label("store"),
            TierAssignment.tier,
            TierAssignment.score,
            TierAssignment.effective_from.label("since"),
        )
        .select_from(TierAssignment)
        .join(Customer, Customer.id == TierAssignment.customer_id)
        .outerjoin(Region, Region.id == Customer.region_id)
        .outerjoin(Store, Store.id == Customer.store_id)
        .where(*_current(filters), *([TierAssignment.tier == tier] if tier else []))
        .order_by(TierAssignment.score.desc(), Customer.id)
        .limit(limit)
    )
    out = pd.read_sql(q, conn)
    if not show_pii:
        out["name"] = out["name"].map(mask_name)
        out["phone"] = out["phone"].map(mask_phone)
    return out
