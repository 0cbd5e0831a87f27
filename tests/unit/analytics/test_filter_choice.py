"""Choosing every store, region or channel is no filter: every page's figures equal the unfiltered ones.

Issue 12 item 3: "Select all" channels dropped the customers without a first channel (已分级客户 8,498 → 5,859).
The demo has such customers, so the naive filter on every id differs and the chosen filters must not.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from core.analytics import channel_roi as cr
from core.analytics import defeats as cd
from core.analytics import facts_analysis as fa
from core.analytics import facts_figures as ff
from core.analytics import funnel as fu
from core.analytics import overview as ov
from core.analytics import overview_totals
from core.analytics import tier_report as tr
from core.storage.models import Channel, Region, ScoringScheme, Store
from tests.unit.analytics.test_facts import _same_overview, facts_of

PERIODS = [
    pytest.param(dt.date(2026, 6, 1), dt.date(2026, 6, 30), id="june"),
    pytest.param(dt.date(2025, 7, 1), dt.date(2026, 6, 30), id="year"),
]


@pytest.fixture(scope="module")
def demo(demo_db):
    events, tiers = facts_of(demo_db.engine)
    with demo_db.engine.connect() as conn:
        options = {
            name: [int(x) for x in conn.execute(sa.select(table.id)).scalars()]
            for name, table in (("stores", Store), ("regions", Region), ("channels", Channel))
        }
        reference = fa.roi_reference(conn=conn)
        scheme = ov.published_scheme(conn=conn)
        versions = [int(x) for x in conn.execute(sa.select(ScoringScheme.id)).scalars()]
    return demo_db, events, tiers, options, reference, scheme, versions


def _choices(options):
    """Every option of one filter, of two, of all three."""
    return [
        {"channels": options["channels"]},
        {"stores": options["stores"]},
        {"regions": options["regions"]},
        {"stores": options["stores"], "channels": options["channels"]},
        dict(options),
    ]


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_every_option_chosen_is_no_filter(demo, start, end):
    demo_db, events, tiers, options, reference, scheme, versions = demo
    none = ov.Filters(start, end)
    assert ov.Filters.chosen(start, end, options=options) == none
    for choice in _choices(options):
        f = ov.Filters.chosen(start, end, options=options, **choice)
        assert f == none, choice
        _same_figures(demo_db, events, tiers, reference, scheme, versions, f, none)


def _same_figures(demo_db, events, tiers, reference, scheme, versions, f, none) -> None:
    """The figures of every analysis page and their drill-downs, for ``f`` and for no filter."""
    latest = demo_db.as_of
    # overview (facts path the pages use, SQL path), and the ids behind each figure
    _same_overview(
        ff.overview(events, tiers, f, latest, scheme), ff.overview(events, tiers, none, latest, scheme)
    )
    for figure in ("leads", "orders", "delivered", "defeated", "overdue"):
        np.testing.assert_array_equal(
            ff.overview_figure_ids(events, tiers, f, figure, latest_day=latest),
            ff.overview_figure_ids(events, tiers, none, figure, latest_day=latest),
        )
    # funnel, defeats, tiers by region, channel ROI, migration
    pd.testing.assert_frame_equal(ff.period_leads(events, f), ff.period_leads(events, none))
    pd.testing.assert_frame_equal(ff.defeats(events, f), ff.defeats(events, none))
    pd.testing.assert_frame_equal(
        ff.tiers_by_region(tiers, events, f), ff.tiers_by_region(tiers, events, none)
    )
    pd.testing.assert_frame_equal(
        fa.tiers_at(tiers, events, f, f.end_dt), fa.tiers_at(tiers, events, none, none.end_dt)
    )
    for scheme_id in versions:
        pd.testing.assert_frame_equal(
            fa.version_tiers(tiers, events, f, scheme_id), fa.version_tiers(tiers, events, none, scheme_id)
        )
    pd.testing.assert_frame_equal(
        cr.channel_months_from_frames(fa.roi_frames(events, f, reference), f),
        cr.channel_months_from_frames(fa.roi_frames(events, none, reference), none),
    )
    with demo_db.engine.connect() as conn:
        _same_overview(
            overview_totals.overview(conn=conn, filters=f, latest_day=latest),
            overview_totals.overview(conn=conn, filters=none, latest_day=latest),
        )
        pd.testing.assert_frame_equal(fu.funnel(conn=conn, filters=f), fu.funnel(conn=conn, filters=none))
        pd.testing.assert_frame_equal(cd.defeats(conn=conn, filters=f), cd.defeats(conn=conn, filters=none))
        pd.testing.assert_frame_equal(
            tr.tiers_by_region(conn=conn, filters=f), tr.tiers_by_region(conn=conn, filters=none)
        )
        pd.testing.assert_frame_equal(
            cr.channel_months(conn=conn, filters=f), cr.channel_months(conn=conn, filters=none)
        )


def test_the_demo_has_customers_without_a_first_channel(demo):
    """Why the rule matters: filtering on every channel id drops the owners without a first channel, counted
    here independently from the raw rows."""
    demo_db, events, tiers, options, _, scheme, _ = demo
    june = ov.Filters(dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    naive = ov.Filters(june.start, june.end, channel_ids=tuple(options["channels"]))
    at = june.end_dt
    with demo_db.engine.connect() as conn:
        rows = pd.read_sql(
            sa.text(
                "SELECT t.customer_id, c.first_channel_id, t.effective_from, t.effective_to"
                " FROM tier_assignments t JOIN customers c ON c.id = t.customer_id"
                " JOIN scoring_schemes s ON s.id = t.scheme_id WHERE s.population = 'owners'"
            ),
            conn,
            parse_dates=["effective_from", "effective_to"],
        )
    in_force = rows[
        (rows["effective_from"] < at) & (rows["effective_to"].isna() | (rows["effective_to"] >= at))
    ]
    tiered = int(ff.tier_counts(tiers, events, june, scheme)["customers"].sum())
    assert tiered == len(in_force)
    without_channel = int(in_force["first_channel_id"].isna().sum())
    assert without_channel > 0
    assert int(ff.tier_counts(tiers, events, naive, scheme)["customers"].sum()) == tiered - without_channel
    chosen = ov.Filters.chosen(june.start, june.end, channels=options["channels"], options=options)
    assert int(ff.tier_counts(tiers, events, chosen, scheme)["customers"].sum()) == tiered


@pytest.mark.parametrize(
    ("chosen", "options", "expected"),
    [
        ([], [1, 2, 3], ()),
        ([2], [1, 2, 3], (2,)),
        ([3, 1], [1, 2, 3], (1, 3)),
        ([1, 2, 3], [1, 2, 3], ()),
        ([3, 2, 1, 1], [1, 2, 3], ()),
        ([1, 2], [], (1, 2)),  # no options known: keep what was chosen
        ([1, 9], [1, 2], (1, 9)),  # an id no longer listed is not "every option"
    ],
)
def test_chosen_ids(chosen, options, expected):
    assert ov.chosen_ids(chosen, options) == expected
