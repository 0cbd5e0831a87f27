"""The benchmark's naive baseline (bench/naive_sql.py: each page's figures in plain SQL on SQLite) agrees with
the in-memory facts on demo data with a tier history, for the filter sets the benchmark uses: the same check
bench/bench_pages.py prints at 1M customers, run here on every change."""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from pathlib import Path

import pytest
from tier_history import publish_second_version

from core.storage.db import open_database

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench"))

import bench_pages  # noqa: E402
import naive_sql  # noqa: E402


@pytest.fixture(scope="module")
def history_db(demo_db, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("naive") / "history.sqlite"
    with sqlite3.connect(demo_db.engine.url.database) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    engine = open_database(f"sqlite:///{path}")  # the demo's own tier history, then one more version
    publish_second_version(engine, at=dt.datetime(2026, 6, 30, 12, 0))
    engine.dispose()
    return path


def test_every_filtered_page_has_a_baseline():
    assert set(bench_pages.filtered_pages()) == set(naive_sql.PAGE_SQL) == set(naive_sql.PAGE_FACTS)


def test_the_naive_sql_agrees_with_the_facts(history_db):
    got = bench_pages.baseline_and_check(history_db, sorted(naive_sql.PAGE_SQL))
    for page in naive_sql.PAGE_SQL:
        assert got[page]["problems"] == [], page
        assert got[page]["figures"] > 20, page  # the comparison compares something
    # a year-over-year comparison with customers on both sides, and customers moving between tiers
    with sqlite3.connect(history_db) as raw:
        regions = naive_sql.regions_sql(
            raw, bench_pages.filters_after(bench_pages.last_day(history_db))[0], None
        )
    assert regions["now"] and regions["before"]
    assert any(x != y for x, y, _ in regions["moves"])
