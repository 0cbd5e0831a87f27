"""The lab page's controls and its live preview (drawn inside the page's fragment). The preview draws one
evaluation of the draft (``core.scoring.lab.evaluate_draft``): labels, widgets and charts only."""

from __future__ import annotations

import copy
from contextlib import nullcontext
from functools import partial
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.access.privacy import mask_name
from core.scoring.features import DIMENSIONS, dimension_names
from core.scoring.lab import DraftEvaluation, MoverFilter, evaluate_draft
from core.scoring.scheme import NORMALISATIONS, PRESETS, TRIGGER_RULES, Problem, preset, validate
from dashboard import access, db, lab_state, tier_shares_view
from dashboard import review_data as rd
from dashboard.charts import FONT
from dashboard.i18n import coded, language, t
from dashboard.safe_text import chart_figure, plain
from dashboard.widgets import dim_label, relabel, select, tier_label


def problem_text(p: Problem) -> str:
    # params quote what was typed (tier labels, a name): text inside the Markdown of st.error
    return t(
        f"problem.{p.code}",
        **{k: plain(dim_label(v) if k == "name" else v) if isinstance(v, str) else v for k, v in p.params},
    )


def show_problems(problems: list[Problem], prefix: str) -> None:
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
    show_problems(problems, "weights")
    show_problems(problems, "dimension")

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
    show_problems(problems, "labels")
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
    show_problems(problems, "tiering")
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
    show_problems(problems, "trigger")
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


# ---- preview: draws the draft's evaluation (core.scoring.lab.evaluate_draft) ---------------------------


def preview(data: Any, spec: dict[str, Any], problems: list[Problem]) -> DraftEvaluation:
    """Evaluate the draft once and draw the preview; the evaluation is returned for the publish dialog."""
    st.subheader(t("lab.preview"))
    asked = st.session_state.pop(lab_state.key(data.population, "suggest_asked"), False)
    with st.spinner("…") if asked else nullcontext():
        result = evaluate_draft(data, spec, problems, keep=_mover_filter(), suggest=asked)
    if result.rescaled:
        st.info(t("lab.preview.scaled"), icon=":material/info:")
    if result.preview is None:
        st.warning(" ".join(problem_text(p) for p in problems))
        return result
    p = result.preview
    st.markdown(
        t("lab.moved", up=f"{len(p.moved_up):,}", down=f"{len(p.moved_down):,}", same=f"{p.unchanged:,}")
    )
    if result.overrides:
        st.caption(t("lab.overrides", n=f"{result.overrides:,}"))
    tier_shares_view.tie_warning(p.shares)
    st.markdown(f"**{t('lab.counts')}**")
    counts_table(p.counts, key="lab_counts")
    st.markdown(f"**{t('shares.title')}**", help=t("shares.help"))
    tier_shares_view.show(p.shares, key="lab_shares")
    st.markdown(f"**{t('lab.transition')}**")
    st.plotly_chart(chart_figure(_heatmap(p.transition)), key="lab_transition")

    tab_movers, tab_work, tab_bt = st.tabs([t("lab.movers"), t("lab.workload"), t("lab.backtest")])
    with tab_movers:
        _movers(data, result)
    with tab_work:
        _workload(result)
    with tab_bt:
        _backtest(result)
        _suggest(data, result)
    return result


def counts_table(counts: pd.DataFrame, *, key: str) -> None:
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


MOVER_FILTER_KEYS = ("lab_mv_region", "lab_mv_store", "lab_mv_advisor")


def _mover_filter() -> MoverFilter:
    # the filter's widgets are drawn below the counts; their values from the last run are already in the
    # session state, so the one evaluation at the top already lists the movers they keep
    ss = st.session_state
    regions, stores, advisors = (tuple(ss.get(k) or ()) for k in MOVER_FILTER_KEYS)
    return MoverFilter(regions=regions, stores=stores, advisors=advisors)


