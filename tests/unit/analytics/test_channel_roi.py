"""Channel ROI: a hand-made case with exact numbers (a missing spend month, a free channel, a year boundary, a
region filter), the demo data against plain SQL, and the page through AppTest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.analytics import channel_roi as cr
from core.analytics.overview import Filters
from core.storage.bulk import write_frames
from core.storage.db import open_database
from tests.pii import unseal_rows
from tests.signin import sign_in

ROOT = Path(__file__).resolve().parents[3]
PAGE = str(ROOT / "pages" / "channels.py")
NAN = np.nan
JAN_FEB = Filters(dt.date(2026, 1, 1), dt.date(2026, 2, 28))

# (id, customer, store, channel, grade, created_at, visit_at, order_at)
TINY_LEADS = [
    (1, 1, 1, 1, "H", "2025-12-20 10:00", "2025-12-28 10:00", "2026-01-05 10:00"),  # Dec lead, Jan deal
    (2, 2, 1, 1, "A", "2026-01-03 09:00", "2026-01-10 09:00", None),
    (3, 3, 2, 1, "B", "2026-01-15 09:00", None, None),  # store 2 reported no January spend for channel 1
    (4, 4, 1, 1, "M", "2026-01-20 09:00", "2026-01-25 09:00", "2026-02-02 09:00"),
    (5, 1, 1, 2, "D", "2026-01-08 09:00", "2026-01-08 09:00", "2026-01-08 11:00"),  # walk-in: free channel
    (6, 3, 1, 3, "B", "2026-02-10 09:00", "2026-02-12 09:00", None),  # store 1 reported no February flat fee
    (7, 2, 1, 3, "H", "2026-01-31 23:59:59", None, None),
    (8, 4, 2, 1, "C", "2026-02-01 00:00:00", None, None),
]
# (channel, store, month, amount)
TINY_SPEND = [
    (1, 1, "2025-12-01", 900.0),
    (1, 1, "2026-01-01", 1000.0),
    (1, 1, "2026-02-01", 600.0),
    (1, 2, "2026-02-01", 300.0),
    (3, 1, "2026-01-01", 5000.0),
    (3, 2, "2026-01-01", 2000.0),  # a flat fee without leads still counts
]
# (customer, lead, kind, at, amount, gross profit)
TINY_PURCHASES = [
    (1, 1, "new_car", "2026-01-20", 120000.0, 6000.0),
    (1, 1, "accessories", "2026-01-20", 3000.0, 1500.0),  # not a new car: not revenue
    (4, 4, "new_car", "2026-02-20", 150000.0, 9000.0),
    (1, 5, "new_car", "2026-01-09", 100000.0, 5000.0),
    (2, None, "new_car", "2026-01-15", 99999.0, 999.0),  # not linked to a lead: no channel
]


def _tiny_frames() -> list[tuple[str, pd.DataFrame]]:
    regions = pd.DataFrame({"id": [1, 2], "code": ["r1", "r2"], "name": ["惠城区", "博罗县"]})
    regions["name_en"] = ["Huicheng", "Boluo"]
    stores = pd.DataFrame(
        {"id": [1, 2], "code": ["s1", "s2"], "name": ["一店", "二店"], "name_en": ["One", "Two"]}
    )
    stores["region_id"], stores["brand"] = [1, 2], "江铃"
    channels = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "code": ["autohome", "walk_in", "douyin"],
            "name": ["汽车之家", "到店自然客流", "抖音"],
            "name_en": ["Autohome", "Walk-in", "Douyin"],
            "cost_model": ["per_lead", "none", "flat"],
            "online": [True, False, True],
        }
    )
    customers = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "kind": "person",
            "name": ["王小明", "李娜", "张伟", "刘洋"],
            "phone": ["13812345678", "13900001111", "13700002222", "13600003333"],
            "region_id": [1, 1, 2, 2],
            "store_id": [1, 1, 2, 1],
            "is_owner": False,
            "created_at": pd.Timestamp("2025-01-01"),
        }
    )
    leads = pd.DataFrame(
        TINY_LEADS,
        columns=[
            "id",
            "customer_id",
            "store_id",
            "channel_id",
            "grade",
            "created_at",
            "visit_at",
            "order_at",
        ],
    )
    for c in ("created_at", "visit_at", "order_at"):
        leads[c] = pd.to_datetime(leads[c], format="ISO8601")
    leads["status"] = np.where(leads["order_at"].notna(), "won", "open")
    leads["stage_reached"] = np.where(leads["order_at"].notna(), 6, np.where(leads["visit_at"].notna(), 3, 0))
    leads["asked_competitor"] = False
    spend = pd.DataFrame(TINY_SPEND, columns=["channel_id", "store_id", "month", "amount"])
    spend.insert(0, "id", range(1, len(spend) + 1))
    spend["month"] = pd.to_datetime(spend["month"]).dt.date
    purchases = pd.DataFrame(
        TINY_PURCHASES, columns=["customer_id", "lead_id", "kind", "at", "amount", "gross_profit"]
    )
    purchases.insert(0, "id", range(1, len(purchases) + 1))
    purchases["store_id"] = 1
    purchases["at"] = pd.to_datetime(purchases["at"]).dt.date
    purchases["lead_id"] = purchases["lead_id"].astype("Int64")
    return [
        ("regions", regions),
        ("stores", stores),
        ("channels", channels),
        ("customers", customers),
        ("leads", leads),
        ("channel_spend", spend),
        ("purchases", purchases),
    ]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('roi') / 'tiny.sqlite'}"
    engine = open_database(url)
    write_frames(engine, _tiny_frames())
    yield engine
    engine.dispose()


COUNT_COLUMNS = [
    "channel_id",
    "month",
    "spend",
    "spend_reported",
    "spend_status",
    "missing_stores",
    "leads",
    "ha_leads",
    "visits",
    "deals",
    "revenue",
    "gross_profit",
]
RATIO_COLUMNS = ["ha_share", "conversion", "cost_per_lead", "cost_per_deal", "roi"]
J, F, D = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2025, 12, 1)

# expected rows: the counts, then the ratios worked out by hand
TINY_CASES = [
    pytest.param(
        JAN_FEB,
        [
            # Jan: L2, L3, L4 created (L1 was December); H/A = L2 (A), L4 (M: ordered); visits L2, L4; deal L1
            # (ordered 5 Jan) with its new car; spend: store 1 reported 1000, store 2 had L3 but no row
            ((1, J, NAN, 1000.0, "partial", 1, 3, 2, 2, 1, 120000.0, 6000.0), (2 / 3, 1 / 3, NAN, NAN, NAN)),
            # Feb: L8; deal L4 (150000 / 9000); spend 600 + 300; ROI (9000 − 900) / 900
            (
                (1, F, 900.0, 900.0, "reported", 0, 1, 0, 0, 1, 150000.0, 9000.0),
                (0.0, 1.0, 900.0, 900.0, 9.0),
            ),
            # the free channel: spend 0, cost per lead 0, ROI undefined
            ((2, J, 0.0, 0.0, "none", 0, 1, 1, 1, 1, 100000.0, 5000.0), (1.0, 1.0, 0.0, 0.0, NAN)),
            ((2, F, 0.0, 0.0, "none", 0, 0, 0, 0, 0, 0.0, 0.0), (NAN, NAN, NAN, NAN, NAN)),
            # flat: January 5000 + 2000 (store 2 had no leads, the fee still counts); L7 at 23:59:59 is January
            ((3, J, 7000.0, 7000.0, "reported", 0, 1, 1, 0, 0, 0.0, 0.0), (1.0, 0.0, 7000.0, NAN, -1.0)),
            # February: L6 at store 1, no row there → missing, not 0
            ((3, F, NAN, 0.0, "missing", 1, 1, 0, 1, 0, 0.0, 0.0), (0.0, 0.0, NAN, NAN, NAN)),
        ],
        id="jan-feb",
    ),
    pytest.param(
        Filters(dt.date(2026, 1, 1), dt.date(2026, 2, 28), store_ids=(2,)),
        [
            ((1, J, NAN, 0.0, "missing", 1, 1, 0, 0, 0, 0.0, 0.0), (0.0, 0.0, NAN, NAN, NAN)),
            ((1, F, 300.0, 300.0, "reported", 0, 1, 0, 0, 0, 0.0, 0.0), (0.0, 0.0, 300.0, NAN, -1.0)),
            ((2, J, 0.0, 0.0, "none", 0, 0, 0, 0, 0, 0.0, 0.0), (NAN, NAN, NAN, NAN, NAN)),
            ((2, F, 0.0, 0.0, "none", 0, 0, 0, 0, 0, 0.0, 0.0), (NAN, NAN, NAN, NAN, NAN)),
            ((3, J, 2000.0, 2000.0, "reported", 0, 0, 0, 0, 0, 0.0, 0.0), (NAN, NAN, NAN, NAN, -1.0)),
            ((3, F, 0.0, 0.0, "no_spend", 0, 0, 0, 0, 0, 0.0, 0.0), (NAN, NAN, NAN, NAN, NAN)),
        ],
        id="store-2",
    ),
    pytest.param(
        Filters(dt.date(2026, 1, 1), dt.date(2026, 2, 28), region_ids=(2,)),
        [
            # region 2 = customers 3 and 4. Jan: L3, L4; store 1's 1000 is shared 1 of its 2 January leads
            # (L2 is region 1) → 500; store 2 (L3, region 2) has no row → partial
            ((1, J, NAN, 500.0, "partial", 1, 2, 1, 1, 0, 0.0, 0.0), (0.5, 0.0, NAN, NAN, NAN)),
            # Feb: L8 (store 2: all of its 300); store 1 had no February leads, so its 600 goes to no region
            (
                (1, F, 300.0, 300.0, "reported", 0, 1, 0, 0, 1, 150000.0, 9000.0),
                (0.0, 1.0, 300.0, 300.0, 29.0),
            ),
            ((2, J, 0.0, 0.0, "none", 0, 0, 0, 0, 0, 0.0, 0.0), (NAN, NAN, NAN, NAN, NAN)),
            ((2, F, 0.0, 0.0, "none", 0, 0, 0, 0, 0, 0.0, 0.0), (NAN, NAN, NAN, NAN, NAN)),
            # Jan: the only January lead (L7) is region 1: the region's share of the fees is 0
            ((3, J, 0.0, 0.0, "no_spend", 0, 0, 0, 0, 0, 0.0, 0.0), (NAN, NAN, NAN, NAN, NAN)),
            ((3, F, NAN, 0.0, "missing", 1, 1, 0, 1, 0, 0.0, 0.0), (0.0, 0.0, NAN, NAN, NAN)),
        ],
        id="region-2",
    ),
    pytest.param(
        Filters(dt.date(2026, 1, 1), dt.date(2026, 2, 28), region_ids=(1,)),
        [
            # region 1 = customers 1 and 2. Jan: L2; store 1's 1000 shared 1 of 2 → 500; store 2's missing row
            # had only region 2's lead (L3), so nothing of it belongs to region 1: not missing here
            (
                (1, J, 500.0, 500.0, "reported", 0, 1, 1, 1, 1, 120000.0, 6000.0),
                (1.0, 1.0, 500.0, 500.0, 11.0),
            ),
            ((1, F, 0.0, 0.0, "no_spend", 0, 0, 0, 0, 0, 0.0, 0.0), (NAN, NAN, NAN, NAN, NAN)),
            ((2, J, 0.0, 0.0, "none", 0, 1, 1, 1, 1, 100000.0, 5000.0), (1.0, 1.0, 0.0, 0.0, NAN)),
            ((2, F, 0.0, 0.0, "none", 0, 0, 0, 0, 0, 0.0, 0.0), (NAN, NAN, NAN, NAN, NAN)),
            ((3, J, 5000.0, 5000.0, "reported", 0, 1, 1, 0, 0, 0.0, 0.0), (1.0, 0.0, 5000.0, NAN, -1.0)),
            # February's missing flat fee had only L6 (region 2): not missing for region 1
            ((3, F, 0.0, 0.0, "no_spend", 0, 0, 0, 0, 0, 0.0, 0.0), (NAN, NAN, NAN, NAN, NAN)),
        ],
        id="region-1",
    ),
    pytest.param(
        # across the year boundary: December and January, channel 1 only
        Filters(dt.date(2025, 12, 15), dt.date(2026, 1, 10), channel_ids=(1,)),
        [
            ((1, D, 900.0, 900.0, "reported", 0, 1, 1, 1, 0, 0.0, 0.0), (1.0, 0.0, 900.0, NAN, -1.0)),
            ((1, J, NAN, 1000.0, "partial", 1, 3, 2, 2, 1, 120000.0, 6000.0), (2 / 3, 1 / 3, NAN, NAN, NAN)),
        ],
        id="december-january-channel-1",
    ),
]


def _expected(rows) -> pd.DataFrame:
    frame = pd.DataFrame([counts for counts, _ in rows], columns=COUNT_COLUMNS)
    ratios = pd.DataFrame([r for _, r in rows], columns=RATIO_COLUMNS)
    return pd.concat([frame, ratios], axis=1)


@pytest.mark.parametrize(("filters", "rows"), TINY_CASES)
def test_channel_months_on_a_hand_made_case(tiny, filters, rows):
    with tiny.connect() as conn:
        got = cr.channel_months(conn=conn, filters=filters)
    assert list(got.columns) == cr.ROI_COLUMNS
    pd.testing.assert_frame_equal(
        got[COUNT_COLUMNS + RATIO_COLUMNS].reset_index(drop=True), _expected(rows), check_dtype=False
    )


def test_names_and_cost_models_come_along(tiny):
    with tiny.connect() as conn:
        got = cr.channel_months(conn=conn, filters=JAN_FEB)
    assert got["channel"].tolist() == ["汽车之家"] * 2 + ["到店自然客流"] * 2 + ["抖音"] * 2
    assert got["channel_en"].tolist()[::2] == ["Autohome", "Walk-in", "Douyin"]
    assert got["cost_model"].tolist()[::2] == ["per_lead", "none", "flat"]


def test_totals_add_up_before_dividing(tiny):
    with tiny.connect() as conn:
        totals = cr.channel_totals_from_frames(cr.channel_months(conn=conn, filters=JAN_FEB))
    assert list(totals.columns) == cr.TOTAL_COLUMNS
    t = totals.set_index("channel_id")
    # channel 1: January is partial → the total is missing; 1000 + 900 reported
    assert np.isnan(t.loc[1, "spend"]) and t.loc[1, "spend_reported"] == 1900.0
    assert t.loc[1, "spend_status"] == "missing" and t.loc[1, "missing_months"] == 1
    assert (t.loc[1, "leads"], t.loc[1, "deals"], t.loc[1, "revenue"]) == (4, 2, 270000.0)
    assert t.loc[1, "conversion"] == 0.5 and np.isnan(t.loc[1, "roi"])
    assert t.loc[2, "spend_status"] == "none" and t.loc[2, "cost_per_deal"] == 0.0
    assert np.isnan(t.loc[2, "roi"])
    assert t.loc[3, "spend_status"] == "missing" and t.loc[3, "spend_reported"] == 7000.0


def test_totals_of_whole_months_with_spend():
    months = pd.DataFrame(
        {
            "channel_id": [1, 1],
            "channel": ["甲"] * 2,
            "channel_en": ["A"] * 2,
            "cost_model": ["per_lead"] * 2,
            "spend": [100.0, 300.0],
            "spend_reported": [100.0, 300.0],
            "spend_status": ["reported", "no_spend"],
            "missing_stores": [0, 0],
            "leads": [1, 3],
            "ha_leads": [1, 0],
            "visits": [0, 2],
            "deals": [0, 2],
            "revenue": [0.0, 2e5],
            "gross_profit": [0.0, 1e4],
        }
    )
    t = cr.channel_totals_from_frames(months).iloc[0]
    # ratios of the sums (400 / 4, 400 / 2), not the mean of the monthly ratios (100 and 100, NaN and 150)
    assert (t["spend"], t["cost_per_lead"], t["cost_per_deal"]) == (400.0, 100.0, 200.0)
    assert t["roi"] == pytest.approx((1e4 - 400) / 400) and t["ha_share"] == 0.25


def test_missing_spend_rows_are_listed(tiny):
    with tiny.connect() as conn:
        frames = cr.roi_frames(conn=conn, filters=JAN_FEB)
    got = cr.missing_spend_from_frames(frames, JAN_FEB)
    expected = pd.DataFrame({"channel_id": [1, 3], "store_id": [2, 1], "month": [J, F], "leads": [1, 1]})
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


@pytest.mark.parametrize(
    ("channel", "measure", "month", "ids"),
    [
        (1, "leads", None, [2, 3, 4, 8]),
        (1, "leads", J, [2, 3, 4]),
        (1, "visits", J, [2, 4]),
        (1, "deals", None, [1, 4]),
        (1, "deals", F, [4]),
        (2, "deals", J, [5]),
        (3, "leads", J, [7]),
        (3, "visits", F, [6]),
    ],
)
def test_the_leads_behind_a_figure(tiny, channel, measure, month, ids):
    with tiny.connect() as conn:
        frames = cr.roi_frames(conn=conn, filters=JAN_FEB)
    assert cr.lead_ids_from_frames(frames, JAN_FEB, channel_id=channel, measure=measure, month=month) == ids


def test_unknown_measure_is_refused(tiny):
    with tiny.connect() as conn:
        frames = cr.roi_frames(conn=conn, filters=JAN_FEB)
    with pytest.raises(ValueError, match="unknown measure"):
        cr.lead_ids_from_frames(frames, JAN_FEB, channel_id=1, measure="calls")


def test_lead_customers_are_masked(tiny):
    with tiny.connect() as conn:
        masked = cr.lead_customers(conn=conn, lead_ids=[1, 4])
        plain = cr.lead_customers(conn=conn, lead_ids=[1, 4], show_pii=True)
    assert masked["name"].tolist() == ["王**", "刘*"]
    assert masked["phone"].tolist() == ["138****5678", "136****3333"]
    assert plain["name"].tolist() == ["王小明", "刘洋"]
    # lead 1's revenue is its new car only (not the accessories)
    assert masked["revenue"].tolist() == [120000.0, 150000.0]
    assert masked["region"].tolist() == ["惠城区", "博罗县"] and masked["store"].tolist() == ["一店", "一店"]


def test_empty_database_gives_an_empty_frame():
    engine = open_database("sqlite://")
    with engine.connect() as conn:
        got = cr.channel_months(conn=conn, filters=JAN_FEB)
    assert got.empty and list(got.columns) == cr.ROI_COLUMNS
    assert cr.channel_totals_from_frames(got).empty


# ---------------------------------------------------------------------------------------------------------------
# the demo data against plain SQL (a second implementation: GROUP BY in the database, no pandas logic)

PERIODS = [
    (dt.date(2026, 4, 1), dt.date(2026, 6, 30)),  # holds the demo's missing 抖音 month at the third store
    (dt.date(2025, 11, 20), dt.date(2026, 2, 10)),  # across a year boundary, partial months
    (dt.date(2026, 6, 15), dt.date(2026, 6, 15)),
]
FILTER_SETS = [
    {},
    {"store_ids": (3,)},
    {"region_ids": (1, 2)},
    {"channel_ids": (1, 4, 7)},
    {"store_ids": (1,), "region_ids": (3,)},
]
CASES = [Filters(s, e, **kw) for s, e in PERIODS for kw in FILTER_SETS]


def _in(name: str, column: str, ids: tuple[int, ...], params: dict) -> str:
    if not ids:
        return "1 = 1"
    params.update({f"{name}{i}": v for i, v in enumerate(ids)})
    return f"{column} IN ({', '.join(f':{name}{i}' for i in range(len(ids)))})"


def _sql_figures(conn, f: Filters) -> pd.DataFrame:
    """Every figure per channel and month with SQLite SQL (strftime months, correlated subqueries)."""
    lo, hi = cr.month_bounds(f)
    p: dict = {"lo": lo, "hi": hi, "lod": lo.date().isoformat(), "hid": hi.date().isoformat()}
    lead_scope = " AND ".join(
        [
            _in("st", "l.store_id", f.store_ids, p),
            _in("ch", "l.channel_id", f.channel_ids, p),
            _in("rg", "c.region_id", f.region_ids, p),
        ]
    )

    def per_month(column: str, extra: str = "") -> str:
        return (
            f"SELECT l.channel_id, strftime('%Y-%m', l.{column}) AS m, COUNT(*) AS n FROM leads l "
            f"JOIN customers c ON c.id = l.customer_id WHERE l.{column} >= :lo AND l.{column} < :hi "
            f"AND {lead_scope} {extra} GROUP BY 1, 2"
        )

    frames = {
        "leads": per_month("created_at"),
        "ha_leads": per_month("created_at", "AND l.grade IN ('H', 'A', 'O', 'D', 'M')"),
        "visits": per_month("visit_at"),
        "deals": per_month("order_at"),
    }
    out = {k: pd.read_sql(sa.text(q), conn, params=p) for k, q in frames.items()}
    money = pd.read_sql(
        sa.text(
            "SELECT l.channel_id, strftime('%Y-%m', l.order_at) AS m, SUM(p.amount) AS revenue, "
            "SUM(p.gross_profit) AS gross_profit FROM purchases p JOIN leads l ON l.id = p.lead_id "
            "JOIN customers c ON c.id = l.customer_id WHERE p.kind = 'new_car' AND l.order_at >= :lo "
            f"AND l.order_at < :hi AND {lead_scope} GROUP BY 1, 2"
        ),
        conn,
        params=p,
    )
    # spend per store-month, allocated by the region's share of the store-month's leads of the channel
    region_leads = "(SELECT COUNT(*) FROM leads x JOIN customers y ON y.id = x.customer_id " \
        "WHERE x.channel_id = s.channel_id AND x.store_id = s.store_id " \
        "AND strftime('%Y-%m', x.created_at) = strftime('%Y-%m', s.month)" + (
            " AND " + _in("rs", "y.region_id", f.region_ids, p) if f.region_ids else "") + ")"  # fmt: skip
    all_leads = (
        "(SELECT COUNT(*) FROM leads x WHERE x.channel_id = s.channel_id AND x.store_id = s.store_id "
        "AND strftime('%Y-%m', x.created_at) = strftime('%Y-%m', s.month))"
    )
    share = (
        f"(CASE WHEN {all_leads} = 0 THEN 0.0 ELSE 1.0 * {region_leads} / {all_leads} END)"
        if f.region_ids
        else "1.0"
    )
    spend = pd.read_sql(
        sa.text(
            f"SELECT s.channel_id, strftime('%Y-%m', s.month) AS m, SUM(s.amount * {share}) AS spend_reported "
            "FROM channel_spend s JOIN channels k ON k.id = s.channel_id WHERE k.cost_model != 'none' "
            f"AND s.month >= :lod AND s.month < :hid AND {_in('ss', 's.store_id', f.store_ids, p)} "
            f"AND {_in('sc', 's.channel_id', f.channel_ids, p)} GROUP BY 1, 2"
        ),
        conn,
        params=p,
    )
    missing = pd.read_sql(
        sa.text(
            "SELECT l.channel_id, strftime('%Y-%m', l.created_at) AS m, COUNT(DISTINCT l.store_id) AS missing "
            "FROM leads l JOIN channels k ON k.id = l.channel_id JOIN customers c ON c.id = l.customer_id "
            "WHERE k.cost_model != 'none' AND l.created_at >= :lo AND l.created_at < :hi "
            f"AND {lead_scope} AND NOT EXISTS (SELECT 1 FROM channel_spend s WHERE s.channel_id = l.channel_id "
            "AND s.store_id = l.store_id AND strftime('%Y-%m', s.month) = strftime('%Y-%m', l.created_at)) "
            "GROUP BY 1, 2"
        ),
        conn,
        params=p,
    )
    return out, money, spend, missing


@pytest.mark.parametrize("f", CASES, ids=str)
def test_channel_months_against_plain_sql(demo_db, f):
    with demo_db.engine.connect() as conn:
        got = cr.channel_months(conn=conn, filters=f)
        counts, money, spend, missing = _sql_figures(conn, f)
    got = got.assign(m=got["month"].map(lambda d: f"{d:%Y-%m}")).set_index(["channel_id", "m"])
    for name, frame in counts.items():
        expected = frame.set_index(["channel_id", "m"])["n"]
        shown = got[name][got[name] > 0]
        assert shown.to_dict() == expected.to_dict(), name
    for col in ("revenue", "gross_profit"):
        expected = money.set_index(["channel_id", "m"])[col]
        shown = got[col][got[col] != 0]
        assert shown.round(2).to_dict() == expected.round(2).to_dict(), col
    expected_spend = spend.set_index(["channel_id", "m"])["spend_reported"]
    shown = got["spend_reported"][got["spend_reported"] != 0]
    assert shown.to_dict() == pytest.approx(expected_spend[expected_spend.round(2) != 0].to_dict(), abs=0.011)
    expected_missing = missing.set_index(["channel_id", "m"])["missing"]
    assert got["missing_stores"][got["missing_stores"] > 0].to_dict() == expected_missing.to_dict()
    # the missing months are exactly where spend is unknown; free channels cost 0
    assert set(got.index[got["spend"].isna()]) == set(expected_missing.index)
    assert (got.loc[got["cost_model"] == "none", "spend"] == 0).all()
    ok = got["spend"].notna() & (got["deals"] > 0)
    np.testing.assert_allclose(got.loc[ok, "cost_per_deal"], got.loc[ok, "spend"] / got.loc[ok, "deals"])
    ok = got["spend"].notna() & (got["spend"] > 0)
    np.testing.assert_allclose(
        got.loc[ok, "roi"], (got.loc[ok, "gross_profit"] - got.loc[ok, "spend"]) / got.loc[ok, "spend"]
    )


def test_the_demo_has_its_missing_month(demo_db):
    f = Filters(dt.date(2026, 4, 1), dt.date(2026, 4, 30), store_ids=(3,), channel_ids=(4,))
    with demo_db.engine.connect() as conn:
        got = cr.channel_months(conn=conn, filters=f)
    assert got["spend_status"].tolist() == ["missing"] and np.isnan(got["spend"].iloc[0])


@pytest.mark.parametrize("measure", cr.MEASURES)
def test_drill_down_ids_against_plain_sql(demo_db, measure):
    f = Filters(dt.date(2026, 1, 1), dt.date(2026, 6, 30), region_ids=(1, 3))
    column = {"leads": "created_at", "visits": "visit_at", "deals": "order_at"}[measure]
    with demo_db.engine.connect() as conn:
        frames = cr.roi_frames(conn=conn, filters=f)
        for channel in (1, 4, 7):
            got = cr.lead_ids_from_frames(
                frames, f, channel_id=channel, measure=measure, month=dt.date(2026, 5, 1)
            )
            sql = (
                f"SELECT l.id FROM leads l JOIN customers c ON c.id = l.customer_id WHERE l.channel_id = :ch "
                f"AND l.{column} >= '2026-05-01' AND l.{column} < '2026-06-01' AND c.region_id IN (1, 3) ORDER BY 1"
            )
            assert got == [r[0] for r in conn.execute(sa.text(sql), {"ch": channel})]


# ---------------------------------------------------------------------------------------------------------------
# the page through AppTest


@pytest.fixture(autouse=True)
def _no_env_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


def make_page(url: str, f: Filters, lang: str = "zh") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.secrets["database_url"] = url
    at.session_state["filters"] = f
    at.session_state["lang"] = lang
    return sign_in(at, url, "analyst")


Q2 = Filters(dt.date(2026, 4, 1), dt.date(2026, 6, 30))


def test_page_shows_the_figures(demo_db):
    at = make_page(demo_db.url, Q2).run()
    assert not at.exception
    assert at.title[0].value == "渠道投入产出"
    with demo_db.engine.connect() as conn:
        months = cr.channel_months(conn=conn, filters=Q2)
    totals = cr.channel_totals_from_frames(months)
    table = at.dataframe[0].value
    assert table["渠道"].tolist() == totals["channel"].tolist()
    assert table["线索"].tolist() == totals["leads"].tolist()
    assert table["成交"].tolist() == totals["deals"].tolist()
    # a missing spend reads "费用缺失" in the table (never blank, never 0); the others are the figures
    spend = [("费用缺失" if np.isnan(v) else f"{v:,.2f}") for v in totals["spend"]]
    assert table["投放费用"].tolist() == spend and "费用缺失" in spend
    assert table.loc[table["渠道"] == "抖音", "费用状态"].tolist() == ["费用缺失"]
    assert table.loc[table["渠道"] == "到店自然客流", "计费方式"].tolist() == ["无投放费用"]
    detail = at.dataframe[3].value
    assert len(detail) == len(months) and detail["月份"].tolist()[:3] == ["2026-04", "2026-05", "2026-06"]
    assert "抖音" in at.dataframe[4].value["渠道"].tolist()
    assert "2026-04" in " ".join(at.dataframe[4].value["缺失的月份和门店"])
    assert at.warning[0].value.startswith("有 1 个")
    assert len(at.get("plotly_chart")) == 3
    assert len(at.get("download_button")) == 12


def test_page_trend_follows_the_measure(demo_db):
    at = make_page(demo_db.url, Q2).run()
    at.selectbox(key="roi_metric.zh").set_value("deals").run()
    assert not at.exception
    with demo_db.engine.connect() as conn:
        months = cr.channel_months(conn=conn, filters=Q2)
    pivot = at.dataframe[2].value
    assert pivot["月份"].tolist() == ["2026-04", "2026-05", "2026-06"]
    assert pivot["汽车之家"].tolist() == months.loc[months["channel_id"] == 1, "deals"].tolist()


def test_page_drill_down_lists_the_customers_behind_a_figure(demo_db):
    at = make_page(demo_db.url, Q2).run()
    at.selectbox(key="roi_drill_channel.zh").set_value(1)
    at.selectbox(key="roi_drill_measure.zh").set_value("leads")
    at.selectbox(key="roi_drill_month.zh").set_value("2026-05-01").run()
    assert not at.exception
    sql = (
        "SELECT l.id, c.id, c.name, c.phone FROM leads l JOIN customers c ON c.id = l.customer_id "
        "WHERE l.channel_id = 1 AND l.created_at >= '2026-05-01' AND l.created_at < '2026-06-01' ORDER BY l.id"
    )
    with demo_db.engine.connect() as conn:
        rows = unseal_rows(conn.execute(sa.text(sql)))
    people = at.dataframe[-1].value
    assert people["线索编号"].tolist() == [r[0] for r in rows]
    assert people["客户编号"].tolist() == [r[1] for r in rows]
    # masked: surname only, 3 + 4 digits of the phone
    assert people["姓名"].tolist() == [
        r[2][:1] + "*" * (len(r[2]) - 1) if len(r[2]) <= 4 else r[2][:2] + "*" * (len(r[2]) - 2) for r in rows
    ]
    assert all("****" in p for p in people["电话"])
    assert not set(people["姓名"]) & {r[2] for r in rows}
    assert at.caption[-2].value == f"汽车之家 · 线索 · 2026-05：{len(rows)} 条线索"  # then the row hint


def test_page_in_english_with_a_store_filter(demo_db):
    f = Filters(Q2.start, Q2.end, store_ids=(3,))
    at = make_page(demo_db.url, f, "en").run()
    assert not at.exception
    assert at.title[0].value == "Channel ROI"
    table = at.dataframe[0].value
    assert table.loc[table["Channel"] == "Douyin", "Spend status"].tolist() == ["Spend missing"]
    with demo_db.engine.connect() as conn:
        totals = cr.channel_totals_from_frames(cr.channel_months(conn=conn, filters=f))
    assert table["Leads"].tolist() == totals["leads"].tolist()


def test_page_empty_state(demo_db):
    at = make_page(demo_db.url, Filters(dt.date(2010, 1, 1), dt.date(2010, 1, 31))).run()
    assert not at.exception
    assert at.info[0].value.startswith("所选月份和筛选条件下没有线索")
    assert len(at.dataframe) == 0 and len(at.get("plotly_chart")) == 0


def test_the_app_serves_the_page_with_the_shared_filters(demo_db):
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    at.secrets["database_url"] = demo_db.url
    at.session_state["lang"] = "zh"
    sign_in(at, demo_db.url, "analyst")
    at.run()
    at.switch_page("../pages/channels.py").run()
    assert not at.exception
    assert at.title[0].value == "渠道投入产出"
    assert [m.label for m in at.sidebar.multiselect] == ["门店", "区域", "线索渠道"]
    # the sidebar's region filter reaches the figures
    at.sidebar.multiselect[1].select(2).run()
    assert not at.exception
    f = at.session_state["filters"]
    assert f.region_ids == (2,)
    with demo_db.engine.connect() as conn:
        totals = cr.channel_totals_from_frames(cr.channel_months(conn=conn, filters=f))
    assert at.dataframe[0].value["线索"].tolist() == totals["leads"].tolist()


def test_a_missing_spend_is_written_out_in_the_download():
    from core.io.exports import csv_bytes
    from dashboard.analysis_views import with_missing

    shown = pd.DataFrame({"渠道": ["抖音", "汽车之家"], "投放费用": [NAN, 1000.0], "ROI": [NAN, 0.5]})
    out = with_missing(shown, ("投放费用",), "费用缺失")
    assert out["投放费用"].tolist() == ["费用缺失", 1000.0]
    assert np.isnan(out["ROI"].iloc[0]) and np.isnan(
        shown["投放费用"].iloc[0]
    )  # the shown frame is unchanged
    assert csv_bytes(out).decode("utf-8-sig").splitlines() == [
        "渠道,投放费用,ROI",
        "抖音,费用缺失,",
        "汽车之家,1000.0,0.5",
    ]


@pytest.mark.parametrize(("filters", "rows"), [TINY_CASES[0], TINY_CASES[2]])
def test_the_hand_made_case_on_every_backend(engine, filters, rows):
    """SQLite, PostgreSQL and MariaDB give the same figures (Numeric amounts, dates and datetimes read back)."""
    write_frames(engine, _tiny_frames())
    with engine.connect() as conn:
        got = cr.channel_months(conn=conn, filters=filters)
        people = cr.lead_customers(conn=conn, lead_ids=[1, 4])
    pd.testing.assert_frame_equal(
        got[COUNT_COLUMNS + RATIO_COLUMNS].reset_index(drop=True), _expected(rows), check_dtype=False
    )
    assert people["revenue"].tolist() == [120000.0, 150000.0] and people["name"].tolist() == ["王**", "刘*"]


def test_page_survives_filters_that_remove_the_drill_down_choice(demo_db):
    at = make_page(demo_db.url, Q2).run()
    at.selectbox(key="roi_drill_channel.zh").set_value(1)
    at.selectbox(key="roi_drill_month.zh").set_value("2026-04-01").run()
    at.session_state["filters"] = Filters(dt.date(2026, 6, 1), dt.date(2026, 6, 30), channel_ids=(4,))
    at.run()
    assert not at.exception
    assert at.selectbox(key="roi_drill_channel.zh").value == 4
    assert at.selectbox(key="roi_drill_month.zh").value == "all"
