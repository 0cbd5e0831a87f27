"""渠道投入产出 Channel ROI: spend against leads, visits, deals and gross profit per channel and month."""

import functools

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.analytics import channel_roi as cr
from dashboard import access, charts, db, filters
from dashboard import analysis_data as data
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
from dashboard.safe_text import chart_text, plain

DRILL_LIMIT = 500
TREND_METRICS = (
    "spend",
    "leads",
    "cost_per_lead",
    "ha_share",
    "visits",
    "deals",
    "cost_per_deal",
    "conversion",
    "revenue",
    "gross_profit",
    "roi",
)
SPEND_BASED = ("spend", "cost_per_lead", "cost_per_deal", "roi")
PERCENT_COLS = ("ha_share", "conversion", "roi")
MONEY_COLS = ("spend", "spend_reported", "revenue", "gross_profit", "cost_per_lead", "cost_per_deal")
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]
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
colour = {cid: PALETTE[i % len(PALETTE)] for i, cid in enumerate(channel_names)}
missing = cr.missing_spend_from_frames(frames, f)
store_names = data.stores(engine, version).set_index("id")["name_en" if en else "name"].to_dict()
if not missing.empty:
    st.warning(t("roi.missing.warning", n=len(missing)))


def channel_option(cid: int) -> str:
    return channel_names.get(cid, str(cid))


def month_option(m: str) -> str:
    return t("roi.all_months") if m == ALL else m[:7]


def localised(frame: pd.DataFrame, with_month: bool) -> pd.DataFrame:
    """The table shown and downloaded: labels and column names in the session's language."""
    cols = {"channel": frame[name_col]}
    if with_month:
        cols["month"] = frame["month"].map(lambda m: f"{m:%Y-%m}")
        cols["coverage"] = [
            charts.coverage_text(d, n)
            for d, n in zip(frame["days_covered"], frame["days_in_month"], strict=True)
        ]
    cols["cost_model"] = frame["cost_model"].map(functools.partial(coded, "roi.cost_model"))
    cols["spend_status"] = frame["spend_status"].map(functools.partial(coded, "roi.status"))
    for c in ("spend", "spend_reported"):
        cols[c] = frame[c]
    if with_month:
        cols["missing_stores"] = frame["missing_stores"]
    else:
        cols["missing_months"] = frame["missing_months"]
        cols["partial_months"] = frame["partial_months"]
    for c in ("leads", "cost_per_lead", "ha_share", "visits", "deals", "conversion", "cost_per_deal"):
        cols[c] = frame[c]
    for c in ("revenue", "gross_profit", "roi"):
        cols[c] = frame[c]
    out = pd.DataFrame(cols)
    for c in ("spend", "spend_reported", "cost_per_lead", "cost_per_deal", "revenue", "gross_profit"):
        out[c] = out[c].round(2)

    names = {
        c: t(f"periods.col.{c}") if c in ("coverage", "partial_months") else t(f"roi.col.{c}") for c in out
    }
    return out.rename(columns=names)


PERCENT = tuple(t(f"roi.col.{c}") for c in PERCENT_COLS)
MONEY = tuple(t(f"roi.col.{c}") for c in MONEY_COLS)
SPEND = (t("roi.col.spend"),)  # a missing spend says so, in the table and its downloads: never blank, never 0
MISSING = t("roi.status.missing")

