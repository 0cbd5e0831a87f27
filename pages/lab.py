"""评分实验室 Scoring lab: tune weights and tier rules, preview the reclassification live, save, publish."""

from functools import partial

import streamlit as st

from core.scoring.features import dimension_names
from dashboard import access, db, demo_widget, lab_state, lab_versions, lab_view
from dashboard.i18n import coded, t
from dashboard.widgets import relabel

st.title(t("lab.title"))
st.caption(t("lab.caption"))
access.require("view_lab")
engine = db.get_engine()
version = db.data_version(engine)
if not db.customer_count(engine, version):
    demo_widget.show(engine, key="demo_lab")
    st.stop()

# Streamlit drops the state of widgets a run does not draw: keep the hidden population's draft alive
# (else switching owners → leads → owners brings the owners' sliders back at 0 and the text fields empty)
for _pop in ("owners", "leads"):
    if _pop != (st.session_state.get("lab_population") or "owners"):
        _fields = ["preset", "method", "labels", "cutoffs", "thresholds", "triggers", "trigger_tier", "name"]
        _fields.append("tie_break")
        _fields += [f"{x}_{d}" for d in dimension_names(_pop) for x in ("w", "norm", "dir")]
        for _k in (lab_state.key(_pop, f) for f in _fields):
            if _k in st.session_state:
                st.session_state[_k] = st.session_state[_k]

relabel("lab_population", [coded("lab.population", p) for p in ("owners", "leads")])
population = st.segmented_control(
    t("lab.population"),
    options=["owners", "leads"],
    format_func=partial(coded, "lab.population"),
    key="lab_population",
    default="owners",
)
population = population or "owners"
with st.spinner(t("lab.loading")):
    data = db.lab_data(engine, version, population)
if len(data.features) == 0:
    st.info(t("lab.empty"))
    st.stop()
st.caption(
    t(
        "lab.as_of",
        as_of=data.as_of,
        n=f"{len(data.features):,}",
        bt=data.backtest_as_of,
        h=(data.as_of - data.backtest_as_of).days,
    )
)
lab_state.ensure(data)


@st.fragment
def lab() -> None:
    left, right = st.columns([1, 2], gap="large")
    with left:
        spec, problems = lab_view.controls(data)
    with right:
        evaluation = lab_view.preview(data, spec, problems)
    lab_versions.actions(engine, data, spec, evaluation)  # publishing confirms with the same evaluation


lab()
lab_versions.versions(engine, data)
