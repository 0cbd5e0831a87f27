"""Altair charts: faceted small multiples and linked selections (a brush on a monthly trend).

The rule (README, layout): Altair where one chart is many small ones or a selection links charts; Plotly for
funnels, Sankey diagrams, heatmaps and the monthly lines with partial months drawn apart. Vega draws text from
the data as text (SVG/canvas text; its tooltips escape HTML), so names from the database need no escaping.
Dates are placed in UTC and written in the session's language (``charts.MONTH_FORMAT``: the same d3 formats).
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd

from dashboard.charts import FONT, MONTH_FORMAT
from dashboard.safe_text import vega_text

BRUSH = "brush"  # the interval selection's name: its months come back under this key
PICK = "pick"  # a point selection's name (a click on a bar)
PARTIAL_OPACITY = 0.45
WIDTH = 148  # one small multiple: two side by side fit a 390 px phone


def _font(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return chart.configure(font=FONT).configure_view(stroke=None)


def tier_small_multiples(
    frame: pd.DataFrame,
    *,
    value: str,
    value_title: str,
    tiers: list[str],
    colours: list[str],
    sides: list[str],
    titles: tuple[str, str, str] = ("", "", ""),
    columns: int = 2,
    percent: bool = False,
) -> alt.FacetChart:
    """One small chart per region: each tier's bars a year before and now side by side, in the tier's colour
    (a year before lighter). ``frame`` is long: ``region_name, region_key, tier, tier_name, side,
    side_name, <value>``; ``titles`` name region, tier and side in the tooltip. A click on a bar selects its
    ``region_key, side, tier`` (selection ``PICK``)."""
    # names from data as Vega shows them (the selection works on keys, so clicks are unaffected)
    frame = frame.assign(
        region_name=frame["region_name"].map(vega_text), tier_name=frame["tier_name"].map(vega_text)
    )
    tiers = [vega_text(x) for x in tiers]
    pick = alt.selection_point(name=PICK, fields=["region_key", "side", "tier"], on="click")
    axis_format = ".0%" if percent else ",d"
    base = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(
                "tier_name:N",
                sort=tiers,
                title=None,
                # every tier named in full under every chart (a name cut short could hide what it says),
                # slanted when one is too long for its band
                axis=alt.Axis(
                    labelAngle=0
                    if max(map(len, tiers), default=0) * 11 <= WIDTH // max(len(tiers), 1)
                    else -35,
                    labelLimit=0,
                    labelFontSize=10,
                    labelOverlap=False,
                ),
            ),
            xOffset=alt.XOffset("side_name:N", sort=sides),
            y=alt.Y(f"{value}:Q", title=value_title, axis=alt.Axis(format=axis_format, tickCount=4)),
            color=alt.Color(
                "tier_name:N",
                scale=alt.Scale(domain=tiers, range=colours),
                legend=alt.Legend(title=None, orient="top", columns=3, labelLimit=0),  # names in full
            ),
            opacity=alt.Opacity(
                "side_name:N",
                scale=alt.Scale(domain=sides, range=[PARTIAL_OPACITY, 1.0]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("region_name:N", title=titles[0]),
                alt.Tooltip("tier_name:N", title=titles[1]),
                alt.Tooltip("side_name:N", title=titles[2]),
                alt.Tooltip(f"{value}:Q", title=value_title, format=".1%" if percent else ",d"),
            ],
        )
        .add_params(pick)
        .properties(width=WIDTH, height=120)
    )
    regions = list(dict.fromkeys(frame["region_name"]))
    chart = base.facet(
        facet=alt.Facet("region_name:N", sort=regions, title=None, header=alt.Header(labelFontSize=13)),
        columns=columns,
        spacing={"row": 14, "column": 10},
    ).resolve_scale(x="independent", xOffset="independent")  # tier names under every small chart
    return _font(chart)


def month_brush_bars(
    frame: pd.DataFrame,
    *,
    colour_field: str,
    colour_title: str,
    domain: list[str],
    colours: list[str],
    count_title: str,
    month_title: str,
    lang: str,
) -> alt.Chart:
    """Monthly stacked bars (``month`` as a date at each month's first day, ``<colour_field>``, ``count``,
    ``partial``, ``coverage``) with an interval brush over the months (selection ``BRUSH``); a partial
    month's bar is lighter."""
    fmt = MONTH_FORMAT.get(lang, MONTH_FORMAT["zh"])
    brush = alt.selection_interval(name=BRUSH, encodings=["x"])
    # a label at each month's first day, left-aligned so it reads as its bar's; none at the end of the last bar
    last = max(int(pd.Timestamp(m, tz="UTC").timestamp() * 1000) for m in frame["month"]) if len(frame) else 0
    month = alt.X(
        "month:T",
        timeUnit="utcyearmonth",
        title=month_title,
        axis=alt.Axis(
            format=fmt,
            labelAngle=0,
            labelOverlap=True,
            tickCount="month",
            labelAlign="left",
            labelExpr=f"datum.value > {last} ? '' : datum.label",
        ),
    )
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=month,
            y=alt.Y("sum(count):Q", title=count_title),
            color=alt.Color(
                f"{colour_field}:N",
                sort=domain,
                scale=alt.Scale(domain=domain, range=colours),
                legend=alt.Legend(title=colour_title, orient="bottom", columns=3, labelLimit=200),
            ),
            order=alt.Order("colour_rank:Q"),
            opacity=alt.condition("datum.partial", alt.value(PARTIAL_OPACITY), alt.value(1.0)),
            tooltip=[
                alt.Tooltip("month:T", timeUnit="utcyearmonth", format=fmt, title=month_title),
                alt.Tooltip(f"{colour_field}:N", title=colour_title),
                alt.Tooltip("count:Q", title=count_title, format=",d"),
                alt.Tooltip("coverage:N", title=" "),
            ],
        )
        .add_params(brush)
        .properties(height=300)
    )
    return _font(chart)


