"""周会复盘 Weekly review: the tier changes since the last meeting, grouped by advisor; confirm or override
each (optimistic locking: a conflicting save is refused with the other person's change); defeat approvals;
Excel export and a print view (?print=1)."""

import streamlit as st

from core.workflow import review as cr
from dashboard import access, db
from dashboard import review_actions as ra
from dashboard import review_data as rd
from dashboard import review_view as rv
from dashboard.i18n import t

viewer = access.require("review")
engine = db.get_engine()
version = db.data_version(engine)
printing = st.query_params.get("print") == "1"
pii = rd.show_pii()

if not printing:
    st.title(t("review.title"))
    ra.show_message(engine, version)
    top = st.columns([2, 2, 3])
    with top[0]:
        actor = rd.actor_input()
    with top[1]:
        population = rv.population_picker()
else:
    # static CSS, no data in it: printing drops the sidebar and the toolbar so the tables get the page
    st.markdown(rv.PRINT_CSS, unsafe_allow_html=True)
    population = rv.print_population()

if not db.customer_count(engine, version):
    st.info(t("review.empty_db"))
    st.stop()

found = rd.meetings(engine, version, population)
if printing:
    meeting_id = rv.print_meeting(found)
else:
    with top[2]:
        may_open = cr.may_open_meeting(viewer.role)  # advisors review the meeting a manager opened
        meeting_id = rv.meeting_picker(found, population, may_open=may_open, actor=actor)

tab_names = [t("review.tab.agenda"), t("review.tab.defeats")]
agenda_tab, defeats_tab = (st.container(), None) if printing else st.tabs(tab_names)

with agenda_tab:
    if meeting_id is None:
        st.info(t("review.meeting.none" if printing or may_open else "review.meeting.none_staff"))
    else:
        m = rd.meeting(engine, version, meeting_id)
        items = rd.own_only(rd.agenda(engine, version, meeting_id, pii))  # an advisor: their customers
        rv.meeting_header(m, population, items, printing=printing)
        if items.empty:
            st.info(t("review.nothing"))
        elif printing:
            rv.print_agenda(items)
        else:
            advisors, status = rv.agenda_filters(items)
            shown = cr.filter_items(items, advisors=advisors, status=status)
            rv.agenda_table(shown)
            rv.bulk_confirm(shown, actor)
            rv.item_panel(shown, items, engine=engine, version=version, population=population, actor=actor)
        if not printing and not items.empty:
            rv.export_buttons(m, items, population, meeting_id)

if defeats_tab is not None:
    with defeats_tab:
        pending = rd.own_only(rd.pending_defeats(engine, version, pii))
        rv.pending_defeats(pending, actor=actor, may_approve=viewer.can("approve_defeat"))
