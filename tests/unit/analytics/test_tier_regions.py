"""Tiers by region: a hand-made tier history with exact numbers (year over year, shares, concentration, a
publish at 06:00 on the boundary day, migration by dates and by versions), generated history on the demo data
against plain SQL, and the page through AppTest."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest
from tier_history import publish_second_version

from core.analytics import tier_report as tr
from core.analytics.overview import Filters
from core.demo.generator import generate
from core.storage.bulk import write_frames
from core.storage.db import open_database
from core.storage.models import ScoringScheme, TierAssignment
from dashboard.charts import TIER_COLOURS
from tests.pii import unseal_rows
from tests.signin import sign_in

ROOT = Path(__file__).resolve().parents[3]
PAGE = str(ROOT / "pages" / "regions.py")
NAN = np.nan
U = tr.UNTIERED
T1 = "2024-06-30 06:00"  # owners v1 first scoring
T2 = "2024-12-31 06:00"  # owners v1 rescored
T3 = "2025-12-31 06:00"  # owners v2 published (labels X/Y)

# customer → region (6 has none)
REGIONS = {1: 1, 2: 1, 3: 2, 4: 2, 5: 1, 6: None}
# (customer, scheme, tier, effective_from, effective_to)
ASSIGNMENTS = [
    (1, 1, "B", T1, T2),
    (2, 1, "B", T1, T2),
    (1, 1, "A", T2, T3),
    (2, 1, "B", T2, T3),
    (3, 1, "C", T2, T3),
    (4, 1, "A", T2, T3),
    (1, 2, "X", T3, None),
    (2, 2, "X", T3, None),
    (4, 2, "Y", T3, None),
    (5, 2, "Y", T3, None),
    (6, 2, "X", T3, None),
    (1, 3, "H", T3, None),  # the leads population: never an owners tier
]


def _tiny_frames() -> tuple[list[tuple[str, pd.DataFrame]], pd.DataFrame, pd.DataFrame]:
    regions = pd.DataFrame(
        {"id": [1, 2, 3], "code": ["r1", "r2", "r3"], "name": ["惠城区", "博罗县", "龙门县"]}
    )
    regions["name_en"] = ["Huicheng", "Boluo", "Longmen"]
    stores = pd.DataFrame(
        {"id": [1, 2], "code": ["s1", "s2"], "name": ["一店", "二店"], "name_en": ["One", "Two"]}
    )
    stores["region_id"], stores["brand"] = [1, 2], "江铃"
    channels = pd.DataFrame(
        {"id": [1], "code": ["walk_in"], "name": ["到店"], "name_en": ["Walk-in"], "cost_model": ["none"]}
    )
    channels["online"] = False
    customers = pd.DataFrame(
        {
            "id": list(REGIONS),
            "kind": "person",
            "name": ["王小明", "李娜", "张伟", "刘洋", "陈静", "杨帆"],
            "phone": [f"1380000000{i}" for i in REGIONS],
            "region_id": pd.array(list(REGIONS.values()), dtype="Int64"),
            "store_id": [1, 2, 2, 1, 1, 2],
            "first_channel_id": 1,
            "is_owner": True,
            "created_at": pd.Timestamp("2024-01-01"),
        }
    )
    schemes = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "population": ["owners", "owners", "leads"],
            "version": [1, 2, 1],
            "name": ["旧方案", "新方案", "线索"],
            "status": ["archived", "published", "published"],
            "params": [{"labels": ["A", "B", "C"]}, {"labels": ["X", "Y"]}, {"labels": ["H", "A"]}],
            "created_by": "test",
            "created_at": pd.Timestamp("2024-01-01"),
            "published_at": pd.to_datetime([T1, T3, T3]),
        }
    )
    ta = pd.DataFrame(
        ASSIGNMENTS, columns=["customer_id", "scheme_id", "tier", "effective_from", "effective_to"]
    )
    ta.insert(0, "id", range(1, len(ta) + 1))
    ta["score"] = 50.0
    ta["effective_from"] = pd.to_datetime(ta["effective_from"])
    ta["effective_to"] = pd.to_datetime(ta["effective_to"])
    return (
        [
            ("regions", regions),
            ("stores", stores),
            ("channels", channels),
            ("customers", customers),
        ],
        schemes,
        ta,
    )


def _write_tiny(engine) -> None:
    frames, schemes, assignments = _tiny_frames()
    write_frames(engine, frames)
    with engine.begin() as conn:  # JSON params through SQLAlchemy, not the bulk writer
        conn.execute(sa.insert(ScoringScheme), schemes.to_dict("records"))
        rows = assignments.astype(object).where(assignments.notna(), None).to_dict("records")
        conn.execute(sa.insert(TierAssignment), rows)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('regions') / 'tiny.sqlite'}"
    engine = open_database(url)
    _write_tiny(engine)
    yield engine
    engine.dispose()


def day(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2024-06-29", {}),
        ("2024-06-30", {1: "B", 2: "B"}),  # the end of the day of the first scoring at 06:00
        ("2024-12-30", {1: "B", 2: "B"}),
        ("2025-12-30", {1: "A", 2: "B", 3: "C", 4: "A"}),
        ("2025-12-31", {1: "X", 2: "X", 4: "Y", 5: "Y", 6: "X"}),
    ],
)
def test_tiers_at_the_end_of_a_day(tiny, at, expected):
    with tiny.connect() as conn:
        got = tr.tiers_at(conn=conn, filters=Filters(day(at), day(at)), at=tr.end_of_day(day(at)))
    assert dict(zip(got["customer_id"], got["tier"], strict=True)) == expected


def test_tiers_at_the_instant_of_a_publish_are_the_old_ones(tiny):
    # effective_to >= at: at exactly 06:00 the old assignment is still in force (core.analytics.overview.tiers_in_force)
    with tiny.connect() as conn:
        got = tr.tiers_at(
            conn=conn, filters=Filters(day("2025-12-31"), day("2025-12-31")), at=dt.datetime(2025, 12, 31, 6)
        )
    assert got["tier"].tolist() == ["A", "B", "C", "A"]


YOY_COLUMNS = ["region_id", "region", "tier", "customers_before", "customers", "change"]
SHARE_COLUMNS = [
    "share_before",
    "share",
    "share_change",
    "concentration_before",
    "concentration",
    "concentration_change",
]


def test_year_over_year_on_a_hand_made_case(tiny):
    # now: end of 2025-12-31 → v2 (X: 1, 2, 6; Y: 4, 5); a year before: end of 2024-12-31 → v1 (A: 1, 4; B: 2; C: 3)
    with tiny.connect() as conn:
        got = tr.region_tiers_yoy(conn=conn, filters=Filters(day("2025-12-01"), day("2025-12-31")))
    rows = [
        # region 1: now X 2 (1, 2), Y 1 (5) of 3; before A 1 (1), B 1 (2) of 2
        (1, "惠城区", "X", 0, 2, 2, 0.0, 2 / 3, 2 / 3, NAN, 2 / 3, NAN),
        (1, "惠城区", "Y", 0, 1, 1, 0.0, 1 / 3, 1 / 3, NAN, 1 / 2, NAN),
        (1, "惠城区", "A", 1, 0, -1, 1 / 2, 0.0, -1 / 2, 1 / 2, NAN, NAN),
        (1, "惠城区", "B", 1, 0, -1, 1 / 2, 0.0, -1 / 2, 1.0, NAN, NAN),
        (1, "惠城区", "C", 0, 0, 0, 0.0, 0.0, 0.0, 0.0, NAN, NAN),
        # region 2: now Y 1 (4); before A 1 (4), C 1 (3)
        (2, "博罗县", "X", 0, 0, 0, 0.0, 0.0, 0.0, NAN, 0.0, NAN),
        (2, "博罗县", "Y", 0, 1, 1, 0.0, 1.0, 1.0, NAN, 1 / 2, NAN),
        (2, "博罗县", "A", 1, 0, -1, 1 / 2, 0.0, -1 / 2, 1 / 2, NAN, NAN),
        (2, "博罗县", "B", 0, 0, 0, 0.0, 0.0, 0.0, 0.0, NAN, NAN),
        (2, "博罗县", "C", 1, 0, -1, 1 / 2, 0.0, -1 / 2, 1.0, NAN, NAN),
        # no region (customer 6): X now; nobody a year before → shares NaN then
        (None, "—", "X", 0, 1, 1, NAN, 1.0, NAN, NAN, 1 / 3, NAN),
        (None, "—", "Y", 0, 0, 0, NAN, 0.0, NAN, NAN, 0.0, NAN),
        (None, "—", "A", 0, 0, 0, NAN, 0.0, NAN, 0.0, NAN, NAN),
        (None, "—", "B", 0, 0, 0, NAN, 0.0, NAN, 0.0, NAN, NAN),
        (None, "—", "C", 0, 0, 0, NAN, 0.0, NAN, 0.0, NAN, NAN),
    ]
    expected = pd.DataFrame(rows, columns=YOY_COLUMNS + SHARE_COLUMNS)
    expected["region_id"] = expected["region_id"].astype(object).where(expected["region_id"].notna(), None)
    pd.testing.assert_frame_equal(
        got[YOY_COLUMNS + SHARE_COLUMNS].reset_index(drop=True), expected, check_dtype=False
    )
    assert got["region_en"].tolist()[:5] == ["Huicheng"] * 5


@pytest.mark.parametrize(
    ("filters", "customers"),
    [
        (Filters(day("2025-12-31"), day("2025-12-31"), region_ids=(2,)), {("Y", 1)}),
        (Filters(day("2025-12-31"), day("2025-12-31"), store_ids=(2,)), {("X", 2)}),  # customers 2 and 6
        (Filters(day("2025-12-31"), day("2025-12-31"), region_ids=(3,)), set()),
    ],
)
def test_year_over_year_follows_the_filters(tiny, filters, customers):
    with tiny.connect() as conn:
        got = tr.region_tiers_yoy(conn=conn, filters=filters)
    by_tier = got.groupby("tier")["customers"].sum()
    assert {(k, int(v)) for k, v in by_tier.items() if v} == customers


def test_year_over_year_across_29_february(tiny):
    assert tr.year_before(day("2028-02-29")) == day("2027-02-28")


EXPECTED_MOVES = {("A", "X"): 1, ("A", "Y"): 1, ("B", "X"): 1, ("C", U): 1, (U, "Y"): 1, (U, "X"): 1}


def _cells(moves: pd.DataFrame) -> dict:
    return {(a, b): n for a, b, n in moves.itertuples(index=False) if n}


def test_migration_between_two_dates(tiny):
    f = Filters(day("2025-12-31"), day("2025-12-31"))
    with tiny.connect() as conn:
        a = tr.tiers_at(conn=conn, filters=f, at=tr.end_of_day(day("2024-12-31")))
        b = tr.tiers_at(conn=conn, filters=f, at=tr.end_of_day(day("2025-12-31")))
    moves = tr.transition_from_frames(a, b, ["X", "Y"], ["X", "Y"])
    assert _cells(moves) == EXPECTED_MOVES
    assert list(dict.fromkeys(moves["from_tier"])) == ["X", "Y", "A", "B", "C", U]
    assert list(dict.fromkeys(moves["to_tier"])) == ["X", "Y", U]
    assert len(moves) == 6 * 3 - 1  # every pair but untiered → untiered
    assert tr.transition_members_from_frames(a, b, U, "X") == [6]
    assert tr.transition_members_from_frames(a, b, "A", "X") == [1]


def test_the_hand_made_case_on_every_backend(engine):
    """SQLite, PostgreSQL and MariaDB agree: tiers in force at a time, a version's latest tiers, the figures."""
    _write_tiny(engine)
    f = Filters(day("2025-12-01"), day("2025-12-31"))
    with engine.connect() as conn:
        yoy = tr.region_tiers_yoy(conn=conn, filters=f)
        a = tr.version_tiers(conn=conn, filters=f, scheme_id=1)
        b = tr.tiers_at(conn=conn, filters=f, at=tr.end_of_day(f.end))
        versions = tr.published_versions(conn=conn, population="owners")
    assert yoy.groupby("tier")["customers"].sum().to_dict() == {"A": 0, "B": 0, "C": 0, "X": 3, "Y": 2}
    assert yoy.groupby("tier")["customers_before"].sum().to_dict() == {"A": 2, "B": 1, "C": 1, "X": 0, "Y": 0}
    assert _cells(tr.transition_from_frames(a, b, ["A", "B", "C"], ["X", "Y"])) == EXPECTED_MOVES
    assert versions["labels"].tolist() == [["X", "Y"], ["A", "B", "C"]]


