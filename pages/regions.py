"""区域分级分布 Tiers by region: year over year with shares and concentration, migration, and who is behind it."""

import dataclasses
import functools

import streamlit as st

from core.analytics import tier_report as tr
from dashboard import access, charts_altair, db, filters
from dashboard import analysis_data as data
from dashboard import facts as dfacts
from dashboard import region_view as rv
from dashboard.analysis_views import (
    altair_and_table,
    apply_click,
    chart_and_table,
    customer_list,
    lang_key,
    tier_colours,
)
from dashboard.analysis_views import tier_name as tname
from dashboard.i18n import coded, language, t
from dashboard.safe_text import plain

DRILL_LIMIT = 500
SIDES = ("now", "before")

st.title(t("regions.title"))
engine, version, f = filters.analysis_page(demo_key="demo_regions")
viewer = access.require("view_analytics")  # personal data as the role may see it
en = language() == "en"
scheme = db.published_scheme(engine, version)
labels = list(scheme["params"].get("labels", [])) if scheme else []
before_day = tr.year_before(f.end)
now = dfacts.tiers_at(engine, f, f.end_dt)
before = dfacts.tiers_at(engine, f, tr.end_of_day(before_day))
side_label = {"now": t("regions.side.now", day=f.end), "before": t("regions.side.before", day=before_day)}
st.caption(t("regions.caption", end=f.end, before=before_day))
if now.empty and before.empty:
    st.info(t("regions.nothing"))
    st.stop()

owner_schemes = [labels, *data.published_versions(engine, version, "owners")["labels"]]
# the published scheme's tiers first, then those of earlier versions (newest first) that still occur
found = set(now["tier"].unique()) | set(before["tier"].unique())
order = [x for x in dict.fromkeys(x for s in owner_schemes for x in s) if x in labels or x in found]
yoy = tr.region_tiers_from_frames(now, before, data.regions(engine, version), order)
tiers = tr.tier_order(order, now, before)
colours = tier_colours(tiers, owner_schemes)
yoy = rv.with_names(yoy, en)
# format_func must pickle (serializable session state): a dict's bound .get does, a function of this page not
region_names = dict(zip(yoy["region_key"].astype(int), yoy["region_name"], strict=False))
scope_names = {0: t("regions.migration.all"), **{k: v for k, v in region_names.items() if k != -1}}


def region_option(key: int) -> str:
    return region_names.get(key, "—")


# ---- year over year -------------------------------------------------------------------------------------------
st.subheader(t("regions.yoy"), help=t("regions.yoy.help"))
measure = st.radio(
    t("regions.measure"),
    ("customers", "share"),
    format_func=functools.partial(coded, "regions.measure"),
    horizontal=True,
    key=lang_key("regions_measure"),
)
event = altair_and_table(
    rv.yoy_chart(yoy, tiers, colours, measure),
    rv.yoy_table(yoy),
    name="tiers_by_region_yoy",
    key="regions_yoy",
    percent=rv.percent_columns(),
    clickable=True,
)
pick = charts_altair.picked(event)  # a click on a bar lists its customers below
if pick and {"region_key", "side", "tier"} <= set(pick):
    click = {
        lang_key("regions_drill_region"): int(pick["region_key"]),
        lang_key("regions_drill_side"): str(pick["side"]),
        lang_key("regions_drill_tier"): str(pick["tier"]),
    }
    apply_click(event, "regions_yoy_click", click)

# ---- concentration ---------------------------------------------------------------------------------------------
st.subheader(t("regions.concentration"), help=t("regions.concentration.help"))
heat, conc_shown = rv.concentration(yoy, tiers, now)
chart_and_table(
    heat,
    conc_shown,
    name="tier_concentration",
    key="regions_conc",
    percent=tuple(conc_shown.columns[1:]),
    height=60 + 45 * len(conc_shown),
)

# ---- customers behind a bar -----------------------------------------------------------------------------------
st.subheader(t("regions.drill"), help=t("regions.drill.help"))
c1, c2, c3 = st.columns(3)
with c1:
    region_key = st.selectbox(
        t("regions.col.region"),
        list(region_names),
        format_func=region_names.get,
        key=lang_key("regions_drill_region"),
    )
with c2:
    side = st.selectbox(
        t("regions.drill.side"), SIDES, format_func=side_label.get, key=lang_key("regions_drill_side")
    )
with c3:
    tier = st.selectbox(t("regions.col.tier"), tiers, format_func=tname, key=lang_key("regions_drill_tier"))
side_frame = now if side == "now" else before
region_match = side_frame["region_id"].isna() if region_key == -1 else side_frame["region_id"] == region_key
ids = side_frame.loc[region_match & (side_frame["tier"] == tier), "customer_id"].astype(int).tolist()
# only the ids listed go into the cached read's key (hashing 100,000 ids cost Streamlit about a second)
people = data.customers(engine, version, tuple(sorted(ids)[:DRILL_LIMIT]), DRILL_LIMIT, viewer.show_pii)
st.caption(t("regions.drill.count", region=plain(region_option(region_key)), side=side_label[side], tier=plain(tname(tier)),
             n=f"{len(ids):,}"))  # fmt: skip

customer_list(rv.people_table(people, en), len(ids), name="customers_of_region_tier", key="regions_people",
              limit=DRILL_LIMIT)  # fmt: skip

