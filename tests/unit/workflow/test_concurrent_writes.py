"""Writers at once on every backend (threads, each with its own engine, as separate app processes would):
one published version per population, one active override per customer, and deadlocks or serialization
failures retried instead of shown (MariaDB's InnoDB picks deadlock victims among writers of different rows)."""

from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
import pytest
import review_fixtures as fx
import sqlalchemy as sa

from core.scoring import publishing
from core.scoring.scheme import preset
from core.storage.db import open_database
from core.storage.models import Customer, ReviewItem, ScoringScheme, TierAssignment, TierOverride
from core.workflow import overrides as ovr
from core.workflow import review


def _run_together(target, n: int) -> list[BaseException]:
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            target(i)
        except BaseException as exc:  # collected: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    return errors


@pytest.fixture
def dealer(head_db_url):
    engine = open_database(head_db_url)
    fx.build(engine)
    if engine.dialect.name == "postgresql":  # the fixture wrote scheme 1 with its id: move the sequence on
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('scoring_schemes', 'id'), 1)"))
    engine.dispose()
    return head_db_url


def _assignments(tier: str) -> pd.DataFrame:
    ids = list(fx.TIERS)
    return pd.DataFrame({"customer_id": ids, "tier": tier, "score": 50.0, "rule": None})


def _published(engine) -> list[int]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(ScoringScheme.id).where(
                    ScoringScheme.population == "owners", ScoringScheme.status == "published"
                )
            ).scalars()
        )


PUBLISHERS = 6


def test_publishes_at_once_leave_one_published_version(dealer):
    """Six versions published at the same moment: every publish succeeds, one after the other, and exactly
    one version is published afterwards, its assignments the only current ones."""
    engines = [open_database(dealer) for _ in range(PUBLISHERS)]
    try:
        drafts = [
            publishing.save_draft(engines[0], preset("value_3"), name=f"v{i}", actor="t").id
            for i in range(PUBLISHERS)
        ]
        errors = _run_together(
            lambda i: publishing.write_assignments(
                engines[i], drafts[i], _assignments(("高价值", "普通", "流失风险")[i % 3]), actor=f"经理{i}"
            ),
            PUBLISHERS,
        )
        assert not errors, errors
        published = _published(engines[0])
        assert len(published) == 1, published
        with engines[0].connect() as conn:
            current = conn.execute(
                sa.select(TierAssignment.scheme_id, sa.func.count())
                .where(TierAssignment.effective_to.is_(None))
                .group_by(TierAssignment.scheme_id)
            ).all()
        assert [tuple(r) for r in current] == [(published[0], len(fx.TIERS))]
    finally:
        for e in engines:
            e.dispose()


def test_the_database_refuses_a_second_published_version(dealer):
    engine = open_database(dealer)
    try:
        draft = publishing.save_draft(engine, preset("value_3"), name="v2", actor="t").id
        with pytest.raises(sa.exc.IntegrityError):
            with engine.begin() as conn:
                conn.execute(
                    sa.update(ScoringScheme).where(ScoringScheme.id == draft).values(status="published")
                )
        assert _published(engine) == [1]
    finally:
        engine.dispose()


def test_a_publish_that_fails_leaves_no_stray_draft(dealer, monkeypatch):
    """Saving the version and writing its tiers is one transaction: an error while writing the tiers (as a
    crash would) leaves neither a new draft nor a change to the published version."""
    engine = open_database(dealer)

    def broken(*args, **kwargs):
        raise RuntimeError("killed while writing the tiers")

    monkeypatch.setattr(publishing, "insert_frame", broken)
    try:
        with pytest.raises(RuntimeError):
            publishing.publish(engine, preset("value_3"), _assignments("普通"), name="新方案", actor="经理")
        with engine.connect() as conn:
            schemes = conn.execute(sa.select(ScoringScheme.id, ScoringScheme.status)).all()
        assert [tuple(r) for r in schemes] == [(1, "published")]
        monkeypatch.undo()
        version, written = publishing.publish(
            engine, preset("value_3"), _assignments("普通"), name="新方案", actor="经理"
        )
        assert (version.version, version.status, written) == (2, "published", len(fx.TIERS))
        assert _published(engine) == [version.id]
    finally:
        engine.dispose()


OVERRIDERS = 8


def test_overrides_of_one_customer_at_once_leave_one_active(dealer):
    """Eight people override customer 2 at the same moment (two open meetings, the 360 page): each override
    replaces the one before, so one is active afterwards and the customer is counted in one tier."""
    engines = [open_database(dealer) for _ in range(OVERRIDERS)]
    at = dt.datetime(2026, 6, 9, 9, 0)
    try:
        errors = _run_together(
            lambda i: ovr.set_override(
                engines[i],
                customer_id=2,
                population="owners",
                tier=("高价值", "普通", "流失风险")[i % 3],
                reason=f"理由{i}",
                actor=f"顾问{i}",
                now=at,
            ),  # fmt: skip
            OVERRIDERS,
        )
        assert not errors, errors
        with engines[0].connect() as conn:
            rows = conn.execute(sa.select(TierOverride.cleared_at).where(TierOverride.customer_id == 2)).all()
            tiers = ovr.effective_tiers(conn=conn, population="owners", at=at)
        assert len(rows) == OVERRIDERS
        assert sum(r.cleared_at is None for r in rows) == 1
        assert tiers["customer_id"].tolist().count(2) == 1
    finally:
        for e in engines:
            e.dispose()


EXTRA = 100  # customers whose tier changed, on top of the fixture's
SAVERS = 20


