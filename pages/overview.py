"""总览 Overview: the morning figures with the change against the previous period, and the customers behind
each figure."""

from functools import partial

import streamlit as st

from dashboard import db, drilldown, filters
from dashboard import facts as data_facts
from dashboard import review_data as rd
from dashboard.charts import tier_bar
from dashboard.i18n import t
from dashboard.widgets import label_of, metric, pct, select, tier_label

st.title(t("overview.title"))
engine, version, f = filters.analysis_page()
prev = f.previous()
st.caption(t("overview.caption", start=f.start, end=f.end, pstart=prev.start, pend=prev.end))
latest = filters.latest_day(engine)
data = data_facts.overview(engine, version, f, latest)
cur, old = data["current"], data["previous"]
tiers, tiers_prev = data["tiers"], data["tiers_previous"]

if cur["leads"] == 0 and int(tiers["customers"].sum()) == 0:
    st.info(t("overview.nothing"))
    st.stop()

c1, c2, c3, c4, c5 = st.columns(5)
with c1:
    metric(t("kpi.leads"), cur["leads"], old["leads"], fmt=lambda v: f"{v:,}", help=t("kpi.leads.help"))
with c2:
    metric(t("kpi.conversion"), cur["conversion"], old["conversion"], fmt=pct, help=t("kpi.conversion.help"))
with c3:
    metric(
        t("kpi.defeat_rate"),
        cur["defeat_rate"],
        old["defeat_rate"],
        fmt=pct,
        help=t("kpi.defeat_rate.help"),
        lower_is_better=True,
    )
with c4:
    metric(
        t("kpi.overdue"),
        cur["overdue"],
        old["overdue"],
        fmt=lambda v: f"{v:,}",
        help=t("kpi.overdue.help"),
        lower_is_better=True,
    )
with c5:
    metric(
        t("kpi.customers_tiered"),
        int(tiers["customers"].sum()),
        int(tiers_prev["customers"].sum()) or None,  # nothing tiered then: no change to show
        fmt=lambda v: f"{v:,}",
        help=t("overview.tiers"),
    )

st.subheader(t("overview.tiers"))
scheme = db.published_scheme(engine, version)
tier_click = None
if scheme is None:
    st.info(t("overview.tiers.none"))
else:
    st.caption(t("overview.tiers.scheme", name=rd.plain(scheme["name"]), version=scheme["version"]))
    shown = tiers.assign(tier=tiers["tier"].map(tier_label))
    if int(tiers_prev["customers"].sum()):
        shown["previous"] = (
            tiers_prev.set_index("tier")["customers"].reindex(tiers["tier"]).fillna(0).astype(int).to_numpy()
        )
        shown["change"] = shown["customers"] - shown["previous"]
    left, right = st.columns([1, 1])
    with left:
        tier_click = st.plotly_chart(
            tier_bar(
                shown,
                label_col="tier",
                value_col="customers",
                x_title=t("col.tier"),
                y_title=t("col.customers"),
            ),
            key="tier_chart",
            on_select="rerun",
            selection_mode="points",
        )
    with right:
        st.dataframe(
            shown.rename(
                columns={
                    "tier": t("col.tier"),
                    "customers": t("col.customers"),
                    "share": t("col.share"),
                    "previous": t("col.previous"),
                    "change": t("col.change"),
                }
            ),
            hide_index=True,
            column_config={t("col.share"): st.column_config.NumberColumn(format="percent")},
            key="tier_table",
        )
        if "previous" not in shown:
            st.caption(t("kpi.no_previous"))

# the customers behind a figure: choose it, or click a tier's bar
st.subheader(t("overview.drill"), help=t("overview.drill.help"))
names = {
    "leads": t("kpi.leads"),
    "orders": t("overview.fig.orders"),
    "delivered": t("overview.fig.delivered"),
    "defeated": t("overview.fig.defeated"),
    "overdue": t("kpi.overdue"),
}
counts = {k: int(cur[k]) for k in names}
tier_labels = tiers["tier"].tolist()  # empty without a published scheme
for label, n in zip(tier_labels, tiers["customers"], strict=True):
    names[f"tier:{label}"] = t("overview.fig.tier", tier=tier_label(label))  # an option: text, not Markdown
    counts[f"tier:{label}"] = int(n)
point = drilldown.clicked_point(tier_click)
if point is not None and point < len(tier_labels) and point != st.session_state.get("overview_drill_point"):
    st.session_state["overview_drill"] = f"tier:{tier_labels[point]}"  # a new click chooses that tier
st.session_state["overview_drill_point"] = point
options = {k: t("overview.drill.option", figure=names[k], n=f"{counts[k]:,}") for k in names}
choice = select(
    t("overview.drill.figure"), list(options), format_func=partial(label_of, options), key="overview_drill"
)
figure, _, tier = choice.partition(":")
ids = data_facts.overview_ids(engine, f, latest, figure, tier or None)
show = drilldown.show_customers if figure == "tier" else drilldown.show
show(
    engine,
    version,
    ids,
    title=t("overview.drill.title", figure=rd.plain(names[choice]), start=f.start, end=f.end),
    key="overview_drill",
)
