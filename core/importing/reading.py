"""Files in: CSV (UTF-8, UTF-8 with BOM, UTF-16 with BOM, GBK/GB18030; comma, semicolon or tab) and Excel.

Every cell comes back as text (``None`` for an empty cell), so nothing is guessed before the mapping says
what a column is. Headers are trimmed (``"Dealer_No "`` → ``"Dealer_No"``); an unnamed column with no values
(a trailing comma on every line) is dropped.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import pandas as pd

MAX_BYTES = 512 * 1024 * 1024
MAX_FIELD = 100_000  # characters in one cell; longer is not a CRM export but a broken file
ENCODINGS = ("utf-8", "gb18030")
PYARROW_MIN_BYTES = 4 * 1024 * 1024


@dataclass
class ReadError(Exception):
    """The file cannot be read as a table. ``code`` names the problem (see ``messages``)."""

    code: str
    params: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        from core.importing.messages import text

        return text(f"file.{self.code}", "en", **self.params)


@dataclass
class Table:
    """A file's cells as text: ``frame`` (columns = trimmed headers), and how it was read."""

    frame: pd.DataFrame
    encoding: str
    kind: str  # csv / xlsx

    @property
    def headers(self) -> list[str]:
        return list(self.frame.columns)


def detect_encoding(data: bytes) -> str:
    """The text encoding of a CSV file: a byte-order mark wins, then UTF-8 if it decodes, then GB18030.

    Examples
    --------
    >>> detect_encoding("手机号".encode("utf-8-sig")), detect_encoding("手机号".encode("gbk"))
    ('utf-8-sig', 'gb18030')
    >>> detect_encoding(b"phone")
    'utf-8'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    for enc in ENCODINGS:
        try:
            data.decode(enc)
        except UnicodeDecodeError:
            continue
        return enc
    raise ReadError("encoding")


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    headers = [
        "" if h is None or h is pd.NA or h != h else str(h).replace("\ufeff", "").strip()
        for h in frame.columns
    ]
    frame.columns = pd.Index(range(len(headers)))
    keep = []
    for i, h in enumerate(headers):
        blank = h == "" or h.startswith("Unnamed: ")
        if blank and frame[i].isna().all():
            continue  # a trailing delimiter's empty column
        if blank:
            raise ReadError("blank_header", {"column": i + 1})
        keep.append(i)
    frame = frame[keep]
    names = [headers[i] for i in keep]
    dupes = sorted({h for h in names if names.count(h) > 1})
    if dupes:
        raise ReadError("duplicate_header", {"columns": ", ".join(dupes)})
    frame.columns = pd.Index(names)
    if frame.empty:
        raise ReadError("no_rows")
    for col in frame.columns:
        lengths = frame[col].str.len()
        if (lengths > MAX_FIELD).any():
            row = int(lengths.to_numpy().argmax()) + 2
            raise ReadError("huge_field", {"column": col, "row": row, "limit": MAX_FIELD})
    return frame.reset_index(drop=True)


def read_csv_bytes(data: bytes) -> Table:
    """Read a CSV file's bytes; every cell as text.

    Examples
    --------
    >>> t = read_csv_bytes("姓名,手机号,\\n王小明,138 1234 5678,\\n".encode("gbk"))
    >>> t.encoding, t.headers, t.frame.iloc[0].tolist()
    ('gb18030', ['姓名', '手机号'], ['王小明', '138 1234 5678'])
    """
    encoding = detect_encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:  # a byte-order mark, then bytes that are not that encoding
        raise ReadError("encoding") from None
    if "\x00" in text:
        raise ReadError("binary")
    if not text.strip():
        raise ReadError("empty")
    sep = _delimiter(text[:65536])
    frame = None
    if len(data) > PYARROW_MIN_BYTES:
        # big files: pyarrow's reader is several times faster and keeps text compact; anything it does not
        # like goes to the C reader below, whose errors say what is wrong
        utf8 = data if encoding == "utf-8" else text.encode("utf-8")
        try:
            frame = pd.read_csv(
                io.BytesIO(utf8),
                sep=sep,
                header=None,
                dtype="str",
                engine="pyarrow",
                keep_default_na=False,
                na_values=[""],
            )
        except Exception:  # pyarrow's own exception types (ArrowInvalid, …) vary by version
            frame = None
    if frame is None:
        try:
            # header=None: pandas would rename a repeated header to "a.1", hiding the problem from the report
            frame = pd.read_csv(
                io.StringIO(text),
                sep=sep,
                header=None,
                dtype="str",
                keep_default_na=False,
                na_values=[""],
                skip_blank_lines=True,
                engine="c",
            )
        except pd.errors.ParserError as exc:
            raise ReadError("csv_syntax", {"detail": " ".join(str(exc).split())[:200]}) from None
        except pd.errors.EmptyDataError:
            raise ReadError("empty") from None
    del text
    frame.columns = pd.Index(frame.iloc[0].tolist())
    return Table(_clean(frame.iloc[1:].reset_index(drop=True)), encoding, "csv")


def read_xlsx_bytes(data: bytes) -> Table:
    """Read the first sheet of an Excel workbook (.xlsx); every cell as text (dates as ISO text)."""
    try:
        frame = pd.read_excel(io.BytesIO(data), sheet_name=0, dtype=object, engine="openpyxl")
    except Exception as exc:  # a broken or foreign workbook fails in many library-specific ways
        raise ReadError("xlsx", {"detail": " ".join(str(exc).split())[:200] or type(exc).__name__}) from None
    if frame.columns.empty:
        raise ReadError("empty")

    def as_text(v: object) -> object:
        if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT:
            return None
        if isinstance(v, pd.Timestamp):
            return v.isoformat(sep=" ")
        if hasattr(v, "isoformat"):
            return v.isoformat()
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    frame = frame.map(as_text).astype("str")
    return Table(_clean(frame), "xlsx", "xlsx")


def read_table(data: bytes, filename: str = "") -> Table:
    """A CSV or Excel file's cells as text; Excel is recognised by its content (a zip), not by its name.

    Raises
    ------
    ReadError
        Empty, too large, not a table, an encoding that is none of UTF-8/UTF-16/GB18030, or broken CSV.
    """
    if len(data) > MAX_BYTES:
        raise ReadError("too_large", {"limit_mb": MAX_BYTES // (1024 * 1024)})
    if not data.strip():
        raise ReadError("empty")
    if data.startswith(b"PK\x03\x04") or filename.lower().endswith((".xlsx", ".xlsm")):
        return read_xlsx_bytes(data)
    return read_csv_bytes(data)
