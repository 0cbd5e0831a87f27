"""The channel ROI and tiers-by-region pages on databases imported from real data sets, their figures checked
against pandas on the source CSVs: Maven's CRM pipeline (leads and won deals per month) and the car sales
report (owners per region, a year apart, after two tier publishes)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from conftest import import_real, real_file
from streamlit.testing.v1 import AppTest
from tier_history import publish_second_version

from core.storage.db import open_database
from dashboard.i18n import t
from tests.signin import sign_in

APP = str(Path(__file__).resolve().parents[3] / "dashboard" / "app.py")


@pytest.fixture(autouse=True)
def _no_env_url(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)


def page(url: str, file: str, start: dt.date, end: dt.date) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.secrets["database_url"] = url
    at.session_state["lang"] = "zh"
    sign_in(at, url, "manager").run()
    at.switch_page(file).run()
    at.sidebar.date_input(key="f_period").set_value((start, end)).run()
    assert not at.exception, at.exception
    return at


def frame_with(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first table on the page that has all these columns."""
    for df in at.dataframe:
        value = df.value
        value = value.data if hasattr(value, "data") else value  # a Styler
        if all(c in value.columns for c in columns):
            return value
    raise AssertionError(f"no table with {columns}")


# ---- channel ROI on Maven's pipeline --------------------------------------------------------------------------


def test_channel_roi_on_the_imported_maven_pipeline(real_db):
    """Maven has one channel (the mapping's "Direct sales"): its leads per month are the opportunities engaged in
    that month, its deals the Won ones closed in it; no spend (a free channel) and no revenue (no purchases)."""
    start, end = dt.date(2017, 1, 1), dt.date(2017, 12, 31)
    at = page(real_db.url, "../pages/channels.py", start, end)
    got = frame_with(at, t("roi.col.month"), t("roi.col.leads"), t("roi.col.deals"))
    got = got.set_index(t("roi.col.month"))
    p = real_db.pipeline
    # Prospecting deals have no date: the mapping dates them 2017-12-31
    created = pd.to_datetime(p["engage_date"]).fillna(pd.Timestamp("2017-12-31")).dt.strftime("%Y-%m")
    closed = pd.to_datetime(p["close_date"]).dt.strftime("%Y-%m")
    leads = created.value_counts()
    deals = closed[p["deal_stage"] == "Won"].value_counts()
    months = [f"2017-{m:02d}" for m in range(1, 13)]
    assert got.index.tolist() == months
    assert got[t("roi.col.leads")].tolist() == [int(leads.get(m, 0)) for m in months]
    assert got[t("roi.col.deals")].tolist() == [int(deals.get(m, 0)) for m in months]
    assert got[t("roi.col.leads")].sum() > 1000 and got[t("roi.col.deals")].sum() > 1000
    assert set(got[t("roi.col.channel")]) == {"Direct sales"}
    assert set(got[t("roi.col.spend_status")]) == {t("roi.status.none")}
    assert (got[t("roi.col.revenue")] == 0).all()


# ---- tiers by region on the car sales report ------------------------------------------------------------------


@pytest.fixture(scope="module")
def car_db(tmp_path_factory):
    """The car sales report imported (customers by phone, every row a new-car sale), then the owners tiered at
    the end of 2022 (version 1) and of 2023 (version 2), each on the data as of that day."""
    path = tmp_path_factory.mktemp("car") / "car.sqlite"
    url = f"sqlite:///{path}"
    engine = open_database(url)
    import_real(engine, "customers", "car-sales-report/car_data.csv", "car-sales.customers.json")
    import_real(engine, "purchases", "car-sales-report/car_data.csv", "car-sales.purchases.json")
    for at in (dt.datetime(2022, 12, 31, 6, 0), dt.datetime(2023, 12, 31, 6, 0)):
        publish_second_version(engine, at=at, preset_name="value_3")
    yield url
    engine.dispose()


def test_tiers_by_region_on_the_imported_car_sales(car_db):
    """Owners per region at the end of 2023 and a year before, from the CSV: a customer is a phone, its region
    the Dealer_Region of its first row (the import's rule), an owner from its first sale's day on."""
    at = page(car_db, "../pages/regions.py", dt.date(2023, 12, 1), dt.date(2023, 12, 31))
    yoy = frame_with(
        at, t("regions.col.region"), t("regions.col.customers_before"), t("regions.col.customers")
    )
    got = yoy.groupby(t("regions.col.region"))[
        [t("regions.col.customers_before"), t("regions.col.customers")]
    ]
    got = got.sum()
    src = pd.read_csv(real_file("car-sales-report/car_data.csv"))
    src["Date"] = pd.to_datetime(src["Date"], format="%m/%d/%Y")
    region = src.drop_duplicates("Phone", keep="first").set_index("Phone")["Dealer_Region"]
    first_sale = src.groupby("Phone")["Date"].min()
    people = pd.DataFrame({"region": region, "first_sale": first_sale})
    now = people.groupby("region").size()
    before = people[people["first_sale"] <= pd.Timestamp("2022-12-31")].groupby("region").size()
    assert got[t("regions.col.customers")].to_dict() == now.to_dict()
    assert got[t("regions.col.customers_before")].to_dict() == before.to_dict()
    assert now.sum() > 20_000 and 0 < before.sum() < now.sum()
    # the migration by dates defaults to the same two days: everyone tiered a year before is counted
    caption = next(c.value for c in at.caption if "→" in c.value)
    assert f"{int(now.sum()):,} 位客户" in caption
