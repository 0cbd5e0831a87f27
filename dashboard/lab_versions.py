"""The lab's save and publish buttons, the version history (load, publish a draft, roll back, compare) and
their confirmation dialogs. The publish confirmation shows the draft's evaluation, not a second scoring."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.scoring.lab import DraftEvaluation
from core.scoring.lab import preview as reclassify
from core.scoring.publishing import (
    assignments_frame,
    compare,
    compare_tiers,
    publish,
    save_draft,
    write_assignments,
)
from core.scoring.publishing import versions as scheme_versions
from core.scoring.scheme import Problem, SchemeError
from dashboard import access, db, lab_state
from dashboard import review_data as rd
from dashboard.i18n import t
from dashboard.lab_view import counts_table, problem_text, show_problems
from dashboard.safe_text import plain
from dashboard.widgets import dim_label, tier_label


def actions(engine: Any, data: Any, spec: dict[str, Any], evaluation: DraftEvaluation) -> None:
    """Save the draft or publish it (after a confirmation that shows what will change: ``evaluation``)."""
    pop = data.population
    problems = list(evaluation.problems)
    st.divider()
    a, b, c = st.columns([3, 1, 1], vertical_alignment="bottom")
    name = a.text_input(t("lab.name"), key=lab_state.key(pop, "name"), max_chars=120)
    blocked = bool(problems)
    user = access.require("view_lab")
    may_draft, may_publish = user.can("draft_scheme"), user.can("publish_scheme")
    if b.button(t("lab.save"), disabled=blocked or not may_draft, key=lab_state.key(pop, "save")):
        access.require("draft_scheme")  # checked again on the server, whatever the button's state said
        try:
            v = save_draft(engine, spec, name=name, actor=_actor(), available=set(data.features.columns))
        except SchemeError as exc:
            for p in exc.problems:
                st.error(problem_text(p))
        else:
            db.bump_data_version()
            st.session_state["lab_flash"] = t("lab.saved", version=v.version)
            st.rerun(scope="app")  # the versions list below the fragment shows the new draft
    if not may_publish:
        c.caption(t("lab.publish.managers_only"))
    elif c.button(t("lab.publish"), type="primary", disabled=blocked, key=lab_state.key(pop, "publish")):
        if not name.strip():
            st.error(problem_text(Problem("name", "name_empty")))
        else:
            st.session_state[PUBLISH_OPEN] = pop
    # the dialog stays open through full reruns (AppTest, a rerun started elsewhere) until confirmed or dismissed
    if st.session_state.get(PUBLISH_OPEN) == pop and not blocked and name.strip() and may_publish:
        confirm_publish(engine, data, evaluation, name)
    if blocked:
        show_problems(problems, "population")


PUBLISH_OPEN = "lab_publish_open"


def _close_publish() -> None:
    st.session_state.pop(PUBLISH_OPEN, None)


def confirm_publish(engine: Any, data: Any, evaluation: DraftEvaluation, name: str) -> None:
    # built per call so that the dialog's title is in the session's language
    st.dialog(t("lab.publish.title"), on_dismiss=_close_publish)(_publish_body)(
        engine, data, evaluation, name
    )


def _publish_body(engine: Any, data: Any, evaluation: DraftEvaluation, name: str) -> None:
    # only opened for a draft without problems: its evaluation scored the draft as it is
    result, spec = evaluation.preview, evaluation.spec
    assert result is not None and spec is not None and not evaluation.rescaled
    st.markdown(
        t(
            "lab.publish.body",
            n=f"{len(result.scored.tier):,}",
            up=f"{len(result.moved_up):,}",
            down=f"{len(result.moved_down):,}",
        )
    )
    counts_table(result.counts, key="lab_publish_counts")
    ok, cancel = st.columns(2)
    if cancel.button(t("lab.publish.cancel"), key="lab_publish_cancel"):
        _close_publish()
        st.rerun()
    if ok.button(t("lab.publish.confirm"), type="primary", key="lab_publish_confirm"):
        access.require("publish_scheme")
        try:
            with st.spinner("…"):
                v, n = publish(
                    engine, spec, assignments_frame(result.scored, spec), name=name, actor=_actor(),
                    available=set(data.features.columns),
                )  # fmt: skip
        except SchemeError as exc:
            st.error(t("lab.failed", error="; ".join(problem_text(p) for p in exc.problems)))
            return
        except Exception as exc:  # the transaction rolled back; say so instead of showing a traceback
            st.error(t("lab.failed", error=type(exc).__name__))
            return
        db.bump_data_version()
        _close_publish()
        st.session_state["lab_flash"] = t("lab.published", version=v.version, n=f"{n:,}")
        st.rerun()


def _actor() -> str:
    return access.require("view_lab").name


def versions(engine: Any, data: Any) -> None:
    """Version history: load any version into the draft, publish a draft or roll back to an earlier version
    (each after a confirmation that shows what changes), compare two versions."""
    if "lab_flash" in st.session_state:
        st.success(st.session_state.pop("lab_flash"))
    pop = data.population
    with engine.connect() as conn:
        rows = versions_of(conn, pop)
    if not rows:
        return
    st.subheader(t("lab.versions"))
    table = pd.DataFrame(
        {
            t("col.version"): [v.version for v in rows],
            t("lab.name"): [v.name for v in rows],
            t("col.status"): [t(f"status.{v.status}") for v in rows],
            t("col.created_by"): [rd.person(v.created_by) for v in rows],
            t("col.created_at"): [_when(v.created_at) for v in rows],
            t("col.published_at"): [_when(v.published_at) for v in rows],  # a draft: never, "—"
        }
    )
    st.dataframe(table, hide_index=True, key=f"lab_versions_{pop}")
    by_version = {v.version: v for v in rows}
    a, b, c = st.columns([2, 1, 1], vertical_alignment="bottom")
    target = a.selectbox(t("col.version"), list(by_version), key=f"lab_rb_{pop}")
    chosen = by_version[target]
    b.button(
        t("labv.load"),
        key=f"lab_load_{pop}",
        on_click=_load_version,
        args=(pop, chosen.version, chosen.name, chosen.params),
        help=t("labv.load.help"),
    )
    may_publish = access.require("view_lab").can("publish_scheme")
    if c.button(
        t("labv.publish" if chosen.status == "draft" else "labv.rollback"),
        key=f"lab_rb_go_{pop}",
        disabled=chosen.status == "published" or not may_publish,
    ):
        access.require("publish_scheme")
        st.session_state[ROLLBACK_OPEN] = (pop, chosen.id)
    opened = st.session_state.get(ROLLBACK_OPEN)
    if opened and opened[0] == pop and may_publish:
        wanted = next((v for v in rows if v.id == opened[1] and v.status != "published"), None)
        if wanted is None:
            _close_rollback()
        else:
            confirm_version(engine, data, wanted)
    if len(rows) >= 2:
        with st.expander(t("lab.compare")):
            _compare(engine, data, by_version)


ROLLBACK_OPEN = "lab_rb_open"


def _load_version(population: str, version: int, name: str, params: dict[str, Any]) -> None:
    """Put a stored version into the lab's widgets (a callback: before they are drawn)."""
    lab_state.load(population, params)
    st.session_state[lab_state.key(population, "name")] = name
    st.session_state["lab_flash"] = t("labv.loaded", version=version, name=plain(name))


