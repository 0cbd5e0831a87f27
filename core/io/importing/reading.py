"""Files in: CSV (UTF-8, UTF-8 with BOM, UTF-16 with BOM, GBK/GB18030; comma, semicolon, tab, | or runs of
spaces) and Excel.

Every cell comes back as text (``None`` for an empty cell), so nothing is guessed before the mapping says
what a column is. Headers are trimmed (``"Dealer_No "`` → ``"Dealer_No"``); an unnamed column with no values
(a trailing comma on every line) is dropped. A line with fewer fields than the header (a file cut off in the
middle of a line) is kept with its row number in ``Table.short_rows``: a row problem, not a row of empty cells.

Hostile files are refused before they cost time or memory: more than ``MAX_COLUMNS`` columns or
``MAX_ROWS`` rows (counted on the raw bytes), a cell over ``MAX_FIELD`` characters, and a workbook that would
unpack to more than ``MAX_XLSX_UNPACKED`` bytes or whose parts are compressed more than ``MAX_XLSX_RATIO``
times (a zip bomb; checked on the zip's directory before openpyxl opens it).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MAX_BYTES = 512 * 1024 * 1024
MAX_FIELD = 100_000  # characters in one cell; longer is not a CRM export but a broken file
MAX_COLUMNS = 1_000  # CRM exports have tens to a few hundred columns
MAX_LINE_BYTES = 4 * MAX_FIELD + 64 * MAX_COLUMNS  # one longest cell (4 bytes a character) and the rest
SCAN_CHUNK = 16 * 1024 * 1024
MAX_ROWS = 2_000_000  # data rows (lines, for a CSV: a quoted line break counts)
MAX_XLSX_UNPACKED = 256 * 1024 * 1024  # bytes of a workbook's parts once unzipped
MAX_XLSX_RATIO = 200  # unpacked / packed size of one part; real sheets stay far below, zip bombs reach 1,000
XLSX_RATIO_FROM = 1024 * 1024  # parts smaller than this unpack to little whatever their ratio
ENCODINGS = ("utf-8", "gb18030")
PYARROW_MIN_BYTES = 4 * 1024 * 1024
WHITESPACE = r"\s+"  # the separator of a file whose columns are aligned with spaces


@dataclass
class ReadError(Exception):
    """The file cannot be read as a table. ``code`` names the problem (see ``messages``)."""

    code: str
    params: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        from core.io.importing.messages import text

        return text(f"file.{self.code}", "en", **self.params)


@dataclass
class Table:
    """A file's cells as text: ``frame`` (columns = trimmed headers), and how it was read."""

    frame: pd.DataFrame
    encoding: str
    kind: str  # csv / xlsx
    short_rows: dict[int, int] = field(default_factory=dict)  # frame position → fields on that line
    width: int = 0  # fields in the header line
    separator: str = ""  # the CSV's separator as read ("," ";" "\t" "|" or WHITESPACE)

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
    """The separator: a whitespace-aligned file (no comma, semicolon, tab or | in the header, and the same
    number (2 or more) of space-separated words on each sampled line) is WHITESPACE, else the sniffed one.

    Examples
    --------
    >>> _delimiter("id  date     amount\\n 1 19970101 11.77\\n") == WHITESPACE
    True
    >>> _delimiter("a;b\\n1;2\\n"), _delimiter("Name\\nAnn Lee\\n")
    (';', ',')
    """
    lines = [ln for ln in sample.splitlines() if ln.strip()][:21]
    if len(lines) > 2 and not any(c in lines[0] for c in ",;\t|"):
        # the last sampled line may be cut off (by the sample, or the file itself)
        if len({len(ln.split()) for ln in lines[:-1]}) == 1 and len(lines[0].split()) >= 2:
            return WHITESPACE
    elif len(lines) == 2 and not any(c in lines[0] for c in ",;\t|"):
        if len(lines[0].split()) == len(lines[1].split()) >= 2:
            return WHITESPACE
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _widths(text: str, sep: str) -> list[int]:
    """Fields on each non-blank line (as the C reader splits them), header first."""
    if sep == WHITESPACE:
        return [len(ln.split()) for ln in text.splitlines() if ln.strip()]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        return [len(r) for r in reader if r]
    except csv.Error:  # a field beyond the csv module's limit: _clean names it
        return []


def _longest_line(data: bytes) -> tuple[int, int]:
    """(bytes, 1-based number) of the longest line, read 16 MB at a time (no copy of the file).

    Examples
    --------
    >>> _longest_line(b"ab\\nabcd\\n\\nxyz")
    (4, 2)
    """
    view = np.frombuffer(data, np.uint8)
    longest, where, last, seen = 0, 1, -1, 0
    for lo in range(0, len(view), SCAN_CHUNK):
        ends = np.flatnonzero(view[lo : lo + SCAN_CHUNK] == 10) + lo
        if not len(ends):
            continue
        gaps = np.diff(ends, prepend=last) - 1
        i = int(gaps.argmax())
        if gaps[i] > longest:
            longest, where = int(gaps[i]), seen + i + 1
        last, seen = int(ends[-1]), seen + len(ends)
    if len(view) - last - 1 > longest:
        longest, where = len(view) - last - 1, seen + 1
    return longest, where


