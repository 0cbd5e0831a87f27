"""Cached reads for the region and channel analysis pages, keyed on the data version (see dashboard.db): the
small ones that stay on SQL (names, versions, the listed customers); their big frames come from the facts
(dashboard.facts)."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from core.analytics import channel_roi as cr
from core.analytics import tier_report as tr
from core.analytics.overview import Filters


@st.cache_data(show_spinner=False, ttl=600)
def stores(_engine: Engine, version: str) -> pd.DataFrame:
    import sqlalchemy as sa

    from core.storage.models import Store

    with _engine.connect() as conn:
        return pd.read_sql(sa.select(Store.id, Store.name, Store.name_en).order_by(Store.id), conn)


@st.cache_data(show_spinner=False, ttl=600)
def lead_customers(
    _engine: Engine, version: str, lead_ids: tuple[int, ...], show_pii: bool = False
) -> pd.DataFrame:
    with _engine.connect() as conn:
        return cr.lead_customers(conn=conn, lead_ids=list(lead_ids), show_pii=show_pii)


@st.cache_data(show_spinner=False, ttl=600)
def regions(_engine: Engine, version: str) -> pd.DataFrame:
    with _engine.connect() as conn:
        return tr.regions(conn=conn)


@st.cache_data(show_spinner=False, ttl=600)
def published_versions(_engine: Engine, version: str, population: str) -> pd.DataFrame:
    with _engine.connect() as conn:
        return tr.published_versions(conn=conn, population=population)


@st.cache_data(show_spinner=False, ttl=600)
def version_tiers(_engine: Engine, version: str, f: Filters, scheme_id: int) -> pd.DataFrame:
    with _engine.connect() as conn:
        return tr.version_tiers(conn=conn, filters=f, scheme_id=scheme_id)


@st.cache_data(show_spinner=False, ttl=600)
def customers(
    _engine: Engine, version: str, ids: tuple[int, ...], limit: int, show_pii: bool = False
) -> pd.DataFrame:
    with _engine.connect() as conn:
        return tr.customers(conn=conn, customer_ids=list(ids), limit=limit, show_pii=show_pii)
