"""周会复盘 Weekly review: the tier changes since the last meeting, grouped by advisor; confirm or override
each (optimistic locking: a conflicting save is refused with the other person's change); defeat approvals;
Excel export and a print view (?print=1)."""

import datetime as dt
from functools import partial

import pandas as pd
import streamlit as st

from core.workflow import review as cr
from core.workflow.defeat_approval import approve_defeat, return_defeat
from core.workflow.overrides import Conflict, InputError
from dashboard import access, db
from dashboard import downloads as dl
from dashboard import review_data as rd
from dashboard.i18n import coded, t
from dashboard.widgets import relabel, tier_label

POPULATIONS = ("owners", "leads")
STATUS = ("open", "decided", "all")
PRINT_CSS = """<style>
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"] { display: none !important; }
  [data-testid="stMain"] { margin-left: 0 !important; }
}
</style>"""
MSG_KEY = "rv_message"
SAVED_KEY = "rv_saved_item"  # the item saved last: its customer's 360 link is shown with the message


def rule_label(code: str | None) -> str:
    return t(f"rule.{code}") if code else ""


def meeting_label(frame: pd.DataFrame, meeting_id: int) -> str:
    row = frame.set_index("id").loc[meeting_id]
    return t(
        "review.meeting.option",
        week=row["week_start"],
        items=int(row["items"]),
    )


def item_labels(frame: pd.DataFrame) -> dict[int, str]:
    return {
        int(i): f"#{int(c)} {n} · {tier_label(o) if isinstance(o, str) else '—'} → {tier_label(w)}"
        for i, c, n, o, w in zip(
            frame["id"],
            frame["customer_id"],
            frame["customer_name"],
            frame["old_tier"],
            frame["new_tier"],
            strict=True,
        )
    }


def decision_text(r) -> str:
    if r["decision"] == "confirmed":
        return t("review.decision.confirmed_short")
    if r["decision"] == "overridden":
        return t("review.decision.overridden_short", tier=tier_label(r["decided_tier"]))
    return ""


def decisions(frame: pd.DataFrame) -> list[str]:
    return [
        decision_text({"decision": d, "decided_tier": x})
        for d, x in zip(frame["decision"], frame["decided_tier"], strict=True)
    ]


def say(kind: str, text: str) -> None:
    st.session_state[MSG_KEY] = (kind, text)


# ---- callbacks: run before the rerun, with the row_version read when the form was drawn ------------------


def _save(item_id: int, read_version: int, was_discussed: bool) -> None:
    engine = db.get_engine()
    actor = rd.current_actor()
    if not actor:
        say("error", t("input.actor_missing"))
        return
    decision = st.session_state.get(f"rv_decision_{item_id}")
    expires = st.session_state.get(f"rv_expires_{item_id}")
    try:
        version = cr.decide(
            engine,
            item_id=item_id,
            read_version=read_version,
            decision=decision,
            actor=actor,
            tier=st.session_state.get(f"rv_tier_{item_id}"),
            reason=st.session_state.get(f"rv_reason_{item_id}"),
            note=st.session_state.get(f"rv_note_{item_id}"),
            expires_at=dt.datetime.combine(expires, dt.time.max.replace(microsecond=0)) if expires else None,
        )
        want = bool(st.session_state.get(f"rv_discussed_{item_id}"))
        if want != was_discussed:
            cr.mark_discussed(engine, item_id=item_id, read_version=version, actor=actor, discussed=want)
        say("success", t("review.saved"))
        st.session_state[SAVED_KEY] = item_id
    except Conflict as exc:
        say("error", rd.conflict_text(exc, tier_label))
    except InputError as exc:
        say("error", rd.input_error_text(exc))
    rd.after_write()


def _discussed(item_id: int, read_version: int, value: bool) -> None:
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


def _bulk(read: list[tuple[int, int]]) -> None:
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


def _open(population: str, week: dt.date) -> None:
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


def _defeat(defeat_id: int, approve: bool) -> None:
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


# ---- the page -------------------------------------------------------------------------------------------

viewer = access.require("review")
engine = db.get_engine()
version = db.data_version(engine)
printing = st.query_params.get("print") == "1"
pii = rd.show_pii()

