"""渠道投入产出 Channel ROI: spend against leads, visits, deals and gross profit per channel and month."""

import functools

import pandas as pd
import streamlit as st

from core.analytics import channel_roi as cr
from dashboard import access, charts, db, filters
from dashboard import analysis_data as data
from dashboard import channel_view as cv
from dashboard import facts as dfacts
from dashboard.analysis_views import (
    apply_click,
    chart_and_table,
    clicked_points,
    customer_list,
    downloads,
    lang_key,
    table,
    with_missing,
)
from dashboard.i18n import coded, language, t
from dashboard.safe_text import plain

DRILL_LIMIT = 500
ALL = "all"

st.title(t("roi.title"))
engine, version, f = filters.analysis_page(demo_key="demo_roi")
viewer = access.require("view_analytics")  # personal data as the role may see it
en = language() == "en"
months = cr.months_of(f)
frames = dfacts.roi_frames(engine, version, f)
extent = db.data_extent(engine, version)  # the data's first and last day: they can cut a month short
per_month = cr.channel_months_from_frames(frames, f, extent=extent)
coverage = cr.month_coverage_of(f, extent)
st.caption(t("roi.caption", first=f"{months[0]:%Y-%m}", last=f"{months[-1]:%Y-%m}", start=f.start, end=f.end))
if coverage["partial"].any():
    first, last = extent if extent else ("—", "—")
    st.caption(t("roi.partial", months=charts.partial_months_text(coverage), first=first, last=last))
activity = per_month[["leads", "visits", "deals"]].to_numpy().sum() + per_month["spend_reported"].sum()
if per_month.empty or activity == 0:
    st.info(t("roi.nothing"))
    st.stop()

totals = cr.channel_totals_from_frames(per_month)
name_col = "channel_en" if en else "channel"
channel_names = dict(zip(totals["channel_id"].astype(int), totals[name_col], strict=True))
colour = {cid: cv.PALETTE[i % len(cv.PALETTE)] for i, cid in enumerate(channel_names)}
missing = cr.missing_spend_from_frames(frames, f)
store_names = data.stores(engine, version).set_index("id")["name_en" if en else "name"].to_dict()
if not missing.empty:
    st.warning(t("roi.missing.warning", n=len(missing)))


def channel_option(cid: int) -> str:
    return channel_names.get(cid, str(cid))


def month_option(m: str) -> str:
    return t("roi.all_months") if m == ALL else m[:7]


PERCENT = tuple(t(f"roi.col.{c}") for c in cv.PERCENT_COLS)
MONEY = tuple(t(f"roi.col.{c}") for c in cv.MONEY_COLS)
SPEND = (t("roi.col.spend"),)  # a missing spend says so, in the table and its downloads: never blank, never 0
MISSING = t("roi.status.missing")

# ---- per channel over the months -------------------------------------------------------------------------------
st.subheader(t("roi.overview"), help=t("roi.help"))
ids = totals["channel_id"].astype(int).tolist()
names = [channel_option(c) for c in ids]
bars = cv.spend_and_profit(totals, ids, names)
event = chart_and_table(
    bars, cv.localised(totals, name_col, False), name="channel_roi", key="roi_totals", percent=PERCENT, money=MONEY,
    missing=SPEND, missing_text=MISSING, clickable=True,
)  # fmt: skip
points = [p for p in clicked_points(event) if p.get("customdata") is not None]
if points:
    click = {
        lang_key("roi_drill_channel"): int(points[0]["customdata"]),
        lang_key("roi_drill_month"): ALL,
        lang_key("roi_drill_measure"): "deals",
    }
    apply_click(event, "roi_totals_click", click)
if (totals["spend_status"] == "missing").any():
    st.caption(t("roi.missing.bars"))

