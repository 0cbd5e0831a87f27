"""跟踪纪律 Follow-up discipline: compliance per advisor and store, the weekly trend, overdue leads and the
public-pool flags, as of the end of the data's last day. An advisor (staff) sees their own figures and an
unnamed team average only, never a colleague's name or rate."""

import datetime as dt
from functools import partial

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.analytics.followup import FOLLOW_UP_DAYS
from dashboard import access, db
from dashboard import review_data as rd
from dashboard.charts import FONT, day_axis
from dashboard.i18n import coded, t
from dashboard.safe_text import chart_figure
from dashboard.widgets import pct

WEEKS = 12
LINK = st.column_config.LinkColumn

st.title(t("fu.title"))
user = access.require("follow_up")
own = not user.can("all_customers")  # staff: their own figures, the team only as an unnamed average
engine = db.get_engine()
version = db.data_version(engine)
pii = rd.show_pii()
if not db.customer_count(engine, version):
    st.info(t("review.empty_db"))
    st.stop()
at = rd.data_now(engine, version)
last_day = (at - dt.timedelta(days=1)).date()
st.caption(
    t("fu.caption", day=last_day, cadence="，".join(f"{g} {d}" for g, d in FOLLOW_UP_DAYS.items())),
    help=t("fu.help"),
)

figures = rd.followup_read(
    engine,
    version,
    "summary",
    at=at,
    last_day=last_day,
    weeks=WEEKS,
    show_pii=pii,
    advisor_id=user.advisor_id,
    own_only=own,
)
states, flags = figures["states"], figures["pool"]
n, overdue = len(states), int(states["overdue"].sum())
c = st.columns(4)
c[0].metric(t("fu.kpi.rate"), pct((n - overdue) / n if n else None), border=True, help=t("fu.kpi.rate.help"))
c[1].metric(t("fu.kpi.overdue"), f"{overdue:,}", border=True)
c[2].metric(t("fu.kpi.uncontacted_2h"), f"{int((flags['flag'] == 'uncontacted_2h').sum()):,}", border=True,
            help=t("fu.flag.uncontacted_2h.help"))  # fmt: skip
c[3].metric(t("fu.kpi.a_48h"), f"{int((flags['flag'] == 'a_48h').sum()):,}", border=True,
            help=t("fu.flag.a_48h.help"))  # fmt: skip


def rate_table(frame: pd.DataFrame, *, advisor: bool) -> pd.DataFrame:
    out = {t("fu.col.name"): frame["name"].fillna("—")}
    if advisor:
        out[t("col.store")] = frame["store"].fillna("—")
    out.update(
        {
            t("fu.col.leads"): frame["leads"],
            t("fu.col.overdue"): frame["overdue"],
            t("fu.col.rate"): frame["rate"],
        }
    )
    return pd.DataFrame(out)


percent = {t("fu.col.rate"): st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1)}
if own:
    team = figures["team"].iloc[0]
    st.caption(t("fu.team_average", rate=pct(team["rate"]), leads=f"{int(team['leads']):,}"))
else:
    left, right = st.columns(2)
    with left:
        st.subheader(t("fu.by_advisor"))
        adv = figures["by_advisor"]
        st.dataframe(rate_table(adv, advisor=True), hide_index=True, column_config=percent, key="fu_advisors")
    with right:
        st.subheader(t("fu.by_store"))
        sto = figures["by_store"]
        st.dataframe(rate_table(sto, advisor=False), hide_index=True, column_config=percent, key="fu_stores")

st.subheader(t("fu.trend"), help=t("fu.trend.help"))
overall = figures["trend_all"]
fig = go.Figure()
if own:
    mine = figures["trend_own"]
    fig.add_trace(go.Scatter(x=mine["week_end"], y=mine["rate"], mode="lines+markers", name=t("fu.mine")))
