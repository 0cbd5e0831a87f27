"""销售漏斗 Funnel: how far the period's leads got, by group, against the previous period, time and speed."""

import datetime as dt
import functools

import streamlit as st

from core.analytics import funnel as fu
from core.storage.models import FUNNEL_STAGES
from dashboard import drilldown, filters
from dashboard import funnel_view as fv
from dashboard.i18n import coded, language, t
from dashboard.safe_text import plain
from dashboard.table_view import table
from dashboard.widgets import select

st.title(t("funnel.title"))
engine, version, f = filters.analysis_page()
prev = f.previous()
leads = fv.period_leads(engine, version, f)
st.caption(
    t("funnel.caption", start=f.start, end=f.end, n=f"{len(leads):,}", pstart=prev.start, pend=prev.end)
)
if leads.empty:
    st.info(t("funnel.nothing"))
    st.stop()

# the funnel
st.subheader(t("funnel.section.funnel"), help=t("funnel.help"))
fig, shown, percent = fv.funnel(fu.funnel_from_leads(leads))
st.plotly_chart(fig, key="funnel_chart")
table(shown, "funnel", "funnel_table", percent)

# by group
st.subheader(t("funnel.section.breakdown"))
dimension = select(
    t("funnel.dimension"),
    fu.DIMENSIONS,
    format_func=functools.partial(coded, "funnel.dim"),
    key="funnel_dimension",
)
label_col = "label_en" if language() == "en" else "label"
groups, per_group, group_fig = fv.by_group(fv.funnel_by(engine, version, f, dimension), dimension, label_col)
clicked = st.plotly_chart(
    group_fig, key=f"breakdown_chart_{dimension}", on_select="rerun", selection_mode="points"
)
table(per_group, f"funnel_{dimension}", "breakdown_table", (t("funnel.col.order_conversion"),))

# two periods, cohorts at equal age: the previous period's leads as they stood a period's length ago
st.subheader(t("funnel.section.compare"), help=t("funnel.compare.help"))
data_last = filters.latest_day(engine)
now, then = fu.equal_age_as_of(f, data_last)
cmp = fu.equal_age_comparison(leads, fv.period_leads(engine, version, prev), f, data_last)
as_of, prev_as_of = (now - dt.timedelta(days=1)).date(), (then - dt.timedelta(days=1)).date()
st.caption(
    t(
        "funnel.compare.caption",
        start=f.start, end=f.end, as_of=as_of, pstart=prev.start, pend=min(prev.end, prev_as_of),
        pas_of=prev_as_of, days=(f.end - f.start).days + 1,
    )
)  # fmt: skip
compare = fv.comparison(cmp)
c_cur, c_prev = t("funnel.col.current"), t("funnel.col.previous_same_age")
left, right = st.columns(2)
with left:
    st.caption(t("funnel.compare.current", start=f.start, end=f.end, as_of=as_of))
    st.plotly_chart(fv.compare_funnel(compare, c_cur), key="compare_current")
with right:
    st.caption(t("funnel.compare.previous", start=prev.start, end=prev.end, as_of=prev_as_of))
    st.plotly_chart(fv.compare_funnel(compare, c_prev), key="compare_previous")
table(compare, "funnel_compare", "compare_table", tuple(compare.columns[-2:]))

# time in stage
st.subheader(t("funnel.section.durations"), help=t("funnel.durations.help"))
durations, durations_fig = fv.durations(fu.stage_durations_from_leads(leads))
st.plotly_chart(durations_fig, key="durations_chart")
table(durations, "funnel_durations", "durations_table")

# speed of first contact
st.subheader(t("funnel.section.speed"), help=t("funnel.speed.help"))
speed, speed_fig, c_rate = fv.speed(fu.first_contact_speed_from_leads(leads))
st.plotly_chart(speed_fig, key="speed_chart")
table(speed, "funnel_speed", "speed_table", (c_rate,))

# monthly cohorts
st.subheader(t("funnel.section.cohorts"), help=t("funnel.cohorts.help"))
cohort_f = fu.cohort_filters(f)
cohorts, cohort_fig, cohort_rates = fv.cohorts(
    fu.cohorts_from_leads(fv.period_leads(engine, version, cohort_f))
)
st.plotly_chart(cohort_fig, key="cohort_chart")
table(cohorts, "funnel_cohorts", "cohort_table", cohort_rates)

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
        stage=fv.stage_label(drill_stage),
        mode=t(f"funnel.drill.mode.{drill_mode}"),
        group=t("funnel.drill.all") if group_pick is None else plain(group_names[group_pick]),
    ),
    key="funnel_drill",
)