@pytest.fixture
def big_meeting(head_db_url):
    engine = open_database(head_db_url)
    fx.build(engine)
    ids = list(range(1000, 1000 + EXTRA))
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Customer),
            [
                {"id": c, "kind": "person", "name": f"客户{c}", "region_id": 1, "store_id": 1, "advisor_id": 1,
                 "is_owner": True, "created_at": dt.datetime(2025, 1, 1)}
                for c in ids
            ],
        )  # fmt: skip
        conn.execute(
            sa.insert(TierAssignment),
            [
                {"customer_id": c, "scheme_id": 1, "tier": old, "score": 50.0, "rule": None,
                 "effective_from": start, "effective_to": end}
                for c in ids
                for old, start, end in (("普通", fx.T0, fx.T1), ("高价值", fx.T1, None))
            ],
        )  # fmt: skip
    mid = review.open_meeting(
        engine, population="owners", week=fx.MEETING.date(), actor="主持人", now=fx.MEETING, explain=False
    )
    with engine.connect() as conn:
        agenda = review.items(conn=conn, meeting_id=mid)
    engine.dispose()
    return head_db_url, [int(i) for i in agenda["id"]]


def test_saves_of_different_customers_at_once_all_succeed(big_meeting):
    """100 overrides of 100 different customers by 20 people at once: none fails (MariaDB chose deadlock
    victims among them; they are run again), each item is decided once, each customer has one override."""
    url, item_ids = big_meeting
    engines = [open_database(url) for _ in range(SAVERS)]
    mine = [item_ids[i::SAVERS] for i in range(SAVERS)]

    def save(i: int) -> None:
        for item_id in mine[i]:
            review.decide(
                engines[i], item_id=item_id, read_version=1, decision="overridden", actor=f"顾问{i}",
                tier="普通", reason=f"理由{item_id}",
            )  # fmt: skip

    try:
        errors = _run_together(save, SAVERS)
        assert not errors, errors[:3]
        with engines[0].connect() as conn:
            got = conn.execute(sa.select(ReviewItem.decision, ReviewItem.row_version)).all()
            active = conn.execute(
                sa.select(TierOverride.customer_id, sa.func.count())
                .where(TierOverride.cleared_at.is_(None))
                .group_by(TierOverride.customer_id)
            ).all()
        assert [tuple(r) for r in got] == [("overridden", 2)] * len(item_ids)
        assert len(active) == len(item_ids) and {n for _, n in active} == {1}
    finally:
        for e in engines:
            e.dispose()


def test_bulk_confirm_against_single_saves(big_meeting):
    """One person confirms the whole agenda while others override single items: no error, every item is
    decided once, and the bulk confirm reports as conflicts exactly the items someone else saved first."""
    url, item_ids = big_meeting
    engines = [open_database(url) for _ in range(SAVERS)]
    singles = item_ids[::5]
    single_done: list[int] = []
    outcome: dict = {}

    def work(i: int) -> None:
        if i == 0:
            outcome["bulk"] = review.confirm_many(engines[0], read=[(x, 1) for x in item_ids], actor="经理")
            return
        for item_id in singles[i - 1 :: SAVERS - 1]:
            try:
                review.decide(
                    engines[i], item_id=item_id, read_version=1, decision="overridden", actor=f"顾问{i}",
                    tier="普通", reason="单独",
                )  # fmt: skip
                single_done.append(item_id)
            except ovr.Conflict as exc:
                assert exc.current["by"] == "经理"

    try:
        errors = _run_together(work, SAVERS)
        assert not errors, errors[:3]
        confirmed, conflicts = outcome["bulk"]
        assert sorted(c.object_id for c in conflicts) == sorted(single_done)
        assert sorted(confirmed + single_done) == sorted(item_ids)
        with engines[0].connect() as conn:
            got = dict(conn.execute(sa.select(ReviewItem.id, ReviewItem.decided_by)).all())
        assert {got[x] for x in confirmed} <= {"经理"}
        assert all(got[x] != "经理" for x in single_done)
    finally:
        for e in engines:
            e.dispose()


class _Orig(Exception):
    def __init__(self, *args, sqlstate=None):
        super().__init__(*args)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("orig", "retried"),
    [
        (_Orig(1213, "Deadlock found when trying to get lock"), True),  # MariaDB
        (_Orig(1020, "Record has changed since last read"), True),  # MariaDB snapshot isolation
        (_Orig("deadlock detected", sqlstate="40P01"), True),  # PostgreSQL
        (_Orig("could not serialize access", sqlstate="40001"), True),
        (_Orig(1062, "Duplicate entry"), False),
        (_Orig("duplicate key value", sqlstate="23505"), False),
        (_Orig("database is locked"), False),  # SQLite waited its busy timeout already
    ],
)
def test_retrying_runs_again_on_deadlocks_only_and_a_bounded_number_of_times(orig, retried, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from core.storage import db

    monkeypatch.setattr(db.time, "sleep", lambda s: None)
    runs = []

    @db.retrying
    def work():
        runs.append(1)
        raise OperationalError("UPDATE ...", {}, orig)

    with pytest.raises(OperationalError):
        work()
    assert len(runs) == (db.RETRY_ATTEMPTS if retried else 1)
    runs.clear()

    @db.retrying
    def second_time_lucky():
        runs.append(1)
        if len(runs) == 1:
            raise OperationalError("UPDATE ...", {}, orig)
        return "saved"

    if retried:
        assert second_time_lucky() == "saved" and len(runs) == 2
