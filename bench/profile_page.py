"""Profile one filtered page's cold render and warm reruns (AppTest) at 1M customers with yappi (all threads).

Usage: python bench/profile_page.py PAGE [--db /work/bench-data/1m.sqlite] [--top 40]
Prints the functions with the most total time (own + callees) of the cold run, then of the warm reruns.
Needs ``pip install yappi`` (a developer tool, not a dependency of the app).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_pages import APP, DEFAULT_DB, filter_steps, filtered_pages, last_day, sign_in_token  # noqa: E402


def show(title: str, top: int) -> None:
    import yappi

    print(f"\n==== {title}")
    stats = yappi.get_func_stats()
    stats.sort("ttot", "desc")
    for s in list(stats)[:top]:
        print(
            f"{s.ttot:8.3f} {s.tsub:8.3f} {s.ncall:8d}  {s.module.replace(str(ROOT) + '/', '')}:{s.lineno} {s.name}"
        )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("page")
    p.add_argument("--db", type=Path, default=DEFAULT_DB)
    p.add_argument("--top", type=int, default=40)
    a = p.parse_args()
    import yappi
    from streamlit.testing.v1 import AppTest

    token = sign_in_token(f"sqlite:///{a.db}")
    yappi.set_clock_type("cpu")
    yappi.start()
    t0 = time.perf_counter()
    at = AppTest.from_file(str(APP), default_timeout=900)
    at.secrets["database_url"] = f"sqlite:///{a.db}"
    at.session_state["lang"] = "zh"
    at.session_state["auth_token"] = token
    if a.page != "overview":
        at.switch_page(filtered_pages()[a.page])
    at.run()
    print(f"cold {time.perf_counter() - t0:.2f} s")
    yappi.stop()
    show("cold", a.top)
    yappi.clear_stats()
    yappi.start()
    for step in filter_steps(last_day(a.db)):
        for key, value in step.items():
            w = at.sidebar.date_input(key=key) if key == "f_period" else at.sidebar.multiselect(key=key)
            w.set_value(value)
        t0 = time.perf_counter()
        at.run()
        print(f"warm {time.perf_counter() - t0:.3f} s after {step}")
    yappi.stop()
    show("warm (all reruns)", a.top)


if __name__ == "__main__":
    main()
