"""The real data sets imported with the shipped mappings, every figure checked against an independent pandas
reading of the same CSV; importing a file a second time changes nothing. Maven's CRM pipeline ships in tests/data;
the car sales report and X Education's leads (licences unverified) are read from ../shared/data/real and their
tests skip without it."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import MAPPINGS, MAVEN, import_real, real_file

from core.storage.db import open_database
from core.storage.models import Base


def q(engine, sql: str) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(sa.text(sql), conn)


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }


@pytest.fixture
def sqlite_engine(tmp_path):
    eng = open_database(f"sqlite:///{tmp_path / 'real.sqlite'}")
    yield eng
    eng.dispose()


def test_car_sales_customers_and_purchases(sqlite_engine):
    src = csv = "car-sales-report/car_data.csv"
    src = pd.read_csv(real_file(csv), dtype={"Phone": str})
    cust = import_real(sqlite_engine, "customers", csv, "car-sales.customers.json")
    # one customer per phone (the file has no customer key): rows sharing a phone are merged
    assert cust.inserted == src["Phone"].nunique() == 23_804
    assert cust.merged == len(src) - src["Phone"].nunique()
    first = src.groupby("Phone", sort=False).first()
    by_region = q(
        sqlite_engine,
        "SELECT r.name AS region, COUNT(*) AS n FROM customers c JOIN regions r ON r.id = c.region_id GROUP BY r.name",
    ).set_index("region")["n"]
    assert by_region.sort_index().to_dict() == first["Dealer_Region"].value_counts().sort_index().to_dict()
    genders = q(sqlite_engine, "SELECT gender, COUNT(*) AS n FROM customers GROUP BY gender").set_index(
        "gender"
    )["n"]
    assert genders.to_dict() == first["Gender"].map({"Male": "M", "Female": "F"}).value_counts().to_dict()

    buys = import_real(sqlite_engine, "purchases", csv, "car-sales.purchases.json")
    assert (buys.inserted, buys.customers_created) == (len(src), 0)
    got = q(
        sqlite_engine,
        "SELECT s.name AS store, COUNT(*) AS n, SUM(p.amount) AS amount FROM purchases p "
        "JOIN stores s ON s.id = p.store_id GROUP BY s.name",
    ).set_index("store")
    expected = src.groupby("Dealer_Name")["Price ($)"].agg(["size", "sum"])
    assert got["n"].sort_index().to_dict() == expected["size"].sort_index().to_dict()
    assert (
        got["amount"].sort_index().round(2).to_dict() == expected["sum"].astype(float).sort_index().to_dict()
    )
    extent = q(sqlite_engine, "SELECT MIN(at) AS lo, MAX(at) AS hi FROM purchases").iloc[0]
    dates = pd.to_datetime(src["Date"], format="%m/%d/%Y")
    assert (str(extent["lo"])[:10], str(extent["hi"])[:10]) == (
        dates.min().date().isoformat(),
        dates.max().date().isoformat(),
    )
    assert q(sqlite_engine, "SELECT COUNT(*) AS n FROM customers WHERE is_owner").iloc[0, 0] == 23_804
    # the same files again: nothing changes, not even the audit log
    before = counts(sqlite_engine)
    again = import_real(sqlite_engine, "customers", csv, "car-sales.customers.json")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 23_804)
    again = import_real(sqlite_engine, "purchases", csv, "car-sales.purchases.json")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(src))
    assert counts(sqlite_engine) == before


def test_maven_pipeline(real_db):
    src = real_db.pipeline
    status = q(real_db.engine, "SELECT status, COUNT(*) AS n FROM leads GROUP BY status").set_index("status")[
        "n"
    ]
    expected = src["deal_stage"].map(
        {"Won": "won", "Lost": "defeated", "Engaging": "open", "Prospecting": "open"}
    )
    assert (
        status.to_dict() == expected.value_counts().to_dict() == {"won": 4238, "defeated": 2473, "open": 2089}
    )
    stages = q(real_db.engine, "SELECT stage_reached, COUNT(*) AS n FROM leads GROUP BY stage_reached")
    assert dict(zip(stages["stage_reached"], stages["n"], strict=True)) == {
        0: int((src["deal_stage"] == "Prospecting").sum()),
        1: int(src["deal_stage"].isin(["Engaging", "Lost"]).sum()),
        6: int((src["deal_stage"] == "Won").sum()),
    }
    # accounts are customers; an opportunity without an account became a customer of its own
    n_customers = q(real_db.engine, "SELECT COUNT(*) AS n FROM customers").iloc[0, 0]
    assert n_customers == src["account"].nunique() + src["account"].isna().sum() == 85 + 1425
    per_agent = q(
        real_db.engine,
        "SELECT a.name AS agent, COUNT(*) AS n FROM leads l JOIN advisors a ON a.id = l.advisor_id GROUP BY a.name",
    ).set_index("agent")["n"]
    assert per_agent.sort_index().to_dict() == src["sales_agent"].value_counts().sort_index().to_dict()
    won = src[src["deal_stage"] == "Won"]
    orders = q(
        real_db.engine, "SELECT MIN(order_at) AS lo, MAX(order_at) AS hi, COUNT(order_at) AS n FROM leads"
    )
    assert orders.iloc[0].tolist()[2] == len(won)
    assert str(orders.iloc[0, 0])[:10] == won["close_date"].min()
    models = q(real_db.engine, "SELECT intended_model, COUNT(*) AS n FROM leads GROUP BY intended_model")
    assert (
        dict(zip(models["intended_model"], models["n"], strict=True))
        == src["product"].value_counts().to_dict()
    )


def test_x_education_leads(sqlite_engine):
    csv = "x-education-leads/Leads.csv"
    src = pd.read_csv(real_file(csv)).drop(columns=["Unnamed: 37"])
    cust = import_real(sqlite_engine, "customers", csv, "x-education.customers.json")
    assert cust.inserted == len(src) == 9240
    no_region = q(sqlite_engine, "SELECT COUNT(*) AS n FROM customers WHERE region_id IS NULL").iloc[0, 0]
    assert no_region == int(src["City"].isna().sum() + (src["City"] == "Select").sum())
    leads = import_real(sqlite_engine, "leads", csv, "x-education.leads.json")
    assert (leads.inserted, leads.customers_created) == (9240, 0)
    got = q(
        sqlite_engine,
        "SELECT ch.name AS channel, COUNT(*) AS n, SUM(CASE WHEN l.status = 'won' THEN 1 ELSE 0 END) AS won "
        "FROM leads l JOIN channels ch ON ch.id = l.channel_id GROUP BY ch.name",
    )
    got["key"] = got["channel"].str.casefold()
    source = src["Lead Source"].fillna("Unknown").str.casefold()
    expected = src.groupby(source)["Converted"].agg(["size", "sum"])
    assert got.set_index("key")["n"].sort_index().to_dict() == expected["size"].sort_index().to_dict()
    assert got.set_index("key")["won"].sort_index().to_dict() == expected["sum"].sort_index().to_dict()
    assert int(got["won"].sum()) == int(src["Converted"].sum()) == 3561
    # Google and google are one channel
    assert (got["key"] == "google").sum() == 1


def test_maven_import_is_idempotent(tmp_path):
    eng = open_database(f"sqlite:///{tmp_path / 'm.sqlite'}")
    try:
        import_real(
            eng, "leads", "maven-crm-sales-opportunities/sales_pipeline.csv", "maven-pipeline.leads.json"
        )
        before = counts(eng)
        again = import_real(
            eng, "leads", "maven-crm-sales-opportunities/sales_pipeline.csv", "maven-pipeline.leads.json"
        )
        assert (again.inserted, again.updated, again.customers_created) == (0, 0, 0)
        assert counts(eng) == before
    finally:
        eng.dispose()


def test_maven_pipeline_without_its_opportunity_id_keeps_equal_opportunities(sqlite_engine):
    """The pipeline exported without opportunity_id: 6 of the 7,375 opportunities with an account are equal in
    every exported column to an earlier one. They are distinct deals: all are imported, and once only."""
    import json

    from core.io import importing as imp

    src = pd.read_csv(MAVEN / "sales_pipeline.csv", dtype=str)
    with_account = src[src["account"].notna()]
    exported = ["account", "sales_agent", "product", "deal_stage", "engage_date", "close_date"]
    assert with_account[exported].duplicated().sum() == 6
    spec = json.loads((MAPPINGS / "maven-pipeline.leads.json").read_text(encoding="utf-8"))
    del spec["columns"]["external_id"]
    spec["columns"]["customer_external_id"] = spec["columns"]["customer_name"] = "account"
    mapping = imp.mapping_from_dict(spec, "leads")
    data = with_account.drop(columns=["opportunity_id"]).to_csv(index=False).encode()
    res = imp.import_bytes(sqlite_engine, data, "leads", mapping=mapping)
    assert res.committed and res.error_rows == 0
    assert (res.inserted, res.merged) == (len(with_account), 0)
    per_agent = q(
        sqlite_engine,
        "SELECT a.name AS agent, COUNT(*) AS n FROM leads l JOIN advisors a ON a.id = l.advisor_id GROUP BY a.name",
    ).set_index("agent")["n"]
    assert (
        per_agent.sort_index().to_dict() == with_account["sales_agent"].value_counts().sort_index().to_dict()
    )
    before = counts(sqlite_engine)
    again = imp.import_bytes(sqlite_engine, data, "leads", mapping=mapping)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(with_account))
    assert counts(sqlite_engine) == before


def test_the_shipped_maven_data_set_is_the_one_its_source_describes():
    """tests/data holds Maven's files byte-for-byte: every CSV is listed in its SOURCE.md with that sha256 and
    row count, and nothing else is shipped beside them."""
    import hashlib
    import re

    table = re.findall(
        r"^\| (\S+\.csv) \| ([\d,]+) \| ([0-9a-f]{64}) \|", (MAVEN / "SOURCE.md").read_text(), re.MULTILINE
    )
    assert {name for name, _, _ in table} == {p.name for p in MAVEN.glob("*.csv")} and len(table) == 5
    assert {p.name for p in MAVEN.iterdir()} == {name for name, _, _ in table} | {"SOURCE.md"}
    for name, rows, sha256 in table:
        data = (MAVEN / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha256, name
        assert data.count(b"\n") - 1 == int(rows.replace(",", "")), name