# ---- per channel over the months -------------------------------------------------------------------------------
st.subheader(t("roi.overview"), help=t("roi.help"))
ids = totals["channel_id"].astype(int).tolist()
names = [channel_option(c) for c in ids]
bars = go.Figure(
    [
        go.Bar(
            name=t("roi.col.spend"),
            x=names,
            y=totals["spend_reported"],
            customdata=ids,
            marker_color="#fdae61",
        ),
        go.Bar(
            name=t("roi.col.gross_profit"),
            x=names,
            y=totals["gross_profit"],
            customdata=ids,
            marker_color="#1a9850",
        ),
    ]  # fmt: skip
).update_layout(barmode="group", yaxis_title=t("roi.yuan"))
event = chart_and_table(
    bars, localised(totals, False), name="channel_roi", key="roi_totals", percent=PERCENT, money=MONEY,
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
biggest = float(plotted["spend"].max()) if len(plotted) else 0.0
bubble = go.Figure(
    [
        go.Scatter(
            x=[r["cost_per_deal"]],
            y=[r["conversion"]],
            mode="markers+text",
            text=[chart_text(r[name_col])],
            textposition="top center",
            name=r[name_col],
            customdata=[int(r["channel_id"])],
            marker=dict(
                size=[r["spend"]],
                sizemode="area",
                sizeref=2.0 * biggest / (60.0**2) if biggest > 0 else 1.0,
                sizemin=8,
                color=colour[int(r["channel_id"])],
                opacity=0.7,
            ),
            hovertemplate=f"{chart_text(r[name_col])}<br>{t('roi.col.cost_per_deal')} %{{x:,.0f}}<br>"
            f"{t('roi.col.conversion')} %{{y:.1%}}<br>{t('roi.col.spend')} {r['spend']:,.0f}<extra></extra>",
        )
        for _, r in plotted.iterrows()
    ]
)
bubble.update_layout(
    showlegend=False, xaxis_title=t("roi.col.cost_per_deal"), yaxis_title=t("roi.col.conversion")
)
bubble.update_yaxes(tickformat=".0%")
bubble_table = localised(plotted, False)[
    [t(f"roi.col.{c}") for c in ("channel", "spend", "leads", "deals", "conversion", "cost_per_deal")]
]
chart_and_table(bubble, bubble_table, name="channel_bubble", key="roi_bubble", percent=PERCENT, money=MONEY)
if left_out:
    st.caption(t("roi.bubble.left_out", names=plain("、".join(left_out) if not en else ", ".join(left_out))))

# ---- trend over months -----------------------------------------------------------------------------------------
st.subheader(t("roi.trend"), help=t("roi.help"))
metric = st.selectbox(
    t("roi.metric"),
    TREND_METRICS,
    format_func=functools.partial(coded, "roi.col"),
    key=lang_key("roi_metric"),
)
trend = go.Figure()
for cid in ids:
    part = per_month[per_month["channel_id"] == cid]
    charts.monthly_line(
        trend, part["month"].tolist(), part[metric].tolist(), part["partial"].tolist(),
        name=channel_option(cid), colour=colour[cid],
        customdata=[[cid, f"{m:%Y-%m-%d}"] for m in part["month"]],
    )  # fmt: skip
if metric in SPEND_BASED:
    gaps = per_month[per_month["spend"].isna()]
    if len(gaps):
        trend.add_trace(
            go.Scatter(
                x=[f"{m:%Y-%m-%d}" for m in gaps["month"]], y=[0] * len(gaps), mode="markers+text",
                text=[chart_text(channel_option(c)) for c in gaps["channel_id"]], textposition="top center",
                marker=dict(symbol="x", size=12, color="#d73027"), name=t("roi.status.missing"),
                customdata=[[int(c), f"{m:%Y-%m-%d}"] for c, m in zip(gaps["channel_id"], gaps["month"], strict=True)],
            )
        )  # fmt: skip
trend.update_layout(xaxis_title=t("roi.col.month"), yaxis_title=t(f"roi.col.{metric}"))
charts.month_axis(trend, len(months))
charts.partial_month_notes(trend, coverage)
if metric in PERCENT_COLS:
    trend.update_yaxes(tickformat=".0%")
pivot = per_month.assign(month=per_month["month"].map(lambda m: f"{m:%Y-%m}"), name=per_month[name_col])
pivot = pivot.pivot(index="month", columns="name", values=metric).reindex(columns=names).reset_index()
month_cover = {
    f"{m:%Y-%m}": charts.coverage_text(d, n)
    for m, d, n in zip(coverage["month"], coverage["days_covered"], coverage["days_in_month"], strict=True)
}
pivot.insert(1, "coverage", pivot["month"].map(month_cover))
pivot = pivot.rename(columns={"month": t("roi.col.month"), "coverage": t("periods.col.coverage")})
event = chart_and_table(
    trend, pivot, name=f"channel_trend_{metric}", key="roi_trend",
    percent=tuple(names) if metric in PERCENT_COLS else (), money=tuple(names) if metric in MONEY_COLS else (),
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
detail = localised(per_month, True)
table(detail, "roi_detail_table", PERCENT, MONEY, SPEND, MISSING)
downloads(with_missing(detail, SPEND, MISSING), "channel_roi_by_month", "roi_detail")

# ---- how spend is counted ----------------------------------------------------------------------------------------
st.subheader(t("roi.spend_rules"), help=t("roi.spend_rules.help"))
gap_text = {}
for cid, part in missing.groupby("channel_id"):
    gap_text[int(cid)] = "; ".join(
        f"{m:%Y-%m} {store_names.get(int(s), s)}"
        for m, s in zip(part["month"], part["store_id"], strict=True)
    )
rules = pd.DataFrame(
    {
        t("roi.col.channel"): totals[name_col],
        t("roi.col.cost_model"): totals["cost_model"].map(functools.partial(coded, "roi.cost_model")),
        t("roi.rule"): totals["cost_model"].map(functools.partial(coded, "roi.rule")),
        t("roi.col.missing_rows"): [gap_text.get(int(c), "—") for c in totals["channel_id"]],
    }
)
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
shown = pd.DataFrame(
    {
        t("roi.col.lead_id"): people["lead_id"],
        t("roi.col.customer_id"): people["customer_id"],
        t("roi.col.name"): people["name"],
        t("roi.col.phone"): people["phone"],
        t("roi.col.region"): people["region_en" if en else "region"],
        t("roi.col.store"): people["store_en" if en else "store"],
        t("roi.col.grade"): people["grade"],
        t("roi.col.created_at"): people["created_at"],
        t("roi.col.visit_at"): people["visit_at"],
        t("roi.col.order_at"): people["order_at"],
        t("roi.col.revenue"): people["revenue"],
        t("roi.col.gross_profit"): people["gross_profit"],
    }
)
customer_list(shown, len(lead_ids), name="customers_of_channel", key="roi_people", limit=DRILL_LIMIT)
