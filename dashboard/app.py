"""Entrypoint: `streamlit run dashboard/app.py`. Page config, language, sign-in, shared filters, navigation.

The view (language, period, filters, meeting) lives in the URL (dashboard.view_state) and the sign-in in a
cookie (dashboard.session_cookie), so a refresh, a new tab or a copied link opens the same view.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from core.storage.text_input import TextRejected
from dashboard import access, db, filters, session_cookie, view_state
from dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from dashboard.safe_text import plain

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "pages"
FILTERED_PAGES = {"overview", "funnel", "defeats", "tiers", "regions", "channels"}


@dataclass(frozen=True)
class PageSpec:
    section: str  # text key of the navigation section
    file: str
    title: str  # text key
    icon: str
    url_path: str
    permission: str  # core.access.auth.PERMISSIONS: the page appears only for roles that have it


# the order here is the order in the sidebar; each page checks the permission itself as well
REGISTRY = (
    PageSpec(
        "nav.analysis", "overview.py", "page.overview", ":material/insights:", "overview", "view_analytics"
    ),
    PageSpec(
        "nav.analysis", "funnel.py", "funnel.title", ":material/filter_alt:", "funnel", "view_analytics"
    ),
    PageSpec(
        "nav.analysis", "defeats.py", "defeats.page", ":material/heart_broken:", "defeats", "view_analytics"
    ),
    PageSpec("nav.analysis", "regions.py", "regions.page", ":material/map:", "regions", "view_analytics"),
    PageSpec("nav.analysis", "channels.py", "roi.page", ":material/campaign:", "channels", "view_analytics"),
    PageSpec("nav.tiering", "tiers.py", "page.tiers", ":material/sell:", "tiers", "view_analytics"),
    PageSpec("nav.tiering", "lab.py", "page.lab", ":material/tune:", "lab", "view_lab"),
    PageSpec("nav.review", "review.py", "page.review", ":material/groups:", "review", "review"),
    PageSpec("nav.review", "followup.py", "page.followup", ":material/alarm:", "followup", "follow_up"),
    PageSpec("nav.review", "customer.py", "page.customer", ":material/person:", "customer", "view_customer"),
    PageSpec("nav.data", "data.py", "page.data", ":material/storage:", "data", "import_data"),
    PageSpec(
        "nav.data", "data_import.py", "page.data_import", ":material/upload_file:", "import", "import_data"
    ),
    PageSpec("nav.admin", "users.py", "page.users", ":material/group:", "users", "manage_users"),
    PageSpec("nav.admin", "audit.py", "page.audit", ":material/policy:", "audit", "view_audit"),
)

st.set_page_config(page_title="车商客户分级看板", page_icon=":material/directions_car:", layout="wide")

view_state.from_url()  # first run of a session (a refresh, a new tab, a copied link): before the widgets exist
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

engine = db.get_engine()
user = access.current_user(engine)
if user is None:
    session_cookie.clear_pending()
    view_state.to_url(None)  # only the language: the rest of the link waits for the sign-in
    # every page's address opens the login page, so a bookmark signs in and then lands where it pointed
    login = [st.Page(PAGES / "login.py", title=t("auth.title"), icon=":material/login:", url_path="login")]
    login += [st.Page(PAGES / "login.py", title=t("auth.title"), url_path=spec.url_path) for spec in REGISTRY]
    st.navigation(login, position="hidden").run()
    st.stop()

pages: dict[str, list] = {}
for spec in REGISTRY:
    if user.can(spec.permission):
        pages.setdefault(t(spec.section), []).append(
            st.Page(PAGES / spec.file, title=t(spec.title), icon=spec.icon, url_path=spec.url_path)
        )
with st.sidebar:
    st.caption(t("auth.signed_in", name=plain(user.display_name), role=t(f"role.{user.role}")))
    if st.button(t("auth.sign_out"), key="sign_out", icon=":material/logout:"):
        access.sign_out(engine)
        st.rerun()
session_cookie.keep(st.session_state[access.TOKEN_KEY])
if not pages:  # a role without pages says so rather than showing an empty app
    st.error(t("auth.no_pages"))
    st.stop()
nav = st.navigation(pages)
# the shared filters belong to the analysis pages; the lab and data pages do not use them
filtered = {t(spec.title) for spec in REGISTRY if spec.url_path in FILTERED_PAGES}
if nav.title in filtered and db.customer_count(engine, db.data_version(engine)):
    st.session_state["filters"] = filters.show(engine)
view_state.to_url(nav.url_path)  # before the page runs: many pages end in st.stop()
try:
    nav.run()
except TextRejected:  # the net under every form: core refused text with a NUL byte before the database saw it
    st.error(t("input.text_nul"))
