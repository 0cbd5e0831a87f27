"""Tier assignments by region: current counts, year over year with shares and concentration, migration between
two dates or two scheme versions, and the customers behind a figure (masked)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.access.privacy import mask_name, mask_phone
from core.analytics.overview import Filters, published_scheme, tiers_in_force
from core.storage.models import Customer, Region, ScoringScheme, Store, TierAssignment


def tiers_by_region(*, conn: Connection, filters: Filters) -> pd.DataFrame:
    """Customers per region and tier in force at the period's end: region_id, region, region_en, tier, customers."""
    q = (
        sa.select(
            Region.id.label("region_id"),
            Region.name.label("region"),
            Region.name_en.label("region_en"),
            TierAssignment.tier,
            sa.func.count().label("customers"),
        )
        .select_from(TierAssignment)
        .join(Customer, Customer.id == TierAssignment.customer_id)
        .join(Region, Region.id == Customer.region_id)
        .where(*tiers_in_force(filters, filters.end_dt))
        .group_by(Region.id, Region.name, Region.name_en, TierAssignment.tier)
        .order_by(Region.id, TierAssignment.tier)
    )
    out = pd.read_sql(q, conn)
    return out.astype({"customers": "int64"})


def tier_members(
    *, conn: Connection, filters: Filters, tier: str | None, limit: int = 200, show_pii: bool = False
) -> pd.DataFrame:
    """The customers of a tier (all tiers if None), best score first, personal data masked unless ``show_pii``."""
    q = (
        sa.select(
            Customer.id.label("customer_id"),
            Customer.name,
            Customer.phone,
            Region.name.label("region"),
            Store.name.label("store"),
            TierAssignment.tier,
            TierAssignment.score,
            TierAssignment.effective_from.label("since"),
        )
        .select_from(TierAssignment)
        .join(Customer, Customer.id == TierAssignment.customer_id)
        .outerjoin(Region, Region.id == Customer.region_id)
        .outerjoin(Store, Store.id == Customer.store_id)
        .where(*tiers_in_force(filters, filters.end_dt), *([TierAssignment.tier == tier] if tier else []))
        .order_by(TierAssignment.score.desc(), Customer.id)
        .limit(limit)
    )
    out = pd.read_sql(q, conn)
    if not show_pii:
        out["name"] = out["name"].map(mask_name)
        out["phone"] = out["phone"].map(mask_phone)
    return out


# ---------------------------------------------------------------------------------------------------------------
# 区域分级分布: tiers per region year over year, and migration between two dates or two scheme versions
#
# Definitions (shown to users in the page's help texts):
# - the tiers *at* a time are the owners scheme's assignments in force then (``core.analytics.overview.tiers_in_force``,
#   the one definition used everywhere); "at a day" means at the end of that day. Store, region and channel
#   filter the customer (store, region, first channel).
# - year over year compares the period's end with the same day one year before (29 February → 28 February).
# - *share* (占比): the tier's customers ÷ the region's tiered customers at that time.
# - *concentration* (集中度): the region's customers of a tier ÷ all customers of that tier at that time.
# - *change*: this year's figure − the year before's (customers, or percentage points of a share).
# - migration by dates: each customer's tier at the first day against the second; a customer with no tier on
#   one side is "untiered" (``UNTIERED``) there; customers with no tier on either side are not counted.
# - migration by versions: each customer's latest assignment from one published scheme version against the
#   latest from another (as the scoring lab's version comparison does).

UNTIERED = "__untiered__"
DENSE_IDS = 50_000_000  # customer ids up to this are paired through a dense array (8 bytes × id per side)
REGION_MISSING = "—"
_REGION_COLUMNS = [
    "region_id",
    "region",
    "region_en",
    "tier",
    "customers_before",
    "customers",
    "change",
    "share_before",
    "share",
    "share_change",
    "concentration_before",
    "concentration",
    "concentration_change",
]


