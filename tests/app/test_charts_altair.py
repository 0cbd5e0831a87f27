"""The months a brush over monthly bars chooses, as Vega sends it (milliseconds or ISO dates, UTC)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.charts_altair import brushed_months, picked

MONTHS = [dt.date(2026, m, 1) for m in range(1, 7)]


def ms(day: str) -> int:
    return int(pd.Timestamp(day, tz="UTC").timestamp() * 1000)


@pytest.mark.parametrize(
    ("brush", "expected"),
    [
        ([ms("2026-02-10"), ms("2026-04-20")], (dt.date(2026, 2, 1), dt.date(2026, 4, 1))),
        ([ms("2026-04-20"), ms("2026-02-10")], (dt.date(2026, 2, 1), dt.date(2026, 4, 1))),  # right to left
        (
            [ms("2026-01-28"), ms("2026-03-05")],
            (dt.date(2026, 2, 1), dt.date(2026, 2, 1)),
        ),  # edges not counted
        (
            [ms("2026-03-02"), ms("2026-03-09")],
            (dt.date(2026, 3, 1), dt.date(2026, 3, 1)),
        ),  # inside one month
        (
            ["2026-05-01T00:00:00.000Z", "2026-06-30T00:00:00.000Z"],
            (dt.date(2026, 5, 1), dt.date(2026, 6, 1)),
        ),
        ([ms("2025-01-01"), ms("2025-03-01")], None),  # off the months
        ([], None),
    ],
)
def test_brushed_months(brush, expected):
    event = {"selection": {"brush": {"utcyearmonth_month": brush} if brush else {}}}
    assert brushed_months(event, MONTHS) == expected


@pytest.mark.parametrize("event", [None, {}, {"selection": {}}, {"selection": {"brush": None}}])
def test_no_brush(event):
    assert brushed_months(event, MONTHS) is None and picked(event) is None


def test_picked_bar():
    event = {"selection": {"pick": [{"region_key": 2, "side": "now", "tier": "A"}]}}
    assert picked(event) == {"region_key": 2, "side": "now", "tier": "A"}
