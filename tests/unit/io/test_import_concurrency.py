"""A big import on SQLite keeps no one waiting (issue 13, item 8): while it runs in another process, sign-in,
the session check and a review save each succeed, typically within 2 s and at worst after the import's short
publish, and the import still lands whole.

Before, the import planned and wrote inside one write transaction, and SQLite lets one writer in at a time:
every other write waited for the busy timeout (10 s) and failed with "database is locked".
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import review_fixtures as fx
import sqlalchemy as sa

from core.access import auth
from core.io.importing import import_bytes
from core.storage.db import open_database
from core.storage.models import Customer
from core.workflow import review

PROJECT = Path(__file__).resolve().parents[3]
# a dealer's monthly re-export: the customers imported last month, every 20th renamed, and the month's new ones.
# The old code held the lock while it compared and wrote all of them (seconds); the publish writes only the
# new and renamed rows (a fraction of a second, even on a loaded machine)
STORED, NEW, RENAMED_EVERY = 80_000, 40_000, 20
LIMIT_S = 2.0
PASSWORD = "manager-password"

IMPORT = """
import json, sys, time
from core.storage.db import open_database
from core.io.importing import import_bytes

engine = open_database(sys.argv[1])
data = open(sys.argv[2], "rb").read()

def progress(fraction, what):
    print(json.dumps({"at": time.time(), "fraction": fraction, "what": what}), flush=True)

res = import_bytes(engine, data, "customers", filename="customers.csv", progress=progress)
print(json.dumps({"at": time.time(), "committed": res.committed, "inserted": res.inserted,
                  "updated": res.updated, "locked": getattr(res, "locked_seconds", -1.0)}), flush=True)  # -1: an older import
"""


def customers_csv(rows: int, *, renamed_up_to: int = 0) -> bytes:
    """Customers CRM1… of the review fixture's region and stores; those up to ``renamed_up_to`` whose number is a
    multiple of ``RENAMED_EVERY`` under another name."""
    number = np.arange(1, rows + 1)
    names = np.array(["王小明", "李娜", "张伟", "陈静"])[number % 4].astype(object)
    names[(number <= renamed_up_to) & (number % RENAMED_EVERY == 0)] = "改名客户"
    frame = pd.DataFrame(
        {
            "客户编号": [f"CRM{i}" for i in number],
            "姓名": names,
            "手机号": (13_000_000_000 + number * 7_919).astype(str),
            "区域": "惠城区",
            "门店": np.array(["惠城店", "博罗店"])[number % 2],
            "创建时间": "2024/3/5",
        }
    )
    return frame.to_csv(index=False).encode("utf-8")


@pytest.fixture
def dealer(sqlite_url):
    """The review fixture's dealer with a meeting open, and a manager's account."""
    engine = open_database(sqlite_url)
    fx.build(engine)
    mid = review.open_meeting(
        engine, population="owners", week=fx.MEETING.date(), actor="主持人", now=fx.MEETING, explain=False
    )
    with engine.connect() as conn:
        item_id = int(review.items(conn=conn, meeting_id=mid)["id"].iloc[0])
    auth.create_user(engine, name="manager", role="manager", password=PASSWORD, actor="test")
    assert import_bytes(engine, customers_csv(STORED), "customers").committed  # last month's
    engine.dispose()
    return sqlite_url, item_id


def _timed(results: dict[str, list[float]], name: str, call, /, *args, **kwargs):
    t0 = time.perf_counter()
    out = call(*args, **kwargs)  # an exception (e.g. "database is locked") fails the test as it is
    results[name].append(time.perf_counter() - t0)
    return out


def test_sign_in_session_check_and_review_save_stay_fast_during_a_big_import(dealer, tmp_path):
    url, item_id = dealer
    path = tmp_path / "customers.csv"
    path.write_bytes(customers_csv(STORED + NEW, renamed_up_to=STORED))
    engine = open_database(url)
    proc = subprocess.Popen(
        [sys.executable, "-c", IMPORT, url, str(path)],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    results: dict[str, list[float]] = {"sign-in": [], "session check": [], "review save": []}
    round_ends: list[float] = []
    try:
        # from "validated" on, the old code held the write lock until its commit
        for line in proc.stdout:  # type: ignore[union-attr]
            if json.loads(line).get("what") == "validated":
                break
        version = 1
        while proc.poll() is None:
            token = _timed(
                results, "sign-in", auth.login, engine, name="manager", password=PASSWORD, address="10.0.0.1"
            )
            later = dt.datetime.now() + dt.timedelta(seconds=auth.TOUCH_SECONDS + 1)  # so the check writes
            user = _timed(results, "session check", auth.current_user, engine, token, now=later)
            assert user is not None and user.name == "manager"
            version = _timed(
                results,
                "review save",
                review.decide,
                engine,
                item_id=item_id,
                read_version=version,
                decision="confirmed",
                actor="主持人",
            )
            round_ends.append(time.time())
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    lines = [json.loads(line) for line in out.strip().splitlines()]
    done = lines[-1]
    assert (done["committed"], done["inserted"], done["updated"]) == (True, NEW, STORED // RENAMED_EVERY)
    summary = {
        name: f"max {max(s):.2f} s, median {statistics.median(s):.2f} s, n={len(s)}"
        for name, s in results.items()
    }
    # Each write waits at most for the publish (the only time the import holds the write lock), never for the
    # whole import; typically it does not wait at all. The 2 s of the issue hold except while a publish runs
    # (on a busy machine a publish of these rows holds the lock for seconds; bench/bench_import_writes.py
    # measures it at 1M rows), so a write is slow only beyond both.
    bound = max(LIMIT_S, done["locked"] + 1.0)
    slow = [name for name, s in results.items() if max(s) > bound]
    assert not slow, f"over {bound:.2f} s (the import held the lock {done['locked']:.2f} s): {summary}"
    typical = [name for name, s in results.items() if statistics.median(s) > LIMIT_S]
    assert not typical, f"median over {LIMIT_S} s: {summary}"
    assert 0 <= done["locked"] < 0.5 * (done["at"] - lines[0]["at"]), done  # the lock is the short tail
    # the writes really ran alongside the import: whole rounds ended before it committed
    assert sum(end < done["at"] for end in round_ends) >= 2, (round_ends, done)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(Customer)).scalar_one() == STORED + NEW + 6
    engine.dispose()
