"""Files people open in Excel: UTF-8 with a byte-order mark, no cell a spreadsheet would run as a formula, and
personal data masked unless the person downloading may see it (``show_pii``; masked by default)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pandas as pd

from core.access.privacy import mask_name, mask_phone
from core.storage.models import pii_columns

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


def _pii_kinds() -> dict[str, str]:
    kinds: dict[str, str] = {}
    for cols in pii_columns().values():
        for c in cols:
            kinds[c] = "phone" if c == "phone" else "name" if c == "name" else "hidden"
    # the column titles the pages show for them
    kinds.update({"手机号": "phone", "Phone": "phone", "姓名": "name", "Name": "name"})
    return kinds


PII_KINDS = _pii_kinds()


def _mask(value: object, kind: str) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return value
    text = str(value)
    if "*" in text:  # already masked (e.g. a table the page shows masked)
        return text
    if kind == "phone":
        return mask_phone(text)
    if kind == "name":
        return mask_name(text)
    return "***"


def mask_pii(frame: pd.DataFrame, pii: dict[str, str] | None = None) -> pd.DataFrame:
    """A copy with personal data masked: phones keep 3 + 4 digits, names their first character, other
    personal columns (gender, birth date, notes) become ``***``.

    ``pii`` maps column → ``phone`` / ``name`` / ``hidden``; by default the columns flagged
    ``info={"pii": True}`` in the models, by their names, and the titles 手机号/姓名 (Phone/Name).

    Examples
    --------
    >>> mask_pii(pd.DataFrame({"name": ["王小明"], "phone": ["13812345678"], "n": ["x"]})).iloc[0].tolist()
    ['王**', '138****5678', 'x']
    """
    kinds = PII_KINDS if pii is None else pii
    out = frame.copy()
    for col in out.columns:
        kind = kinds.get(str(col))
        if kind:
            out[col] = out[col].astype(object).map(lambda v, k=kind: _mask(v, k))
    return out


def _shown(frame: pd.DataFrame, show_pii: bool, pii: dict[str, str] | None) -> pd.DataFrame:
    return safe_frame(frame if show_pii else mask_pii(frame, pii))


def write_csv(
    frame: pd.DataFrame, path: Path | str, *, show_pii: bool = False, pii: dict[str, str] | None = None
) -> None:
    """CSV for Excel users: utf-8-sig, text cells neutralised, written to a temporary file then renamed."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    try:
        _shown(frame, show_pii, pii).to_csv(tmp, index=False, encoding="utf-8-sig")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # no half-written or orphaned temporary file after a failure
        raise


def csv_bytes(frame: pd.DataFrame, *, show_pii: bool = False, pii: dict[str, str] | None = None) -> bytes:
    """A table as CSV for a download: utf-8-sig (Excel reads the Chinese right), formula-like text neutralised,
    personal data masked unless ``show_pii`` (the caller's permission; see ``mask_pii`` for ``pii``).

    Examples
    --------
    >>> csv_bytes(pd.DataFrame({"原因": ["价格", "=1+1"], "n": [2, 1]})).decode("utf-8-sig").splitlines()
    ['原因,n', '价格,2', "'=1+1,1"]
    >>> csv_bytes(pd.DataFrame({"手机号": ["13812345678"]})).decode("utf-8-sig").splitlines()
    ['手机号', '138****5678']
    >>> csv_bytes(pd.DataFrame({"手机号": ["13812345678"]}), show_pii=True).decode("utf-8-sig").splitlines()
    ['手机号', '13812345678']
    """
    return _shown(frame, show_pii, pii).to_csv(index=False).encode("utf-8-sig")


NUMBER_FORMATS = {  # one format per kind of measure, as the pages show them
    "percent": "0.00%",  # a ratio 0.3444 shows as 34.44%
    "money": "#,##0.00",
    "integer": "#,##0",
    "number": "#,##0.00",
}


def number_kinds(frame: pd.DataFrame, percent=(), money=()) -> dict[str, str]:
    """Each numeric column's kind: ``percent`` and ``money`` as given, else ``integer`` or ``number`` by dtype.

    Examples
    --------
    >>> number_kinds(pd.DataFrame({"n": [1], "r": [0.5], "x": [1.5], "s": ["a"]}), percent=("r",))
    {'n': 'integer', 'r': 'percent', 'x': 'number'}
    """
    kinds: dict[str, str] = {}
    for col in frame.columns:
        if col in percent:
            kinds[col] = "percent"
        elif col in money:
            kinds[col] = "money"
        elif pd.api.types.is_bool_dtype(frame[col]):
            continue
        elif pd.api.types.is_integer_dtype(frame[col]):
            kinds[col] = "integer"
        elif pd.api.types.is_float_dtype(frame[col]):
            kinds[col] = "number"
    return kinds


def xlsx_bytes(
    frame: pd.DataFrame,
    *,
    sheet: str = "data",
    show_pii: bool = False,
    pii: dict[str, str] | None = None,
    percent: tuple[str, ...] = (),
    money: tuple[str, ...] = (),
) -> bytes:
    """A table as an Excel workbook (one sheet, header row first; openpyxl), formula-like text neutralised,
    personal data masked unless ``show_pii``; numbers keep their values and get one format per kind
    (:data:`NUMBER_FORMATS`: ``percent`` columns as percentages, thousands separators elsewhere)."""
    buffer = BytesIO()
    kinds = number_kinds(frame, percent, money)
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        _shown(frame, show_pii, pii).to_excel(writer, sheet_name=sheet[:31], index=False)
        cells = writer.sheets[sheet[:31]]
        for i, col in enumerate(frame.columns, start=1):
            kind = kinds.get(col)
            if kind is None:
                continue
            for (cell,) in cells.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = NUMBER_FORMATS[kind]
    return buffer.getvalue()
