"""客户360 Customer 360 (?customer=ID): profile (PII masked), current tier and score with each dimension's
points, tier history with every override, the timeline, and the advisor's "mark as defeated" request."""

import streamlit as st

from core.workflow import customer360
from dashboard import access, db
from dashboard import customer_view as cv
from dashboard import review_data as rd
from dashboard.i18n import t

st.title(t("c360.title"))
viewer = access.require("view_customer")
engine = db.get_engine()
version = db.data_version(engine)
pii = rd.show_pii()
cv.show_message()

with st.columns([1, 2])[0]:
    actor = rd.actor_input()
cv.search_box(engine, viewer, pii)
customer_id = cv.customer_picker()
if customer_id is None:
    st.info(t("c360.none"))
    st.stop()
if not rd.customer_count_ok(engine, customer_id):
    st.warning(t("c360.unknown", id=customer_id))
    st.stop()
if not rd.may_see_customer(engine, customer_id):  # an advisor opens only their own customers
    st.error(t("c360.not_yours", id=customer_id))
    st.stop()

cv.profile(rd.customer_read(engine, version, "profile", customer_id, show_pii=pii), customer_id, pii=pii)

st.subheader(t("c360.tier"))
cv.tiers(engine, version, customer_id)

st.subheader(t("c360.history"))
cv.tier_history(rd.customer_read(engine, version, "tier_history", customer_id))

st.subheader(t("c360.overrides"))
cv.override_history(rd.customer_read(engine, version, "override_history", customer_id), actor=actor)

st.subheader(t("c360.timeline"))
events = rd.customer_read(engine, version, "timeline", customer_id, show_pii=pii)
if events.empty:
    st.info(t("c360.timeline.none"))
else:
    kinds = cv.timeline_kinds(events)
    cv.timeline(customer360.filter_timeline(events, kinds=kinds))

open_leads = customer360.open_leads(rd.customer_read(engine, version, "leads", customer_id))
if len(open_leads):
    cv.defeat_form(open_leads, actor=actor)
