"""``python -m core facts build``: write the analysis pages' facts snapshot now, so no user waits for it.

Run it after loading new data (e.g. after the nightly import): the app's next start, or its next rerun after
the data changed, then maps the snapshot in a fraction of a second instead of reading the facts from the
database (about half a minute at a million customers). See :mod:`core.analytics.facts_snapshot` for where it goes.
"""

from __future__ import annotations

import argparse
import sys
import time


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``facts build`` on the CLI's sub-command parsers."""
    facts = subparsers.add_parser("facts", help="the analysis pages' in-memory facts: build the snapshot")
    actions = facts.add_subparsers(dest="facts_command", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="read the facts and write their snapshot for the current data")
    build.add_argument(
        "--db", metavar="URL", default=argparse.SUPPRESS, help="database URL (SQLAlchemy form)"
    )


def run(url: str, args: argparse.Namespace) -> int:
    from core.analytics import facts as cf
    from core.analytics import facts_snapshot as snap
    from core.storage.db import mask_url, open_database

    folder = snap.snapshot_dir(url)
    if folder is None:
        print(
            f"error: no snapshot folder for {mask_url(url)}: set {snap.ENV_VAR} to a folder the app can read "
            "(server databases and in-memory SQLite have none by default; 'off' switches snapshots off)",
            file=sys.stderr,
        )
        return 2
    engine = open_database(url)
    t0 = time.perf_counter()
    events = snap.load_event_facts(engine, cache_dir=folder)
    tiers = snap.load_tier_facts(engine, cache_dir=folder)
    with engine.connect() as conn:
        current = cf.facts_key(conn) == events.key and cf.tier_key(conn) == tiers.key
    written = [p for p in folder.glob("*.facts")] if folder.is_dir() else []
    if not current or len(written) < 2:
        print(
            f"error: the snapshot in {folder} could not be written, or data changed while reading; run again",
            file=sys.stderr,
        )
        return 2
    size = sum(p.stat().st_size for p in written) / 2**20
    print(
        f"facts of {mask_url(url)} ({len(events.leads['id']):,} leads, {len(events.defeats['id']):,} defeats, "
        f"{len(tiers.score):,} tier assignments) in {folder}: {size:,.0f} MB, {time.perf_counter() - t0:.1f} s"
    )
    return 0
