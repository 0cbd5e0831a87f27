"""The charts and tables of 销售漏斗 Funnel, built from :mod:`core.analytics.funnel` frames (Plotly: funnels and
heatmaps are where it is the better tool), and the period's leads read once per data version."""

from __future__ import annotations

import functools

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from sqlalchemy.engine import Engine

from core.analytics import funnel as fu
from core.analytics.overview import Filters
from core.storage.models import FUNNEL_STAGES
from dashboard import charts
from dashboard import facts as data_facts
from dashboard.charts import FONT
from dashboard.i18n import coded, t
from dashboard.safe_text import chart_figure


@st.cache_data(show_spinner=False, ttl=600)
def period_leads(_engine: Engine, version: str, f: Filters) -> pd.DataFrame:
    return data_facts.leads(_engine, f)  # from the in-memory facts, equal to fu.period_leads


@st.cache_data(show_spinner=False, ttl=600)
def funnel_by(_engine: Engine, version: str, f: Filters, dimension: str) -> pd.DataFrame:
    leads = period_leads(_engine, version, f)
    with _engine.connect() as conn:
        return fu.funnel_by_from_leads(conn, leads, dimension)


def stage_label(stage: str) -> str:
    return t(f"funnel.stage.{stage}")


def layout(fig: go.Figure, height: int = 380) -> go.Figure:
    fig.update_layout(font_family=FONT, margin=dict(l=10, r=10, t=30, b=10), height=height)
    return chart_figure(fig)  # group labels are store, channel, advisor names: text, not HTML


def funnel(fn: pd.DataFrame) -> tuple[go.Figure, pd.DataFrame, tuple[str, ...]]:
    """The period's funnel (counts, step conversion in the label), its table and the table's percent columns."""
    c_stage, c_count = t("funnel.col.stage"), t("funnel.col.count")
    c_step, c_all = t("funnel.col.step_conversion"), t("funnel.col.overall_conversion")
    shown = pd.DataFrame(
        {
            c_stage: fn["stage"].map(stage_label),
            c_count: fn["count"],
            c_step: fn["step_conversion"],
            c_all: fn["overall_conversion"],
            t("funnel.col.drop_off"): fn["drop_off"],
        }
    )
    text = [
        f"{n:,}" + ("" if pd.isna(s) else f" ({s:.1%})")
        for n, s in zip(fn["count"], fn["step_conversion"], strict=True)
    ]
    fig = layout(go.Figure(go.Funnel(y=shown[c_stage], x=fn["count"], text=text, textinfo="text")))
    return fig, shown, (c_step, c_all)


def by_group(
    by: pd.DataFrame, dimension: str, label_col: str
) -> tuple[pd.DataFrame, pd.DataFrame, go.Figure]:
    """Per group of ``dimension``: the groups (code and shown label), the table of counts per stage with the
    order conversion, and the conversion's bar chart."""
    by = by.assign(shown_label=by[label_col].where(by["group"].notna(), t("funnel.missing")))
    groups = by.drop_duplicates("group")[["group", "shown_label"]]
    c_group, c_conv = t("funnel.col.group"), t("funnel.col.order_conversion")
    per_group = pd.DataFrame({c_group: groups["shown_label"].to_numpy()})
    for stage in FUNNEL_STAGES:
        per_group[stage_label(stage)] = by.loc[by["stage"] == stage, "count"].astype(int).to_numpy()
    per_group[c_conv] = per_group[stage_label("order")] / per_group[stage_label("lead")]
    fig = (
        layout(
            go.Figure(
                go.Bar(x=per_group[c_group], y=per_group[c_conv], text=per_group[c_conv].map("{:.1%}".format))
            )
        )
        .update_yaxes(tickformat=".0%", title=c_conv)
        .update_xaxes(title=t(f"funnel.dim.{dimension}"))
    )
    return groups, per_group, fig


