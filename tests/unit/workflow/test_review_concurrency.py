"""Optimistic locking under real concurrency: threads with their own connections (SQLite: WAL and BEGIN
IMMEDIATE; PostgreSQL; MariaDB), and separate processes on SQLite. No save may be lost or silently overwritten:
of the writers that read the same version exactly one wins, the others get a Conflict naming the winner."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
import review_fixtures as fx
import sqlalchemy as sa

from core.storage.db import open_database
from core.storage.models import AuditLog, ReviewItem, TierOverride
from core.workflow import overrides as ovr
from core.workflow import review

WRITERS = 8
ROUNDS = 6
PROJECT = Path(__file__).resolve().parents[3]


@pytest.fixture
def meeting(head_db_url):
    engine = open_database(head_db_url)
    fx.build(engine)
    mid = review.open_meeting(
        engine, population="owners", week=fx.MEETING.date(), actor="主持人", now=fx.MEETING, explain=False
    )
    with engine.connect() as conn:
        item_ids = [int(x) for x in review.items(conn=conn, meeting_id=mid)["id"]]
    engine.dispose()  # every writer gets its own engine, as separate app processes would
    yield head_db_url, mid, item_ids


def _run_together(target, n: int) -> None:
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            target(i)
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not errors, errors


def test_writers_of_the_same_read_one_wins_the_others_see_its_change(meeting):
    url, _, item_ids = meeting
    item_id = item_ids[0]
    engines = [open_database(url) for _ in range(WRITERS)]
    won: list[int] = []
    conflicts: dict[int, dict] = {}

    def save(i: int) -> None:
        try:
            review.decide(
                engines[i], item_id=item_id, read_version=1, decision="overridden", actor=f"顾问{i}",
                tier=("高价值", "普通", "流失风险")[i % 3], reason=f"理由{i}",
            )  # fmt: skip
            won.append(i)
        except ovr.Conflict as exc:
            conflicts[i] = exc.current

    try:
        _run_together(save, WRITERS)
        assert len(won) == 1, (won, conflicts)
        winner = won[0]
        assert sorted([*won, *conflicts]) == list(range(WRITERS))
        for current in conflicts.values():
            assert current["by"] == f"顾问{winner}" and current["reason"] == f"理由{winner}"
        with engines[0].connect() as conn:
            row = conn.execute(
                sa.select(ReviewItem.decided_by, ReviewItem.reason, ReviewItem.row_version).where(
                    ReviewItem.id == item_id
                )
            ).one()
            active = (
                conn.execute(sa.select(TierOverride.created_by).where(TierOverride.cleared_at.is_(None)))
                .scalars()
                .all()
            )
            audited = conn.execute(
                sa.select(sa.func.count()).where(AuditLog.action == "review.override")
            ).scalar_one()
        assert tuple(row) == (f"顾问{winner}", f"理由{winner}", 2)
        assert active == [f"顾问{winner}"]  # the losers' overrides were rolled back with their saves
        assert audited == 1
    finally:
        for e in engines:
            e.dispose()


def test_read_modify_write_loops_lose_nothing(meeting):
    """Each writer repeatedly reads the item, then saves on that read, retrying on a conflict: every save that
    was reported as done is in the history (row_version and audit log count them), none was overwritten."""
    url, _, item_ids = meeting
    item_id = item_ids[1]
    engines = [open_database(url) for _ in range(4)]
    saved: list[tuple[int, int]] = []
    conflicts = [0]
    lock = threading.Lock()

    def work(i: int) -> None:
        engine = engines[i]
        for r in range(ROUNDS):
            while True:
                with engine.connect() as conn:
                    version = conn.execute(
                        sa.select(ReviewItem.row_version).where(ReviewItem.id == item_id)
                    ).scalar_one()
                try:
                    new = review.decide(
                        engine, item_id=item_id, read_version=version, decision="overridden",
                        actor=f"顾问{i}", tier="普通", reason=f"{i}-{r}",
                    )  # fmt: skip
                    with lock:
                        saved.append((new, i))
                    break
                except ovr.Conflict:
                    with lock:
                        conflicts[0] += 1

    try:
        _run_together(work, len(engines))
        versions = sorted(v for v, _ in saved)
        assert versions == list(range(2, 2 + len(engines) * ROUNDS))  # each save got its own version
        with engines[0].connect() as conn:
            final = conn.execute(
                sa.select(ReviewItem.row_version).where(ReviewItem.id == item_id)
            ).scalar_one()
            audited = conn.execute(
                sa.select(sa.func.count()).where(AuditLog.action == "review.override")
            ).scalar_one()
            overrides = conn.execute(sa.select(sa.func.count()).select_from(TierOverride)).scalar_one()
            active = conn.execute(
                sa.select(sa.func.count()).where(TierOverride.cleared_at.is_(None))
            ).scalar_one()
        assert final == 1 + len(engines) * ROUNDS
        assert audited == overrides == len(engines) * ROUNDS
        assert active == 1
    finally:
        for e in engines:
            e.dispose()


def test_writers_of_different_items_all_succeed(meeting):
    url, _, item_ids = meeting
    engines = [open_database(url) for _ in item_ids]

    def save(i: int) -> None:
        review.decide(engines[i], item_id=item_ids[i], read_version=1, decision="confirmed", actor=f"顾问{i}")

    try:
        _run_together(save, len(item_ids))
        with engines[0].connect() as conn:
            got = conn.execute(
                sa.select(ReviewItem.decision, ReviewItem.row_version).where(ReviewItem.id.in_(item_ids))
            ).all()
        assert [tuple(r) for r in got] == [("confirmed", 2)] * len(item_ids)
    finally:
        for e in engines:
            e.dispose()


WORKER = """
import sys
from core.workflow import overrides, review
from core.storage.db import open_database
url, item_id, who = sys.argv[1], int(sys.argv[2]), sys.argv[3]
engine = open_database(url)
try:
    review.decide(engine, item_id=item_id, read_version=1, decision="overridden", actor=who, tier="普通",
                  reason="进程" + who)
    print("won")