# ---- bubble: cost per deal against conversion ------------------------------------------------------------------
st.subheader(t("roi.bubble"), help=t("roi.bubble.help"))
plotted = totals[totals["cost_per_deal"].notna() & totals["conversion"].notna()]
left_out = totals.loc[~totals.index.isin(plotted.index), name_col].tolist()
bubble = cv.bubble(plotted, name_col, colour)
bubble_table = cv.localised(plotted, name_col, False)[
    [t(f"roi.col.{c}") for c in ("channel", "spend", "leads", "deals", "conversion", "cost_per_deal")]
]
chart_and_table(bubble, bubble_table, name="channel_bubble", key="roi_bubble", percent=PERCENT, money=MONEY)
if left_out:
    st.caption(t("roi.bubble.left_out", names=plain("、".join(left_out) if not en else ", ".join(left_out))))

# ---- trend over months -----------------------------------------------------------------------------------------
st.subheader(t("roi.trend"), help=t("roi.help"))
metric = st.selectbox(
    t("roi.metric"),
    cv.TREND_METRICS,
    format_func=functools.partial(coded, "roi.col"),
    key=lang_key("roi_metric"),
)
trend = cv.trend(per_month, coverage, metric, ids, channel_names, colour, len(months))
pivot = cv.trend_table(per_month, coverage, metric, name_col, names)
event = chart_and_table(
    trend, pivot, name=f"channel_trend_{metric}", key="roi_trend",
    percent=tuple(names) if metric in cv.PERCENT_COLS else (), money=tuple(names) if metric in cv.MONEY_COLS else (),
    missing=tuple(names) if metric == "spend" else (), missing_text=MISSING, clickable=True,
)  # fmt: skip
points = [p for p in clicked_points(event) if isinstance(p.get("customdata"), list | tuple)]
if points:
    cid, month = points[0]["customdata"][:2]
    click = {
        lang_key("roi_drill_channel"): int(cid),
        lang_key("roi_drill_month"): str(month),
        lang_key("roi_drill_measure"): metric if metric in cr.MEASURES else "deals",
    }
    apply_click(event, "roi_trend_click", click)

st.subheader(t("roi.detail"))
detail = cv.localised(per_month, name_col, True)
table(detail, "roi_detail_table", PERCENT, MONEY, SPEND, MISSING)
downloads(with_missing(detail, SPEND, MISSING), "channel_roi_by_month", "roi_detail")

# ---- how spend is counted ----------------------------------------------------------------------------------------
st.subheader(t("roi.spend_rules"), help=t("roi.spend_rules.help"))
rules = cv.spend_rules(totals, missing, name_col, store_names)
st.dataframe(rules, hide_index=True, key="roi_rules_table")
downloads(rules, "channel_spend_rules", "roi_rules")

# ---- the customers behind a figure -------------------------------------------------------------------------------
st.subheader(t("roi.drill"), help=t("roi.drill.help"))
month_options = [ALL, *[f"{m:%Y-%m-%d}" for m in months]]
month_names = {m: month_option(m) for m in month_options}  # a dict's .get pickles; a page function does not
st.session_state.setdefault(lang_key("roi_drill_measure"), "deals")
d1, d2, d3 = st.columns(3)
with d1:
    channel = st.selectbox(
        t("roi.col.channel"), ids, format_func=channel_names.get, key=lang_key("roi_drill_channel")
    )
with d2:
    measure = st.selectbox(
        t("roi.drill.measure"), cr.MEASURES, format_func=functools.partial(coded, "roi.col"),
        key=lang_key("roi_drill_measure"),
    )  # fmt: skip
with d3:
    month = st.selectbox(
        t("roi.col.month"), month_options, format_func=month_names.get, key=lang_key("roi_drill_month")
    )
lead_ids = cr.lead_ids_from_frames(
    frames, f, channel_id=int(channel), measure=measure,
    month=None if month == ALL else pd.Timestamp(month).date(),
)  # fmt: skip
st.caption(t("roi.drill.count", channel=plain(channel_option(channel)), measure=t(f"roi.col.{measure}"),
             month=month_option(month), n=f"{len(lead_ids):,}"))  # fmt: skip
people = data.lead_customers(engine, version, tuple(lead_ids[:DRILL_LIMIT]), viewer.show_pii)
shown = cv.lead_people(people, en)
customer_list(shown, len(lead_ids), name="customers_of_channel", key="roi_people", limit=DRILL_LIMIT)