def comparison(cmp: pd.DataFrame) -> pd.DataFrame:
    """The two periods at equal age, stage by stage."""
    return pd.DataFrame(
        {
            t("funnel.col.stage"): cmp["stage"].map(stage_label),
            t("funnel.col.current"): cmp["count"],
            t("funnel.col.previous_same_age"): cmp["previous_count"],
            t("funnel.col.current_conversion"): cmp["step_conversion"],
            t("funnel.col.previous_same_age_conversion"): cmp["previous_step_conversion"],
        }
    )


def compare_funnel(compare: pd.DataFrame, column: str) -> go.Figure:
    return layout(
        go.Figure(
            go.Funnel(y=compare[t("funnel.col.stage")], x=compare[column], textinfo="value+percent previous")
        )
    )


def durations(dur: pd.DataFrame) -> tuple[pd.DataFrame, go.Figure]:
    """Median days from one stage to the next, as a table and a bar chart."""
    c_to, c_days = t("funnel.col.to_stage"), t("funnel.col.median_days")
    shown = pd.DataFrame(
        {
            t("funnel.col.from_stage"): dur["from_stage"].map(stage_label),
            c_to: dur["stage"].map(stage_label),
            t("funnel.col.leads"): dur["leads"],
            c_days: dur["median_days"].round(2),
        }
    )
    fig = layout(go.Figure(go.Bar(x=shown[c_to], y=shown[c_days], text=shown[c_days])), 320)
    return shown, fig.update_yaxes(title=c_days)


def speed(sp: pd.DataFrame) -> tuple[pd.DataFrame, go.Figure, str]:
    """Conversion by the speed of the first contact: table, bar chart and the rate's column."""
    c_bucket, c_rate = t("funnel.col.bucket"), t("funnel.col.conversion")
    shown = pd.DataFrame(
        {
            c_bucket: sp["bucket"].map(functools.partial(coded, "funnel.speed")),
            t("funnel.col.leads"): sp["leads"],
            t("funnel.col.orders"): sp["orders"],
            c_rate: sp["conversion"],
        }
    )
    text = [("—" if pd.isna(v) else f"{v:.1%}") for v in shown[c_rate]]
    fig = layout(go.Figure(go.Bar(x=shown[c_bucket], y=shown[c_rate], text=text)), 320)
    return shown, fig.update_yaxes(tickformat=".0%", title=c_rate), c_rate


def cohorts(co: pd.DataFrame) -> tuple[pd.DataFrame, go.Figure, tuple[str, ...]]:
    """Monthly cohorts: step conversion per stage as a table and a heatmap, and the table's percent columns."""
    months = list(dict.fromkeys(co["month"]))
    step = co.pivot(index="month", columns="stage_index", values="step_conversion").reindex(months)
    counts = co.pivot(index="month", columns="stage_index", values="count").reindex(months)
    stages = [stage_label(s) for s in FUNNEL_STAGES]
    shown = pd.DataFrame({t("funnel.col.month"): [m.strftime("%Y-%m") for m in months]})
    shown[t("funnel.col.leads")] = counts[0].astype(int).to_numpy()
    for i, name in enumerate(stages[1:], start=1):
        shown[name] = step[i].to_numpy(float)
    heat_text = [
        [
            f"{int(counts.iloc[r, i]):,}" + ("" if pd.isna(step.iloc[r, i]) else f"<br>{step.iloc[r, i]:.0%}")
            for i in range(1, len(FUNNEL_STAGES))
        ]
        for r in range(len(months))
    ]
    fig = layout(
        go.Figure(
            go.Heatmap(
                z=step.iloc[:, 1:].to_numpy(float),
                x=stages[1:],
                y=[charts.month_label(m) for m in months],
                text=heat_text,
                texttemplate="%{text}",
                colorscale="Blues",
                zmin=0,
                zmax=1,
                colorbar=dict(tickformat=".0%"),
                hovertemplate="%{y} · %{x}: %{z:.1%}<extra></extra>",
            )
        ),
        max(320, 40 * len(months) + 80),
    ).update_yaxes(autorange="reversed", type="category")
    return shown, fig, tuple(stages[1:])
