"""Regions, stores, channels and advisors named in a file: matched to the database, or created.

Matching ignores case and surrounding spaces and tries the code, the Chinese name and the English name.
An unknown name is created (and listed in the report) unless the import says ``create_missing=False``;
then it is a row problem that names the known values. Creating is the default because a dealer's first
import goes into a database that knows none of their stores or channels; the preview lists every name
that would be created, so a typo is seen before anything is written.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.storage.models import Advisor, Channel, Region, Store

UNASSIGNED_REGION = {"code": "unassigned", "name": "未指定区域", "name_en": "Unassigned"}
ADVISOR_DEFAULTS = {"level": "senior", "capacity_per_week": 80, "active": True}
KNOWN_SHOWN = 20


def _key(value: object) -> str:
    return str(value).strip().lower()


def _code(name: str, taken: set[str]) -> str:
    code = name.strip()
    if len(code) > 32 or _key(code) in taken:
        code = "imp-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]
    taken.add(_key(code))
    return code


class References:
    """The reference tables as read inside the import's transaction, plus the rows the import adds."""

    def __init__(self, conn: Connection) -> None:
        self.frames = {
            "regions": pd.read_sql(sa.select(Region.id, Region.code, Region.name, Region.name_en), conn),
            "stores": pd.read_sql(
                sa.select(Store.id, Store.code, Store.name, Store.name_en, Store.region_id), conn
            ),
            "channels": pd.read_sql(sa.select(Channel.id, Channel.code, Channel.name, Channel.name_en), conn),
            "advisors": pd.read_sql(sa.select(Advisor.id, Advisor.name, Advisor.store_id), conn),
        }
        self.new: dict[str, list[dict]] = {t: [] for t in self.frames}
        self.next_id = {t: int(f["id"].max()) + 1 if len(f) else 1 for t, f in self.frames.items()}
        self.lookup: dict[str, dict[str, int]] = {}
        for table in ("regions", "stores", "channels"):
            f = self.frames[table]
            look: dict[str, int] = {}
            for col in ("name_en", "name", "code"):  # the code wins over a name that happens to be the same
                look.update({_key(v): int(i) for v, i in zip(f[col], f["id"], strict=True)})
            self.lookup[table] = look
        adv = self.frames["advisors"]
        self.advisor_by_store = {
            (int(s), _key(n)): int(i) for n, s, i in zip(adv["name"], adv["store_id"], adv["id"], strict=True)
        }
        self.advisor_by_name: dict[str, int] = {}
        for n, i in zip(adv["name"], adv["id"], strict=True):
            self.advisor_by_name.setdefault(_key(n), int(i))

    def known(self, table: str) -> str:
        f = self.frames[table]
        col = "name"
        names = f[col].astype(str).tolist()
        shown = ", ".join(names[:KNOWN_SHOWN])
        more = len(names) - KNOWN_SHOWN
        return shown + (f" … (+{more})" if more > 0 else "") if names else "—"

    def _add(self, table: str, row: dict) -> int:
        new_id = self.next_id[table]
        self.next_id[table] += 1
        self.new[table].append({"id": new_id, **row})
        return new_id

    def unassigned_region(self) -> int:
        rid = self.lookup["regions"].get(UNASSIGNED_REGION["code"])
        if rid is None:
            rid = self._add("regions", dict(UNASSIGNED_REGION))
            self.lookup["regions"][UNASSIGNED_REGION["code"]] = rid
        return rid

    def resolve(
        self, table: str, names: pd.Series, *, create: bool, region_ids: pd.Series | None = None
    ) -> tuple[pd.Series, pd.Series]:
        """(ids, unknown mask) for the names of ``table`` (regions, stores or channels)."""
        ids = pd.Series(pd.NA, index=names.index, dtype="Int64")
        present = names.dropna().astype("str")
        keys = present.str.strip().str.lower()  # the same as _key, vectorised
        look = self.lookup[table]
        taken = {_key(c) for c in self.frames[table]["code"]} | {_key(r["code"]) for r in self.new[table]}
        if create:
            first = ~keys.duplicated()
            for idx, k, name in zip(present.index[first], keys[first], present[first], strict=True):
                if k in look:
                    continue
                row = {"code": _code(name, taken), "name": name, "name_en": name}
                if table == "stores":
                    rid = None if region_ids is None else region_ids.get(idx)
                    row["region_id"] = (
                        int(rid) if rid is not None and not pd.isna(rid) else self.unassigned_region()
                    )
                    row["brand"] = ""
                if table == "channels":
                    row["cost_model"] = "none"
                    row["online"] = False
                look[k] = self._add(table, row)
        mapped = keys.map(look)
        ids.loc[mapped.index] = mapped.astype("Int64")
        unknown = pd.Series(False, index=names.index)
        unknown.loc[keys.index] = mapped.isna().to_numpy()
        return ids, unknown

    def resolve_advisors(
        self, names: pd.Series, store_ids: pd.Series | None, *, create: bool
    ) -> tuple[pd.Series, pd.Series, pd.Series]:
        """(ids, unknown mask, unknown-without-store mask): an advisor is matched by name within the row's
        store (else by name alone); a new advisor needs the row's store."""
        ids = pd.Series(pd.NA, index=names.index, dtype="Int64")
        unknown = pd.Series(False, index=names.index)
        no_store = pd.Series(False, index=names.index)
        present = names.dropna()
        if present.empty:
            return ids, unknown, no_store
        stores = (
            store_ids.reindex(present.index)
            if store_ids is not None
            else pd.Series(pd.NA, index=present.index)
        )
        pairs = pd.DataFrame(
            {
                "key": present.astype("str").str.strip().str.lower(),
                "store": stores.astype("Int64"),
                "name": present,
            }
        )
        found: dict[tuple, int | None] = {}
        for (k, store), name in (
            pairs.groupby(["key", "store"], dropna=False, sort=False)["name"].first().items()
        ):
            store = None if pd.isna(store) else int(store)
            aid = self.advisor_by_store.get((store, k)) if store is not None else None
            if aid is None and store is None:
                aid = self.advisor_by_name.get(k)
            if aid is None and create and store is not None:
                aid = self._add("advisors", {"name": name, "store_id": store, **ADVISOR_DEFAULTS})
                self.advisor_by_store[(store, k)] = aid
                self.advisor_by_name.setdefault(k, aid)
            found[(k, store)] = aid
        keys = [
            (k, None if pd.isna(st) else int(st)) for k, st in zip(pairs["key"], pairs["store"], strict=True)
        ]
        got = pd.Series([found[key] for key in keys], index=present.index, dtype=object)
        ids.loc[present.index] = pd.array(got.tolist(), dtype="Int64")
        missing = got.isna()
        unknown.loc[present.index] = missing.to_numpy()
        no_store.loc[present.index] = (missing & pairs["store"].isna()).to_numpy() & create
        return ids, unknown, no_store

    def created(self) -> dict[str, list[str]]:
        """Table → names of the rows this import creates."""
        return {t: [r["name"] for r in rows] for t, rows in self.new.items() if rows}

    def new_frames(self) -> list[tuple[str, pd.DataFrame]]:
        """The rows to insert, parents first."""
        return [
            (t, pd.DataFrame(self.new[t]))
            for t in ("regions", "stores", "channels", "advisors")
            if self.new[t]
        ]
