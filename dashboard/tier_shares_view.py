"""The target-against-actual share table (``core.scoring.tier_shares``), drawn on 分级结果 and in the lab."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.scoring.tier_shares import TIE_TOLERANCE
from dashboard.i18n import t
from dashboard.safe_text import plain
from dashboard.widgets import tier_label


def _text(label: str) -> str:
    """A tier label (typed by a user in the lab) as text inside Markdown."""
    return plain(tier_label(label))


def _pct(x: float) -> str:
    return "—" if pd.isna(x) else f"{x:.1%}"


def show(shares: pd.DataFrame, *, key: str) -> None:
    """The table (target, actual share, by trigger, by score; the share by score before triggers when the
    frame has it) and one line per tier that trigger rules filled."""
    columns = {
        "tier": t("col.tier"),
        "target": t("shares.col.target"),
        "share": t("shares.col.share"),
        "customers": t("col.customers"),
        "by_trigger": t("shares.col.by_trigger"),
        "by_score": t("shares.col.by_score"),
    }
    if "score_share" in shares.columns:
        columns["score_share"] = t("shares.col.score_share")
    percent = st.column_config.NumberColumn(format="percent")
    st.dataframe(
        shares.assign(tier=shares["tier"].map(tier_label))[list(columns)].rename(columns=columns),
        hide_index=True,
        column_config={
            t("shares.col.target"): percent,
            t("shares.col.share"): percent,
            t("shares.col.score_share"): percent,
        },
        key=key,
    )
    n = int(shares["customers"].sum())
    for r in shares.itertuples():
        if r.by_trigger:
            st.caption(
                t(
                    "shares.triggers",
                    tier=_text(r.tier),
                    total=f"{r.customers:,}",
                    forced=f"{r.by_trigger:,}",
                    share=_pct(r.by_trigger / n),
                )
            )


def tie_warning(shares: pd.DataFrame) -> bool:
    """Warn when ties moved a tier's share by score off its cut-off (``ties_off``); True when it warned."""
    if "ties_off" not in shares.columns or not shares["ties_off"].any():
        return False
    off = shares[shares["ties_off"]]
    tiers = "；".join(
        t("shares.tier_off", tier=_text(r.tier), share=_pct(r.score_share), target=_pct(r.target))
        for r in off.itertuples()
    )
    st.warning(t("shares.ties_off", tol=f"{TIE_TOLERANCE * 100:g}", tiers=tiers), icon=":material/warning:")
    return True
