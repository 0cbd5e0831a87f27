"""Import benchmark: a 1,000,000-row customers CSV into a fresh SQLite file through the CLI's code path.

    python bench/bench_import.py [--rows 1000000] [--baseline-rows 100000]

Prints the import's seconds and peak memory (ru_maxrss of the `python -m core import` subprocess), and a naive
baseline: one ORM object per row (csv module, the same phone normalisation, region/store looked up per row),
timed on --baseline-rows and, when that projects to at most 8 minutes for the full size, also run at full
size; otherwise the full-size figure is an extrapolation and printed as one. Targets: import ≤ 60 s, ≤ 1.5 GB.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.demo.reference import GIVEN, REGIONS, STORES, SURNAMES  # noqa: E402

BASELINE_LIMIT_S = 480.0


def make_csv(path: Path, rows: int, seed: int = 1) -> None:
    """Customers as a CRM exports them: ids, Chinese names, phones with +86 and dashes, region, store, date."""
    rng = np.random.default_rng(seed)
    ids = np.char.add("CRM", np.arange(1, rows + 1).astype(str))
    names = np.char.add(
        np.array(SURNAMES)[rng.integers(0, len(SURNAMES), rows)],
        np.array(GIVEN)[rng.integers(0, len(GIVEN), rows)],
    )
    digits = (13_000_000_000 + rng.choice(9_000_000_000, rows, replace=False)).astype(str)
    styled = rng.integers(0, 3, rows)  # 13812345678 / +86 13812345678 / 138-1234-5678
    phones = digits.astype(object)
    phones[styled == 1] = np.char.add("+86 ", digits[styled == 1])
    phones[styled == 2] = [f"{d[:3]}-{d[3:7]}-{d[7:]}" for d in digits[styled == 2]]
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 6 * 365, rows), unit="D")
    frame = pd.DataFrame(
        {
            "客户编号": ids,
            "姓名": names,
            "手机号": phones,
            "性别": np.where(rng.random(rows) < 0.7, "男", "女"),
            "区域": np.array([r[1] for r in REGIONS])[rng.integers(0, len(REGIONS), rows)],
            "门店": np.array([s[1] for s in STORES])[rng.integers(0, len(STORES), rows)],
            "创建时间": days.strftime("%Y/%-m/%-d"),
        }
    )
    frame.to_csv(path, index=False, encoding="utf-8-sig")


def run_measured(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """(seconds, peak RSS in bytes, stdout+stderr) of one subprocess, its own rusage via wait4."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read().decode("utf-8", "replace") if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[1:4])} failed ({proc.returncode}):\n{out[-3000:]}")
    return seconds, usage.ru_maxrss * 1024, out


NAIVE = textwrap.dedent(
    """
    import csv, datetime as dt, re, sys
    import sqlalchemy as sa
    from sqlalchemy.orm import Session
    from core.storage.db import open_database
    from core.storage.models import Customer, Region, Store
    engine = open_database(sys.argv[2])
    with Session(engine) as s, open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
        regions, stores = {}, {}
        for row in csv.DictReader(f):
            phone = re.sub(r"[\\s\\-()]", "", row["手机号"])
            phone = re.sub(r"^(?:\\+86|0086)(1\\d{10})$", r"\\1", phone)
            region = regions.get(row["区域"]) or s.scalar(sa.select(Region).where(Region.name == row["区域"]))
            if region is None:
                region = Region(code=row["区域"], name=row["区域"], name_en=row["区域"])
                s.add(region)
                s.flush()
            regions[row["区域"]] = region
            store = stores.get(row["门店"]) or s.scalar(sa.select(Store).where(Store.name == row["门店"]))
            if store is None:
                store = Store(code=row["门店"], name=row["门店"], name_en=row["门店"], region_id=region.id, brand="")
                s.add(store)
                s.flush()
            stores[row["门店"]] = store
            y, m, d = (int(x) for x in row["创建时间"].split("/"))
            s.add(Customer(external_id=row["客户编号"], name=row["姓名"], phone=phone, kind="person",
                           gender="M" if row["性别"] == "男" else "F", region_id=region.id, store_id=store.id,
                           created_at=dt.datetime(y, m, d)))
        s.commit()
    """
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, default=100_000)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv_path = tmp / "customers.csv"
        t0 = time.perf_counter()
        make_csv(csv_path, args.rows)
        print(
            f"generated {args.rows:,} customers ({csv_path.stat().st_size / 1e6:.0f} MB CSV) in {time.perf_counter() - t0:.1f} s"
        )

        db = f"sqlite:///{tmp / 'import.sqlite'}"
        subprocess.run(
            [sys.executable, "-m", "core", "db", "upgrade", "--db", db],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        cmd = [sys.executable, "-m", "core", "import", "--kind", "customers", str(csv_path), "--db", db]
        seconds, peak, out = run_measured(cmd, env)
        summary = [line for line in out.splitlines() if line.startswith("imported")]
        print(
            f"import (python -m core import --kind customers): {seconds:.1f} s, peak memory {peak / 1e6:,.0f} MB"
        )
        print("  " + (summary[0] if summary else out.strip()[-300:]))
        import sqlite3

        with sqlite3.connect(tmp / "import.sqlite") as conn:
            n = conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
        print(f"  customers in the database: {n:,}")

        small = tmp / "baseline.csv"
        pd.read_csv(csv_path, nrows=args.baseline_rows, dtype=str, encoding="utf-8-sig").to_csv(
            small, index=False, encoding="utf-8-sig"
        )
        base_db = f"sqlite:///{tmp / 'naive.sqlite'}"
        subprocess.run(
            [sys.executable, "-m", "core", "db", "upgrade", "--db", base_db],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        b_seconds, b_peak, _ = run_measured([sys.executable, "-c", NAIVE, str(small), base_db], env)
        projected = b_seconds * args.rows / args.baseline_rows
        print(
            f"naive baseline (one ORM object per row), {args.baseline_rows:,} rows: {b_seconds:.1f} s, peak {b_peak / 1e6:,.0f} MB"
        )
        if projected <= BASELINE_LIMIT_S and args.baseline_rows < args.rows:
            full_db = f"sqlite:///{tmp / 'naive-full.sqlite'}"
            subprocess.run(
                [sys.executable, "-m", "core", "db", "upgrade", "--db", full_db],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
            b_seconds, b_peak, _ = run_measured([sys.executable, "-c", NAIVE, str(csv_path), full_db], env)
            print(
                f"naive baseline, {args.rows:,} rows (measured): {b_seconds:.1f} s, peak {b_peak / 1e6:,.0f} MB"
            )
            full = b_seconds
        else:
            full = projected
            print(
                f"naive baseline, {args.rows:,} rows: EXTRAPOLATED (linear from {args.baseline_rows:,} rows, not measured): "
                f"{projected:.0f} s"
            )
        print(f"ratio naive / import: {full / seconds:.1f}x")
        print(
            f"targets: import <= 60 s: {'met' if seconds <= 60 else 'MISSED'}; peak <= 1.5 GB: {'met' if peak <= 1.5e9 else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
