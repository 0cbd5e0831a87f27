"""Bulk writes: all tables of one call land together or not at all, with values that read back exactly."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from core.storage import bulk
from core.storage.bulk import NotEmptyError, write_frames
from core.storage.db import open_database
from core.storage.models import Base, Lead, Meta

REGIONS = pd.DataFrame(
    {
        "id": [1, 2],
        "code": ["huicheng", "boluo"],
        "name": ["惠城区", "博罗县"],
        "name_en": ["Huicheng", "Boluo"],
    }
)


def stores(**override) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "code": ["HC01", "BL01", "HC02"],
            "name": ["惠城店", "博罗店", "惠城二店"],
            "name_en": ["Huicheng", "Boluo", "Huicheng 2"],
            "region_id": [1, 2, 1],
            "brand": "江铃",
        }
    )
    for col, values in override.items():
        frame[col] = values
    return frame


# the second frame breaks at its last row, after the first frame and two good rows were sent
FAILURES = {
    "duplicate-primary-key": stores(id=[1, 2, 1]),
    "not-null-violated": stores(brand=["江铃", "江铃", None]),
    "unique-code-violated": stores(code=["HC01", "BL01", "HC01"]),
    "foreign-key-violated": stores(region_id=[1, 2, 99]),
}
INTEGRITY_ERRORS = (sa.exc.IntegrityError, sqlite3.IntegrityError)


def counts(engine, *names: str) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            n: conn.execute(sa.select(sa.func.count()).select_from(Base.metadata.tables[n])).scalar_one()
            for n in names
        }


@pytest.mark.parametrize("failure", list(FAILURES))
def test_failure_in_a_later_table_writes_nothing(engine, failure):
    calls = []
    with pytest.raises(INTEGRITY_ERRORS):
        write_frames(
            engine,
            [("regions", REGIONS), ("stores", FAILURES[failure])],
            meta={"demo": "true"},
            on_table=lambda i, name: calls.append((i, name)),
        )
    assert calls == [(0, "regions"), (1, "stores")]
    assert counts(engine, "regions", "stores", "meta") == {"regions": 0, "stores": 0, "meta": 0}
    # the engine is still usable, and the same tables can then be written
    assert write_frames(engine, [("regions", REGIONS), ("stores", stores())]) == {"regions": 2, "stores": 3}
    assert counts(engine, "regions", "stores") == {"regions": 2, "stores": 3}


def test_failure_in_a_later_chunk_writes_nothing(engine, monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK", 2)  # the bad row is in the second chunk of stores
    with pytest.raises(INTEGRITY_ERRORS):
        write_frames(engine, [("regions", REGIONS), ("stores", FAILURES["duplicate-primary-key"])])
    assert counts(engine, "regions", "stores") == {"regions": 0, "stores": 0}


def test_chunks_write_every_row(engine, monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK", 2)
    assert write_frames(engine, [("regions", REGIONS), ("stores", stores())]) == {"regions": 2, "stores": 3}
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, code, region_id FROM stores ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, "HC01", 1), (2, "BL01", 2), (3, "HC02", 1)]


def test_require_empty_refuses_and_writes_nothing(engine):
    write_frames(engine, [("regions", REGIONS)], meta={"demo_seed": "1"})
    with pytest.raises(NotEmptyError, match="regions already holds 2 rows"):
        write_frames(engine, [("stores", stores())], meta={"demo_seed": "2"}, require_empty="regions")
    assert counts(engine, "regions", "stores") == {"regions": 2, "stores": 0}
    with engine.connect() as conn:
        assert dict(conn.execute(sa.select(Meta.key, Meta.value)).all()) == {"demo_seed": "1"}


def test_meta_keys_are_replaced(engine):
    write_frames(engine, [], meta={"demo": "true", "demo_seed": "1"})
    write_frames(engine, [], meta={"demo_seed": "2", "demo_as_of": "2026-06-30"})
    with engine.connect() as conn:
        assert dict(conn.execute(sa.select(Meta.key, Meta.value)).all()) == {
            "demo": "true",
            "demo_seed": "2",
            "demo_as_of": "2026-06-30",
        }


def test_empty_frame_writes_zero_rows(engine):
    assert write_frames(engine, [("regions", REGIONS.iloc[:0])]) == {"regions": 0}
    assert counts(engine, "regions") == {"regions": 0}


def _reference_rows(engine) -> None:
    write_frames(
        engine,
        [
            ("regions", REGIONS),
            ("stores", stores()),
            (
                "channels",
                pd.DataFrame(
                    {
                        "id": [1],
                        "code": ["autohome"],
                        "name": ["汽车之家"],
                        "name_en": ["Autohome"],
                        "cost_model": ["per_lead"],
                        "online": [True],
                    }
                ),
            ),
            (
                "customers",
                pd.DataFrame(
                    {
                        "id": [1, 2],
                        "kind": "person",
                        "name": ["王伟", "李娜"],
                        "is_owner": [True, False],
                        "created_at": pd.to_datetime(["2025-01-01 09:00", "2025-02-01 10:00"]),
                    }
                ),
            ),
        ],
    )


LEADS = pd.DataFrame(
    {
        "id": [1, 2, 3],
        "customer_id": [1, 2, 2],
        "store_id": [1, 2, 2],
        "advisor_id": pd.array([pd.NA, pd.NA, pd.NA], dtype="Int64"),
        "channel_id": [1, 1, 1],
        "intended_model": ["域虎7", None, "福顺"],
        "grade": ["H", "A", "M"],
        "status": ["open", "defeated", "won"],
        "stage_reached": np.array([1, 0, 7], dtype=np.int16),
        "created_at": np.array(
            ["2026-06-01T09:00:00", "2026-06-02T10:30:15", "2026-06-03T23:59:59"], dtype="datetime64[s]"
        ),
        "first_contact_at": np.array(
            ["2026-06-01T09:04:00", "NaT", "2026-06-04T00:00:00"], dtype="datetime64[s]"
        ),
        "expected_purchase_date": np.array(["2026-06-10", "NaT", "NaT"], dtype="datetime64[D]"),
        "asked_competitor": [False, True, False],
    }
)


def test_values_read_back_exactly(engine):
    _reference_rows(engine)
    assert write_frames(engine, [("leads", LEADS)]) == {"leads": 3}
    cols = [
        Lead.id,
        Lead.advisor_id,
        Lead.intended_model,
        Lead.grade,
        Lead.stage_reached,
        Lead.created_at,
        Lead.first_contact_at,
        Lead.expected_purchase_date,
        Lead.asked_competitor,
        Lead.delivery_at,
    ]
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.select(*cols).order_by(Lead.id)).all()]
    assert rows == [
        (
            1,
            None,
            "域虎7",
            "H",
            1,
            dt.datetime(2026, 6, 1, 9, 0),
            dt.datetime(2026, 6, 1, 9, 4),
            dt.date(2026, 6, 10),
            False,
            None,
        ),
        (2, None, None, "A", 0, dt.datetime(2026, 6, 2, 10, 30, 15), None, None, True, None),
        (
            3,
            None,
            "福顺",
            "M",
            7,
            dt.datetime(2026, 6, 3, 23, 59, 59),
            dt.datetime(2026, 6, 4),
            None,
            False,
            None,
        ),
    ]


# bound value → ids of leads created at or before it; SQLite stores text, so its format must match
DATETIME_BOUNDS = {
    dt.datetime(2026, 6, 2, 10, 30, 15): [1, 2],  # inclusive at the exact second
    dt.datetime(2026, 6, 2, 10, 30, 14): [1],
    dt.datetime(2026, 6, 3, 23, 59, 59): [1, 2, 3],
    dt.datetime(2026, 6, 1, 9, 0): [1],
    dt.datetime(2026, 5, 31, 23, 59, 59): [],
}


def test_written_datetimes_compare_with_bound_values(engine):
    _reference_rows(engine)
    write_frames(engine, [("leads", LEADS)])
    with engine.connect() as conn:
        found = {
            bound: conn.execute(sa.select(Lead.id).where(Lead.created_at <= bound).order_by(Lead.id))
            .scalars()
            .all()
            for bound in DATETIME_BOUNDS
        }
    assert found == DATETIME_BOUNDS


def test_numeric_amounts_keep_cents(engine):
    _reference_rows(engine)
    purchases = pd.DataFrame(
        {
            "id": [1, 2],
            "customer_id": [1, 1],
            "store_id": [1, 1],
            "lead_id": pd.array([pd.NA, pd.NA], dtype="Int64"),
            "kind": ["new_car", "maintenance"],
            "at": pd.to_datetime(["2026-01-05", "2026-03-01"]),
            "amount": [128000.0, 455.5],
            "gross_profit": [7040.25, 204.98],
            "model": ["域虎7", None],
        }
    )
    write_frames(engine, [("purchases", purchases)])
    with engine.connect() as conn:
        rows = [
            tuple(r)
            for r in conn.execute(
                sa.text("SELECT at, amount, gross_profit, lead_id FROM purchases ORDER BY id")
            )
        ]
    norm = [(str(at)[:10], Decimal(str(a)), Decimal(str(g)), lead) for at, a, g, lead in rows]
    assert norm == [
        ("2026-01-05", Decimal("128000.00"), Decimal("7040.25"), None),
        ("2026-03-01", Decimal("455.50"), Decimal("204.98"), None),
    ]


def audit_rows(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "at": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(n), "s"),
            "actor": "demo",
            "action": np.where(np.arange(n) % 2 == 0, "scheme.publish", "tier.override"),
        }
    )


AUDIT_INDEXES = {"ix_audit_log_action", "ix_audit_log_at"}
BIG = 50_001  # above the size at which SQLite drops and rebuilds a table's indexes


def index_names(engine, table: str) -> set[str]:
    return {ix["name"] for ix in sa.inspect(engine).get_indexes(table)}


def test_large_sqlite_write_rebuilds_indexes(sqlite_url):
    engine = open_database(sqlite_url)
    try:
        assert write_frames(engine, [("audit_log", audit_rows(BIG))]) == {"audit_log": BIG}
        assert index_names(engine, "audit_log") == AUDIT_INDEXES
        with engine.connect() as conn:
            assert (
                conn.execute(
                    sa.text("SELECT COUNT(*) FROM audit_log WHERE action = 'tier.override'")
                ).scalar()
                == BIG // 2
            )
    finally:
        engine.dispose()


def test_large_sqlite_write_failing_later_keeps_indexes(sqlite_url):
    engine = open_database(sqlite_url)
    try:
        with pytest.raises(INTEGRITY_ERRORS):
            write_frames(engine, [("audit_log", audit_rows(BIG)), ("regions", REGIONS.assign(id=[1, 1]))])
        assert counts(engine, "audit_log", "regions") == {"audit_log": 0, "regions": 0}
        # the dropped indexes come back with the rollback
        assert index_names(engine, "audit_log") == AUDIT_INDEXES
    finally:
        engine.dispose()


def test_trusted_write_is_still_all_or_nothing_and_restores_checks(engine):
    with pytest.raises(INTEGRITY_ERRORS):
        write_frames(
            engine, [("regions", REGIONS), ("stores", FAILURES["duplicate-primary-key"])], trusted=True
        )
    assert counts(engine, "regions", "stores") == {"regions": 0, "stores": 0}
    assert write_frames(engine, [("regions", REGIONS), ("stores", stores())], trusted=True) == {
        "regions": 2,
        "stores": 3,
    }
    # foreign keys are enforced again afterwards, on every backend
    with pytest.raises(INTEGRITY_ERRORS):
        write_frames(engine, [("stores", stores(id=[4, 5, 6], code=["A", "B", "C"], region_id=[1, 2, 99]))])
    assert counts(engine, "stores") == {"stores": 3}
