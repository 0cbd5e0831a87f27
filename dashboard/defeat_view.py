"""The charts and tables of 战败分析 Defeat reasons: Pareto, breakdowns and the monthly trend (Plotly), and the
monthly bars whose brush picks the months of the reasons beside them (Altair). Figures come from
:mod:`core.analytics.defeats` through :func:`read` (the in-memory facts, else SQL)."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.analytics import defeats as cd
from core.analytics.overview import Filters
from core.storage.models import DEFEAT_REASONS
from dashboard import charts, charts_altair, table_view
from dashboard import facts as data_facts
from dashboard.charts import FONT
from dashboard.i18n import t
from dashboard.safe_text import chart_figure

# one colour per reason, the same in every chart of the page; a lost lead without a recorded reason last
REASONS = (*DEFEAT_REASONS, cd.UNRECORDED)
REASON_COLOURS = dict(
    zip(
        REASONS,
        ["#d73027", "#fc8d59", "#fee090", "#91bfdb", "#4575b4", "#762a83", "#a6a6a6", "#e0e0e0"],
        strict=True,
    )
)


@st.cache_data(show_spinner=False, ttl=600)
def read(_engine, version: str, what: str, f, **kwargs) -> object:
    """A figure of :mod:`core.analytics.defeats` by its function's name, for the filters ``f``."""
    return data_facts.defeat_figure(_engine, version, what, f, **kwargs)  # in-memory facts; else SQL


def reason_label(code: str) -> str:
    return t(f"defeats.reason.{code}") if code in REASONS else code


def stage_label(code: str) -> str:
    return t(f"defeats.stage.{code}") if code != cd.UNKNOWN else code


def columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Codes as labels and column names in the session's language: the table shown and downloaded."""
    out = frame.copy()
    if "reason" in out:
        out["reason"] = out["reason"].map(reason_label)
    if "sub_reason" in out:
        out["sub_reason"] = out["sub_reason"].map(
            lambda c: t(f"defeats.sub.{c}") if isinstance(c, str) else c
        )
    if "stage_lost" in out:
        out["stage_lost"] = out["stage_lost"].map(stage_label)
    for col in ("competitor_brand", "competitor_model", "sub_reason", "model", "advisor"):  # none: "—"
        if col in out and not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].astype(object).where(out[col].notna(), "—")
    return out.rename(columns={c: t(f"defeats.col.{c}") for c in out.columns})


def show_table(shown: pd.DataFrame, *, key: str) -> None:
    percent = [t("defeats.col.share"), t("defeats.col.cum_share")]
    config = {c: st.column_config.NumberColumn(format="percent") for c in percent if c in shown}
    config[t("review.col.360")] = st.column_config.LinkColumn(display_text=t("review.open_360"))
    st.dataframe(shown, hide_index=True, column_config=config, key=f"{key}_table")


def downloads(shown: pd.DataFrame, *, key: str) -> None:
    percent = tuple(c for c in (t("defeats.col.share"), t("defeats.col.cum_share")) if c in shown)
    table_view.downloads(shown, key, key, percent=percent)


def section(fig: go.Figure, shown: pd.DataFrame, *, key: str, clickable: bool = False):
    """A chart and its table in tabs, with CSV and Excel downloads of the table; returns the chart's
    selection event when ``clickable``."""
    fig.update_layout(font_family=FONT, margin=dict(l=10, r=10, t=30, b=10), height=380)
    chart_tab, table_tab = st.tabs([t("defeats.view.chart"), t("defeats.view.table")])
    with chart_tab:
        if clickable:
            event = st.plotly_chart(
                chart_figure(fig), key=f"{key}_chart", on_select="rerun", selection_mode="points"
            )
        else:
            event = st.plotly_chart(chart_figure(fig), key=f"{key}_chart")
    with table_tab:
        show_table(shown, key=key)
    downloads(shown, key=key)
    return event


def pareto_figure(frame: pd.DataFrame, labels: list[str], x_title: str) -> go.Figure:
    fig = go.Figure(
        [
            go.Bar(x=labels, y=frame["count"], name=t("defeats.col.count"), marker_color="#4575b4"),
            go.Scatter(
                x=labels,
                y=frame["cum_share"],
                name=t("defeats.col.cum_share"),
                yaxis="y2",
                mode="lines+markers",
                marker_color="#d73027",
            ),
        ]
    )
    fig.update_layout(
        xaxis_title=x_title,
        yaxis_title=t("defeats.col.count"),
        yaxis2=dict(overlaying="y", side="right", range=[0, 1.05], tickformat=".0%"),
        legend=dict(orientation="h", y=1.1),
    )
    return fig