except overrides.Conflict as exc:
    print("conflict", exc.current["by"])
"""


def test_separate_processes_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    engine = open_database(url)
    fx.build(engine)
    mid = review.open_meeting(
        engine, population="owners", week=fx.MEETING.date(), actor="主持人", explain=False
    )
    with engine.connect() as conn:
        item_id = int(review.items(conn=conn, meeting_id=mid)["id"].iloc[0])
    engine.dispose()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, str(item_id), f"p{i}"],
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
    lines = [o.strip() for o, _ in outs]
    assert lines.count("won") == 1, lines
    winner = f"p{lines.index('won')}"
    assert sorted(x for x in lines if x != "won") == [f"conflict {winner}"] * 3


def test_two_managers_deciding_one_defeat_at_once(meeting):
    from core.workflow import defeat_approval as da

    url, _, _ = meeting
    engines = [open_database(url) for _ in range(WRITERS)]
    with engines[0].begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO leads (id, customer_id, store_id, advisor_id, channel_id, grade, status, stage_reached, "
                "created_at, asked_competitor) VALUES (900, 2, 1, 1, 1, 'A', 'open', 4, '2026-06-01 10:00:00', :no)"
            ),
            {"no": False},
        )
    did = da.request_defeat(engines[0], lead_id=900, reason="finance", actor="王五")
    outcome: dict[int, str] = {}

    def decide(i: int) -> None:
        try:
            if i % 2:
                da.approve_defeat(engines[i], defeat_id=did, actor=f"经理{i}")
            else:
                da.return_defeat(engines[i], defeat_id=did, actor=f"经理{i}", note="再跟一次")
            outcome[i] = "won"
        except ovr.Conflict as exc:
            outcome[i] = exc.current["by"]

    try:
        _run_together(decide, WRITERS)
        winners = [i for i, o in outcome.items() if o == "won"]
        assert len(winners) == 1, outcome
        assert {o for i, o in outcome.items() if i not in winners} == {f"经理{winners[0]}"}
        with engines[0].connect() as conn:
            status = conn.execute(sa.text("SELECT status FROM leads WHERE id = 900")).scalar_one()
        assert status == ("defeated" if winners[0] % 2 else "open")
    finally:
        for e in engines:
            e.dispose()