# ---- migration ------------------------------------------------------------------------------------------------
st.subheader(t("regions.migration"), help=t("regions.migration.help"))
mode = st.radio(
    t("regions.migration.mode"),
    ("dates", "versions"),
    format_func=functools.partial(coded, "regions.mode"),
    horizontal=True,
    key=lang_key("regions_mode"),
)
m1, m2, m3 = st.columns(3)
with m3:
    scope = st.selectbox(
        t("regions.migration.region"),
        list(scope_names),
        format_func=scope_names.get,
        key=lang_key("regions_migration_region"),
    )
mf = dataclasses.replace(f, region_ids=(scope,)) if scope else f
if mode == "dates":
    with m1:
        day_a = st.date_input(
            t("regions.migration.from_day"), value=before_day, key=lang_key("regions_day_a")
        )
    with m2:
        day_b = st.date_input(t("regions.migration.to_day"), value=f.end, key=lang_key("regions_day_b"))
    side_a = dfacts.tiers_at(engine, mf, tr.end_of_day(day_a))
    side_b = dfacts.tiers_at(engine, mf, tr.end_of_day(day_b))
    # each side's tiers in the page's order (published scheme first), only those that occur on that side
    labels_a = [x for x in order if x in set(side_a["tier"].unique())]
    labels_b = [x for x in order if x in set(side_b["tier"].unique())]
    name_a, name_b = str(day_a), str(day_b)
    short_a, short_b = name_a, name_b
else:
    with m1:
        population = st.selectbox(
            t("regions.migration.population"),
            ("owners", "leads"),
            format_func=functools.partial(coded, "regions.population"),
            key=lang_key("regions_population"),
        )
    versions = data.published_versions(engine, version, population)
    if len(versions) < 2:
        st.info(t("regions.migration.one_version", n=len(versions)))
        st.stop()
    by_id = versions.set_index("id")
    vlabel = {int(i): t("regions.version", v=int(r["version"]), name=r["name"]) for i, r in by_id.iterrows()}
    with m2:
        pick = st.multiselect(
            t("regions.migration.versions"),
            list(vlabel),
            default=[int(versions["id"].iloc[1]), int(versions["id"].iloc[0])],
            format_func=vlabel.get,
            max_selections=2,
            key=lang_key(f"regions_versions_{population}"),
        )
    if len(pick) != 2:
        st.info(t("regions.migration.pick_two"))
        st.stop()
    a_id, b_id = sorted(pick, key=lambda i: int(by_id.loc[i, "version"]))
    if population == "owners":  # the owners' assignments are in the facts; the leads' are read per version
        side_a, side_b = (dfacts.version_tiers(engine, mf, i) for i in (a_id, b_id))
    else:
        side_a, side_b = (data.version_tiers(engine, version, mf, i) for i in (a_id, b_id))
    labels_a, labels_b = list(by_id.loc[a_id, "labels"]), list(by_id.loc[b_id, "labels"])
    name_a, name_b = vlabel[a_id], vlabel[b_id]
    short_a, short_b = (f"v{int(by_id.loc[i, 'version'])}" for i in (a_id, b_id))

if side_a.empty and side_b.empty:
    st.info(t("regions.migration.nothing"))
    st.stop()
moves = tr.transition_from_frames(side_a, side_b, labels_a, labels_b)
matrix, rows, cols = rv.migration_matrix(moves)
st.caption(t("regions.migration.caption", a=plain(name_a), b=plain(name_b), n=f"{int(moves['customers'].sum()):,}",
             stay=f"{int(sum(matrix.loc[x, x] for x in rows if x in cols and x != tr.UNTIERED)):,}"))  # fmt: skip

tab_matrix, tab_sankey = st.tabs([t("regions.migration.matrix"), t("regions.migration.sankey")])
matrix_shown = rv.matrix_table(matrix)
with tab_matrix:
    chart_and_table(
        rv.matrix_figure(matrix, name_a, name_b),
        matrix_shown,
        name="tier_migration",
        key="regions_matrix",
        height=120 + 50 * len(rows),
    )
with tab_sankey:
    sankey = rv.sankey_figure(moves, rows, cols, (short_a, short_b), (labels_a, labels_b), owner_schemes)
    chart_and_table(sankey, matrix_shown, name="tier_migration_sankey", key="regions_sankey", height=460)

biggest = moves.loc[moves["customers"].idxmax()]  # the drill-down starts at the largest flow
d1, d2 = st.columns(2)
with d1:
    from_tier = st.selectbox(
        t("regions.migration.from"), rows, index=rows.index(biggest["from_tier"]), format_func=tname,
        key=lang_key("regions_from_tier"),
    )  # fmt: skip
with d2:
    to_tier = st.selectbox(
        t("regions.migration.to"), cols, index=cols.index(biggest["to_tier"]), format_func=tname,
        key=lang_key("regions_to_tier"),
    )  # fmt: skip
ids = tr.transition_members_from_frames(side_a, side_b, from_tier, to_tier)
st.caption(
    t("regions.migration.members", a=plain(tname(from_tier)), b=plain(tname(to_tier)), n=f"{len(ids):,}")
)
movers = data.customers(engine, version, tuple(sorted(ids)[:DRILL_LIMIT]), DRILL_LIMIT, viewer.show_pii)
customer_list(rv.people_table(movers, en), len(ids),
              name="customers_of_migration", key="regions_movers", limit=DRILL_LIMIT)  # fmt: skip
