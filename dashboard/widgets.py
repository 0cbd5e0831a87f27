"""Small widgets shared by pages."""

from __future__ import annotations

import streamlit as st

from dashboard.i18n import language

TIER_LABELS_EN = {
    "高价值": "High value",
    "普通": "Normal",
    "流失风险": "Churn risk",
    "优质": "Prime",
    "潜力": "Potential",
    "一般": "Ordinary",
    "钻石": "Diamond",
    "白金": "Platinum",
    "黄金": "Gold",
    "白银": "Silver",
}


def dim_label(name: str) -> str:
    """A scoring dimension's name in the session's language (the code itself for an unknown one)."""
    from core.scoring.features import DIMENSIONS

    d = DIMENSIONS.get(name)
    if d is None:
        return name
    return d.label_en if language() == "en" else d.label_zh


def tier_label(label: str) -> str:
    """A tier label for display: the stored label, translated for the English UI when it is a preset's."""
    if language() == "en" and label in TIER_LABELS_EN:
        return TIER_LABELS_EN[label]
    return label


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def metric(label: str, value, previous, *, fmt, help: str, lower_is_better: bool = False) -> None:
    """st.metric with the change against the previous period (in points for rates)."""
    shown = "—" if value is None else fmt(value)
    if value is None or previous is None:
        delta = None
    elif isinstance(value, float):
        delta = f"{(value - previous) * 100:+.1f} pp"
    else:
        delta = f"{value - previous:+,}"
    st.metric(
        label,
        shown,
        delta=delta,
        delta_color="inverse" if lower_is_better else "normal",
        help=help,
        border=True,
    )


def label_of(labels: dict, value) -> str:
    """``labels[value]``; with functools.partial, a picklable format_func for options given by id."""
    return labels[value]


def labels_changed(widget_key: str, labels) -> bool:
    """Whether the option labels of the widget ``widget_key`` differ from those it was last drawn with; the
    labels are remembered for the next run.

    Streamlit keeps a keyed select widget's choice in the browser as the option's *label*, while the key keeps
    the widget's identity when the labels change (a count after a filter change, a name after a language
    switch): the browser then goes on showing, and sending back, the old label. A widget whose labels changed
    gets its value set again through the Session State API, which sends the browser the new label.
    """
    memo = f"{widget_key}.labels"
    labels = tuple(labels)
    changed = st.session_state.get(memo) != labels
    st.session_state[memo] = labels
    return changed


def relabel(widget_key: str, labels) -> None:
    """Before drawing a keyed select widget (selectbox, multiselect, radio, segmented control) whose option
    labels can change (language, names): when they changed, its choice is sent to the browser again in the
    new labels. (Streamlit logs, and ``global.disableWidgetStateDuplicationWarning`` silences, a note when such
    a widget also has a default.)

    Without this, the browser keeps the old language's chips and sends them back; Streamlit finds no option
    for them and fails with a TypeError (issue 12, item 1).
    """
    if labels_changed(widget_key, labels) and widget_key in st.session_state:
        value = st.session_state[widget_key]
        st.session_state[widget_key] = list(value) if isinstance(value, list) else value


def _keep_choice(key: str, widget_key: str) -> None:
    st.session_state[key] = st.session_state[widget_key]


def select(label: str, options, *, format_func, key: str, index: int = 0, **kwargs):
    """st.selectbox whose option labels follow the language; the chosen option is kept under ``key``.

    Streamlit keeps a selectbox's state as the formatted label, so after a language switch the browser kept
    showing (and sending back) the old language's label. The widget therefore gets a key per language
    (``key.zh``, ``key.en``), and the option itself, language-neutral, is kept in ``st.session_state[key]``.
    When the labels change under one key (the counts in a label after a filter change), the choice is sent to
    the browser again with its new label (:func:`labels_changed`).
    """
    options = list(options)
    widget_key = f"{key}.{language()}"
    relabelled = labels_changed(widget_key, [format_func(o) for o in options])
    chosen = st.session_state.get(key)
    if chosen in options:
        if widget_key in st.session_state and (relabelled or st.session_state[widget_key] != chosen):
            # chosen elsewhere (the other language, a click on a chart), or the labels changed (the counts in
            # the overview's figure picker after a filter change): set through the Session State API so the
            # browser shows it, with its current label; Streamlit then wants no default beside it
            st.session_state[widget_key] = chosen
            index = 0
        else:
            index = options.index(chosen)
    value = st.selectbox(
        label,
        options,
        index=index,
        format_func=format_func,
        key=widget_key,
        on_change=_keep_choice,
        args=(key, widget_key),
        **kwargs,
    )
    st.session_state[key] = value
    return value
