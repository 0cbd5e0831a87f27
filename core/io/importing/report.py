"""The validation report: one line per problem with row, column, value, what is wrong and how to fix it."""

from __future__ import annotations

import pandas as pd

from core.io.exports import csv_bytes, xlsx_bytes
from core.io.importing.messages import TEXT, text
from core.io.importing.validate import ISSUE_COLUMNS


def file_issue(code: str, params: dict, column: str | None = None) -> pd.DataFrame:
    """A problem of the whole file (no row number), e.g. ``file.encoding`` or ``mapping.required``."""
    return pd.DataFrame([{"row": None, "column": column, "value": None, "code": code, "params": params}])[
        ISSUE_COLUMNS
    ]


def _fix(code: str, params: dict, lang: str, audience: str) -> str:
    if audience == "cli":  # the command line names the flag or mapping key that fixes it
        for key in (f"cli.fix.{code}", "cli.fix." + code.split(".")[0]):
            if key in TEXT:
                return text(key, lang, **params)
    if code.startswith("file."):
        return text("fix.file", lang)
    if code.startswith("mapping."):
        return text("fix.mapping", lang)
    key = f"fix.{code}"
    return text(key, lang, **params) if key in TEXT else ""


def report_frame(issues: pd.DataFrame, lang: str = "zh", audience: str = "page") -> pd.DataFrame:
    """The issues in words, in the given language (zh or en), sorted by row; ``audience`` "cli" says how to
    fix a problem with the command's flags and mapping keys instead of the page's widgets.

    Examples
    --------
    >>> issues = pd.DataFrame([{"row": 3, "column": "手机号", "value": "abc", "code": "bad_phone", "params": {}}])
    >>> report_frame(issues, "en").iloc[0].tolist()[:4]
    [3, '手机号', 'abc', 'not a phone number']
    >>> report_frame(file_issue("mapping.date_order", {"value": "YMD"}), "en", "cli").iloc[0, 4]
    'Write "date_order": "DMY" or "MDY" in the --mapping file.'
    """
    rows = []
    for r in issues.itertuples(index=False):
        params = r.params or {}
        problem = text(r.code, lang, **params) if r.code in TEXT else r.code
        rows.append(
            {
                text("report.row", lang): text("report.file", lang) if pd.isna(r.row) else int(r.row),
                text("report.column", lang): r.column,
                text("report.value", lang): None if r.value is None or pd.isna(r.value) else r.value,
                text("report.problem", lang): problem,
                text("report.fix", lang): _fix(r.code, params, lang, audience),
            }
        )
    cols = [text(f"report.{c}", lang) for c in ("row", "column", "value", "problem", "fix")]
    return pd.DataFrame(rows, columns=cols, dtype=object)


def report_csv(issues: pd.DataFrame, lang: str = "zh", audience: str = "page") -> bytes:
    """The report as CSV for Excel (values that look like formulas are neutralised). Values are not masked:
    the report goes back to the person who uploaded the file and holds only what that file holds."""
    return csv_bytes(report_frame(issues, lang, audience), show_pii=True)


def report_xlsx(issues: pd.DataFrame, lang: str = "zh") -> bytes:
    return xlsx_bytes(report_frame(issues, lang), sheet="report", show_pii=True)