if not printing:
    st.title(t("review.title"))
    saved = st.session_state.pop(SAVED_KEY, None)
    if MSG_KEY in st.session_state:
        kind, text = st.session_state.pop(MSG_KEY)
        getattr(st, kind)(text)
        if saved is not None and kind == "success":
            rd.link_to_customer(rd.item_customer(engine, version, int(saved)))
    top = st.columns([2, 2, 3])
    with top[0]:
        actor = rd.actor_input()
    with top[1]:
        relabel("rv_population", [coded("review.pop", p) for p in POPULATIONS])
        population = (
            st.segmented_control(
                t("review.population"),
                options=list(POPULATIONS),
                format_func=partial(coded, "review.pop"),
                default="owners",
                key="rv_population",
            )
            or "owners"
        )
else:
    # static CSS, no data in it: printing drops the sidebar and the toolbar so the tables get the page
    st.markdown(PRINT_CSS, unsafe_allow_html=True)
    population = st.query_params.get("population", "owners")
    population = population if population in POPULATIONS else "owners"

if not db.customer_count(engine, version):
    st.info(t("review.empty_db"))
    st.stop()

found = rd.meetings(engine, version, population)
this_week = cr.week_start(dt.date.today())
if printing:
    wanted = st.query_params.get("meeting")
    ids = found["id"].tolist()
    try:
        meeting_id = int(wanted) if wanted is not None and int(wanted) in ids else (ids[0] if ids else None)
    except ValueError:
        meeting_id = ids[0] if ids else None
else:
    with top[2]:
        may_open = cr.may_open_meeting(viewer.role)  # advisors review the meeting a manager opened
        if this_week not in set(found["week_start"]) and not may_open:
            st.caption(t("review.meeting.managers_open"))
        elif this_week not in set(found["week_start"]):
            st.button(
                t("review.meeting.open", week=this_week),
                on_click=_open,
                args=(population, this_week),
                disabled=not actor,
                help=None if actor else t("input.actor_missing"),
                key="rv_open",
                icon=":material/event:",
            )
        meeting_id = None
        if len(found):
            key = f"rv_meeting_{population}"
            if st.session_state.get(key) not in found["id"].tolist():
                st.session_state[key] = int(found["id"].iloc[0])
            meeting_id = st.selectbox(
                t("review.meeting.pick"),
                options=found["id"].tolist(),
                format_func=partial(rd.option_label, {i: meeting_label(found, i) for i in found["id"]}),
                key=key,
            )

tab_names = [t("review.tab.agenda"), t("review.tab.defeats")]
agenda_tab, defeats_tab = (st.container(), None) if printing else st.tabs(tab_names)

