"""An import stays all-or-nothing however it ends: a failure or a kill while its rows are staged or published
leaves every table and the data version as they were, and imports at the same time both land whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import review_fixtures as fx
import sqlalchemy as sa

from core.io.importing import commit, import_bytes, stage
from core.storage.db import open_database
from core.storage.models import AuditLog, Base, Customer
from core.workflow import defeat_approval as da
from dashboard.db import data_version

PROJECT = Path(__file__).resolve().parents[3]
FIRST = (
    "客户编号,姓名,手机号,区域,门店\nA1,王小明,13800000001,惠城区,惠城店\nA2,李娜,13800000002,惠城区,惠城店\n"
)


def customers(rows: int, *, start: int = 1, region: str = "新区", store: str = "新店") -> bytes:
    """Customers A{start}…; A1 and A2 renamed (updates) when the range holds them; a region and store the
    database does not know yet (created by the import)."""
    lines = ["客户编号,姓名,手机号,区域,门店"]
    lines += [f"A{i},客户{i},139{i:08d},{region},{store}" for i in range(start, start + rows)]
    return ("\n".join(lines) + "\n").encode()


def state(engine) -> tuple[dict[str, int], str]:
    """Rows of every table, and the data version the app keys its cached reads on."""
    with engine.connect() as conn:
        counts = {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }
    return counts, data_version(engine)


@pytest.fixture
def filled(db_url):
    engine = open_database(db_url)
    assert import_bytes(engine, FIRST.encode(), "customers").committed
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_filled(sqlite_url, tmp_path, monkeypatch):
    """A SQLite database with two customers; staging files go to a folder of the test's own."""
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    engine = open_database(sqlite_url)
    assert import_bytes(engine, FIRST.encode(), "customers").committed
    yield engine
    engine.dispose()


def _fail_on(name: str):
    def fail(*_args, **_kwargs):
        raise OSError(f"simulated failure at {name}")

    return fail


def test_a_failure_while_staging_leaves_the_database_unchanged(sqlite_filled, tmp_path, monkeypatch):
    engine = sqlite_filled
    before = state(engine)
    real, staged = stage.stage_write, []

    def failing(db, name, op, table, frame):
        if table.name == "customers":  # regions and stores are staged already
            raise OSError("simulated disk full while staging")
        staged.append(table.name)
        return real(db, name, op, table, frame)

    monkeypatch.setattr(stage, "stage_write", failing)
    with pytest.raises(OSError, match="while staging"):
        import_bytes(engine, customers(60), "customers")
    assert staged == ["regions", "stores"]
    assert state(engine) == before
    assert list((tmp_path / "tmp").iterdir()) == []  # the staging file went with the failure
    monkeypatch.undo()
    assert import_bytes(engine, customers(60), "customers").committed


def test_a_failure_while_publishing_leaves_the_database_unchanged(filled, monkeypatch):
    """On SQLite the staged rows are published in one transaction; elsewhere the planned frames are written in
    one: a failure after the new region and store were written takes them back too."""
    engine = filled
    before = state(engine)
    published = []
    real_publish, real_insert = stage.publish_write, commit.insert_frame

    def failing_publish(conn, write):
        published.append(write.table)
        if write.table == "customers":
            raise OSError("simulated failure while publishing")
        return real_publish(conn, write)

    def failing_insert(conn, name, frame):
        published.append(name)
        if name == "customers":
            raise OSError("simulated failure while publishing")
        return real_insert(conn, name, frame)

    monkeypatch.setattr(stage, "publish_write", failing_publish)
    monkeypatch.setattr(commit, "insert_frame", failing_insert)
    with pytest.raises(OSError, match="while publishing"):
        import_bytes(engine, customers(60), "customers")
    assert published == ["regions", "stores", "customers"]
    assert state(engine) == before
    monkeypatch.undo()
    res = import_bytes(engine, customers(60), "customers")
    assert res.committed and (res.inserted, res.updated) == (58, 2)