def end_of_day(day: dt.date) -> dt.datetime:
    """The instant a day's figures are taken at: midnight after it (the period's ``end_dt``)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)


def year_before(day: dt.date) -> dt.date:
    """The same day one year earlier; 29 February becomes 28 February.

    Examples
    --------
    >>> year_before(dt.date(2026, 6, 30)), year_before(dt.date(2024, 2, 29))
    (datetime.date(2025, 6, 30), datetime.date(2023, 2, 28))
    """
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def tiers_at(*, conn: Connection, filters: Filters, at: dt.datetime) -> pd.DataFrame:
    """Each filtered customer's owners tier in force at ``at``: ``customer_id, region_id, tier``, by customer."""
    q = (
        sa.select(TierAssignment.customer_id, Customer.region_id, TierAssignment.tier)
        .select_from(TierAssignment)
        .join(Customer, Customer.id == TierAssignment.customer_id)
        .where(*tiers_in_force(filters, at))
        .order_by(TierAssignment.customer_id)
    )
    return pd.read_sql(q, conn).astype({"customer_id": "int64"})


def tier_order(labels: list[str], *frames: pd.DataFrame) -> list[str]:
    """The scheme's labels first (top tier first), then any other label found in ``frames``, sorted.

    Examples
    --------
    >>> tier_order(["高价值", "普通"], pd.DataFrame({"tier": ["普通", "A"]}))
    ['高价值', '普通', 'A']
    """
    found = set().union(*(set(f["tier"].dropna().unique()) for f in frames)) if frames else set()
    return list(labels) + sorted(found - set(labels))


def _tier_codes(tiers: pd.Series, order: list[str]) -> np.ndarray:
    """Position of each tier in ``order`` (int64; -1 for a missing tier), without a Python loop per row."""
    index = pd.Index(order, dtype=object)
    if isinstance(tiers.dtype, pd.CategoricalDtype):  # recode the few categories, then take by code
        lookup = index.get_indexer(tiers.cat.categories.astype(object))
        codes = tiers.cat.codes.to_numpy()
        if not len(lookup):
            return np.full(len(codes), -1, dtype=np.int64)
        return np.where(codes >= 0, lookup[np.maximum(codes, 0)], -1).astype(np.int64)
    return index.get_indexer(tiers.astype(object)).astype(np.int64)


def _region_codes(region_ids: pd.Series) -> np.ndarray:
    """Region ids as int64 with -1 for a customer without a region."""
    return pd.to_numeric(region_ids, errors="coerce").fillna(-1).to_numpy(dtype=np.int64)


def regions(*, conn: Connection) -> pd.DataFrame:
    """``id, name, name_en`` of every region, by id."""
    return pd.read_sql(sa.select(Region.id, Region.name, Region.name_en).order_by(Region.id), conn)


def _share(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num.astype(float) / den.astype(float).where(den > 0)).astype(float)


