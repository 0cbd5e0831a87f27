"""Which customer each row means: by external id (the CRM's own key), else by normalised phone.

Phones are encrypted at rest, so they are compared by their keyed hash (``core.storage.pii_crypto``): the stored
``phone_hash`` against the hash of each row's phone, never by decrypting a million customers.

A row whose customer is in the database gets that id; rows naming the same new customer (same external id,
or same phone where no external id says otherwise) share one new id, so duplicates are merged, not doubled.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.storage.models import Customer
from core.storage.pii_crypto import keyring


def existing_keys(conn: Connection) -> pd.DataFrame:
    """id, external_id and, as ``phone``, the keyed hash of the phone of every customer."""
    q = sa.select(Customer.id, Customer.external_id, Customer.phone_hash.label("phone"))
    return pd.read_sql(q, conn)


def phone_keys(phone: pd.Series, existing: pd.DataFrame) -> pd.Series:
    """Each row's phone as the key ``resolve_customers`` compares with ``existing``: its keyed hash under
    the key that hashed the stored customer with that phone (rows not yet rotated to the newest key are
    still found), else under the newest key; None without a phone."""
    ring = keyring()
    plain = phone.astype(object).where(phone.notna(), None)
    unique = pd.unique(plain.dropna())
    stored = set(existing["phone"].dropna())
    chosen = pd.Series(ring.index("phone", unique), index=unique, dtype=object)
    for key in ring.keys[1:]:
        older = pd.Series(ring.index("phone", unique, key=key), index=unique, dtype=object)
        use = older.isin(stored) & ~chosen.isin(stored)
        chosen[use] = older[use]
    return plain.map(chosen).astype(object).where(plain.notna(), None)


def resolve_customers(
    ext: pd.Series, phone: pd.Series, existing: pd.DataFrame
) -> tuple[pd.Series, pd.Series, int]:
    """(customer id per row, True where that id is new, next free id).

    Examples
    --------
    >>> db = pd.DataFrame({"id": [1, 2], "external_id": ["A", None], "phone": ["138", "139"]})
    >>> ids, new, _ = resolve_customers(
    ...     pd.Series(["A", None, "B", None, "C"]), pd.Series([None, "139", "150", "150", None]), db)
    >>> ids.tolist(), new.tolist()
    ([1, 2, 3, 3, 4], [False, False, True, True, True])

    Customer 2 has no external id: the first one that reaches it by phone (X) becomes its, with all its rows.

    >>> ids, new, _ = resolve_customers(pd.Series(["X", "X", "Y"]), pd.Series(["139", "150", "139"]), db)
    >>> ids.tolist(), new.tolist()
    ([2, 2, 3], [False, False, True])
    """
    ext = ext.astype(object).where(ext.notna(), None)
    phone = phone.astype(object).where(phone.notna(), None)
    with_ext = existing[existing["external_id"].notna()]
    ext2id = dict(zip(with_ext["external_id"], with_ext["id"], strict=True))
    with_phone = existing[existing["phone"].notna()].sort_values("id")
    phone2id = dict(
        zip(with_phone["phone"][::-1], with_phone["id"][::-1], strict=True)
    )  # the oldest customer wins
    id_ext = dict(zip(existing["id"], existing["external_id"], strict=True))
    keyed = ext.notna()
    ids = pd.Series(ext.map(ext2id), index=ext.index, dtype="Int64")
    # 1. rows with an external id: by that id, else by phone (adopting a stored customer without one)
    by_phone = pd.Series(phone.map(phone2id), index=ext.index, dtype="Int64").where(keyed)
    matched = by_phone.dropna().astype(int)
    other_ext = pd.Series(None, index=ext.index, dtype=object)
    other_ext.loc[matched.index] = matched.map(id_ext).to_numpy()
    take = ids.isna() & by_phone.notna() & other_ext.isna()
    # a stored customer without an external id takes the FIRST external id that reaches it by phone; a row
    # with another external id is another customer
    first_ext = ext[take].groupby(by_phone[take]).transform("first")
    take.loc[first_ext.index[first_ext != ext[take]]] = False
    # ... and an external id goes to one stored customer only: the first it reaches
    first_id = by_phone[take].groupby(ext[take]).transform("first")
    take.loc[first_id.index[first_id != by_phone[take]]] = False
    ids[take] = by_phone[take]
    # every row of that external id is then that customer, whatever its phone
    adopted = dict(zip(ext[take], ids[take], strict=True))
    follow = ids.isna() & ext.isin(list(adopted))
    ids[follow] = ext[follow].map(adopted).astype("Int64")
    next_id = int(existing["id"].max()) + 1 if len(existing) else 1
    fresh = ids.isna() & keyed
    if fresh.any():
        codes, _ = pd.factorize(ext[fresh])
        ids[fresh] = codes + next_id
        next_id += int(codes.max()) + 1
    # 2. rows with only a phone: the oldest customer that will HAVE that phone after this import (a stored
    # customer keeps its phone if one of its rows has it, else takes its rows' first), so that importing
    # the same file again finds the same customer
    loose = ~keyed & phone.notna()
    if loose.any():
        wanted = set(phone[loose])
        rows = pd.DataFrame({"id": ids[keyed].astype(int), "phone": phone[keyed]}).dropna()
        stored = dict(zip(existing["id"], existing["phone"], strict=True))
        touched = rows.groupby("id", sort=False)["phone"]
        after = touched.first()
        keeps = rows[rows["phone"].to_numpy() == rows["id"].map(stored).to_numpy()]["id"].unique()
        after.loc[after.index.isin(keeps)] = after.index[after.index.isin(keeps)].map(stored)
        untouched = with_phone[~with_phone["id"].isin(after.index)]
        holders = pd.concat(
            [
                pd.Series(untouched["id"].to_numpy(), index=untouched["phone"].to_numpy()),
                pd.Series(after.index.to_numpy(), index=after.to_numpy()),
            ]
        )
        holders = holders[holders.index.isin(wanted)]
        oldest = holders.groupby(level=0).min()
        ids[loose] = phone[loose].map(oldest).astype("Int64")
        fresh = ids.isna() & loose
        if fresh.any():
            codes, _ = pd.factorize(phone[fresh])
            ids[fresh] = codes + next_id
            next_id += int(codes.max()) + 1
    new = ids >= (int(existing["id"].max()) + 1 if len(existing) else 1)
    new = new.fillna(False).astype(bool)
    return ids, new, next_id
