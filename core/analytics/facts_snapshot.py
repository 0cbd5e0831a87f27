"""A columnar copy of the facts on disk, so a new app process starts in a fraction of a second.

One file per kind of facts and database, named after the version it holds (:func:`core.analytics.facts.facts_key`):
a JSON header (the version, each array's dtype, shape and offset) and the raw arrays, which a new process
maps into memory read-only instead of reading them (nothing in it is unpickled: a tampered file cannot run
code; the OS shares the mapped pages between app processes). It holds ids, codes and times only: no
customer's or advisor's name or phone (names are read from the database with each load):

- a snapshot is used only when its version is the database's current one, so data written since (a new
  lead, defeat, follow-up, purchase or customer; a new tier assignment or publish) makes it ignored and
  rebuilt: it never serves stale figures of inserted rows;
- it is written to a temporary file in the same folder and renamed into place (atomic on POSIX and
  Windows), so concurrent sessions or processes never read a half-written file; a file that cannot be read
  is ignored and rewritten;
- after a successful write, snapshots of older versions of the same database are deleted.

Where: ``FACTS_CACHE_DIR`` (environment) if set — ``off`` switches snapshots off — with one sub-folder per
database; otherwise, for a SQLite file, the folder ``.facts-cache`` beside it; server databases get no
snapshot unless ``FACTS_CACHE_DIR`` is set.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from sqlalchemy.engine import Engine, make_url

from core.analytics.facts import (
    Categories,
    EventFacts,
    TierFacts,
    facts_key,
    read_event_facts,
    read_names,
    read_tier_facts,
    tier_key,
)

ENV_VAR = "FACTS_CACHE_DIR"


def snapshot_dir(url: str, environ: Mapping[str, str] | None = None) -> Path | None:
    """The folder for the snapshots of the database at ``url``, or None for none.

    Examples
    --------
    >>> snapshot_dir("sqlite:////srv/app/data/dashboard.sqlite", environ={})
    PosixPath('/srv/app/data/.facts-cache/dashboard.sqlite')
    >>> snapshot_dir("sqlite://", environ={}) is None
    True
    >>> snapshot_dir("postgresql+psycopg://u:pw@db/crm", environ={}) is None
    True
    >>> snapshot_dir("postgresql+psycopg://u:pw@db/crm", environ={"FACTS_CACHE_DIR": "/var/cache/x"}).parent
    PosixPath('/var/cache/x')
    >>> snapshot_dir("sqlite:////srv/app/data/dashboard.sqlite", environ={"FACTS_CACHE_DIR": "off"}) is None
    True
    """
    env = os.environ if environ is None else environ
    parsed = make_url(url)
    configured = env.get(ENV_VAR, "").strip()
    if configured.lower() == "off":
        return None
    if configured:
        # the password is no part of the database's identity, and must not end up in a folder name
        ident = parsed.render_as_string(hide_password=True)
        return Path(configured) / hashlib.sha256(ident.encode()).hexdigest()[:16]
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        path = Path(database).resolve()
        return path.parent / ".facts-cache" / path.name
    return None


MAGIC = b"FACTSNAP1\n"
ALIGN = 64


def _file(folder: Path, kind: str, key: str) -> Path:
    return folder / f"{kind}-{hashlib.sha256(key.encode()).hexdigest()[:20]}.facts"


def _put_categories(out: dict[str, np.ndarray], name: str, cats: Categories) -> None:
    out[f"{name}.codes"] = cats.codes
    out[f"{name}.categories"] = np.asarray(cats.categories, dtype=str)


def _get_categories(arrays: Mapping[str, np.ndarray], name: str) -> Categories:
    return Categories(arrays[f"{name}.codes"], arrays[f"{name}.categories"].astype(str))


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def _write(fh, key: str, arrays: dict[str, np.ndarray]) -> None:
    """Header (magic, length, JSON: key and each array's dtype, shape, offset), then the raw arrays."""
    entries, offset, blobs = [], 0, []
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        if a.dtype.hasobject:
            raise TypeError(f"{name}: object arrays cannot be stored")
        entries.append({"name": name, "dtype": a.dtype.str, "shape": list(a.shape), "offset": offset})
        blobs.append(a)
        offset += _aligned(a.nbytes)
    meta = json.dumps({"key": key, "arrays": entries, "size": offset}).encode()
    head = MAGIC + len(meta).to_bytes(8, "little") + meta
    fh.write(head + b"\0" * (_aligned(len(head)) - len(head)))
    for a in blobs:
        fh.write(memoryview(a.reshape(-1).view(np.uint8)) if a.nbytes else b"")
        fh.write(b"\0" * (_aligned(a.nbytes) - a.nbytes))


def _read(path: Path, key: str) -> dict[str, np.ndarray] | None:
    """The arrays of a snapshot file as read-only views of one memory map (the OS pages them in on use and
    shares them between processes), or None if the file is not a complete snapshot of version ``key``."""
    with path.open("rb") as fh:
        if fh.read(len(MAGIC)) != MAGIC:
            return None
        length = int.from_bytes(fh.read(8), "little")
        meta = json.loads(fh.read(length))
    if meta.get("key") != key:
        return None
    start = _aligned(len(MAGIC) + 8 + length)
    if path.stat().st_size < start + meta["size"]:
        return None  # truncated
    base = np.memmap(path, dtype=np.uint8, mode="r") if meta["size"] else None
    out = {}
    for e in meta["arrays"]:
        dtype, shape = np.dtype(e["dtype"]), tuple(e["shape"])
        if dtype.itemsize * int(np.prod(shape)) == 0:
            out[e["name"]] = np.empty(shape, dtype=dtype)
        else:
            out[e["name"]] = np.ndarray(shape, dtype=dtype, buffer=base, offset=start + e["offset"])
    return out


def _save(folder: Path, kind: str, key: str, arrays: dict[str, np.ndarray]) -> Path | None:
    """Write atomically; returns the file, or None when the folder cannot be written (the app goes on)."""
    target = _file(folder, kind, key)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{kind}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                _write(fh, key, arrays)
            # readable like the database file beside it (mkstemp makes 0600): the CLI may build it for the app's
            # user; it holds ids, codes and times, no personal data
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return None
    for old in folder.glob(f"{kind}-*"):  # older versions, and files of an older format
        if old != target:
            try:
                old.unlink()  # a process still using it keeps its mapping (POSIX)
            except OSError:
                pass
    return target


def _load(folder: Path, kind: str, key: str) -> dict[str, np.ndarray] | None:
    try:
        return _read(_file(folder, kind, key), key)
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        return None  # missing, half-copied by hand or from another format: read the database instead


def save_events(folder: Path, facts: EventFacts) -> Path | None:
    """Write the event facts' snapshot (see the module docstring)."""
    out = {f"leads.{k}": v for k, v in facts.leads.items()}
    out.update({f"defeats.{k}": v for k, v in facts.defeats.items()})
    for k, v in facts.lead_categories.items():
        _put_categories(out, f"leadcat.{k}", v)
    for k, v in facts.defeat_categories.items():
        _put_categories(out, f"defeatcat.{k}", v)
    out["follow_up_keys"] = facts.follow_up_keys
    out["customer_region"] = facts.customer_region
    out["customer_store"] = facts.customer_store
    out["customer_channel"] = facts.customer_channel
    out["last_new_car"] = facts.last_new_car
    out.update({f"purchases.{k}": v for k, v in facts.purchases.items()})
    # no names: advisors' names are personal data and stay out of files; they are read with the snapshot
    return _save(folder, "events", facts.key, out)


def load_events(folder: Path, key: str) -> EventFacts | None:
    """The event facts of version ``key`` from the snapshot, or None when there is none for that version.

    ``names`` is left empty: :func:`load_event_facts` reads them from the database."""
    a = _load(folder, "events", key)
    if a is None:
        return None
    try:
        return EventFacts(
            key=key,
            leads={k[6:]: v for k, v in a.items() if k.startswith("leads.")},
            lead_categories={
                k[8:-6]: _get_categories(a, k[:-6])
                for k in a
                if k.startswith("leadcat.") and k.endswith(".codes")
            },
            defeats={k[8:]: v for k, v in a.items() if k.startswith("defeats.")},
            defeat_categories={
                k[10:-6]: _get_categories(a, k[:-6])
                for k in a
                if k.startswith("defeatcat.") and k.endswith(".codes")
            },
            follow_up_keys=a["follow_up_keys"],
            customer_region=a["customer_region"],
            customer_store=a["customer_store"],
            customer_channel=a["customer_channel"],
            last_new_car=a["last_new_car"],
            purchases={k[10:]: v for k, v in a.items() if k.startswith("purchases.")},
        )
    except KeyError:
        return None


def save_tiers(folder: Path, facts: TierFacts) -> Path | None:
    """Write the tier facts' snapshot."""
    out = {
        "customer_id": facts.customer_id,
        "score": facts.score,
        "effective_from": facts.effective_from,
        "effective_to": facts.effective_to,
        "scheme_id": facts.scheme_id,
    }
    _put_categories(out, "tier", facts.tier)
    return _save(folder, "tiers", facts.key, out)


def load_tiers(folder: Path, key: str) -> TierFacts | None:
    """The tier facts of version ``key`` from the snapshot, or None."""
    a = _load(folder, "tiers", key)
    if a is None:
        return None
    try:
        return TierFacts(
            key=key,
            customer_id=a["customer_id"],
            tier=_get_categories(a, "tier"),
            score=a["score"],
            effective_from=a["effective_from"],
            effective_to=a["effective_to"],
            scheme_id=a["scheme_id"],
        )
    except KeyError:
        return None


def load_event_facts(engine: Engine, *, cache_dir=None) -> EventFacts:
    """The event facts of ``engine``'s database: from the snapshot in ``cache_dir`` when it holds the current
    version, else read from the database (and the snapshot written, unless data changed while reading)."""
    with engine.connect() as conn:
        key = facts_key(conn)
    if cache_dir is not None:
        got = load_events(cache_dir, key)
        if got is not None:
            with engine.connect() as conn:
                got.names = read_names(conn)  # a few hundred rows; personal data (advisors) stays off disk
            return got
    with engine.connect() as conn:
        facts = read_event_facts(conn, key)
        unchanged = facts_key(conn) == key
    if cache_dir is not None and unchanged:
        save_events(cache_dir, facts)
    return facts


def load_tier_facts(engine: Engine, *, cache_dir=None) -> TierFacts:
    """The tier facts, from the snapshot when current, else read (and the snapshot written)."""
    with engine.connect() as conn:
        key = tier_key(conn)
    if cache_dir is not None:
        got = load_tiers(cache_dir, key)
        if got is not None:
            return got
    with engine.connect() as conn:
        facts = read_tier_facts(conn, key)
        unchanged = tier_key(conn) == key
    if cache_dir is not None and unchanged:
        save_tiers(cache_dir, facts)
    return facts