def region_tiers_from_frames(
    now: pd.DataFrame, before: pd.DataFrame, region_names: pd.DataFrame, labels: list[str]
) -> pd.DataFrame:
    """Customers per region and tier at two times, shares within the region and the region's share of each tier.

    Parameters
    ----------
    now, before : pandas.DataFrame
        Tiers at the two times (``customer_id, region_id, tier``, as :func:`tiers_at` returns).
    region_names : pandas.DataFrame
        ``id, name, name_en`` of the regions.
    labels : list of str
        The scheme's tier labels, top first; other labels found are added after them.

    Returns
    -------
    pandas.DataFrame
        One row per region found at either time (by id; customers without a region last, named "—") × tier:
        ``region_id, region, region_en, tier, customers_before, customers, change, share_before, share,
        share_change, concentration_before, concentration, concentration_change`` (shares are fractions; NaN
        where the region or tier has no customers at that time).

    Examples
    --------
    >>> names = pd.DataFrame({"id": [1, 2], "name": ["惠城区", "博罗县"], "name_en": ["Huicheng", "Boluo"]})
    >>> now = pd.DataFrame({"customer_id": [1, 2, 3], "region_id": [1, 1, 2], "tier": ["A", "B", "A"]})
    >>> before = pd.DataFrame({"customer_id": [1], "region_id": [1], "tier": ["B"]})
    >>> out = region_tiers_from_frames(now, before, names, ["A", "B"])
    >>> out[["region", "tier", "customers_before", "customers", "change", "share", "concentration"]]
      region tier  customers_before  customers  change  share  concentration
    0    惠城区    A                 0          1       1    0.5            0.5
    1    惠城区    B                 1          1       0    0.5            1.0
    2    博罗县    A                 0          1       1    1.0            0.5
    3    博罗县    B                 0          0       0    0.0            0.0
    """
    tiers = tier_order(labels, now, before)
    codes = np.concatenate([_region_codes(now["region_id"]), _region_codes(before["region_id"])])
    present = [int(k) for k in np.unique(codes) if k >= 0]
    region_keys: list[int | None] = [*present, *([None] if (codes < 0).any() else [])]
    names = region_names.set_index("id")

    position = {k: i for i, k in enumerate(-1 if r is None else r for r in region_keys)}
    lookup = np.asarray(sorted(position), dtype=np.int64)
    slot = np.asarray([position[k] for k in sorted(position)], dtype=np.int64)

    def counts(frame: pd.DataFrame) -> np.ndarray:
        """Customers per (region, tier) as a matrix in the order of ``region_keys`` × ``tiers``."""
        if frame.empty or not len(lookup):
            return np.zeros((len(region_keys), len(tiers)), dtype=np.int64)
        regions_ = slot[np.searchsorted(lookup, _region_codes(frame["region_id"]))]
        tiers_ = _tier_codes(frame["tier"], tiers)
        keep = tiers_ >= 0
        flat = regions_[keep] * len(tiers) + tiers_[keep]
        return np.bincount(flat, minlength=len(region_keys) * len(tiers)).reshape(len(region_keys), -1)

    c_now, c_before = counts(now), counts(before)
    rows = []
    for i, r in enumerate(region_keys):
        if r is not None and r in names.index:
            name, name_en = names.loc[r, "name"], names.loc[r, "name_en"]
        else:
            name = name_en = REGION_MISSING
        for j, tier in enumerate(tiers):
            rows.append((r, name, name_en, tier, int(c_before[i, j]), int(c_now[i, j])))
    out = pd.DataFrame(rows, columns=_REGION_COLUMNS[:6])
    out["region_id"] = pd.Series([None if pd.isna(r) else int(r) for r in out["region_id"]], dtype=object)
    out["change"] = out["customers"] - out["customers_before"]
    key = out["region_id"].map(lambda r: -1 if r is None else r)
    for col, suffix in (("customers", ""), ("customers_before", "_before")):
        out["share" + suffix] = _share(out[col], out.groupby(key)[col].transform("sum"))
        out["concentration" + suffix] = _share(out[col], out.groupby("tier")[col].transform("sum"))
    out["share_change"] = out["share"] - out["share_before"]
    out["concentration_change"] = out["concentration"] - out["concentration_before"]
    return out[_REGION_COLUMNS].astype({"customers": "int64", "customers_before": "int64", "change": "int64"})


def region_tiers_yoy(*, conn: Connection, filters: Filters) -> pd.DataFrame:
    """:func:`region_tiers_from_frames` at the period's end and the same day one year before.

    Parameters
    ----------
    conn : Connection
        An open connection.
    filters : Filters
        The shared filters (the period's end is the time; store, region, channel select customers).

    Returns
    -------
    pandas.DataFrame
        See :func:`region_tiers_from_frames`; empty when no customer has a tier at either time.
    """
    now = tiers_at(conn=conn, filters=filters, at=filters.end_dt)
    before = tiers_at(conn=conn, filters=filters, at=end_of_day(year_before(filters.end)))
    if now.empty and before.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _REGION_COLUMNS})
    scheme = published_scheme(conn=conn)
    labels = list(scheme["params"].get("labels", [])) if scheme else []
    return region_tiers_from_frames(now, before, regions(conn=conn), labels)


