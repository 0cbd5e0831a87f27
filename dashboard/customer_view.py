"""The customer 360's widgets and write callbacks (pages/customer.py reads the customer, calls core, draws with
these): the search, the customer picker, the profile, the tiers with each dimension's points, the tier and
override histories, the timeline and the "mark as defeated" request. Each function owns its keys (``c360_*``)."""

from __future__ import annotations

from functools import partial

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.storage.models import DEFEAT_REASONS, PRICE_SUB_REASONS
from core.workflow import customer360
from core.workflow.defeat_approval import request_defeat
from core.workflow.overrides import Conflict, InputError, clear_override
from dashboard import db
from dashboard import review_data as rd
from dashboard.charts import FONT
from dashboard.i18n import TEXT, coded, language, t
from dashboard.safe_text import chart_figure
from dashboard.widgets import dim_label, relabel, tier_label

MSG_KEY = "c360_message"
POPULATIONS = ("owners", "leads")


def say(kind: str, text: str) -> None:
    st.session_state[MSG_KEY] = (kind, text)


def show_message() -> None:
    """The last save's message, once."""
    if MSG_KEY in st.session_state:
        kind, text = st.session_state.pop(MSG_KEY)
        getattr(st, kind)(text)


# ---- callbacks: run before the rerun ----------------------------------------------------------------------


def clear(override_id: int, read_version: int) -> None:
    actor = rd.current_actor()
    if not actor:
        say("error", t("input.actor_missing"))
        return
    try:
        clear_override(db.get_engine(), override_id=override_id, read_version=read_version, actor=actor)
        say("success", t("c360.override.cleared_msg"))
    except Conflict as exc:
        say("error", rd.conflict_text(exc, tier_label))
    rd.after_write()


def request() -> None:
    lead_id = int(st.session_state["c360_df_lead"])
    actor = rd.current_actor()
    if not actor:
        say("error", t("input.actor_missing"))
        return
    reason = st.session_state.get("c360_df_reason")
    try:
        request_defeat(
            db.get_engine(),
            lead_id=lead_id,
            reason=reason,
            sub_reason=st.session_state.get("c360_df_sub") if reason == "price" else None,
            competitor_brand=st.session_state.get("c360_df_brand"),
            note=st.session_state.get("c360_df_note"),
            actor=actor,
        )
        say("success", t("c360.defeat.requested"))
    except InputError as exc:
        say("error", rd.input_error_text(exc))
    rd.after_write()


def pick() -> None:
    """A search result was chosen: open that customer (the number field and the URL follow)."""
    rows = list(st.session_state["c360_hits"].selection.rows)
    ids = st.session_state.get("c360_hit_ids") or []
    if rows and rows[0] < len(ids):
        st.session_state["c360_id"] = int(ids[rows[0]])
        st.query_params["customer"] = str(int(ids[rows[0]]))


# ---- labels -----------------------------------------------------------------------------------------------


def detail_label(text: str) -> str:
    """Codes inside a timeline detail ("reached · 备注") in the session's language."""
    out = []
    for part in (text or "").split(" · "):
        if f"c360.code.{part}" in TEXT:
            out.append(t(f"c360.code.{part}"))
        elif part in PRICE_SUB_REASONS:
            out.append(t(f"defeats.sub.{part}"))
        else:
            out.append(part)
    return " · ".join(x for x in out if x)


def fmt_time(x) -> str:
    return "" if x is None or pd.isna(x) else pd.Timestamp(x).strftime("%Y-%m-%d %H:%M")


def event_code(event: str, code) -> str:
    if not isinstance(code, str):
        return ""
    if event == "stage":
        return t(f"defeats.stage.{code}")
    if event == "defeat":
        return t(f"defeats.reason.{code}") if code in DEFEAT_REASONS else code
    if event in ("follow_up", "purchase"):
        return t(f"c360.{event}.{code}")
    return code


# ---- finding the customer ---------------------------------------------------------------------------------


def search_box(engine, user, pii: bool) -> None:
    """Find a customer by name, phone (or its last four digits), customer number or external id."""
    query = st.text_input(
        t("c360.search"), key="c360_q", placeholder=t("c360.search.placeholder"), help=t("c360.search.help")
    )
    if not query.strip():
        return
    with engine.connect() as conn:
        hits, more = customer360.search(
            conn=conn,
            query=query,
            advisor_id=user.advisor_id,
            own_only=not user.can("all_customers"),  # an advisor finds only their own customers
            show_pii=pii,
        )
    if hits.empty:
        st.info(t("c360.search.none", query=rd.plain(query.strip())))
        return
    st.session_state["c360_hit_ids"] = [int(x) for x in hits["customer_id"]]
    st.caption(
        t("c360.search.more" if more else "c360.search.found", n=len(hits)) + " " + t("c360.search.choose")
    )
    st.dataframe(
        pd.DataFrame(
            {
                t("col.customer_id"): hits["customer_id"],
                t("col.name"): hits["name"],
                t("col.phone"): hits["phone"].fillna(""),
                t("c360.external_id"): hits["external_id"].fillna(""),
                t("c360.kind"): [t(f"c360.kind.{k}") for k in hits["kind"]],
                t("c360.search.matched"): [t(f"c360.search.by.{m}") for m in hits["matched"]],
            }
        ),
        hide_index=True,
        key="c360_hits",
        on_select=pick,
        selection_mode="single-row",
    )