def _close_rollback() -> None:
    st.session_state.pop(ROLLBACK_OPEN, None)


def confirm_version(engine: Any, data: Any, version: Any) -> None:
    """The dialog that publishes a stored version (a draft, or an earlier one: a rollback) once confirmed."""
    key = "labv.publish.title" if version.status == "draft" else "labv.rollback.title"
    st.dialog(t(key, version=version.version), on_dismiss=_close_rollback)(_version_body)(
        engine, data, version
    )


def _version_body(engine: Any, data: Any, version: Any) -> None:
    try:
        scorer, _ = data.scorers(version.params)
        result = reclassify(scorer, version.params, data.published)
    except (SchemeError, KeyError, ValueError) as exc:
        st.error(t("labv.confirm.not_scorable", version=version.version, error=type(exc).__name__))
        return
    st.markdown(
        t(
            "labv.confirm.body",
            version=version.version,
            name=plain(version.name),
            n=f"{len(result.scored.tier):,}",
            up=f"{len(result.moved_up):,}",
            down=f"{len(result.moved_down):,}",
            same=f"{result.unchanged:,}",
        )
    )
    counts_table(result.counts, key="lab_rb_counts")
    draft = version.status == "draft"
    ok, cancel = st.columns(2)
    if cancel.button(t("lab.publish.cancel"), key="lab_rb_cancel"):
        _close_rollback()
        st.rerun()
    if ok.button(
        t("labv.confirm.publish" if draft else "labv.confirm.rollback"), type="primary", key="lab_rb_confirm"
    ):
        access.require("publish_scheme")
        try:
            n = write_assignments(
                engine,
                version.id,
                assignments_frame(result.scored, version.params),
                actor=_actor(),
                action="scheme.publish" if draft else "scheme.rollback",
            )
        except Exception as exc:  # noqa: BLE001 - rolled back; the message says nothing changed
            st.error(t("lab.failed", error=type(exc).__name__))
            return
        db.bump_data_version()
        _close_rollback()
        st.session_state["lab_flash"] = t(
            "labv.published" if draft else "lab.rolled_back", version=version.version, n=f"{n:,}"
        )
        st.rerun()


