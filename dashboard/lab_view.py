"""The lab page's widgets and preview panels (drawn inside the page's fragment)."""

from __future__ import annotations

import copy
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.access.privacy import mask_name
from core.scoring.features import DIMENSIONS, dimension_names
from core.scoring.lab import NO_HISTORY, backtest, explain_movers, workload
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
from core.scoring.scheme import NORMALISATIONS, PRESETS, TRIGGER_RULES, Problem, SchemeError, preset, validate
from core.scoring.suggest import suggest_weights
from dashboard import access, db, lab_state, tier_shares_view
from dashboard import review_data as rd
from dashboard.charts import FONT
from dashboard.i18n import coded, language, t
from dashboard.safe_text import chart_figure, plain
from dashboard.widgets import dim_label, relabel, select, tier_label

MOVERS_SHOWN = 200


def problem_text(p: Problem) -> str:
    # params quote what was typed (tier labels, a name): text inside the Markdown of st.error
    return t(
        f"problem.{p.code}",
        **{k: plain(dim_label(v) if k == "name" else v) if isinstance(v, str) else v for k, v in p.params},
    )


def _show_problems(problems: list[Problem], prefix: str) -> None:
    for p in problems:
        if p.field == prefix or p.field.startswith(prefix + ":"):
            st.error(problem_text(p), icon=":material/error:")


# ---- controls ---------------------------------------------------------------------------------------


def controls(data: Any) -> tuple[dict[str, Any], list[Problem]]:
    """Preset picker, weight sliders, normalisation, tier rule and triggers; returns (spec, problems)."""
    pop = data.population
    k = lambda name: lab_state.key(pop, name)  # noqa: E731
    options = ["published"] + [n for n, p in PRESETS.items() if p["population"] == pop]
    c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
    with c1:
        choice = select(t("lab.preset"), options, format_func=_preset_title, key=k("preset"))

    def apply() -> None:
        if choice == "published" and data.published_version is not None:
            lab_state.load(pop, data.published_version.params)
        elif choice != "published":
            lab_state.load(pop, preset(choice))

    c2.button(t("lab.preset.apply"), on_click=apply, key=k("apply"))

    st.markdown(f"**{t('lab.weights')}**")
    dims = dimension_names(pop)
    for dim in dims:
        st.slider(dim_label(dim), 0, 100, step=1, key=k(f"w_{dim}"), help=_definition(dim))
    spec = lab_state.read(pop)
    problems = validate(spec, set(data.features.columns))
    total = sum(float(d["weight"] or 0) for d in spec["dimensions"].values())
    st.caption(t("lab.weights.total", total=f"{total:g}"))
    _show_problems(problems, "weights")
    _show_problems(problems, "dimension")

    with st.expander(t("lab.advanced")):
        for dim in dims:
            a, b = st.columns(2)
            relabel(k(f"norm_{dim}"), [coded("norm", n) for n in NORMALISATIONS])
            relabel(k(f"dir_{dim}"), [coded("dir", d) for d in ("higher", "lower")])
            a.selectbox(
                f"{dim_label(dim)} · {t('lab.normalisation')}",
                NORMALISATIONS,
                format_func=partial(coded, "norm"),
                key=k(f"norm_{dim}"),
            )
            b.selectbox(
                t("lab.direction"),
                ("higher", "lower"),
                format_func=partial(coded, "dir"),
                key=k(f"dir_{dim}"),
            )

    st.markdown(f"**{t('lab.tiering')}**")
    st.text_input(t("lab.labels"), key=k("labels"))
    _show_problems(problems, "labels")
    relabel(k("method"), [coded("method", m) for m in ("percentile", "threshold")])
    method = st.radio(
        t("lab.method"),
        ("percentile", "threshold"),
        format_func=partial(coded, "method"),
        horizontal=True,
        key=k("method"),
    )
    if method == "percentile":
        st.text_input(t("lab.cutoffs"), key=k("cutoffs"))
        relabel(k("tie_break"), [_tie_break_title(x) for x in [lab_state.NO_TIE_BREAK, *dims]])
        st.selectbox(
            t("lab.tie_break"),
            [lab_state.NO_TIE_BREAK, *dims],
            format_func=_tie_break_title,
            key=k("tie_break"),
            help=t("lab.tie_break.help"),
        )
    else:
        st.text_input(t("lab.thresholds"), key=k("thresholds"))
    _show_problems(problems, "tiering")
    rules = [r for r, (_, pops) in TRIGGER_RULES.items() if pop in pops]
    relabel(k("triggers"), [coded("rule", r) for r in rules])
    st.multiselect(
        t("lab.triggers"),
        rules,
        format_func=partial(coded, "rule"),
        key=k("triggers"),
        placeholder=t("lab.triggers.none"),
    )
    labels = spec["labels"] or [""]
    if st.session_state.get(k("trigger_tier")) not in labels:
        st.session_state[k("trigger_tier")] = labels[-1]
    relabel(k("trigger_tier"), [tier_label(x) for x in labels])
    st.selectbox(t("lab.trigger_tier"), labels, format_func=tier_label, key=k("trigger_tier"))
    _show_problems(problems, "trigger")
    return lab_state.read(pop), problems


