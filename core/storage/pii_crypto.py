"""Customers' names and phones encrypted at rest, and the keyed hashes that find them.

A value is sealed with AES-256-GCM (``cryptography``'s AEAD; random 96-bit nonce; the column's name as
associated data, so a name cannot be passed off as a phone) and stored as base64 text:
``0x01 | key id (4 bytes) | nonce (12) | ciphertext and tag``. The key id says which key opens it, so a
keyring of several keys (newest first) reads rows of any of them and writes with the newest: that is
rotation (``python -m core keys rotate`` re-seals every row with the newest key).

Lookups never decrypt: ``phone_hash`` is HMAC-SHA256 of the normalised phone, ``phone_last4_hash`` of its
last four digits and ``name_hash`` of the whole name, each with its own key derived (HKDF) from the data
key. A search hashes the words typed with every key of the ring, so it also finds rows not yet rotated.

The keys come from (first match wins) the environment variable ``DEALER_DATA_KEY`` (comma-separated,
newest first), ``data_key`` in ``.streamlit/secrets.toml`` (a string or a list), or the local key file
``data/.data-key`` that the demo creates when none is configured (git-ignored, never committed).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import os
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.storage.errors import DatabaseError
from core.storage.settings import PROJECT_ROOT, SECRETS_PATH

log = logging.getLogger(__name__)

ENV_VAR = "DEALER_DATA_KEY"
LOCAL_KEY_PATH = PROJECT_ROOT / "data" / ".data-key"
VERSION = b"\x01"
_HEAD = 1 + 4 + 12  # version, key id, nonce
INDEX_KINDS = ("phone", "phone_last4", "name")


class DataKeyError(DatabaseError):
    """No data key is configured, or none of the configured keys opens the stored personal data."""


@dataclass(frozen=True)
class DataKey:
    """One 32-byte key and the keys derived from it (never the raw key for two purposes)."""

    key_id: bytes
    aead: AESGCM
    index_keys: dict[str, bytes]

    @classmethod
    def from_text(cls, text: str) -> DataKey:
        try:
            raw = base64.urlsafe_b64decode(text.strip().encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raw = b""
        if len(raw) != 32:
            raise DataKeyError(
                "key_invalid", ENV_VAR, "a data key is 32 bytes in URL-safe base64 (44 characters)"
            )

        def derive(purpose: str) -> bytes:
            return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(raw)

        return cls(
            key_id=derive("dealer-tiering key id")[:4],
            aead=AESGCM(derive("dealer-tiering pii encryption")),
            index_keys={kind: derive(f"dealer-tiering blind index {kind}") for kind in INDEX_KINDS},
        )


def new_key_text() -> str:
    """A fresh random data key, as text for ``DEALER_DATA_KEY``.

    Examples
    --------
    >>> len(new_key_text()), new_key_text() != new_key_text()
    (44, True)
    """
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode("ascii")


class Keyring:
    """Data keys, newest first: seals with the first, opens with whichever key id a value names.

    Examples
    --------
    >>> old, new = Keyring([new_key_text()]), None
    >>> token = old.seal("13812345678", "customers.phone")
    >>> "138" in token, old.open(token, "customers.phone")
    (False, '13812345678')
    >>> new = Keyring([new_key_text(), *old.texts])
    >>> new.open(token, "customers.phone"), new.needs_rotation(token)
    ('13812345678', True)
    """

    def __init__(self, texts: Sequence[str], source: str = "env") -> None:
        self.texts = tuple(texts)
        self.source = source
        if not texts:
            raise DataKeyError("key_missing", self.where, "no key")
        self.keys = [DataKey.from_text(t) for t in texts]
        self.by_id = {k.key_id: k for k in reversed(self.keys)}
        self.newest = self.keys[0]

    def seal(self, value: str, column: str) -> str:
        nonce = os.urandom(12)
        body = self.newest.aead.encrypt(nonce, value.encode("utf-8"), column.encode())
        return base64.b64encode(VERSION + self.newest.key_id + nonce + body).decode("ascii")

    def open(self, token: str, column: str) -> str:
        try:
            raw = binascii.a2b_base64(token)  # not base64.b64decode: ~4x slower, and this runs per row shown
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) <= _HEAD or raw[0] != 1:
            raise DataKeyError("key_unsealed", column, "a stored value is not encrypted")
        key = self.by_id.get(raw[1:5])
        if key is None:
            raise DataKeyError("key_wrong", self.where, f"no configured key has id {raw[1:5].hex()}")
        try:
            return key.aead.decrypt(raw[5:_HEAD], raw[_HEAD:], column.encode()).decode("utf-8")
        except InvalidTag:
            raise DataKeyError("key_wrong", self.where, f"{column} fails its integrity check") from None

    @property
    def where(self) -> str:
        """Where the keys were looked for, in words for an error message."""
        return {
            "env": ENV_VAR,
            "secrets": "data_key in .streamlit/secrets.toml",
            "file": str(LOCAL_KEY_PATH),
        }.get(self.source, f"{ENV_VAR}, data_key in .streamlit/secrets.toml, {LOCAL_KEY_PATH}")

    def needs_rotation(self, token: str) -> bool:
        return base64.b64decode(token.encode("ascii"))[1:5] != self.newest.key_id

    def index(
        self, kind: str, values: Iterable[str | None], *, key: DataKey | None = None
    ) -> list[str | None]:
        """Keyed hashes (32 hex digits) of ``values`` normalised for ``kind``; None where nothing to hash."""
        secret = (key or self.newest).index_keys[kind]
        norm = NORMALISE[kind]
        out: list[str | None] = []
        for value in values:
            text = norm(value) if isinstance(value, str) else None
            out.append(hmac.digest(secret, text.encode(), "sha256")[:16].hex() if text else None)
        return out

    def index_all_keys(self, kind: str, value: str) -> list[str]:
        """The hash of one value under every key of the ring (a lookup finds rows not yet rotated)."""
        return [h for k in self.keys if (h := self.index(kind, [value], key=k)[0])]


def phone_digits(phone: str) -> str:
    """The phone's digits without the country code 86, as phones are compared.

    Examples
    --------
    >>> phone_digits("+86 138-1234-5678"), phone_digits("0752-1234567")
    ('13812345678', '07521234567')
    """
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def _last4(phone: str) -> str:
    digits = phone_digits(phone)
    return digits[-4:] if len(digits) >= 4 else ""


def _name(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


NORMALISE = {"phone": phone_digits, "phone_last4": _last4, "name": _name}


# ---- where the keys come from ------------------------------------------------------------------------
def _keys_from_secrets(path: Path) -> list[str]:
    if not path.is_file():
        return []
    with path.open("rb") as fh:
        value = tomllib.load(fh).get("data_key")
    if isinstance(value, str):
        return _split(value)
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return []


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def configured_keys(
    *,
    environ: Mapping[str, str] | None = None,
    secrets_path: Path | None = None,
    key_path: Path | None = None,
) -> tuple[list[str], str]:
    """(key texts newest first, where from: env, secrets, file or none).

    Examples
    --------
    >>> configured_keys(environ={"DEALER_DATA_KEY": "a, b"})
    (['a', 'b'], 'env')
    >>> configured_keys(environ={}, secrets_path=Path("/none"), key_path=Path("/none"))
    ([], 'none')
    """
    env = os.environ if environ is None else environ
    if env.get(ENV_VAR, "").strip():
        return _split(env[ENV_VAR]), "env"
    found = _keys_from_secrets(SECRETS_PATH if secrets_path is None else secrets_path)
    if found:
        return found, "secrets"
    path = LOCAL_KEY_PATH if key_path is None else key_path
    if path.is_file():
        return _split(path.read_text(encoding="ascii")), "file"
    return [], "none"


def create_local_key(path: Path | None = None) -> None:
    """Write a new key to the local key file (readable by its owner only) for a demo without a key; a file
    another process made meanwhile is kept (O_EXCL: never two keys)."""
    path = LOCAL_KEY_PATH if path is None else path
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(new_key_text() + "\n")
    log.warning(
        "No data key configured (%s or data_key in .streamlit/secrets.toml): created the local key file %s "
        "for this demo. Keep it with the database; without it names and phones cannot be read.",
        ENV_VAR,
        path,
    )


_ring: Keyring | None = None


def keyring(*, create_local: bool = False) -> Keyring:
    """The process's keyring, read once; with ``create_local`` a demo without any key gets a local key file.

    Raises
    ------
    DataKeyError
        ``key_missing`` when no key is configured, ``key_invalid`` when one is not a key.
    """
    global _ring
    if _ring is None:
        texts, source = configured_keys()
        if not texts and create_local:
            create_local_key()
            texts, source = configured_keys()
        _ring = Keyring(texts, source)
    return _ring


def reset_keyring() -> None:
    """Forget the loaded keys (the configuration changed: tests, a rotation)."""
    global _ring
    _ring = None


# ---- the column type ---------------------------------------------------------------------------------
class EncryptedText(sa.types.TypeDecorator):
    """Text sealed on the way in and opened on the way out; ``column`` is the associated data."""

    impl = sa.String
    cache_ok = True

    def __init__(self, length: int, column: str) -> None:
        super().__init__(length)
        self.column = column

    def process_bind_param(self, value, dialect):
        return None if value is None else keyring().seal(str(value), self.column)

    def process_result_value(self, value, dialect):
        return None if value is None else keyring().open(value, self.column)

    def seal_many(self, values: Iterable[object]) -> list[str | None]:
        ring = keyring()
        return [None if v is None else ring.seal(str(v), self.column) for v in values]


def index_default(kind: str):
    """A column default computing the keyed hash of ``kind`` from the insert's own plain parameters."""
    source = "name" if kind == "name" else "phone"

    def default(context) -> str | None:
        return keyring().index(kind, [context.get_current_parameters().get(source)])[0]

    return default


