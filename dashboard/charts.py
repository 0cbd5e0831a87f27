"""Chart helpers: one colour per tier position on every page, readable Chinese fonts."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

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
    return fig