def _preset_title(name: str) -> str:
    if name == "published":
        return t("lab.preset.published")
    p = PRESETS[name]
    return " / ".join(p["labels"]) + f" ({'/'.join(str(int(c)) for c in p['tiering']['cutoffs'])})"


def _tie_break_title(dim: str) -> str:
    return (
        t("lab.tie_break.none")
        if dim == lab_state.NO_TIE_BREAK
        else t("lab.tie_break.dim", dim=dim_label(dim))
    )


def _definition(dim: str) -> str:
    d = DIMENSIONS.get(dim)
    return "" if d is None else (d.definition_en if language() == "en" else d.definition_zh)


# ---- preview -----------------------------------------------------------------------------------------


def _scorable(spec: dict[str, Any], problems: list[Problem]) -> dict[str, Any] | None:
    """The spec to preview: as is when valid; with weights rescaled to 100% when that is the only problem."""
    if not problems:
        return spec
    if all(p.code == "weights_sum" for p in problems):
        total = sum(float(d["weight"]) for d in spec["dimensions"].values())
        scaled = copy.deepcopy(spec)
        for d in scaled["dimensions"].values():
            d["weight"] = float(d["weight"]) * 100.0 / total
        st.info(t("lab.preview.scaled"), icon=":material/info:")
        return scaled
    return None


def preview(data: Any, spec: dict[str, Any], problems: list[Problem]) -> None:
    st.subheader(t("lab.preview"))
    scorable = _scorable(spec, problems)
    if scorable is None:
        st.warning(" ".join(problem_text(p) for p in problems))
        return
    scorer, bt_scorer = data.scorers(scorable)
    result = reclassify(scorer, scorable, data.published)
    labels = result.scored.labels
    c = result.counts
    st.markdown(
        t(
            "lab.moved",
            up=f"{len(result.moved_up):,}",
            down=f"{len(result.moved_down):,}",
            same=f"{result.unchanged:,}",
        )
    )
    n_over = int(data.overrides.sum())
    if n_over:
        st.caption(t("lab.overrides", n=f"{n_over:,}"))
    tier_shares_view.tie_warning(result.shares)
    st.markdown(f"**{t('lab.counts')}**")
    _counts_table(c, key="lab_counts")
    st.markdown(f"**{t('shares.title')}**", help=t("shares.help"))
    tier_shares_view.show(result.shares, key="lab_shares")
    st.markdown(f"**{t('lab.transition')}**")
    st.plotly_chart(chart_figure(_heatmap(result.transition)), key="lab_transition")

    tab_movers, tab_work, tab_bt = st.tabs([t("lab.movers"), t("lab.workload"), t("lab.backtest")])
    with tab_movers:
        _movers(data, scorer, result, scorable)
    with tab_work:
        _workload(data, result, labels)
    with tab_bt:
        _backtest(data, bt_scorer, scorable)
        _suggest(data, bt_scorer, scorable)