def customer_picker() -> int | None:
    """The customer to show: the URL's ``customer`` (a warning when it is not a number) until the number field
    (key ``c360_id``) or a chosen search result says otherwise; the URL follows the field."""
    raw = st.query_params.get("customer")
    try:
        customer_id = int(raw) if raw is not None else None
    except ValueError:
        customer_id = None
        st.warning(t("c360.bad_id", value=rd.plain(raw)))
    picked = st.number_input(
        t("c360.pick"),
        min_value=1,
        step=1,
        # the URL's customer on the first run; afterwards the field's own state (a chosen search result sets it)
        value=None if "c360_id" in st.session_state else customer_id,
        placeholder=t("c360.pick.placeholder"),
        key="c360_id",
    )
    if picked is not None and int(picked) != customer_id:
        customer_id = int(picked)
        st.query_params["customer"] = str(customer_id)
    return customer_id


# ---- the customer -----------------------------------------------------------------------------------------


def profile(prof: dict, customer_id: int, *, pii: bool) -> None:
    """Name and number, then twelve facts in four columns (hidden ones said so); a caption when masked."""
    en = language() == "en"
    st.subheader(f"{rd.plain(prof['name'])} · #{customer_id}", anchor=False)
    cols = st.columns(4)
    facts = [
        (t("c360.kind"), t(f"c360.kind.{prof['kind']}")),
        (t("col.phone"), prof["phone"] or "—"),
        (t("col.region"), (prof["region_en"] if en else prof["region"]) or "—"),
        (t("col.store"), (prof["store_en"] if en else prof["store"]) or "—"),
        (t("col.advisor"), prof["advisor"] or "—"),
        (t("c360.channel"), (prof["channel_en"] if en else prof["channel"]) or "—"),
        (t("c360.model"), prof["intended_model"] or "—"),
        (t("c360.budget"), prof["budget_range"] or "—"),
        (t("c360.owner"), t("c360.yes") if prof["is_owner"] else t("c360.no")),
        (t("c360.since"), fmt_time(prof["created_at"])[:10]),
        (t("c360.birth"), prof["birth_date"] or "—"),
        (t("c360.purpose"), prof["purpose"] or "—"),
    ]
    for i, (label, value) in enumerate(facts):
        with cols[i % 4]:
            shown = t("c360.hidden") if value == customer360.HIDDEN else str(value)
            st.markdown(f"**{label}**  \n{rd.plain(shown)}")
    if not pii:
        st.caption(t("c360.masked"))


def tiers(engine, version: str, customer_id: int) -> None:
    """Per population: the effective tier (an override says which tier it replaced) and the published scheme's
    points per dimension, as a bar chart and a table (keys ``c360_score_<pop>``, ``c360_parts_<pop>``)."""
    for col, population in zip(st.columns(2), POPULATIONS, strict=True):
        with col:
            eff = rd.effective_tier(engine, version, population, customer_id)
            st.markdown(f"**{t(f'review.pop.{population}')}**")
            if eff is None:
                st.caption(t("c360.tier.none"))
                continue
            computed = eff["computed"] if isinstance(eff["computed"], str) else "—"
            if isinstance(eff["override"], str):
                st.metric(
                    t("c360.tier.effective"),
                    rd.plain(
                        tier_label(eff["override"])
                    ),  # a metric is Markdown; tier labels are typed in the lab
                    delta=t("c360.tier.overridden", computed=rd.plain(tier_label(computed))),
                    delta_color="off",
                    border=True,
                )
            else:
                st.metric(t("c360.tier.effective"), rd.plain(tier_label(computed)), border=True)
            fitted = rd.scorer(engine, version, population)
            if fitted is None:
                continue
            scorer, features, scheme, as_of = fitted
            parts = customer360.score_breakdown(scorer, features, customer_id)
            if parts is None:
                st.caption(t("c360.score.none"))
                continue
            score_parts(parts, population, version=scheme["version"], as_of=as_of)


def score_parts(parts: pd.DataFrame, population: str, *, version, as_of) -> None:
    total = float(parts["points"].sum())
    st.caption(t("c360.score.caption", score=f"{total:.1f}", version=version, as_of=as_of))
    names = [dim_label(d) for d in parts["dimension"]]
    fig = go.Figure(go.Bar(x=parts["points"], y=names, orientation="h", marker_color="#4575b4"))
    fig.update_layout(
        font_family=FONT,
        height=60 + 36 * len(parts),
        margin=dict(l=10, r=10, t=10, b=10),
        xaxis_title=t("c360.score.points"),
    )
    st.plotly_chart(chart_figure(fig), key=f"c360_score_{population}")
    st.dataframe(
        pd.DataFrame(
            {
                t("col.dimension"): names,
                t("c360.score.value"): parts["value"].round(2),
                t("c360.score.normalised"): parts["normalised"],
                t("col.weight"): parts["weight"],
                t("c360.score.points"): parts["points"],
            }
        ),
        hide_index=True,
        key=f"c360_parts_{population}",
    )