def test_migration_between_two_versions(tiny):
    f = Filters(day("2025-12-31"), day("2025-12-31"))
    with tiny.connect() as conn:
        versions = tr.published_versions(conn=conn, population="owners")
        a = tr.version_tiers(conn=conn, filters=f, scheme_id=1)
        b = tr.version_tiers(conn=conn, filters=f, scheme_id=2)
        a_r1 = tr.version_tiers(conn=conn, filters=Filters(f.start, f.end, region_ids=(1,)), scheme_id=1)
        b_r1 = tr.version_tiers(conn=conn, filters=Filters(f.start, f.end, region_ids=(1,)), scheme_id=2)
    assert versions["version"].tolist() == [2, 1] and versions["labels"].tolist() == [
        ["X", "Y"],
        ["A", "B", "C"],
    ]
    # v1's latest assignment of customer 1 is A (rescored), not its first B
    assert dict(zip(a["customer_id"], a["tier"], strict=True)) == {1: "A", 2: "B", 3: "C", 4: "A"}
    moves = tr.transition_from_frames(a, b, ["A", "B", "C"], ["X", "Y"])
    assert _cells(moves) == EXPECTED_MOVES
    assert list(dict.fromkeys(moves["from_tier"])) == ["A", "B", "C", U]
    assert _cells(tr.transition_from_frames(a_r1, b_r1, ["A", "B", "C"], ["X", "Y"])) == {
        ("A", "X"): 1,
        ("B", "X"): 1,
        (U, "Y"): 1,
    }


