"""Files people open in Excel: UTF-8 with a byte-order mark, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix text that a spreadsheet would treat as a formula with a quote, so it stays text.

    Examples
    --------
    >>> neutralise('=HYPERLINK("http://x")')
    '\\'=HYPERLINK("http://x")'
    >>> neutralise("王小明"), neutralise(-3)
    ('王小明', -3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell neutralised (numbers are left as they are)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


def write_csv(frame: pd.DataFrame, path: Path | str) -> None:
    """CSV for Excel users: utf-8-sig, text cells neutralised, written to a temporary file then renamed."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    try:
        safe_frame(frame).to_csv(tmp, index=False, encoding="utf-8-sig")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # no half-written or orphaned temporary file after a failure
        raise


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as CSV for a download: utf-8-sig (Excel reads the Chinese right), formula-like text neutralised.

    Examples
    --------
    >>> csv_bytes(pd.DataFrame({"原因": ["价格", "=1+1"], "n": [2, 1]})).decode("utf-8-sig").splitlines()
    ['原因,n', '价格,2', "'=1+1,1"]
    """
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, *, sheet: str = "data") -> bytes:
    """A table as an Excel workbook (one sheet, header row first; openpyxl), formula-like text neutralised."""
    buffer = BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe_frame(frame).to_excel(writer, sheet_name=sheet[:31], index=False)
    return buffer.getvalue()
