"""Benchmark: what encrypting names and phones at rest costs: demo generation, the weekly review's agenda
(every customer's name opened), the customer search (by full phone, last four, whole name, part of a name)
and key rotation, on a SQLite demo of N customers.

Usage: python bench/bench_pii.py [--customers N]   (runs on code before encryption too, without rotation)
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from core.demo.generator import generate  # noqa: E402
from core.storage.db import open_database  # noqa: E402
from core.storage.models import Customer  # noqa: E402
from core.workflow import customer360, review  # noqa: E402

AS_OF = dt.date(2026, 6, 30)


def timed(label: str, fn, repeat: int = 1):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    print(f"{label:<42} {best:8.3f} s")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=100_000)
    n = ap.parse_args().customers
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_database(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        timed(
            f"demo generation ({n:,} customers)", lambda: generate(engine, customers=n, seed=42, as_of=AS_OF)
        )
        meeting = timed(
            "open the weekly meeting",
            lambda: review.open_meeting(engine, population="owners", week=AS_OF, actor="manager"),
        )
        with engine.connect() as conn:
            agenda = timed(
                "review agenda, names shown",
                lambda: review.items(conn=conn, meeting_id=meeting, show_pii=True),
                3,
            )
            print(f"  ({len(agenda):,} agenda rows)")
            name, phone = conn.execute(
                sa.select(Customer.name, Customer.phone).where(Customer.id == n // 2)
            ).one()
            for label, query in (
                ("search: full phone", phone),
                ("search: last four digits", phone[-4:]),
                ("search: whole name", name),
                ("search: part of a name (given name)", name[1:]),
                ("search: a name nobody has (full scan)", "查无此人"),
            ):
                found = timed(
                    label, lambda q=query: customer360.search(conn=conn, query=q, show_pii=True)[0], 3
                )
                print(f"  ({len(found)} found)")
        try:
            from core.access.data_keys import rotate
        except ImportError:
            return
        timed("key rotation (all customers re-sealed)", lambda: rotate(engine, actor="bench"))


if __name__ == "__main__":
    main()
