"""The charts and tables of 渠道投入产出 Channel ROI, built from :mod:`core.analytics.channel_roi` frames: spend
against gross profit per channel, cost per deal against conversion, the monthly trend of one measure (Plotly),
the detail and spend-rule tables, and the leads behind a figure."""

from __future__ import annotations

import functools

import pandas as pd
import plotly.graph_objects as go

from dashboard import charts
from dashboard.i18n import coded, t
from dashboard.safe_text import chart_text

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


def localised(frame: pd.DataFrame, name_col: str, with_month: bool) -> pd.DataFrame:
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


def spend_and_profit(totals: pd.DataFrame, ids: list[int], names: list[str]) -> go.Figure:
    """Spend reported against gross profit, one pair of bars per channel (customdata: the channel id)."""
    return go.Figure(
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


def bubble(plotted: pd.DataFrame, name_col: str, colour: dict[int, str]) -> go.Figure:
    """Cost per deal against conversion, one bubble per channel sized by its spend."""
    biggest = float(plotted["spend"].max()) if len(plotted) else 0.0
    fig = go.Figure(
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
    fig.update_layout(
        showlegend=False, xaxis_title=t("roi.col.cost_per_deal"), yaxis_title=t("roi.col.conversion")
    )
    return fig.update_yaxes(tickformat=".0%")


def trend(
    per_month: pd.DataFrame,
    coverage: pd.DataFrame,
    metric: str,
    ids: list[int],
    names: dict[int, str],
    colour: dict[int, str],
    months: int,
) -> go.Figure:
    """One line per channel over the months (partial months apart); a missing spend is a red cross at 0.
    customdata: ``[channel id, month]``."""
    fig = go.Figure()
    for cid in ids:
        part = per_month[per_month["channel_id"] == cid]
        charts.monthly_line(
            fig, part["month"].tolist(), part[metric].tolist(), part["partial"].tolist(),
            name=names.get(cid, str(cid)), colour=colour[cid],
            customdata=[[cid, f"{m:%Y-%m-%d}"] for m in part["month"]],
        )  # fmt: skip
    if metric in SPEND_BASED:
        gaps = per_month[per_month["spend"].isna()]
        if len(gaps):
            fig.add_trace(
                go.Scatter(
                    x=[f"{m:%Y-%m-%d}" for m in gaps["month"]], y=[0] * len(gaps), mode="markers+text",
                    text=[chart_text(names.get(c, str(c))) for c in gaps["channel_id"]], textposition="top center",
                    marker=dict(symbol="x", size=12, color="#d73027"), name=t("roi.status.missing"),
                    customdata=[[int(c), f"{m:%Y-%m-%d}"] for c, m in zip(gaps["channel_id"], gaps["month"], strict=True)],
                )
            )  # fmt: skip
    fig.update_layout(xaxis_title=t("roi.col.month"), yaxis_title=t(f"roi.col.{metric}"))
    charts.month_axis(fig, months)
    charts.partial_month_notes(fig, coverage)
    if metric in PERCENT_COLS:
        fig.update_yaxes(tickformat=".0%")
    return fig


def trend_table(
    per_month: pd.DataFrame, coverage: pd.DataFrame, metric: str, name_col: str, names: list[str]
) -> pd.DataFrame:
    """The trend as a table: one row per month, one column per channel, with how much of the month it covers."""
    pivot = per_month.assign(month=per_month["month"].map(lambda m: f"{m:%Y-%m}"), name=per_month[name_col])
    pivot = pivot.pivot(index="month", columns="name", values=metric).reindex(columns=names).reset_index()
    month_cover = {
        f"{m:%Y-%m}": charts.coverage_text(d, n)
        for m, d, n in zip(
            coverage["month"], coverage["days_covered"], coverage["days_in_month"], strict=True
        )
    }
    pivot.insert(1, "coverage", pivot["month"].map(month_cover))
    return pivot.rename(columns={"month": t("roi.col.month"), "coverage": t("periods.col.coverage")})


def spend_rules(
    totals: pd.DataFrame, missing: pd.DataFrame, name_col: str, store_names: dict
) -> pd.DataFrame:
    """How each channel's spend is counted, and the months and stores whose spend is missing."""
    gap_text = {}
    for cid, part in missing.groupby("channel_id"):
        gap_text[int(cid)] = "; ".join(
            f"{m:%Y-%m} {store_names.get(int(s), s)}"
            for m, s in zip(part["month"], part["store_id"], strict=True)
        )
    return pd.DataFrame(
        {
            t("roi.col.channel"): totals[name_col],
            t("roi.col.cost_model"): totals["cost_model"].map(functools.partial(coded, "roi.cost_model")),
            t("roi.rule"): totals["cost_model"].map(functools.partial(coded, "roi.rule")),
            t("roi.col.missing_rows"): [gap_text.get(int(c), "—") for c in totals["channel_id"]],
        }
    )


def lead_people(people: pd.DataFrame, en: bool) -> pd.DataFrame:
    """The leads behind a figure, as listed and downloaded."""
    return pd.DataFrame(
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
