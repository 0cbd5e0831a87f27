"""登录 Sign in: name and password; demo accounts are listed only while the database holds demo data alone."""

import streamlit as st

from core.access import auth
from dashboard import db, demo_widget
from dashboard.access import TOKEN_KEY
from dashboard.i18n import t

st.title(t("auth.title"))
st.caption(t("auth.tagline"))  # what the product is, for whoever lands here first
engine = db.get_engine()
if st.session_state.pop("auth_expired", False):
    st.info(t("auth.expired", hours=f"{auth.session_hours():g}"))

with engine.connect() as conn:
    accounts = auth.user_count(conn=conn)
    demo = auth.holds_demo_data_only(conn=conn)  # not once real data was imported into it
if demo and accounts == 0:  # a demo database made before accounts existed
    accounts = len(auth.ensure_demo_accounts(engine))

if accounts == 0:
    version = db.data_version(engine)
    # the zero-set-up start: an empty embedded database may get demo data (and with it the demo accounts)
    # before anyone signs in; a configured database never does, so no one can plant known passwords in it
    if not db.customer_count(engine, version) and db.settings().is_default_sqlite:
        demo_widget.show(engine, key="demo_login")
    st.info(t("auth.no_accounts"))
    st.code("python -m core users add --role admin NAME", language="bash")
    st.stop()

with st.form("login_form"):
    name = st.text_input(t("auth.name"), max_chars=auth.NAME_MAX, key="login_name")
    password = st.text_input(t("auth.password"), type="password", max_chars=256, key="login_password")
    submitted = st.form_submit_button(t("auth.submit"), type="primary")
if submitted:
    try:
        token = auth.login(engine, name=name, password=password, address=st.context.ip_address)
    except auth.TextRejected:
        st.error(t("auth.bad_text"))
    except auth.LoginFailed as exc:
        if exc.kind == "locked":
            st.error(t("auth.locked", until=exc.until.strftime("%H:%M")))
        else:
            st.error(t("auth.wrong"))
    else:
        st.session_state[TOKEN_KEY] = token
        st.rerun()

if demo:
    st.subheader(t("auth.demo"))
    st.caption(t("auth.demo.caption"))
    st.dataframe(
        [
            {t("auth.name"): name, t("auth.role"): t(f"role.{role}"), t("auth.password"): password}
            for name, role, _, password in auth.DEMO_ACCOUNTS
        ],
        hide_index=True,
        key="demo_accounts",
    )
