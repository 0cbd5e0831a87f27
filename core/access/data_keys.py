"""Rotating the data key that seals customers' names and phones at rest (:mod:`core.storage.pii_crypto`):
re-seal every row with the newest key, audited."""

from __future__ import annotations

import sqlalchemy as sa

from core.access.audit import record
from core.storage.db import write_transaction
from core.storage.pii_crypto import keyring, reseal_customers


def rotate(engine: sa.Engine, *, actor: str) -> int:
    """Re-seal every customer's name and phone with the newest key of the ring and recompute the keyed
    hashes, in one transaction (all or nothing), recorded in the audit log. Returns the rows re-sealed.

    Raises
    ------
    DataKeyError
        When a stored value opens with none of the keys (nothing is changed).
    """
    ring = keyring()
    with write_transaction(engine) as conn:
        n = reseal_customers(conn, ring, stored_plain=False)
        record(
            conn, actor=actor, action="keys.rotate", object_type="table", object_id="customers",
            detail={"customers": n, "key": ring.newest.key_id.hex()},
        )  # fmt: skip
    return n