def test_customers_behind_a_figure_are_masked(tiny):
    with tiny.connect() as conn:
        masked = tr.customers(conn=conn, customer_ids=[4, 1])
        plain = tr.customers(conn=conn, customer_ids=[4, 1], show_pii=True)
        capped = tr.customers(conn=conn, customer_ids=[4, 1, 2], limit=2)
    assert masked["customer_id"].tolist() == [1, 4]
    assert masked["name"].tolist() == ["王**", "刘*"] and plain["name"].tolist() == ["王小明", "刘洋"]
    assert masked["phone"].tolist() == ["138****0001", "138****0004"]
    assert masked["region"].tolist() == ["惠城区", "博罗县"]
    assert capped["customer_id"].tolist() == [1, 2]


def test_existing_functions_keep_their_behaviour(tiny):
    f = Filters(day("2025-12-31"), day("2025-12-31"))
    with tiny.connect() as conn:
        by_region = tr.tiers_by_region(conn=conn, filters=f)
        members = tr.tier_members(conn=conn, filters=f, tier="X")
    # inner join on regions: customer 6 (no region) is not in tiers_by_region
    assert by_region[["region_id", "tier", "customers"]].values.tolist() == [
        [1, "X", 2],
        [1, "Y", 1],
        [2, "Y", 1],
    ]
    assert sorted(members["customer_id"]) == [1, 2, 6]