def _counts_table(counts: pd.DataFrame, *, key: str) -> None:
    st.dataframe(
        counts.assign(tier=counts["tier"].map(tier_label)).rename(
            columns={
                "tier": t("col.tier"),
                "customers": t("col.customers"),
                "share": t("col.share"),
                "published": t("col.published"),
                "change": t("col.change"),
            }
        ),
        hide_index=True,
        column_config={t("col.share"): st.column_config.NumberColumn(format="percent")},
        key=key,
    )


def _heatmap(transition: pd.DataFrame) -> go.Figure:
    z = transition.to_numpy()
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[tier_label(x) for x in transition.columns],
            y=[tier_label(x) for x in transition.index],
            text=[[f"{v:,}" for v in row] for row in z],
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
        )
    )
    fig.update_layout(
        font_family=FONT,
        height=260,
        margin=dict(l=10, r=10, t=10, b=10),
        # the heading says rows are the current tier and columns the new one; a rotated CJK axis title is unreadable
        yaxis_autorange="reversed",
    )
    return fig


def _movers(data: Any, scorer: Any, result: Any, spec: dict[str, Any]) -> None:
    ref = db.reference(db.get_engine(), db.data_version(db.get_engine()))
    name_col = "name_en" if language() == "en" else "name"
    regions = dict(zip(ref["regions"]["id"], ref["regions"][name_col], strict=True))
    stores = dict(zip(ref["stores"]["id"], ref["stores"][name_col], strict=True))
    f1, f2, f3 = st.columns(3)
    everyone = t("filters.all")
    relabel("lab_mv_region", regions.values())
    relabel("lab_mv_store", stores.values())
    region = f1.multiselect(
        t("lab.filter.region"),
        list(regions),
        format_func=regions.get,
        key="lab_mv_region",
        placeholder=everyone,
    )
    store = f2.multiselect(
        t("lab.filter.store"), list(stores), format_func=stores.get, key="lab_mv_store", placeholder=everyone
    )
    advisor = f3.multiselect(
        t("lab.filter.advisor"),
        sorted(set(data.advisor_id.tolist())),
        key="lab_mv_advisor",
        placeholder=everyone,
    )
    keep = np.ones(len(data.advisor_id), dtype=bool)
    if region:
        keep &= np.isin(data.region_id, region)
    if store:
        keep &= np.isin(data.store_id, store)
    if advisor:
        keep &= np.isin(data.advisor_id, advisor)
    up_tab, down_tab = st.tabs([t("lab.movers.up"), t("lab.movers.down")])
    for tab, positions, key in ((up_tab, result.moved_up, "up"), (down_tab, result.moved_down, "down")):
        with tab:
            pos = positions[keep[positions]]
            if len(pos) == 0:
                st.info(t("lab.movers.none"))
                continue
            shown = pos[:MOVERS_SHOWN]
            why = explain_movers(scorer, result.scored, spec, data.published, shown)
            old = np.array(data.published.labels + ["—"], dtype=object)[
                np.where(data.published.tier[shown] < 0, -1, data.published.tier[shown])
            ]
            frame = pd.DataFrame(
                {
                    t("col.customer_id"): why["customer_id"],
                    t("col.from"): [tier_label(x) for x in old],
                    t("col.to"): [tier_label(result.scored.labels[i]) for i in result.scored.tier[shown]],
                    t("col.score"): why["score"].round(1),
                    t("col.reasons"): [
                        "；".join(f"{dim_label(d)} {v:+.1f}" for d, v in r) for r in why["reasons"]
                    ],
                    t("col.rule"): [t(f"rule.{r}") if r else "" for r in why["rule"]],
                    t("col.override"): ["✓" if o else "" for o in data.overrides[shown]],
                    t("review.col.360"): rd.customer_urls(why["customer_id"]),
                }
            )
            st.caption(t("lab.movers.shown", n=len(shown), total=f"{len(pos):,}"))
            link = {t("review.col.360"): st.column_config.LinkColumn(display_text=t("review.open_360"))}
            st.dataframe(frame, hide_index=True, key=f"lab_movers_{key}", column_config=link)