def stacked_figure(frame: pd.DataFrame, x: str, x_title: str, *, lines: bool = False) -> go.Figure:
    xs = list(dict.fromkeys(frame[x]))
    traces = []
    for reason in [r for r in REASONS if r in set(frame["reason"])]:
        part = frame[frame["reason"] == reason].set_index(x)["count"].reindex(xs, fill_value=0)
        kwargs = dict(x=xs, y=part.tolist(), name=reason_label(reason), marker_color=REASON_COLOURS[reason])
        traces.append(go.Scatter(mode="lines+markers", **kwargs) if lines else go.Bar(**kwargs))
    fig = go.Figure(traces)
    fig.update_layout(barmode="stack", xaxis_title=x_title, yaxis_title=t("defeats.col.count"))
    return fig


def trend_figure(trend: pd.DataFrame, coverage: pd.DataFrame) -> go.Figure:
    """One line per reason over the period's months (0 where none); partial months drawn apart, labelled."""
    shown = coverage[coverage["days_covered"] > 0]
    months = [f"{m:%Y-%m}" for m in shown["month"]]
    fig = go.Figure()
    for reason in [r for r in DEFEAT_REASONS if r in set(trend["reason"])]:
        part = trend[trend["reason"] == reason].set_index("month")["count"].reindex(months, fill_value=0)
        charts.monthly_line(
            fig, shown["month"].tolist(), part.tolist(), shown["partial"].tolist(),
            name=reason_label(reason), colour=REASON_COLOURS[reason],
        )  # fmt: skip
    fig.update_layout(xaxis_title=t("defeats.col.month"), yaxis_title=t("defeats.col.count"))
    charts.month_axis(fig, len(months))
    return charts.partial_month_notes(fig, shown)


def trend_table(trend: pd.DataFrame) -> pd.DataFrame:
    """The monthly trend as shown and downloaded, with how much of each month it covers."""
    shown = columns(trend[["month", "reason", "count"]])
    shown[t("periods.col.coverage")] = [
        charts.coverage_text(d, n) for d, n in zip(trend["days_covered"], trend["days_in_month"], strict=True)
    ]
    return shown


# ---- the brush: months on the left, their reasons on the right --------------------------------------------------


def brush_frame(trend: pd.DataFrame) -> pd.DataFrame:
    """The marked monthly trend (:func:`core.analytics.defeats.mark_trend`) as the brushed bars read it."""
    rank = {r: i for i, r in enumerate(REASONS)}
    return pd.DataFrame(
        {
            "month": pd.to_datetime(trend["month"] + "-01").dt.strftime("%Y-%m-%d"),
            "reason": trend["reason"].map(reason_label),
            "colour_rank": trend["reason"].map(lambda r: rank.get(r, len(REASONS))),
            "count": trend["count"].astype(int),
            "partial": trend["partial"].astype(bool),
            "coverage": [
                charts.coverage_text(d, n)
                for d, n in zip(trend["days_covered"], trend["days_in_month"], strict=True)
            ],
        }
    )


def brush_chart(trend: pd.DataFrame, lang: str) -> alt.Chart:
    """Defeats per month, stacked by reason, with an interval brush over the months."""
    present = [r for r in REASONS if r in set(trend["reason"])]
    return charts_altair.month_brush_bars(
        brush_frame(trend),
        colour_field="reason",
        colour_title=t("defeats.col.reason"),
        domain=[reason_label(r) for r in present],
        colours=[REASON_COLOURS[r] for r in present],
        count_title=t("defeats.col.count"),
        month_title=t("defeats.col.month"),
        lang=lang,
    )


def brush_key(f: Filters, lang: str) -> str:
    """The brushed chart's key: one per language and filters, so a brush is dropped with the chart it was
    drawn on (the browser draws a new chart without it) and never filters figures it is not shown over."""
    return (
        "defeats_brush."
        + lang
        + "."
        + "-".join(map(str, (f.start, f.end, f.store_ids, f.region_ids, f.channel_ids)))
    )


def brushed_filters(event: object, coverage: pd.DataFrame, f: Filters) -> tuple[Filters, bool]:
    """The filters of the brushed months (:meth:`Filters.within_months`) and True; ``f`` and False when
    nothing is brushed (the page's period)."""
    months: list[dt.date] = [
        m for m, d in zip(coverage["month"], coverage["days_covered"], strict=True) if d > 0
    ]
    picked = charts_altair.brushed_months(event, months)
    window = f.within_months(*picked) if picked else None
    return (window, True) if window is not None else (f, False)


def reasons_chart(pareto: pd.DataFrame) -> alt.LayerChart:
    """The reasons of the brushed months, most frequent first, each in its colour."""
    shown = pareto.assign(reason=pareto["reason"].map(reason_label))
    return charts_altair.ranked_bars(
        shown[["reason", "count", "share"]],
        label="reason",
        label_title=t("defeats.col.reason"),
        count_title=t("defeats.col.count"),
        domain=[reason_label(r) for r in REASONS],
        colours=[REASON_COLOURS[r] for r in REASONS],
    )
