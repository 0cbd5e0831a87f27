"""销售漏斗 Funnel: how far the period's leads got, by group, against the previous period, time and speed."""

import datetime as dt
import functools

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from sqlalchemy.engine import Engine

from core.analytics import funnel as fu
from core.analytics.overview import Filters
from core.storage.models import FUNNEL_STAGES
from dashboard import charts, drilldown, filters
from dashboard import facts as data_facts
from dashboard.charts import FONT
from dashboard.i18n import coded, language, t
from dashboard.safe_text import chart_figure, plain
from dashboard.table_view import table
from dashboard.widgets import select


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


st.title(t("funnel.title"))
engine, version, f = filters.analysis_page()
prev = f.previous()
leads = period_leads(engine, version, f)
st.caption(
    t("funnel.caption", start=f.start, end=f.end, n=f"{len(leads):,}", pstart=prev.start, pend=prev.end)
)
if leads.empty:
    st.info(t("funnel.nothing"))
    st.stop()

# the funnel
st.subheader(t("funnel.section.funnel"), help=t("funnel.help"))
fn = fu.funnel_from_leads(leads)
c_stage, c_count = t("funnel.col.stage"), t("funnel.col.count")
c_step, c_all, c_drop = (
    t("funnel.col.step_conversion"),
    t("funnel.col.overall_conversion"),
    t("funnel.col.drop_off"),
)
shown = pd.DataFrame(
    {
        c_stage: fn["stage"].map(stage_label),
        c_count: fn["count"],
        c_step: fn["step_conversion"],
        c_all: fn["overall_conversion"],
        c_drop: fn["drop_off"],
    }
)
text = [
    f"{n:,}" + ("" if pd.isna(s) else f" ({s:.1%})")
    for n, s in zip(fn["count"], fn["step_conversion"], strict=True)
]
st.plotly_chart(
    layout(go.Figure(go.Funnel(y=shown[c_stage], x=fn["count"], text=text, textinfo="text"))),
    key="funnel_chart",
)
table(shown, "funnel", "funnel_table", (c_step, c_all))

# by group
st.subheader(t("funnel.section.breakdown"))
dimension = select(
    t("funnel.dimension"),
    fu.DIMENSIONS,
    format_func=functools.partial(coded, "funnel.dim"),
    key="funnel_dimension",
)
by = funnel_by(engine, version, f, dimension)
label_col = "label_en" if language() == "en" else "label"
by = by.assign(shown_label=by[label_col].where(by["group"].notna(), t("funnel.missing")))
groups = by.drop_duplicates("group")[["group", "shown_label"]]
c_group, c_leads, c_orders, c_conv = (
    t("funnel.col.group"),
    t("funnel.col.leads"),
    t("funnel.col.orders"),
    t("funnel.col.order_conversion"),
)
per_group = pd.DataFrame({c_group: groups["shown_label"].to_numpy()})
for stage in FUNNEL_STAGES:
    per_group[stage_label(stage)] = by.loc[by["stage"] == stage, "count"].astype(int).to_numpy()
per_group[c_conv] = per_group[stage_label("order")] / per_group[stage_label("lead")]
clicked = st.plotly_chart(
    layout(
        go.Figure(
            go.Bar(x=per_group[c_group], y=per_group[c_conv], text=per_group[c_conv].map("{:.1%}".format))
        )
    )
    .update_yaxes(tickformat=".0%", title=c_conv)
    .update_xaxes(title=t(f"funnel.dim.{dimension}")),
    key=f"breakdown_chart_{dimension}",
    on_select="rerun",
    selection_mode="points",
)
table(per_group, f"funnel_{dimension}", "breakdown_table", (c_conv,))

# two periods, cohorts at equal age: the previous period's leads as they stood a period's length ago
st.subheader(t("funnel.section.compare"), help=t("funnel.compare.help"))
data_last = filters.latest_day(engine)
now, then = fu.equal_age_as_of(f, data_last)
cmp = fu.equal_age_comparison(leads, period_leads(engine, version, prev), f, data_last)
as_of, prev_as_of = (now - dt.timedelta(days=1)).date(), (then - dt.timedelta(days=1)).date()
st.caption(
    t(
        "funnel.compare.caption",
        start=f.start, end=f.end, as_of=as_of, pstart=prev.start, pend=min(prev.end, prev_as_of),
        pas_of=prev_as_of, days=(f.end - f.start).days + 1,
    )
)  # fmt: skip
c_cur, c_prev = t("funnel.col.current"), t("funnel.col.previous_same_age")
c_cur_conv, c_prev_conv = t("funnel.col.current_conversion"), t("funnel.col.previous_same_age_conversion")
compare = pd.DataFrame(
    {
        c_stage: cmp["stage"].map(stage_label),
        c_cur: cmp["count"],
        c_prev: cmp["previous_count"],
        c_cur_conv: cmp["step_conversion"],
        c_prev_conv: cmp["previous_step_conversion"],
    }
)
left, right = st.columns(2)
with left:
    st.caption(t("funnel.compare.current", start=f.start, end=f.end, as_of=as_of))
    st.plotly_chart(
        layout(go.Figure(go.Funnel(y=compare[c_stage], x=compare[c_cur], textinfo="value+percent previous"))),
        key="compare_current",
    )