else:
    stores = db.reference(engine, version)["stores"].set_index("id")["name"]
    for store_id, part in figures["trend_store"].groupby("store_id", sort=True):
        fig.add_trace(
            go.Scatter(x=part["week_end"], y=part["rate"], mode="lines+markers", name=stores.get(store_id))
        )
fig.add_trace(
    go.Scatter(
        x=overall["week_end"],
        y=overall["rate"],
        mode="lines",
        name=t("fu.team") if own else t("fu.all"),
        line=dict(dash="dot"),
    )
)
fig.update_layout(
    font_family=FONT,
    height=340,
    margin=dict(l=10, r=10, t=30, b=10),
    yaxis=dict(tickformat=".0%", range=[0, 1.05], title=t("fu.col.rate")),
    xaxis_title=t("fu.week_end"),
    legend=dict(orientation="h", y=1.12),
)
st.plotly_chart(chart_figure(day_axis(fig)), key="fu_trend")  # dates written in the page's language

st.subheader(t("fu.overdue"))
late = figures["overdue"]
if late.empty:
    st.info(t("fu.overdue.none"))
else:
    g1, g2 = st.columns(2)
    with g1:
        who = st.multiselect(
            t("col.advisor"),
            options=sorted(late["advisor"].fillna("—").unique().tolist()),
            placeholder=t("filters.all"),
            key="fu_advisor",
        )
    with g2:
        grades = st.multiselect(
            t("fu.grade"), options=list(FOLLOW_UP_DAYS), placeholder=t("filters.all"), key="fu_grades"
        )
    shown = late[late["grade"].isin(grades)] if grades else late
    shown = shown[shown["advisor"].fillna("—").isin(who)] if who else shown
    st.dataframe(
        pd.DataFrame(
            {
                t("col.advisor"): shown["advisor"].fillna("—"),
                t("col.store"): shown["store"].fillna("—"),
                t("fu.col.lead"): shown["lead_id"],
                t("col.customer_id"): shown["customer_id"],
                t("fu.grade"): shown["grade"],
                t("fu.col.last"): shown["last_contact"].map(
                    lambda x: t("fu.never") if pd.isna(x) else f"{x:%Y-%m-%d %H:%M}"
                ),
                t("fu.col.days"): [f"{x:.1f}" if pd.notna(x) else "" for x in shown["days_since"]],
                t("fu.col.cadence"): shown["cadence_days"],
                t("review.col.360"): rd.customer_urls(shown["customer_id"]),
            }
        ),
        hide_index=True,
        key="fu_overdue",
        column_config={t("review.col.360"): LINK(display_text=t("review.open_360"))},
    )

st.subheader(t("fu.pool"), help=t("fu.pool.help"))
if flags.empty:
    st.info(t("fu.pool.none"))
else:
    st.dataframe(
        pd.DataFrame(
            {
                t("fu.col.flag"): flags["flag"].map(partial(coded, "fu.flag")),
                t("fu.col.lead"): flags["lead_id"],
                t("col.customer_id"): flags["customer_id"],
                t("fu.grade"): flags["grade"],
                t("fu.col.created"): flags["created_at"].map(lambda x: f"{x:%Y-%m-%d %H:%M}"),
                t("fu.col.hours"): flags["hours"],
                t("review.col.360"): rd.customer_urls(flags["customer_id"]),
            }
        ),
        hide_index=True,
        key="fu_pool",
        column_config={t("review.col.360"): LINK(display_text=t("review.open_360"))},
    )

st.subheader(t("fu.delivery"), help=t("fu.delivery.help"))
care = rd.followup_read(engine, version, "delivery_care", start=at - dt.timedelta(days=90), end=at)
care = rd.own_only(care) if own else care
if care.empty:
    st.info(t("fu.delivery.none"))
else:
    d = st.columns(3)
    d[0].metric(t("fu.delivery.n"), f"{len(care):,}", border=True)
    d[1].metric(t("fu.delivery.2h"), pct(float(care["call_2h"].mean())), border=True)
    d[2].metric(t("fu.delivery.7d"), pct(float(care["call_7d"].mean())), border=True)