def _movers(data: Any, result: DraftEvaluation) -> None:
    ref = db.reference(db.get_engine(), db.data_version(db.get_engine()))
    name_col = "name_en" if language() == "en" else "name"
    regions = dict(zip(ref["regions"]["id"], ref["regions"][name_col], strict=True))
    stores = dict(zip(ref["stores"]["id"], ref["stores"][name_col], strict=True))
    f1, f2, f3 = st.columns(3)
    everyone = t("filters.all")
    relabel("lab_mv_region", regions.values())
    relabel("lab_mv_store", stores.values())
    f1.multiselect(
        t("lab.filter.region"),
        list(regions),
        format_func=regions.get,
        key="lab_mv_region",
        placeholder=everyone,
    )
    f2.multiselect(
        t("lab.filter.store"), list(stores), format_func=stores.get, key="lab_mv_store", placeholder=everyone
    )
    f3.multiselect(
        t("lab.filter.advisor"),
        sorted(set(data.advisor_id.tolist())),
        key="lab_mv_advisor",
        placeholder=everyone,
    )
    up_tab, down_tab = st.tabs([t("lab.movers.up"), t("lab.movers.down")])
    for tab, movers, key in ((up_tab, result.moved_up, "up"), (down_tab, result.moved_down, "down")):
        with tab:
            assert movers is not None
            if movers.total == 0:
                st.info(t("lab.movers.none"))
                continue
            m = movers.frame
            frame = pd.DataFrame(
                {
                    t("col.customer_id"): m["customer_id"],
                    t("col.from"): [tier_label(x) for x in m["old_tier"]],
                    t("col.to"): [tier_label(x) for x in m["new_tier"]],
                    t("col.score"): m["score"].round(1),
                    t("col.reasons"): [
                        "；".join(f"{dim_label(d)} {v:+.1f}" for d, v in r) for r in m["reasons"]
                    ],
                    t("col.rule"): [t(f"rule.{r}") if r else "" for r in m["rule"]],
                    t("col.override"): ["✓" if o else "" for o in m["override"]],
                    t("review.col.360"): rd.customer_urls(m["customer_id"]),
                }
            )
            st.caption(t("lab.movers.shown", n=len(m), total=f"{movers.total:,}"))
            link = {t("review.col.360"): st.column_config.LinkColumn(display_text=t("review.open_360"))}
            st.dataframe(frame, hide_index=True, key=f"lab_movers_{key}", column_config=link)


def _workload(result: DraftEvaluation) -> None:
    adv = db.advisors(db.get_engine(), db.data_version(db.get_engine())).rename(columns={"id": "advisor_id"})
    assert result.workload is not None
    # busiest first already; a left join keeps that order
    table = result.workload.merge(
        adv[["advisor_id", "name", "capacity_per_week"]], on="advisor_id", how="left"
    )
    if not access.require("view_lab").show_pii:  # advisors' names are personal data too
        table["name"] = table["name"].map(lambda x: mask_name(x) if isinstance(x, str) else x)
    st.caption(t("lab.workload.help"))
    st.dataframe(
        table.rename(
            columns={"advisor_id": t("col.advisor"), "name": t("col.name"), "customers": t("col.customers"),
                     "per_week": t("col.per_week"), "published": t("col.per_week_published"), "capacity_per_week": t("col.capacity")}
        ),
        hide_index=True,
        key="lab_workload",
    )  # fmt: skip


def _backtest(result: DraftEvaluation) -> None:
    bt = result.backtest
    assert bt is not None
    if bt.constant:
        st.caption(t("lab.backtest.constant", dims="、".join(dim_label(d) for d in bt.constant)))
    a, b = st.columns(2)
    a.metric(t("lab.auc"), f"{bt.auc:.3f}" if bt.auc is not None else "—",
             delta=None if bt.auc_published is None or bt.auc is None else f"{bt.auc - bt.auc_published:+.3f}",
             help=f"{t('col.published')}: {bt.auc_published:.3f}" if bt.auc_published is not None else None)  # fmt: skip
    b.metric(t("lab.lift"), f"{bt.lift:.2f}",
             delta=None if bt.lift_published is None else f"{bt.lift - bt.lift_published:+.2f}",
             help=f"{t('col.published')}: {bt.lift_published:.2f}" if bt.lift_published is not None else None)  # fmt: skip
    table = bt.table
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


def _ask_suggestion(population: str) -> None:
    """The suggest button's callback: the next run's evaluation fits the weights (see ``preview``)."""
    st.session_state[lab_state.key(population, "suggest_asked")] = True


def _suggest(data: Any, result: DraftEvaluation) -> None:
    """Offer weights fitted to past outcomes beside the draft's; a person chooses whether to use them."""
    pop = data.population
    spec = result.spec
    assert spec is not None
    state_key = lab_state.key(pop, "suggestion")
    st.button(
        t("lab.suggest"),
        key=lab_state.key(pop, "suggest"),
        help=t("lab.suggest.help"),
        on_click=_ask_suggestion,
        args=(pop,),
    )
    if result.suggestion is not None:
        st.session_state[state_key] = _suggestion_state(result.suggestion)
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