with agenda_tab:
    if meeting_id is None:
        st.info(t("review.meeting.none" if printing or may_open else "review.meeting.none_staff"))
    else:
        m = rd.meeting(engine, version, meeting_id)
        items = rd.own_only(rd.agenda(engine, version, meeting_id, pii))  # an advisor: their customers
        baseline = m["baseline_at"]
        if printing:
            st.subheader(
                t("review.print.title", week=m["week_start"], pop=t(f"review.pop.{population}")), anchor=False
            )
        st.caption(
            t(
                "review.meeting.caption",
                week=m["week_start"],
                baseline=pd.Timestamp(baseline).strftime("%Y-%m-%d %H:%M") if baseline is not None else "—",
                cutoff=pd.Timestamp(m["cutoff_at"]).strftime("%Y-%m-%d %H:%M"),
                by=rd.plain(rd.person(m["created_by"])),
            ),
            help=None if printing else t("review.meeting.help"),
        )
        p = cr.progress(items)
        st.progress(
            p["reviewed"] / p["total"] if p["total"] else 1.0,
            text=t("review.progress", reviewed=p["reviewed"], total=p["total"]),
        )
        if printing:
            st.caption(t("review.print.counts", **p))
        if items.empty:
            st.info(t("review.nothing"))
        elif printing:
            for advisor, part in items.groupby(items["advisor"], sort=True):
                st.markdown(f"**{t('col.advisor')}：{rd.plain(advisor)}**")
                st.table(
                    pd.DataFrame(
                        {
                            t("col.customer_id"): part["customer_id"].astype(str),
                            t("col.name"): part["customer_name"],
                            t("review.col.change"): [
                                f"{tier_label(o) if isinstance(o, str) else '—'} → {tier_label(n)}"
                                for o, n in zip(part["old_tier"], part["new_tier"], strict=True)
                            ],
                            t("col.reasons"): rd.reasons_column(part),
                            t("review.col.decision"): decisions(part),
                            t("review.col.reason"): part["reason"].fillna(""),
                            t("review.col.note"): part["note"].fillna(""),
                            t("review.col.by"): part["decided_by"].map(rd.person),
                        }
                    )
                    .set_index(t("col.customer_id"))
                    .map(rd.plain)  # st.table parses Markdown in its cells: data shown as text
                )
        else:
            c1, c2 = st.columns(2)
            advisors = sorted(items["advisor"].unique().tolist())
            with c1:
                chosen = st.multiselect(
                    t("col.advisor"), options=advisors, placeholder=t("filters.all"), key="rv_advisor"
                )
            with c2:
                relabel("rv_status", [coded("review.status", x) for x in STATUS])
                status = (
                    st.segmented_control(
                        t("review.status"),
                        options=list(STATUS),
                        format_func=partial(coded, "review.status"),
                        default="open",
                        key="rv_status",
                    )
                    or "all"
                )
            shown = items
            if chosen:
                shown = shown[shown["advisor"].isin(chosen)]
            if status == "open":
                shown = shown[shown["decision"].isna()]
            elif status == "decided":
                shown = shown[shown["decision"].notna()]
            st.caption(t("review.shown", n=len(shown), **cr.progress(shown)))
            table = pd.DataFrame(
                {
                    t("col.advisor"): shown["advisor"],
                    t("col.customer_id"): shown["customer_id"],
                    t("col.name"): shown["customer_name"],
                    t("review.col.old"): [
                        tier_label(x) if isinstance(x, str) else "—" for x in shown["old_tier"]
                    ],
                    t("review.col.new"): [tier_label(x) for x in shown["new_tier"]],
                    t("col.reasons"): rd.reasons_column(shown),
                    t("col.rule"): [rule_label(r) for r in shown["rule"]],
                    t("review.col.decision"): decisions(shown),
                    t("review.col.active_override"): [
                        tier_label(x) if isinstance(x, str) else "" for x in shown["active_override"]
                    ],
                    t("review.col.discussed"): ["✓" if d else "" for d in shown["discussed"]],
                    t("review.col.by"): shown["decided_by"].map(rd.person),
                    t("review.col.360"): rd.customer_urls(shown["customer_id"]),
                }
            )
            st.dataframe(
                table,
                hide_index=True,
                key="rv_items",
                column_config={
                    t("review.col.360"): st.column_config.LinkColumn(display_text=t("review.open_360")),
                    t("col.customer_id"): st.column_config.NumberColumn(format="%d"),
                },
            )
            undecided = shown[shown["decision"].isna()]
            st.button(
                t("review.bulk", n=len(undecided)),
                on_click=_bulk,
                args=(list(zip(undecided["id"].tolist(), undecided["row_version"].tolist(), strict=True)),),
                disabled=undecided.empty or not actor,
                key="rv_bulk",
                icon=":material/done_all:",
            )

            st.subheader(t("review.decide"))
            if shown.empty:
                st.info(t("review.filtered_none"))
            else:
                item_id = st.selectbox(
                    t("review.pick"),
                    options=shown["id"].tolist(),
                    format_func=partial(rd.option_label, item_labels(shown)),
                    key="rv_item",
                )
                r = items.set_index("id").loc[item_id]
                read_version = int(r["row_version"])
                st.markdown(
                    t(
                        "review.item.summary",
                        old=rd.plain(tier_label(r["old_tier"])) if isinstance(r["old_tier"], str) else "—",
                        new=rd.plain(tier_label(r["new_tier"])),
                        reasons=rd.plain(
                            rd.reasons_text(r["reasons"], r["old_score"], r["new_score"]) or "—"
                        ),
                    )
                )
                if isinstance(r["decision"], str):
                    st.caption(
                        t(
                            "review.item.decided",
                            by=rd.plain(rd.person(r["decided_by"])),
                            at=pd.Timestamp(r["decided_at"]).strftime("%m-%d %H:%M"),
                            what=rd.plain(decision_text(r)),
                        )
                    )
                link_col, discussed_col = st.columns([3, 2])
                with link_col:
                    rd.link_to_customer(int(r["customer_id"]))
                with discussed_col:
                    st.button(
                        t("review.undiscussed") if r["discussed"] else t("review.mark_discussed"),
                        on_click=_discussed,
                        args=(int(item_id), read_version, not bool(r["discussed"])),
                        disabled=not actor,
                        key="rv_discussed_toggle",
                        icon=":material/forum:",
                    )
                tiers = rd.labels(engine, version, population)
                relabel(
                    f"rv_decision_{item_id}",
                    [coded("review.decision", d) for d in ("confirmed", "overridden")],
                )
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
                            t("review.override_tier"),
                            options=tiers,
                            format_func=tier_label,
                            key=f"rv_tier_{item_id}",
                        )
                        st.date_input(t("review.expires"), value=None, key=f"rv_expires_{item_id}")
                    with cols[1]:
                        st.text_input(t("review.reason"), max_chars=256, key=f"rv_reason_{item_id}")
                        st.text_area(t("review.note"), key=f"rv_note_{item_id}", height=68)
                    st.checkbox(
                        t("review.discussed"), value=bool(r["discussed"]), key=f"rv_discussed_{item_id}"
                    )
                    st.form_submit_button(
                        t("review.save"),
                        type="primary",
                        on_click=_save,
                        args=(int(item_id), read_version, bool(r["discussed"])),
                        disabled=not actor,
                    )
                if not actor:
                    st.caption(t("input.actor_missing"))

        if not printing and not items.empty:
            labels = {c: t(f"review.export.{c}") for c in cr.EXPORT_COLUMNS}
            frame = cr.export_frame(items, rule_label=rule_label, reasons_text=rd.reasons_text)
            for col in ("old_tier", "new_tier", "decided_tier"):
                frame[col] = frame[col].map(lambda x: tier_label(x) if isinstance(x, str) else x)
            frame["decision"] = frame["decision"].map(
                lambda x: t(f"review.decision.{x}") if isinstance(x, str) else ""
            )
            frame["discussed"] = frame["discussed"].map(lambda x: "✓" if x else "")
            summary = pd.DataFrame(
                {
                    t("review.export.item"): [
                        t("review.export.week"),
                        t("review.population"),
                        t("review.export.baseline"),
                        t("review.export.cutoff"),
                        t("review.export.total"),
                        t("review.export.reviewed"),
                        t("review.export.overridden"),
                    ],
                    t("review.export.value"): [
                        str(m["week_start"]),
                        t(f"review.pop.{population}"),
                        str(baseline or "—"),
                        str(m["cutoff_at"]),
                        p["total"],
                        p["reviewed"],
                        p["overridden"],
                    ],
                }
            )
            d1, d2 = st.columns(2)
            with d1:
                st.download_button(
                    t("review.export"),
                    cr.workbook(
                        {
                            t("review.export.sheet"): frame.rename(columns=labels),
                            t("review.export.summary"): summary,
                        }
                    ),
                    file_name=f"review-{m['week_start']}-{population}.xlsx",
                    mime=dl.mime(dl.XLSX),
                    key="rv_export",
                    icon=":material/download:",
                )
            with d2:
                st.link_button(
                    t("review.print"),
                    f"review?print=1&meeting={meeting_id}&population={population}",
                    icon=":material/print:",
                )