def _workload(data: Any, result: Any, labels: list[str]) -> None:
    draft = workload(result.scored.tier, labels, data.advisor_id)
    has = data.published.tier >= 0
    pub = (
        workload(data.published.tier[has], data.published.labels, data.advisor_id[has])
        if has.any()
        else pd.DataFrame({"advisor_id": [], "per_week": []})
    )
    adv = db.advisors(db.get_engine(), db.data_version(db.get_engine())).rename(columns={"id": "advisor_id"})
    table = draft.merge(
        pub[["advisor_id", "per_week"]].rename(columns={"per_week": "published"}), on="advisor_id", how="left"
    )
    table = table.merge(adv[["advisor_id", "name", "capacity_per_week"]], on="advisor_id", how="left")
    if not access.require("view_lab").show_pii:  # advisors' names are personal data too
        table["name"] = table["name"].map(lambda x: mask_name(x) if isinstance(x, str) else x)
    table = table.sort_values("per_week", ascending=False)
    st.caption(t("lab.workload.help"))
    st.dataframe(
        table.rename(
            columns={"advisor_id": t("col.advisor"), "name": t("col.name"), "customers": t("col.customers"),
                     "per_week": t("col.per_week"), "published": t("col.per_week_published"), "capacity_per_week": t("col.capacity")}
        ),
        hide_index=True,
        key="lab_workload",
    )  # fmt: skip


def _backtest(data: Any, bt_scorer: Any, spec: dict[str, Any]) -> None:
    constant = [d for d in NO_HISTORY[data.population] if not d.startswith("flag_")]
    if constant:
        st.caption(t("lab.backtest.constant", dims="、".join(dim_label(d) for d in constant)))
    draft = bt_scorer.score(spec)
    table, auc_draft = backtest(draft.tier, draft.score, draft.labels, data.backtest_outcome)
    auc_pub = lift_pub = None
    pub_spec = data.published_version.params if data.published_version is not None else None
    if pub_spec is not None and set(pub_spec["dimensions"]) <= set(bt_scorer.dimensions_):
        pub = bt_scorer.score(_reweighted(bt_scorer, pub_spec, spec))
        pub_table, auc_pub = backtest(pub.tier, pub.score, pub.labels, data.backtest_outcome)
        lift_pub = float(pub_table["lift"].iloc[0])
    a, b = st.columns(2)
    a.metric(t("lab.auc"), f"{auc_draft:.3f}" if auc_draft is not None else "—",
             delta=None if auc_pub is None or auc_draft is None else f"{auc_draft - auc_pub:+.3f}",
             help=f"{t('col.published')}: {auc_pub:.3f}" if auc_pub is not None else None)  # fmt: skip
    b.metric(t("lab.lift"), f"{float(table['lift'].iloc[0]):.2f}",
             delta=None if lift_pub is None else f"{float(table['lift'].iloc[0]) - lift_pub:+.2f}",
             help=f"{t('col.published')}: {lift_pub:.2f}" if lift_pub is not None else None)  # fmt: skip
    st.dataframe(
        table.assign(tier=table["tier"].map(tier_label)).rename(
            columns={
                "tier": t("col.tier"),
                "customers": t("col.customers"),
                "rate": t("col.rate"),
                "lift": t("col.lift"),
            }
        ),
        hide_index=True,
        column_config={t("col.rate"): st.column_config.NumberColumn(format="percent")},
        key="lab_backtest",
    )


