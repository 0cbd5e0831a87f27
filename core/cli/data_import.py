"""``python -m core import``: load a CRM/Excel export into the database in one transaction."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from core.io.importing import KINDS, ImportResult, MappingError, import_bytes, load_mapping, report_frame
from core.io.importing.report import file_issue, report_csv

SHOWN_PROBLEMS = 10


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="import customers, leads, follow-ups, purchases, defeats or channel spend from CSV/Excel",
        description="Import a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or Excel (.xlsx) file in one "
        "transaction. Without --mapping the columns are matched by their Chinese or English headers.",
    )
    p.add_argument("--kind", choices=KINDS, required=True, help="what the file holds")
    p.add_argument("file", type=Path, metavar="FILE", help="the CSV or .xlsx file")
    p.add_argument(
        "--mapping", type=Path, metavar="MAP.json", help="column mapping (see core/io/importing/mappings)"
    )
    p.add_argument(
        "--valid-only", action="store_true", help="import the valid rows and skip rows with problems"
    )
    p.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
    p.add_argument(
        "--report", type=Path, metavar="OUT.csv", help="write the validation report to this CSV file"
    )
    p.add_argument(
        "--no-create",
        action="store_true",
        help="treat unknown stores, channels, regions and advisors as errors instead of creating them",
    )
    p.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help="database URL (SQLAlchemy form)")


def cli_fix(code: str, params: dict) -> str:
    """How to fix a problem with this command's flags and mapping keys."""
    return str(report_frame(file_issue(code, params), "en", "cli").iloc[0, 4])


def problem_line(row: object, column: object, value: object, problem: str, fix: str) -> str:
    """One report line: ``row 4, 手机号 '电话未知': not a phone number. Use …`` (no column or value when the
    problem is the whole line)."""
    where = f"row {row}"
    if column is not None and not pd.isna(column):
        where += f", {column}"
        if value is not None and not pd.isna(value):
            where += f" {value!r}"
    return f"{where}: {problem}. {fix}"


def summary(res: ImportResult) -> str:
    """One line saying what the import did (or would do)."""
    created = "; ".join(
        f"new {t}: {', '.join(n[:5])}{' …' if len(n) > 5 else ''}" for t, n in res.references_created.items()
    )
    parts = [
        f"{res.kind}: {res.rows:,} rows, {res.valid_rows:,} valid",
        f"{res.inserted:,} added, {res.updated:,} updated, {res.unchanged:,} unchanged, {res.merged:,} duplicates merged",
    ]
    if res.kind != "customers":
        parts.append(f"{res.customers_created:,} customers created")
    if created:
        parts.append(created)
    return "; ".join(parts) + f" ({res.seconds:.1f} s)"


def run(url: str, args: argparse.Namespace) -> int:
    from core.storage.db import open_database

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    mapping = None
    if args.mapping:
        try:
            mapping = load_mapping(args.mapping, args.kind)
        except MappingError as exc:
            print(f"error: {exc}. {cli_fix('mapping.' + exc.code, exc.params)}", file=sys.stderr)
            return 2
    engine = open_database(url)
    last = [-1]

    def progress(fraction: float, what: str) -> None:
        pct = int(fraction * 100)
        if pct // 10 != last[0] // 10:
            print(f"  {pct:3d}%  {what}", file=sys.stderr)
            last[0] = pct

    res = import_bytes(
        engine,
        data,
        args.kind,
        filename=args.file.name,
        mapping=mapping,
        only_valid=args.valid_only,
        dry_run=args.dry_run,
        create_missing=not args.no_create,
        progress=progress,
    )
    if args.report:
        try:
            args.report.write_bytes(report_csv(res.issues, "en", "cli"))
        except OSError as exc:
            print(f"error: cannot write {args.report}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    report = report_frame(res.issues, "en", "cli")
    if res.file_rejected:
        problem, fix = report.iloc[0, 3], report.iloc[0, 4]
        print(f"error: {args.file} cannot be imported: {problem.rstrip('.')}. {fix}", file=sys.stderr)
        return 2
    for row in report.head(SHOWN_PROBLEMS).itertuples(index=False):
        print("  " + problem_line(*row))
    if len(report) > SHOWN_PROBLEMS:
        print(
            f"  … {len(report) - SHOWN_PROBLEMS:,} more problems"
            + (f" in {args.report}" if args.report else "")
        )
    if res.error_rows and not args.valid_only:
        where = f" (report: {args.report})" if args.report else " (use --report FILE.csv for all of them)"
        print(
            f"error: {res.error_rows:,} of {res.rows:,} rows have problems{where}; nothing was imported. "
            "Fix them and import again, or use --valid-only to import the valid rows.",
            file=sys.stderr,
        )
        return 2
    print(("dry run, nothing written: " if args.dry_run else "imported: ") + summary(res))
    return 0
