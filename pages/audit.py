"""审计日志 Audit log (admin): search who did what and when. Read-only: the app has no way to edit an entry."""

import datetime as dt
from functools import partial

import streamlit as st

from core.access import audit, auth
from dashboard import access, admin_view, db
from dashboard.i18n import coded, t
from dashboard.table_view import downloads

ACTIONS = ("all", "login", "user", "role", "scheme", "override", "import", "export")
PREFIXES = {"login": ("login", "logout")}  # the audit actions of each choice (default: the choice itself)

st.title(t("audit.title"))
access.require("view_audit")
st.caption(t("audit.caption"))
engine = db.get_engine()

c1, c2, c3, c4 = st.columns(4)
actor = c1.text_input(t("audit.actor"), max_chars=64, key="audit_actor").strip()
action = c2.selectbox(
    t("audit.action"), ACTIONS, format_func=partial(coded, "audit.action"), key="audit_action"
)
today = dt.date.today()
period = c3.date_input(t("audit.period"), value=(today - dt.timedelta(days=30), today), key="audit_period")
text = c4.text_input(t("audit.text"), max_chars=64, key="audit_text").strip()
start = end = None
if isinstance(period, tuple | list) and len(period) == 2:
    start = dt.datetime.combine(period[0], dt.time.min)
    end = dt.datetime.combine(period[1] + dt.timedelta(days=1), dt.time.min)

with engine.connect() as conn:
    accounts = auth.users(conn=conn)
    entries = audit.search(
        conn=conn,
        actor=actor or None,
        action=None if action == "all" else PREFIXES.get(action, (action,)),
        start=start,
        end=end,
        text=text or None,
    )
if entries.empty:
    st.info(t("audit.none"))
    st.stop()
st.caption(t("audit.count", n=f"{len(entries):,}"))
names = dict(zip(accounts["name"], accounts["display_name"].fillna(""), strict=True))
shown = admin_view.audit_frame(entries, names)
st.dataframe(shown, hide_index=True, key="audit_table")
downloads(shown, "audit_log", "audit")
