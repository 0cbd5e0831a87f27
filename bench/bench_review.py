"""Benchmark: the weekly review, follow-up and customer 360 on a demo of N customers (default 5,000) with a
second owners version published (so the meeting has an agenda).

Usage: python bench/bench_review.py [--customers N]
Prints: opening the meeting (changes + reasons), reading the agenda, the follow-up figures, and each page's
first run and rerun under AppTest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from core.analytics import followup  # noqa: E402
from core.demo.generator import generate  # noqa: E402
from core.storage.db import open_database  # noqa: E402
from core.workflow import review  # noqa: E402
from tests.signin import sign_in  # noqa: E402


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    import review_fixtures
    from streamlit.testing.v1 import AppTest

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=5_000)
    args = ap.parse_args()
    url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench_review.sqlite'}"
    engine = open_database(url)
    generate(engine, customers=args.customers, seed=7, as_of=dt.date(2026, 6, 30))
    review_fixtures.publish_second_version(engine)
    mid, t_open = timed(
        lambda: review.open_meeting(engine, population="owners", week=dt.date.today(), actor="b")
    )
    at = dt.datetime(2026, 7, 1)
    with engine.connect() as conn:
        items, t_items = timed(lambda: review.items(conn=conn, meeting_id=mid))
        states, t_states = timed(lambda: followup.lead_states(conn=conn, at=at, current=True))
        _, t_trend = timed(lambda: followup.weekly_trend(conn=conn, last_day=dt.date(2026, 6, 30), weeks=12))
    print(f"{args.customers:,} customers, {len(items):,} agenda items")
    print(f"open_meeting (changes + reasons): {t_open:.2f} s; agenda read: {t_items * 1000:.0f} ms")
    print(
        f"lead_states: {t_states * 1000:.0f} ms ({len(states):,} leads); weekly_trend(12): {t_trend * 1000:.0f} ms"
    )
    app = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=600)
    app.secrets["database_url"] = url
    app.session_state["lang"] = "zh"
    sign_in(app, url, "manager")
    app.run()
    app.query_params["customer"] = str(int(items.iloc[0]["customer_id"]))
    for name in ("review", "customer", "followup"):
        _, first = timed(lambda name=name: app.switch_page(f"../pages/{name}.py").run())
        _, rerun = timed(app.run)
        assert not app.exception, [e.value for e in app.exception]
        print(f"page {name}: first run {first:.2f} s, rerun {rerun:.2f} s")


if __name__ == "__main__":
    main()