# table → keyed-hash column → what it hashes (kind of ``Keyring.index``)
INDEX_COLUMNS = {"customers": {"phone_hash": "phone", "phone_last4_hash": "phone_last4", "name_hash": "name"}}


def with_index_columns(table: sa.Table, frame):
    """``frame`` with the keyed-hash columns of ``table`` (``INDEX_COLUMNS``) derived from the plain values it
    carries (a frame without the source column is returned as it is)."""
    derived = {}
    for column, kind in INDEX_COLUMNS.get(table.name, {}).items():
        source = "name" if kind == "name" else "phone"
        if source in frame.columns:
            values = frame[source].astype(object).where(frame[source].notna(), None)
            derived[column] = keyring().index(kind, values)
    return frame.assign(**derived) if derived else frame


def verify_key(engine: sa.Engine) -> None:
    """Open one stored name and phone with the configured keys; ``DataKeyError`` saying what to fix."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT name, phone FROM customers WHERE phone IS NOT NULL ORDER BY id LIMIT 1")
        ).first()
        if row is None:
            row = conn.execute(sa.text("SELECT name, NULL FROM customers ORDER BY id LIMIT 1")).first()
    if row is None:
        return
    ring = keyring(create_local=False)
    ring.open(row[0], "customers.name")
    if row[1] is not None:
        ring.open(row[1], "customers.phone")


# ---- sealing and re-sealing the stored rows (migration 0008, key rotation) ----------------------------
RESEAL_BATCH = 20_000


def _update_batch(conn: sa.Connection, rows: list[dict]) -> None:
    conn.execute(
        sa.text(
            "UPDATE customers SET name = :name, phone = :phone, phone_hash = :phone_hash, "
            "phone_last4_hash = :phone_last4_hash, name_hash = :name_hash WHERE id = :id"
        ),
        rows,
    )


def reseal_customers(conn: sa.Connection, ring: Keyring, *, stored_plain: bool) -> int:
    """Seal every customer's name and phone with the ring's newest key and recompute the keyed hashes,
    inside the caller's transaction (all or nothing). ``stored_plain``: the stored values are plain text
    (the migration that introduced encryption); else they are opened with whichever key sealed them.
    Returns the number of rows written."""
    last, written = 0, 0
    select = sa.text("SELECT id, name, phone FROM customers WHERE id > :last ORDER BY id LIMIT :n")
    while True:
        batch = conn.execute(select, {"last": last, "n": RESEAL_BATCH}).all()
        if not batch:
            return written
        ids = [r[0] for r in batch]
        if stored_plain:
            names = [r[1] for r in batch]
            phones = [r[2] for r in batch]
        else:
            names = [None if r[1] is None else ring.open(r[1], "customers.name") for r in batch]
            phones = [None if r[2] is None else ring.open(r[2], "customers.phone") for r in batch]
        hashes = {kind: ring.index(kind, phones) for kind in ("phone", "phone_last4")}
        name_hash = ring.index("name", names)
        rows = [
            {
                "id": ids[i],
                "name": None if names[i] is None else ring.seal(names[i], "customers.name"),
                "phone": None if phones[i] is None else ring.seal(phones[i], "customers.phone"),
                "phone_hash": hashes["phone"][i],
                "phone_last4_hash": hashes["phone_last4"][i],
                "name_hash": name_hash[i],
            }
            for i in range(len(batch))
        ]
        _update_batch(conn, rows)
        written += len(rows)
        last = ids[-1]


def key_usage(conn: sa.Connection, ring: Keyring) -> dict[str, int]:
    """Customers per key id that sealed their name (``unknown`` for a key not in the ring)."""
    out: dict[str, int] = {}
    last = 0
    select = sa.text("SELECT id, name FROM customers WHERE id > :last ORDER BY id LIMIT :n")
    while batch := conn.execute(select, {"last": last, "n": RESEAL_BATCH}).all():
        for _, token in batch:
            raw = base64.b64decode(token.encode("ascii"))[1:5]
            label = raw.hex() if raw in ring.by_id else f"unknown {raw.hex()}"
            out[label] = out.get(label, 0) + 1
        last = batch[-1][0]
    return out
