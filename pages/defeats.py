"""战败分析 Defeat reasons: Pareto, breakdowns, price sub-reasons, monthly trend, win-back and candidates."""

from functools import partial

import streamlit as st

from core.analytics import defeats as cd
from dashboard import access, charts, db, drilldown, filters
from dashboard import defeat_view as dv
from dashboard import review_data as rd
from dashboard.i18n import coded, language, t
from dashboard.widgets import pct, select

st.title(t("defeats.title"))
engine, version, f = filters.analysis_page(demo_key="demo_defeats")
lang = language()

pareto = dv.read(engine, version, "pareto", f)
if pareto.empty:
    st.info(t("defeats.nothing"))
    st.stop()
st.caption(t("defeats.caption", start=f.start, end=f.end, n=f"{int(pareto['count'].sum()):,}"))
pending = dv.read(engine, version, "pending_requests", f)
if pending:  # requests waiting for a manager are not defeats yet: shown apart, counted nowhere
    st.info(t("defeats.pending", n=f"{pending:,}"))

st.subheader(t("defeats.pareto"), help=t("defeats.pareto.help"))
shown = dv.columns(pareto)
pareto_click = dv.section(
    dv.pareto_figure(pareto, shown[t("defeats.col.reason")].tolist(), t("defeats.col.reason")),
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
    lost = dv.read(engine, version, "defeats", f)
    lost = lost[lost["reason"] == reason].sort_values(["at", "defeat_id"], ascending=False)
    drilldown.show(
        engine,
        version,
        lost["lead_id"].astype(int).tolist(),
        title=t("defeats.drill.title", reason=dv.reason_label(reason)),
        key="defeats_drill",
    )

st.subheader(t("defeats.breakdown"))
by = select(
    t("defeats.breakdown.by"), list(cd.BREAKDOWNS), format_func=partial(coded, "defeats.by"), key="by"
)
parts = dv.read(
    engine, version, "breakdown", f, by=by, lang=lang, show_pii=access.require("view_analytics").show_pii
)
if by == "stage":
    parts = parts.assign(group=parts["group"].map(dv.stage_label))
dv.section(dv.stacked_figure(parts, "group", t(f"defeats.by.{by}")), dv.columns(parts), key=f"breakdown_{by}")

st.subheader(t("defeats.price"))
subs = dv.read(engine, version, "price_sub_reasons", f)
if subs.empty:
    st.info(t("defeats.price.none"))
else:
    shown = dv.columns(subs)
    dv.section(
        dv.pareto_figure(subs, shown[t("defeats.col.sub_reason")].tolist(), t("defeats.col.sub_reason")),
        shown,
        key="price_sub_reasons",
    )


st.subheader(t("defeats.trend"), help=t("defeats.trend.help"))
extent = db.data_extent(engine, version)  # the data's first and last day: they can cut a month short
coverage = cd.trend_coverage(f, extent)
trend = cd.mark_trend(dv.read(engine, version, "monthly_trend", f), f, extent)
cut_short = coverage[coverage["partial"] & (coverage["days_covered"] > 0)]
if len(cut_short):
    st.caption(t("defeats.trend.partial", months=charts.partial_months_text(cut_short)))
dv.section(dv.trend_figure(trend, coverage), dv.trend_table(trend), key="trend")

# the months brushed on the bars filter the reasons beside them: the Pareto's own function over those months
st.subheader(t("defeats.brush"), help=t("defeats.brush.help"))
left, right = st.columns([3, 2])
with left:
    brush = st.altair_chart(dv.brush_chart(trend, lang), key=dv.brush_key(f, lang), on_select="rerun")
window, brushed = dv.brushed_filters(brush, coverage, f)
in_window = dv.read(engine, version, "pareto", window)
with right:
    n = f"{int(in_window['count'].sum()):,}"
    st.caption(
        t("defeats.brush.months" if brushed else "defeats.brush.all", start=window.start, end=window.end, n=n)
    )
    st.altair_chart(dv.reasons_chart(in_window), key="defeats_brushed_reasons")

st.subheader(t("defeats.winback"), help=t("defeats.winback.help"))
wb = dv.read(engine, version, "win_back", f)
cols = st.columns(5)
for col, name in zip(
    cols, ["defeated", "reactivated", "won_back", "reactivation_rate", "win_back_rate"], strict=True
):
    value = wb[name]
    with col:
        st.metric(
            t(f"defeats.kpi.{name}"), pct(value) if name.endswith("_rate") else f"{value:,}", border=True
        )

cand = dv.read(
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
    shown = dv.columns(cand)
    urls = rd.customer_urls(cand["customer_id"])  # to the customer 360 page
    dv.show_table(shown.assign(**{t("review.col.360"): urls}), key="candidates")
    dv.downloads(shown, key="candidates")
