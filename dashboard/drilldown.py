"""The customers behind a figure: a masked list under the chart, downloadable as listed."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from core.analytics import drilldown
from dashboard import access, customer_links
from dashboard.i18n import language, t
from dashboard.table_view import EMPTY, downloads


@st.cache_data(show_spinner=False, ttl=600, max_entries=50)
def _customers(
    _engine: Engine, version: str, lead_ids: tuple[int, ...], lang: str, show_pii: bool
) -> pd.DataFrame:
    with _engine.connect() as conn:
        return drilldown.lead_customers(conn=conn, lead_ids=list(lead_ids), show_pii=show_pii, lang=lang)


@st.cache_data(show_spinner=False, ttl=600, max_entries=50)
def _people(
    _engine: Engine, version: str, customer_ids: tuple[int, ...], lang: str, show_pii: bool
) -> pd.DataFrame:
    with _engine.connect() as conn:
        return drilldown.customers(conn=conn, customer_ids=list(customer_ids), show_pii=show_pii, lang=lang)


def show(engine: Engine, version: str, lead_ids: Sequence[int], *, title: str, key: str) -> pd.DataFrame:
    """List the customers of ``lead_ids`` (the first ``drilldown.LIMIT``), masked; returns the table shown."""
    return _show(engine, version, lead_ids, _customers, title=title, key=key)


def show_customers(
    engine: Engine, version: str, customer_ids: Sequence[int], *, title: str, key: str
) -> pd.DataFrame:
    """List the customers ``customer_ids`` (the first ``drilldown.LIMIT``), masked; returns the table shown."""
    return _show(engine, version, customer_ids, _people, title=title, key=key)


def _show(engine: Engine, version: str, ids: Sequence[int], read, *, title: str, key: str) -> pd.DataFrame:
    """The list under the chart: ``read(engine, version, ids, lang, show_pii)`` gives the rows of ``ids``."""
    st.markdown(f"**{title}**")  # Markdown: callers pass names of tiers, stores, channels through plain()
    if len(ids) == 0:
        st.info(t("drill.none"))
        return pd.DataFrame()
    show_pii = access.require("view_analytics").show_pii
    listed = tuple(int(x) for x in ids[: drilldown.LIMIT])
    frame = read(engine, version, listed, language(), show_pii)
    key_text = "drill.count" if not show_pii else "drill.count_pii"
    st.caption(t(key_text, shown=f"{len(frame):,}", total=f"{len(ids):,}"))
    shown = frame.copy()
    if "stage" in shown:
        shown["stage"] = shown["stage"].map(lambda s: t(f"funnel.stage.{s}"))
    shown = shown.rename(columns={c: t(f"drill.col.{c}") for c in frame.columns})
    # an unknown region, channel or advisor reads "—" on screen (Streamlit writes a grey "None"), an empty cell
    # in the downloads
    texts = [c for c in shown.columns if shown[c].dtype == object or pd.api.types.is_string_dtype(shown[c])]
    on_screen = shown.assign(**{c: shown[c].where(shown[c].notna(), EMPTY) for c in texts})
    customer_links.table(on_screen, frame["customer_id"].tolist(), key=f"{key}_table")
    downloads(shown, key, key)
    return shown


def clicked_point(event) -> int | None:
    """The index of the first point (bar) clicked in a ``st.plotly_chart(on_select="rerun")`` event."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    if not points:
        return None
    index = points[0].get("point_index", points[0].get("point_number"))
    return None if index is None else int(index)


def option_label(names: list[str], all_label: str, index: int | None) -> str:
    """Label of a group option given by position (None: all groups); use with functools.partial."""
    return all_label if index is None else names[index]
