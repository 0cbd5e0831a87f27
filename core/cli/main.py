"""Command-line interface: ``python -m core --help``.

Every command takes ``--db URL`` (default: ``DATABASE_URL``, then ``.streamlit/secrets.toml``, then the
embedded SQLite file). Errors are one readable line on stderr and exit code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from core.cli import data_import as cli_import
from core.cli import facts as cli_facts
from core.cli import features as cli_features
from core.cli import keys as cli_keys
from core.cli import users as cli_users
from core.storage.bulk import NotEmptyError
from core.storage.db import (
    DatabaseError,
    check_connection,
    head_revision,
    make_engine,
    mask_url,
    open_database,
    schema_revision,
    upgrade,
)
from core.storage.settings import load_settings


def _db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help="database URL (SQLAlchemy form)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core", description="车商客户分级看板 — dealer customer-tiering dashboard"
    )
    parser.add_argument("--db", metavar="URL", default=None, help="database URL (SQLAlchemy form)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="write deterministic demo data into an empty database")
    demo.add_argument("--customers", type=int, default=5000, help="number of customers (default 5000)")
    demo.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    demo.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="last day of the generated history (default today)",
    )
    demo.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing (exit 0) when the database already holds customers, instead of refusing",
    )
    _db_option(demo)

    db = sub.add_parser("db", help="database schema: upgrade, status")
    dbsub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    for name, text in (
        ("upgrade", "upgrade the schema to the newest version"),
        ("status", "show the schema version"),
    ):
        _db_option(dbsub.add_parser(name, help=text))

    rescore = sub.add_parser("rescore", help="recompute tiers with the published scheme (the nightly job)")
    rescore.add_argument(
        "--population", choices=("owners", "leads", "all"), default="all", help="default: all"
    )
    rescore.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="score the data as of this day (default today)",
    )
    _db_option(rescore)

    tiers = sub.add_parser("tiers", help="current tier assignments: export")
    tiers_sub = tiers.add_subparsers(dest="tiers_command", required=True, metavar="ACTION")
    export = tiers_sub.add_parser(
        "export", help="write customer id, tier, score and scheme version to a CSV file"
    )
    export.add_argument("--out", type=Path, required=True, metavar="FILE.csv")
    export.add_argument("--population", choices=("owners", "leads"), default=None, help="default: both")
    _db_option(export)

    cli_features.add_commands(sub)
    cli_users.add_commands(sub)
    cli_facts.add_commands(sub)
    cli_import.add_commands(sub)
    cli_keys.add_commands(sub)
    return parser


def _cmd_rescore(url: str, args: argparse.Namespace) -> int:
    from core.scoring.publishing import rescore

    engine = open_database(url)
    populations = ["owners", "leads"] if args.population == "all" else [args.population]
    for population in populations:
        t0 = time.perf_counter()
        try:
            scheme, n = rescore(engine, population=population, as_of=args.as_of)
        except LookupError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(
            f"{population}: {n:,} customers rescored with version {scheme.version} ({scheme.name}) in {time.perf_counter() - t0:.1f} s"
        )
    return 0


def _cmd_tiers(url: str, args: argparse.Namespace) -> int:
    from core.io.exports import write_csv
    from core.scoring.publishing import export_tiers

    engine = open_database(url)
    with engine.connect() as conn:
        frame = export_tiers(conn=conn, population=args.population)
    try:
        write_csv(frame, args.out)
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"{len(frame):,} assignments written to {args.out}")
    return 0


def _cmd_demo(url: str, args: argparse.Namespace) -> int:
    if args.customers < 1:
        print("error: --customers must be at least 1", file=sys.stderr)
        return 2
    from core.demo.generator import generate

    engine = open_database(url)
    if args.if_empty:
        from core.analytics.overview import customer_count

        with engine.connect() as conn:
            existing = customer_count(conn=conn)
        if existing:
            print(f"{mask_url(url)} already holds {existing:,} customers; no demo data written")
            return 0
    t0 = time.perf_counter()
    last = [-1]

    def progress(fraction: float, what: str) -> None:
        pct = int(fraction * 100)
        if pct // 10 != last[0] // 10:
            print(f"  {pct:3d}%  {what}", file=sys.stderr)
            last[0] = pct

    summary = generate(engine, customers=args.customers, seed=args.seed, as_of=args.as_of, progress=progress)
    rows = ", ".join(f"{k} {v:,}" for k, v in summary.rows.items())
    print(
        f"demo data written to {mask_url(url)} in {time.perf_counter() - t0:.1f} s (seed {args.seed}, as of {summary.as_of}): {rows}"
    )
    return 0


def _cmd_db(url: str, args: argparse.Namespace) -> int:
    engine = make_engine(url)
    check_connection(engine)
    if args.db_command == "upgrade":
        before, after = upgrade(engine)
        print(f"schema of {mask_url(url)}: {before or 'empty'} -> {after}")
    else:
        current, head = schema_revision(engine), head_revision()
        state = "up to date" if current == head else "needs `python -m core db upgrade`"
        print(f"schema of {mask_url(url)}: {current or 'empty'} (newest {head}): {state}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    url = load_settings(cli_db=args.db).database_url
    try:
        if args.command == "demo":
            return _cmd_demo(url, args)
        if args.command == "rescore":
            return _cmd_rescore(url, args)
        if args.command == "tiers":
            return _cmd_tiers(url, args)
        if args.command == "features":
            return cli_features.run(url, args)
        if args.command == "users":
            return cli_users.run(url, args)
        if args.command == "facts":
            return cli_facts.run(url, args)
        if args.command == "import":
            return cli_import.run(url, args)
        if args.command == "keys":
            return cli_keys.run(url, args)
        return _cmd_db(url, args)
    except DatabaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except NotEmptyError as exc:
        print(
            f"error: the database already holds data ({exc}); demo data goes only into an empty database. "
            "Use another --db, or delete the file.",
            file=sys.stderr,
        )
        return 2
