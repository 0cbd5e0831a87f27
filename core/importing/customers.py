"""Which customer each row means: by external id (the CRM's own key), else by normalised phone.

A row whose customer is in the database gets that id; rows naming the same new customer (same external id,
or same phone where no external id says otherwise) share one new id, so duplicates are merged, not doubled.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.models import Customer


def existing_keys(conn: Connection) -> pd.DataFrame:
    """id, external_id, phone of every customer."""
    return pd.read_sql(sa.select(Customer.id, Customer.external_id, Customer.phone), conn)


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
    ids = pd.Series(ext.map(ext2id), index=ext.index, dtype="Int64")
    by_phone = pd.Series(phone.map(phone2id), index=ext.index, dtype="Int64")
    # a phone match counts unless both sides carry different external ids
    matched = by_phone.dropna().astype(int)
    other_ext = pd.Series(None, index=ext.index, dtype=object)
    other_ext.loc[matched.index] = matched.map(id_ext).to_numpy()
    usable = by_phone.notna() & (ext.isna() | other_ext.isna())
    take = ids.isna() & usable
    # a stored customer without an external id takes the FIRST external id that reaches it by phone; a row
    # with another external id is another customer
    with_ext = take & ext.notna()
    first_ext = ext[with_ext].groupby(by_phone[with_ext]).transform("first")
    take.loc[first_ext.index[first_ext != ext[with_ext]]] = False
    # ... and an external id goes to one stored customer only: the first it reaches
    with_ext = take & ext.notna()
    first_id = by_phone[with_ext].groupby(ext[with_ext]).transform("first")
    take.loc[first_id.index[first_id != by_phone[with_ext]]] = False
    ids[take] = by_phone[take]
    # every row of that external id is then that customer, whatever its phone
    adopted = dict(zip(ext[take & ext.notna()], ids[take & ext.notna()], strict=True))
    follow = ids.isna() & ext.isin(list(adopted))
    ids[follow] = ext[follow].map(adopted).astype("Int64")
    new = ids.isna()
    next_id = int(existing["id"].max()) + 1 if len(existing) else 1
    if new.any():
        e, p = ext[new], phone[new]
        key = ("e:" + e.astype(str)).where(e.notna(), None)
        # a row without an external id joins the new customer that will STORE its phone (the first phone of
        # that customer's rows), so that importing the file again finds the same customer by phone
        phone_only = key.isna()
        if phone_only.any():
            # only the keyed rows that share a phone with a phone-only row matter (fast on a million rows)
            keyed = key.notna() & p.isin(set(p[phone_only].dropna()))
            stored_phone = p[keyed].groupby(key[keyed], sort=False).first().dropna()
            phone_to_key: dict = {}
            for k, ph in stored_phone.items():
                phone_to_key.setdefault(ph, k)
            key = key.where(~phone_only, p.map(phone_to_key))
            key = key.where(key.notna(), "p:" + p.astype(str))
        codes, _ = pd.factorize(key)
        ids[new] = codes + next_id
        next_id += int(codes.max()) + 1 if len(codes) else 0
    return ids, new, next_id
