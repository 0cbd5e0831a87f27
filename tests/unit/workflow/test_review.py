"""The weekly review's core: the agenda of tier changes, decisions with optimistic locking, overrides that
survive rescoring, defeat approvals, audit entries and the Excel export (opened with openpyxl)."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import openpyxl
import pandas as pd
import pytest
import review_fixtures as fx
import sqlalchemy as sa
from conftest import copy_sqlite

from core.scoring import publishing
from core.scoring.feature_inputs import load_feature_inputs
from core.scoring.features import compute_features
from core.scoring.scheme import Scorer, preset
from core.storage.db import open_database
from core.storage.models import AuditLog, Defeat, Lead, ReviewItem, TierOverride
from core.workflow import overrides as ovr
from core.workflow import review


@pytest.fixture
def dealer(head_db_url):
    engine = open_database(head_db_url)
    fx.build(engine)
    yield engine
    engine.dispose()


def open_hand_meeting(engine) -> int:
    return review.open_meeting(
        engine, population="owners", week=fx.MEETING.date(), actor="王五", now=fx.MEETING, explain=False
    )


def agenda(engine, meeting_id, **kw) -> pd.DataFrame:
    with engine.connect() as conn:
        return review.items(conn=conn, meeting_id=meeting_id, **kw)


def audit_actions(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [
            tuple(r) for r in conn.execute(sa.select(AuditLog.actor, AuditLog.action).order_by(AuditLog.id))
        ]


# ---- the agenda ------------------------------------------------------------------------------------------


def test_changes_between_two_instants_are_exact(dealer):
    with dealer.connect() as conn:
        ch = review.tier_changes(
            conn=conn, population="owners", baseline=fx.T1 - dt.timedelta(seconds=1), cutoff=fx.MEETING
        )
        none = review.tier_changes(
            conn=conn, population="owners", baseline=fx.T0 - dt.timedelta(seconds=1), cutoff=fx.T0
        )
    assert ch[["customer_id", "old_tier", "new_tier"]].to_dict("records") == [
        {"customer_id": 2, "old_tier": "普通", "new_tier": "高价值"},
        {"customer_id": 3, "old_tier": "普通", "new_tier": "流失风险"},
        {"customer_id": 5, "old_tier": None, "new_tier": "普通"},
    ]
    assert ch["rule"].tolist() == [None, "asked_competitor", None]
    assert none.empty  # the first publish has nothing to compare with


def test_first_meeting_compares_with_the_last_publish_and_groups_by_advisor(dealer):
    mid = open_hand_meeting(dealer)
    items = agenda(dealer, mid)
    assert items["customer_id"].tolist() == fx.CHANGED
    assert items["advisor_id"].tolist() == [fx.ADVISOR_OF[c] for c in fx.CHANGED]
    assert items["customer_name"].tolist() == ["客***", "客***", "客***"]  # masked by default
    assert agenda(dealer, mid, show_pii=True)["customer_name"].tolist() == ["客户2号", "客户3号", "客户5号"]
    with dealer.connect() as conn:
        m = review.get_meeting(conn=conn, meeting_id=mid)
    assert m["baseline_at"] == fx.T1 - dt.timedelta(seconds=1)
    assert m["week_start"] == dt.date(2026, 6, 8)
    assert review.progress(items) == {
        "total": 3,
        "reviewed": 0,
        "confirmed": 0,
        "overridden": 0,
        "discussed": 0,
    }
    # opening the same week again returns the same meeting, without a second agenda
    assert open_hand_meeting(dealer) == mid
    assert len(agenda(dealer, mid)) == 3
    assert ("王五", "review.open_meeting") in audit_actions(dealer)


def test_next_meeting_compares_with_the_previous_cut_off(dealer):
    first = open_hand_meeting(dealer)
    # a rescore after the first meeting moves customer 1 down; the next week's meeting lists only that
    t2 = fx.MEETING + dt.timedelta(days=2)
    with dealer.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE tier_assignments SET effective_to = :t WHERE customer_id = 1 AND effective_to IS NULL"
            ),
            {"t": t2},
        )
        conn.execute(
            sa.text(
                "INSERT INTO tier_assignments (customer_id, scheme_id, tier, score, effective_from) "
                "VALUES (1, 1, '普通', 40.0, :t)"
            ),
            {"t": t2},
        )
    second = review.open_meeting(
        dealer, population="owners", week=dt.date(2026, 6, 17), actor="李四",
        now=fx.MEETING + dt.timedelta(days=7), explain=False,
    )  # fmt: skip
    assert second != first
    items = agenda(dealer, second)
    assert items[["customer_id", "old_tier", "new_tier"]].to_dict("records") == [
        {"customer_id": 1, "old_tier": "高价值", "new_tier": "普通"}
    ]
    with dealer.connect() as conn:
        listed = review.meetings(conn=conn, population="owners")
    assert listed["id"].tolist() == [second, first]
    assert listed["items"].tolist() == [1, 3]


def test_an_actor_is_required_for_every_write(dealer):
    with pytest.raises(ovr.InputError) as err:
        review.open_meeting(dealer, population="owners", week=fx.MEETING.date(), actor="  ")
    assert err.value.code == "actor_missing"
    mid = open_hand_meeting(dealer)
    item = agenda(dealer, mid).iloc[0]
    with pytest.raises(ovr.InputError):
        review.decide(dealer, item_id=int(item["id"]), read_version=1, decision="confirmed", actor="")


# ---- decisions ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"tier": "高价值", "reason": "   "}, "reason_missing"),
        ({"tier": "高价值", "reason": "x" * 257}, "reason_too_long"),
        ({"tier": "钻石", "reason": "老客户"}, "tier_unknown"),
        ({"tier": "高价值", "reason": "老客户", "expires_at": dt.datetime(2020, 1, 1)}, "expiry_past"),
    ],
)
def test_bad_overrides_are_refused_and_nothing_is_written(dealer, kwargs, code):
    mid = open_hand_meeting(dealer)
    item = agenda(dealer, mid).iloc[0]
    with pytest.raises(ovr.InputError) as err:
        review.decide(
            dealer, item_id=int(item["id"]), read_version=1, decision="overridden", actor="王五", **kwargs
        )
    assert err.value.code == code
    after = agenda(dealer, mid).iloc[0]
    assert after["row_version"] == 1 and after["decision"] is None
    with dealer.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(TierOverride)).scalar_one() == 0


def test_override_keeps_who_when_why_and_confirm_clears_it(dealer):
    mid = open_hand_meeting(dealer)
    item = agenda(dealer, mid).set_index("customer_id").loc[3]
    when = dt.datetime(2026, 6, 8, 10, 2)
    v = review.decide(
        dealer, item_id=int(item["id"]), read_version=1, decision="overridden", actor="王五", tier="普通",
        reason="刚介绍了两位朋友", note="下月再看", expires_at=dt.datetime(2026, 9, 30, 23, 59), now=when,
    )  # fmt: skip
    assert v == 2
    row = agenda(dealer, mid).set_index("customer_id").loc[3]
    assert (row["decision"], row["decided_tier"], row["reason"], row["decided_by"]) == (
        "overridden", "普通", "刚介绍了两位朋友", "王五",
    )  # fmt: skip
    assert pd.Timestamp(row["decided_at"]) == pd.Timestamp(when)
    with dealer.connect() as conn:
        eff = ovr.effective_tiers(conn=conn, population="owners", at=when).set_index("customer_id")
        hist = ovr.override_history(conn=conn, customer_id=3)
    assert (eff.loc[3, "computed"], eff.loc[3, "override"], eff.loc[3, "tier"]) == (
        "流失风险",
        "普通",
        "普通",
    )
    assert eff.loc[2, "tier"] == "高价值" and eff.loc[2, "override"] is None
    assert hist[["tier", "reason", "note", "created_by"]].iloc[0].tolist() == [
        "普通",
        "刚介绍了两位朋友",
        "下月再看",
        "王五",
    ]
    # a later decision by someone who read the new version: confirming the computed tier clears the override
    review.decide(
        dealer, item_id=int(item["id"]), read_version=2, decision="confirmed", actor="李四", now=when
    )
    with dealer.connect() as conn:
        hist = ovr.override_history(conn=conn, customer_id=3)
        eff = ovr.effective_tiers(conn=conn, population="owners", at=when).set_index("customer_id")
    assert hist["cleared_by"].tolist() == ["李四"]
    assert eff.loc[3, "tier"] == "流失风险"
    actions = audit_actions(dealer)
    assert ("王五", "override.set") in actions and ("王五", "review.override") in actions
    assert ("李四", "override.clear") in actions and ("李四", "review.confirm") in actions


def test_second_save_on_the_same_read_gets_a_conflict_with_the_first_change(dealer):
    mid = open_hand_meeting(dealer)
    item_id = int(agenda(dealer, mid).iloc[0]["id"])
    review.decide(
        dealer, item_id=item_id, read_version=1, decision="overridden", actor="王五", tier="流失风险",
        reason="已咨询竞品", now=dt.datetime(2026, 6, 8, 10, 2),
    )  # fmt: skip
    with pytest.raises(ovr.Conflict) as err:
        review.decide(dealer, item_id=item_id, read_version=1, decision="confirmed", actor="李四")
    c = err.value.current
    assert (c["by"], c["decision"], c["tier"], c["reason"]) == (
        "王五",
        "overridden",
        "流失风险",
        "已咨询竞品",
    )
    assert c["at"] == dt.datetime(2026, 6, 8, 10, 2)
    row = agenda(dealer, mid).set_index("id").loc[item_id]
    assert (row["decision"], row["decided_by"], row["row_version"]) == ("overridden", "王五", 2)
    with pytest.raises(ovr.Conflict):
        review.mark_discussed(dealer, item_id=item_id, read_version=1, actor="李四")
    assert review.mark_discussed(dealer, item_id=item_id, read_version=2, actor="李四") == 3


def test_bulk_confirm_skips_what_someone_else_changed(dealer):
    mid = open_hand_meeting(dealer)
    items = agenda(dealer, mid)
    read = list(zip(items["id"].tolist(), items["row_version"].tolist(), strict=True))
    review.mark_discussed(dealer, item_id=read[1][0], read_version=1, actor="王五")  # someone moves item 2
    done, conflicts = review.confirm_many(dealer, read=read, actor="李四")
    assert done == [read[0][0], read[2][0]]
    assert [c.object_id for c in conflicts] == [read[1][0]]
    after = agenda(dealer, mid)
    assert after["decision"].tolist() == ["confirmed", None, "confirmed"]
    assert after["decided_tier"].tolist() == ["高价值", None, "普通"]
    assert review.progress(after)["reviewed"] == 2


def test_clearing_an_override_is_recorded_and_conflicts_once_cleared(dealer):
    oid = ovr.set_override(
        dealer, customer_id=2, population="owners", tier="普通", reason="试用", actor="王五"
    )
    ovr.clear_override(dealer, override_id=oid, read_version=1, actor="李四")
    with pytest.raises(ovr.Conflict) as err:
        ovr.clear_override(dealer, override_id=oid, read_version=1, actor="张三")
    assert err.value.current["by"] == "李四" and err.value.current["decision"] == "cleared"
    with dealer.connect() as conn:
        hist = ovr.override_history(conn=conn, customer_id=2)
        assert ovr.active_overrides(conn=conn, population="owners").empty
    assert hist[["cleared_by", "row_version"]].iloc[0].tolist() == ["李四", 2]


def test_a_new_override_replaces_the_active_one(dealer):
    a = ovr.set_override(dealer, customer_id=2, population="owners", tier="普通", reason="一", actor="王五")
    b = ovr.set_override(
        dealer, customer_id=2, population="owners", tier="流失风险", reason="二", actor="李四"
    )
    with dealer.connect() as conn:
        active = ovr.active_overrides(conn=conn, population="owners")
        hist = ovr.override_history(conn=conn, customer_id=2).set_index("id")
    assert active["id"].tolist() == [b]
    assert hist.loc[a, "cleared_by"] == "李四"


def test_expired_overrides_no_longer_apply(dealer):
    ovr.set_override(
        dealer, customer_id=2, population="owners", tier="普通", reason="短期", actor="王五",
        expires_at=dt.datetime(2026, 7, 1), now=dt.datetime(2026, 6, 8),
    )  # fmt: skip
    with dealer.connect() as conn:
        before = ovr.effective_tiers(conn=conn, population="owners", at=dt.datetime(2026, 6, 30))
        after = ovr.effective_tiers(conn=conn, population="owners", at=dt.datetime(2026, 7, 2))
    assert before.set_index("customer_id").loc[2, "tier"] == "普通"
    assert after.set_index("customer_id").loc[2, "tier"] == "高价值"


# ---- on generated data: reasons, rescoring, the export --------------------------------------------------


@pytest.fixture(scope="module")
def demo(demo_db, tmp_path_factory):
    """A copy of the demo database (these tests write), with a second owners version published a day later."""
    url = copy_sqlite(demo_db.pristine, tmp_path_factory.mktemp("review-demo") / "d.sqlite")
    engine = open_database(url)
    spec = fx.publish_second_version(engine)
    with engine.connect() as conn:
        features = compute_features(
            load_feature_inputs(conn=conn), population="owners", as_of=dt.date(2026, 6, 30)
        )
    yield engine, spec, features
    engine.dispose()


def test_reasons_are_the_dimensions_whose_points_moved_most(demo):
    engine, spec, features = demo
    mid = review.open_meeting(engine, population="owners", week=dt.date(2026, 7, 6), actor="王五",
                              now=dt.datetime(2026, 7, 6, 10))  # fmt: skip
    items = agenda(engine, mid)
    assert len(items) > 5
    old = Scorer(preset("value_3")).fit(features)
    new = Scorer(spec).fit(features)
    for r in items.head(10).itertuples():
        pos = [list(features.index).index(r.customer_id)]
        delta = new.contributions(pos).iloc[0] - old.contributions(pos).iloc[0]
        top = delta.abs().sort_values(ascending=False, kind="stable").index[: len(r.reasons)]
        assert [d for d, _ in r.reasons] == list(top)
        assert [v for _, v in r.reasons] == pytest.approx([round(float(delta[d]), 1) for d in top], abs=0.051)
        # the reasons explain the direction of the move: the points gained add up to the score change
        assert sum(delta) == pytest.approx(r.new_score - r.old_score, abs=0.01)


def test_overrides_survive_rescoring_and_the_lab_counts_them(demo):
    from core.scoring.lab_data import published_state

    engine, _, _ = demo
    with engine.connect() as conn:
        before = publishing.current_assignments(conn=conn, population="owners").set_index("customer_id")
    cid = int(before.index[0])
    other = next(x for x in ("高价值", "普通", "流失风险") if x != before.loc[cid, "tier"])
    ovr.set_override(
        engine, customer_id=cid, population="owners", tier=other, reason="店总决定", actor="王五"
    )
    publishing.rescore(engine, population="owners", as_of=dt.date(2026, 6, 30), actor="nightly")
    with engine.connect() as conn:
        after = publishing.current_assignments(conn=conn, population="owners").set_index("customer_id")
        eff = ovr.effective_tiers(conn=conn, population="owners").set_index("customer_id")
        ids = after.index.to_numpy()
        _, _, flagged = published_state(
            conn=conn, population="owners", customer_id=ids, as_of=dt.date(2026, 6, 30)
        )
        history = ovr.tier_history(conn=conn, customer_id=cid)
    assert after.loc[cid, "tier"] == before.loc[cid, "tier"]  # the computed tier is the scheme's own
    assert eff.loc[cid, "tier"] == other and eff.loc[cid, "override"] == other
    assert (eff["override"].notna()).sum() == 1
    assert flagged.sum() == 1 and ids[flagged].tolist() == [cid]
    assert len(history) >= 3  # v1, v2 and the rescore, each kept with its time


def test_the_export_opens_in_openpyxl_with_every_decision(demo):
    engine, _, _ = demo
    with engine.connect() as conn:
        mid = int(review.meetings(conn=conn, population="owners")["id"].iloc[0])
    items = agenda(engine, mid)
    first, second = int(items.iloc[0]["id"]), int(items.iloc[1]["id"])
    review.decide(
        engine, item_id=first, read_version=int(items.iloc[0]["row_version"]), decision="overridden",
        actor="=cmd|' /C calc'!A0", tier="高价值", reason="=HYPERLINK(\"http://x\")", note="会上讨论",
    )  # fmt: skip
    review.decide(engine, item_id=second, read_version=int(items.iloc[1]["row_version"]), decision="confirmed",
                  actor="李四")  # fmt: skip
    items = agenda(engine, mid)
    frame = review.export_frame(items)
    data = review.workbook({"变化": frame, "概要": pd.DataFrame({"项目": ["客户数"], "值": [len(items)]})})
    wb = openpyxl.load_workbook(BytesIO(data))
    assert wb.sheetnames == ["变化", "概要"]
    rows = list(wb["变化"].iter_rows(values_only=True))
    assert list(rows[0]) == list(review.EXPORT_COLUMNS)
    assert len(rows) == len(items) + 1
    by_id = {r[1]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    one = by_id[int(items.iloc[0]["customer_id"])]
    assert one["decision"] == "overridden" and one["decided_tier"] == "高价值" and one["note"] == "会上讨论"
    assert one["reason"] == '\'=HYPERLINK("http://x")'  # neutralised: stays text
    assert one["decided_by"].startswith("'=")
    assert one["new_tier"] == items.iloc[0]["new_tier"]
    assert by_id[int(items.iloc[1]["customer_id"])]["decided_by"] == "李四"
    assert all(c.data_type != "f" for row in wb["变化"].iter_rows() for c in row)  # no formula anywhere
    assert list(wb["概要"].iter_rows(values_only=True)) == [("项目", "值"), ("客户数", len(items))]


# ---- defeat approvals --------------------------------------------------------------------------------------


def _open_lead(engine) -> int:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO leads (id, customer_id, store_id, advisor_id, channel_id, grade, status, stage_reached, "
                "created_at, asked_competitor) VALUES (900, 2, 1, 1, 1, 'A', 'open', 4, '2026-06-01 10:00:00', :no)"
            ),
            {"no": False},
        )
    return 900


def test_defeat_request_approval_and_return(dealer):
    from core.workflow import defeat_approval as da

    lead = _open_lead(dealer)
    with pytest.raises(ovr.InputError) as err:
        da.request_defeat(dealer, lead_id=lead, reason="price", actor="王五")
    assert err.value.code == "defeat_sub_reason_missing"
    with pytest.raises(ovr.InputError):
        da.request_defeat(dealer, lead_id=lead, reason="weather", actor="王五")
    did = da.request_defeat(dealer, lead_id=lead, reason="price", sub_reason="dealer_markup", actor="王五",
                            now=dt.datetime(2026, 6, 9, 9))  # fmt: skip
    with pytest.raises(ovr.InputError) as err:
        da.request_defeat(dealer, lead_id=lead, reason="service", actor="王五")
    assert err.value.code == "defeat_pending"
    with dealer.connect() as conn:
        pending = da.pending_defeats(conn=conn)
        status = conn.execute(sa.select(Lead.status).where(Lead.id == lead)).scalar_one()
    assert pending[["defeat_id", "reason", "sub_reason", "requested_by", "customer"]].to_dict("records") == [
        {
            "defeat_id": did,
            "reason": "price",
            "sub_reason": "dealer_markup",
            "requested_by": "王五",
            "customer": "客***",
        }
    ]
    assert status == "open"  # still open while pending
    with pytest.raises(ovr.InputError):
        da.return_defeat(dealer, defeat_id=did, actor="店总", note=" ")
    da.return_defeat(dealer, defeat_id=did, actor="店总", note="客户下周再来")
    with pytest.raises(ovr.Conflict) as err:
        da.approve_defeat(dealer, defeat_id=did, actor="经理")
    assert err.value.current["by"] == "店总" and err.value.current["decision"] == "returned"
    # asked again with another reason, then approved: the lead closes as defeated at the request's time
    da.request_defeat(dealer, lead_id=lead, reason="competitor", actor="王五", competitor_brand="比亚迪",
                      now=dt.datetime(2026, 6, 12, 9))  # fmt: skip
    da.approve_defeat(dealer, defeat_id=did, actor="经理")
    with dealer.connect() as conn:
        d = conn.execute(
            sa.select(Defeat.approval, Defeat.approval_by, Defeat.reason).where(Defeat.id == did)
        ).one()
        lead_row = conn.execute(sa.select(Lead.status, Lead.defeated_at).where(Lead.id == lead)).one()
        assert da.pending_defeats(conn=conn).empty
    assert tuple(d) == ("approved", "经理", "competitor")
    assert lead_row.status == "defeated" and lead_row.defeated_at == dt.datetime(2026, 6, 12, 9)
    with pytest.raises(ovr.InputError) as err:
        da.request_defeat(dealer, lead_id=lead, reason="price", sub_reason="excuse", actor="王五")
    assert err.value.code == "lead_not_open"
    actions = [a for _, a in audit_actions(dealer)]
    assert actions.count("defeat.request") == 2
    assert actions.count("defeat.returned") == 1 and actions.count("defeat.approved") == 1


def test_review_items_are_unique_per_meeting_and_customer(dealer):
    mid = open_hand_meeting(dealer)
    with pytest.raises(sa.exc.IntegrityError), dealer.begin() as conn:
        conn.execute(
            sa.insert(ReviewItem),
            {"meeting_id": mid, "customer_id": 2, "new_tier": "普通", "discussed": False, "row_version": 1},
        )


def test_only_a_manager_opens_a_meeting(dealer):
    """An advisor's account is refused (nothing written); a manager's opens it; a script's name (no account)
    still may, as the command line and the demo do."""
    from core.access import auth
    from core.storage.models import ReviewMeeting

    auth.create_user(dealer, name="adv", role="staff", password="staff-password", actor="test", advisor_id=1)
    auth.create_user(dealer, name="boss", role="manager", password="boss-password", actor="test")
    with pytest.raises(ovr.InputError) as err:
        review.open_meeting(dealer, population="owners", week=fx.MEETING.date(), actor="adv", now=fx.MEETING)
    assert err.value.code == "meeting_managers_only"
    with dealer.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ReviewMeeting)).scalar_one() == 0
    mid = review.open_meeting(
        dealer, population="owners", week=fx.MEETING.date(), actor="boss", now=fx.MEETING, explain=False
    )
    assert len(agenda(dealer, mid)) == 3
    assert [review.may_open_meeting(r) for r in auth.ROLES] == [False, True, False, False]
