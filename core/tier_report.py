"""Current tier assignments: by region, and the customers behind a tier."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.models import Customer, Region, Store, TierAssignment
from core.overview import Filters, tiers_in_force
from core.privacy import mask_name, mask_phone


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
        .where(*tiers_in_force(filters, filters.end_dt))
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
        .where(*tiers_in_force(filters, filters.end_dt), *([TierAssignment.tier == tier] if tier else []))
        .order_by(TierAssignment.score.desc(), Customer.id)
        .limit(limit)
    )
    out = pd.read_sql(q, conn)
    if not show_pii:
        out["name"] = out["name"].map(mask_name)
        out["phone"] = out["phone"].map(mask_phone)
    return out