KILLER = """
import os, signal, sys
from core.storage.db import open_database
from core.io.importing import import_bytes

at = sys.argv[3]

def progress(fraction, what):
    staging, publishing = 0.6 <= fraction < 0.85, fraction >= 0.85
    if (at == "staging" and staging and what == "customers") or (at == "publish" and publishing and what == "customers"):
        os.kill(os.getpid(), signal.SIGKILL)  # no cleanup of any kind, as a power cut or the OOM killer

import_bytes(open_database(sys.argv[1]), open(sys.argv[2], "rb").read(), "customers", progress=progress)
"""


@pytest.mark.parametrize("at", ["staging", "publish"])
def test_a_killed_import_leaves_the_database_unchanged(sqlite_filled, tmp_path, at):
    """Killed while staging the customers, or inside the publish transaction after the new region and store
    were written: the database is as before, and the next import works."""
    engine = sqlite_filled
    before = state(engine)
    with engine.connect() as conn:
        tables = set(conn.exec_driver_sql("SELECT name FROM sqlite_master").scalars())
    path = tmp_path / "customers.csv"
    path.write_bytes(customers(60))
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, engine.url.render_as_string(), str(path), at],
        cwd=PROJECT,
        env={**os.environ, "TMPDIR": str(tmp_path / "tmp")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    engine.dispose()  # as a new app process would see the file
    assert state(engine) == before
    with engine.connect() as conn:  # no staging table in the database itself
        assert set(conn.exec_driver_sql("SELECT name FROM sqlite_master").scalars()) == tables
    res = import_bytes(engine, customers(60), "customers")
    assert res.committed and (res.inserted, res.updated) == (58, 2)


def _customer_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(Customer)).scalar_one()


def test_an_import_published_while_another_was_staged_plans_again(sqlite_filled, monkeypatch):
    """The second import planned before the first was published: its plan (new ids from the same highest id,
    the same new region) is stale, so it plans again instead of colliding, and both land whole."""
    engine = sqlite_filled
    real, plans = stage.staged, []

    def first_the_other(plan, progress):
        plans.append(plan.result.rows)
        if len(plans) == 1:  # the other import commits between this one's plan and its publish
            assert import_bytes(engine, customers(40, start=101), "customers").committed
        return real(plan, progress)

    monkeypatch.setattr(stage, "staged", first_the_other)
    res = import_bytes(engine, customers(60, start=201), "customers")
    assert res.committed and res.inserted == 60
    assert plans == [60, 40, 60]  # the stale plan, the other import's, this one's second
    assert _customer_count(engine) == 2 + 40 + 60
    with engine.connect() as conn:
        assert (
            conn.execute(
                sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "import")
            ).scalar_one()
            == 3
        )


def test_imports_at_the_same_time_both_land_whole(sqlite_filled):
    engine = sqlite_filled
    results, errors = [], []

    def run(start: int) -> None:
        try:
            results.append(import_bytes(engine, customers(20_000, start=start), "customers"))
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(start,)) for start in (1_000, 100_000)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    assert not errors, errors
    assert [r.committed for r in results] == [True, True]
    assert _customer_count(engine) == 2 + 40_000
    with engine.connect() as conn:
        regions = conn.exec_driver_sql("SELECT name FROM regions ORDER BY name").scalars().all()
    assert regions == ["惠城区", "新区"]  # created once, by whichever import published first


def test_the_mark_moves_with_every_change_an_import_depends_on(sqlite_url):
    """Besides imports, only defeat requests and decisions change rows an import reads, some in place (the
    lead's status, a returned defeat asked again): each must move the mark, or a plan made before it would
    be published over it."""
    engine = open_database(sqlite_url)
    fx.build(engine)
    fx.build_leads(engine)

    def current() -> tuple:
        with engine.connect() as conn:
            return stage.mark(conn)

    marks = [current()]
    defeat = da.request_defeat(engine, lead_id=101, reason="model", actor="顾问")
    marks.append(current())
    da.return_defeat(engine, defeat_id=defeat, actor="经理", note="再跟进一次")
    marks.append(current())
    assert da.request_defeat(engine, lead_id=101, reason="service", actor="顾问") == defeat  # in place
    marks.append(current())
    da.approve_defeat(engine, defeat_id=defeat, actor="经理")  # the lead closes in place
    marks.append(current())
    assert import_bytes(engine, FIRST.encode(), "customers").committed
    marks.append(current())
    assert len(set(marks)) == len(marks)
    engine.dispose()