# ---------------------------------------------------------------------------------------------------------------
# generated history on the demo data against plain SQL


@pytest.fixture(scope="module")
def history_db(demo_db, tmp_path_factory):
    """A copy of the demo database (its own history: owners version 1 from 2024-12-30, rescored half-yearly,
    version 2 from 2026-06-23, rescored 2026-06-30 at 06:00) with a third version of other labels (优质/潜力/一般)
    at 12:00 that day."""
    path = tmp_path_factory.mktemp("history") / "history.sqlite"
    with sqlite3.connect(demo_db.engine.url.database) as src, sqlite3.connect(path) as dst:
        src.backup(dst)  # the demo database is in WAL mode: copying the file alone could miss pages
    url = f"sqlite:///{path}"
    engine = open_database(url)
    publish_second_version(engine, at=dt.datetime(2026, 6, 30, 12, 0))
    yield url, engine
    engine.dispose()


@pytest.fixture(scope="module")
def one_version_db(tmp_path_factory):
    """A small demo without the demo's tiers, then one owners version published (as a dealer's first)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('one-version') / 'one.sqlite'}"
    engine = open_database(url)
    generate(engine, customers=150, seed=7, as_of=dt.date(2026, 6, 30), with_tiers=False)
    publish_second_version(engine, at=dt.datetime(2026, 6, 30, 6, 0), preset_name="value_3")
    yield url, engine
    engine.dispose()


def _customer_where(f: Filters, p: dict) -> list[str]:
    where = []
    for name, col, ids in (
        ("st", "c.store_id", f.store_ids),
        ("rg", "c.region_id", f.region_ids),
        ("ch", "c.first_channel_id", f.channel_ids),
    ):
        if ids:
            where.append(f"{col} IN ({', '.join(f':{name}{i}' for i in range(len(ids)))})")
            p.update({f"{name}{i}": v for i, v in enumerate(ids)})
    return where


def _sql_tiers(conn, f: Filters, at: dt.datetime) -> pd.DataFrame:
    p: dict = {"at": at}
    where = ["a.effective_from < :at", "(a.effective_to IS NULL OR a.effective_to >= :at)"]
    where += ["s.population = 'owners'", *_customer_where(f, p)]
    sql = (
        "SELECT a.customer_id, a.tier, c.region_id FROM tier_assignments a JOIN scoring_schemes s "
        "ON s.id = a.scheme_id JOIN customers c ON c.id = a.customer_id WHERE " + " AND ".join(where)
    )
    return pd.read_sql(sa.text(sql), conn, params=p)


def _sql_version_tiers(conn, f: Filters, scheme_id: int) -> dict[int, str]:
    p: dict = {"s": scheme_id}
    where = ["a.scheme_id = :s", *_customer_where(f, p)]
    sql = (
        "SELECT a.customer_id, a.tier FROM tier_assignments a JOIN customers c ON c.id = a.customer_id WHERE "
        + " AND ".join(where)
        + " AND a.effective_from = (SELECT MAX(b.effective_from) FROM tier_assignments b "
        "WHERE b.scheme_id = :s AND b.customer_id = a.customer_id)"
    )
    return dict(conn.execute(sa.text(sql), p).all())


FILTER_SETS = [
    {},
    {"region_ids": (1, 2)},
    {"store_ids": (2,)},
    {"channel_ids": (1, 7)},
    {"store_ids": (1,), "region_ids": (4,)},
]
ENDS = [day("2026-06-30"), day("2025-12-31"), day("2025-07-15"), day("2026-06-29")]
CASES = [Filters(e.replace(day=1), e, **kw) for e in ENDS for kw in FILTER_SETS]


@pytest.mark.parametrize("f", CASES, ids=str)
def test_year_over_year_against_plain_sql(history_db, f):
    _, engine = history_db
    with engine.connect() as conn:
        got = tr.region_tiers_yoy(conn=conn, filters=f)
        now = _sql_tiers(conn, f, tr.end_of_day(f.end))
        before = _sql_tiers(conn, f, tr.end_of_day(tr.year_before(f.end)))
    assert not (now.empty and before.empty), "the generated history should tier someone at these times"
    got = got.assign(key=got["region_id"].map(lambda r: -1 if r is None else int(r))).set_index(
        ["key", "tier"]
    )
    for col, side in (("customers", now), ("customers_before", before)):
        counts = side.assign(key=side["region_id"].fillna(-1).astype(int)).groupby(["key", "tier"]).size()
        assert got[col][got[col] > 0].to_dict() == counts.to_dict(), col
        region_total = counts.groupby(level=0).sum()
        tier_total = counts.groupby(level=1).sum()
        share = "share" if col == "customers" else "share_before"
        conc = "concentration" if col == "customers" else "concentration_before"
        for (k, tier), n in counts.items():
            assert got.loc[(k, tier), share] == pytest.approx(n / region_total[k])
            assert got.loc[(k, tier), conc] == pytest.approx(n / tier_total[tier])
    # each tier's concentration adds up to 100% over the regions (where the tier has customers)
    sums = got.groupby(level=1)["concentration"].sum()
    assert all(s == pytest.approx(1.0) for t, s in sums.items() if got.xs(t, level=1)["customers"].sum())


@pytest.mark.parametrize("f", CASES[:5], ids=str)
def test_migration_against_plain_sql(history_db, f):
    _, engine = history_db
    a_at, b_at = tr.end_of_day(day("2025-06-30")), tr.end_of_day(day("2026-06-30"))
    with engine.connect() as conn:
        a = tr.tiers_at(conn=conn, filters=f, at=a_at)
        b = tr.tiers_at(conn=conn, filters=f, at=b_at)
        sql_a, sql_b = _sql_tiers(conn, f, a_at), _sql_tiers(conn, f, b_at)
        versions = tr.published_versions(conn=conn, population="owners")
        old, new = int(versions["id"].iloc[1]), int(versions["id"].iloc[0])
        va, vb = (
            tr.version_tiers(conn=conn, filters=f, scheme_id=old),
            tr.version_tiers(conn=conn, filters=f, scheme_id=new),
        )
        sql_va, sql_vb = _sql_version_tiers(conn, f, old), _sql_version_tiers(conn, f, new)
    moves = tr.transition_from_frames(a, b, [], [])
    # the transition counted the plain-SQL way: a full outer join of the two sides in Python dicts
    ta = dict(zip(sql_a["customer_id"], sql_a["tier"], strict=True))
    tb = dict(zip(sql_b["customer_id"], sql_b["tier"], strict=True))
    expected: dict = {}
    for c in set(ta) | set(tb):
        key = (ta.get(c, U), tb.get(c, U))
        expected[key] = expected.get(key, 0) + 1
    assert _cells(moves) == expected
    assert sum(expected.values()) == len(set(ta) | set(tb))
    # versions: each side is the version's latest tier of every filtered customer
    assert dict(zip(va["customer_id"], va["tier"], strict=True)) == sql_va
    assert dict(zip(vb["customer_id"], vb["tier"], strict=True)) == sql_vb
    assert len(sql_vb) > 0 and set(sql_vb.values()) <= {"优质", "潜力", "一般"}


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


JUNE = Filters(day("2026-06-01"), day("2026-06-30"))


def test_page_shows_year_over_year(history_db):
    url, engine = history_db
    at = make_page(url, JUNE).run()
    assert not at.exception
    assert at.title[0].value == "区域分级分布"
    with engine.connect() as conn:
        yoy = tr.region_tiers_yoy(conn=conn, filters=JUNE)
    table = at.dataframe[0].value
    shown = table.set_index(["区域", "级别"])
    expected = yoy.set_index(["region", "tier"])
    assert sorted(shown.index) == sorted(expected.index)
    assert shown["期末客户数"].to_dict() == expected["customers"].to_dict()
    assert shown["一年前客户数"].to_dict() == expected["customers_before"].to_dict()
    # an undefined concentration (no customers of the tier at all) reads "—" on screen, not a grey "None"
    as_shown = expected["concentration"].map(lambda v: "—" if pd.isna(v) else f"{v:.1%}")
    assert expected["concentration"].isna().any()
    assert shown["期末集中度"].to_dict() == as_shown.to_dict()
    # the published scheme's labels first (v2: 优质/潜力/一般), then last year's v1 labels
    assert list(dict.fromkeys(table["级别"])) == ["优质", "潜力", "一般", "高价值", "普通", "流失风险"]
    conc = at.dataframe[1].value
    assert conc.columns.tolist() == ["区域", "优质", "潜力", "一般"]  # the tiers in force at the period's end
    for tier in ("优质", "潜力", "一般"):
        expected = yoy[yoy["tier"] == tier].set_index("region")["concentration"]
        np.testing.assert_allclose(
            conc.set_index("区域")[tier].to_numpy(float), expected[conc["区域"]].to_numpy()
        )
    assert len(at.get("plotly_chart")) == 3  # year over year: an Altair chart (issue 14)
    assert len(at.get("vega_lite_chart")) == 1
    assert len(at.get("download_button")) == 12


def test_page_drill_down_lists_the_customers_of_a_bar(history_db):
    url, engine = history_db
    at = make_page(url, JUNE).run()
    at.selectbox(key="regions_drill_region.zh").set_value(2)
    at.selectbox(key="regions_drill_side.zh").set_value("before")
    at.selectbox(key="regions_drill_tier.zh").set_value("高价值").run()
    assert not at.exception
    with engine.connect() as conn:
        expected = _sql_tiers(conn, JUNE, tr.end_of_day(day("2025-06-30")))
        names = dict(unseal_rows(conn.execute(sa.text("SELECT id, name FROM customers"))))
    ids = sorted(expected.loc[(expected["region_id"] == 2) & (expected["tier"] == "高价值"), "customer_id"])
    assert ids, "the case should have customers"
    people = at.dataframe[2].value
    assert people["客户编号"].tolist() == ids
    assert all(n.endswith("*") and n[0] == names[c][0] for c, n in zip(ids, people["姓名"], strict=True))
    assert not set(people["姓名"]) & {names[c] for c in ids}


def test_page_migration_by_versions_in_english(history_db):
    url, engine = history_db
    at = make_page(url, JUNE, "en")
    # AppTest formats options outside the session (always in Chinese), so choose the mode by its state
    at.session_state["regions_mode.en"] = "versions"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Tiers by region"
    matrix = at.dataframe[3].value
    with engine.connect() as conn:
        versions = tr.published_versions(conn=conn, population="owners")
        a = tr.version_tiers(conn=conn, filters=JUNE, scheme_id=int(versions["id"].iloc[1]))
        b = tr.version_tiers(conn=conn, filters=JUNE, scheme_id=int(versions["id"].iloc[0]))
    moves = tr.transition_from_frames(
        a, b, list(versions["labels"].iloc[1]), list(versions["labels"].iloc[0])
    )
    assert matrix.iloc[:, 0].tolist() == ["High value", "Normal", "Churn risk", "Untiered"]
    assert int(matrix.iloc[:, 1:].to_numpy().sum()) == int(moves["customers"].sum())
    assert matrix.columns.tolist()[1:] == ["Prime", "Potential", "Ordinary", "Untiered"]


def test_page_migration_drill_down(history_db):
    url, engine = history_db
    at = make_page(url, JUNE).run()
    at.radio(key="regions_mode.zh").set_value("versions").run()
    at.selectbox(key="regions_from_tier.zh").set_value("高价值")
    at.selectbox(key="regions_to_tier.zh").set_value("优质").run()
    assert not at.exception
    with engine.connect() as conn:
        versions = tr.published_versions(conn=conn, population="owners")
        old = _sql_version_tiers(conn, JUNE, int(versions["id"].iloc[1]))
        new = _sql_version_tiers(conn, JUNE, int(versions["id"].iloc[0]))
    ids = sorted(c for c, tier in old.items() if tier == "高价值" and new.get(c) == "优质")
    assert ids and at.dataframe[-1].value["客户编号"].tolist() == ids
    assert at.caption[-2].value == f"高价值 → 优质：{len(ids)} 位客户"  # then the row hint


def test_page_one_version_says_so(one_version_db):
    url, engine = one_version_db
    with engine.connect() as conn:
        assert len(tr.published_versions(conn=conn, population="owners")) == 1
    at = make_page(url, JUNE).run()
    at.radio(key="regions_mode.zh").set_value("versions").run()
    assert not at.exception
    assert at.info[-1].value.startswith("这个人群只发布过 1 个方案版本")


def test_page_empty_state(history_db):
    url, _ = history_db
    at = make_page(url, Filters(day("2010-01-01"), day("2010-01-31"))).run()
    assert not at.exception
    assert at.info[0].value.startswith("所选日期及一年前都没有")
    assert len(at.dataframe) == 0


def test_the_app_serves_the_page_with_the_shared_filters(history_db):
    url, engine = history_db
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    at.secrets["database_url"] = url
    at.session_state["lang"] = "zh"
    sign_in(at, url, "analyst")
    at.run()
    at.switch_page("../pages/regions.py").run()
    assert not at.exception
    assert at.title[0].value == "区域分级分布"
    at.sidebar.multiselect[0].select(1).run()  # store filter
    assert not at.exception
    f = at.session_state["filters"]
    assert f.store_ids == (1,)
    with engine.connect() as conn:
        now = _sql_tiers(conn, f, tr.end_of_day(f.end))
    shown = at.dataframe[0].value
    assert int(shown["期末客户数"].sum()) == len(now)


def test_page_survives_filters_that_remove_the_drill_down_choice(history_db):
    url, _ = history_db
    at = make_page(url, JUNE).run()
    at.selectbox(key="regions_drill_region.zh").set_value(6).run()
    at.session_state["filters"] = Filters(JUNE.start, JUNE.end, region_ids=(2,))
    at.run()
    assert not at.exception
    assert at.selectbox(key="regions_drill_region.zh").value == 2


def vega_charts(at: AppTest) -> list:
    """The Altair (Vega-Lite) charts of the page: (spec, data of its first dataset)."""
    import json

    import pyarrow as pa

    out = []
    for el in at.get("vega_lite_chart"):
        data = el.proto.datasets[0].data.data if el.proto.datasets else el.proto.data.data
        frame = pa.ipc.open_stream(data).read_all().to_pandas() if data else pd.DataFrame()
        out.append((json.loads(el.proto.spec), frame))
    return out


@pytest.mark.parametrize(("lang", "measure"), [("zh", "customers"), ("en", "share")])
def test_page_draws_tiers_by_region_as_small_multiples(history_db, lang, measure):
    """One small chart per region (Altair facet), a year before and now per tier, in the tier's colour: its data
    are the core's year-over-year figures for the filters."""
    url, engine = history_db
    at = make_page(url, JUNE, lang)
    at.session_state[f"regions_measure.{lang}"] = measure
    at.run()
    assert not at.exception
    (spec, data), *_ = vega_charts(at)
    assert spec["facet"]["field"] == "region_name" and spec["params"][0]["name"] == "pick"
    with engine.connect() as conn:
        yoy = tr.region_tiers_yoy(conn=conn, filters=JUNE)
    region = "region_en" if lang == "en" else "region"
    expected = {}
    for _, r in yoy.iterrows():
        expected[(r[region], r["tier"], "before")] = r[f"{measure}_before"]
        expected[(r[region], r["tier"], "now")] = r[measure]
    got = {(r["region_name"], r["tier"], r["side"]): r[measure] for _, r in data.iterrows()}
    assert got.keys() == expected.keys()
    np.testing.assert_allclose([got[k] for k in expected], [expected[k] for k in expected])
    assert spec["facet"]["sort"] == list(dict.fromkeys(yoy[region]))
    # one colour per tier, the same in every small chart: the top tier of each scheme version green
    scale = spec["spec"]["encoding"]["color"]["scale"]
    colour = dict(zip(scale["domain"], scale["range"], strict=True))
    top = "Prime" if lang == "en" else "优质"
    assert colour[top] == TIER_COLOURS[0]


def test_page_a_click_on_a_small_multiple_lists_its_customers(history_db):
    """A click on a bar of the small multiples (its point selection) chooses region, time and tier below."""
    url, engine = history_db
    at = make_page(url, JUNE)
    at.session_state["regions_yoy_chart"] = {
        "selection": {"pick": [{"region_key": 2, "side": "before", "tier": "高价值"}]}
    }
    at.run()
    assert not at.exception
    assert at.selectbox(key="regions_drill_region.zh").value == 2
    assert at.selectbox(key="regions_drill_side.zh").value == "before"
    assert at.selectbox(key="regions_drill_tier.zh").value == "高价值"
