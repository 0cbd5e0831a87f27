"""The customers behind a figure: one row per lead (:func:`lead_customers`) or per customer (:func:`customers`),
personal data masked unless the viewer may see it."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.access.privacy import mask_name, mask_phone
from core.storage.models import FUNNEL_STAGES, Advisor, Channel, Customer, Lead, Region, Store

LIMIT = 500
COLUMNS = [
    "customer_id",
    "name",
    "phone",
    "region",
    "store",
    "channel",
    "advisor",
    "intended_model",
    "grade",
    "stage",
    "created_at",
    "lead_id",
]


def lead_customers(
    *, conn: Connection, lead_ids: list[int], show_pii: bool = False, lang: str = "zh"
) -> pd.DataFrame:
    """The customer of each lead, with the lead's store, channel, advisor, grade and furthest stage.

    Parameters
    ----------
    conn : Connection
        An open connection.
    lead_ids : list of int
        The leads, in the order to show them (callers cap the list, e.g. at ``LIMIT``).
    show_pii : bool
        Show names and phones (and advisors' names) unmasked.
    lang : {"zh", "en"}
        Language of region, store and channel names.

    Returns
    -------
    pandas.DataFrame
        Columns ``COLUMNS``, one row per known lead in the order of ``lead_ids``; ``stage`` is the code of
        ``FUNNEL_STAGES``.

    Examples
    --------
    >>> from core.storage.db import open_database
    >>> with open_database("sqlite://").connect() as conn:
    ...     list(lead_customers(conn=conn, lead_ids=[]).columns) == COLUMNS
    True
    """
    if not lead_ids:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    suffix = "name_en" if lang == "en" else "name"
    q = (
        sa.select(
            Customer.id.label("customer_id"),
            Customer.name,
            Customer.phone,
            getattr(Region, suffix).label("region"),
            getattr(Store, suffix).label("store"),
            getattr(Channel, suffix).label("channel"),
            Advisor.name.label("advisor"),
            Lead.intended_model,
            Lead.grade,
            Lead.stage_reached,
            Lead.created_at,
            Lead.id.label("lead_id"),
        )
        .select_from(Lead)
        .join(Customer, Customer.id == Lead.customer_id)
        .outerjoin(Region, Region.id == Customer.region_id)
        .outerjoin(Store, Store.id == Lead.store_id)
        .outerjoin(Channel, Channel.id == Lead.channel_id)
        .outerjoin(Advisor, Advisor.id == Lead.advisor_id)
        .where(Lead.id.in_([int(x) for x in lead_ids]))
    )
    out = pd.DataFrame(
        conn.execute(q).all(), columns=[*COLUMNS[:9], "stage_reached", "created_at", "lead_id"]
    )
    out = _ordered_and_masked(out, "lead_id", lead_ids, show_pii)
    out["stage"] = out["stage_reached"].map(lambda i: FUNNEL_STAGES[int(i)])
    out["created_at"] = pd.to_datetime(out["created_at"])
    return out[COLUMNS]


def _ordered_and_masked(out: pd.DataFrame, key: str, ids: list[int], show_pii: bool) -> pd.DataFrame:
    """The rows in the order of ``ids`` (by column ``key``), names, phones and advisors masked unless
    ``show_pii``."""
    order = {int(x): i for i, x in enumerate(dict.fromkeys(int(x) for x in ids))}
    out = out.sort_values(key, key=lambda s: s.map(order)).reset_index(drop=True)
    if not show_pii:
        out["name"] = out["name"].map(mask_name)
        out["phone"] = out["phone"].map(mask_phone)
        out["advisor"] = out["advisor"].map(lambda x: mask_name(x) if x else x)
    return out


CUSTOMER_COLUMNS = [
    "customer_id",
    "name",
    "phone",
    "region",
    "store",
    "first_channel",
    "advisor",
    "intended_model",
]


def customers(
    *, conn: Connection, customer_ids: list[int], show_pii: bool = False, lang: str = "zh"
) -> pd.DataFrame:
    """The listed customers with their region, store, first channel, advisor and intended model.

    Parameters
    ----------
    conn : Connection
        An open connection.
    customer_ids : list of int
        The customers, in the order to show them (callers cap the list, e.g. at ``LIMIT``).
    show_pii : bool
        Show names and phones (and advisors' names) unmasked.
    lang : {"zh", "en"}
        Language of region, store and channel names.

    Returns
    -------
    pandas.DataFrame
        Columns ``CUSTOMER_COLUMNS``, one row per known customer in the order of ``customer_ids``.

    Examples
    --------
    >>> from core.storage.db import open_database
    >>> with open_database("sqlite://").connect() as conn:
    ...     list(customers(conn=conn, customer_ids=[]).columns) == CUSTOMER_COLUMNS
    True
    """
    if not customer_ids:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CUSTOMER_COLUMNS})
    suffix = "name_en" if lang == "en" else "name"
    q = (
        sa.select(
            Customer.id.label("customer_id"),
            Customer.name,
            Customer.phone,
            getattr(Region, suffix).label("region"),
            getattr(Store, suffix).label("store"),
            getattr(Channel, suffix).label("first_channel"),
            Advisor.name.label("advisor"),
            Customer.intended_model,
        )
        .select_from(Customer)
        .outerjoin(Region, Region.id == Customer.region_id)
        .outerjoin(Store, Store.id == Customer.store_id)
        .outerjoin(Channel, Channel.id == Customer.first_channel_id)
        .outerjoin(Advisor, Advisor.id == Customer.advisor_id)
        .where(Customer.id.in_([int(x) for x in customer_ids]))
    )
    out = pd.DataFrame(conn.execute(q).all(), columns=CUSTOMER_COLUMNS)
    return _ordered_and_masked(out, "customer_id", customer_ids, show_pii)
