"""Finding a customer for the 360 (core.workflow.customer360.search): by name, phone or its last four digits, customer
number and external id; masked for roles without personal data; an advisor finds only their own customers."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from core.storage.models import Advisor, Customer, Region, Store
from core.workflow.customer360 import search

CUSTOMERS = [
    # id, name, phone, external id, advisor
    (1, "王小明", "13812345678", "C-001", 1),
    (2, "李娜", "13900005678", None, 2),
    (3, "王芳", "13700001111", "C-003", 1),
    (4, "惠州市鑫达实业有限公司", "07522345678", "5678", 2),
    (5, "100%_测试", None, None, 1),
]


@pytest.fixture
def shop(engine):
    with engine.begin() as conn:
        conn.execute(sa.insert(Region), [{"id": 1, "code": "hc", "name": "惠城区", "name_en": "Huicheng"}])
        conn.execute(
            sa.insert(Store),
            [{"id": 1, "code": "s1", "name": "惠城店", "name_en": "Huicheng", "region_id": 1, "brand": "X"}],
        )
        conn.execute(
            sa.insert(Advisor),
            [
                {
                    "id": a,
                    "store_id": 1,
                    "name": n,
                    "level": "senior",
                    "capacity_per_week": 50,
                    "active": True,
                }
                for a, n in ((1, "王五"), (2, "李四"))
            ],
        )
        conn.execute(
            sa.insert(Customer),
            [
                {"id": i, "kind": "person", "name": n, "phone": p, "external_id": e, "region_id": 1,
                 "store_id": 1, "advisor_id": a, "is_owner": False, "created_at": dt.datetime(2026, 1, 1)}
                for i, n, p, e, a in CUSTOMERS
            ],
        )  # fmt: skip
    return engine


@pytest.mark.parametrize(
    ("query", "ids", "matched"),
    [
        ("5678", [4, 1, 2], ["external_id", "phone_last4", "phone_last4"]),  # exact external id first
        ("13812345678", [1], ["phone"]),
        ("+86 138-1234-5678", [1], ["phone"]),
        ("1234", [], []),  # last four only, not any four digits
        ("3", [3], ["id"]),
        ("C-003", [3], ["external_id"]),
        ("王", [1, 3], ["name", "name"]),
        ("小明", [1], ["name"]),
        ("鑫达", [4], ["name"]),
        ("%", [5], ["name"]),  # LIKE's wildcards are plain characters
        ("_", [5], ["name"]),
        ("  ", [], []),
        ("nobody", [], []),
    ],
)
def test_search_finds_by_each_way(shop, query, ids, matched):
    with shop.connect() as conn:
        found, more = search(conn=conn, query=query, show_pii=True)
    assert found["customer_id"].tolist() == ids
    assert found["matched"].tolist() == matched
    assert more is False


def test_search_masks_without_personal_data_and_keeps_to_the_advisors_own(shop):
    with shop.connect() as conn:
        masked, _ = search(conn=conn, query="5678")
        own, _ = search(conn=conn, query="5678", own_only=True, advisor_id=1)
        nobody, _ = search(conn=conn, query="王", own_only=True, advisor_id=None)
        other, _ = search(conn=conn, query="李娜", own_only=True, advisor_id=1)
    assert masked["name"].tolist() == ["惠州*********", "王**", "李*"]
    assert masked["phone"].tolist() == ["075****5678", "138****5678", "139****5678"]
    assert own["customer_id"].tolist() == [1]
    assert nobody.empty and other.empty


def test_search_is_bounded_and_says_when_more_matched(shop):
    with shop.connect() as conn:
        found, more = search(conn=conn, query="王", limit=1, show_pii=True)
    assert found["customer_id"].tolist() == [1] and more is True
