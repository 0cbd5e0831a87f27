"""Chart helpers: one colour per tier position on every page, readable Chinese fonts."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.safe_text import chart_figure

# top tier first: green (best) → grey → amber → red; the same order on every page
TIER_COLOURS = ["#1a9850", "#66bd63", "#a6a6a6", "#fdae61", "#d73027", "#762a83"]
FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"


def tier_colour_map(labels: list[str]) -> dict[str, str]:
    """Colour per tier label by position; with three tiers: green, grey, red."""
    if len(labels) == 3:
        palette = [TIER_COLOURS[0], TIER_COLOURS[2], TIER_COLOURS[4]]
    else:
        palette = TIER_COLOURS
    return {label: palette[i % len(palette)] for i, label in enumerate(labels)}


def tier_bar(frame: pd.DataFrame, *, label_col: str, value_col: str, x_title: str, y_title: str) -> go.Figure:
    labels = frame[label_col].tolist()
    colours = tier_colour_map(labels)
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=frame[value_col],
            marker_color=[colours[x] for x in labels],
            text=frame[value_col],
            textposition="outside",
            cliponaxis=False,
        )
    )
    fig.update_layout(
        font_family=FONT,
        xaxis_title=x_title,
        yaxis_title=y_title,
        margin=dict(l=10, r=10, t=40, b=10),
        height=320,
    )
    return chart_figure(fig)  # tier labels are typed in the lab: text, not HTML


# Dates on chart axes and hover labels, by language: the one place that says how a chart writes a date.
# Plotly's d3 formats; "%-m" drops the leading zero (2017年1月, not 2017年01月).
MONTH_FORMAT = {"zh": "%Y年%-m月", "en": "%b %Y"}
DAY_FORMAT = {"zh": "%Y年%-m月%-d日", "en": "%b %-d, %Y"}
PARTIAL_OPACITY = 0.45


def _lang(lang: str | None) -> str:
    if lang is None:
        from dashboard.i18n import language

        lang = language()
    return lang if lang in MONTH_FORMAT else "zh"


def month_label(month, lang: str | None = None) -> str:
    """A month as a chart writes it where the axis holds text (e.g. a heatmap's rows): 2017年12月 / Dec 2017."""
    m = pd.Timestamp(month)
    return f"{m.year}年{m.month}月" if _lang(lang) == "zh" else m.strftime("%b %Y")


def month_axis(fig: go.Figure, months: int, *, axis: str = "x", lang: str | None = None) -> go.Figure:
    """A date axis of monthly points (each at its month's first day): ticks on months, written by language.

    At most about 12 ticks: every month up to 12 months, then every 2nd, 3rd, … month.
    """
    lang = _lang(lang)
    step = max(1, -(-months // 12))
    spec = dict(type="date", tickformat=MONTH_FORMAT[lang], hoverformat=MONTH_FORMAT[lang], dtick=f"M{step}")
    return fig.update_xaxes(**spec) if axis == "x" else fig.update_yaxes(**spec)


def day_axis(fig: go.Figure, *, axis: str = "x", lang: str | None = None) -> go.Figure:
    """A date axis of days or weeks: hover and ticks written by language (ticks at plotly's spacing)."""
    lang = _lang(lang)
    spec = dict(type="date", tickformat=DAY_FORMAT[lang], hoverformat=DAY_FORMAT[lang])
    return fig.update_xaxes(**spec) if axis == "x" else fig.update_yaxes(**spec)


def monthly_line(
    fig: go.Figure,
    months: list,
    values: list,
    partial: list[bool],
    *,
    name: str,
    colour: str,
    customdata: list | None = None,
) -> go.Figure:
    """One series over months (first days) with its partial months drawn apart (see ``core.analytics.periods``).

    Whole months are joined by a solid line; a partial month is an open, lighter marker joined to its
    neighbours by a dotted line, so its figure is never read as a whole month's. ``partial_month_notes``
    labels those months on the chart.
    """
    xs = [f"{pd.Timestamp(m):%Y-%m-%d}" for m in months]
    whole = [None if p else v for v, p in zip(values, partial, strict=True)]
    data = customdata or [None] * len(xs)
    fig.add_trace(
        go.Scatter(
            x=xs, y=whole, name=name, mode="lines+markers", connectgaps=False, legendgroup=name,
            line=dict(color=colour), customdata=data,
        )
    )  # fmt: skip
    if not any(partial):
        return fig
    link_x: list = []
    link_y: list = []
    for i, p in enumerate(partial):
        if not p:
            continue
        for j in (i - 1, i + 1):
            if 0 <= j < len(xs):
                link_x += [xs[j], xs[i], None]
                link_y += [values[j], values[i], None]
    fig.add_trace(
        go.Scatter(
            x=link_x, y=link_y, mode="lines", line=dict(color=colour, dash="dot"), opacity=PARTIAL_OPACITY,
            legendgroup=name, showlegend=False, hoverinfo="skip",
        )
    )  # fmt: skip
    keep = [i for i, p in enumerate(partial) if p]
    fig.add_trace(
        go.Scatter(
            x=[xs[i] for i in keep], y=[values[i] for i in keep], mode="markers", name=name,
            legendgroup=name, showlegend=False, opacity=PARTIAL_OPACITY, customdata=[data[i] for i in keep],
            marker=dict(color=colour, symbol="circle-open", size=10, line=dict(width=2)),
        )
    )  # fmt: skip
    return fig


def partial_month_notes(fig: go.Figure, coverage: pd.DataFrame) -> go.Figure:
    """Label each partial month of ``coverage`` (``core.analytics.periods.month_coverage``) above the plot
    (部分月份（5/31 天）), with a light band behind it."""
    for _, row in coverage[coverage["partial"]].iterrows():
        m = pd.Timestamp(row["month"])
        fig.add_vrect(
            x0=m - pd.Timedelta(days=14), x1=m + pd.Timedelta(days=14), fillcolor="#a6a6a6", opacity=0.15,
            line_width=0, layer="below",
        )  # fmt: skip
        fig.add_annotation(
            x=f"{m:%Y-%m-%d}", y=1.0, yref="paper", yanchor="top", showarrow=False,
            text=coverage_text(row["days_covered"], row["days_in_month"]),
            font=dict(size=11, color="#595959"),
        )  # fmt: skip
    return fig


def partial_months_text(coverage: pd.DataFrame) -> str:
    """The partial months of ``coverage`` with their days covered, e.g. 2026-11（25/30 天）、2026-12（5/31 天）."""
    from dashboard.i18n import language, t

    cut = coverage[coverage["partial"]]
    parts = [
        t("periods.days", month=f"{m:%Y-%m}", days=int(d), of=int(n))
        for m, d, n in zip(cut["month"], cut["days_covered"], cut["days_in_month"], strict=True)
    ]
    return ("、" if language() == "zh" else ", ").join(parts)


def coverage_text(days_covered: int, days_in_month: int) -> str:
    """How much of a month a figure covers, in words: 整月, or 部分月份（5/31 天）."""
    from dashboard.i18n import t

    if days_covered >= days_in_month:
        return t("periods.whole")
    return t("periods.partial", days=int(days_covered), of=int(days_in_month))
