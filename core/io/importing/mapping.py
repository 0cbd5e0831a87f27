"""Which column of the file feeds which field: suggested from the headers, or read from a mapping file.

A mapping file is JSON::

    {"kind": "leads",
     "columns": {"external_id": "opportunity_id", "customer_external_id": ["account", "opportunity_id"]},
     "values": {"status": {"Won": "won", "Lost": "defeated"}},
     "defaults": {"channel": "direct"},
     "null_values": ["Select"],
     "date_order": "MDY",
     "excel_serials": ["created_at"]}

A list of columns takes the first non-empty one; ``values`` translates a field's cell texts before parsing;
``defaults`` fills a field that is unmapped or empty; ``null_values`` are texts that mean "empty"; ``excel_serials`` names date fields whose cells may be Excel serial
numbers of any size (without it only five-digit serials, 10000–73050, are dates: a bare ``2`` is not).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from core.io.importing.fields import KINDS, fields

# the fields by which a row names its customer (a follow-up or purchase may name its lead instead)
CUSTOMER_KEYS = {
    "customers": ("external_id", "phone"),
    "leads": ("customer_external_id", "customer_phone"),
    "followups": ("customer_external_id", "customer_phone", "lead_external_id"),
    "purchases": ("customer_external_id", "customer_phone", "lead_external_id"),
}


@dataclass
class MappingError(Exception):
    """A mapping that cannot be used; ``code`` and ``params`` name the problem (see ``messages``)."""

    code: str
    params: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        from core.io.importing.messages import text

        return text(f"mapping.{self.code}", "en", **self.params)


@dataclass
class Mapping:
    kind: str
    columns: dict[str, str | list[str]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    null_values: list[str] = field(default_factory=list)
    date_order: str | None = None
    excel_serials: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        out: dict[str, object] = {"kind": self.kind, "columns": self.columns}
        for name in ("values", "defaults", "null_values", "date_order", "excel_serials"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        return out

    def sources(self, name: str) -> list[str]:
        src = self.columns.get(name)
        if src is None:
            return []
        return [src] if isinstance(src, str) else list(src)


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-:：()（）]+", "", text.casefold())


def suggest_mapping(headers: list[str], kind: str) -> dict[str, str]:
    """Field → header, guessed from Chinese and English header names; each header is used at most once.

    Exact names win over names that merely contain a synonym (``客户手机号`` contains ``手机号``).

    Examples
    --------
    >>> suggest_mapping(["姓名", "联系方式", "所在区域", "备注"], "customers")
    {'name': '姓名', 'phone': '联系方式', 'region': '所在区域'}
    >>> suggest_mapping(["Customer Name", "Phone", "Dealer_Name", "Date", "Price ($)"], "purchases")
    {'customer_phone': 'Phone', 'customer_name': 'Customer Name', 'store': 'Dealer_Name', 'at': 'Date', 'amount': 'Price ($)'}
    """
    normed = {h: _norm(h) for h in headers}
    taken: set[str] = set()
    found: dict[str, str] = {}
    for exact in (True, False):
        for f in fields(kind):
            if f.name in found:
                continue
            syns = sorted({_norm(s) for s in (f.name, *f.synonyms)}, key=len, reverse=True)
            for h in headers:
                if h in taken:
                    continue
                n = normed[h]
                hit = n in syns if exact else any(len(s) >= 2 and s in n for s in syns)
                if hit:
                    found[f.name] = h
                    taken.add(h)
                    break
    order = [f.name for f in fields(kind)]
    return {k: found[k] for k in order if k in found}


def check_mapping(mapping: Mapping, headers: list[str]) -> None:
    """Raise ``MappingError`` for an unknown kind or field, a column not in the file, or a required field
    that is neither mapped nor defaulted."""
    if mapping.kind not in KINDS:
        raise MappingError("kind", {"kind": mapping.kind, "known": ", ".join(KINDS)})
    names = {f.name for f in fields(mapping.kind)}
    for name in [*mapping.columns, *mapping.values, *mapping.defaults, *mapping.excel_serials]:
        if name not in names:
            raise MappingError("field", {"field": name, "known": ", ".join(sorted(names))})
    for name in mapping.columns:
        for col in mapping.sources(name):
            if col not in headers:
                raise MappingError("column", {"column": col, "field": name, "headers": ", ".join(headers)})
    for f in fields(mapping.kind):
        if f.required and not mapping.sources(f.name) and f.name not in mapping.defaults:
            raise MappingError("required", {"field": f.name})
    keys = CUSTOMER_KEYS.get(mapping.kind, ())
    if mapping.kind in ("customers", "leads", "followups", "purchases") and not any(
        mapping.sources(k) or k in mapping.defaults for k in keys
    ):
        raise MappingError("no_key", {"fields": " / ".join(keys)})
    if mapping.date_order not in (None, "DMY", "MDY"):
        raise MappingError("date_order", {"value": mapping.date_order})


def mapping_from_dict(data: dict, kind: str | None = None) -> Mapping:
    """A mapping from its JSON form; ``kind`` (e.g. from the command line) must agree with the file's."""
    if not isinstance(data, dict) or not isinstance(data.get("columns", {}), dict):
        raise MappingError("shape")
    file_kind = data.get("kind", kind)
    if kind and file_kind != kind:
        raise MappingError("kind_mismatch", {"file": file_kind, "kind": kind})
    try:
        return Mapping(
            kind=str(file_kind),
            columns={str(k): v for k, v in data.get("columns", {}).items()},
            values={
                str(k): {str(a): str(b) for a, b in v.items()} for k, v in data.get("values", {}).items()
            },
            defaults={str(k): str(v) for k, v in data.get("defaults", {}).items()},
            null_values=[str(v) for v in data.get("null_values", [])],
            date_order=data.get("date_order"),
            excel_serials=[str(v) for v in data.get("excel_serials", [])],
        )
    except (AttributeError, TypeError):
        raise MappingError("shape") from None


def load_mapping(path: Path | str, kind: str | None = None) -> Mapping:
    """Read a mapping JSON file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise MappingError("unreadable", {"path": str(path), "detail": exc.strerror or str(exc)}) from None
    except json.JSONDecodeError as exc:
        raise MappingError("json", {"path": str(path), "detail": str(exc)}) from None
    return mapping_from_dict(data, kind)


MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
