"""Benchmark: the channel ROI and tiers-by-region figures and pages on a demo database of N customers.

Usage: python bench/bench_analysis.py [--customers N]   (default 5,000: the demo the README starts with)
Prints, for a quarter and for a year, the time to read the frames, to compute the figures from them (the pure
``*_from_frames`` functions the in-memory data layer will feed), and a full page run under AppTest (cold: read
and compute; warm: cached reads), medians of 5.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from core.analytics import channel_roi as cr  # noqa: E402
from core.analytics import tier_report as tr  # noqa: E402
from core.analytics.overview import Filters  # noqa: E402
from core.demo.generator import generate  # noqa: E402
from core.storage.db import open_database  # noqa: E402
from tests.signin import sign_in  # noqa: E402

AS_OF = dt.date(2026, 6, 30)


def median_ms(fn, n: int = 5) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def page_ms(url: str, page: str, f: Filters, warm: bool) -> float:
    def run() -> None:
        at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=300)
        at.secrets["database_url"] = url
        at.session_state["filters"] = f
        at.session_state["lang"] = "zh"
        sign_in(at, url, "analyst")
        at.run()
        assert not at.exception, at.exception

    if not warm:
        import streamlit as st

        def cold() -> None:
            st.cache_data.clear()
            run()

        return median_ms(cold)
    run()
    return median_ms(run)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=5_000)
    args = ap.parse_args()
    path = Path(tempfile.mkdtemp()) / "bench_analysis.sqlite"
    url = f"sqlite:///{path}"
    engine = open_database(url)
    generate(engine, customers=args.customers, seed=42, as_of=AS_OF)  # with its own half-yearly tier history
    print(f"customers: {args.customers:,}")
    for label, f in (
        ("quarter", Filters(dt.date(2026, 4, 1), AS_OF)),
        ("year", Filters(dt.date(2025, 7, 1), AS_OF)),
    ):
        with engine.connect() as conn:
            read = median_ms(lambda conn=conn, f=f: cr.roi_frames(conn=conn, filters=f))
            frames = cr.roi_frames(conn=conn, filters=f)
            compute = median_ms(
                lambda f=f, frames=frames: cr.channel_totals_from_frames(
                    cr.channel_months_from_frames(frames, f)
                )
            )
            tiers = median_ms(lambda conn=conn, f=f: tr.region_tiers_yoy(conn=conn, filters=f))
        print(f"{label}: ROI frames read {read:.0f} ms ({len(frames.leads):,} leads), figures from frames "
              f"{compute:.0f} ms; region tiers year over year (two reads + figures) {tiers:.0f} ms")  # fmt: skip
        for page in ("channels.py", "regions.py"):
            print(
                f"  page {page}: cold {page_ms(url, page, f, False):.0f} ms, warm {page_ms(url, page, f, True):.0f} ms"
            )
    engine.dispose()


if __name__ == "__main__":
    main()
