"""The pieces the region and channel pages share: a chart click reaches the drill-down once, tier colours
are the same in every scheme version, downloads say where spend is missing."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.analytics.tier_report import UNTIERED
from dashboard.analysis_views import UNTIERED_COLOUR, tier_colours
from dashboard.charts import TIER_COLOURS


def _clicks_app():
    import streamlit as st

    from dashboard.analysis_views import apply_click

    event = (
        {"selection": {"points": [{"customdata": [2, "now", "A"]}]}}
        if st.session_state.get("clicked")
        else {}
    )
    points = event.get("selection", {}).get("points", []) if event else []
    if points:
        region, side, tier = points[0]["customdata"]
        st.session_state["applied"] = apply_click(
            event, "click_marker", {"drill_region": region, "drill_tier": tier}
        )
    st.selectbox("region", [1, 2, 3], key="drill_region")
    st.selectbox("tier", ["A", "B"], key="drill_tier")


def test_a_click_sets_the_drill_down_once_and_a_later_choice_sticks():
    at = AppTest.from_function(_clicks_app).run()
    assert at.selectbox(key="drill_region").value == 1
    at.session_state["clicked"] = True
    at.run()
    assert at.session_state["applied"] is True
    assert (at.selectbox(key="drill_region").value, at.selectbox(key="drill_tier").value) == (2, "A")
    # the same click is still the chart's selection on the next rerun: the person's new choice is kept
    at.selectbox(key="drill_tier").set_value("B").run()
    assert at.session_state["applied"] is False
    assert (at.selectbox(key="drill_region").value, at.selectbox(key="drill_tier").value) == (2, "B")


def test_tier_colours_follow_the_position_in_each_scheme():
    v1, v2 = ["高价值", "普通", "流失风险"], ["优质", "潜力", "一般"]
    colours = tier_colours([*v2, *v1, UNTIERED], [v2, v2, v1])
    # the top tier is green and the bottom red in both versions, as on the tiers page (tier_colour_map)
    assert colours["优质"] == colours["高价值"] == TIER_COLOURS[0]
    assert colours["一般"] == colours["流失风险"] == TIER_COLOURS[4]
    assert colours["潜力"] == colours["普通"] == TIER_COLOURS[2]
    assert colours[UNTIERED] == UNTIERED_COLOUR and UNTIERED_COLOUR not in TIER_COLOURS
