"""The shared sidebar filters: period, store, region, channel. Their state lives in session state."""

from __future__ import annotations

import datetime as dt

import streamlit as st
from sqlalchemy.engine import Engine

from core.overview import Filters
from dashboard import db
from dashboard.i18n import name_column, t

DEFAULT_DAYS = 30


def show(engine: Engine) -> Filters | None:
    """Draw the filters in the sidebar and return them; None while the period is incomplete."""
    version = db.data_version(engine)
    ref = db.reference(engine, version)
    extent = db.data_extent(engine, version)
    last = extent[1] if extent else dt.date.today()
    col = name_column()
    with st.sidebar:
        st.subheader(t("filters.header"))
        period = st.date_input(
            t("filters.period"),
            value=(last - dt.timedelta(days=DEFAULT_DAYS - 1), last),
            min_value=dt.date(2000, 1, 1),
            max_value=max(last, dt.date.today()),
            key="f_period",
        )
        stores = _multiselect(ref["stores"], col, "filters.store", "f_store")
        regions = _multiselect(ref["regions"], col, "filters.region", "f_region")
        channels = _multiselect(ref["channels"], col, "filters.channel", "f_channel")
        if extent:
            st.caption(t("filters.data_as_of", day=last.isoformat()))
    if not isinstance(period, tuple | list) or len(period) != 2:
        st.info(t("filters.period_incomplete"))
        return None
    return Filters(period[0], period[1], stores, regions, channels)


def _multiselect(frame, col: str, label_key: str, key: str) -> tuple[int, ...]:
    labels = dict(zip(frame["id"].tolist(), frame[col].tolist(), strict=True))
    chosen = st.multiselect(
        t(label_key), options=list(labels), format_func=labels.get, placeholder=t("filters.all"), key=key
    )
    return tuple(int(x) for x in chosen)


def latest_day(engine: Engine) -> dt.date | None:
    extent = db.data_extent(engine, db.data_version(engine))
    return extent[1] if extent else None


def current() -> Filters | None:
    """The filters the sidebar set on this run (None while the period is incomplete or there is no data)."""
    return st.session_state.get("filters")


def analysis_page(
    *, demo_key: str = "demo", permission: str = "view_analytics"
) -> tuple[Engine, str, Filters]:
    """What every filtered analysis page starts with: the engine, the data version and the filters.

    A user whose role lacks ``permission`` (or no signed-in user) gets a message and the page stops; an empty
    database shows the demo-data offer instead, and an incomplete period stops the page (the sidebar already
    says why); in all these cases the page script stops here.
    """
    from dashboard import access, demo_widget

    access.require(permission)
    engine = db.get_engine()
    version = db.data_version(engine)
    if not db.customer_count(engine, version):
        demo_widget.show(engine, key=demo_key)
        st.stop()
    f = current()
    if f is None:
        st.stop()
    return engine, version, f