def _reweighted(scorer: Any, published_spec: dict[str, Any], draft: dict[str, Any]) -> dict[str, Any]:
    """The published spec expressed over the draft's fitted dimensions (zero weight where it has none)."""
    spec = copy.deepcopy(published_spec)
    spec["dimensions"] = {
        d: {"weight": float(published_spec["dimensions"].get(d, {}).get("weight", 0))}
        for d in scorer.dimensions_
    }
    spec["triggers"] = []  # the backtest compares scores; trigger flags were fitted for the draft's rules
    return spec


# ---- save, publish, versions ----------------------------------------------------------------------------


def actions(engine: Any, data: Any, spec: dict[str, Any], problems: list[Problem]) -> None:
    """Save the draft or publish it (after a confirmation that shows what will change)."""
    pop = data.population
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
        confirm_publish(engine, data, spec, name)
    if blocked:
        _show_problems(problems, "population")


PUBLISH_OPEN = "lab_publish_open"


def _close_publish() -> None:
    st.session_state.pop(PUBLISH_OPEN, None)


def confirm_publish(engine: Any, data: Any, spec: dict[str, Any], name: str) -> None:
    # built per call so that the dialog's title is in the session's language
    st.dialog(t("lab.publish.title"), on_dismiss=_close_publish)(_publish_body)(engine, data, spec, name)


def _publish_body(engine: Any, data: Any, spec: dict[str, Any], name: str) -> None:
    scorer, _ = data.scorers(spec)
    result = reclassify(scorer, spec, data.published)
    st.markdown(
        t(
            "lab.publish.body",
            n=f"{len(result.scored.tier):,}",
            up=f"{len(result.moved_up):,}",
            down=f"{len(result.moved_down):,}",
        )
    )
    _counts_table(result.counts, key="lab_publish_counts")
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
    _counts_table(result.counts, key="lab_rb_counts")
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


def _suggest(data: Any, bt_scorer: Any, spec: dict[str, Any]) -> None:
    """Offer weights fitted to past outcomes beside the draft's; a person chooses whether to use them."""
    pop = data.population
    state_key = lab_state.key(pop, "suggestion")
    if st.button(t("lab.suggest"), key=lab_state.key(pop, "suggest"), help=t("lab.suggest.help")):
        with st.spinner("…"):
            st.session_state[state_key] = _suggestion_state(
                suggest_weights(
                    data.train_scorer(spec), data.train_outcome, bt_scorer, data.backtest_outcome, spec
                )
            )
    got = st.session_state.get(state_key)
    if not got:
        return
    table = pd.DataFrame(
        {
            t("col.dimension"): [dim_label(d) for d in got["weights"]],
            t("col.draft"): [
                int(round(float(spec["dimensions"].get(d, {}).get("weight", 0)))) for d in got["weights"]
            ],
            t("lab.suggested"): list(got["weights"].values()),
        }
    )
    st.dataframe(table, hide_index=True, key=lab_state.key(pop, "suggest_table"))
    st.caption(
        t(
            "lab.suggest.auc",
            suggested="—" if got["auc_holdout"] is None else f"{got['auc_holdout']:.3f}",
            draft="—" if got["auc_holdout_current"] is None else f"{got['auc_holdout_current']:.3f}",
            train=data.train_as_of,
            holdout=data.backtest_as_of,
        )
    )

    def use() -> None:
        new = copy.deepcopy(spec)
        for d, w in got["weights"].items():
            new["dimensions"].setdefault(d, {})["weight"] = w
        lab_state.load(pop, new)
        st.session_state.pop(state_key, None)

    st.button(t("lab.suggest.use"), on_click=use, key=lab_state.key(pop, "suggest_use"))


def _suggestion_state(s: Any) -> dict[str, Any]:
    return {
        "weights": dict(s.weights),
        "auc_holdout": s.auc_holdout,
        "auc_holdout_current": s.auc_holdout_current,
    }