def transition_from_frames(
    a: pd.DataFrame, b: pd.DataFrame, labels_a: list[str], labels_b: list[str]
) -> pd.DataFrame:
    """Customers moving from their tier in ``a`` to their tier in ``b``, every pair of tiers, in long format.

    Parameters
    ----------
    a, b : pandas.DataFrame
        ``customer_id, tier`` at the two sides (one row per customer).
    labels_a, labels_b : list of str
        Tier labels of each side, top first; other labels found are added after them, then ``UNTIERED``.

    Returns
    -------
    pandas.DataFrame
        ``from_tier, to_tier, customers`` for every pair of the two sides' tiers (``UNTIERED`` for a customer
        without a tier on that side) except untiered → untiered, rows in label order.

    Examples
    --------
    >>> a = pd.DataFrame({"customer_id": [1, 2, 3], "tier": ["A", "A", "B"]})
    >>> b = pd.DataFrame({"customer_id": [1, 3, 4], "tier": ["A", "A", "B"]})
    >>> transition_from_frames(a, b, ["A", "B"], ["A", "B"])
          from_tier       to_tier  customers
    0             A             A          1
    1             A             B          0
    2             A  __untiered__          1
    3             B             A          1
    4             B             B          0
    5             B  __untiered__          0
    6  __untiered__             A          0
    7  __untiered__             B          1
    """
    rows_a = [*tier_order(labels_a, a), UNTIERED]
    rows_b = [*tier_order(labels_b, b), UNTIERED]
    _, x, y = _paired(a, b, rows_a, rows_b)
    pairs = np.bincount(x * len(rows_b) + y, minlength=len(rows_a) * len(rows_b)).reshape(len(rows_a), -1)
    out = [
        (tx, ty, int(pairs[i, j]))
        for i, tx in enumerate(rows_a)
        for j, ty in enumerate(rows_b)
        if not (tx == UNTIERED and ty == UNTIERED)
    ]
    return pd.DataFrame(out, columns=["from_tier", "to_tier", "customers"]).astype({"customers": "int64"})


