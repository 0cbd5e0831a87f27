"""A table and its mapping → typed field values, plus one issue per bad cell (row, column, value, problem).

Row numbers are the file's line numbers as a spreadsheet shows them: the header is row 1, the first data row 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from core.io.importing import values as pv
from core.io.importing.fields import VOCABS, Field, fields
from core.io.importing.mapping import CUSTOMER_KEYS, Mapping, check_mapping
from core.io.importing.reading import Table

ISSUE_COLUMNS = ["row", "column", "value", "code", "params"]
REF_LENGTH = 64  # names of regions, channels and advisors
SHOWN_VALUE = 120  # characters of a bad value repeated in the report


@dataclass
class Parsed:
    """Typed values of every mapped (or defaulted) field; index = position in the file (row = index + 2)."""

    kind: str
    mapping: Mapping
    frame: pd.DataFrame
    labels: dict[str, str]  # field → the file column(s) it came from, for the report
    issues: list[pd.DataFrame] = field(default_factory=list)

    def add_issues(
        self, mask: pd.Series, name: str, code: str, params: dict | None = None, value=None
    ) -> None:
        """Record ``code`` for the rows where ``mask`` holds, on field ``name``."""
        idx = mask.index[mask.to_numpy(dtype=bool)]
        if not len(idx):
            return
        shown = value if value is not None else self.frame.get(name, pd.Series(index=self.frame.index))
        shown = shown.reindex(idx)
        self.issues.append(
            pd.DataFrame(
                {
                    "row": idx.to_numpy() + 2,
                    "column": None if name == "_line" else self.labels.get(name, name),
                    "value": [None if pd.isna(v) else str(v)[:SHOWN_VALUE] for v in shown],
                    "code": code,
                    "params": [params or {}] * len(idx),
                }
            )
        )

    def issue_frame(self) -> pd.DataFrame:
        if not self.issues:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in ISSUE_COLUMNS})
        out = pd.concat(self.issues, ignore_index=True)
        return out.sort_values(["row", "column"], kind="stable", na_position="first").reset_index(drop=True)

    def bad_rows(self) -> pd.Index:
        frame = self.issue_frame()
        rows = frame["row"].dropna().astype(int) - 2
        return pd.Index(sorted(set(rows.tolist())))

    def has(self, name: str) -> bool:
        return name in self.frame.columns


def _source(table: Table, mapping: Mapping, f: Field) -> tuple[pd.Series, pd.Series | None]:
    """(cleaned text, raw text for the report) of a field, the first non-empty of its columns."""
    nulls = set(mapping.null_values)
    out = None
    raw = None
    for col in mapping.sources(f.name):
        cleaned = pv.clean_text(table.frame[col], nulls)
        out = cleaned if out is None else out.where(out.notna(), cleaned)
        raw = table.frame[col] if raw is None else raw.where(raw.notna(), table.frame[col])
    if out is None:
        out = pd.Series([None] * len(table.frame), index=table.frame.index, dtype=object)
    translate = mapping.values.get(f.name)
    if translate:
        lookup = {k.strip().lower(): v for k, v in translate.items()}
        key = out.dropna().astype("str").str.lower()
        hit = key.isin(lookup)
        out = out.copy()
        out.loc[key.index[hit]] = key[hit].map(lookup).to_numpy()
    if f.name in mapping.defaults:
        out = out.where(out.notna(), mapping.defaults[f.name])
    return out, raw


def _parse(f: Field, text: pd.Series, mapping: Mapping) -> tuple[pd.Series, pd.Series, str]:
    if f.type in ("date", "datetime", "month"):
        v, bad = pv.parse_dates(
            text,
            order=mapping.date_order,
            month_only=f.type == "month",
            serials=f.name in mapping.excel_serials,
        )
        if f.type == "date":
            v = v.dt.normalize()
        if f.type == "month":
            v = v.dt.to_period("M").dt.to_timestamp()
        return v, bad, "bad_date"
    if f.type == "phone":
        v, bad = pv.parse_phones(text)
        return v, bad, "bad_phone"
    if f.type in ("amount", "signed_amount"):
        v, bad = pv.parse_amounts(text, allow_negative=f.type == "signed_amount")
        return v, bad, "bad_amount"
    if f.type == "bool":
        v, bad = pv.parse_bools(text)
        return v, bad, "bad_bool"
    if f.type in ("code", "stage"):
        vocab = VOCABS[f.vocab or "stage"]
        v, bad = pv.parse_codes(text, vocab)
        return v, bad, "bad_code" if f.type == "code" else "bad_stage"
    limit = f.length or REF_LENGTH
    lengths = text.dropna().astype(str).str.len()
    bad = pd.Series(False, index=text.index)
    bad.loc[lengths.index] = (lengths > limit).to_numpy()
    return text, bad, "too_long"


def allowed_words(f: Field) -> str:
    """The codes a vocabulary field takes (for the report's 'how to fix')."""
    vocab = VOCABS[f.vocab or "stage"]
    codes = list(dict.fromkeys(vocab.values()))
    words = {c: [w for w, v in vocab.items() if v == c and w != c and not w.isdigit()][:2] for c in codes}
    return ", ".join(f"{c} ({'/'.join(words[c])})" if words[c] else c for c in codes)


def parse_table(table: Table, mapping: Mapping) -> Parsed:
    """Typed values and issues of every row; the mapping is checked first (``MappingError``)."""
    check_mapping(mapping, table.headers)
    frame = pd.DataFrame(index=table.frame.index)
    labels: dict[str, str] = {}
    parsed = Parsed(mapping.kind, mapping, frame, labels)
    for f in fields(mapping.kind):
        srcs = mapping.sources(f.name)
        if not srcs and f.name not in mapping.defaults:
            continue
        labels[f.name] = " / ".join(srcs) if srcs else f"({f.name})"
        text, raw = _source(table, mapping, f)
        values, bad, code = _parse(f, text, mapping)
        frame[f.name] = values
        shown = raw if raw is not None else text
        if code == "too_long":
            parsed.add_issues(bad, f.name, code, {"limit": f.length or REF_LENGTH}, value=shown)
        elif code in ("bad_code", "bad_stage"):
            parsed.add_issues(bad, f.name, code, {"allowed": allowed_words(f)}, value=shown)
        else:
            parsed.add_issues(bad, f.name, code, value=shown)
        if f.required:
            parsed.add_issues(values.isna() & ~bad, f.name, "missing", value=shown)
    for n in sorted(set(table.short_rows.values())):  # a line cut off, or missing separators
        cut = frame.index.isin([i for i, w in table.short_rows.items() if w == n])
        parsed.add_issues(
            pd.Series(cut, index=frame.index),
            "_line",
            "short_row",
            {"fields": n, "expected": table.width},
            value=pd.Series(None, index=frame.index, dtype=object),
        )
    _row_rules(parsed)
    return parsed


def _row_rules(parsed: Parsed) -> None:
    frame = parsed.frame
    none = pd.Series(False, index=frame.index)
    keys = CUSTOMER_KEYS.get(parsed.kind)
    if not keys:
        return
    has_key = none.copy()
    for k in keys:
        if k in frame:
            has_key |= frame[k].notna()
    if not any(k in parsed.labels for k in keys):
        parsed.labels["_customer"] = " / ".join(keys)
    parsed.labels.setdefault("_customer", " / ".join(parsed.labels[k] for k in keys if k in parsed.labels))
    parsed.add_issues(~has_key, "_customer", "no_customer_key", value=pd.Series(None, index=frame.index))
