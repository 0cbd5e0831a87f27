"""The demo generator: deterministic, realistic in the ways DOMAIN.md describes, and safe to run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
import sqlalchemy as sa

from core.demo.generator import TABLE_ORDER, build_frames, generate
from core.storage.bulk import NotEmptyError
from core.storage.models import (
    DEFEAT_REASONS,
    FUNNEL_STAGES,
    LEAD_GRADES,
    LEAD_STATUSES,
    PRICE_SUB_REASONS,
    Base,
    Customer,
    Lead,
    Meta,
    Purchase,
    Region,
)

AS_OF = dt.date(2026, 6, 30)
END_OF_AS_OF = pd.Timestamp("2026-07-01")  # nothing happens after as_of
STAGE_AT = [f"{s}_at" for s in FUNNEL_STAGES[1:]]  # first_contact_at … delivery_at; "lead" is created_at

HUIZHOU_REGIONS = {"惠城区", "博罗县", "惠阳区", "大亚湾区", "惠东县", "龙门县"}
CHANNELS = {
    "汽车之家",
    "懂车帝",
    "易车",
    "抖音",
    "微信小程序",
    "官网留资",
    "到店自然客流",
    "老客户转介绍",
    "车展/活动",
}
SERVICE_KINDS = ["maintenance", "repair", "insurance"]


@pytest.fixture(scope="module")
def frames():
    return build_frames(1000, seed=11, as_of=AS_OF)


@pytest.fixture(scope="module", params=[1, 42])
def big_frames(request):
    return build_frames(5000, seed=request.param, as_of=AS_OF)


def table_counts(engine, names) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.execute(
                sa.select(sa.func.count()).select_from(Base.metadata.tables[name])
            ).scalar_one()
            for name in names
        }


# ---- writing into each backend ------------------------------------------------------------------------


def test_generate_writes_every_table_with_the_counts_it_reports(engine):
    summary = generate(engine, customers=150, seed=7, as_of=AS_OF)
    expected = {name: len(frame) for name, frame in build_frames(150, seed=7, as_of=AS_OF).items()}
    assert list(summary.rows) == [*TABLE_ORDER, "tier_assignments"]
    assert {t: summary.rows[t] for t in TABLE_ORDER} == expected
    assert table_counts(engine, summary.rows) == summary.rows
    assert all(summary.rows[t] > 0 for t in summary.rows)
    assert summary.rows["customers"] == 150
    assert (summary.as_of, summary.seed) == (AS_OF, 7)
    # owners: version 1 saved and published (two audit entries), rescored twice (one each), version 2 saved,
    # published (two) and rescored (one); leads: one version saved and published (two); one demo account per
    # role (one each). Every owner of each scoring day is tiered then (tests/unit/demo/test_demo_history.py has the
    # schedule), and every customer with an open lead once
    assert table_counts(engine, ["scoring_schemes", "audit_log", "tier_overrides", "users"]) == {
        "scoring_schemes": 3,
        "audit_log": 13,
        "tier_overrides": 0,
        "users": 4,
    }
    days = [dt.date(2024, 12, 30), dt.date(2025, 6, 30), dt.date(2025, 12, 30), dt.date(2026, 6, 23), AS_OF]
    with engine.connect() as conn:
        owners = conn.execute(sa.select(sa.func.count()).where(Customer.is_owner)).scalar_one()
        owners_then = [
            conn.execute(
                sa.text(
                    "SELECT COUNT(DISTINCT customer_id) FROM purchases WHERE kind = 'new_car' AND at <= :d"
                ),
                {"d": d},
            ).scalar_one()
            for d in days
        ]
        open_lead_customers = conn.execute(
            sa.text("SELECT COUNT(DISTINCT customer_id) FROM leads WHERE status = 'open'")
        ).scalar_one()
        meta = dict(conn.execute(sa.select(Meta.key, Meta.value)).all())
    assert owners_then[-1] == owners and 0 < owners_then[0] < owners
    assert summary.rows["tier_assignments"] == sum(owners_then) + open_lead_customers
    assert meta == {"demo": "true", "demo_seed": "7", "demo_as_of": "2026-06-30", "demo_customers": "150"}


def test_generate_round_trips_values(engine):
    generate(engine, customers=150, seed=5, as_of=AS_OF, with_tiers=False)
    f = build_frames(150, seed=5, as_of=AS_OF)
    with engine.connect() as conn:
        customers = conn.execute(
            sa.select(
                Customer.id,
                Customer.name,
                Customer.phone,
                Customer.birth_date,
                Customer.referred_by_id,
                Customer.first_channel_id,
                Customer.is_owner,
            ).order_by(Customer.id)
        ).all()
        leads = conn.execute(
            sa.select(Lead.id, Lead.created_at, Lead.delivery_at, Lead.defeated_at).order_by(Lead.id)
        ).all()
        purchases = conn.execute(
            sa.select(Purchase.id, Purchase.at, Purchase.amount, Purchase.lead_id).order_by(Purchase.id)
        ).all()

    def when(value):
        return None if pd.isna(value) else value.to_pydatetime()

    c = f["customers"]
    assert [tuple(r) for r in customers] == [
        (
            int(r.id),
            r.name,
            r.phone,
            None if pd.isna(r.birth_date) else r.birth_date.date(),
            None if pd.isna(r.referred_by_id) else int(r.referred_by_id),
            None if pd.isna(r.first_channel_id) else int(r.first_channel_id),
            bool(r.is_owner),
        )
        for r in c.itertuples()
    ]
    lf = f["leads"]
    assert [tuple(r) for r in leads] == [
        (int(r.id), when(r.created_at), when(r.delivery_at), when(r.defeated_at)) for r in lf.itertuples()
    ]
    p = f["purchases"]
    assert [(r[0], r[1], Decimal(r[2]), r[3]) for r in purchases] == [
        (int(r.id), r.at.date(), Decimal(f"{r.amount:.2f}"), None if pd.isna(r.lead_id) else int(r.lead_id))
        for r in p.itertuples()
    ]


def test_generate_refuses_a_database_that_holds_customers(engine):
    first = generate(engine, customers=150, seed=7, as_of=AS_OF)
    all_tables = list(Base.metadata.tables)
    before = table_counts(engine, all_tables)
    with engine.connect() as conn:
        meta_before = dict(conn.execute(sa.select(Meta.key, Meta.value)).all())
    with pytest.raises(NotEmptyError, match="customers"):
        generate(engine, customers=150, seed=8, as_of=AS_OF)
    assert table_counts(engine, all_tables) == before
    assert before["customers"] == first.rows["customers"]
    with engine.connect() as conn:
        assert dict(conn.execute(sa.select(Meta.key, Meta.value)).all()) == meta_before


def test_ids_keep_working_after_bulk_insert(engine):
    summary = generate(engine, customers=150, seed=7, as_of=AS_OF, with_tiers=False)
    with engine.begin() as conn:
        region_id = conn.execute(
            sa.insert(Region).returning(Region.id),
            {"code": "huizhou_new", "name": "新区", "name_en": "New district"},
        ).scalar_one()
        customer_id = conn.execute(
            sa.insert(Customer).returning(Customer.id),
            {"kind": "person", "name": "测试", "created_at": dt.datetime(2026, 6, 30, 9, 0)},
        ).scalar_one()
    assert (region_id, customer_id) == (summary.rows["regions"] + 1, summary.rows["customers"] + 1)


# ---- determinism ------------------------------------------------------------------------------------------


def test_same_seed_same_frames(frames):
    again = build_frames(1000, seed=11, as_of=AS_OF)
    assert list(again) == list(frames)
    for name in frames:
        pdt.assert_frame_equal(again[name], frames[name], check_exact=True, obj=name)


@pytest.mark.parametrize(
    ("seed", "as_of"),
    [(12, AS_OF), (11, dt.date(2026, 5, 31))],
    ids=["other-seed", "other-as-of"],
)
def test_other_seed_or_date_gives_other_frames(frames, seed, as_of):
    other = build_frames(1000, seed=seed, as_of=as_of)
    for name in ("customers", "leads", "follow_ups", "purchases"):
        assert not other[name].equals(frames[name]), name
    # reference tables do not depend on the seed
    for name in ("regions", "stores", "channels"):
        pdt.assert_frame_equal(other[name], frames[name], obj=name)


@pytest.mark.parametrize("customers", [1, 2, 37])
def test_tiny_sizes_work(customers):
    f = build_frames(customers, seed=3, as_of=AS_OF)
    assert len(f["customers"]) == customers
    assert f["customers"]["id"].tolist() == list(range(1, customers + 1))


def test_customers_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        build_frames(0, seed=1, as_of=AS_OF)


# ---- shape of the data -----------------------------------------------------------------------------------


def test_history_spans_at_least_30_months(frames):
    created = frames["leads"]["created_at"]
    months = set(created.dt.to_period("M"))
    assert len(months) >= 30
    first = created.min()
    assert (AS_OF.year - first.year) * 12 + AS_OF.month - first.month >= 30
    assert created.max() < END_OF_AS_OF
    for name, col in [
        ("follow_ups", "at"),
        ("purchases", "at"),
        ("defeats", "at"),
        ("satisfaction", "at"),
        ("event_attendances", "at"),
        ("customers", "created_at"),
    ]:
        assert pd.to_datetime(frames[name][col]).max() < END_OF_AS_OF, name
    assert len(frames["channel_spend"]["month"].unique()) >= 30


def test_six_huizhou_regions_all_populated(frames):
    regions = frames["regions"]
    assert len(regions) == 6
    assert set(regions["name"]) == HUIZHOU_REGIONS
    assert set(frames["customers"]["region_id"]) == set(regions["id"])


def test_two_to_four_stores_each_with_customers_and_advisors(frames):
    stores = frames["stores"]
    assert 2 <= len(stores) <= 4
    assert set(stores["region_id"]) <= set(frames["regions"]["id"])
    assert set(frames["customers"]["store_id"]) == set(stores["id"])
    assert set(frames["advisors"]["store_id"]) == set(stores["id"])


def test_all_nine_channels_with_leads_and_spend(frames):
    channels = frames["channels"]
    assert len(channels) == 9
    assert set(channels["name"]) == CHANNELS
    assert set(frames["leads"]["channel_id"]) == set(channels["id"])
    # every channel that costs money reports spend; walk-ins cost nothing
    paid = channels.loc[channels["cost_model"] != "none", "id"]
    assert set(frames["channel_spend"]["channel_id"]) == set(paid)
    assert channels.loc[channels["cost_model"] == "none", "name"].tolist() == ["到店自然客流"]


def test_vocabularies(frames):
    leads = frames["leads"]
    assert set(leads["grade"]) <= set(LEAD_GRADES)
    assert set(leads["status"]) == set(LEAD_STATUSES)
    d = frames["defeats"]
    assert set(d["reason"]) == set(DEFEAT_REASONS)
    assert set(d.loc[d["reason"] == "price", "sub_reason"]) <= set(PRICE_SUB_REASONS)
    assert d.loc[d["reason"] != "price", "sub_reason"].isna().all()


def test_funnel_stages_are_monotone_per_lead(frames):
    leads = frames["leads"]
    times = leads[["created_at", *STAGE_AT]]
    stage = leads["stage_reached"].to_numpy()
    reached = times[STAGE_AT].notna().to_numpy()
    # the stages reached are exactly the first stage_reached ones, with no gap
    expected = np.arange(len(STAGE_AT))[None, :] < stage[:, None]
    np.testing.assert_array_equal(reached, expected)
    assert stage.min() >= 0 and stage.max() == len(FUNNEL_STAGES) - 1
    # each stage is reached no earlier than the one before it
    for prev, col in zip(["created_at", *STAGE_AT[:-1]], STAGE_AT, strict=True):
        both = leads[col].notna()
        assert (leads.loc[both, col] >= leads.loc[both, prev]).all(), col


def test_status_agrees_with_stages_and_defeats(frames):
    leads, defeats = frames["leads"], frames["defeats"]
    won = leads["status"] == "won"
    pdt.assert_series_equal(won, leads["stage_reached"] == 7, check_names=False)
    pdt.assert_series_equal(won, leads["delivery_at"].notna(), check_names=False)
    defeated = leads["status"] == "defeated"
    pdt.assert_series_equal(defeated, leads["defeated_at"].notna(), check_names=False)
    # a lead is defeated after the last stage it reached
    last = leads[["created_at", *STAGE_AT]].max(axis=1)
    assert (leads.loc[defeated, "defeated_at"] >= last[defeated]).all()
    # one defeat row per defeated lead, lost at the stage the lead reached
    d = defeats.merge(leads, left_on="lead_id", right_on="id", suffixes=("", "_lead"))
    assert len(defeats) == int(defeated.sum()) == len(d)
    assert defeats["lead_id"].is_unique
    assert (d["stage_lost"] == d["stage_reached"]).all()
    assert (d["at"] == d["defeated_at"]).all()
    assert (d["customer_id"] == d["customer_id_lead"]).all()
    # grades: O when ordered, D or M after delivery
    assert set(leads.loc[leads["stage_reached"] == 6, "grade"]) <= {"O"}
    assert set(leads.loc[won, "grade"]) == {"D", "M"}


def test_foreign_keys_resolve_in_the_frames(frames):
    # SQLite writes the demo without per-row foreign-key checks (write_frames(trusted=True)): this is the check
    checked = 0
    for name in TABLE_ORDER:
        for fk in Base.metadata.tables[name].foreign_keys:
            values = frames[name][fk.parent.name].dropna()
            targets = set(frames[fk.column.table.name][fk.column.name])
            missing = set(values) - targets
            assert not missing, f"{name}.{fk.parent.name}: {sorted(missing)[:5]}"
            checked += 1
    assert checked == 24


def test_demo_database_passes_sqlite_foreign_key_check(demo_db):
    with demo_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # back on after the bulk write


def test_price_is_the_most_common_defeat_reason(frames):
    counts = frames["defeats"]["reason"].value_counts()
    assert counts.index[0] == "price"
    assert counts["price"] > counts.drop("price").max()


def test_owners_buy_services(frames):
    customers, purchases = frames["customers"], frames["purchases"]
    owners = set(customers.loc[customers["is_owner"], "id"])
    service_buyers = set(purchases.loc[purchases["kind"].isin(SERVICE_KINDS), "customer_id"])
    assert len(service_buyers) >= 0.3 * len(owners)
    # only owners buy services, and every owner bought a car
    assert service_buyers <= owners
    assert set(purchases.loc[purchases["kind"] == "new_car", "customer_id"]) == owners
    # a delivered lead is a new-car purchase on the delivery date
    won = frames["leads"][frames["leads"]["status"] == "won"]
    cars = purchases[purchases["lead_id"].notna() & (purchases["kind"] == "new_car")]
    assert sorted(cars["lead_id"].astype(int)) == sorted(won["id"])


# ---- outcomes follow behaviour ------------------------------------------------------------------------------


def test_responsive_customers_convert_more(big_frames):
    leads, fu = big_frames["leads"], big_frames["follow_ups"]
    share = leads["customer_id"].map(fu.groupby("customer_id")["responded"].mean())
    delivered = leads["stage_reached"] == FUNNEL_STAGES.index("delivery")
    responsive, unresponsive = delivered[share > 0.5], delivered[share < 0.5]
    assert min(len(responsive), len(unresponsive)) >= 1000
    assert responsive.mean() >= 2 * unresponsive.mean()
    assert responsive.mean() - unresponsive.mean() >= 0.1


def test_fast_first_contact_converts_more(big_frames):
    leads, channels = big_frames["leads"], big_frames["channels"]
    walk_in = channels.loc[channels["code"] == "walk_in", "id"].item()
    leads = leads[leads["channel_id"] != walk_in]  # walk-ins are "contacted" at once
    minutes = (leads["first_contact_at"] - leads["created_at"]).dt.total_seconds() / 60
    delivered = leads["stage_reached"] == FUNNEL_STAGES.index("delivery")
    fast, slow = delivered[minutes <= 5], delivered[minutes > 120]
    assert min(len(fast), len(slow)) >= 150
    assert fast.mean() >= 1.4 * slow.mean()
    assert fast.mean() - slow.mean() >= 0.05


def test_the_demo_staff_account_has_customers_on_the_first_meeting(demo_copy):
    """The staff account stands for an advisor whose customers the first weekly meeting lists."""
    from core.storage.db import open_database
    from core.storage.models import User
    from core.workflow import review

    engine = open_database(demo_copy)  # the demo as generated (300 customers, seed 7, as of 2026-06-30)
    try:
        with engine.connect() as conn:
            mine = conn.execute(sa.select(User.advisor_id).where(User.name == "staff")).scalar_one()
        mid = review.open_meeting(engine, population="owners", week=dt.date.today(), actor="manager")
        with engine.connect() as conn:
            listed = review.items(conn=conn, meeting_id=mid)
        assert mine is not None and (listed["advisor_id"] == mine).sum() >= 1
    finally:
        engine.dispose()
