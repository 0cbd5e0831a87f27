"""Small widgets shared by pages."""

from __future__ import annotations

import streamlit as st

from dashboard.i18n import language

TIER_LABELS_EN = {
    "高价值": "High value",
    "普通": "Normal",
    "流失风险": "Churn risk",
    "优质": "Prime",
    "潜力": "Potential",
    "一般": "Ordinary",
    "钻石": "Diamond",
    "白金": "Platinum",
    "黄金": "Gold",
    "白银": "Silver",
}


def tier_label(label: str) -> str:
    """A tier label for display: the stored label, translated for the English UI when it is a preset's."""
    if language() == "en" and label in TIER_LABELS_EN:
        return TIER_LABELS_EN[label]
    return label


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def metric(label: str, value, previous, *, fmt, help: str, lower_is_better: bool = False) -> None:
    """st.metric with the change against the previous period (in points for rates)."""
    shown = "—" if value is None else fmt(value)
    if value is None or previous is None:
        delta = None
    elif isinstance(value, float):
        delta = f"{(value - previous) * 100:+.1f} pp"
    else:
        delta = f"{value - previous:+,}"
    st.metric(
        label,
        shown,
        delta=delta,
        delta_color="inverse" if lower_is_better else "normal",
        help=help,
        border=True,
    )
