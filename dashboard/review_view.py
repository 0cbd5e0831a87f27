"""The weekly review's widgets (pages/review.py reads the filters, calls core, draws with these): the meeting
picker, the agenda (its filters, table, print view and bulk confirm), one item's panel, the workbook and the
defeat approvals. Each function owns its session-state keys (``rv_*``, ``df_*``); the page never touches them.
The writes are in dashboard/review_actions.py."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from core.workflow import review as cr
from dashboard import downloads as dl
from dashboard import review_actions as ra
from dashboard import review_data as rd
from dashboard.i18n import coded, t
from dashboard.widgets import relabel, tier_label

POPULATIONS = ("owners", "leads")
STATUS = cr.STATUSES
PRINT_CSS = """<style>
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"] { display: none !important; }
  [data-testid="stMain"] { margin-left: 0 !important; }
}
</style>"""

# ---- labels -----------------------------------------------------------------------------------------------


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


def change_text(old: Any, new: str) -> str:
    return f"{tier_label(old) if isinstance(old, str) else '—'} → {tier_label(new)}"


# ---- the meeting ------------------------------------------------------------------------------------------


def population_picker() -> str:
    """Owners or leads (key ``rv_population``)."""
    relabel("rv_population", [coded("review.pop", p) for p in POPULATIONS])
    return (
        st.segmented_control(
            t("review.population"),
            options=list(POPULATIONS),
            format_func=partial(coded, "review.pop"),
            default="owners",
            key="rv_population",
        )
        or "owners"
    )


def print_population() -> str:
    """The print view's population, from the URL (owners unless it names a known one)."""
    population = st.query_params.get("population", "owners")
    return population if population in POPULATIONS else "owners"


def print_meeting(found: pd.DataFrame) -> int | None:
    """The print view's meeting: the URL's when it is one of ``found``, else the newest."""
    wanted = st.query_params.get("meeting")
    ids = found["id"].tolist()
    try:
        return int(wanted) if wanted is not None and int(wanted) in ids else (ids[0] if ids else None)
    except ValueError:
        return ids[0] if ids else None


def meeting_picker(found: pd.DataFrame, population: str, *, may_open: bool, actor: str | None) -> int | None:
    """The button that opens this week's meeting (for those who may) and the meeting picker
    (key ``rv_meeting_<population>``, the newest by default); returns the chosen meeting's id."""
    this_week = cr.week_start(dt.date.today())
    if this_week not in set(found["week_start"]) and not may_open:
        st.caption(t("review.meeting.managers_open"))
    elif this_week not in set(found["week_start"]):
        st.button(
            t("review.meeting.open", week=this_week),
            on_click=ra.open_meeting,
            args=(population, this_week),
            disabled=not actor,
            help=None if actor else t("input.actor_missing"),
            key="rv_open",
            icon=":material/event:",
        )
    if not len(found):
        return None
    key = f"rv_meeting_{population}"
    if st.session_state.get(key) not in found["id"].tolist():
        st.session_state[key] = int(found["id"].iloc[0])
    return st.selectbox(
        t("review.meeting.pick"),
        options=found["id"].tolist(),
        format_func=partial(rd.option_label, {i: meeting_label(found, i) for i in found["id"]}),
        key=key,
    )


def _when(at: Any) -> str:
    return pd.Timestamp(at).strftime("%Y-%m-%d %H:%M")


