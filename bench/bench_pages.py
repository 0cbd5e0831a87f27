"""Benchmark of the filtered analysis pages at 1M customers: first render (cold), rerun after a filter change
(warm), against a naive baseline (plain SQL GROUP BY on SQLite on every rerun), and the app's peak memory.

Usage:
    python bench/bench_pages.py [--db /work/bench-data/1m.sqlite] [--skip-first-load] [--pages overview,funnel]

Generate the database once, outside git, and reuse it:
    python -m core demo --customers 1000000 --seed 42 --as-of 2026-06-30 --db sqlite:////work/bench-data/1m.sqlite

Pages: every url path in ``FILTERED_PAGES`` of dashboard/app.py (read from the source), with the file its
``st.Page(...)`` registers; a page added there is benchmarked from then on. Its naive baseline and check are
``bench/naive_sql.py``'s ``PAGE_SQL`` / ``PAGE_FACTS`` (a page without one is timed, and the table says so).

What is measured, each in a new Python process (started from a small launcher, so ru_maxrss is its own):
- cold (median of 3 such processes): streamlit, pandas and numpy already imported (not counted; the import time is printed), empty
  Streamlit caches (new process), the facts snapshot present on disk (and, having just been used, in the
  OS page cache); the clock covers ``AppTest.from_file(dashboard/app.py)`` + the first ``run()`` with the page
  selected: app.py, the sidebar filters, the page, loading the facts from the snapshot, any SQL it runs;
- first load without a snapshot: the same for the overview, with ``FACTS_CACHE_DIR`` on an empty folder
  (reads the facts from SQLite and writes the snapshot);
- warm: after the cold run, the median of 5 reruns, each after a filter change (store; + channel; + a 90-day
  period; region instead of store and channel; another month) — every one a filter set not seen before;
- naive baseline: the page's figures for the same 5 filter sets with plain SQL GROUP BY queries on SQLite
  (bench/naive_sql.py), median; its numbers are compared with the facts' (an independent check);
- memory: peak RSS (ru_maxrss) of one app process that renders every page and reruns each 5 times.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

APP = ROOT / "dashboard" / "app.py"
DEFAULT_DB = Path("/work/bench-data/1m.sqlite")
TARGET_COLD_S = 3.0
TARGET_WARM_S = 0.5
COLD_RUNS = 3  # cold = median of this many new processes (the machine is shared: one run can be unlucky)
_LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def filtered_pages() -> dict[str, str]:
    """url path → page file (relative to dashboard/, as AppTest.switch_page takes it) of FILTERED_PAGES."""
    tree = ast.parse(APP.read_text(encoding="utf-8"))
    listed: list[str] = []
    files: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", "") == "FILTERED_PAGES" for t in node.targets
        ):
            listed = [ast.literal_eval(e) for e in node.value.elts]  # type: ignore[attr-defined]
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "PageSpec":  # the page registry
            files[ast.literal_eval(node.args[4])] = f"../pages/{ast.literal_eval(node.args[1])}"
    order = ["overview", "funnel", "defeats", "tiers"]
    pages = sorted((p for p in listed if p), key=lambda p: (order.index(p) if p in order else len(order), p))
    return {p: files.get(p, f"../pages/{p}.py") for p in pages}


def filter_steps(last: dt.date) -> list[dict]:
    """The sidebar changes of the warm reruns, each giving a filter set not seen before."""
    d90 = (last - dt.timedelta(days=89), last)
    return [
        {"f_store": [1]},
        {"f_channel": [2]},
        {"f_period": d90},
        {"f_store": [], "f_channel": [], "f_region": [3]},
        {"f_region": [], "f_period": (dt.date(2026, 3, 1), dt.date(2026, 3, 31))},
    ]


def filters_after(last: dt.date):
    """The Filters of the cold run and after each step (as the sidebar builds them)."""
    from core.analytics.overview import Filters

    state = {"f_period": (last - dt.timedelta(days=29), last), "f_store": [], "f_region": [], "f_channel": []}
    out = [Filters(*state["f_period"])]
    for step in filter_steps(last):
        state.update(step)
        p = state["f_period"]
        out.append(
            Filters(p[0], p[1], tuple(state["f_store"]), tuple(state["f_region"]), tuple(state["f_channel"]))
        )
    return out


def last_day(db: Path) -> dt.date:
    with sqlite3.connect(db) as conn:
        return dt.date.fromisoformat(conn.execute("SELECT MAX(created_at) FROM leads").fetchone()[0][:10])


# ---- the child: one app process ------------------------------------------------------------------------------


def _hwm_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def sign_in_token(url: str, role: str = "manager") -> str:
    """A session token of the demo account of ``role`` (created on a database that has none yet)."""
    sys.path.insert(0, str(ROOT))
    from tests.signin import sign_in

    class _Holder:  # sign_in wants something with a session_state mapping
        session_state: dict = {}

    holder = _Holder()
    sign_in(holder, url, role)  # type: ignore[arg-type]
    return holder.session_state["auth_token"]


def child(db: Path, pages: list[str], reruns: bool) -> dict:
    t0 = time.perf_counter()
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import streamlit  # noqa: F401
    from streamlit.testing.v1 import AppTest

    out: dict = {"import_s": time.perf_counter() - t0, "pages": {}}
    files = filtered_pages()
    last = last_day(db)
    for page in pages:
        token = sign_in_token(f"sqlite:///{db}")  # signing in is not part of a page's render
        t0 = time.perf_counter()
        at = AppTest.from_file(str(APP), default_timeout=900)
        at.secrets["database_url"] = f"sqlite:///{db}"
        at.session_state["lang"] = "zh"
        at.session_state["auth_token"] = token
        if page != "overview":
            at.switch_page(files[page])
        at.run()
        cold = time.perf_counter() - t0
        if at.exception:
            raise RuntimeError(f"{page}: {at.exception[0].value}")
        title = at.title[0].value if at.title else "?"
        warm = []
        if reruns:
            for step in filter_steps(last):
                for key, value in step.items():
                    widget = (
                        at.sidebar.date_input(key=key)
                        if key == "f_period"
                        else at.sidebar.multiselect(key=key)
                    )
                    widget.set_value(value)
                t0 = time.perf_counter()
                at.run()
                warm.append(time.perf_counter() - t0)
                if at.exception:
                    raise RuntimeError(f"{page} after {step}: {at.exception[0].value}")
        out["pages"][page] = {"cold_s": cold, "warm_s": warm, "title": title}
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["hwm_mb"] = _hwm_mb()
    return out


def run_child(db: Path, pages: list[str], *, reruns: bool, env: dict | None = None) -> dict:
    cmd = [sys.executable, "-c", _LAUNCHER, sys.executable, str(Path(__file__).resolve()), "--child"]
    cmd += ["--db", str(db), "--pages", ",".join(pages)] + ([] if reruns else ["--no-reruns"])
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=3600,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---- baseline and check, in this process ------------------------------------------------------------------------


def _same(a, b, path="") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(a)} != {sorted(b)}"]
        return [m for k in a for m in _same(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [m for i, (x, y) in enumerate(zip(a, b, strict=True)) for m in _same(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        money = type(a).__name__ == "Money" or type(b).__name__ == "Money"  # naive_sql.Money: to the fen
        return [] if abs(a - b) <= (0.01 + 1e-9 if money else 1e-6) else [f"{path}: {a} != {b}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def baseline_and_check(db: Path, pages: list[str]) -> dict:
    import naive_sql

    from core.analytics import facts_analysis
    from core.analytics import facts_snapshot as snap
    from core.analytics.overview import published_scheme
    from core.storage.db import open_database

    url = f"sqlite:///{db}"
    engine = open_database(url)
    facts = snap.load_event_facts(engine, cache_dir=snap.snapshot_dir(url))
    tiers = snap.load_tier_facts(engine, cache_dir=snap.snapshot_dir(url))
    with engine.connect() as conn:
        scheme = published_scheme(conn=conn)
        roi_reference = facts_analysis.roi_reference(conn=conn)
    first_label = (scheme or {}).get("params", {}).get("labels", [None])[0]

    def people(ids: list[int]):
        from core.analytics.defeats import _people

        with engine.connect() as conn:
            return _people(conn, ids)

    last = last_day(db)
    sets = filters_after(last)[1:]
    out = {}
    raw = sqlite3.connect(db)
    for page in pages:
        sql_fn, facts_fn = naive_sql.PAGE_SQL.get(page), naive_sql.PAGE_FACTS.get(page)
        if sql_fn is None:
            out[page] = None
            continue
        extra = {"tier": first_label} if page == "tiers" else {}
        times, problems, figures = [], [], 0
        for f in sets:
            t0 = time.perf_counter()
            got = sql_fn(raw, f, last, **extra)
            times.append(time.perf_counter() - t0)
            kwargs = {"people": people, **extra} if page in ("defeats", "tiers") else {}
            if page == "channels":
                kwargs = {"reference": roi_reference}
            mine = facts_fn(facts, tiers, scheme, f, last, **kwargs)
            problems += [f"{f}: {m}" for m in _same(got, mine)]
            figures += _count(got)
        out[page] = {"baseline_s": times, "problems": problems, "figures": figures}
    return out | {"_facts_mb": (facts.nbytes + tiers.nbytes) / 2**20}


def _count(x) -> int:
    if isinstance(x, dict):
        return sum(_count(v) for v in x.values())
    if isinstance(x, tuple | list):
        return sum(_count(v) for v in x)
    return 1


# ---- main ---------------------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, default=DEFAULT_DB)
    ap.add_argument("--pages", default="", help="comma-separated url paths (default: FILTERED_PAGES)")
    ap.add_argument("--skip-first-load", action="store_true", help="skip the load without a snapshot")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--no-reruns", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    pages = [p for p in args.pages.split(",") if p] or list(filtered_pages())
    if args.child:
        print(json.dumps(child(args.db, pages, not args.no_reruns)))
        return
    if not args.db.is_file():
        sys.exit(f"error: no database at {args.db}; generate it first (see --help)")

    import numpy as np
    import pandas as pd

    with sqlite3.connect(args.db) as conn:
        customers = conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
        leads = conn.execute("SELECT COUNT(*) FROM leads").fetchone()[0]
    print(
        f"bench_pages: {customers:,} customers, {leads:,} leads in {args.db}; python {sys.version.split()[0]}, "
        f"pandas {pd.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} (the machine is shared)"
    )
    print(f"pages (FILTERED_PAGES of dashboard/app.py): {', '.join(pages)}")

    if not args.skip_first_load:
        empty = Path(tempfile.mkdtemp(prefix="bench-pages-nosnap-"))
        try:
            first = run_child(args.db, ["overview"], reruns=False, env={"FACTS_CACHE_DIR": str(empty)})
        finally:
            shutil.rmtree(empty, ignore_errors=True)
        print(
            f"\nvery first load, no snapshot (new process, FACTS_CACHE_DIR empty): overview first render "
            f"{first['pages']['overview']['cold_s']:.1f} s — reads the facts from SQLite and writes the snapshot; "
            f"that process's peak RSS {first['peak_mb']:,.0f} MB"
        )
    run_child(args.db, ["overview"], reruns=False)  # makes sure the snapshot beside the database is current

    rows = {}
    for page in pages:
        got = run_child(args.db, [page], reruns=True)
        rows[page] = got["pages"][page] | {"import_s": got["import_s"], "peak_mb": got["peak_mb"]}
        more = [
            run_child(args.db, [page], reruns=False)["pages"][page]["cold_s"] for _ in range(COLD_RUNS - 1)
        ]
        rows[page]["cold_all"] = [rows[page]["cold_s"], *more]
        rows[page]["cold_s"] = statistics.median(rows[page]["cold_all"])
    together = run_child(args.db, pages, reruns=True)
    check = baseline_and_check(args.db, pages)

    print(
        "\ncold = new process (imports done first, not counted), empty Streamlit caches, snapshot on disk: "
        f"AppTest.from_file + first run of app.py with the page; median of {COLD_RUNS} processes"
    )
    print("warm = median of 5 reruns, each after a filter change to a new filter set (AppTest, full rerun)")
    print(
        "naive = the page's figures with plain SQL GROUP BY on SQLite for each of those 5 filter sets, median\n"
    )
    head = (
        f"{'page':<10} {'cold s':>7} {'≤3 s':>6} {'warm s':>7} {'≤0.5 s':>7} {'naive s':>8} "
        f"{'naive÷warm':>10}  {'check against naive SQL':<40}"
    )
    print(head)
    print("-" * len(head))
    for page in pages:
        r = rows[page]
        warm = statistics.median(r["warm_s"])
        c = check.get(page)
        if c is None:
            naive, ratio, verdict = "—", "—", "no baseline yet (add it to bench/naive_sql.py)"
        else:
            b = statistics.median(c["baseline_s"])
            naive, ratio = f"{b:.2f}", f"{b / warm:.1f}×"
            verdict = (
                f"equal ({c['figures']:,} numbers)"
                if not c["problems"]
                else f"DIFFERENT: {len(c['problems'])}: {c['problems'][0][:200]}"
            )
        print(
            f"{page:<10} {r['cold_s']:>7.2f} {'met' if r['cold_s'] <= TARGET_COLD_S else 'MISSED':>6} "
            f"{warm:>7.3f} {'met' if warm <= TARGET_WARM_S else 'MISSED':>7} {naive:>8} {ratio:>10}  {verdict}"
        )
    print("\nall reruns (s):")
    for page in pages:
        r = rows[page]
        c = check.get(page)
        naive = "" if c is None else "; naive " + ", ".join(f"{x:.2f}" for x in c["baseline_s"])
        cold = ", ".join(f"{x:.2f}" for x in r["cold_all"])
        print(f"  {page:<9} cold {cold}; warm " + ", ".join(f"{x:.3f}" for x in r["warm_s"]) + naive)
    imports = statistics.median(r["import_s"] for r in rows.values())
    print(f"\nimports before the cold clock (streamlit, pandas, numpy, AppTest): {imports:.1f} s")
    print(
        f"memory: one app process rendering all {len(pages)} pages and rerunning each 5 times: peak RSS "
        f"(ru_maxrss) {together['peak_mb']:,.0f} MB (VmHWM {together['hwm_mb']:,.0f} MB); the facts' arrays "
        f"{check['_facts_mb']:,.0f} MB; per page process: "
        + ", ".join(f"{p} {rows[p]['peak_mb']:,.0f} MB" for p in pages)
    )
    print(
        "same process, cold then warm: "
        + ", ".join(
            f"{p} {v['cold_s']:.2f} s / {statistics.median(v['warm_s']):.3f} s"
            for p, v in together["pages"].items()
        )
    )


if __name__ == "__main__":
    main()
