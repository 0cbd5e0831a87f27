"""Entrypoint: `streamlit run dashboard/app.py`. Page config, language, shared filters, navigation."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import db, filters
from dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES, t

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "pages"
FILTERED_PAGES = {"", "overview", "funnel", "defeats", "tiers"}

st.set_page_config(page_title="车商客户分级看板", page_icon=":material/directions_car:", layout="wide")

if "lang" not in st.session_state:
    st.session_state["lang"] = DEFAULT_LANGUAGE
with st.sidebar:
    st.segmented_control(
        t("app.language"),
        options=list(LANGUAGES),
        format_func=LANGUAGES.get,
        key="lang",
        selection_mode="single",
    )
if st.session_state.get("lang") not in LANGUAGES:  # a click on the selected option clears it
    st.session_state["lang"] = DEFAULT_LANGUAGE

pages = {
    t("nav.analysis"): [
        st.Page(
            PAGES / "overview.py",
            title=t("page.overview"),
            icon=":material/insights:",
            url_path="overview",
            default=True,
        ),
        st.Page(
            PAGES / "funnel.py", title=t("funnel.title"), icon=":material/filter_alt:", url_path="funnel"
        ),
        st.Page(
            PAGES / "defeats.py", title=t("defeats.page"), icon=":material/heart_broken:", url_path="defeats"
        ),
    ],
    t("nav.tiering"): [
        st.Page(PAGES / "tiers.py", title=t("page.tiers"), icon=":material/sell:", url_path="tiers"),
        st.Page(PAGES / "lab.py", title=t("page.lab"), icon=":material/tune:", url_path="lab"),
    ],
    t("nav.data"): [
        st.Page(PAGES / "data.py", title=t("page.data"), icon=":material/storage:", url_path="data"),
        st.Page(
            PAGES / "data_import.py",
            title=t("page.data_import"),
            icon=":material/upload_file:",
            url_path="import",
        ),
    ],
}
nav = st.navigation(pages)
engine = db.get_engine()
# the shared filters belong to the analysis pages; the lab and data pages do not use them
if nav.url_path in FILTERED_PAGES and db.customer_count(engine, db.data_version(engine)):
    st.session_state["filters"] = filters.show(engine)
nav.run()
