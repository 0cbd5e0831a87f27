"""Benchmark: other people's writes during a big import on SQLite (issue 13, item 8).

    python bench/bench_import_writes.py [--rows 1000000] [--gap 0.25]

Imports a customers CSV (bench_import's generator: ids, names, phones, regions, stores, dates) in a subprocess,
as the CLI or a second app process would, into a SQLite file that holds the review fixture's dealer, a manager's
account and an open review meeting. While it runs, this process signs in, checks the session (a write: its
last-seen time is moved) and saves a review decision, round after round (``--gap`` seconds apart). Prints the
import's duration and phases, the longest write-lock hold of its publish step (``ImportResult.locked_seconds``),
and each write's latency (max and median), over the whole import and over the publish step alone. A write that
fails (e.g. "database is locked") is counted and its message shown. Target: every write ≤ 2 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from bench_import import make_csv  # noqa: E402

from core.access import auth  # noqa: E402
from core.storage.db import open_database  # noqa: E402
from core.workflow import review  # noqa: E402

PASSWORD = "manager-password"
LIMIT_S = 2.0
IMPORT = """
import json, sys, time
from core.storage.db import open_database
from core.io.importing import import_bytes

engine = open_database(sys.argv[1])
data = open(sys.argv[2], "rb").read()
print(json.dumps({"at": time.time(), "what": "start", "fraction": 0.0}), flush=True)

def progress(fraction, what):
    print(json.dumps({"at": time.time(), "fraction": fraction, "what": what}), flush=True)

res = import_bytes(engine, data, "customers", filename="customers.csv", progress=progress)
print(json.dumps({"at": time.time(), "committed": res.committed, "inserted": res.inserted,
                  "seconds": res.seconds, "locked": getattr(res, "locked_seconds", None)}), flush=True)
"""


def dealer(url: str) -> int:
    """The review fixture's dealer, a meeting open on it and a manager's account; returns a review item id."""
    import review_fixtures as fx

    engine = open_database(url)
    fx.build(engine)
    mid = review.open_meeting(
        engine, population="owners", week=fx.MEETING.date(), actor="主持人", now=fx.MEETING, explain=False
    )
    with engine.connect() as conn:
        item_id = int(review.items(conn=conn, meeting_id=mid)["id"].iloc[0])
    auth.create_user(engine, name="manager", role="manager", password=PASSWORD, actor="bench")
    engine.dispose()
    return item_id


def probe(
    url: str, item_id: int, running: threading.Event, gap: float
) -> list[tuple[str, float, float, str]]:
    """(write, wall-clock start, seconds, error or "") for each write, round after round while ``running``."""
    engine = open_database(url)
    out: list[tuple[str, float, float, str]] = []
    version = 1

    def timed(name: str, call, /, *args, **kwargs):
        start, t0 = time.time(), time.perf_counter()
        try:
            value, error = call(*args, **kwargs), ""
        except Exception as exc:  # measured, not raised: the old code's "database is locked" is a figure here
            value, error = None, " ".join(str(exc).split())[:120]
        out.append((name, start, time.perf_counter() - t0, error))
        return value

    while running.is_set():
        token = timed("sign-in", auth.login, engine, name="manager", password=PASSWORD)
        later = dt.datetime.now() + dt.timedelta(seconds=auth.TOUCH_SECONDS + 1)  # so the check writes
        timed("session check", auth.current_user, engine, token, now=later)
        saved = timed(
            "review save",
            review.decide,
            engine,
            item_id=item_id,
            read_version=version,
            decision="confirmed",
            actor="主持人",
        )
        version = saved or version
        time.sleep(gap)
    engine.dispose()
    return out


def figures(rows: list[tuple[str, float, float, str]], name: str) -> str:
    seconds = [s for n, _, s, e in rows if n == name and not e]
    failed = [e for n, _, _, e in rows if n == name and e]
    if not seconds and not failed:
        return f"{name}: none"
    text = f"{name}: n={len(seconds) + len(failed)}"
    if seconds:
        text += f", max {max(seconds):.2f} s, median {statistics.median(seconds):.2f} s"
    if failed:
        text += f", FAILED {len(failed)}x ({failed[0]})"
    slow = sum(s > LIMIT_S for s in seconds) + len(failed)
    return text + (f", {slow} over {LIMIT_S:.0f} s or failed" if slow else "")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--gap", type=float, default=0.25, help="seconds between rounds of writes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = folder / "customers.csv"
        make_csv(csv_path, args.rows)
        url = f"sqlite:///{folder / 'writes.sqlite'}"
        item_id = dealer(url)

        running = threading.Event()
        running.set()
        writes: list[tuple[str, float, float, str]] = []
        prober = threading.Thread(target=lambda: writes.extend(probe(url, item_id, running, args.gap)))
        proc = subprocess.Popen(
            [sys.executable, "-c", IMPORT, url, str(csv_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        events = []
        assert proc.stdout is not None
        for line in proc.stdout:
            events.append(json.loads(line))
            if events[-1].get("what") == "validated" and not prober.is_alive():
                prober.start()  # from here on the old code held the write lock
        proc.wait()
        running.clear()
        prober.join()

    done = events[-1]
    start = events[0]["at"]
    phase = {}
    for e in events[1:-1]:
        f = e["fraction"]
        key = (
            "validated"
            if e["what"] == "validated"
            else "stage"
            if 0.6 <= f < 0.85
            else "publish"
            if f >= 0.85 and e["what"] != "done"
            else None
        )
        if key and key not in phase:
            phase[key] = e["at"]
    print(
        f"import of {args.rows:,} customers (SQLite, subprocess): {done['at'] - start:.1f} s, "
        f"committed={done['committed']}, inserted {done['inserted']:,}"
    )
    marks = ", ".join(f"{k} at {v - start:.1f} s" for k, v in phase.items())
    print(f"  phases: {marks}, committed at {done['at'] - start:.1f} s")
    locked = done.get("locked")
    print(
        "  longest write-lock hold of the publish step: "
        + (f"{locked:.2f} s" if locked is not None else "n/a (this code does not measure it)")
    )
    during = [w for w in writes if w[1] < done["at"]]
    print(f"writes while the import ran (from validation to commit; {args.gap} s between rounds):")
    for name in ("sign-in", "session check", "review save"):
        print("  " + figures(during, name))
    if "publish" in phase:
        window = [w for w in during if w[1] + w[2] >= phase["publish"]]
        print(f"  of which ended during the publish step ({done['at'] - phase['publish']:.1f} s):")
        for name in ("sign-in", "session check", "review save"):
            print("    " + figures(window, name))


if __name__ == "__main__":
    main()
