"""Benchmark: generate N demo customers (default 1,000,000) and write them to a fresh SQLite file.

Usage: python bench/bench_demo.py [--customers N] [--db PATH]
Prints the time to generate in memory, to write, and in all (target at 1M: at most 120 s in all).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

from core.demo.generator import generate
from core.storage.db import open_database


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path, default=None)
    args = ap.parse_args()
    path = args.db or Path(tempfile.mkdtemp()) / "bench_demo.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    engine = open_database(f"sqlite:///{path}")
    marks: list[tuple[str, float]] = []
    t0 = time.perf_counter()

    def progress(_f: float, what: str) -> None:
        marks.append((what, time.perf_counter() - t0))

    summary = generate(
        engine, customers=args.customers, seed=42, as_of=dt.date(2026, 11, 20), progress=progress
    )
    total = time.perf_counter() - t0
    gen_done = next(t for w, t in marks if w == "regions")
    print(f"customers: {args.customers:,}  rows: " + ", ".join(f"{k}={v:,}" for k, v in summary.rows.items()))
    print(f"generate in memory: {gen_done:.1f} s")
    print(f"write to SQLite (incl. tiers): {total - gen_done:.1f} s")
    print(f"total: {total:.1f} s (target at 1M customers: <= 120 s)")
    steps = [(w, t) for w, t in marks]
    print("steps: " + ", ".join(f"{w} from {t:.1f}s" for w, t in steps))
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"database file: {path} ({path.stat().st_size / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