def _paired(
    a: pd.DataFrame, b: pd.DataFrame, rows_a: list[str], rows_b: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every customer on either side (ascending id, one row per customer and side) with the position of their
    tier in ``rows_a`` and in ``rows_b`` (the last position, ``UNTIERED``, where that side has none)."""
    ids_a = a["customer_id"].to_numpy(dtype=np.int64)
    ids_b = b["customer_id"].to_numpy(dtype=np.int64)
    code_a = _tier_codes(a["tier"], rows_a)
    code_a[code_a < 0] = len(rows_a) - 1
    code_b = _tier_codes(b["tier"], rows_b)
    code_b[code_b < 0] = len(rows_b) - 1
    top = max(int(ids_a.max()) if len(ids_a) else 0, int(ids_b.max()) if len(ids_b) else 0)
    low = min(int(ids_a.min()) if len(ids_a) else 0, int(ids_b.min()) if len(ids_b) else 0)
    if low >= 0 and top <= DENSE_IDS:  # database ids: a dense array by id is one pass, no sort
        x = np.full(top + 1, len(rows_a) - 1, dtype=np.int64)
        y = np.full(top + 1, len(rows_b) - 1, dtype=np.int64)
        present = np.zeros(top + 1, dtype=bool)
        x[ids_a], y[ids_b] = code_a, code_b
        present[ids_a] = present[ids_b] = True
        ids = np.flatnonzero(present)
        return ids, x[ids], y[ids]
    ids = np.union1d(ids_a, ids_b)
    x = np.full(len(ids), len(rows_a) - 1, dtype=np.int64)
    y = np.full(len(ids), len(rows_b) - 1, dtype=np.int64)
    x[np.searchsorted(ids, ids_a)] = code_a
    y[np.searchsorted(ids, ids_b)] = code_b
    return ids, x, y


def transition_members_from_frames(
    a: pd.DataFrame, b: pd.DataFrame, from_tier: str, to_tier: str
) -> list[int]:
    """The customers of one cell of :func:`transition_from_frames`, by id.

    Examples
    --------
    >>> a = pd.DataFrame({"customer_id": [1, 2, 3], "tier": ["A", "A", "B"]})
    >>> b = pd.DataFrame({"customer_id": [1, 3, 4], "tier": ["A", "A", "B"]})
    >>> transition_members_from_frames(a, b, "A", UNTIERED), transition_members_from_frames(a, b, UNTIERED, "B")
    ([2], [4])
    """
    rows_a = [*tier_order([], a), UNTIERED]
    rows_b = [*tier_order([], b), UNTIERED]
    if from_tier not in rows_a or to_tier not in rows_b:
        return []
    ids, x, y = _paired(a, b, rows_a, rows_b)
    return ids[(x == rows_a.index(from_tier)) & (y == rows_b.index(to_tier))].tolist()


def published_versions(*, conn: Connection, population: str = "owners") -> pd.DataFrame:
    """Versions of a population's scheme that were ever published: ``id, version, name, status, published_at,
    labels`` (list of tier labels), newest first."""
    q = (
        sa.select(
            ScoringScheme.id,
            ScoringScheme.version,
            ScoringScheme.name,
            ScoringScheme.status,
            ScoringScheme.published_at,
            ScoringScheme.params,
        )
        .where(ScoringScheme.population == population, ScoringScheme.published_at.is_not(None))
        .order_by(ScoringScheme.version.desc())
    )
    rows = conn.execute(q).all()
    return pd.DataFrame(
        [(r.id, r.version, r.name, r.status, r.published_at, list(r.params.get("labels", []))) for r in rows],
        columns=["id", "version", "name", "status", "published_at", "labels"],
    )


def version_tiers(*, conn: Connection, filters: Filters, scheme_id: int) -> pd.DataFrame:
    """Each filtered customer's latest assignment from one scheme version: ``customer_id, region_id, tier``."""
    latest = (
        sa.select(TierAssignment.customer_id, sa.func.max(TierAssignment.effective_from).label("at"))
        .where(TierAssignment.scheme_id == scheme_id)
        .group_by(TierAssignment.customer_id)
        .subquery()
    )
    cond = []
    if filters.store_ids:
        cond.append(Customer.store_id.in_(filters.store_ids))
    if filters.region_ids:
        cond.append(Customer.region_id.in_(filters.region_ids))
    if filters.channel_ids:
        cond.append(Customer.first_channel_id.in_(filters.channel_ids))
    q = (
        sa.select(TierAssignment.customer_id, Customer.region_id, TierAssignment.tier)
        .select_from(TierAssignment)
        .join(
            latest,
            sa.and_(
                latest.c.customer_id == TierAssignment.customer_id,
                latest.c.at == TierAssignment.effective_from,
            ),
        )
        .join(Customer, Customer.id == TierAssignment.customer_id)
        .where(TierAssignment.scheme_id == scheme_id, *cond)
        .order_by(TierAssignment.customer_id)
    )
    return pd.read_sql(q, conn).drop_duplicates("customer_id").astype({"customer_id": "int64"})


_PEOPLE_COLUMNS = ["customer_id", "name", "phone", "region", "region_en", "store", "store_en"]


def customers(
    *, conn: Connection, customer_ids: list[int], show_pii: bool = False, limit: int | None = None
) -> pd.DataFrame:
    """The customers behind a figure: ``customer_id, name, phone, region, region_en, store, store_en`` by id,
    at most ``limit`` of them, name and phone masked unless ``show_pii``."""
    ids = sorted(int(i) for i in customer_ids)[:limit]
    if not ids:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _PEOPLE_COLUMNS})
    q = (
        sa.select(
            Customer.id.label("customer_id"),
            Customer.name,
            Customer.phone,
            Region.name.label("region"),
            Region.name_en.label("region_en"),
            Store.name.label("store"),
            Store.name_en.label("store_en"),
        )
        .select_from(Customer)
        .outerjoin(Region, Region.id == Customer.region_id)
        .outerjoin(Store, Store.id == Customer.store_id)
        .where(Customer.id.in_(ids))
        .order_by(Customer.id)
    )
    out = pd.read_sql(q, conn)
    if not show_pii:
        out["name"] = out["name"].map(mask_name)
        out["phone"] = out["phone"].map(mask_phone)
    return out[_PEOPLE_COLUMNS]