def _check_size(data: bytes) -> None:
    """Refuse too many rows or columns, or a line no real row has, from the raw bytes, before any parser
    spends time or memory on them."""
    end = data.find(b"\n")
    first = data[: end if end >= 0 else len(data)]
    widest = max(first.count(d) for d in (b",", b";", b"\t", b"|")) + 1
    if widest > MAX_COLUMNS or len(first.split()) > MAX_COLUMNS:
        raise ReadError("too_many_columns", {"limit": f"{MAX_COLUMNS:,}"})
    if data.count(b"\n") > MAX_ROWS + 1:
        raise ReadError("too_many_rows", {"limit": f"{MAX_ROWS:,}"})
    longest, where = _longest_line(data)
    if longest > MAX_LINE_BYTES:
        raise ReadError("huge_line", {"row": where, "limit": f"{MAX_LINE_BYTES:,}"})


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
    if len(names) > MAX_COLUMNS:
        raise ReadError("too_many_columns", {"limit": f"{MAX_COLUMNS:,}"})
    if len(frame) > MAX_ROWS:
        raise ReadError("too_many_rows", {"limit": f"{MAX_ROWS:,}"})
    dupes = sorted(h for h, n in Counter(names).items() if n > 1)
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
    if len(data) > PYARROW_MIN_BYTES and sep != WHITESPACE:
        # big files: pyarrow's reader is several times faster and keeps text compact; anything it does not
        # like (a short line too) goes to the C reader below, whose errors say what is wrong
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
    short: dict[int, int] = {}
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
        # the C reader fills a short line with empty cells: find those lines (pyarrow refuses them itself)
        if frame.iloc[:, -1].isna().any():
            widths = _widths(text, sep)
            if len(widths) == len(frame):  # the two readers agree on the lines
                short = {i - 1: w for i, w in enumerate(widths) if i and w < widths[0]}
    del text
    width = frame.shape[1]
    frame.columns = pd.Index(frame.iloc[0].tolist())
    return Table(_clean(frame.iloc[1:].reset_index(drop=True)), encoding, "csv", short, width, sep)


def _check_zip(data: bytes) -> None:
    """Refuse a workbook that would unpack to too much, or a zip bomb, from the zip's directory alone.
    (Python's zipfile, which openpyxl uses, stops a part at its declared size, so the directory can be
    trusted.)"""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            parts = z.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ReadError("xlsx", {"detail": " ".join(str(exc).split())[:200] or type(exc).__name__}) from None
    unpacked = sum(p.file_size for p in parts)
    limit_mb = MAX_XLSX_UNPACKED // (1024 * 1024)
    if unpacked > MAX_XLSX_UNPACKED:
        raise ReadError("xlsx_unpacked", {"size_mb": unpacked // (1024 * 1024), "limit_mb": limit_mb})
    for p in parts:
        if p.file_size > XLSX_RATIO_FROM and p.file_size > MAX_XLSX_RATIO * max(p.compress_size, 1):
            raise ReadError(
                "xlsx_ratio", {"part": p.filename[:80], "ratio": p.file_size // max(p.compress_size, 1)}
            )


def _check_xlsx_width(data: bytes) -> None:
    """Refuse a first sheet wider than MAX_COLUMNS from its first row alone (pandas would take seconds per
    thousand columns)."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        first = next(book.worksheets[0].iter_rows(max_row=1, values_only=True), ())
    finally:
        book.close()
    if len(first) > MAX_COLUMNS:
        raise ReadError("too_many_columns", {"limit": f"{MAX_COLUMNS:,}"})


def read_xlsx_bytes(data: bytes) -> Table:
    """Read the first sheet of an Excel workbook (.xlsx); every cell as text (dates as ISO text)."""
    _check_zip(data)
    try:
        _check_xlsx_width(data)
        frame = pd.read_excel(io.BytesIO(data), sheet_name=0, dtype=object, engine="openpyxl")
    except ReadError:
        raise
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


def unrecognised_separator(table: Table) -> bool:
    """True for a CSV read as one column whose header and first rows all hold the same number of some
    punctuation (``a:b`` over ``1:2``): its separator is none of those recognised.

    Examples
    --------
    >>> t = read_csv_bytes(b"id:phone\\n1:138\\n2:139\\n")
    >>> unrecognised_separator(t), unrecognised_separator(read_csv_bytes(b"phone\\n138\\n"))
    (True, False)
    """
    if table.kind != "csv" or len(table.headers) != 1:
        return False
    header = table.headers[0]
    cells = table.frame.iloc[:20, 0].dropna().astype(str)
    for mark in set(re.findall(r"[^\w\s.\-()（）]", header)):
        n = header.count(mark)
        if len(cells) and (cells.str.count(re.escape(mark)) == n).all():
            return True
    return False


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
    _check_size(data)
    return read_csv_bytes(data)
