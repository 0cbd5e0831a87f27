"""The shared sidebar filters under AppTest: the choice survives a language switch and pages without the
filters, the overview's figure picker follows the filtered counts, and "Select all" equals no filter.

The browser side (the TypeError, the labels the browser shows) is tests/browser/test_filters_browser.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.analytics import followup
from core.analytics import overview as ov
from core.storage.models import Channel, Store
from tests.app.test_app_pages import default_filters, make_app, metrics


@pytest.fixture(autouse=True)
def _no_env_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


def _ids(demo_db, table) -> list[int]:
    with demo_db.engine.connect() as conn:
        return [int(x) for x in conn.execute(sa.select(table.id).order_by(table.id)).scalars()]


def _picker(at: AppTest):
    """The overview's figure picker (数字背后的客户) in the session's language."""
    lang = at.session_state["lang"]
    return at.selectbox(key=f"overview_drill.{lang}")


def test_the_choice_survives_a_language_switch_and_a_page_without_filters(demo_db):
    at = make_app(demo_db.url).run()
    at.sidebar.multiselect(key="f_store").set_value([2]).run()
    at.sidebar.multiselect(key="f_channel").set_value([1, 4]).run()
    period = (dt.date(2026, 5, 1), dt.date(2026, 6, 30))
    at.sidebar.date_input(key="f_period").set_value(period).run()
    assert not at.exception
    want = ov.Filters(*period, store_ids=(2,), channel_ids=(1, 4))
    assert at.session_state["filters"] == want

    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    assert at.session_state["filters"] == want
    assert at.sidebar.multiselect(key="f_store").value == [2]

    # the data page draws no filters, so Streamlit forgets their widgets' state on that run
    at.switch_page("../pages/data.py").run()
    assert not at.exception
    assert not at.sidebar.multiselect
    at.switch_page("../pages/overview.py").run()
    assert not at.exception
    assert at.session_state["filters"] == want
    assert at.sidebar.multiselect(key="f_store").value == [2]
    assert at.sidebar.multiselect(key="f_channel").value == [1, 4]
    assert at.sidebar.date_input(key="f_period").value == period
    with demo_db.engine.connect() as conn:
        leads = ov.lead_figures(conn=conn, filters=want)["leads"]
    assert metrics(at)["New leads"][0] == f"{leads:,}"
    # the key another part of the app (a link to this view) reads and sets
    assert at.session_state["filters_chosen"] == {
        "period": period,
        "store": (2,),
        "region": (),
        "channel": (1, 4),
    }


def test_the_figure_picker_shows_the_filtered_count(demo_db):
    """The browser shows the label the server last sent: after a filter change the picker must be sent the
    chosen figure again with its new count (before, it went on showing the unfiltered count)."""
    at = make_app(demo_db.url).run()
    _picker(at).set_value("overdue").run()
    f = default_filters(demo_db)
    with demo_db.engine.connect() as conn:
        everything = followup.overdue_follow_ups(conn=conn, filters=f)
        filtered = followup.overdue_follow_ups(conn=conn, filters=ov.Filters(f.start, f.end, store_ids=(2,)))
    assert filtered != everything
    assert _picker(at).proto.options[_picker(at).index] == f"逾期未跟进：{everything:,}"

    at.sidebar.multiselect(key="f_store").set_value([2]).run()
    assert not at.exception
    assert metrics(at)["逾期未跟进"][0] == f"{filtered:,}"
    box = _picker(at)
    assert box.value == "overdue"
    assert box.proto.set_value, "the browser keeps the old label unless it is sent the new one"
    assert box.proto.raw_value == f"逾期未跟进：{filtered:,}"


@pytest.mark.parametrize("key", ["f_store", "f_channel"])
def test_select_all_equals_no_filter(demo_db, key):
    at = make_app(demo_db.url).run()
    before = metrics(at)
    every = _ids(demo_db, Store if key == "f_store" else Channel)
    at.sidebar.multiselect(key=key).set_value(every).run()
    assert not at.exception
    assert metrics(at) == before  # 已分级客户 included: customers without a first channel stay
    assert at.session_state["filters"] == default_filters(demo_db)


def test_a_choice_set_before_the_first_draw_is_shown(demo_db):
    """What a link restores: ``filters_chosen`` set before the sidebar is drawn; a period beyond the date
    field's bounds is moved inside them."""
    at = make_app(demo_db.url)
    at.session_state["filters_chosen"] = {
        "period": (dt.date(1990, 1, 1), dt.date(2026, 6, 30)),
        "store": (2,),
        "region": (),
        "channel": (4,),
    }
    at.run()
    assert not at.exception
    assert at.session_state["filters"] == ov.Filters(
        dt.date(2000, 1, 1), dt.date(2026, 6, 30), store_ids=(2,), channel_ids=(4,)
    )
    assert at.sidebar.multiselect(key="f_store").value == [2]
    assert at.sidebar.multiselect(key="f_channel").value == [4]