if defeats_tab is not None:
    with defeats_tab:
        pending = rd.own_only(rd.pending_defeats(engine, version, pii))
        st.caption(t("defeat.pending.help"))
        if pending.empty:
            st.info(t("defeat.pending.none"))
        else:
            st.dataframe(
                pd.DataFrame(
                    {
                        t("defeat.col.id"): pending["defeat_id"],
                        t("col.customer_id"): pending["customer_id"],
                        t("col.name"): pending["customer"],
                        t("col.advisor"): pending["advisor"].fillna("—"),
                        t("defeat.col.at"): pending["at"],
                        t("defeat.col.reason"): [
                            t(f"defeats.reason.{x}") + (f" / {t(f'defeats.sub.{s}')}" if s else "")
                            for x, s in zip(pending["reason"], pending["sub_reason"], strict=True)
                        ],
                        t("defeat.col.requested_by"): pending["requested_by"].fillna(""),
                        t("defeat.col.note"): pending["note"].fillna(""),
                        t("review.col.360"): rd.customer_urls(pending["customer_id"]),
                    }
                ),
                hide_index=True,
                key="df_pending",
                column_config={
                    t("review.col.360"): st.column_config.LinkColumn(display_text=t("review.open_360"))
                },
            )
            defeat_id = st.selectbox(t("defeat.pick"), options=pending["defeat_id"].tolist(), key="df_pick")
            st.text_input(t("defeat.note"), key=f"df_note_{defeat_id}", max_chars=500)
            b1, b2 = st.columns(2)
            with b1:
                st.button(
                    t("defeat.approve"),
                    on_click=_defeat,
                    args=(int(defeat_id), True),
                    type="primary",
                    disabled=not actor or not viewer.can("approve_defeat"),
                    key="df_approve",
                )
            with b2:
                st.button(
                    t("defeat.return"),
                    on_click=_defeat,
                    args=(int(defeat_id), False),
                    disabled=not actor or not viewer.can("approve_defeat"),
                    key="df_return",
                )
