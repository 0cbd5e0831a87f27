"""The weekly review's writes: the decision form and the ``on_click`` callbacks that save (they run before the
rerun, with the row_version read when the page was drawn), and the message each leaves for that rerun."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial

import streamlit as st

from core.workflow import review as cr
from core.workflow.defeat_approval import approve_defeat, return_defeat
from core.workflow.overrides import Conflict, InputError
from dashboard import access, db
from dashboard import review_data as rd
from dashboard.i18n import coded, t
from dashboard.widgets import relabel, tier_label

MSG_KEY = "rv_message"
SAVED_KEY = "rv_saved_item"  # the item saved last: its customer's 360 link is shown with the message


def say(kind: str, text: str) -> None:
    st.session_state[MSG_KEY] = (kind, text)


def show_message(engine, version: str) -> None:
    """The last save's message (once), with a link to the saved item's customer after a success."""
    saved = st.session_state.pop(SAVED_KEY, None)
    if MSG_KEY in st.session_state:
        kind, text = st.session_state.pop(MSG_KEY)
        getattr(st, kind)(text)
        if saved is not None and kind == "success":
            rd.link_to_customer(rd.item_customer(engine, version, int(saved)))


# ---- the decision form's values ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What the decision form of one item holds: decision code, override tier, reason, note, expiry (end of the
    chosen day) and the discussed flag."""

    decision: str | None
    tier: str | None
    reason: str | None
    note: str | None
    expires_at: dt.datetime | None
    discussed: bool


def entered_decision(item_id: int) -> Decision:
    """The values of item ``item_id``'s decision form (``decision_form`` owns these keys)."""
    expires = st.session_state.get(f"rv_expires_{item_id}")
    return Decision(
        decision=st.session_state.get(f"rv_decision_{item_id}"),
        tier=st.session_state.get(f"rv_tier_{item_id}"),
        reason=st.session_state.get(f"rv_reason_{item_id}"),
        note=st.session_state.get(f"rv_note_{item_id}"),
        expires_at=dt.datetime.combine(expires, dt.time.max.replace(microsecond=0)) if expires else None,
        discussed=bool(st.session_state.get(f"rv_discussed_{item_id}")),
    )


# ---- callbacks: run before the rerun, with the row_version read when the form was drawn ------------------


def save_decision(item_id: int, read_version: int, was_discussed: bool) -> None:
    engine = db.get_engine()
    actor = rd.current_actor()
    if not actor:
        say("error", t("input.actor_missing"))
        return
    entered = entered_decision(item_id)
    try:
        version = cr.decide(
            engine,
            item_id=item_id,
            read_version=read_version,
            decision=entered.decision,
            actor=actor,
            tier=entered.tier,
            reason=entered.reason,
            note=entered.note,
            expires_at=entered.expires_at,
        )
        if entered.discussed != was_discussed:
            cr.mark_discussed(
                engine, item_id=item_id, read_version=version, actor=actor, discussed=entered.discussed
            )
        say("success", t("review.saved"))
        st.session_state[SAVED_KEY] = item_id
    except Conflict as exc:
        say("error", rd.conflict_text(exc, tier_label))
    except InputError as exc:
        say("error", rd.input_error_text(exc))
    rd.after_write()


def toggle_discussed(item_id: int, read_version: int, value: bool) -> None:
    actor = rd.current_actor()
    if not actor:
        say("error", t("input.actor_missing"))
        return
    try:
        cr.mark_discussed(
            db.get_engine(), item_id=item_id, read_version=read_version, actor=actor, discussed=value
        )
        say("success", t("review.saved"))
    except Conflict as exc:
        say("error", rd.conflict_text(exc, tier_label))
    rd.after_write()


def confirm_shown(read: list[tuple[int, int]]) -> None:
    actor = rd.current_actor()
    if not actor:
        say("error", t("input.actor_missing"))
        return
    done, conflicts = cr.confirm_many(db.get_engine(), read=read, actor=actor)
    if conflicts:
        say("warning", t("review.bulk.partly", n=len(done), k=len(conflicts)))
    else:
        say("success", t("review.bulk.done", n=len(done)))
    rd.after_write()


def open_meeting(population: str, week: dt.date) -> None:
    actor = rd.current_actor()
    if not actor:
        say("error", t("input.actor_missing"))
        return
    try:
        mid = cr.open_meeting(db.get_engine(), population=population, week=week, actor=actor)
        st.session_state[f"rv_meeting_{population}"] = mid
        say("success", t("review.meeting.opened"))
    except InputError as exc:
        say("error", rd.input_error_text(exc))
    rd.after_write()


def decide_defeat(defeat_id: int, approve: bool) -> None:
    if not access.allowed(access.current_user(db.get_engine()), "approve_defeat"):
        say("error", t("auth.forbidden", role="—"))
        return
    actor = rd.current_actor()
    if not actor:
        say("error", t("input.actor_missing"))
        return
    note = st.session_state.get(f"df_note_{defeat_id}")
    try:
        if approve:
            approve_defeat(db.get_engine(), defeat_id=defeat_id, actor=actor, note=note)
            say("success", t("defeat.approved"))
        else:
            return_defeat(db.get_engine(), defeat_id=defeat_id, actor=actor, note=note)
            say("success", t("defeat.returned"))
    except Conflict as exc:
        say("error", rd.conflict_text(exc))
    except InputError as exc:
        say("error", rd.input_error_text(exc))
    rd.after_write()


# ---- the decision form -------------------------------------------------------------------------------------


def decision_form(
    item_id: int, *, tiers: list[str], read_version: int, discussed: bool, actor: str | None
) -> Decision:
    """One item's decision form (keys ``rv_form_<id>``, ``rv_decision_<id>``, ``rv_tier_<id>``,
    ``rv_expires_<id>``, ``rv_reason_<id>``, ``rv_note_<id>``, ``rv_discussed_<id>``); its submit saves in a
    callback at ``read_version``. Returns what the form holds."""
    relabel(f"rv_decision_{item_id}", [coded("review.decision", d) for d in ("confirmed", "overridden")])
    relabel(f"rv_tier_{item_id}", [tier_label(x) for x in tiers])
    with st.form(f"rv_form_{item_id}", border=True):
        st.radio(
            t("review.decision"),
            options=["confirmed", "overridden"],
            format_func=partial(coded, "review.decision"),
            key=f"rv_decision_{item_id}",
            horizontal=True,
        )
        cols = st.columns(2)
        with cols[0]:
            st.selectbox(
                t("review.override_tier"), options=tiers, format_func=tier_label, key=f"rv_tier_{item_id}"
            )
            st.date_input(t("review.expires"), value=None, key=f"rv_expires_{item_id}")
        with cols[1]:
            st.text_input(t("review.reason"), max_chars=256, key=f"rv_reason_{item_id}")
            st.text_area(t("review.note"), key=f"rv_note_{item_id}", height=68)
        st.checkbox(t("review.discussed"), value=discussed, key=f"rv_discussed_{item_id}")
        st.form_submit_button(
            t("review.save"),
            type="primary",
            on_click=save_decision,
            args=(item_id, read_version, discussed),
            disabled=not actor,
        )
    return entered_decision(item_id)
