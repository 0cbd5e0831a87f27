"""Cell text → typed values, a whole column at a time (vectorised: a million rows in seconds).

Every parser takes a Series of text (``None`` for empty) and returns ``(values, bad)``: the parsed values
(missing where empty or bad) and a boolean mask of the cells that held text that could not be parsed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NULL_TOKENS = frozenset({"", "nan", "null", "none", "n/a", "na", "#n/a", "-", "--", "—", "无", "空"})

_YMD = r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$"
_XYZ = r"^(\d{1,2})-(\d{1,2})-(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$"
_YM = r"^(\d{4})-(\d{1,2})$"
_COMPACT = r"^(\d{4})(\d{2})(\d{2})$"
_SERIAL = r"^\d{1,5}(?:\.\d+)?$"
_SERIAL_PLAIN = r"^\d{5}(?:\.\d+)?$"  # 10000 = 1927-05-18: a shorter number is a typo or a cut-off cell
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
FIRST_YEAR, LAST_YEAR = 1900, 2100  # outside: a typing error, not a date of a dealer's business
FAST_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
)


def _nones(index: pd.Index) -> pd.Series:
    return pd.Series([None] * len(index), index=index, dtype=object)


def clean_text(s: pd.Series, null_values: frozenset[str] | set[str] = frozenset()) -> pd.Series:
    """Trimmed text with null tokens (and the mapping's own, e.g. 'Select') missing; fixes cp1252 mojibake.

    Examples
    --------
    >>> v = clean_text(pd.Series([" 王小明 ", "NULL", None, "DoubleÂ\\xa0Overhead", "Select"]), {"select"})
    >>> v.fillna("-").tolist()
    ['王小明', '-', '-', 'Double Overhead', '-']
    """
    text = s.dropna().astype("str")
    suspicious = text.str.contains("[ÂÃâ€]", regex=True)
    if suspicious.any():
        text.loc[suspicious] = text[suspicious].map(_unmojibake)
    # collapsing whitespace is a slow regex: only where there is something to collapse
    messy = text.str.contains("\\s\\s|[\\t\\n\\r\\f\\v\\xa0\\u3000]", regex=True)
    if messy.any():
        text.loc[messy] = text[messy].str.replace(r"\s+", " ", regex=True)
    text = text.str.strip()
    nulls = NULL_TOKENS | {v.strip().lower() for v in null_values}
    text = text[~text.str.lower().isin(nulls)]
    return text.reindex(s.index)


def _unmojibake(value: str) -> str:
    # UTF-8 bytes that were read as cp1252 (e.g. 'Â\xa0' for a no-break space): undo it when that round trip works
    try:
        return value.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _assemble(parts: pd.DataFrame, y: int, m: int, d: int, time: int | None) -> pd.Series:
    cols = {
        "year": parts[y].astype(float),
        "month": parts[m].astype(float),
        "day": parts[d].astype(float) if d >= 0 else 1.0,
    }
    if time is not None:
        cols["hour"] = parts[time].astype(float).fillna(0)
        cols["minute"] = parts[time + 1].astype(float).fillna(0)
        cols["second"] = parts[time + 2].astype(float).fillna(0)
    frame = pd.DataFrame(cols, index=parts.index)
    if frame.empty:
        return pd.Series(pd.NaT, index=parts.index, dtype="datetime64[ns]")
    frame.loc[(frame["year"] < FIRST_YEAR) | (frame["year"] > LAST_YEAR), "year"] = np.nan
    return _bounded(pd.to_datetime(frame, errors="coerce"))


def _bounded(stamps: pd.Series) -> pd.Series:
    """Nanosecond times with years outside FIRST_YEAR–LAST_YEAR missing (pandas gives 9999-12-31 and
    0001-01-01 a coarser unit, which would not fit a nanosecond column)."""
    if not len(stamps):
        return stamps.astype("datetime64[ns]")
    years = stamps.dt.year
    return stamps.where((years >= FIRST_YEAR) & (years <= LAST_YEAR)).astype("datetime64[ns]")


def parse_dates(
    s: pd.Series, *, order: str | None = None, month_only: bool = False, serials: bool = False
) -> tuple[pd.Series, pd.Series]:
    """Dates and times as written in CRM exports and Excel.

    Accepts 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, 20240305, ISO date-times, five-digit Excel serial
    numbers (45356 = 2024-03-05; any serial from 1 up with ``serials``, the mapping's ``excel_serials``: a
    bare ``2`` is otherwise a cut-off cell, not 1900-01-01), and day-first or month-first dates with the year last (``order`` "DMY" or "MDY";
    guessed per column: a first part above 12 means day first, otherwise month first). ``month_only``
    also accepts 2024-03 / 2024年3月 (the first of the month).

    Examples
    --------
    >>> v, bad = parse_dates(pd.Series(["2024-03-05", "2024/3/5", "2024年3月5日", "45356", "2024-02-30", None]))
    >>> [None if pd.isna(x) else x.date().isoformat() for x in v], bad.tolist()
    (['2024-03-05', '2024-03-05', '2024-03-05', '2024-03-05', None, None], [False, False, False, False, True, False])
    >>> parse_dates(pd.Series(["2"]))[1].tolist(), parse_dates(pd.Series(["2"]), serials=True)[0].tolist()
    ([True], [Timestamp('1900-01-01 00:00:00')])
    >>> v, _ = parse_dates(pd.Series(["1/2/2022", "12/31/2023 10:30"]))
    >>> [x.isoformat() for x in v]
    ['2022-01-02T00:00:00', '2023-12-31T10:30:00']
    """
    text = s.dropna().astype("str").str.strip()
    fast = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in FAST_FORMATS:  # the common layouts through pandas' C parser; only the rest below
        rest = text[fast.isna()]
        if rest.empty:
            break
        got = _bounded(pd.to_datetime(rest, format=fmt, errors="coerce"))
        fast.loc[got.index[got.notna()]] = got[got.notna()]
    parsed_fast = fast[fast.notna()]
    text = text[fast.isna()]
    norm = (
        text.str.replace("年", "-", regex=False)
        .str.replace("月", "-", regex=False)
        .str.replace(r"[日号]", "", regex=True)
        .str.replace(r"[/.](?=\d)", "-", regex=True)
        .str.replace(r"-$", "", regex=True)
        .str.replace(r"\s*[时:]\s*", ":", regex=True)
    )
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    ymd = norm.str.extract(_YMD)
    hit = ymd[0].notna()
    if hit.any():
        out[hit] = _assemble(ymd[hit], 0, 1, 2, 3)
    rest = ~hit
    xyz = norm[rest].str.extract(_XYZ)
    hit2 = xyz[0].notna()
    if hit2.any():
        first = xyz.loc[hit2, 0].astype(int)
        day_first = order == "DMY" if order else bool((first > 12).any())
        d, m = (0, 1) if day_first else (1, 0)
        out[xyz.index[hit2]] = _assemble(xyz[hit2], 2, m, d, 3)
    rest = rest & ~norm.index.isin(xyz.index[hit2])
    compact = norm[rest].str.extract(_COMPACT)
    hit3 = compact[0].notna()
    if hit3.any():
        out[compact.index[hit3]] = _assemble(compact[hit3], 0, 1, 2, None)
    rest = rest & ~norm.index.isin(compact.index[hit3])
    serial_text = text[rest]  # before normalising: the decimal point of 45356.5 is not a date separator
    serial_hit = serial_text.str.fullmatch(_SERIAL if serials else _SERIAL_PLAIN)
    if serial_hit.any():
        days = serial_text[serial_hit].astype(float)
        ok = (days >= 1) & (days < 2958466)
        stamps = EXCEL_EPOCH + pd.to_timedelta(days[ok].round(6), unit="D")
        out[stamps.index] = _bounded(stamps.dt.round("s"))
    if month_only:
        rest = out.isna()
        ym = norm[rest].str.extract(_YM)
        hit4 = ym[0].notna()
        if hit4.any():
            out[ym.index[hit4]] = _assemble(ym[hit4], 0, 1, -1, None)
    if len(parsed_fast):
        out = pd.concat([parsed_fast, out])
    out = _bounded(out)
    values = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    values.loc[out.index] = out
    bad = pd.Series(False, index=s.index)
    bad.loc[out.index] = out.isna().to_numpy()
    return values, bad


def parse_phones(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Phone numbers as digits: +86 / 0086, spaces, dashes, dots and brackets removed.

    Examples
    --------
    >>> v, bad = parse_phones(pd.Series(["+86 138-1234-5678", "(0752) 2345678", "8264678", "1.38E+10", None]))
    >>> v.tolist(), bad.tolist()
    (['13812345678', '07522345678', '8264678', None, None], [False, False, False, True, False])
    """
    text = s.dropna().astype("str").str.strip()
    digits = text.copy()
    other = text[~text.str.fullmatch(r"1\d{10}")]  # most are plain mobile numbers: no regex replace for them
    if len(other):
        digits.loc[other.index] = other.str.replace(r"[\s\-().]", "", regex=True).str.replace(
            r"^(?:\+86|0086|86)(1\d{10})$", r"\1", regex=True
        )
    ok = digits.str.fullmatch(r"\+?\d{7,15}")
    values = _nones(s.index)
    values.loc[digits.index[ok]] = digits[ok].to_numpy()
    bad = pd.Series(False, index=s.index)
    bad.loc[digits.index] = ~ok.to_numpy()
    return values, bad


def parse_amounts(s: pd.Series, *, allow_negative: bool = False) -> tuple[pd.Series, pd.Series]:
    """Money: thousands separators, currency signs, 元 and 万 (×10,000) understood; two decimals kept.

    Examples
    --------
    >>> v, bad = parse_amounts(pd.Series(["1,234.50", "12.8万", "¥3000元", "$26,000", "abc", "-5", None]))
    >>> v.tolist()[:4], bad.tolist()
    ([1234.5, 128000.0, 3000.0, 26000.0], [False, False, False, False, True, True, False])
    """
    text = s.dropna().astype(str).str.strip()
    norm = text.str.replace(r"[,，\s¥￥$元]|RMB|CNY|USD", "", regex=True, case=False)
    parts = norm.str.extract(r"^([+-]?\d+(?:\.\d+)?)(万)?$")
    number = parts[0].astype(float) * np.where(parts[1].notna(), 10_000.0, 1.0)
    number = number.round(2)
    ok = number.notna() & (number.abs() < 1e12)
    if not allow_negative:
        ok &= number >= 0
    values = pd.Series(np.nan, index=s.index, dtype=float)
    values.loc[number.index[ok]] = number[ok].to_numpy()
    bad = pd.Series(False, index=s.index)
    bad.loc[number.index] = ~ok.to_numpy()
    return values, bad


TRUE = {"1", "是", "y", "yes", "true", "t", "已", "有", "√", "converted"}
FALSE = {"0", "否", "n", "no", "false", "f", "未", "无", "×"}


def parse_bools(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """是/否, yes/no, true/false, 1/0, Y/N.

    Examples
    --------
    >>> v, bad = parse_bools(pd.Series(["是", "No", "1", "maybe", None]))
    >>> v.tolist(), bad.tolist()
    ([True, False, True, None, None], [False, False, False, True, False])
    """
    low = s.dropna().astype("str").str.strip().str.lower().str.replace(r"\.0$", "", regex=True)
    values = _nones(s.index)
    values.loc[low.index[low.isin(TRUE)]] = True
    values.loc[low.index[low.isin(FALSE)]] = False
    bad = pd.Series(False, index=s.index)
    bad.loc[low.index] = ~(low.isin(TRUE) | low.isin(FALSE)).to_numpy()
    return values, bad


def parse_codes(s: pd.Series, synonyms: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """A vocabulary: each text (case-insensitive) → its code via ``synonyms`` (which include the codes).

    Examples
    --------
    >>> v, bad = parse_codes(pd.Series(["男", "F", "x", None]), {"男": "M", "m": "M", "女": "F", "f": "F"})
    >>> v.tolist(), bad.tolist()
    (['M', 'F', None, None], [False, False, True, False])
    """
    lookup = {k.lower(): v for k, v in synonyms.items()}
    low = s.dropna().astype("str").str.strip().str.lower()
    mapped = low.map(lookup)
    values = _nones(s.index)
    values.loc[mapped.index[mapped.notna()]] = mapped[mapped.notna()].to_numpy()
    bad = pd.Series(False, index=s.index)
    bad.loc[mapped.index] = mapped.isna().to_numpy()
    return values, bad