def meeting_header(m: dict[str, Any], population: str, items: pd.DataFrame, *, printing: bool) -> None:
    """The meeting's title (print view), its caption (week, baseline, cut-off, opener) and progress bar."""
    if printing:
        st.subheader(
            t("review.print.title", week=m["week_start"], pop=t(f"review.pop.{population}")), anchor=False
        )
    baseline = m["baseline_at"]
    st.caption(
        t(
            "review.meeting.caption",
            week=m["week_start"],
            baseline=_when(baseline) if baseline is not None else "—",
            cutoff=_when(m["cutoff_at"]),
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


# ---- the agenda -------------------------------------------------------------------------------------------


def print_agenda(items: pd.DataFrame) -> None:
    """The print view: one table per advisor."""
    for advisor, part in items.groupby(items["advisor"], sort=True):
        st.markdown(f"**{t('col.advisor')}：{rd.plain(advisor)}**")
        st.table(
            pd.DataFrame(
                {
                    t("col.customer_id"): part["customer_id"].astype(str),
                    t("col.name"): part["customer_name"],
                    t("review.col.change"): [
                        change_text(o, n) for o, n in zip(part["old_tier"], part["new_tier"], strict=True)
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


def agenda_filters(items: pd.DataFrame) -> tuple[list[str], str]:
    """The advisors chosen (key ``rv_advisor``; none = all) and the status (key ``rv_status``, open by default)."""
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
    return chosen, status


def agenda_table(shown: pd.DataFrame) -> None:
    """The filtered agenda with its counts, each row linking to the customer's 360 (key ``rv_items``)."""
    st.caption(t("review.shown", n=len(shown), **cr.progress(shown)))
    table = pd.DataFrame(
        {
            t("col.advisor"): shown["advisor"],
            t("col.customer_id"): shown["customer_id"],
            t("col.name"): shown["customer_name"],
            t("review.col.old"): [tier_label(x) if isinstance(x, str) else "—" for x in shown["old_tier"]],
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


def bulk_confirm(shown: pd.DataFrame, actor: str | None) -> None:
    """Confirm every undecided row shown, each at the row_version shown (key ``rv_bulk``)."""
    undecided = shown[shown["decision"].isna()]
    st.button(
        t("review.bulk", n=len(undecided)),
        on_click=ra.confirm_shown,
        args=(list(zip(undecided["id"].tolist(), undecided["row_version"].tolist(), strict=True)),),
        disabled=undecided.empty or not actor,
        key="rv_bulk",
        icon=":material/done_all:",
    )


def item_panel(
    shown: pd.DataFrame, items: pd.DataFrame, *, engine, version: str, population: str, actor: str | None
) -> None:
    """Pick an item of the filtered agenda (key ``rv_item``): its change and reasons, who decided it, a link to
    the customer, the discussed toggle and its decision form (with the population's tiers)."""
    st.subheader(t("review.decide"))
    if shown.empty:
        st.info(t("review.filtered_none"))
        return
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
            reasons=rd.plain(rd.reasons_text(r["reasons"], r["old_score"], r["new_score"]) or "—"),
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
            on_click=ra.toggle_discussed,
            args=(int(item_id), read_version, not bool(r["discussed"])),
            disabled=not actor,
            key="rv_discussed_toggle",
            icon=":material/forum:",
        )
    tiers = rd.labels(engine, version, population)
    ra.decision_form(
        int(item_id), tiers=tiers, read_version=read_version, discussed=bool(r["discussed"]), actor=actor
    )
    if not actor:
        st.caption(t("input.actor_missing"))


# ---- export -----------------------------------------------------------------------------------------------


def export_text() -> cr.ExportText:
    """The workbook's wording in the session's language."""
    return cr.ExportText(
        sheet=t("review.export.sheet"),
        summary_sheet=t("review.export.summary"),
        headers={c: t(f"review.export.{c}") for c in cr.EXPORT_COLUMNS},
        item_header=t("review.export.item"),
        value_header=t("review.export.value"),
        summary_rows={
            "week": t("review.export.week"),
            "population": t("review.population"),
            "baseline": t("review.export.baseline"),
            "cutoff": t("review.export.cutoff"),
            "total": t("review.export.total"),
            "reviewed": t("review.export.reviewed"),
            "overridden": t("review.export.overridden"),
        },
        tier=tier_label,
        decision=lambda code: t(f"review.decision.{code}"),
        rule=rule_label,
        population=lambda code: t(f"review.pop.{code}"),
        reasons=rd.reasons_text,
    )


def export_buttons(m: dict[str, Any], items: pd.DataFrame, population: str, meeting_id: int) -> None:
    """The workbook download (key ``rv_export``) and the link to the print view."""
    d1, d2 = st.columns(2)
    with d1:
        st.download_button(
            t("review.export"),
            cr.export_workbook(m, items, text=export_text()),
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


# ---- defeat approvals -------------------------------------------------------------------------------------


def pending_defeats(pending: pd.DataFrame, *, actor: str | None, may_approve: bool) -> None:
    """The defeat requests waiting for approval (key ``df_pending``), a picker (``df_pick``), a note
    (``df_note_<id>``) and approve / return buttons (``df_approve``, ``df_return``)."""
    st.caption(t("defeat.pending.help"))
    if pending.empty:
        st.info(t("defeat.pending.none"))
        return
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
        column_config={t("review.col.360"): st.column_config.LinkColumn(display_text=t("review.open_360"))},
    )
    defeat_id = st.selectbox(t("defeat.pick"), options=pending["defeat_id"].tolist(), key="df_pick")
    st.text_input(t("defeat.note"), key=f"df_note_{defeat_id}", max_chars=500)
    b1, b2 = st.columns(2)
    with b1:
        st.button(
            t("defeat.approve"),
            on_click=ra.decide_defeat,
            args=(int(defeat_id), True),
            type="primary",
            disabled=not actor or not may_approve,
            key="df_approve",
        )
    with b2:
        st.button(
            t("defeat.return"),
            on_click=ra.decide_defeat,
            args=(int(defeat_id), False),
            disabled=not actor or not may_approve,
            key="df_return",
        )
