"""The shared sidebar filters: period, store, region, channel.

What the user chose lives in ``st.session_state["filters_chosen"]`` (:data:`CHOSEN_KEY`), which this module
owns: ``{"period": (start, end), "store": ids, "region": ids, "channel": ids}``, ids as tuples of ints in the
order chosen, ``()`` for nothing chosen. The widgets (keys ``f_period``, ``f_store``, ``f_region``,
``f_channel``) only show it, because Streamlit drops a widget's state on a run that does not draw it (a page
without the filters), and keeps a multiselect's choice in the browser as the option *labels*, which change
with the language. Code that restores a view (a link) calls :func:`choose`; the sidebar shows it on its next
draw. ``st.session_state["filters"]`` holds the :class:`core.analytics.overview.Filters` the sidebar made on this run,
where choosing every option of a filter is no filter (:meth:`core.analytics.overview.Filters.chosen`).
"""

from __future__ import annotations

import datetime as dt
from functools import partial

import streamlit as st
from sqlalchemy.engine import Engine

from core.analytics.overview import Filters
from dashboard import db
from dashboard.i18n import name_column, t
from dashboard.widgets import label_of, labels_changed

DEFAULT_DAYS = 30
FIRST_DAY = dt.date(2000, 1, 1)  # the date field's lower bound
CHOSEN_KEY = "filters_chosen"
PERIOD_KEY = "f_period"
# filter -> (reference table in db.reference, label text key, widget key)
CHOICES = {
    "store": ("stores", "filters.store", "f_store"),
    "region": ("regions", "filters.region", "f_region"),
    "channel": ("channels", "filters.channel", "f_channel"),
}


def chosen() -> dict:
    """What the user chose (a copy): ``period`` (start, end) or None, and the ids under store, region, channel."""
    got = st.session_state.get(CHOSEN_KEY, {})
    return {"period": got.get("period")} | {name: tuple(got.get(name, ())) for name in CHOICES}


def choose(*, period: tuple[dt.date, dt.date] | None = None, **ids) -> None:
    """Set the period and/or the ids of ``store``, ``region``, ``channel`` (e.g. from a link); the sidebar
    shows them on its next draw (the widgets are made again from the choice)."""
    unknown = set(ids) - set(CHOICES)
    if unknown:
        raise ValueError(f"unknown filters: {sorted(unknown)}")
    got = chosen()
    if period is not None:
        got["period"] = (period[0], period[1])
        st.session_state.pop(PERIOD_KEY, None)
    for name, values in ids.items():
        got[name] = tuple(int(x) for x in values)
        st.session_state.pop(CHOICES[name][2], None)
    st.session_state[CHOSEN_KEY] = got


def show(engine: Engine) -> Filters | None:
    """Draw the filters in the sidebar and return them; None while the period is incomplete."""
    version = db.data_version(engine)
    ref = db.reference(engine, version)
    extent = db.data_extent(engine, version)
    last = extent[1] if extent else dt.date.today()
    col = name_column()
    got = chosen()
    lo, hi = FIRST_DAY, max(last, dt.date.today())
    if PERIOD_KEY not in st.session_state:  # first draw, or back from a page without the filters
        default = (last - dt.timedelta(days=DEFAULT_DAYS - 1), last)
        st.session_state[PERIOD_KEY] = _within(got["period"], lo, hi) or default
    with st.sidebar:
        st.subheader(t("filters.header"))
        period = st.date_input(t("filters.period"), min_value=lo, max_value=hi, key=PERIOD_KEY)
        for name, (table, label_key, key) in CHOICES.items():
            got[name] = _multiselect(ref[table], col, label_key, key, got[name])
        if extent:
            st.caption(t("filters.data_as_of", day=last.isoformat()))
    complete = isinstance(period, tuple | list) and len(period) == 2
    if complete:
        got["period"] = (period[0], period[1])
    st.session_state[CHOSEN_KEY] = got
    if not complete:
        st.info(t("filters.period_incomplete"))
        return None
    options = {table: ref[table]["id"].tolist() for table, _, _ in CHOICES.values()}
    return Filters.chosen(
        period[0],
        period[1],
        stores=got["store"],
        regions=got["region"],
        channels=got["channel"],
        options=options,
    )


def _within(period, lo: dt.date, hi: dt.date) -> tuple[dt.date, dt.date] | None:
    """``period`` moved inside the date field's bounds (a link may carry any dates); None if it is empty."""
    if not period:
        return None
    start, end = (min(max(day, lo), hi) for day in period)
    return (start, end) if start <= end else None


def _multiselect(frame, col: str, label_key: str, key: str, chosen_ids: tuple[int, ...]) -> tuple[int, ...]:
    """One filter's multiselect, drawn from ``chosen_ids``; returns the ids chosen now."""
    labels = dict(zip(frame["id"].tolist(), frame[col].tolist(), strict=True))
    relabelled = labels_changed(key, labels.values())  # the language changed (or a name)
    if relabelled or key not in st.session_state:
        # the browser holds the choice as labels: send it again from the ids, in this language's labels
        st.session_state[key] = [i for i in chosen_ids if i in labels]
    picked = st.multiselect(
        t(label_key),
        options=list(labels),
        format_func=partial(label_of, labels),  # raises on a stale label instead of returning None
        placeholder=t("filters.all"),
        key=key,
    )
    return tuple(int(x) for x in picked if x in labels)


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
