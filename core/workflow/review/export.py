"""The meeting's workbook: the agenda's rows with codes kept, a summary sheet, and the Excel file."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.workflow.review.agenda import progress

EXPORT_COLUMNS = (
    "advisor",
    "customer_id",
    "customer_name",
    "old_tier",
    "new_tier",
    "old_score",
    "new_score",
    "rule",
    "reasons",
    "decision",
    "decided_tier",
    "reason",
    "note",
    "expires_at",
    "discussed",
    "decided_by",
    "decided_at",
)


def export_frame(
    agenda: pd.DataFrame, *, dimension_label=str, rule_label=str, reasons_text=None
) -> pd.DataFrame:
    """The meeting's rows for the workbook, codes kept (the page translates headers and codes): reasons as
    text ("dimension +12.3；…"), or as ``reasons_text(reasons, old_score, new_score)`` writes them (the page's
    own wording, so screen and workbook say the same)."""
    out = agenda[list(EXPORT_COLUMNS)].copy()
    if reasons_text is None:
        out["reasons"] = [
            "；".join(f"{dimension_label(d)} {v:+.1f}" for d, v in (r or [])) for r in agenda["reasons"]
        ]
    else:
        out["reasons"] = [
            reasons_text(r, o, n)
            for r, o, n in zip(agenda["reasons"], agenda["old_score"], agenda["new_score"], strict=True)
        ]
    out["rule"] = [rule_label(r) if r else "" for r in agenda["rule"]]
    for col in ("old_score", "new_score"):
        out[col] = out[col].astype(float).round(1)
    return out


def workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An Excel workbook with one sheet per frame (header row first), text cells neutralised against
    formula injection (``core.io.exports.safe_frame``)."""
    from io import BytesIO

    from core.io.exports import safe_frame

    buffer = BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            safe_frame(frame).to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue()


# the summary sheet's rows, in order
SUMMARY_ROWS = ("week", "population", "baseline", "cutoff", "total", "reviewed", "overridden")


def summary_frame(meeting: Mapping[str, Any], agenda: pd.DataFrame) -> pd.DataFrame:
    """The summary sheet with codes kept: ``item`` (``SUMMARY_ROWS``) and ``value`` (the meeting's week,
    population, baseline ("—" before the first meeting), cut-off, and the agenda's total, reviewed, overridden).

    Examples
    --------
    >>> import datetime as dt
    >>> m = {"week_start": dt.date(2026, 11, 30), "population": "owners", "baseline_at": None,
    ...      "cutoff_at": dt.datetime(2026, 12, 1, 9, 0)}
    >>> a = pd.DataFrame({"decision": ["confirmed", None], "discussed": [False, False]})
    >>> summary_frame(m, a)["value"].tolist()
    ['2026-11-30', 'owners', '—', '2026-12-01 09:00:00', 2, 1, 0]
    """
    p = progress(agenda)
    values = [
        str(meeting["week_start"]),
        meeting["population"],
        str(meeting["baseline_at"] or "—"),
        str(meeting["cutoff_at"]),
        p["total"],
        p["reviewed"],
        p["overridden"],
    ]
    return pd.DataFrame({"item": list(SUMMARY_ROWS), "value": pd.Series(values, dtype=object)})


def _same(code: str) -> str:
    return code


@dataclass(frozen=True)
class ExportText:
    """The workbook's wording, in the reader's language: sheet names, headers (``headers`` by
    ``EXPORT_COLUMNS`` code, ``summary_rows`` by ``SUMMARY_ROWS`` code) and how codes read (a tier, a
    decision, a trigger rule, a population; ``reasons(reasons, old_score, new_score)`` as the screen writes
    them)."""

    sheet: str
    summary_sheet: str
    headers: Mapping[str, str]
    item_header: str
    value_header: str
    summary_rows: Mapping[str, str]
    tier: Callable[[str], str] = _same
    decision: Callable[[str], str] = _same
    rule: Callable[[str], str] = _same
    population: Callable[[str], str] = _same
    reasons: Callable[..., str] | None = None


def export_sheets(
    meeting: Mapping[str, Any], agenda: pd.DataFrame, *, text: ExportText
) -> dict[str, pd.DataFrame]:
    """The workbook's two sheets, worded by ``text``: the agenda (``export_frame`` with tiers, decisions and
    the discussed flag (✓) read out) and the summary (``summary_frame``)."""
    frame = export_frame(agenda, rule_label=text.rule, reasons_text=text.reasons)
    for col in ("old_tier", "new_tier", "decided_tier"):
        frame[col] = frame[col].map(lambda x: text.tier(x) if isinstance(x, str) else x)
    frame["decision"] = frame["decision"].map(lambda x: text.decision(x) if isinstance(x, str) else "")
    frame["discussed"] = frame["discussed"].map(lambda x: "✓" if x else "")
    codes = summary_frame(meeting, agenda)
    summary = pd.DataFrame(
        {
            text.item_header: [text.summary_rows[c] for c in codes["item"]],
            text.value_header: [
                text.population(v) if c == "population" else v
                for c, v in zip(codes["item"], codes["value"], strict=True)
            ],
        }
    )
    return {text.sheet: frame.rename(columns=dict(text.headers)), text.summary_sheet: summary}


def export_workbook(meeting: Mapping[str, Any], agenda: pd.DataFrame, *, text: ExportText) -> bytes:
    """The meeting's Excel workbook (``export_sheets`` written by ``workbook``)."""
    return workbook(export_sheets(meeting, agenda, text=text))