def ranked_bars(
    frame: pd.DataFrame,
    *,
    label: str,
    label_title: str,
    count_title: str,
    domain: list[str],
    colours: list[str],
) -> alt.Chart:
    """Horizontal bars in the frame's order (largest first), one colour per label (``frame``: ``<label>, count,
    share``)."""
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y(f"{label}:N", sort=list(frame[label]), title=None, axis=alt.Axis(labelLimit=140)),
            x=alt.X("count:Q", title=count_title, axis=alt.Axis(format=",d", tickCount=4)),
            color=alt.Color(f"{label}:N", scale=alt.Scale(domain=domain, range=colours), legend=None),
            tooltip=[
                alt.Tooltip(f"{label}:N", title=label_title),
                alt.Tooltip("count:Q", title=count_title, format=",d"),
                alt.Tooltip("share:Q", title="%", format=".1%"),
            ],
        )
        .properties(height=300)
    )
    text = chart.mark_text(align="left", dx=3).encode(
        text=alt.Text("count:Q", format=",d"), color=alt.value("#333")
    )
    return _font(alt.layer(chart, text))


def _instant(value: object) -> pd.Timestamp | None:
    """A brush end as Vega sends it (milliseconds since the epoch, or an ISO date), in UTC."""
    try:
        if isinstance(value, int | float):
            return pd.Timestamp(value, unit="ms", tz="UTC")
        stamp = pd.Timestamp(str(value))
    except (ValueError, TypeError):
        return None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def brushed_months(event: object, months: list[dt.date]) -> tuple[dt.date, dt.date] | None:
    """The first and last of ``months`` (first days) that the brush of a selection event covers: those whose
    middle (the 15th) it spans, else, for a brush narrower than that, those it touches. None when nothing is
    brushed (the brush cleared) or it is off the months."""
    try:
        brush = event["selection"][BRUSH]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    ranges = [v for v in dict(brush or {}).values() if isinstance(v, list | tuple) and len(v) == 2]
    if not ranges:
        return None
    lo, hi = (_instant(v) for v in ranges[0])
    if lo is None or hi is None:
        return None
    lo, hi = min(lo, hi), max(lo, hi)
    starts = [pd.Timestamp(m, tz="UTC") for m in months]
    covered = [m for m, s in zip(months, starts, strict=True) if lo <= s + pd.Timedelta(days=14) <= hi]
    touched = [
        m for m, s in zip(months, starts, strict=True) if s <= hi and s + pd.offsets.MonthBegin(1) > lo
    ]
    chosen = covered or touched
    return (chosen[0], chosen[-1]) if chosen else None


def picked(event: object) -> dict | None:
    """The fields of the bar a click selected (selection ``PICK``), or None."""
    try:
        points = event["selection"][PICK]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    if isinstance(points, list) and points and isinstance(points[0], dict):
        return points[0]
    return None
