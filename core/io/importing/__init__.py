"""Import what dealers' CRMs and spreadsheets export: customers, leads, follow-ups, purchases, defeats and
channel spend, from CSV or Excel, in one transaction with a per-row validation report.

Steps (one module each): ``reading`` (bytes → text cells), ``mapping`` (headers → fields), ``values`` and
``validate`` (text → typed values and issues), ``references`` and ``customers`` (names and keys → ids),
``rows`` (fields → model rows), ``store`` (stored rows, comparison), ``plan`` (what to write), ``commit``
(writing in one transaction), ``report`` (issues in words).
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
from sqlalchemy.engine import Engine

from core.io.importing.commit import ImportResult, Progress, run_import
from core.io.importing.fields import KINDS
from core.io.importing.mapping import Mapping, MappingError, load_mapping, mapping_from_dict, suggest_mapping
from core.io.importing.reading import ReadError, Table, read_table, unrecognised_separator
from core.io.importing.report import file_issue, report_csv, report_frame, report_xlsx
from core.io.importing.validate import parse_table

__all__ = [
    "KINDS",
    "ImportResult",
    "Mapping",
    "MappingError",
    "ReadError",
    "Table",
    "import_table",
    "import_bytes",
    "load_mapping",
    "mapping_from_dict",
    "read_table",
    "report_csv",
    "report_frame",
    "report_xlsx",
    "suggest_mapping",
]


def rejected(kind: str, exc: ReadError | MappingError, rows: int = 0) -> ImportResult:
    """The result for a file that cannot be imported at all, with its one file-level issue."""
    prefix = "file." if isinstance(exc, ReadError) else "mapping."
    return ImportResult(kind, rows, 0, file_issue(prefix + exc.code, exc.params))


def import_table(
    engine: Engine,
    table: Table,
    mapping: Mapping,
    *,
    only_valid: bool = False,
    dry_run: bool = False,
    create_missing: bool = True,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
    actor: str = "import",
) -> ImportResult:
    """Validate ``table`` with ``mapping`` and import it (see ``run_import``); a mapping that does not fit
    the file gives a rejected result with the reason instead of an exception. ``actor`` is audited."""
    if unrecognised_separator(table):
        return rejected(mapping.kind, ReadError("one_column", {"header": table.headers[0][:80]}))
    try:
        parsed = parse_table(table, mapping)
    except MappingError as exc:
        if table.kind == "csv" and len(table.headers) == 1 and re.search(r"\s", table.headers[0]):
            # one column whose header holds spaces, and it does not fit: most likely aligned columns
            return rejected(mapping.kind, ReadError("one_column", {"header": table.headers[0][:80]}))
        return rejected(mapping.kind, exc, len(table.frame))
    if progress:
        progress(0.3, "validated")
    return run_import(
        engine,
        parsed,
        only_valid=only_valid,
        dry_run=dry_run,
        create_missing=create_missing,
        progress=progress,
        now=now,
        actor=actor,
    )


def import_bytes(
    engine: Engine,
    data: bytes,
    kind: str,
    *,
    filename: str = "",
    mapping: Mapping | None = None,
    **options,
) -> ImportResult:
    """Read, validate and import a file's bytes; without a mapping the suggested one is used.

    Every outcome is an ``ImportResult``: committed (``committed``), a preview (``dry_run``), or rejected
    with its issues (a file that cannot be read, a mapping that does not fit, or bad rows without
    ``only_valid``). The database holds either the whole import or none of it.
    """
    try:
        table = read_table(data, filename)
    except ReadError as exc:
        return rejected(kind, exc)
    if mapping is None:
        mapping = Mapping(kind, dict(suggest_mapping(table.headers, kind)))
    return import_table(engine, table, mapping, **options)


def empty_issues() -> pd.DataFrame:
    return file_issue("file.empty", {}).iloc[:0]
