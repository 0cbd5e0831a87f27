"""The empty-database state: offer demo data with a progress bar instead of failing."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from core.demo.generator import generate
from core.storage.bulk import NotEmptyError
from dashboard import db
from dashboard.i18n import t


def show(engine: Engine, *, key: str = "demo") -> None:
    st.info(f"**{t('empty.title')}**\n\n{t('empty.body')}")
    with st.form(key=f"{key}_form"):
        customers = st.number_input(
            t("demo.customers"), min_value=50, max_value=200_000, value=5000, step=500, key=f"{key}_n"
        )
        seed = st.number_input(t("demo.seed"), min_value=0, max_value=2**31 - 1, value=42, key=f"{key}_seed")
        submitted = st.form_submit_button(t("demo.create"), type="primary")
    if not submitted:
        return
    bar = st.progress(0.0, text=t("demo.progress", what="…"))

    def progress(fraction: float, what: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=t("demo.progress", what=what))

    try:
        summary = generate(engine, customers=int(customers), seed=int(seed), progress=progress)
    except NotEmptyError:
        st.warning(t("demo.not_empty"))
        db.bump_data_version()
        return
    db.bump_data_version()
    st.success(t("demo.done", customers=f"{summary.rows['customers']:,}", leads=f"{summary.rows['leads']:,}"))
    st.rerun()
