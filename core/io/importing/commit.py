"""Write a planned import in ONE transaction (``run_import``): after any error nothing of the file is in the
database. Planning is in ``plan``, comparing with stored rows in ``store``."""

from __future__ import annotations

import datetime as dt
import time

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

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
    if dry_run:
        with engine.connect() as conn:
            plan = plan_import(conn, parsed, create_missing=create_missing, now=now, progress=progress)
            conn.rollback()
    else:
        with write_transaction(engine) as conn:
            plan = plan_import(conn, parsed, create_missing=create_missing, now=now, progress=progress)
            res = plan.result
            if res.valid_rows and (res.error_rows == 0 or only_valid):
                if plan.writes:
                    write_plan(conn, plan, progress=progress, actor=actor)
                res.committed = True
    plan.result.seconds = time.perf_counter() - t0
    if progress:
        progress(1.0, "done")
    return plan.result