def _compare(engine: Any, data: Any, by_version: dict[int, Any]) -> None:
    """Two versions side by side: tier shares and movers on today's data, weights, written assignments."""
    pop = data.population
    c1, c2 = st.columns(2)
    va = c1.selectbox(t("lab.version_a"), list(by_version), index=1, key=f"lab_cmp_a_{pop}")
    vb = c2.selectbox(t("lab.version_b"), list(by_version), index=0, key=f"lab_cmp_b_{pop}")
    a, b = by_version[va], by_version[vb]
    name_a, name_b = f"{t('lab.version_a')} ({va})", f"{t('lab.version_b')} ({vb})"
    try:
        shares, moved = compare_tiers(
            data.scorers(a.params)[0], a.params, data.scorers(b.params)[0], b.params
        )
    except (SchemeError, KeyError, ValueError) as exc:
        st.warning(t("labv.confirm.not_scorable", version=f"{va} / {vb}", error=type(exc).__name__))
    else:
        st.markdown(f"**{t('labv.cmp.shares')}**")
        st.dataframe(
            shares.assign(tier=shares["tier"].map(tier_label)).rename(
                columns={
                    "tier": t("col.tier"),
                    "a": name_a,
                    "a_share": t("labv.col.a_share"),
                    "b": name_b,
                    "b_share": t("labv.col.b_share"),
                    "change": t("col.change"),
                }
            ),
            hide_index=True,
            column_config={
                t("labv.col.a_share"): st.column_config.NumberColumn(format="percent"),
                t("labv.col.b_share"): st.column_config.NumberColumn(format="percent"),
            },
            key=f"lab_cmp_s_{pop}",
        )
        st.markdown(
            t(
                "labv.cmp.moved",
                up=f"{len(moved.moved_up):,}",
                down=f"{len(moved.moved_down):,}",
                same=f"{moved.unchanged:,}",
            )
        )
        st.caption(t("labv.cmp.transition"))
        tr = moved.transition  # a table, not a chart: the expander is closed until someone opens it
        today = pd.DataFrame(tr.to_numpy(), columns=[tier_label(str(x)) for x in tr.columns])
        today.insert(0, f"{name_a} → {name_b}", [tier_label(str(x)) for x in tr.index])
        st.dataframe(today, hide_index=True, key=f"lab_cmp_m_{pop}")
    with engine.connect() as conn:
        cmp = compare(conn=conn, a=a.id, b=b.id)
    w = cmp["weights"]
    st.markdown(f"**{t('labv.cmp.weights')}**")
    st.dataframe(
        w.assign(dimension=w["dimension"].map(dim_label)).rename(
            columns={"dimension": t("col.dimension"), "a": name_a, "b": name_b, "change": t("col.change")}
        ),
        hide_index=True,
        key=f"lab_cmp_w_{pop}",
    )
    if cmp["transition"] is not None:
        tr = cmp["transition"]
        st.caption(t("labv.cmp.stored"))
        shown = pd.DataFrame(tr.to_numpy(), columns=[tier_label(str(x)) for x in tr.columns])
        shown.insert(0, f"{name_a} → {name_b}", [tier_label(str(x)) for x in tr.index])
        st.dataframe(shown, hide_index=True, key=f"lab_cmp_t_{pop}")


def _when(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def versions_of(conn: Any, population: str) -> list[Any]:
    return scheme_versions(conn=conn, population=population)
