"""战败分析 Defeat reasons: Pareto, breakdowns, price sub-reasons, monthly trend, win-back and candidates."""

from functools import partial

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.analytics import defeats as cd
from core.storage.models import DEFEAT_REASONS
from dashboard import access, charts, db, drilldown, filters, table_view
from dashboard import facts as data_facts
from dashboard import review_data as rd
from dashboard.charts import FONT
from dashboard.i18n import coded, language, t
from dashboard.safe_text import chart_figure
from dashboard.widgets import pct, select

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
def _read(_engine, version: str, what: str, f, **kwargs) -> object:
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
    st.dataframe(
        shown,
        hide_index=True,
        column_config=config,
        key=f"{key}_table",
    )


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


st.title(t("defeats.title"))
engine, version, f = filters.analysis_page(demo_key="demo_defeats")
lang = language()

pareto = _read(engine, version, "pareto", f)
if pareto.empty:
    st.info(t("defeats.nothing"))
    st.stop()
st.caption(t("defeats.caption", start=f.start, end=f.end, n=f"{int(pareto['count'].sum()):,}"))
pending = _read(engine, version, "pending_requests", f)
if pending:  # requests waiting for a manager are not defeats yet: shown apart, counted nowhere
    st.info(t("defeats.pending", n=f"{pending:,}"))

st.subheader(t("defeats.pareto"), help=t("defeats.pareto.help"))
shown = columns(pareto)
pareto_click = section(
    pareto_figure(pareto, shown[t("defeats.col.reason")].tolist(), t("defeats.col.reason")),
    shown,
    key="pareto",
    clickable=True,
)

# the customers behind a reason: click its bar or choose it
reasons = pareto["reason"].tolist()
point = drilldown.clicked_point(pareto_click)
if point is not None and point < len(reasons) and point != st.session_state.get("defeats_drill_point"):
    st.session_state["defeats_drill_reason"] = reasons[point]
st.session_state["defeats_drill_point"] = point
with st.expander(t("defeats.drill"), expanded=point is not None):
    reason = select(
        t("defeats.col.reason"),
        reasons,
        format_func=partial(coded, "defeats.reason"),
        key="defeats_drill_reason",
    )
    lost = _read(engine, version, "defeats", f)
    lost = lost[lost["reason"] == reason].sort_values(["at", "defeat_id"], ascending=False)
    drilldown.show(
        engine,
        version,
        lost["lead_id"].astype(int).tolist(),
        title=t("defeats.drill.title", reason=reason_label(reason)),
        key="defeats_drill",
    )

st.subheader(t("defeats.breakdown"))
by = select(
    t("defeats.breakdown.by"), list(cd.BREAKDOWNS), format_func=partial(coded, "defeats.by"), key="by"
)
parts = _read(
    engine, version, "breakdown", f, by=by, lang=lang, show_pii=access.require("view_analytics").show_pii
)
if by == "stage":
    parts = parts.assign(group=parts["group"].map(stage_label))
section(stacked_figure(parts, "group", t(f"defeats.by.{by}")), columns(parts), key=f"breakdown_{by}")

st.subheader(t("defeats.price"))
subs = _read(engine, version, "price_sub_reasons", f)
if subs.empty:
    st.info(t("defeats.price.none"))
else:
    shown = columns(subs)
    section(
        pareto_figure(subs, shown[t("defeats.col.sub_reason")].tolist(), t("defeats.col.sub_reason")),
        shown,
        key="price_sub_reasons",
    )


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


st.subheader(t("defeats.trend"), help=t("defeats.trend.help"))
extent = db.data_extent(engine, version)  # the data's first and last day: they can cut a month short
coverage = cd.trend_coverage(f, extent)
trend = cd.mark_trend(_read(engine, version, "monthly_trend", f), f, extent)
cut_short = coverage[coverage["partial"] & (coverage["days_covered"] > 0)]
if len(cut_short):
    st.caption(t("defeats.trend.partial", months=charts.partial_months_text(cut_short)))
trend_table = columns(trend[["month", "reason", "count"]])
trend_table[t("periods.col.coverage")] = [
    charts.coverage_text(d, n) for d, n in zip(trend["days_covered"], trend["days_in_month"], strict=True)
]
section(trend_figure(trend, coverage), trend_table, key="trend")

st.subheader(t("defeats.winback"), help=t("defeats.winback.help"))
wb = _read(engine, version, "win_back", f)
cols = st.columns(5)
for col, name in zip(
    cols, ["defeated", "reactivated", "won_back", "reactivation_rate", "win_back_rate"], strict=True
):
    value = wb[name]
    with col:
        st.metric(
            t(f"defeats.kpi.{name}"), pct(value) if name.endswith("_rate") else f"{value:,}", border=True
        )

cand = _read(
    engine,
    version,
    "reactivation_candidates",
    f,
    limit=200,
    lang=lang,
    show_pii=access.require("view_analytics").show_pii,
)
st.subheader(t("defeats.candidates", n=len(cand)), help=t("defeats.candidates.help"))
if cand.empty:
    st.info(t("defeats.candidates.none"))
else:
    shown = columns(cand)
    urls = rd.customer_urls(cand["customer_id"])  # to the customer 360 page
    show_table(shown.assign(**{t("review.col.360"): urls}), key="candidates")
    downloads(shown, key="candidates")
