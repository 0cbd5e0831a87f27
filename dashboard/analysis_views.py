"""Pieces the region and channel analysis pages share: a chart with its table view and downloads of exactly
that table, the customers behind a figure, chart clicks, and the colour of "untiered"."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import customer_links, table_view
from dashboard.charts import FONT, tier_colour_map
from dashboard.i18n import language, t
from dashboard.safe_text import chart_figure
from dashboard.widgets import tier_label

UNTIERED_COLOUR = "#d9d9d9"  # light grey: not one of TIER_COLOURS, so it never looks like a tier


def layout(fig: go.Figure, height: int = 400) -> go.Figure:
    fig.update_layout(
        font_family=FONT,
        margin=dict(l=10, r=10, t=40, b=10),
        height=height,
        legend=dict(orientation="h", y=1.12),
    )
    return chart_figure(fig)  # categories and series are region, channel, reason names: text, not HTML


def downloads(frame: pd.DataFrame, name: str, key: str, *, percent=(), money=()) -> None:
    """CSV and Excel downloads of exactly the table shown (CSV cached per table, Excel built on click; audited)."""
    table_view.downloads(frame, name, key, percent=tuple(percent), money=tuple(money))


def _formatter(kind: str, empty: str):
    def fmt(v: object) -> str:
        if pd.isna(v):
            return empty
        return f"{v:.1%}" if kind == "percent" else f"{v:,.2f}" if kind == "money" else f"{v:,}"

    return fmt


def with_missing(frame: pd.DataFrame, missing: tuple[str, ...], text: str) -> pd.DataFrame:
    """The table as downloaded: an empty figure of the ``missing`` columns says ``text`` (e.g. "费用缺失")."""
    out = frame.copy()
    for c in missing:
        if c in out:
            out[c] = out[c].astype(object).where(out[c].notna(), text)
    return out


def table(
    frame: pd.DataFrame,
    key: str,
    percent: tuple[str, ...] = (),
    money: tuple[str, ...] = (),
    missing: tuple[str, ...] = (),
    missing_text: str = "",
) -> None:
    """A table as shown: percentages and money formatted; an empty figure reads "—", or ``missing_text`` in
    the ``missing`` columns (a column with an empty figure becomes text: Streamlit shows any empty number as
    "None", whatever the format). Other columns stay numeric, so they sort."""
    kinds = {c: "percent" if c in percent else "money" if c in money else "number" for c in frame.columns}
    shown, made_text = table_view.with_empty_text(
        frame,
        {c: _formatter(kind, table_view.EMPTY) for c, kind in kinds.items()},
        {c: missing_text for c in missing},
    )
    formats = {
        c: _formatter(kinds[c], table_view.EMPTY)
        for c in shown.columns
        if kinds[c] != "number" and c not in made_text and pd.api.types.is_numeric_dtype(shown[c])
    }
    st.dataframe(
        shown.style.format(formats) if formats else shown,
        hide_index=True,
        column_config=table_view.text_columns(made_text),
        key=key,
    )


def chart_and_table(
    fig: go.Figure,
    frame: pd.DataFrame,
    *,
    name: str,
    key: str,
    percent: tuple[str, ...] = (),
    money: tuple[str, ...] = (),
    missing: tuple[str, ...] = (),
    missing_text: str = "",
    height: int = 400,
    clickable: bool = False,
):
    """The chart and its table in tabs, then CSV and Excel of the table; returns the chart's selection event."""
    chart_tab, table_tab = st.tabs([t("views.chart"), t("views.table")])
    with chart_tab:
        if clickable:
            event = st.plotly_chart(
                layout(fig, height), key=f"{key}_chart", on_select="rerun", selection_mode="points"
            )
        else:
            event = st.plotly_chart(layout(fig, height), key=f"{key}_chart")
    with table_tab:
        table(frame, f"{key}_table", percent, money, missing, missing_text)
    downloads(with_missing(frame, missing, missing_text), name, key, percent=percent, money=money)
    return event


def altair_and_table(
    chart,
    frame: pd.DataFrame,
    *,
    name: str,
    key: str,
    percent: tuple[str, ...] = (),
    money: tuple[str, ...] = (),
    clickable: bool = False,
):
    """As :func:`chart_and_table` for an Altair chart; returns its selection event when ``clickable``."""
    chart_tab, table_tab = st.tabs([t("views.chart"), t("views.table")])
    with chart_tab:
        if clickable:
            event = st.altair_chart(chart, key=f"{key}_chart", on_select="rerun")
        else:
            event = st.altair_chart(chart, key=f"{key}_chart")
    with table_tab:
        table(frame, f"{key}_table", percent, money)
    downloads(frame, name, key, percent=percent, money=money)
    return event


def clicked_points(event) -> list[dict]:
    """The points of a plotly chart's selection event (empty without a selection)."""
    try:
        return list(event["selection"]["points"] or [])
    except (KeyError, TypeError):
        return []


def apply_click(event, state_key: str, values: dict[str, object]) -> bool:
    """Put a new chart click into the drill-down widgets' session state, once per click.

    ``values`` maps widget keys to the values the click means. Called before those widgets are drawn; a click
    that was applied already is left alone, so choosing another value in the widgets afterwards sticks.
    """
    marker = repr(sorted(values.items()))
    if st.session_state.get(state_key) == marker:
        return False
    st.session_state[state_key] = marker
    for key, value in values.items():
        st.session_state[key] = value
    return True


def lang_key(name: str) -> str:
    """A widget key per language. A keyed widget keeps its options' old labels in the browser when only the
    language changes (its identity is the key), so widgets whose labels are translated get one key per language.
    """
    return f"{name}.{language()}"


def tier_colours(labels: list[str], schemes: list[list[str]] = ()) -> dict[str, str]:
    """The project's colour per tier plus grey for untiered.

    A label takes the colour of its position in the first of ``schemes`` (label lists, the published scheme
    first) that holds it, as on the tiers page; other labels get the colour of their position in ``labels``.
    So the top tier is green in every version and on every page.
    """
    from core.analytics.tier_report import UNTIERED

    out = tier_colour_map([x for x in labels if x != UNTIERED])
    for scheme in reversed(list(schemes)):
        out.update({k: v for k, v in tier_colour_map(list(scheme)).items() if k in out})
    out[UNTIERED] = UNTIERED_COLOUR
    return out


def tier_name(label: str) -> str:
    """A tier label for display; "untiered" in the session's language."""
    from core.analytics.tier_report import UNTIERED

    return t("views.untiered") if label == UNTIERED else tier_label(label)


def customer_list(people: pd.DataFrame, total: int, *, name: str, key: str, limit: int) -> None:
    """The customers behind a figure (already masked by core), at most ``limit``, with downloads of that list."""
    if total == 0:
        st.info(t("views.customers.none"))
        return
    if total > limit:
        st.caption(t("views.customers.capped", shown=f"{limit:,}", n=f"{total:,}"))
    ids = people[t("col.customer_id")].tolist()  # the pages name the id column 客户编号 / Customer id
    customer_links.table(people, ids, key=f"{key}_table")
    downloads(people, name, key)