with right:
    st.caption(t("funnel.compare.previous", start=prev.start, end=prev.end, as_of=prev_as_of))
    st.plotly_chart(
        layout(
            go.Figure(go.Funnel(y=compare[c_stage], x=compare[c_prev], textinfo="value+percent previous"))
        ),
        key="compare_previous",
    )
table(compare, "funnel_compare", "compare_table", (c_cur_conv, c_prev_conv))

# time in stage
st.subheader(t("funnel.section.durations"), help=t("funnel.durations.help"))
dur = fu.stage_durations_from_leads(leads)
c_from, c_to, c_days = t("funnel.col.from_stage"), t("funnel.col.to_stage"), t("funnel.col.median_days")
durations = pd.DataFrame(
    {
        c_from: dur["from_stage"].map(stage_label),
        c_to: dur["stage"].map(stage_label),
        c_leads: dur["leads"],
        c_days: dur["median_days"].round(2),
    }
)
st.plotly_chart(
    layout(
        go.Figure(go.Bar(x=durations[c_to], y=durations[c_days], text=durations[c_days])), 320
    ).update_yaxes(title=c_days),
    key="durations_chart",
)
table(durations, "funnel_durations", "durations_table")

# speed of first contact
st.subheader(t("funnel.section.speed"), help=t("funnel.speed.help"))
sp = fu.first_contact_speed_from_leads(leads)
c_bucket, c_rate = t("funnel.col.bucket"), t("funnel.col.conversion")
speed = pd.DataFrame(
    {
        c_bucket: sp["bucket"].map(functools.partial(coded, "funnel.speed")),
        c_leads: sp["leads"],
        c_orders: sp["orders"],
        c_rate: sp["conversion"],
    }
)
st.plotly_chart(
    layout(
        go.Figure(
            go.Bar(
                x=speed[c_bucket],
                y=speed[c_rate],
                text=[("—" if pd.isna(v) else f"{v:.1%}") for v in speed[c_rate]],
            )
        ),
        320,
    ).update_yaxes(tickformat=".0%", title=c_rate),
    key="speed_chart",
)
table(speed, "funnel_speed", "speed_table", (c_rate,))

# monthly cohorts
st.subheader(t("funnel.section.cohorts"), help=t("funnel.cohorts.help"))
cohort_f = fu.cohort_filters(f)
co = fu.cohorts_from_leads(period_leads(engine, version, cohort_f))
c_month = t("funnel.col.month")
months = list(dict.fromkeys(co["month"]))
step = co.pivot(index="month", columns="stage_index", values="step_conversion").reindex(months)
counts = co.pivot(index="month", columns="stage_index", values="count").reindex(months)
stages = [stage_label(s) for s in FUNNEL_STAGES]
cohorts = pd.DataFrame({c_month: [m.strftime("%Y-%m") for m in months]})
cohorts[c_leads] = counts[0].astype(int).to_numpy()
for i, name in enumerate(stages[1:], start=1):
    cohorts[name] = step[i].to_numpy(float)
heat_text = [
    [
        f"{int(counts.iloc[r, i]):,}" + ("" if pd.isna(step.iloc[r, i]) else f"<br>{step.iloc[r, i]:.0%}")
        for i in range(1, len(FUNNEL_STAGES))
    ]
    for r in range(len(months))
]
st.plotly_chart(
    layout(
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
    ).update_yaxes(autorange="reversed", type="category"),
    key="cohort_chart",
)
table(cohorts, "funnel_cohorts", "cohort_table", tuple(stages[1:]))

# the customers behind a figure
st.subheader(t("funnel.section.drill"), help=t("funnel.drill.help"))
d1, d2, d3 = st.columns(3)
with d1:
    drill_stage = select(
        t("funnel.drill.stage"),
        FUNNEL_STAGES,
        format_func=functools.partial(coded, "funnel.stage"),
        key="funnel_drill_stage",
        index=6,
    )
with d2:
    drill_mode = select(
        t("funnel.drill.mode"),
        ("reached", "stopped"),
        format_func=functools.partial(coded, "funnel.drill.mode"),
        key="funnel_drill_mode",
    )
point = drilldown.clicked_point(clicked)
group_options = [None, *range(len(groups))]
group_key = f"funnel_drill_group_{dimension}"
if point is not None and point != st.session_state.get(f"{group_key}_point"):
    st.session_state[group_key] = point  # a new click on the chart chooses the group
st.session_state[f"{group_key}_point"] = point
group_names = groups["shown_label"].tolist()
with d3:
    group_pick = select(
        t("funnel.drill.group") + f" · {t(f'funnel.dim.{dimension}')}",
        group_options,
        format_func=functools.partial(drilldown.option_label, group_names, t("funnel.drill.all")),
        key=group_key,
    )
kwargs = {} if group_pick is None else {"dimension": dimension, "group": groups["group"].iloc[group_pick]}
ids = fu.segment_lead_ids(leads, stage=drill_stage, stopped=drill_mode == "stopped", **kwargs)
drilldown.show(
    engine,
    version,
    ids,
    title=t(
        "funnel.drill.title",
        stage=stage_label(drill_stage),
        mode=t(f"funnel.drill.mode.{drill_mode}"),
        group=t("funnel.drill.all") if group_pick is None else plain(group_names[group_pick]),
    ),
    key="funnel_drill",
)