def tier_history(history: pd.DataFrame) -> None:
    """Every tier the customer had, per population (key ``c360_history``)."""
    if history.empty:
        st.info(t("c360.history.none"))
        return
    st.dataframe(
        pd.DataFrame(
            {
                t("review.population"): [t(f"review.pop.{p}") for p in history["population"]],
                t("col.version"): history["scheme_version"],
                t("col.tier"): history["tier"].map(tier_label),
                t("col.score"): history["score"].round(1),
                t("col.rule"): [t(f"rule.{r}") if isinstance(r, str) else "" for r in history["rule"]],
                t("c360.from"): history["effective_from"].map(fmt_time),
                t("c360.to"): history["effective_to"].map(fmt_time),
            }
        ),
        hide_index=True,
        key="c360_history",
    )


def override_history(ovs: pd.DataFrame, *, actor: str | None) -> None:
    """Every override with its state (key ``c360_overrides``) and a clear button per active one
    (``c360_clear_<id>``)."""
    if ovs.empty:
        st.info(t("c360.overrides.none"))
        return
    state = customer360.override_states(ovs, now=pd.Timestamp.now())
    st.dataframe(
        pd.DataFrame(
            {
                t("review.population"): [t(f"review.pop.{p}") for p in ovs["population"]],
                t("col.tier"): ovs["tier"].map(tier_label),
                t("review.reason"): ovs["reason"],
                t("review.note"): ovs["note"].fillna(""),
                t("c360.override.by"): ovs["created_by"],
                t("c360.override.at"): ovs["created_at"].map(fmt_time),
                t("review.expires"): ovs["expires_at"].map(fmt_time),
                t("c360.override.state"): [t(f"c360.override.{s}") for s in state],
                t("c360.override.cleared_by"): [
                    f"{b} · {fmt_time(a)}" if isinstance(b, str) else ""
                    for b, a in zip(ovs["cleared_by"], ovs["cleared_at"], strict=True)
                ],
            }
        ),
        hide_index=True,
        key="c360_overrides",
    )
    active = ovs[[s == "active" for s in state]]
    for row in active.itertuples():
        st.button(
            t(
                "c360.override.clear",
                tier=rd.plain(tier_label(row.tier)),
                pop=t(f"review.pop.{row.population}"),
            ),
            on_click=clear,
            args=(int(row.id), int(row.row_version)),
            disabled=not actor,
            key=f"c360_clear_{row.id}",
        )


def timeline_kinds(events: pd.DataFrame) -> list[str]:
    """The kinds of event to show (key ``c360_kinds``; none chosen = all)."""
    kind_options = customer360.event_kinds(events)
    relabel("c360_kinds", [coded("c360.event", e) for e in kind_options])
    return st.multiselect(
        t("c360.timeline.kinds"),
        options=kind_options,
        format_func=partial(coded, "c360.event"),
        placeholder=t("filters.all"),
        key="c360_kinds",
    )


def timeline(shown: pd.DataFrame) -> None:
    """The timeline's rows, newest first (key ``c360_timeline``)."""
    st.dataframe(
        pd.DataFrame(
            {
                t("c360.at"): shown["at"].map(fmt_time),
                t("c360.event"): [t(f"c360.event.{e}") for e in shown["event"]],
                t("c360.lead"): [f"#{x}" if pd.notna(x) else "" for x in shown["lead_id"]],
                t("c360.what"): [
                    event_code(e, c) for e, c in zip(shown["event"], shown["code"], strict=True)
                ],
                t("c360.amount"): [f"{x:,.0f}" if pd.notna(x) else "" for x in shown["amount"]],
                t("c360.detail"): shown["detail"].map(detail_label),
            }
        ),
        hide_index=True,
        key="c360_timeline",
    )


def defeat_form(open_leads: pd.DataFrame, *, actor: str | None) -> None:
    """Ask for an open lead to be marked as defeated (form ``c360_defeat``); the manager approves it."""
    st.subheader(t("c360.defeat"), help=t("c360.defeat.help"))
    with st.form("c360_defeat"):
        st.selectbox(
            t("c360.lead"),
            options=open_leads["lead_id"].tolist(),
            format_func=partial(rd.option_label, {i: f"#{i}" for i in open_leads["lead_id"]}),
            key="c360_df_lead",
        )
        st.selectbox(
            t("defeat.col.reason"),
            options=list(DEFEAT_REASONS),
            format_func=partial(coded, "defeats.reason"),
            key="c360_df_reason",
        )
        st.selectbox(
            t("c360.defeat.sub"),
            options=list(PRICE_SUB_REASONS),
            format_func=partial(coded, "defeats.sub"),
            key="c360_df_sub",
            help=t("c360.defeat.sub.help"),
        )
        st.text_input(t("c360.defeat.brand"), key="c360_df_brand", max_chars=64)
        st.text_input(t("defeat.col.note"), key="c360_df_note", max_chars=500)
        st.form_submit_button(t("c360.defeat.submit"), on_click=request, disabled=not actor)
