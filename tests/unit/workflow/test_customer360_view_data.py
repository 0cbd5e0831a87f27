"""The customer 360 page's computations in core: which kinds of event a timeline holds, the timeline's kind
filter, each override's state and the open leads, each compared with a hand computation."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from core.workflow import customer360

# a timeline newest first, as customer360.timeline returns it (index 0..n-1)
EVENTS = pd.DataFrame(
    {
        "at": pd.to_datetime(["2026-06-05", "2026-06-04", "2026-06-03", "2026-06-02", "2026-06-01"]),
        "event": ["purchase", "follow_up", "stage", "follow_up", "lead"],
        "lead_id": pd.array([7, 7, 7, 7, 7], dtype="Int64"),
    }
)

KINDS = [  # (timeline rows, kinds present in journey order)
    pytest.param([0, 1, 2, 3, 4], ["lead", "stage", "follow_up", "purchase"], id="whole"),
    pytest.param([1, 3], ["follow_up"], id="one-kind-twice"),
    pytest.param([0, 4], ["lead", "purchase"], id="journey-order-not-time-order"),
    pytest.param([], [], id="empty"),
]


@pytest.mark.parametrize(("rows", "kinds"), KINDS)
def test_event_kinds_in_journey_order(rows, kinds):
    assert customer360.event_kinds(EVENTS.iloc[rows]) == kinds


FILTERS = [  # (kinds chosen, rows shown)
    pytest.param([], [0, 1, 2, 3, 4], id="none-chosen-is-all"),
    pytest.param(["follow_up"], [1, 3], id="one-kind"),
    pytest.param(["lead", "purchase"], [0, 4], id="two-kinds"),
    pytest.param(("stage",), [2], id="a-tuple"),
    pytest.param(["defeat"], [], id="a-kind-not-there"),
]


@pytest.mark.parametrize(("kinds", "rows"), FILTERS)
def test_filter_timeline_keeps_the_chosen_kinds_in_order(kinds, rows):
    assert_frame_equal(customer360.filter_timeline(EVENTS, kinds=kinds), EVENTS.loc[rows])


NOW = pd.Timestamp("2026-06-10 12:00")
STATES = [  # (cleared_at, expires_at, state at NOW)
    pytest.param(None, None, "active", id="no-expiry"),
    pytest.param(None, "2026-06-11", "active", id="expires-later"),
    pytest.param(None, "2026-06-10 12:00", "expired", id="expires-now"),
    pytest.param(None, "2026-06-01", "expired", id="expired"),
    pytest.param("2026-06-02", None, "cleared", id="cleared"),
    pytest.param("2026-06-02", "2026-06-01", "cleared", id="cleared-wins-over-expired"),
]


@pytest.mark.parametrize(("cleared", "expires", "state"), STATES)
def test_override_state_one_at_a_time(cleared, expires, state):
    one = pd.DataFrame({"cleared_at": [pd.Timestamp(cleared)], "expires_at": [pd.Timestamp(expires)]})
    assert customer360.override_states(one, now=NOW) == [state]


def test_override_states_of_a_history_in_its_order():
    cleared, expires, states = zip(*(p.values for p in STATES), strict=True)
    ovs = pd.DataFrame(
        {"cleared_at": [pd.Timestamp(x) for x in cleared], "expires_at": [pd.Timestamp(x) for x in expires]}
    )
    assert customer360.override_states(ovs, now=NOW) == list(states)
    assert customer360.override_states(ovs.iloc[:0], now=NOW) == []


def test_open_leads_are_the_open_ones():
    leads = pd.DataFrame({"lead_id": [1, 2, 3, 4], "status": ["open", "won", "open", "defeated"]})
    assert_frame_equal(customer360.open_leads(leads), leads.loc[[0, 2]])
