"""Raw scoring dimensions per customer, computed from the event tables (before normalisation)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

OWNER_DIMENSIONS = ("amount_12m", "purchases_12m", "repurchase_rate")


def owner_features(purchases: pd.DataFrame, owner_ids: np.ndarray, *, as_of: dt.date) -> pd.DataFrame:
    """RFM dimensions of each owner as of ``as_of``.

    - ``amount_12m``: sum of purchase amounts dated in (as_of − 365 days, as_of].
    - ``purchases_12m``: number of those purchases.
    - ``repurchase_rate``: share of the last four 91-day quarters, ending at as_of, with at least one
      purchase, counting only quarters that end after the customer's first purchase.
      A customer with no counted quarter has 0.

    Examples
    --------
    >>> p = pd.DataFrame({"customer_id": [1, 1, 2], "at": pd.to_datetime(["2026-01-10", "2026-05-01", "2025-01-01"]),
    ...                   "amount": [100.0, 50.0, 9.0]})
    >>> owner_features(p, np.array([1, 2, 3]), as_of=dt.date(2026, 6, 30))  # doctest: +NORMALIZE_WHITESPACE
                 amount_12m  purchases_12m  repurchase_rate
    customer_id
    1                 150.0              2              1.0
    2                   0.0              0              0.0
    3                   0.0              0              0.0
    """
    end = np.datetime64(as_of, "D")
    at = pd.to_datetime(purchases["at"]).to_numpy().astype("datetime64[D]")
    cust = purchases["customer_id"].to_numpy()
    amount = purchases["amount"].to_numpy(dtype=float)
    ids = np.asarray(owner_ids)
    pos = pd.Index(ids).get_indexer(cust)
    valid = (pos >= 0) & (at <= end)
    pos, at, amount = pos[valid], at[valid], amount[valid]
    age = (end - at).astype(np.int64)  # days before as_of
    in12 = age < 365
    n = len(ids)
    amount_12m = np.bincount(pos[in12], weights=amount[in12], minlength=n)
    purchases_12m = np.bincount(pos[in12], minlength=n)
    first = np.full(n, -1, dtype=np.int64)  # -1: no purchase yet
    np.maximum.at(first, pos, age)  # days since first purchase (the oldest one)
    quarter = age // 91
    hit = np.zeros((n, 4), dtype=bool)
    q_ok = quarter < 4
    hit[pos[q_ok], quarter[q_ok]] = True
    # quarter q spans ages [91q, 91q+91); it counts once the first purchase is older than its end
    counted = first[:, None] >= (np.arange(4) * 91)[None, :]
    n_counted = counted.sum(axis=1)
    rate = np.divide((hit & counted).sum(axis=1), n_counted, out=np.zeros(n), where=n_counted > 0)
    return pd.DataFrame(
        {"amount_12m": amount_12m, "purchases_12m": purchases_12m.astype(np.int64), "repurchase_rate": rate},
        index=pd.Index(ids, name="customer_id"),
    )
