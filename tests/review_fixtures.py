"""A small hand-made dealer for the review tests: every row written here, so every expectation is exact."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.scoring.scheme import preset
from core.storage.models import (
    Advisor,
    Channel,
    Customer,
    FollowUp,
    Lead,
    Region,
    ScoringScheme,
    Store,
    TierAssignment,
)

T0 = dt.datetime(2026, 6, 1, 6, 0)  # first publish
T1 = dt.datetime(2026, 6, 8, 6, 0)  # rescore a week later
MEETING = dt.datetime(2026, 6, 8, 10, 0)  # Monday's meeting

# customer → (tier at T0, tier at T1); None = no tier then
TIERS = {
    1: ("高价值", "高价值"),  # unchanged
    2: ("普通", "高价值"),  # up
    3: ("普通", "流失风险"),  # down
    4: ("流失风险", None),  # left the population: not listed
    5: (None, "普通"),  # new: — → 普通
    6: ("普通", "普通"),  # unchanged
}
CHANGED = [2, 3, 5]
ADVISOR_OF = {1: 1, 2: 1, 3: 2, 4: 2, 5: 3, 6: 3}


def build(engine: Engine) -> None:
    """Reference rows, six customers, a published owners scheme and assignments at T0 and T1."""
    with engine.begin() as conn:
        conn.execute(sa.insert(Region), [{"id": 1, "code": "hc", "name": "惠城区", "name_en": "Huicheng"}])
        conn.execute(
            sa.insert(Store),
            [
                {
                    "id": 1,
                    "code": "s1",
                    "name": "惠城店",
                    "name_en": "Huicheng",
                    "region_id": 1,
                    "brand": "X",
                },
                {"id": 2, "code": "s2", "name": "博罗店", "name_en": "Boluo", "region_id": 1, "brand": "X"},
            ],
        )
        conn.execute(
            sa.insert(Advisor),
            [
                {
                    "id": 1,
                    "store_id": 1,
                    "name": "王五",
                    "level": "senior",
                    "capacity_per_week": 50,
                    "active": True,
                },
                {
                    "id": 2,
                    "store_id": 1,
                    "name": "李四",
                    "level": "junior",
                    "capacity_per_week": 40,
                    "active": True,
                },
                {
                    "id": 3,
                    "store_id": 2,
                    "name": "张三",
                    "level": "expert",
                    "capacity_per_week": 60,
                    "active": True,
                },
            ],
        )
        conn.execute(
            sa.insert(Channel),
            [
                {
                    "id": 1,
                    "code": "web",
                    "name": "官网留资",
                    "name_en": "Website",
                    "cost_model": "none",
                    "online": True,
                }
            ],
        )
        conn.execute(
            sa.insert(Customer),
            [
                {
                    "id": c,
                    "kind": "person",
                    "name": f"客户{c}号",
                    "phone": f"1380000000{c}",
                    "region_id": 1,
                    "store_id": 1 if ADVISOR_OF[c] < 3 else 2,
                    "advisor_id": ADVISOR_OF[c],
                    "is_owner": True,
                    "created_at": dt.datetime(2025, 1, c),
                }
                for c in TIERS
            ],  # fmt: skip
        )
        conn.execute(
            sa.insert(ScoringScheme),
            [
                {
                    "id": 1,
                    "population": "owners",
                    "version": 1,
                    "name": "价值分层",
                    "status": "published",
                    "params": preset("value_3"),
                    "created_by": "t",
                    "created_at": T0,
                    "published_by": "t",
                    "published_at": T0,
                }
            ],  # fmt: skip
        )
        rows = []
        for c, (old, new) in TIERS.items():
            if old:
                rows.append(
                    {"customer_id": c, "scheme_id": 1, "tier": old, "score": 50.0, "rule": None,
                     "effective_from": T0, "effective_to": T1}
                )  # fmt: skip
            if new:
                rows.append(
                    {"customer_id": c, "scheme_id": 1, "tier": new, "score": 60.0,
                     "rule": "asked_competitor" if c == 3 else None, "effective_from": T1, "effective_to": None}
                )  # fmt: skip
        conn.execute(sa.insert(TierAssignment), rows)


AT = dt.datetime(2026, 6, 30, 0, 0)  # follow-up figures at midnight starting 2026-06-30
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)

# lead → (advisor, store, grade, status, created, first contact, follow-ups, delivered, defeated)
LEADS = {
    101: (1, 1, "H", "open", AT - 10 * D, AT - 10 * D + H, [AT - 2 * D], None, None),  # H, 2 days: on time
    102: (1, 1, "H", "open", AT - 10 * D, AT - 10 * D + H, [AT - 4 * D], None, None),  # H, 4 days: overdue
    103: (
        1,
        1,
        "A",
        "open",
        AT - 20 * D,
        AT - 20 * D + H,
        [AT - 3 * D],
        None,
        None,
    ),  # A 3 days: on time, >48h
    104: (2, 1, "B", "open", AT - 40 * D, AT - 40 * D + H, [AT - 16 * D], None, None),  # B 16 days: overdue
    105: (2, 1, "C", "open", AT - 40 * D, AT - 40 * D + H, [], None, None),  # C, first contact 40d: overdue
    106: (
        3,
        2,
        "A",
        "open",
        AT - 3 * H,
        None,
        [],
        None,
        None,
    ),  # new, not contacted for 3 h: overdue + 2h flag
    107: (3, 2, "O", "open", AT - 30 * D, AT - 30 * D + H, [AT - 6 * D], None, None),  # O 6 days: on time
    108: (3, 2, "A", "defeated", AT - 30 * D, AT - 30 * D + H, [AT - 25 * D], None, AT - 20 * D),  # closed
    109: (3, 2, "M", "won", AT - 60 * D, AT - 60 * D + H, [AT - 5 * D + H], AT - 5 * D, None),  # delivered
    110: (2, 1, "A", "open", AT - 2 * D, AT - 2 * D + 3 * H, [AT - 1 * D], None, None),  # new, 3h late: flag
}
# expectations at AT (current = False, rebuilt from the history)
UNDER_CADENCE = [101, 102, 103, 104, 105, 106, 107, 110]
OVERDUE = [102, 104, 105, 106]
POOL = {"uncontacted_2h": [106, 110], "a_48h": [103]}


def build_leads(engine: Engine) -> None:
    """The leads and follow-ups of ``LEADS`` on top of ``build``'s customers (customer = advisor's first)."""
    with engine.begin() as conn:
        fu_id = 1
        for lead_id, (adv, store, grade, status, created, first, fus, delivered, defeated) in LEADS.items():
            last = max([*fus, *([first] if first else [])], default=None)
            conn.execute(
                sa.insert(Lead),
                {"id": lead_id, "customer_id": {1: 1, 2: 3, 3: 5}[adv], "store_id": store, "advisor_id": adv,
                 "channel_id": 1, "grade": grade, "status": status, "stage_reached": 1, "created_at": created,
                 "first_contact_at": first, "delivery_at": delivered, "defeated_at": defeated,
                 "last_contact_at": last, "asked_competitor": False},
            )  # fmt: skip
            for at in fus:
                conn.execute(
                    sa.insert(FollowUp),
                    {"id": fu_id, "customer_id": {1: 1, 2: 3, 3: 5}[adv], "lead_id": lead_id, "advisor_id": adv,
                     "at": at, "kind": "call", "outcome": "reached", "responded": True},
                )  # fmt: skip
                fu_id += 1


def publish_second_version(engine: Engine, *, at: dt.datetime = dt.datetime(2026, 7, 1, 9)) -> dict:
    """On a demo database: publish owners version 2 (amount 10%, purchases 60%, repurchase 30%) at ``at``, so
    the first meeting has tier changes to review. Returns the spec."""
    import copy

    from core.scoring import publishing
    from core.scoring.feature_inputs import load_feature_inputs
    from core.scoring.features import compute_features
    from core.scoring.scheme import Scorer

    spec = copy.deepcopy(preset("value_3"))
    spec["dimensions"]["amount_12m"]["weight"] = 10
    spec["dimensions"]["purchases_12m"]["weight"] = 60
    with engine.connect() as conn:
        features = compute_features(
            load_feature_inputs(conn=conn), population="owners", as_of=dt.date(2026, 6, 30)
        )
    scored = Scorer(spec).fit(features).score()
    v2 = publishing.save_draft(engine, spec, name="次数优先", actor="分析师")
    publishing.write_assignments(
        engine, v2.id, publishing.assignments_frame(scored, spec), actor="分析师", at=at
    )
    return spec
