"""Write a planned import in ONE transaction (``run_import``): after any error nothing of the file is in the
database. Planning is in ``plan``, comparing with stored rows in ``store``; on SQLite the rows are staged first
(``stage``), so that the write lock is held only while they are published."""

from __future__ import annotations

import datetime as dt
import functools
import time

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.io.importing import stage
from core.io.importing.plan import plan_import
from core.io.importing.store import TABLE, ImportResult, Plan, Progress, update_rows
from core.io.importing.validate import Parsed
from core.storage.bulk import insert_frame
from core.storage.db import write_transaction
from core.storage.models import AuditLog, Base

__all__ = ["ImportResult", "Progress", "plan_import", "run_import", "write_plan"]


def write_plan(
    conn: Connection, plan: Plan, *, progress: Progress | None = None, actor: str = "import"
) -> None:
    """Carry out the plan's writes inside the caller's transaction, then one audit-log row."""
    progress = progress or (lambda _f, _w: None)
    tables = Base.metadata.tables
    for i, (op, name, frame) in enumerate(plan.writes):
        progress(0.6 + 0.35 * i / max(len(plan.writes), 1), name)
        if op == "insert":
            insert_frame(conn, name, frame)
        else:
            update_rows(conn, tables[name], frame)
    audit_import(conn, plan, actor)


def audit_import(conn: Connection, plan: Plan, actor: str) -> None:
    """The import's audit-log row (what it did, in numbers), inside the caller's transaction."""
    res = plan.result
    detail = {
        "kind": res.kind,
        "rows": res.rows,
        "valid_rows": res.valid_rows,
        "inserted": res.inserted,
        "updated": res.updated,
        "unchanged": res.unchanged,
        "customers_created": res.customers_created,
        "references_created": {k: len(v) for k, v in res.references_created.items()},
    }
    conn.execute(
        sa.insert(AuditLog),
        {
            "at": dt.datetime.now().replace(microsecond=0),
            "actor": actor,
            "action": "import",
            "object_type": TABLE[res.kind],
            "detail": detail,
        },
    )


def run_import(
    engine: Engine,
    parsed: Parsed,
    *,
    only_valid: bool = False,
    dry_run: bool = False,
    create_missing: bool = True,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
    actor: str = "import",
) -> ImportResult:
    """Plan and (unless ``dry_run``, or the file has bad rows and ``only_valid`` is off) write, all in one
    transaction: after any error nothing of the file is in the database."""
    t0 = time.perf_counter()
    now = now or dt.datetime.now().replace(microsecond=0)  # the same in every plan of this import
    if dry_run:
        with engine.connect() as conn:
            plan = plan_import(conn, parsed, create_missing=create_missing, now=now, progress=progress)
            conn.rollback()
    elif engine.dialect.name == "sqlite":
        plan = _import_staged(engine, parsed, only_valid, create_missing, progress, now, actor)
    else:  # PostgreSQL and MariaDB lock rows, not the database: a long import keeps no other writer waiting
        plan = _import_locked(engine, parsed, only_valid, create_missing, progress, now, actor)
    plan.result.seconds = time.perf_counter() - t0
    if progress:
        progress(1.0, "done")
    return plan.result


STAGED_ATTEMPTS = 3


def _wanted(plan: Plan, only_valid: bool) -> bool:
    res = plan.result
    return bool(res.valid_rows) and (res.error_rows == 0 or only_valid)


def _import_staged(
    engine: Engine,
    parsed: Parsed,
    only_valid: bool,
    create_missing: bool,
    progress: Progress | None,
    now: dt.datetime,
    actor: str,
) -> Plan:
    """SQLite: plan in a read snapshot, stage the rows, publish them in one short write transaction (see
    ``stage``). When another writer changed what the plan read before it was published, plan again; after
    ``STAGED_ATTEMPTS`` such races, plan and write under the write lock, as other backends do."""
    report = progress or (lambda _f, _w: None)
    for _ in range(STAGED_ATTEMPTS):
        with engine.connect() as conn:  # one read transaction: the mark and the plan see the same data
            read = stage.mark(conn)
            plan = plan_import(conn, parsed, create_missing=create_missing, now=now, progress=progress)
            conn.rollback()
        if not _wanted(plan, only_valid):
            return plan
        if not plan.writes:
            plan.result.committed = True
            return plan
        with stage.staged(plan, report) as staged:
            audit = functools.partial(audit_import, plan=plan, actor=actor)
            locked = stage.publish(engine, staged, read, audit, report)
        if locked is not None:
            plan.result.committed, plan.result.locked_seconds = True, locked
            return plan
    return _import_locked(engine, parsed, only_valid, create_missing, progress, now, actor)


def _import_locked(
    engine: Engine,
    parsed: Parsed,
    only_valid: bool,
    create_missing: bool,
    progress: Progress | None,
    now: dt.datetime,
    actor: str,
) -> Plan:
    """Plan and write in one write transaction (the plan cannot go stale before it is written)."""
    with write_transaction(engine) as conn:
        locked = time.perf_counter()
        plan = plan_import(conn, parsed, create_missing=create_missing, now=now, progress=progress)
        if _wanted(plan, only_valid):
            if plan.writes:
                write_plan(conn, plan, progress=progress, actor=actor)
            plan.result.committed = True
    plan.result.locked_seconds = time.perf_counter() - locked
    return plan
