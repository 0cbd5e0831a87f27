"""分级结果 Tier assignments: the scheme in force, tiers by region, and the customers of a tier."""

import streamlit as st

from dashboard import access, db, filters, tier_shares_view
from dashboard import facts as data_facts
from dashboard import review_data as rd
from dashboard.charts import FONT, tier_colour_map
from dashboard.i18n import language, t
from dashboard.safe_text import chart_figure
from dashboard.widgets import select, tier_label

st.title(t("tiers.title"))
engine, version, f = filters.analysis_page(demo_key="demo_tiers")
scheme = db.published_scheme(engine, version)
if scheme is None:
    st.info(t("overview.tiers.none"))
    st.stop()
st.caption(t("overview.tiers.scheme", name=rd.plain(scheme["name"]), version=scheme["version"]))
labels = list(scheme["params"].get("labels", []))

shares = db.tier_shares(engine, version)
if shares is not None and shares["customers"].sum():
    st.subheader(t("shares.title"), help=t("shares.help"))
    st.caption(t("shares.scope", n=f"{int(shares['customers'].sum()):,}"))
    tier_shares_view.show(shares, key="shares_table")

by_region = data_facts.tiers_by_region(engine, version, f)
if by_region.empty:
    st.info(t("overview.nothing"))
    st.stop()

st.subheader(t("tiers.by_region"))
region_col = "region_en" if language() == "en" else "region"
table = by_region.pivot_table(
    index=region_col, columns="tier", values="customers", aggfunc="sum", fill_value=0, sort=False
)
table = table.reindex(
    columns=[x for x in labels if x in table.columns] + [c for c in table.columns if c not in labels]
)
colours = tier_colour_map(list(table.columns))
import plotly.graph_objects as go  # noqa: E402

fig = go.Figure(
    [
        go.Bar(
            name=tier_label(tier), x=table.index.tolist(), y=table[tier].tolist(), marker_color=colours[tier]
        )
        for tier in table.columns
    ]
)
fig.update_layout(
    font_family=FONT,
    barmode="stack",
    height=360,
    margin=dict(l=10, r=10, t=30, b=10),
    xaxis_title=t("col.region"),
    yaxis_title=t("col.customers"),
)
st.plotly_chart(chart_figure(fig), key="region_chart")
shown = table.rename(columns=tier_label)
shown.index.name = t("col.region")
st.dataframe(shown, key="region_table")

pick = select(t("tiers.pick"), labels, format_func=tier_label, key="tier_pick")
members = data_facts.tier_members(engine, version, f, pick, access.require("view_analytics").show_pii)
st.subheader(t("tiers.list", n=len(members)))
st.dataframe(
    members.assign(
        tier=members["tier"].map(tier_label),
        c360=rd.customer_urls(members["customer_id"]),  # to the customer 360 page
    ).rename(
        columns={
            "customer_id": t("col.customer_id"),
            "name": t("col.name"),
            "phone": t("col.phone"),
            "region": t("col.region"),
            "store": t("col.store"),
            "tier": t("col.tier"),
            "score": t("col.score"),
            "since": t("col.since"),
            "c360": t("review.col.360"),
        }
    ),
    hide_index=True,
    column_config={
        t("col.score"): st.column_config.NumberColumn(format="%.1f"),
        t("review.col.360"): st.column_config.LinkColumn(display_text=t("review.open_360")),
    },
    key="members_table",
)
