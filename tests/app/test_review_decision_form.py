"""The review's decision form alone (AppTest.from_function): it owns its keys and returns what it holds as a
plain Decision, the value its save callback reads."""

from __future__ import annotations

import datetime as dt

from streamlit.testing.v1 import AppTest


def _form_script() -> None:
    import streamlit as st

    from dashboard.review_actions import decision_form

    st.session_state["returned"] = decision_form(
        5, tiers=["高价值", "普通"], read_version=3, discussed=True, actor="m"
    )


def test_the_form_returns_its_defaults():
    at = AppTest.from_function(_form_script, default_timeout=60).run()
    assert not at.exception
    got = at.session_state["returned"]
    assert (got.decision, got.tier, got.reason, got.note, got.expires_at, got.discussed) == (
        "confirmed",
        "高价值",
        "",
        "",
        None,
        True,
    )
    assert [r.key for r in at.radio] == ["rv_decision_5"]
    assert [s.key for s in at.selectbox] == ["rv_tier_5"]
    assert [b.label for b in at.button] == ["保存"]


def test_the_form_returns_what_was_entered_with_the_expiry_at_the_end_of_its_day():
    at = AppTest.from_function(_form_script, default_timeout=60)
    at.session_state["rv_decision_5"] = "overridden"
    at.session_state["rv_tier_5"] = "普通"
    at.session_state["rv_reason_5"] = "老客户"
    at.session_state["rv_note_5"] = "周会"
    at.session_state["rv_expires_5"] = dt.date(2026, 12, 31)
    at.run()
    assert not at.exception
    got = at.session_state["returned"]
    assert (got.decision, got.tier, got.reason, got.note, got.expires_at) == (
        "overridden",
        "普通",
        "老客户",
        "周会",
        dt.datetime(2026, 12, 31, 23, 59, 59),
    )
